"""Periods: the month an entry belongs to, written "YYYY-MM" ("2025-03") everywhere — in the
database, in URLs, forms, the JSON API and the files.

Text sorts as the months do, so periods compare as strings ("2025-03" < "2025-11").
"""

import calendar
import re
from datetime import date

from sqlalchemy import Integer, func

# A period as forms and the OpenAPI document check it (a regular expression as text).
PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_period(text: str | None) -> tuple[int, int] | None:
    """ "2025-03" → (2025, 3); None for anything that is not a period."""
    m = _PERIOD.match(text) if isinstance(text, str) else None
    return (int(m.group(1)), int(m.group(2))) if m else None


def is_period(text: str | None) -> bool:
    """Is `text` a period, "YYYY-MM" with a month 01–12?"""
    return isinstance(text, str) and _PERIOD.match(text) is not None


def period(year: int, month: int) -> str:
    """(2025, 3) → "2025-03"."""
    return f"{year:04d}-{month:02d}"


def period_of(day: date) -> str:
    """The period a date falls in: 2025-03-05 → "2025-03"."""
    return f"{day.year:04d}-{day.month:02d}"


def year_of(text: str) -> int:
    """The year of a period: "2025-03" → 2025."""
    return int(text[:4])


def month_of(text: str) -> int:
    """The month of a period: "2025-03" → 3."""
    return int(text[5:7])


def year_sql(column):
    """The year of a period column, in SQL (an integer)."""
    return func.cast(func.substr(column, 1, 4), Integer)


def month_sql(column):
    """The month of a period column, in SQL (an integer)."""
    return func.cast(func.substr(column, 6, 2), Integer)


def next_period(text: str) -> str:
    """The month after: "2025-12" → "2026-01"."""
    year, month = year_of(text), month_of(text)
    return period(year + 1, 1) if month == 12 else period(year, month + 1)


def first_day(text: str) -> date:
    """The first day of a period."""
    return date(year_of(text), month_of(text), 1)


def last_day(text: str) -> date:
    """The last day of a period: "2024-02" → 2024-02-29."""
    year, month = year_of(text), month_of(text)
    return date(year, month, calendar.monthrange(year, month)[1])


def periods_between(first: str, before: str) -> list[str]:
    """Every period from `first` up to (not including) `before`."""
    out, current = [], first
    while current < before:
        out.append(current)
        current = next_period(current)
    return out
