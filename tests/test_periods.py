"""Periods ("YYYY-MM"): one pattern and one set of helpers for every module."""

import re
from datetime import date

import pytest

from coopapp.core import periods


@pytest.mark.parametrize("text", ["2025-01", "2025-09", "2025-12", "2000-01"])
def test_a_period_is_a_year_and_a_month(text):
    assert periods.is_period(text) and re.match(periods.PATTERN, text)
    assert periods.parse_period(text) == (int(text[:4]), int(text[5:]))
    assert periods.period(*periods.parse_period(text)) == text


@pytest.mark.parametrize(
    "text", ["2025-13", "2025-00", "2025-9", "25-09", "2025/09", "2025Q3", "", None, " 2025-09", "0٢٠٢-11"]
)
def test_anything_else_is_not(text):
    assert not periods.is_period(text) and periods.parse_period(text) is None
    assert text is None or not re.match(periods.PATTERN, text)


def test_dates_years_and_neighbours():
    assert periods.period_of(date(2025, 3, 31)) == "2025-03"
    assert periods.year_of("2025-03") == 2025 and periods.month_of("2025-03") == 3
    assert periods.next_period("2025-12") == "2026-01" and periods.next_period("2025-01") == "2025-02"
    assert periods.first_day("2024-02") == date(2024, 2, 1) and periods.last_day("2024-02") == date(2024, 2, 29)
    assert periods.periods_between("2024-11", "2025-02") == ["2024-11", "2024-12", "2025-01"]
    assert periods.periods_between("2025-02", "2025-02") == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-11", "2026-11"),
        ("2026-1", "2026-01"),
        ("2026/01", "2026-01"),
        ("2026.1", "2026-01"),
        ("2026年1月", "2026-01"),
        ("2026 年 11 月份", "2026-11"),
        ("11月", "2026-11"),  # the latest November up to today
        ("12月", "2026-12"),
        ("1月", "2026-01"),
        ("13月", "13月"),  # not a month: left for the field to refuse
        ("2026-13", "2026-13"),
        ("2026", "2026"),
    ],
)
def test_a_month_typed_another_usual_way(text, expected):
    assert periods.typed_period(text, date(2026, 12, 7)) == expected
    assert periods.typed_period("12月", date(2027, 1, 5)) == "2026-12"  # last December, in January


def test_the_months_page_takes_a_month_as_people_write_it(world, client, auth):
    """月结's month field: 2024年3月 is 2024-03 (refused or asked about as that month, never as bad text)."""
    auth.login("sec")
    page = client.post("/months", data={"period": "2024年3月"}).get_data(as_text=True)
    assert "月份写法不对" not in page and "将结账 2024-03" in page
    assert "月份写法不对" in client.post("/months", data={"period": "三月"}).get_data(as_text=True)
