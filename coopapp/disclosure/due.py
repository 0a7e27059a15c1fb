"""Public notices (村务公开) still to put up: the to-do lists of the home page, by the calendar's rule
(`operations.calendar`: monthly or quarterly, due DISCLOSURE_GRACE_DAYS after the period ends)."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from coopapp.disclosure.operations import (
    DEFAULT_GRACE_DAYS,
    CalendarRow,
    Period,
    _covered,
    calendar,
    kept_books_in,
    month,
    quarter,
    quarter_of,
)
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import Disclosure, User

OVERDUE_SHOWN = 10


@dataclass(frozen=True)
class NoticeDue:
    """A village's notice to put up: its period, its deadline, and whether that has passed."""

    village_code: str
    village: str
    period: Period
    deadline: date
    overdue: bool
    days_overdue: int

    @property
    def query(self) -> dict:
        """The notice page's query for this period (?period= a month, ?quarter= a quarter)."""
        return {"quarter": self.period.code} if self.period.quarterly else {"period": self.period.code}


def overdue_disclosures(user: User, today: date | None = None) -> list[CalendarRow]:
    """The villages of the user's scope whose notice is overdue, most overdue first (the calendar's
    rows: a fixed number of queries however many villages)."""
    return [row for row in calendar(user, today=today) if row.overdue]


def notices_due(user: User, today: date | None = None) -> list[NoticeDue]:
    """The notices the villages of the user's scope should put up: each overdue one (the calendar's
    due period), and each period that has ended but whose deadline is still ahead and is not yet
    published (due soon). Overdue first, then by deadline."""
    today = today or ledger.today()
    rows = calendar(user, today=today)
    grace = int(current_app.config.get("DISCLOSURE_GRACE_DAYS", DEFAULT_GRACE_DAYS))
    ended_month, ended_quarter = month(today.year, today.month).previous(), quarter_of(today).previous()
    wanted = {ended_month.code, quarter(ended_month.year, ended_month.quarter).code, ended_quarter.code}
    wanted |= {m.code for m in ended_quarter.months}
    published: dict[int, set[str]] = {}
    ids = [row.village.id for row in rows]
    if ids:
        found = select(Disclosure.village_id, Disclosure.period).where(
            Disclosure.village_id.in_(ids), Disclosure.period.in_(wanted)
        )
        for village_id, code in db.session.execute(found):
            published.setdefault(village_id, set()).add(code)
    due = []
    for row in rows:
        if row.overdue:
            due.append(NoticeDue(row.village.code, row.village.name, row.due, row.deadline, True, row.days_overdue))
        ended = ended_month if row.monthly else ended_quarter
        deadline = ended.end + timedelta(days=grace)
        owed = kept_books_in(row.books_began, ended)  # (exact for `ended`: it is no earlier than `row.due`)
        if (
            owed
            and ended != row.due
            and deadline >= today
            and not _covered(ended, published.get(row.village.id, set()))
        ):
            due.append(NoticeDue(row.village.code, row.village.name, ended, deadline, False, 0))
    due.sort(key=lambda d: (not d.overdue, -d.days_overdue, d.deadline, d.village_code))
    return due
