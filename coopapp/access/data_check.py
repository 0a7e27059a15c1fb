"""`coop data verify`: every stored value that breaks today's input rules (core.text, core.periods).

Rows written before the rules (or behind the app's back) may hold a month in other digits
("0٢٠٢-11"), a year outside the ledger's (2000 to next year), a ledger date outside them, or
control characters in a text. The app can no longer write any of these; this finds the old ones
so a running deployment learns about them. It reads only.
"""

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select

from coopapp.core import periods
from coopapp.core.text import clean_text
from coopapp.extensions import db
from coopapp.models import FREE_TEXT, LEDGER_DATE_COLUMNS, NOTICE_PERIOD_COLUMNS, PERIOD_COLUMNS

BATCH = 5000


@dataclass(frozen=True)
class BadValue:
    """One stored value that breaks a rule: where it is, what it holds, why it is wrong."""

    table: str
    row_id: int
    column: str
    value: object
    reason: str

    def __str__(self) -> str:
        shown = repr(self.value)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        return f"{self.table} #{self.row_id} {self.column}: {shown} ({self.reason})"


def _period_reason(value: str) -> str:
    if not value.isascii():
        return "a month written in characters other than ASCII digits"
    if re.match(periods.PATTERN, value):
        return f"a month outside the years {periods.FIRST_YEAR}–{periods.last_year()}"
    return "not a month YYYY-MM"


def _bad_periods(model, name: str, valid=periods.is_period) -> list[BadValue]:
    column = getattr(model, name)
    found = []
    bad = [p for p in db.session.scalars(select(column).distinct()) if p is not None and not valid(p)]
    for value in bad:
        reason = _period_reason(value)
        for row_id in db.session.scalars(select(model.id).where(column == value).order_by(model.id)):
            found.append(BadValue(model.__tablename__, row_id, name, value, reason))
    return found


def _bad_dates(model, name: str) -> list[BadValue]:
    column = getattr(model, name)
    first, last = date(periods.FIRST_YEAR, 1, 1), date(periods.last_year(), 12, 31)
    q = select(model.id, column).where(or_(column < first, column > last)).order_by(model.id)
    reason = f"a date outside {periods.FIRST_YEAR}–{periods.last_year()}"
    return [BadValue(model.__tablename__, row_id, name, value, reason) for row_id, value in db.session.execute(q)]


def _bad_texts(model, columns: dict[str, bool]) -> list[BadValue]:
    names = list(columns)
    q = select(model.id, *(getattr(model, n) for n in names)).order_by(model.id).execution_options(yield_per=BATCH)
    found = []
    for row in db.session.execute(q):
        for name, value in zip(names, row[1:], strict=True):
            if isinstance(value, str) and clean_text(value, multiline=columns[name]) != value:
                found.append(BadValue(model.__tablename__, row[0], name, value, "control characters"))
    return found


def bad_values() -> list[BadValue]:
    """Every stored value that breaks the input rules, table by table."""
    found: list[BadValue] = []
    for model, name in PERIOD_COLUMNS:
        found += _bad_periods(model, name)
    for model, name in NOTICE_PERIOD_COLUMNS:
        found += _bad_periods(model, name, lambda p: periods.is_period(p) or periods.is_quarter(p))
    for model, name in LEDGER_DATE_COLUMNS:
        found += _bad_dates(model, name)
    for model, columns in FREE_TEXT.items():
        found += _bad_texts(model, columns)
    return found
