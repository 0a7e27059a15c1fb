"""The API's JSON rules (`api.serializers.jsonable`): money twins, Decimals, dates."""

from datetime import UTC, date, datetime, time
from decimal import Decimal

from coopapp.api.serializers import jsonable


def test_jsonable_rules():
    row = {
        "amount_fen": 123456,
        "refund_fen": -5,
        "small_fen": 7,
        "missing_fen": None,
        "flag_fen": True,  # a bool is no amount: no twin
        "yield_fen_per_unit": 1050,
        "given_fen": 100,
        "given": "kept",  # a twin the row already has is not overwritten
        "ratio": Decimal("0.3333333333"),
        "whole": Decimal("400.000"),
        "when": date(2025, 3, 5),
        "at": datetime(2025, 3, 5, 8, 30),
        "at_zone": datetime(2025, 3, 5, 8, 30, tzinfo=UTC),
        "clock": time(8, 30),
        "float": 0.1,
        "pair": (1, Decimal("2.50")),
        "rows": [{"x_fen": 1}, "text", [Decimal("1.0")]],
    }
    assert jsonable(row) == {
        **row,
        "amount": "1234.56",
        "refund": "-0.05",
        "small": "0.07",
        "missing": None,
        "yield_per_unit": "10.50",
        "ratio": "0.333333",
        "whole": "400",
        "when": "2025-03-05",
        "at": "2025-03-05T08:30:00Z",
        "at_zone": "2025-03-05T08:30:00+00:00",
        "clock": "08:30:00",
        "float": "0.1",
        "pair": [1, "2.5"],
        "rows": [{"x_fen": 1, "x": "0.01"}, "text", ["1"]],
    }
    assert "flag" not in jsonable(row)
    assert row["ratio"] == Decimal("0.3333333333"), "the input is not changed"


def _row_by_row(value):
    """The rule applied one dict at a time (what `jsonable` gives for a short list)."""
    from coopapp.api.serializers import _record

    return [_record(item) if type(item) is dict else jsonable(item) for item in value]


def _table_rows(n: int) -> list[dict]:
    return [
        {
            "code": f"44139910{i:04d}",
            "amount_fen": (i * 7919) % 100_003 - 500,  # some negative, some under a yuan
            "missing_fen": None if i % 3 else i,
            "ratio": None if i % 5 == 0 else Decimal(i - 7) / Decimal(3 + i % 4),
            "whole": Decimal("400.000") if i % 2 else Decimal(-0.0),
            "huge": Decimal("1E+30") if i == 4 else Decimal("NaN") if i == 5 else Decimal(i),
            "weak": i % 2 == 0,
            "types": ["beekeeping", "tea"][: i % 3],
            "yields": [{"peer_group": "tea/mu", "yield_fen_per_unit": i * 101 - 30, "outlier": i % 7 == 0}] * (i % 3),
            "when": date(2025, 1, 1 + i % 28),
        }
        for i in range(n)
    ]


def test_a_table_is_converted_as_row_by_row():
    # The comparison's rows are converted column by column (`serializers._table`): the same
    # dicts, keys in the same order, as one dict at a time.
    rows = _table_rows(40)
    got = jsonable(rows)
    assert got == _row_by_row(rows)
    assert [list(r) for r in got] == [list(r) for r in _row_by_row(rows)]
    assert got[4]["huge"] == "1000000000000000000000000000000" and got[5]["huge"] == "NaN"
    assert got[0]["amount"] == "-5.00" and got[0]["whole"] == "0"


def test_a_table_of_mixed_shapes_falls_back_to_row_by_row():
    rows = _table_rows(30)
    rows[7] = {**rows[7], "extra_fen": 5}  # another shape
    assert jsonable(rows) == _row_by_row(rows)
    rows = _table_rows(30)
    rows[3]["amount_fen"] = Decimal("1.5")  # an amount that is no int: no twin in that row only
    assert jsonable(rows) == _row_by_row(rows) and "amount" not in jsonable(rows)[3]
    rows = _table_rows(30)
    rows[9] = "text"
    assert jsonable(rows) == _row_by_row(rows)
