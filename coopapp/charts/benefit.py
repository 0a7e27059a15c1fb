"""How a village's household benefit is spread: a histogram, 脱贫户 stacked in their own colour."""

from decimal import Decimal

import numpy
from flask_babel import gettext as _
from matplotlib.ticker import MaxNLocator

from coopapp.charts.base import (
    BLUE,
    VERMILION,
    ChartText,
    chinese_amount,
    empty_figure,
    heading,
    narrow,
    new_figure,
    yuan,
)
from coopapp.core.money import format_yuan, median_fen


def title(data: dict) -> str:
    return f"{data['village']} · {data['year']} 年农户收益分布"


def _pct(ratio) -> str:
    return "—" if ratio is None else f"{(Decimal(ratio) * 100).quantize(Decimal('0.1'))}%"


def coverage_note(data: dict) -> str:
    text = f"受益 {data['benefited']} 户 / 共 {data['households']} 户，覆盖率 {_pct(data['coverage'])}；"
    text += f"脱贫户受益 {data['formerly_poor_benefited']} / {data['formerly_poor_households']} 户"
    if data["benefited"]:
        text += f"；中位数 {format_yuan(median_fen([f for f, _p in data['payouts']]))} 元"
    return text


# Payout bands in yuan, 1-2-5 steps: household incomes are skewed, equal widths would lump
# most households into the first bar.
_BANDS = [0] + [m * 10**e for e in range(2, 9) for m in (1, 2, 5)]


def bins(data: dict) -> list[int]:
    """Round band edges in fen covering every payout (the last band is closed).

    1-2-5 steps (100, 200, 500, 1,000 … yuan) when payouts spread over more than a factor
    of five; otherwise about eight equal round steps between the smallest and largest.
    """
    values = [f for f, _poor in data["payouts"]]
    low, high = min(values), max(values)
    if high >= 5 * low:
        start = max(i for i, edge in enumerate(_BANDS) if edge * 100 <= low)
        stop = min((i for i, edge in enumerate(_BANDS) if edge * 100 > high), default=len(_BANDS) - 1)
        return [edge * 100 for edge in _BANDS[start : stop + 1]]
    if low == high:
        return [low, high + 1] if low else [0, 1]
    ticks = MaxNLocator(nbins=8, steps=[1, 2, 2.5, 5, 10]).tick_values(yuan(low), yuan(high))
    edges = sorted({max(0, round(t * 100)) for t in ticks})
    edges = (
        [e for e in edges if e <= low][-1:] + [e for e in edges if low < e < high] + [e for e in edges if e >= high][:1]
    )
    return edges


def band_label(a: int, b: int) -> str:
    """A band's label: 1,000–2,000 · 5,000–1万."""
    return f"{chinese_amount(yuan(a))}–{chinese_amount(yuan(b))}"


def counts(data: dict, edges: list[int]) -> list[tuple[int, int]]:
    """(other households, formerly poor households) per bin; bins are [a, b), the last [a, b]."""
    others = numpy.histogram([f for f, poor in data["payouts"] if not poor], bins=edges)[0]
    poor = numpy.histogram([f for f, poor in data["payouts"] if poor], bins=edges)[0]
    return [(int(a), int(b)) for a, b in zip(others, poor, strict=True)]


def draw(data: dict):
    """The chart of `chart_data.village_benefit(...)`."""
    if not data["households"]:
        return empty_figure(title(data), "本村还没有登记农户")
    if not data["benefited"]:
        return empty_figure(
            title(data), f"{data['year']} 年没有已审核的农户收益\n（共 {data['households']} 户，覆盖率 0%）"
        )
    edges = bins(data)
    per_bin = counts(data, edges)
    x = range(len(per_bin))
    others = [a for a, _b in per_bin]
    poor = [b for _a, b in per_bin]
    fig = new_figure()
    ax = fig.add_subplot()
    width = 0.8 if len(per_bin) > 2 else 0.5
    ax.bar(x, others, width=width, color=BLUE, label="其他农户")
    ax.bar(
        x, poor, width=width, bottom=others, color=VERMILION, hatch="//", edgecolor="white", linewidth=0, label="脱贫户"
    )
    for i, (a, b) in enumerate(per_bin):
        if a + b:
            ax.annotate(f"{a + b}", (i, a + b), xytext=(0, 3), textcoords="offset points", ha="center", va="bottom")
    labels = [band_label(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    slanted = len(labels) > (3 if narrow() else 6)
    ax.set_xticks(
        list(x), labels, rotation=(45 if narrow() else 30) if slanted else 0, ha="right" if slanted else "center"
    )
    ax.set_xlim(-0.6, len(per_bin) - 0.4)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("每户全年收益（元）")
    ax.set_ylabel("户数")
    top = max(a + b for a, b in per_bin)
    ax.set_ylim(0, top * (1.45 if narrow() else 1.2) + 0.5)  # a phone: the legend above the bars
    ax.grid(axis="y", color="#DDDDDD", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.legend(loc="upper right", frameon=False, ncols=2 if narrow() else 1)
    heading(ax, title(data), coverage_note(data))
    return fig


def describe(data: dict) -> ChartText:
    """Alt text and the bin-by-bin table of the benefit chart."""
    columns = [_("每户全年收益（元）"), _("其他农户"), _("脱贫户"), _("合计")]
    rows = []
    if data["benefited"]:
        edges = bins(data)
        for (a, b), (others, poor) in zip(zip(edges[:-1], edges[1:], strict=True), counts(data, edges), strict=True):
            rows.append([band_label(a, b), str(others), str(poor), str(others + poor)])
    alt = _(
        "%(v)s %(y)s 年农户收益分布直方图：受益 %(b)s 户 / 共 %(h)s 户（覆盖率 %(c)s），其中脱贫户 %(pb)s / %(ph)s 户；收益合计 %(t)s 元，中位数 %(m)s 元。",
        v=data["village"],
        y=data["year"],
        b=data["benefited"],
        h=data["households"],
        c=_pct(data["coverage"]),
        pb=data["formerly_poor_benefited"],
        ph=data["formerly_poor_households"],
        t=format_yuan(data["total_fen"]),
        m=format_yuan(median_fen([f for f, _p in data["payouts"]])),
    )
    return ChartText(alt, columns, rows)
