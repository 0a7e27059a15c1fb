"""What a user may do to an entry now: one predicate per action, asked by the operation and by its button.

Each `*_refusal` returns the error its operation raises (Forbidden, Conflict or Invalid, with the
operation's message), or None when the action is allowed. The operation raises it (`refuse`); the
page shows the action's button only when it is None (`entry_actions`) — Indico's `can_edit`. So a
page never offers what the operation refuses, nor hides what it allows.

A closed month refuses what would be written into it: submitting or approving an entry of it, a
reversal landing in it. Editing, voiding and returning do not write into the month (an edited
entry's new month is checked with its data), and a reversal of an entry of a closed month lands in
the current month. `closed`, where a predicate takes it, is the village's closed months when the
caller has them already (a page of many entries); without it the predicate asks the database.

Months close in order: a month cannot close while an earlier month holding an entry (any but a
voided one) is open (`first_open_months`); a month with no entries never blocks.
"""

from collections.abc import Container

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, exists, func, select

from coopapp.access.scope import forbidden
from coopapp.core.periods import is_period
from coopapp.errors import Conflict, DomainError, Invalid
from coopapp.extensions import db
from coopapp.ledger.spending import banned_refusal
from coopapp.models import Area, ClosedMonth, Distribution, LedgerEntry, User

EDITABLE = ("draft", "returned")
# Entries still to settle: a month holding one cannot be closed (`close_month`, `ledger.queries.closable_months`).
UNSETTLED = ("draft", "submitted", "returned")
Refusal = DomainError | None


def first_open_months(villages: ColumnElement[bool], before: str) -> Select:
    """(village id, month) of each village's earliest month before `before` that holds an entry (any
    but a voided one) and is not closed: the month it must close first (`close_month_refusal`, and the
    to-dos of `ledger.queries.closable_months`). `villages` filters `LedgerEntry.village_id`."""
    closed = select(ClosedMonth.id).where(
        ClosedMonth.village_id == LedgerEntry.village_id, ClosedMonth.period == LedgerEntry.period
    )
    return (
        select(LedgerEntry.village_id, func.min(LedgerEntry.period))
        .where(villages, LedgerEntry.period < before, LedgerEntry.status != "void", ~exists(closed))
        .group_by(LedgerEntry.village_id)
    )


def first_open_month(village_id: int, before: str) -> str | None:
    """The village's earliest open month with entries before `before` (`first_open_months`), if any."""
    row = db.session.execute(first_open_months(LedgerEntry.village_id == village_id, before)).first()
    return row[1] if row else None


def refuse(refusal: Refusal) -> None:
    """Raise the refusal of a predicate, if it has one."""
    if refusal is not None:
        raise refusal


def is_closed(village_id: int, period: str) -> bool:
    """Has the secretary closed this village's month?"""
    q = select(ClosedMonth.id).where(ClosedMonth.village_id == village_id, ClosedMonth.period == period)
    return db.session.scalar(q) is not None


def _closed(village_id: int, period: str, closed: Container[str] | None) -> bool:
    return is_closed(village_id, period) if closed is None else period in closed


def closed_month(period: str, field: str = "period") -> Invalid:
    """The refusal of anything written into a closed month (422 naming `field`)."""
    return Invalid(_("该月已结账。"), {field: _("%(p)s 已结账，不能再登记；更正请记入未结账的月份。", p=period)})


def reversal_of(entry: LedgerEntry) -> LedgerEntry | None:
    """The live (not returned-and-voided) reversal of an entry, if one exists."""
    q = select(LedgerEntry).where(LedgerEntry.reverses_id == entry.id, LedgerEntry.status != "void")
    return db.session.scalars(q).first()


def reversal_period(entry: LedgerEntry | Distribution, this_month: str, closed: Container[str] | None = None) -> str:
    """The month a reversal of `entry` (or of a plan's entries) lands in: its own if still open, else `this_month`."""
    return this_month if _closed(entry.village_id, entry.period, closed) else entry.period


def edit_refusal(user: User, entry: LedgerEntry) -> Refusal:
    """Only the author edits, and only a draft or returned entry that is not a reversal."""
    refusal = forbidden(user, "create_entry", entry.village)
    if refusal is not None:
        return refusal
    if entry.status not in EDITABLE or entry.created_by_id != user.id:
        return Conflict(_("只能修改自己的草稿或被退回的记录。"))
    if entry.reverses_id is not None:
        return Conflict(_("冲销记录不能修改。"))
    return None


def submit_refusal(user: User, entry: LedgerEntry, closed: Container[str] | None = None) -> Refusal:
    """Only the author submits, a draft or returned entry of an open month."""
    refusal = forbidden(user, "submit_entry", entry.village)
    if refusal is not None:
        return refusal
    if entry.created_by_id != user.id:
        return Conflict(_("只能提交自己登记的记录。"))
    if entry.status not in EDITABLE:
        return Conflict(_("只有草稿或被退回的记录可以提交（当前：%(s)s）。", s=entry.status))
    if _closed(entry.village_id, entry.period, closed):
        return closed_month(entry.period)
    banned = banned_refusal(entry)
    if banned is not None:
        return Invalid(banned, {"category": banned})
    return None


