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
