"""Distribution plans (收益分配): deductions in order, then an exact split to the fen.

draft (preview) → approved (locked) → published (one payout entry per line and one
collective-income entry for the collective's share, in one transaction) → reversed.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from coopapp.access import audit
from coopapp.access.scope import authorize, get_authorized, village_ids_clause
from coopapp.core.money import format_yuan
from coopapp.core.periods import last_day
from coopapp.core.tx import atomic
from coopapp.core.vocabulary import BASES, DEDUCTION_KINDS
from coopapp.distributions import permissions
from coopapp.errors import Invalid
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.ledger.permissions import refuse, reversal_of
from coopapp.models import (
    Area,
    Deduction,
    Distribution,
    DistributionLine,
    Household,
    LedgerEntry,
    Membership,
    Project,
    User,
)
from coopapp.models.base import get_by_id, utcnow

MAX_WEIGHT = Decimal(10) ** 9
HUNDRED_PERCENT_BP = 10_000
# The notice period (公示期) after publication in which households may object, in days.
DEFAULT_NOTICE_DAYS = 7
MIN_NOTICE_DAYS, MAX_NOTICE_DAYS = 1, 90


@dataclass
class DeductionInput:
    """A deduction as the secretary states it: a percentage (basis points) of what is left, or a sum."""

    kind: str
    percent_bp: int | None = None
    fixed_fen: int | None = None


@dataclass
class PlanInput:
    project_id: int
    period: str
    pool_fen: int
    basis: str
    deductions: list[DeductionInput] = field(default_factory=list)
    fixed: list[tuple[int, Decimal]] = field(default_factory=list)  # (household id, weight) for "fixed"
    note: str = ""
    notice_days: int = DEFAULT_NOTICE_DAYS


def allocate(total_fen: int, weights: dict[int, Decimal]) -> dict[int, int]:
    """Split `total_fen` over keys in proportion to `weights`, exactly, by largest remainder.

    Each key first gets the floor of its exact share; the fen left over go one each to
    the largest remainders, ties broken by the smaller key (household id). So the parts
    sum to the total and none is a fen or more from its exact share.
    """
    milli = {k: int(Decimal(w) * 1000) for k, w in weights.items()}
    whole = sum(milli.values())
    if total_fen < 0 or whole <= 0 or any(w < 0 for w in milli.values()):
        raise ValueError("allocate needs a non-negative total and positive total weight")
    parts, remainders = {}, {}
    for key, weight in milli.items():
        parts[key], remainders[key] = divmod(total_fen * weight, whole)
    left = total_fen - sum(parts.values())
    for key in sorted(milli, key=lambda k: (-remainders[k], k))[:left]:
        parts[key] += 1
    return parts


def apply_deductions(pool_fen: int, deductions: list[DeductionInput]) -> list[int]:
    """The amount of each deduction, in order: a percentage takes its share of what is left then."""
    remaining, amounts = pool_fen, []
    for position, d in enumerate(deductions, start=1):
        if d.percent_bp is not None:
            amount = int((Decimal(remaining) * d.percent_bp / HUNDRED_PERCENT_BP).quantize(Decimal(1), ROUND_HALF_UP))
        else:
            amount = d.fixed_fen or 0
        if amount > remaining:
            raise Invalid(
                _("扣除项超过剩余金额。"),
                {
                    "deductions": _(
                        "第 %(n)s 项扣除（%(a)s 元）超过剩余的 %(r)s 元。",
                        n=position,
                        a=format_yuan(amount),
                        r=format_yuan(remaining),
                    )
                },
            )
        amounts.append(amount)
        remaining -= amount
    return amounts


def shares_on(cooperative_id: int, day: date) -> dict[int, Decimal]:
    """household id → shares held in the cooperative on `day` (each household's latest change by then)."""
    latest = (
        select(Membership.household_id, func.max(Membership.since).label("since"))
        .where(Membership.cooperative_id == cooperative_id, Membership.since <= day)
        .group_by(Membership.household_id)
        .subquery()
    )
    q = (
        select(Membership.household_id, Membership.shares)
        .join(
            latest,
            (Membership.household_id == latest.c.household_id) & (Membership.since == latest.c.since),
        )
        .where(Membership.cooperative_id == cooperative_id)
    )
    return {hh: Decimal(shares) for hh, shares in db.session.execute(q) if shares > 0}


def _weights(project: Project, data: PlanInput) -> dict[int, Decimal]:
    """Who shares the rest, and by how much, under the plan's basis."""
    if data.basis == "fixed":
        weights: dict[int, Decimal] = {}
        for household_id, weight in data.fixed:
            household = get_by_id(Household, household_id)
            if household is None or household.village_id != project.village_id:
                raise Invalid(
                    _("名单中有不属于本村的农户。"), {"households": _("农户 %(id)s 不属于本村。", id=household_id)}
                )
            if household_id in weights:
                raise Invalid(_("名单中农户重复。"), {"households": _("农户 %(id)s 重复。", id=household_id)})
            if (
                weight is None
                or weight < 0
                or weight >= MAX_WEIGHT
                or weight != Decimal(weight).quantize(Decimal("0.001"))
            ):
                raise Invalid(
                    _("权重必须是不大的非负数（最多三位小数）。"),
                    {"households": _("农户 %(id)s 的权重不对。", id=household_id)},
                )
            if weight > 0:
                weights[household_id] = Decimal(weight)
    elif project.cooperative_id is not None:
        held = shares_on(project.cooperative_id, last_day(data.period))  # shares held at the month's end
        weights = held if data.basis == "shares" else {hh: Decimal(1) for hh in held}
    elif data.basis == "equal":
        ids = db.session.scalars(select(Household.id).where(Household.village_id == project.village_id))
        weights = {hh: Decimal(1) for hh in ids}
    else:
        raise Invalid(_("村集体项目没有股份，请按户平均或按名单分配。"), {"basis": _("村集体项目不能按股分配。")})
    if not weights:
        raise Invalid(_("没有符合条件的农户。"), {"basis": _("按此方式没有可分配的农户（股份、成员或名单为空）。")})
    return weights


def _check(data: PlanInput) -> Project:
    errors = {}
    if data.pool_fen is None or data.pool_fen <= 0:
        errors["pool"] = _("分配总额必须大于零。")
    if data.basis not in BASES:
        errors["basis"] = _("未知分配方式：%(b)s", b=data.basis)
    for position, d in enumerate(data.deductions, start=1):
        if d.kind not in DEDUCTION_KINDS:
            errors["deductions"] = _("第 %(n)s 项扣除类别不对。", n=position)
        elif (d.percent_bp is None) == (d.fixed_fen is None):
            errors["deductions"] = _("第 %(n)s 项扣除请填比例或金额之一。", n=position)
        elif d.percent_bp is not None and not 0 <= d.percent_bp <= HUNDRED_PERCENT_BP:
            errors["deductions"] = _("第 %(n)s 项扣除比例应在 0–100%% 之间。", n=position)
        elif d.fixed_fen is not None and d.fixed_fen < 0:
            errors["deductions"] = _("第 %(n)s 项扣除金额不能为负数。", n=position)
    if not isinstance(data.notice_days, int) or not MIN_NOTICE_DAYS <= data.notice_days <= MAX_NOTICE_DAYS:
        errors["notice_days"] = _("公示期应为 %(a)s–%(b)s 天。", a=MIN_NOTICE_DAYS, b=MAX_NOTICE_DAYS)
    project = get_by_id(Project, data.project_id)
    if project is None:
        errors["project_id"] = _("项目不存在。")
    if errors:
        raise Invalid(_("请改正标出的字段。"), errors)
    return project


@atomic
def draft_plan(user: User, data: PlanInput) -> Distribution:
    """The secretary drafts a plan; its lines are the preview."""
    project = _check(data)
    authorize(user, "distribute", project.village)
    if not project.active:
        raise Invalid(_("项目已停用。"), {"project_id": _("项目已停用。")})
    ledger.check_open_period(project.village, data.period)
    amounts = apply_deductions(data.pool_fen, data.deductions)
    rest = data.pool_fen - sum(amounts)
    weights = _weights(project, data)
    shares = allocate(rest, weights)
    plan = Distribution(
        project_id=project.id,
        village_id=project.village_id,
        period=data.period,
        pool_fen=data.pool_fen,
        basis=data.basis,
        note=(data.note or "").strip(),
        notice_days=data.notice_days,
        created_by_id=user.id,
    )
    plan.deductions = [
        Deduction(position=i, kind=d.kind, percent_bp=d.percent_bp, fixed_fen=d.fixed_fen, amount_fen=a)
        for i, (d, a) in enumerate(zip(data.deductions, amounts, strict=True), start=1)
    ]
    plan.lines = [
        DistributionLine(household_id=hh, weight=weights[hh], amount_fen=shares[hh]) for hh in sorted(weights)
    ]
    db.session.add(plan)
    audit.record(user, "distribution.draft", plan)
    return plan


def get_plan(plan_id: int, user: User, action: str = "view") -> Distribution:
    """Load a plan the user may `action` (404 if none)."""
    return get_authorized(Distribution, plan_id, user, action, _("分配方案不存在。"))


def plans_for(user: User, village: Area | None = None) -> list[Distribution]:
    """Plans in the user's scope, newest first."""
    q = select(Distribution).where(village_ids_clause(user, Distribution.village_id))
    if village is not None:
        q = q.where(Distribution.village_id == village.id)
    return list(db.session.scalars(q.order_by(Distribution.id.desc()).limit(500)))


@atomic
def approve_plan(user: User, plan: Distribution) -> Distribution:
    """The secretary approves the previewed plan: from now on it cannot change."""
    refuse(permissions.approve_refusal(user, plan))
    plan.status, plan.approved_by_id, plan.town_return_reason = "approved", user.id, None
    db.session.flush()
    audit.record(user, "distribution.approve", plan)
    return plan


@atomic
def town_approve_plan(user: User, plan: Distribution) -> Distribution:
    """The town accountant approves a large plan the secretary approved: it may now be published."""
    refuse(permissions.town_approve_refusal(user, plan))
    plan.town_approved_by_id, plan.town_approved_at = user.id, utcnow()
    db.session.flush()
    audit.record(user, "distribution.town_approve", plan)
    return plan


@atomic
def town_return_plan(user: User, plan: Distribution, reason: str) -> Distribution:
    """The town accountant sends a large plan back to the secretary with a reason: it is a draft again
    (to be approved anew, or deleted and previewed again), and its page and the plan list show the
    town's reason until it is approved again."""
    refuse(permissions.town_return_refusal(user, plan))
    plan.status, plan.approved_by_id, plan.town_return_reason = "draft", None, reason
    db.session.flush()
    audit.record(user, "distribution.town_return", plan, {"reason": reason})
    return plan


def returned_by_town(user: User) -> int:
    """How many plans in the user's scope the town sent back (drafts with the town's reason): the
    secretary's to-do."""
    return db.session.scalar(
        select(func.count()).where(
            village_ids_clause(user, Distribution.village_id),
            Distribution.status == "draft",
            Distribution.town_return_reason.is_not(None),
        )
    )


def awaiting_town(user: User) -> list[Distribution]:
    """Approved plans in the user's scope that wait for the town (the town's queue), oldest first: the
    unpublished approved plans the town has not approved, of which those the county's threshold covers
    (`permissions.awaits_town`)."""
    q = select(Distribution).where(
        village_ids_clause(user, Distribution.village_id),
        Distribution.status == "approved",
        Distribution.town_approved_by_id.is_(None),
    )
    return [plan for plan in db.session.scalars(q.order_by(Distribution.id)) if permissions.awaits_town(plan)]


@atomic
def discard_plan(user: User, plan: Distribution) -> None:
    """Delete an unpublished plan that will not be used (audited), e.g. one whose month was closed."""
    refuse(permissions.discard_refusal(user, plan))
    audit.record(user, "distribution.delete", plan)
    db.session.delete(plan)


def paid_lines(plan: Distribution) -> list[DistributionLine]:
    """The lines that publishing posts as dividend entries: those with an amount."""
    return [line for line in plan.lines if line.amount_fen > 0]


def collective_share(plan: Distribution) -> int:
    """What the plan's deductions keep for the village collective."""
    return sum(d.amount_fen for d in plan.deductions if d.kind == "collective")


@atomic
def publish_plan(user: User, plan: Distribution) -> Distribution:
    """Post one dividend entry per line and one collective-income entry, all at once."""
    refuse(permissions.publish_refusal(user, plan))
    ledger.check_open_period(plan.village, plan.period)
    note = f"收益分配 #{plan.id}"
    payouts = [
        (line, _entry(plan, user, "dividend", line.amount_fen, line.household_id, note)) for line in paid_lines(plan)
    ]
    entries = [e for _line, e in payouts]
    collective = None
    if collective_share(plan) > 0:
        collective = _entry(plan, user, "collective_income", collective_share(plan), None, f"{note} 村集体留存")
        entries.append(collective)
    ledger.post_approved(user, entries, "entry.publish", {"distribution": plan.id})
    for line, line_entry in payouts:
        line.entry_id = line_entry.id
    plan.collective_entry_id = collective.id if collective else None
    plan.status, plan.published_at = "published", utcnow()
    db.session.flush()
    audit.record(user, "distribution.publish", plan)
    return plan


def _entry(plan: Distribution, user: User, kind: str, amount: int, household_id, note: str) -> LedgerEntry:
    return LedgerEntry(
        project_id=plan.project_id,
        village_id=plan.village_id,
        period=plan.period,
        kind=kind,
        amount_fen=amount,
        household_id=household_id,
        group_id=plan.project.group_id,  # a group's project pays in the group's books
        note=note,
        created_by_id=user.id,
    )


def posted_entries(plan: Distribution) -> list[LedgerEntry]:
    """The ledger entries a published plan posted."""
    ids = permissions.posted_entry_ids(plan)
    if not ids:
        return []
    return list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.id.in_(ids)).order_by(LedgerEntry.id)))


