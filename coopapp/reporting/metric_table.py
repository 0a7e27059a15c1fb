"""The figures of the comparison, each written once: its name, kind, labels and row key.

A metric's kind says what its value is and how it is shown:

- `money`: integer fen, under the row key `<name>_fen`; the API adds the yuan string `<name>`;
- `per_unit`: integer fen per unit of capacity, under `<name>_fen_per_unit`; the API adds the
  yuan string `<name>_per_unit`; shown as money (yuan);
- `ratio`: a Decimal (0.25 is 25%), under `<name>`;
- `count`: an integer, under `<name>`.

The comparison (its sort keys, the API's ?metric=), its chart, its exports, the OpenAPI
document and the API's yuan twins read this table; none guesses a kind from a name.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from coopapp.errors import BadRequest

MONEY, PER_UNIT, RATIO, COUNT = "money", "per_unit", "ratio", "count"
KINDS = (MONEY, PER_UNIT, RATIO, COUNT)
# How a kind's value is spelled in a row key: the fen suffix and the yuan twin's suffix.
_FEN = "_fen"
_PER = "_per_"
_KEY_SUFFIX = {MONEY: _FEN, PER_UNIT: f"{_FEN}{_PER}unit", RATIO: "", COUNT: ""}
_TWIN_SUFFIX = {MONEY: "", PER_UNIT: f"{_PER}unit"}


@dataclass(frozen=True)
class Metric:
    """One figure of a comparison row.

    `label` is the name the charts write (Chinese in both UI languages); `header` the export's
    translated column header (None: not exported); `compared`: the API and the charts may rank
    by it (?metric=); `growth`: a change against last year (no value: last year had nothing).
    """

    name: str
    kind: str
    label: str
    header: object = None  # a lazy translated string
    compared: bool = True
    growth: bool = False

    @property
    def key(self) -> str:
        """The row key holding the value: `collective_income_fen`, `yield_fen_per_unit`, `coverage`."""
        return self.name + _KEY_SUFFIX[self.kind]

    @property
    def twin(self) -> str | None:
        """The API's yuan-string twin of the value (None for ratios and counts)."""
        suffix = _TWIN_SUFFIX.get(self.kind)
        return None if suffix is None else self.name + suffix

    @property
    def in_yuan(self) -> bool:
        """Is the value shown as yuan (money, also per unit)?"""
        return self.kind in (MONEY, PER_UNIT)


_TABLE = (
    # Ranked by the API and the charts, in the order the API lists them.
    Metric("collective_income", MONEY, "村集体收入", _l("村集体收入（元）")),
    Metric("output_value", MONEY, "产值", _l("产值（元）")),
    Metric("households_benefited", COUNT, "带动农户数", _l("带动农户")),
    Metric("coverage", RATIO, "农户受益覆盖率", _l("覆盖率（%）")),
    Metric("benefit_total", MONEY, "农户收益合计"),
    Metric("benefit_per_household", MONEY, "户均收益", _l("户均收益（元）")),
    Metric("benefit_mean", MONEY, "户均收益"),
    Metric("benefit_median", MONEY, "农户收益中位数"),
    Metric("formerly_poor_coverage", RATIO, "脱贫户受益覆盖率"),
    Metric("formerly_poor_benefit_mean", MONEY, "脱贫户户均收益"),
    Metric("collective_income_growth", RATIO, "村集体收入同比增长", _l("村集体收入同比（%）"), growth=True),
    Metric("output_value_growth", RATIO, "产值同比增长", _l("产值同比（%）"), growth=True),
    Metric("households_benefited_growth", RATIO, "带动农户同比增长", growth=True),
    Metric("benefit_total_growth", RATIO, "农户收益同比增长", growth=True),
    Metric("yield", PER_UNIT, "单位产值（元/单位规模）", _l("单位产值（元/单位规模）")),
    Metric("attainment", RATIO, "村集体收入目标完成率", _l("目标完成率（%）")),
    Metric("output_attainment", RATIO, "产值目标完成率"),
    Metric("party_branches_per_group", RATIO, "党支部数/村民小组数", _l("党支部/村民小组（%）")),
    Metric("party_group_coverage", RATIO, "党组织覆盖村民小组比例", _l("党组织覆盖村民小组（%）")),
    Metric("coops_led", COUNT, "党组织领办合作社数", _l("党组织领办合作社")),
    # The income statement (收益及收益分配表): 支出 and 本年收益 (`core.income_statement`).
    Metric("spending", MONEY, "支出", _l("支出（元）")),
    Metric("net_income", MONEY, "本年收益", _l("本年收益（元）")),
    # Shown beside them (the exports), not ranked by.
    Metric("collective_income_target", MONEY, "村集体收入目标", _l("收入目标（元）"), compared=False),
    Metric("peer_median", PER_UNIT, "同类村单位产值中位数", _l("同类村中位数（元/单位规模）"), compared=False),
    Metric("households", COUNT, "总户数", _l("总户数"), compared=False),
    Metric("groups", COUNT, "村民小组数", compared=False),
    Metric("party_orgs_committee", COUNT, "党委数", compared=False),
    Metric("party_orgs_general_branch", COUNT, "党总支数", compared=False),
    Metric("party_orgs_branch", COUNT, "党支部数", compared=False),
    Metric("party_orgs_joint_branch", COUNT, "联合党支部数", compared=False),
)
METRICS: dict[str, Metric] = {m.name: m for m in _TABLE}
BY_KEY: dict[str, Metric] = {m.key: m for m in _TABLE}
COMPARE_METRICS: tuple[str, ...] = tuple(m.name for m in _TABLE if m.compared)


def compared_metric(name: str) -> Metric:
    """The metric the API and the charts rank by; BadRequest (400) for a name they do not know."""
    metric = METRICS.get(name)
    if metric is None or not metric.compared:
        raise BadRequest(_("未知指标：%(m)s", m=name), {"metric": _("可选：%(all)s", all=", ".join(COMPARE_METRICS))})
    return metric


def yuan_twin(key: str) -> str | None:
    """The yuan-string twin the API adds beside an amount in fen: a metric's by its kind
    (`yield_fen_per_unit` → `yield_per_unit`); any other record's amounts are named as money
    metrics are (`amount_fen` → `amount`, `median_fen_per_unit` → `median_per_unit`).
    None for a key that holds no amount."""
    metric = BY_KEY.get(key)
    if metric is not None:
        return metric.twin
    if key.endswith(_FEN):
        return key[: -len(_FEN)]
    if f"{_FEN}{_PER}" in key:
        return key.replace(f"{_FEN}{_PER}", _PER, 1)
    return None
