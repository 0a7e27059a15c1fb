"""Objections (异议) a household raises from its public statement page, and the secretary's answers."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from coopapp.access import audit
from coopapp.access.scope import authorize, village_ids_clause
from coopapp.core.periods import year_of
from coopapp.core.tx import atomic
from coopapp.core.vocabulary import PAYOUT_KINDS
from coopapp.distributions.plans import MAX_NOTICE_DAYS, notice_ends
from coopapp.errors import Conflict, Invalid, NotFound
from coopapp.extensions import db
from coopapp.models import Area, Distribution, DistributionLine, Household, LedgerEntry, Objection, User
from coopapp.models.base import get_by_id, utcnow

MAX_TEXT = 1000
# More open objections than this from one household to one plan are refused (a flood, not a question).
MAX_OPEN_PER_PLAN = 5
OUTCOMES = ("resolved", "rejected")


def household_by_token(token: str) -> Household:
    """The household whose public statement page this token opens (404 if none)."""
    household = None
    if token and len(token) <= 64:
        household = db.session.scalar(select(Household).where(Household.public_token == token))
    if household is None:
        raise NotFound(_("页面不存在或链接已失效。"))
    return household


@dataclass
class PublishedPlan:
    """A published plan of the household's village as its public page shows it.

    `amount_fen` is None when the plan has no line for the household (本户未列入).
    """

    plan: Distribution
    amount_fen: int | None
    notice_ends: datetime
    open: bool


def published_plans_for(household: Household, year: int | None = None) -> list[PublishedPlan]:
    """Published plans of the household's village that it may want to see, newest publication first.

    Every plan still in its notice period (公示期), whether or not it lists the household (a household
    left out may object that its shares were not counted); and the plans that list the household
    whose period lies in `year` (every one of them when `year` is None).
    """
    now = utcnow()
    line = (DistributionLine.distribution_id == Distribution.id) & (DistributionLine.household_id == household.id)
    q = (
        select(Distribution, DistributionLine.amount_fen)
        .outerjoin(DistributionLine, line)
        .where(
            Distribution.village_id == household.village_id,
            Distribution.status == "published",
            # a plan without the household's line matters only while it may still be open
            or_(
                DistributionLine.id.is_not(None),
                Distribution.published_at > now - timedelta(days=MAX_NOTICE_DAYS),
            ),
        )
        .options(selectinload(Distribution.project))
        .order_by(Distribution.published_at.desc(), Distribution.id.desc())
    )
    rows = []
    for plan, amount in db.session.execute(q):
        ends = notice_ends(plan)
        is_open = ends is not None and now < ends
        listed = amount is not None
        if is_open or (listed and (year is None or year_of(plan.period) == year)):
            rows.append(PublishedPlan(plan, int(amount) if listed else None, ends, is_open))
    return rows


@atomic
def raise_objection(household: Household, distribution_id: int, text: str) -> Objection:
    """The household (no login: the actor is None) objects to a published plan of its village during
    the plan's notice period, whether or not the plan lists it ("my shares were not counted")."""
    text = (text or "").strip()
    if not text:
        raise Invalid(_("请写明异议内容。"), {"text": _("请写明异议内容。")})
    if len(text) > MAX_TEXT:
        raise Invalid(_("异议内容过长。"), {"text": _("最多 %(n)s 个字。", n=MAX_TEXT)})
    plan = get_by_id(Distribution, distribution_id)
    if plan is None or plan.village_id != household.village_id:
        raise Invalid(
            _("该分配方案不是本村的，不能对其提出异议。"), {"distribution_id": _("请选择本村公示中的分配方案。")}
        )
    if plan.status != "published":
        raise Conflict(_("该分配方案未公布或已被冲销，不能提出异议。"))
    ends = notice_ends(plan)
    if ends is None or utcnow() >= ends:
        raise Conflict(_("该分配方案的公示期已结束，不能再提出异议。"))
    pending = db.session.scalar(
        select(func.count()).where(
            Objection.household_id == household.id,
            Objection.distribution_id == plan.id,
            Objection.status == "open",
        )
    )
    if pending >= MAX_OPEN_PER_PLAN:
        raise Conflict(_("本户对该方案已有 %(n)s 条异议待答复，请等待村书记答复。", n=pending))
    objection = Objection(
        household_id=household.id, village_id=household.village_id, distribution_id=plan.id, text=text
    )
    db.session.add(objection)
    audit.record(None, "objection.create", objection)
    return objection


