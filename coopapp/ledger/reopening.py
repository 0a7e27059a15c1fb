"""Reopening a closed month (反结账): the secretary asks, with a reason; the town accountant approves
(the month is open again) or refuses. Only the village's latest closed month can be reopened (months
close in order, `permissions.first_open_months`), one request at a time. The request row keeps who
asked, why, who decided and when; every step is audited, the closed month's removal too.

As in `permissions`: each `*_refusal` is asked by its operation and by its button.
"""

from flask_babel import gettext as _
from sqlalchemy import func, select

from coopapp.access import audit
from coopapp.access.scope import forbidden, get_authorized, village_ids_clause
from coopapp.core.tx import atomic
from coopapp.errors import Conflict, Invalid
from coopapp.extensions import db
from coopapp.ledger.locks import lock_village
from coopapp.ledger.permissions import Refusal, refuse
from coopapp.models import Area, ClosedMonth, MonthReopening, User
from coopapp.models.base import utcnow


def latest_closed(village_id: int) -> str | None:
    """The village's latest closed month, if any."""
    return db.session.scalar(select(func.max(ClosedMonth.period)).where(ClosedMonth.village_id == village_id))


def pending_request(village_id: int) -> MonthReopening | None:
    """The village's request awaiting the town, if any."""
    q = select(MonthReopening).where(MonthReopening.village_id == village_id, MonthReopening.status == "pending")
    return db.session.scalars(q).first()


def _reason(text: str | None, field: str = "reason") -> str:
    reason = (text or "").strip()
    if not reason:
        raise Invalid(_("请填写原因。"), {field: _("请填写原因。")})
    if len(reason) > 500:
        raise Invalid(_("原因过长（最多 500 字）。"), {field: _("原因过长（最多 500 字）。")})
    return reason


def request_refusal(user: User, village: Area, period: str) -> Refusal:
    """The secretary asks to reopen the village's latest closed month, when no request is pending."""
    refusal = forbidden(user, "close_month", village)
    if refusal is not None:
        return refusal
    latest = latest_closed(village.id)
    if latest is None:
        return Conflict(_("还没有结账的月份。"))
    if period != latest:
        return Conflict(_("只能反结账最近结账的月份（%(p)s）。", p=latest))
    if pending_request(village.id) is not None:
        return Conflict(_("已有一个反结账申请待镇审批。"))
    return None


def decide_refusal(user: User, reopening: MonthReopening) -> Refusal:
    """The town accountant approves or refuses a pending request, whose month is still the latest closed."""
    refusal = forbidden(user, "town_review", reopening.village)
    if refusal is not None:
        return refusal
    if reopening.status != "pending":
        return Conflict(_("该反结账申请已处理。"))
    if latest_closed(reopening.village_id) != reopening.period:
        return Conflict(_("%(p)s 已不是最近结账的月份，不能反结账。", p=reopening.period))
    return None


@atomic
def request_reopening(user: User, village: Area, period: str, reason: str) -> MonthReopening:
    """The secretary asks the town to reopen the latest closed month (reason required)."""
    reason = _reason(reason)
    lock_village(village.id)
    refuse(request_refusal(user, village, period))
    reopening = MonthReopening(village_id=village.id, period=period, reason=reason, requested_by_id=user.id)
    db.session.add(reopening)
    db.session.flush()
    audit.record(user, "month_reopening.request", reopening)
    return reopening


@atomic
def approve_reopening(user: User, reopening: MonthReopening) -> MonthReopening:
    """The town approves: the month is open again (its closing is removed, audited with the request)."""
    lock_village(reopening.village_id)
    refuse(decide_refusal(user, reopening))
    closed = db.session.scalars(
        select(ClosedMonth).where(
            ClosedMonth.village_id == reopening.village_id, ClosedMonth.period == reopening.period
        )
    ).one()
    audit.record(user, "month.delete", closed, {"reopening": reopening.id, "reason": reopening.reason})
    db.session.delete(closed)
    reopening.status, reopening.decided_by_id, reopening.decided_at = "approved", user.id, utcnow()
    db.session.flush()
    audit.record(user, "month_reopening.approve", reopening)
    return reopening


@atomic
def refuse_reopening(user: User, reopening: MonthReopening, answer: str) -> MonthReopening:
    """The town refuses, with its reason: the month stays closed."""
    answer = _reason(answer)
    refuse(decide_refusal(user, reopening))
    reopening.status, reopening.decided_by_id, reopening.decided_at = "refused", user.id, utcnow()
    reopening.answer = answer
    db.session.flush()
    audit.record(user, "month_reopening.refuse", reopening)
    return reopening


def get_reopening(reopening_id: int, user: User) -> MonthReopening:
    """A request the user may see (404 if none)."""
    return get_authorized(MonthReopening, reopening_id, user, "view", _("反结账申请不存在。"))


def history(village: Area, limit: int = 20) -> list[MonthReopening]:
    """The village's requests, newest first (the months page)."""
    q = select(MonthReopening).where(MonthReopening.village_id == village.id)
    return list(db.session.scalars(q.order_by(MonthReopening.id.desc()).limit(limit)))


def pending_for(user: User) -> list[MonthReopening]:
    """The requests awaiting the town in the user's scope (the town's queue), oldest first."""
    q = select(MonthReopening).where(
        MonthReopening.status == "pending", village_ids_clause(user, MonthReopening.village_id)
    )
    return list(db.session.scalars(q.order_by(MonthReopening.id)))
