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
