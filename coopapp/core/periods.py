"""Periods: the month an entry belongs to, written "YYYY-MM" ("2025-03") everywhere — in the
database, in URLs, forms, the JSON API and the files.

Text sorts as the months do, so periods compare as strings ("2025-03" < "2025-11").
"""

import calendar
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Integer, func

# A period as forms and the OpenAPI document check it (a regular expression as text): ASCII
# digits only ([0-9], never \d, which Python and JSON Schema let match ٢ or other digits).
PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
_PERIOD = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")

# The ledger's years: months and dates from FIRST_YEAR to next year (in China), no others.
FIRST_YEAR = 2000
_CHINA = ZoneInfo("Asia/Shanghai")


def china_today() -> date:
    """Today in China (the ledger's `operations.today`, for the modules below the ledger)."""
    return datetime.now(_CHINA).date()


def last_year() -> int:
    """The last year a ledger month or date may fall in: next year, in China."""
    return datetime.now(_CHINA).year + 1


def is_ledger_year(year: int) -> bool:
    """Is `year` one of the ledger's years (FIRST_YEAR to next year)?"""
    return FIRST_YEAR <= year <= last_year()


def is_ledger_date(day: date | None) -> bool:
    """Does `day` fall in one of the ledger's years?"""
    return day is not None and is_ledger_year(day.year)


def date_problem(day: date | None) -> str | None:
    """Why `day` is not a ledger date, in the user's words (None when it is one, or is None)."""
    if day is None or is_ledger_date(day):
        return None
    return _("日期的年份应在 %(a)s 至 %(b)s 年之间。", a=FIRST_YEAR, b=last_year())


def parse_period(text: str | None) -> tuple[int, int] | None:
    """ "2025-03" → (2025, 3); None for anything that is not a period of the ledger's years."""
    m = _PERIOD.match(text) if isinstance(text, str) else None
    if m is None or not is_ledger_year(int(m.group(1))):
        return None
    return int(m.group(1)), int(m.group(2))


def is_period(text: str | None) -> bool:
    """Is `text` a period, "YYYY-MM" (ASCII digits) with a month 01–12 and a year from
    FIRST_YEAR to next year?"""
    return parse_period(text) is not None


# A quarter, as a village's notice (公开栏) may be published for one: stored "2025Q3".
_QUARTER = re.compile(r"^([0-9]{4})Q([1-4])$")


def is_quarter(text: str | None) -> bool:
    """Is `text` a stored quarter, "YYYYQn" (ASCII digits, n from 1 to 4) of the ledger's years?"""
    m = _QUARTER.match(text) if isinstance(text, str) else None
    return m is not None and is_ledger_year(int(m.group(1)))


def period_problem(text: str | None) -> str | None:
    """Why `text` is not a period, in the user's words (None when it is one)."""
    m = _PERIOD.match(text) if isinstance(text, str) else None
    if m is None:
        return _("月份格式应为 YYYY-MM，例如 2025-03。")
    if not is_ledger_year(int(m.group(1))):
        return _("月份的年份应在 %(a)s 至 %(b)s 年之间。", a=FIRST_YEAR, b=last_year())
    return None


# A month as people type it into a month field: 2026-1, 2026/01, 2026.1, 2026年1月 (a year with it) …
_TYPED_WITH_YEAR = re.compile(r"^([0-9]{4})\s*(?:[-/.]|年)\s*([0-9]{1,2})\s*(?:月份?)?$")
# … or 11月 alone: the latest such month not after this one.
_TYPED_MONTH = re.compile(r"^([0-9]{1,2})\s*月份?$")


def typed_period(text: str, today: date) -> str:
    """A month field's text as "YYYY-MM" when it is a month written another usual way (2026.1,
    2026年1月, 11月 — the latest November up to `today`); any other text unchanged, for the field's
    check to refuse with its message."""
    if _PERIOD.match(text):
        return text
    m = _TYPED_WITH_YEAR.match(text)
    if m is not None and 1 <= int(m.group(2)) <= 12:
        return period(int(m.group(1)), int(m.group(2)))
    m = _TYPED_MONTH.match(text)
    if m is not None and 1 <= int(m.group(1)) <= 12:
        month = int(m.group(1))
        return period(today.year if month <= today.month else today.year - 1, month)
    return text


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
