"""A project's monthly output value: this year's bars, last year's line, share of the target."""

from flask_babel import gettext as _

from coopapp.charts.base import (
    AMOUNT_FORMAT,
    BLUE,
    GREY,
    MONTHS,
    ORANGE,
    VERMILION,
    ChartText,
    empty_figure,
    heading,
    narrow,
    new_figure,
    share,
    yuan,
)
from coopapp.core.money import format_wan, format_yuan


def title(data: dict) -> str:
    return f"{data['project']} · {data['year']} 年月度产值"


def draw(data: dict):
    """The chart of `chart_data.project_output(...)`."""
    year, target = data["year"], data["target_output_fen"]
    if not any(data["months_fen"]) and not any(data["last_year_fen"]):  # (a year's red entries may net it to 0)
        return empty_figure(title(data), f"{year} 年和 {year - 1} 年都没有已审核的产值数据")
    fig = new_figure()
    ax = fig.add_subplot()
    x = range(12)
    this_year = [yuan(f) for f in data["months_fen"]]
    last_year = [yuan(f) for f in data["last_year_fen"]]
    # A month whose red entries (returns, 红字) outweigh its output is a bar below zero, in vermilion.
    colors = [BLUE if v >= 0 else VERMILION for v in this_year]
    ax.bar(x, this_year, width=0.7, color=colors, label=f"{year} 年")
    if any(data["last_year_fen"]):
        ax.plot(x, last_year, color=ORANGE, marker="o", linewidth=2, linestyle="--", label=f"{year - 1} 年")
    top = max([*this_year, *last_year, 1.0])
    bottom = min([*this_year, *last_year, 0.0])
    ax.set_ylim(bottom * 1.15, top * (1.4 if narrow() else 1.15))  # a phone: the legend above the bars
    if bottom < 0:
        ax.axhline(0, color=GREY, linewidth=1)
    if narrow():
        # A phone: the month's number only (the shares are in the note and the table below).
        ax.set_xticks(list(x), [str(m + 1) for m in x])
        ax.set_xlabel("月份")
    elif target:
        # The share of the annual target sits under each month, clear of the bars and the line.
        labels = [
            f"{m}\n{share(fen, target) if fen else '—'}" for m, fen in zip(MONTHS, data["months_fen"], strict=True)
        ]
        ax.set_xticks(list(x), labels)
        # Level with the second line of the tick labels (below tick, pad and one 11 pt line).
        ax.annotate(
            "占目标",
            (0, 0),
            xycoords="axes fraction",
            xytext=(-4, -23),
            textcoords="offset points",
            ha="right",
            va="center",
            fontsize=11,
            color=GREY,
        )
    else:
        ax.set_xticks(list(x), MONTHS)
    ax.yaxis.set_major_formatter(AMOUNT_FORMAT)
    ax.set_ylabel("产值（元）")
    ax.grid(axis="y", color="#DDDDDD", linewidth=0.8)
    ax.set_axisbelow(True)
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: labels[i], reverse=True)  # this year first
    ax.legend([handles[i] for i in order], [labels[i] for i in order], loc="upper left", ncols=2, frameon=False)
    heading(ax, title(data), _subtitle(data))
    return fig


def _subtitle(data: dict) -> str:
    total, target = data["total_fen"], data["target_output_fen"]
    text = f"全年 {format_wan(total)}元"
    if target:
        text += f"，完成年度目标 {format_wan(target)}元的 {share(total, target, decimals=1)}"
    else:
        text += "，未设产值目标"
    if data["last_year_total_fen"]:
        text += f"；上年 {format_wan(data['last_year_total_fen'])}元"
    return text


def describe(data: dict) -> ChartText:
    """Alt text and the month-by-month table of the output chart."""
    year, target = data["year"], data["target_output_fen"]
    months, last = data["months_fen"], data["last_year_fen"]
    if any(months):
        best = max(range(12), key=lambda m: months[m])
        alt = _(
            "%(p)s %(y)s 年月度产值柱状图：全年 %(t)s 元（上年 %(l)s 元），最高为 %(m)s 月 %(b)s 元。",
            p=data["project"],
            y=year,
            t=format_yuan(data["total_fen"]),
            l=format_yuan(data["last_year_total_fen"]),
            m=best + 1,
            b=format_yuan(months[best]),
        )
    else:
        alt = _("%(p)s %(y)s 年没有已审核的产值数据。", p=data["project"], y=year)
    columns = [
        _("月份"),
        _("%(y)s 年产值（元）", y=year),
        _("%(y)s 年产值（元）", y=year - 1),
        _("占年度目标"),
    ]
    rows = [
        [_("%(m)s 月", m=m + 1), format_yuan(months[m]), format_yuan(last[m]), share(months[m], target)]
        for m in range(12)
    ]
    rows.append(
        [
            _("合计"),
            format_yuan(data["total_fen"]),
            format_yuan(data["last_year_total_fen"]),
            share(data["total_fen"], target),
        ]
    )
    return ChartText(alt, columns, rows)