def void_refusal(user: User, entry: LedgerEntry) -> Refusal:
    """Only the author voids, a draft or returned entry."""
    refusal = forbidden(user, "create_entry", entry.village)
    if refusal is not None:
        return refusal
    if entry.status not in EDITABLE or entry.created_by_id != user.id:
        return Conflict(_("只能作废自己的草稿或被退回的记录。"))
    return None


def return_refusal(user: User, entry: LedgerEntry) -> Refusal:
    """The secretary returns a submitted entry (in any month: it goes back to its author)."""
    refusal = forbidden(user, "review_entry", entry.village)
    if refusal is not None:
        return refusal
    if entry.status != "submitted":
        return Conflict(_("该记录不在待审核状态（当前：%(s)s），可能已被他人处理。", s=entry.status))
    return None


def approve_refusal(user: User, entry: LedgerEntry, closed: Container[str] | None = None) -> Refusal:
    """The secretary approves a submitted entry of an open month."""
    refusal = return_refusal(user, entry)
    if refusal is not None:
        return refusal
    if _closed(entry.village_id, entry.period, closed):
        return Conflict(_("%(p)s 已结账，不能再审核该月记录。", p=entry.period))
    return None


def reversal_refusal(
    entry: LedgerEntry, this_month: str, period: str | None = None, closed: Container[str] | None = None
) -> Refusal:
    """Why no reversal of `entry` can be made now, whoever asks: it must be an approved entry, not
    itself a reversal nor reversed already, and its reversal (in `period`, by default where
    `reversal_period` puts it) must land in an open month."""
    if entry.status != "approved":
        return Conflict(_("只有已审核的记录可以冲销。"))
    if entry.reverses_id is not None:
        return Conflict(_("冲销记录不能再冲销。"))
    if reversal_of(entry) is not None:
        return Conflict(_("该记录已有冲销记录。"))
    lands_in = period or reversal_period(entry, this_month, closed)
    if _closed(entry.village_id, lands_in, closed):
        return closed_month(lands_in)
    return None


def reverse_refusal(user: User, entry: LedgerEntry, this_month: str, closed: Container[str] | None = None) -> Refusal:
    """An accountant of the village reverses an entry that `reversal_refusal` allows."""
    return forbidden(user, "reverse_entry", entry.village) or reversal_refusal(entry, this_month, closed=closed)


def close_month_refusal(user: User, village: Area, period: str, this_month: str) -> Refusal:
    """The secretary closes a past or the current month of the village, not closed yet, after every
    earlier month with entries (`first_open_month`), when none of its entries awaits anything (draft,
    submitted, returned) and none of its plans awaits publication."""
    refusal = forbidden(user, "close_month", village)
    if refusal is not None:
        return refusal
    if not is_period(period) or period > this_month:
        return Invalid(_("月份不对。"), {"period": _("请选择已经过去或当前的月份（YYYY-MM）。")})
    if is_closed(village.id, period):
        return Conflict(_("%(p)s 已经结账。", p=period))
    earlier = first_open_month(village.id, period)
    if earlier is not None:
        return Conflict(_("请先结账 %(p)s：月份须按顺序结账。", p=earlier))
    pending = db.session.scalar(
        select(func.count()).where(
            LedgerEntry.village_id == village.id,
            LedgerEntry.period == period,
            LedgerEntry.status.in_(UNSETTLED),
        )
    )
    if pending:
        return Conflict(_("%(p)s 还有 %(n)s 条记录未处理（草稿、待审或被退回），处理完才能结账。", p=period, n=pending))
    unpublished = db.session.scalar(
        select(func.count()).where(
            Distribution.village_id == village.id,
            Distribution.period == period,
            Distribution.status.in_(("draft", "approved")),
        )
    )
    if unpublished:
        return Conflict(_("%(p)s 还有 %(n)s 个未公布的分配方案，请先公布或删除。", p=period, n=unpublished))
    return None


def entry_actions(user: User, entry: LedgerEntry, this_month: str, closed: Container[str] | None = None) -> dict:
    """action → may `user` do it to `entry` now? The buttons of the entry's page and of the review queue."""
    return {
        "edit": edit_refusal(user, entry) is None,
        "submit": submit_refusal(user, entry, closed) is None,
        "void": void_refusal(user, entry) is None,
        "approve": approve_refusal(user, entry, closed) is None,
        "return": return_refusal(user, entry) is None,
        "reverse": reverse_refusal(user, entry, this_month, closed) is None,
    }
