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

Entries are reviewed in stages (`REVIEW_STAGES`): the village secretary reviews a submitted entry;
when the county's tiers (`coopapp.settings`) ask for the town as well, the secretary's approval
leaves it `awaiting_town` and the town accountant reviews it next (`needs_town`).

Months close in order: a month cannot close while an earlier month holding an entry (any but a
voided one) is open (`first_open_months`); a month with no entries never blocks.
"""

from collections.abc import Container

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, exists, func, select

from coopapp import settings
from coopapp.access.scope import can, forbidden
from coopapp.core.money import format_yuan
from coopapp.core.periods import is_period
from coopapp.core.vocabulary import SPENDING_KINDS, STATUSES
from coopapp.errors import Conflict, DomainError, Invalid
from coopapp.extensions import db
from coopapp.ledger.spending import banned_refusal
from coopapp.models import Area, ClosedMonth, Distribution, LedgerEntry, User, Voucher

EDITABLE = ("draft", "returned")
# Entries still to settle: a month holding one cannot be closed (`close_month`, `ledger.queries.closable_months`).
UNSETTLED = ("draft", "submitted", "awaiting_town", "returned")
# Who reviews an entry in each status: the village secretary first, then (above a tier) the town.
REVIEW_STAGES = {"submitted": "review_entry", "awaiting_town": "town_review"}
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
    if entry.created_by_id != user.id:
        return Conflict(_("只能修改自己登记的记录。"))
    if entry.status in ("submitted", "awaiting_town"):
        return Conflict(_("这条记录已提交审核，不能再修改；如需改动，请审核人退回后再改。"))
    if entry.status == "approved":
        return Conflict(_("已审核的记录不能修改；如有错误，请作冲销。"))
    if entry.status not in EDITABLE:
        return Conflict(_("这条记录已作废，不能修改。"))
    if entry.reverses_id is not None:
        return Conflict(_("冲销记录不能修改。"))
    return None


def submit_refusal(user: User, entry: LedgerEntry, closed: Container[str] | None = None) -> Refusal:
    """Only the author submits, a draft or returned entry of an open month, with its original voucher
    when the county requires one (`voucher_refusal`)."""
    refusal = forbidden(user, "submit_entry", entry.village)
    if refusal is not None:
        return refusal
    if entry.created_by_id != user.id:
        return Conflict(_("只能提交自己登记的记录。"))
    if entry.status not in EDITABLE:
        return Conflict(_("只有草稿或被退回的记录可以提交（当前：%(s)s）。", s=STATUSES.label(entry.status)))
    if _closed(entry.village_id, entry.period, closed):
        return closed_month(entry.period)
    banned = banned_refusal(entry)
    if banned is not None:
        return Invalid(banned, {"category": banned})
    return voucher_refusal(entry)


def needs_voucher(entry: LedgerEntry) -> bool:
    """Is this spending above the amount from which the county requires an original voucher?"""
    above = settings.for_area(entry.village).voucher_required_above_fen
    return above is not None and entry.kind in SPENDING_KINDS and abs(entry.amount_fen) > above


def voucher_refusal(entry: LedgerEntry) -> Refusal:
    """Spending above the county's amount (`Settings.voucher_required_above_fen`) is submitted only
    with at least one original voucher (原始凭证) attached."""
    if not needs_voucher(entry):
        return None
    if db.session.scalar(select(Voucher.id).where(Voucher.entry_id == entry.id).limit(1)) is not None:
        return None
    above = format_yuan(settings.for_area(entry.village).voucher_required_above_fen)
    message = _("超过 %(a)s 元的支出须附原始凭证（发票、收据的照片或 PDF）：请先上传凭证，再提交。", a=above)
    return Invalid(message, {"vouchers": message})


def without_voucher(village: Area, *where: ColumnElement[bool], limit: int = 1) -> list[LedgerEntry]:
    """The first `limit` of the village's entries selected by `where` that `voucher_refusal` refuses
    (a bulk submit asks this once instead of once per entry; the batch page lists them)."""
    above = settings.for_area(village).voucher_required_above_fen
    if above is None:
        return []
    vouchered = exists(select(Voucher.id).where(Voucher.entry_id == LedgerEntry.id))
    q = select(LedgerEntry).where(
        *where, LedgerEntry.kind.in_(SPENDING_KINDS), func.abs(LedgerEntry.amount_fen) > above, ~vouchered
    )
    return list(db.session.scalars(q.order_by(LedgerEntry.id).limit(limit)))


def first_without_voucher(village: Area, *where: ColumnElement[bool]) -> LedgerEntry | None:
    """The first of `without_voucher`, if any."""
    first = without_voucher(village, *where)
    return first[0] if first else None


def attach_voucher_refusal(user: User, entry: LedgerEntry) -> Refusal:
    """The author attaches (and removes) vouchers while the entry is a draft or returned; once it is
    submitted or approved its vouchers are fixed (409)."""
    refusal = forbidden(user, "create_entry", entry.village)
    if refusal is not None:
        return refusal
    if entry.created_by_id != user.id:
        return Conflict(_("只能给自己登记的记录添加或删除凭证。"))
    if entry.status not in EDITABLE:
        return Conflict(_("只有草稿或被退回的记录可以添加或删除凭证；已提交或已审核的记录，凭证不能再改。"))
    return None


def remove_voucher_refusal(user: User, voucher: Voucher) -> Refusal:
    """A voucher is removed under the same rule as it is attached (`attach_voucher_refusal`)."""
    return attach_voucher_refusal(user, voucher.entry)


def void_refusal(user: User, entry: LedgerEntry) -> Refusal:
    """Only the author voids, a draft or returned entry."""
    refusal = forbidden(user, "create_entry", entry.village)
    if refusal is not None:
        return refusal
    if entry.status not in EDITABLE or entry.created_by_id != user.id:
        return Conflict(_("只能作废自己的草稿或被退回的记录。"))
    return None


def town_required(village: Area, kind: str, amount_fen: int) -> bool:
    """Does the county's tier for `kind` and `amount_fen` ask for the town's approval after the
    secretary's? Read from the county's one settings object (cached): no query per entry."""
    tier = settings.for_area(village).tier_for(kind, amount_fen)
    return tier is not None and "town_accountant" in tier.approvers


def needs_town(entry: LedgerEntry) -> bool:
    """Does the entry need the town's approval after the secretary's (`town_required`)?"""
    return town_required(entry.village, entry.kind, entry.amount_fen)


def return_refusal(user: User, entry: LedgerEntry) -> Refusal:
    """The reviewer of the entry's stage (`REVIEW_STAGES`) returns it, in any month: it goes back to
    its author — the secretary a submitted entry, the town accountant one awaiting the town."""
    action = REVIEW_STAGES.get(entry.status)
    if action is not None and can(user, action, entry.village):
        return None
    if not any(can(user, a, entry.village) for a in REVIEW_STAGES.values()):
        return forbidden(user, "review_entry", entry.village)
    if entry.status == "awaiting_town":
        return Conflict(_("该记录村书记已审核，正待镇审核。"))
    if entry.status == "submitted":
        return Conflict(_("该记录须先由村书记审核，再由镇审核。"))
    return Conflict(_("该记录不在待审核状态（当前：%(s)s），可能已被他人处理。", s=STATUSES.label(entry.status)))


def approve_refusal(user: User, entry: LedgerEntry, closed: Container[str] | None = None) -> Refusal:
    """The reviewer of the entry's stage approves it, in an open month."""
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
    submitted, awaiting the town, returned) and none of its plans awaits publication."""
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
        return Conflict(
            _("%(p)s 还有 %(n)s 条记录未处理（草稿、待审、待镇审核或被退回），处理完才能结账。", p=period, n=pending)
        )
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
        "attach_voucher": attach_voucher_refusal(user, entry) is None,
    }