def objections_of(household: Household) -> list[Objection]:
    """The household's own objections, newest first (for its public page)."""
    q = (
        select(Objection)
        .where(Objection.household_id == household.id)
        .options(selectinload(Objection.distribution).selectinload(Distribution.project))
        .order_by(Objection.id.desc())
        .limit(100)
    )
    return list(db.session.scalars(q))


def get_objection(objection_id: int, user: User, action: str = "view") -> Objection:
    """Load an objection the user may `action` (404 if none)."""
    objection = get_by_id(Objection, objection_id)
    if objection is None:
        raise NotFound(_("异议不存在。"))
    authorize(user, action, db.session.get(Area, objection.village_id))
    return objection


def _check_answer(objection: Objection, outcome: str, answer: str, correction_entry_id: int | None) -> str:
    errors = {}
    answer = (answer or "").strip()
    if outcome not in OUTCOMES:
        errors["outcome"] = _("请选择处理结果。")
    if not answer:
        errors["answer"] = _("请填写答复。") if outcome == "resolved" else _("驳回时必须填写理由。")
    elif len(answer) > MAX_TEXT:
        errors["answer"] = _("最多 %(n)s 个字。", n=MAX_TEXT)
    if correction_entry_id is not None:
        entry = get_by_id(LedgerEntry, correction_entry_id)
        if outcome != "resolved":
            errors["correction_entry_id"] = _("驳回的异议不关联更正记录。")
        elif entry is None or entry.village_id != objection.village_id:
            errors["correction_entry_id"] = _("更正记录不存在或不属于本村。")
        elif entry.household_id != objection.household_id or entry.kind not in PAYOUT_KINDS:
            errors["correction_entry_id"] = _("更正记录必须是付给该农户的款项（或其冲销）。")
        elif entry.status != "approved":
            errors["correction_entry_id"] = _("更正记录须先审核通过。")
    if errors:
        raise Invalid(_("请改正标出的字段。"), errors)
    return answer


@atomic
def answer_objection(
    user: User, objection: Objection, outcome: str, answer: str, correction_entry_id: int | None = None
) -> Objection:
    """The secretary resolves an open objection (with an answer, optionally a correction entry) or rejects it."""
    authorize(user, "distribute", db.session.get(Area, objection.village_id))
    answer = _check_answer(objection, outcome, answer, correction_entry_id)
    # Only the first answer lands, even when two secretaries answer at once.
    done = db.session.execute(
        update(Objection)
        .where(Objection.id == objection.id, Objection.status == "open")
        .values(
            status=outcome,
            answer=answer,
            correction_entry_id=correction_entry_id,
            answered_by_id=user.id,
            answered_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise Conflict(_("该异议已经答复过了。"))
    db.session.refresh(objection)
    audit.record(user, f"objection.{'resolve' if outcome == 'resolved' else 'reject'}", objection)
    return objection


def objections_for(user: User, village: Area, status: str | None = None) -> list[Objection]:
    """The village's objections: open ones oldest first, then the latest answered ones, newest first."""
    authorize(user, "view", village)
    base = (
        select(Objection)
        .where(Objection.village_id == village.id)
        .options(
            selectinload(Objection.household),
            selectinload(Objection.distribution).selectinload(Distribution.project),
        )
    )
    rows: list[Objection] = []
    if status in (None, "open"):
        rows += db.session.scalars(base.where(Objection.status == "open").order_by(Objection.id).limit(500))
    if status is None or status in OUTCOMES:
        answered = base.where(Objection.status.in_(OUTCOMES) if status is None else Objection.status == status)
        rows += db.session.scalars(answered.order_by(Objection.answered_at.desc(), Objection.id.desc()).limit(200))
    return rows


def amounts_for(objections: list[Objection]) -> dict[int, int | None]:
    """objection id → the household's amount in the plan objected to, None when not listed (one query)."""
    if not objections:
        return {}
    q = select(DistributionLine.distribution_id, DistributionLine.household_id, DistributionLine.amount_fen).where(
        DistributionLine.distribution_id.in_({o.distribution_id for o in objections}),
        DistributionLine.household_id.in_({o.household_id for o in objections}),
    )
    found = {(d, h): int(a) for d, h, a in db.session.execute(q)}
    return {o.id: found.get((o.distribution_id, o.household_id)) for o in objections}


def open_objections(user: User) -> tuple[int, datetime | None]:
    """Objections not yet answered in the villages of the user's scope: how many, and when the
    oldest was raised (one query, however many villages)."""
    count, oldest = db.session.execute(
        select(func.count(), func.min(Objection.created_at)).where(
            Objection.status == "open", village_ids_clause(user, Objection.village_id)
        )
    ).one()
    return int(count or 0), oldest
