"""One table of metrics (`reporting.metric_table`): every reader takes a metric's key, kind and
label from it, and the rows the comparison builds carry each metric under its key, of its kind."""

from decimal import Decimal

import pytest

from coopapp.api.openapi import document
from coopapp.api.serializers import jsonable
from coopapp.charts import compare as compare_chart
from coopapp.errors import BadRequest
from coopapp.ledger import operations as ledger
from coopapp.reporting import chart_data, comparison
from coopapp.reporting.metric_table import (
    COMPARE_METRICS,
    COUNT,
    KINDS,
    METRICS,
    MONEY,
    PER_UNIT,
    RATIO,
    compared_metric,
    yuan_twin,
)
from coopapp.web.reports import exports

from .builders import approved_entry

COMPARED = [METRICS[name] for name in COMPARE_METRICS]


def test_keys_and_twins_follow_from_the_kind():
    assert {m.kind for m in METRICS.values()} == set(KINDS)
    for m in METRICS.values():
        assert yuan_twin(m.key) == m.twin, m.name
        match m.kind:
            case "money":
                assert (m.key, m.twin) == (f"{m.name}_fen", m.name)
            case "per_unit":
                assert (m.key, m.twin) == (f"{m.name}_fen_per_unit", f"{m.name}_per_unit")
            case _:
                assert (m.key, m.twin) == (m.name, None)
    assert len({m.key for m in METRICS.values()}) == len(METRICS)
    # amounts of other records are named like money metrics
    assert yuan_twin("amount_fen") == "amount" and yuan_twin("median_fen_per_unit") == "median_per_unit"
    assert yuan_twin("households") is None and yuan_twin("coverage") is None


def test_only_compared_metrics_are_ranked_by(app):
    with app.test_request_context():
        assert compared_metric("yield").key == "yield_fen_per_unit"
        for name in ("households", "peer_median", "happiness"):  # in the table but shown only, or unknown
            with pytest.raises(BadRequest) as refused:
                compared_metric(name)
            assert "metric" in refused.value.fields
    assert list(COMPARE_METRICS) == [m.name for m in METRICS.values() if m.compared]


def _value_fits(kind: str, value) -> bool:
    if value is None:
        return True
    if kind in (MONEY, PER_UNIT, COUNT):
        return type(value) is int
    return kind == RATIO and type(value) is Decimal


def test_comparison_rows_hold_every_metric_under_its_key_of_its_kind(world, db):
    approved_entry(world, kind="output", amount_fen=1_500_000)
    approved_entry(world, kind="collective_income", amount_fen=300_000)
    approved_entry(world, kind="dividend", amount_fen=20_000, household_id=world.households[0].id)
    county = world.users["county_reviewer"]
    year = ledger.today().year if ledger.today().month > 1 else ledger.today().year - 1
    data = comparison.comparison(county, world.county, comparison.Filters(year=year))
    rows = data["rows"]
    assert len(rows) == 3
    for m in METRICS.values():
        for row in rows:
            assert m.key in row and _value_fits(m.kind, row[m.key]), (m.name, row.get(m.key))
    for row in jsonable(rows):  # the API's twins are the table's
        for m in METRICS.values():
            if m.twin is not None:
                assert row[m.twin] == (None if row[m.key] is None else f"{Decimal(row[m.key]) / 100:.2f}")
    assert any(r["collective_income_fen"] for r in rows) and any(r["yield_fen_per_unit"] for r in rows)


def test_the_readers_take_the_table(app):
    # the page's sort keys, the API's metrics, the chart's labels and kinds, the export's columns
    assert {k: v for k, v in comparison.SORT_KEYS.items() if k in METRICS} == {
        name: METRICS[name].key for name in comparison.SORTED_METRICS
    }
    doc = document()
    assert doc["components"]["schemas"]["Comparison"]["properties"]["metric"]["enum"] == list(COMPARE_METRICS)
    for m in COMPARED:
        data = {"metric": m.name, "by": "village", "area": "县", "year": 2025, "rows": [], "weak_threshold_fen": None}
        assert compare_chart.kind(data) == (MONEY if m.kind in (MONEY, PER_UNIT) else m.kind)
        assert compare_chart.title(data).endswith(f"{m.label}排名")
        assert compare_chart.value_text(data, None) == ("无上年数据" if m.growth else "—")
    exported = {key: (str(header), kind) for header, key, kind in exports.COLUMNS}
    with app.test_request_context():
        for m in METRICS.values():
            if m.header is not None:
                assert exported[m.key] == (str(m.header), m.kind), m.name


def test_money_per_unit_is_shown_in_yuan(app):
    """`yield` (fen per unit) is drawn, labelled and exported as yuan, like money."""
    data = {"metric": "yield", "by": "village", "area": "县", "year": 2025, "weak_threshold_fen": None}
    data["rows"] = [{"code": "1", "name": "一村", "value": 52_000, "weak": False}]
    assert compare_chart.value_text(data, 52_000) == "520"  # yuan, not the count 52,000
    with app.test_request_context():
        assert compare_chart.describe(data).rows == [["1", "一村", "520.00"]]
        header, cells = exports.table([{"yield_fen_per_unit": 52_000, "peer_median_fen_per_unit": 49_950}])
    assert cells[0][header.index("单位产值（元/单位规模）")] == Decimal("520.00")
    assert cells[0][header.index("同类村中位数（元/单位规模）")] == Decimal("499.50")


def test_chart_data_ranks_by_the_metrics_key(world, db, app):
    approved_entry(world, kind="collective_income", amount_fen=300_000)
    county = world.users["county_reviewer"]
    year = ledger.today().year if ledger.today().month > 1 else ledger.today().year - 1
    with app.test_request_context():
        for m in COMPARED:
            data = chart_data.comparison(county, world.county, year, m.name, "village")
            assert "money" not in data and data["metric"] == m.name
            assert [r["value"] for r in data["rows"]] == [
                r[m.key] for r in comparison.compare(county, world.county, year, m.name)
            ]
