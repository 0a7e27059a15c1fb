"""Villages (or towns) of an area ranked by one metric, the weak-village threshold drawn."""

from decimal import Decimal

from flask_babel import gettext as _
from matplotlib.patches import Patch

from coopapp.charts.base import (
    AMOUNT_FORMAT,
    BLUE,
    GREY,
    NUMBER_FORMAT,
    PERCENT_FORMAT,
    VERMILION,
    ChartText,
    chinese_amount,
    empty_figure,
    narrow,
    new_figure,
    plain_number,
    wrap,
    yuan,
)
from coopapp.core.money import format_yuan
from coopapp.reporting.metric_table import METRICS, MONEY, RATIO, Metric

MAX_BARS = 40  # beyond this the chart shows the top and bottom 20; the table has them all
BAR_HEIGHT_IN = 0.3


def _metric(data: dict) -> Metric:
    return METRICS[data["metric"]]


def kind(data: dict) -> str:
    """money (fen, also per unit: shown as yuan), ratio, or count."""
    metric = _metric(data)
    return MONEY if metric.in_yuan else metric.kind


def _plotted(data: dict, value) -> float:
    if value is None:
        return 0.0
    return yuan(value) if kind(data) == MONEY else float(value)


def value_text(data: dict, value) -> str:
    """A value as its bar's label."""
    if value is None:
        return "无上年数据" if _metric(data).growth else "—"
    shown_as = kind(data)
    if shown_as == MONEY:
        return chinese_amount(yuan(value), fixed=True)
    if shown_as == RATIO:
        return f"{(Decimal(value) * 100).quantize(Decimal('0.1'))}%".replace("-", "−")
    return plain_number(float(value))


def title(data: dict) -> str:
    unit = "镇（街道）" if data["by"] == "town" else "村"
    return f"{data['area']} · {data['year']} 年各{unit}{_metric(data).label}排名"


def shown_rows(data: dict) -> tuple[list[dict], int]:
    """The rows drawn (top to bottom) and how many were left out in the middle."""
    rows = data["rows"]
    if len(rows) <= MAX_BARS:
        return rows, 0
    half = MAX_BARS // 2
    return rows[:half] + rows[-half:], len(rows) - MAX_BARS


def draw(data: dict):
    """The chart of `chart_data.comparison(...)`."""
    rows, skipped = shown_rows(data)
    if not rows:
        return empty_figure(title(data), f"{data['area']}没有可比较的村")
    if all(not r["value"] for r in rows):
        return empty_figure(title(data), f"{data['year']} 年没有{_metric(data).label}数据")
    n = len(rows) + (1 if skipped else 0)
    fig = new_figure(height_in=max(3.0, 1.6 + BAR_HEIGHT_IN * n))
    ax = fig.add_subplot()
    positions, labels = [], []
    for i, r in enumerate(rows):
        positions.append(i + (1 if skipped and i >= MAX_BARS // 2 else 0))
        labels.append(r["name"])
    threshold = data["weak_threshold_fen"]
    colours = [VERMILION if threshold is not None and r["weak"] else BLUE for r in rows]
    values = [_plotted(data, r["value"]) for r in rows]
    ax.barh(positions, values, height=0.7, color=colours)
    if threshold is not None and any(r["weak"] for r in rows):
        ax.legend(
            handles=[Patch(color=BLUE, label="达到标准"), Patch(color=VERMILION, label="薄弱村（低于标准）")],
            loc="lower right",
            frameon=False,
        )
    span = max(values + [0.0]) - min(values + [0.0]) or 1.0
    for pos, value, r in zip(positions, values, rows, strict=True):
        ax.text(
            value + (span * 0.01 if value >= 0 else -span * 0.01),
            pos,
            value_text(data, r["value"]),
            va="center",
            ha="left" if value >= 0 else "right",
            fontsize=11,
            zorder=4,
            # a white backing keeps the label readable where the threshold line crosses it
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5},
        )
    if skipped:
        middle = MAX_BARS // 2
        positions.insert(middle, middle)
        labels.insert(middle, f"…（另 {skipped} 个）")
    ax.set_yticks(positions, labels)
    ax.invert_yaxis()
    ax.set_ylim(max(positions) + 0.6, -0.6)
    low, high = min(values + [0.0]), max(values + [0.0])
    if threshold is not None:
        high = max(high, yuan(threshold))
        ax.axvline(yuan(threshold), color=GREY, linestyle="--", linewidth=1.5)
        ax.text(
            yuan(threshold),
            -0.7,
            f"薄弱村标准 {chinese_amount(yuan(threshold))}元",
            ha="center",
            va="bottom",
            fontsize=11,
            color=GREY,
        )
    ax.set_xlim(low - (span * 0.18 if low < 0 else 0), high + span * 0.18)
    ax.xaxis.set_major_formatter({MONEY: AMOUNT_FORMAT, RATIO: PERCENT_FORMAT}.get(kind(data), NUMBER_FORMAT))
    unit = "（元）" if kind(data) == MONEY else ""
    ax.set_xlabel(f"{_metric(data).label}{unit}")
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    shown = wrap(title(data), 15.5, "·") if narrow() else title(data)  # (on a phone: the area, then the rest)
    ax.set_title(shown, loc="left", pad=28 if threshold is not None else 10)
    if skipped:
        fig.text(0.01, 0.005, f"只画出前后各 {MAX_BARS // 2} 名，全部见表格", fontsize=11, color=GREY)
    return fig


def _table_value(data: dict, value) -> str:
    if value is None:
        return "—"
    if kind(data) == MONEY:
        return format_yuan(value)
    return value_text(data, value)


def describe(data: dict) -> ChartText:
    """Alt text and the ranked table of the comparison chart."""
    rows = data["rows"]
    columns = [_("名次"), _("名称"), _metric(data).label + ("（元）" if kind(data) == MONEY else "")]
    table = [[str(i), r["name"], _table_value(data, r["value"])] for i, r in enumerate(rows, start=1)]
    if data["weak_threshold_fen"] is not None:
        columns.append(_("薄弱村"))
        for line, r in zip(table, rows, strict=True):
            line.append(_("是") if r["weak"] else "")
    if rows:
        alt = _(
            "%(a)s %(y)s 年 %(n)s 个单位按%(m)s排名的条形图：最高 %(top)s（%(tv)s），最低 %(low)s（%(lv)s）。",
            a=data["area"],
            y=data["year"],
            n=len(rows),
            m=_metric(data).label,
            top=rows[0]["name"],
            tv=value_text(data, rows[0]["value"]),
            low=rows[-1]["name"],
            lv=value_text(data, rows[-1]["value"]),
        )
        if data["weak_threshold_fen"] is not None:
            weak = sum(1 for r in rows if r["weak"])
            alt += _("%(w)s 个村低于薄弱村标准 %(t)s 元。", w=weak, t=format_yuan(data["weak_threshold_fen"]))
    else:
        alt = _("%(a)s 没有可比较的村。", a=data["area"])
    return ChartText(alt, columns, table)
