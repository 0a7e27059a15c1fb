"""Ready rows of distribution plans for the pages and the API: no arithmetic left to templates.

Household names come as `villages.privacy` lets the caller see them.
"""

from decimal import Decimal

from sqlalchemy import func, select

from coopapp.distributions import permissions
from coopapp.distributions.plans import notice_ends
from coopapp.extensions import db
from coopapp.models import Area, Deduction, Distribution, DistributionLine, Household, Project
from coopapp.villages.privacy import Privacy

_HUNDRED = Decimal(100)


def _percent(percent_bp: int | None) -> Decimal | None:
    """Basis points as a percentage: 1500 → Decimal('15'), 1250 → Decimal('12.5')."""
    if percent_bp is None:
        return None
    return Decimal(percent_bp) / _HUNDRED


def plan_view(plan: Distribution, privacy: Privacy) -> dict:
    """A plan as the preview shows it: the pool, each deduction in order with what is left after
    it, the distributable rest, one line per household (names shown per `privacy`) and the lines'
    total (equal to the rest)."""
    remaining, deductions = int(plan.pool_fen), []
    for d in plan.deductions:
        remaining -= int(d.amount_fen)
        deductions.append(
            {
                "position": d.position,
                "kind": d.kind,
                "percent": _percent(d.percent_bp),
                "percent_bp": d.percent_bp,
                "fixed_fen": None if d.fixed_fen is None else int(d.fixed_fen),
                "amount_fen": int(d.amount_fen),
                "remaining_fen": remaining,
            }
        )
    names = _names([ln.household_id for ln in plan.lines])
    lines = [
        {
            "household_id": ln.household_id,
            "head_name": privacy.name(names.get(ln.household_id)),
            "shares": Decimal(ln.weight),
            "amount_fen": int(ln.amount_fen),
            "entry_id": ln.entry_id,
        }
        for ln in plan.lines
    ]
    return {
        "id": plan.id,
        "status": plan.status,
        "project_id": plan.project_id,
        "project": plan.project.name,
        "village": plan.village.code,
        "village_name": plan.village.name,
        "period": plan.period,
        "pool_fen": int(plan.pool_fen),
        "basis": plan.basis,
        "note": plan.note or "",
        "deductions": deductions,
        "deductions_total_fen": int(plan.pool_fen) - remaining,
        "distributable_fen": remaining,
        "lines": lines,
        "lines_total_fen": sum(line["amount_fen"] for line in lines),
        "households": len(lines),
        "collective_entry_id": plan.collective_entry_id,
        "created_at": plan.created_at,
        "published_at": plan.published_at,
        "notice_days": plan.notice_days,
        "notice_ends": notice_ends(plan),
        "reversal_reason": plan.reversal_reason,
        "needs_town": permissions.needs_town(plan),
        "town_approved_at": plan.town_approved_at,
        "town_return_reason": plan.town_return_reason,
        "masked": not privacy.names,
    }


def _names(household_ids: list[int]) -> dict[int, str]:
    """household id → head's name, in one query."""
    if not household_ids:
        return {}
    q = select(Household.id, Household.head_name).where(Household.id.in_(household_ids))
    return dict(db.session.execute(q).all())


def plan_list_rows(plans: list[Distribution]) -> list[dict]:
    """One summary row per plan (newest first as given), in three queries whatever the count."""
    ids = [p.id for p in plans]
    if not ids:
        return []
    deducted = dict(
        db.session.execute(
            select(Deduction.distribution_id, func.sum(Deduction.amount_fen))
            .where(Deduction.distribution_id.in_(ids))
            .group_by(Deduction.distribution_id)
        ).all()
    )
    households = dict(
        db.session.execute(
            select(DistributionLine.distribution_id, func.count())
            .where(DistributionLine.distribution_id.in_(ids))
            .group_by(DistributionLine.distribution_id)
        ).all()
    )
    projects = {
        p.id: p for p in db.session.scalars(select(Project).where(Project.id.in_({p.project_id for p in plans})))
    }
    villages = {a.id: a for a in db.session.scalars(select(Area).where(Area.id.in_({p.village_id for p in plans})))}
    return [
        {
            "id": p.id,
            "status": p.status,
            "project_id": p.project_id,
            "project": projects[p.project_id].name,
            "village": villages[p.village_id].code,
            "village_name": villages[p.village_id].name,
            "period": p.period,
            "pool_fen": int(p.pool_fen),
            "basis": p.basis,
            "distributable_fen": int(p.pool_fen) - int(deducted.get(p.id) or 0),
            "households": int(households.get(p.id) or 0),
            "created_at": p.created_at,
            "town_return_reason": p.town_return_reason,
            # approved, but above the county's size: the town accountant's turn before it is published
            "awaits_town": permissions.awaits_town(p),
        }
        for p in plans
    ]