def entries_to_reverse(plan: Distribution) -> list[LedgerEntry]:
    """The entries a reversal of the plan negates: those it posted, except a line already corrected on its
    own (e.g. after an objection), which keeps that correction."""
    return [e for e in posted_entries(plan) if reversal_of(e) is None]


@atomic
def reverse_plan(user: User, plan: Distribution, reason: str) -> Distribution:
    """Reverse a published plan as a whole: every entry it posted gets its approved negation."""
    refuse(permissions.reverse_refusal(user, plan))
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("冲销方案时必须填写原因。"), {"reason": _("请填写原因。")})
    live = entries_to_reverse(plan)
    reversals = [ledger.build_reversal(user, e, reason) for e in live]
    ledger.post_approved(user, reversals, "entry.reverse", {"distribution": plan.id})
    plan.status, plan.reversal_reason = "reversed", reason
    db.session.flush()
    audit.record(user, "distribution.reverse", plan)
    return plan


def notice_ends(plan: Distribution):
    """When the objection period (公示期) of a published plan ends, or None."""
    if plan.published_at is None:
        return None
    return plan.published_at + timedelta(days=plan.notice_days)


def check_welfare_jobs(user: User, data: PlanInput, min_bp: int | None) -> None:
    """A photovoltaic plan must set aside at least `min_bp` basis points of the pool for public-welfare
    jobs (公益岗位), as PV poverty-relief income rules require; no rule when `min_bp` is None.

    Called before `draft_plan` with the WELFARE_JOBS_MIN_BP setting; an unknown project is left to it.
    """
    if not min_bp or data.pool_fen is None or data.pool_fen <= 0:
        return
    project = get_by_id(Project, data.project_id)
    if project is None or project.type != "photovoltaic":
        return
    authorize(user, "distribute", project.village)
    amounts = apply_deductions(data.pool_fen, data.deductions)
    welfare = sum(a for d, a in zip(data.deductions, amounts, strict=True) if d.kind == "welfare_jobs")
    if welfare * HUNDRED_PERCENT_BP < data.pool_fen * min_bp:
        percent = format(Decimal(min_bp) / 100, "f")
        needed = -(-data.pool_fen * min_bp // HUNDRED_PERCENT_BP)
        raise Invalid(
            _("光伏项目的分配须至少把分配总额的 %(p)s%% 用于公益岗位。", p=percent),
            {
                "deductions": _(
                    "请加一项“公益岗位”扣除，合计不少于 %(a)s 元（分配总额的 %(p)s%%），现为 %(w)s 元。",
                    a=format_yuan(needed),
                    p=percent,
                    w=format_yuan(welfare),
                )
            },
        )
