"""A project's yield per unit of capacity by year (yuan per hive, kWh per kW, …)."""

from decimal import Decimal

from flask_babel import gettext as _

from coopapp.charts.base import (
    AMOUNT_FORMAT,
    BLUE,
    GREEN,
    NUMBER_FORMAT,
    ChartText,
    chinese_amount,
    empty_figure,
    heading,
    new_figure,
    plain_number,
)
from coopapp.core.money import format_yuan
from coopapp.core.vocabulary import CAPACITY_UNITS


def unit_name(data: dict) -> str:
    """The project's capacity unit as the charts write it (its name, whatever the UI language)."""
    return CAPACITY_UNITS.names.get(data["capacity_unit"] or "", data["capacity_unit"] or "")


def measure(data: dict) -> str:
    """What is plotted, e.g. "元/箱" or "kWh/kW"."""
    return f"{'kWh' if data['basis'] == 'quantity' else '元'}/{unit_name(data)}"


def title(data: dict) -> str:
    return f"{data['project']} · 单位产出（{measure(data)}）"


def _label(value: Decimal) -> str:
    v = float(value)
    return chinese_amount(v) if abs(v) >= 1e4 else plain_number(round(v, 1))


def draw(data: dict):
    """The chart of `chart_data.project_yield(...)`."""
    if not data["capacity"]:
        return empty_figure(f"{data['project']} · 单位产出", "项目没有规模，无法计算单位产出")
    years = [r for r in data["years"] if r["yield"] is not None]
    if not years:
        return empty_figure(title(data), "项目还没有已审核的产值，无法计算单位产出")
    fig = new_figure()
    ax = fig.add_subplot()
    labels = [f"{r['year']} 年" + (f"\n（1–{r['partial_to']} 月）" if r["partial_to"] else "") for r in years]
    values = [float(r["yield"]) for r in years]
    bars = ax.bar(range(len(years)), values, width=0.6 if len(years) > 2 else 0.4, color=BLUE)
    top, bottom = max(values + [0.0]), min(values + [0.0])  # a year of net returns (红字) is below zero
    for bar, r in zip(bars, years, strict=True):
        # Inside the bar's top (clear of the target line), above it when the bar is short; a
        # negative bar's label sits under its end.
        height = bar.get_height()
        inside = height > top * 0.15 if height >= 0 else height < bottom * 0.15
        outward = 1 if height >= 0 else -1
        ax.annotate(
            _label(r["yield"]),
            (bar.get_x() + bar.get_width() / 2, height),
            xytext=(0, -5 * outward if inside else 3 * outward),
            textcoords="offset points",
            ha="center",
            va=("top" if inside else "bottom") if height >= 0 else ("bottom" if inside else "top"),
            fontsize=13,
            color="white" if inside else "#222222",
        )
    if data["target_yield"] is not None:
        target = float(data["target_yield"])
        ax.axhline(
            target,
            color=GREEN,
            linestyle="--",
            linewidth=2,
            label=f"目标 {_label(data['target_yield'])} {measure(data)}",
        )
        ax.legend(loc="upper left", frameon=False)
        top = max(top, target)
    ax.set_ylim(bottom * 1.25, (top or 1) * 1.25)
    ax.set_xticks(range(len(years)), labels)
    ax.set_xlim(-0.8, len(years) - 0.2)
    ax.yaxis.set_major_formatter(NUMBER_FORMAT if data["basis"] == "quantity" or top < 1e4 else AMOUNT_FORMAT)
    ax.set_ylabel(f"每{unit_name(data)}{'发电量（kWh）' if data['basis'] == 'quantity' else '产值（元）'}")
    ax.grid(axis="y", color="#DDDDDD", linewidth=0.8)
    ax.set_axisbelow(True)
    heading(ax, title(data), f"规模 {plain_number(float(data['capacity']))} {unit_name(data)}（按当前规模计算）")
    return fig


def describe(data: dict) -> ChartText:
    """Alt text and the year-by-year table of the yield chart."""
    unit = measure(data)
    columns = [_("年份"), _("产值（元）"), _("产量"), _("单位产出（%(u)s）", u=unit)]
    rows = [
        [
            str(r["year"]) + (_("（1–%(m)s 月）", m=r["partial_to"]) if r["partial_to"] else ""),
            format_yuan(r["output_fen"]),
            plain_number(float(r["quantity"])),
            "—" if r["yield"] is None else plain_number(round(float(r["yield"]), 1)),
        ]
        for r in data["years"]
    ]
    if not data["capacity"]:
        alt = _("%(p)s 没有规模，无法计算单位产出。", p=data["project"])
    elif not data["years"]:
        alt = _("%(p)s 还没有已审核的产值，无法计算单位产出。", p=data["project"])
    else:
        alt = _(
            "%(p)s 各年单位产出柱状图（%(u)s）：%(list)s。",
            p=data["project"],
            u=unit,
            list="；".join(f"{r[0]} 年 {r[3]}" for r in rows),
        )
    return ChartText(alt, columns, rows)
