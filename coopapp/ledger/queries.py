"""The ledger's to-do lists for a user's home page: one query function per list, each scoped by the
one scope check (`village_ids_clause`) and aggregated in the database, so a county's hundreds of
villages cost a fixed number of queries, never one per village."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from coopapp.access.scope import village_ids_clause
from coopapp.core.periods import period
from coopapp.extensions import db
from coopapp.ledger.permissions import UNSETTLED, first_open_months
from coopapp.models import Area, ClosedMonth, Distribution, LedgerEntry, MonthlySummary, Project, User

RETURNED_SHOWN = 10  # returned entries listed on the home page (the count covers them all)
MONTHS_SHOWN = 12


@dataclass(frozen=True)
class ReturnedEntry:
    """A returned entry as the accountant's to-do list shows it: what it is and why it came back."""

    id: int
    period: str
    kind: str
    amount_fen: int
    project: str
    note: str
    reason: str
    returned_at: datetime | None
    by_town: bool = False  # the town accountant's return (the reason is the town's)


def returned_entries(user: User, limit: int = RETURNED_SHOWN) -> tuple[int, list[ReturnedEntry]]:
    """The user's own entries the secretary or the town returned (only the author fixes them): how
    many, and the latest `limit` of them, latest return first, each with its reason and whose it is."""
    mine = (
        LedgerEntry.created_by_id == user.id,
        LedgerEntry.status == "returned",
        village_ids_clause(user, LedgerEntry.village_id),
    )
    count = db.session.scalar(select(func.count()).select_from(LedgerEntry).where(*mine)) or 0
    rows = db.session.execute(
        select(
            LedgerEntry.id,
            LedgerEntry.period,
            LedgerEntry.kind,
            LedgerEntry.amount_fen,
            Project.name,
            LedgerEntry.note,
            LedgerEntry.return_reason,
            LedgerEntry.reviewed_at,
            LedgerEntry.town_reviewed_by_id,
        )
        .join(Project, Project.id == LedgerEntry.project_id)
        .where(*mine)
        .order_by(LedgerEntry.reviewed_at.desc(), LedgerEntry.id.desc())
        .limit(limit)
    ).all()
    return count, [
        ReturnedEntry(i, p, k, int(a), name, note or "", reason or "", at, town is not None)
        for i, p, k, a, name, note, reason, at, town in rows
    ]


def draft_count(user: User) -> int:
    """The user's own drafts not yet submitted for review."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(
                LedgerEntry.created_by_id == user.id,
                LedgerEntry.status == "draft",
                village_ids_clause(user, LedgerEntry.village_id),
            )
        )
        or 0
    )


WAITING_SHOWN = 5


@dataclass(frozen=True)
class WaitingEntry:
    """An entry waiting for review as the to-do list shows it (its page has 通过 and 退回)."""

    id: int
    period: str
    kind: str
    amount_fen: int
    project: str
    village: str  # the town's queue spans its villages: the list names each row's


@dataclass(frozen=True)
class Waiting:
    """Entries waiting for review in the user's scope: how many, and the oldest few, oldest first."""

    count: int
    oldest: list[WaitingEntry]


def awaiting_review(user: User, limit: int = WAITING_SHOWN, status: str = "submitted") -> Waiting:
    """Submitted entries (or those of another review stage: `awaiting_town`) of the villages in the
    user's scope: how many, and the `limit` submitted longest ago (two queries, however many villages)."""
    waiting = (LedgerEntry.status == status, village_ids_clause(user, LedgerEntry.village_id))
    count = db.session.scalar(select(func.count()).select_from(LedgerEntry).where(*waiting)) or 0
    if not count:
        return Waiting(0, [])
    rows = db.session.execute(
        select(LedgerEntry.id, LedgerEntry.period, LedgerEntry.kind, LedgerEntry.amount_fen, Project.name, Area.name)
        .join(Project, Project.id == LedgerEntry.project_id)
        .join(Area, Area.id == LedgerEntry.village_id)
        .where(*waiting)
        .order_by(LedgerEntry.id)
        .limit(limit)
    ).all()
    return Waiting(count, [WaitingEntry(i, p, k, int(a), name, v) for i, p, k, a, name, v in rows])


def closed_by_village(village_ids: set[int]) -> dict[int, set[str]]:
    """village id → its closed months, for a page of entries of several villages (one query)."""
    closed: dict[int, set[str]] = {}
    if village_ids:
        q = select(ClosedMonth.village_id, ClosedMonth.period).where(ClosedMonth.village_id.in_(village_ids))
        for village_id, month in db.session.execute(q):
            closed.setdefault(village_id, set()).add(month)
    return closed


@dataclass(frozen=True)
class ClosableMonth:
    """A month of a village ready to close; `first` is the village's earliest open month with
    entries, which must close first (months close in order): the month itself when it can close now."""

    village_id: int
    village: str
    period: str
    first: str

    @property
    def waiting(self) -> bool:
        """Does it wait for an earlier month to close first?"""
        return self.first != self.period


def closable_months(user: User, before: str, limit: int = MONTHS_SHOWN) -> tuple[int, list[ClosableMonth]]:
    """Months ready to close in the villages of the user's scope, oldest first: months before
    `before` (the current month: a month still under way is not ready) with approved entries, none
    left to settle (`UNSETTLED`: draft, submitted, awaiting the town, returned), no plan awaiting publication, not closed — what
    `ledger.operations.close_month` checks; each names the month its village must close first
    (`first_open_months`, the predicate's own rule), so only the earliest can close now. How many,
    and the first `limit`. One query per table (summaries, unsettled entries, plans, closed months)
    and one for the months to close first, grouped by village and month."""
    in_scope = village_ids_clause
    with_entries = db.session.execute(
        select(MonthlySummary.village_id, MonthlySummary.year, MonthlySummary.month)
        .where(in_scope(user, MonthlySummary.village_id), MonthlySummary.entry_count > 0)
        .group_by(MonthlySummary.village_id, MonthlySummary.year, MonthlySummary.month)
    ).all()
    candidates = {(v, period(int(y), int(m))) for v, y, m in with_entries}
    candidates = {c for c in candidates if c[1] < before}
    if not candidates:
        return 0, []
    blocked = set(
        db.session.execute(
            select(LedgerEntry.village_id, LedgerEntry.period)
            .where(in_scope(user, LedgerEntry.village_id), LedgerEntry.status.in_(UNSETTLED))
            .group_by(LedgerEntry.village_id, LedgerEntry.period)
        ).all()
    )
    blocked |= set(
        db.session.execute(
            select(Distribution.village_id, Distribution.period)
            .where(in_scope(user, Distribution.village_id), Distribution.status.in_(("draft", "approved")))
            .group_by(Distribution.village_id, Distribution.period)
        ).all()
    )
    blocked |= set(
        db.session.execute(
            select(ClosedMonth.village_id, ClosedMonth.period).where(in_scope(user, ClosedMonth.village_id))
        ).all()
    )
    ready = sorted(candidates - blocked, key=lambda c: (c[1], c[0]))
    if not ready:
        return 0, []
    first = dict(db.session.execute(first_open_months(in_scope(user, LedgerEntry.village_id), before)).all())
    names = dict(
        db.session.execute(select(Area.id, Area.name).where(Area.id.in_({v for v, _p in ready[:limit]}))).all()
    )
    return len(ready), [ClosableMonth(v, names.get(v, ""), p, first.get(v, p)) for v, p in ready[:limit]]
