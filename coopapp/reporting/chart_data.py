"""The numbers behind the charts, read from the summary tables only (never the ledger).

Each function returns plain data (ints in fen, Decimals for quantities) that the drawing
code in `coopapp.charts` turns into a picture, an alt text and a table.
"""

from collections import defaultdict
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import Area, AuditHead, Household, HouseholdYearSummary, MonthlySummary, Project, User
from coopapp.reporting import comparison as comparison_rules
from coopapp.reporting import metrics
from coopapp.reporting.metric_table import compared_metric


def data_version() -> int:
    """A number that changes whenever approved figures may have changed: the audit chain's
    length (every approval, publication and edit appends to it). One primary-key read."""
    return int(db.session.scalar(select(AuditHead.seq).where(AuditHead.id == 1)) or 0)


def _monthly(project_ids: list[int], years: tuple[int, ...], kind: str = "output") -> dict:
    """(project, year) → twelve monthly amounts in fen, for one kind."""
    out: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0] * 12)
    if not project_ids:
        return out
    q = select(MonthlySummary.project_id, MonthlySummary.year, MonthlySummary.month, MonthlySummary.amount_fen).where(
        MonthlySummary.project_id.in_(project_ids), MonthlySummary.year.in_(years), MonthlySummary.kind == kind
    )
    for pid, year, month, amount in db.session.execute(q):
        out[(pid, year)][month - 1] += int(amount)
    return out


def _output_target(project: Project, year: int) -> int | None:
    target = project.target_for(year)
    return (target.output_fen or None) if target else None


def _output_row(project: Project, year: int, monthly: dict) -> dict:
    months, last = list(monthly[(project.id, year)]), list(monthly[(project.id, year - 1)])
    return {
        "project_id": project.id,
        "project": project.name,
        "village": project.village.name,
        "year": year,
        "months_fen": months,
        "last_year_fen": last,
        "total_fen": sum(months),
        "last_year_total_fen": sum(last),
        "target_output_fen": _output_target(project, year),
    }


def project_output(project: Project, year: int) -> dict:
    """A project's monthly output value in `year` and `year − 1`, and its annual target."""
    return _output_row(project, year, _monthly([project.id], (year, year - 1)))


def village_project_outputs(village: Area, year: int) -> list[dict]:
    """`project_output` for every project of a village, in one query (for the village page)."""
    q = select(Project).where(Project.village_id == village.id).options(selectinload(Project.targets))
    projects = list(db.session.scalars(q.order_by(Project.id)))
    monthly = _monthly([p.id for p in projects], (year, year - 1))
    return [_output_row(p, year, monthly) for p in projects]


def project_yield(project: Project) -> dict:
    """A project's yield per unit of capacity for every year with approved output.

    Photovoltaic projects with an output quantity are measured in kWh per kW; every other
    project (and PV without quantities) in yuan of output value per unit of capacity.
    The capacity is the project's current one.
    """
    q = (
        select(
            MonthlySummary.year,
            func.sum(MonthlySummary.amount_fen),
            func.sum(MonthlySummary.quantity),
            func.max(MonthlySummary.month),
        )
        .where(MonthlySummary.project_id == project.id, MonthlySummary.kind == "output")
        .group_by(MonthlySummary.year)
        .order_by(MonthlySummary.year)
    )
    years = [(int(y), int(a or 0), Decimal(qty or 0), int(m)) for y, a, qty, m in db.session.execute(q)]
    capacity = Decimal(project.capacity) if project.capacity else None
    by_quantity = project.type == "photovoltaic" and any(qty for _y, _a, qty, _m in years)
    this_year = ledger.today().year
    rows = []
    for year, amount, qty, last_month in years:
        if capacity:
            value = (qty if by_quantity else Decimal(amount) / 100) / capacity
        else:
            value = None
        # This year's figure covers only the months so far: say so rather than show a "drop".
        partial_to = last_month if year >= this_year and last_month < 12 else None
        rows.append({"year": year, "output_fen": amount, "quantity": qty, "yield": value, "partial_to": partial_to})
    target, this_target = None, _output_target(project, this_year)  # the line shows this year's plan
    if capacity and this_target and not by_quantity:
        target = Decimal(this_target) / 100 / capacity
    return {
        "project_id": project.id,
        "project": project.name,
        "village": project.village.name,
        "type": project.type,
        "capacity": capacity,
        "capacity_unit": project.capacity_unit,
        "basis": "quantity" if by_quantity else "value",
        "years": rows,
        "target_yield": target,
    }


def village_benefit(village: Area, year: int) -> dict:
    """Every household's approved payouts in `year` (those above zero), flagged 脱贫户,
    and the roster counts for coverage."""
    q = (
        select(HouseholdYearSummary.payout_fen, Household.formerly_poor)
        .join(Household, Household.id == HouseholdYearSummary.household_id)
        .where(
            HouseholdYearSummary.village_id == village.id,
            HouseholdYearSummary.year == year,
            HouseholdYearSummary.payout_fen > 0,
        )
        .order_by(HouseholdYearSummary.payout_fen)
    )
    payouts = [(int(fen), bool(poor)) for fen, poor in db.session.execute(q)]
    counts = dict(
        db.session.execute(
            select(Household.formerly_poor, func.count())
            .where(Household.village_id == village.id)
            .group_by(Household.formerly_poor)
        ).all()
    )
    households = int(sum(counts.values()))
    benefited = len(payouts)
    return {
        "village": village.name,
        "year": year,
        "households": households,
        "formerly_poor_households": int(counts.get(True, 0)),
        "payouts": payouts,
        "benefited": benefited,
        "formerly_poor_benefited": sum(1 for _f, poor in payouts if poor),
        "coverage": metrics.ratio(benefited, households),
        "total_fen": sum(f for f, _p in payouts),
    }


def comparison(user: User, area: Area, year: int, metric: str, by: str) -> dict:
    """Villages (or, with by="town", towns) under `area` ranked by `metric`, highest first.

    Raises BadRequest for an unknown metric. The chart reads the metric's kind and label from
    `metric_table.METRICS`.
    """
    key = compared_metric(metric).key
    rows = metrics.town_rows(user, area, year) if by == "town" else comparison_rules.compare(user, area, year, metric)
    ranked = sorted(
        ({"code": r["code"], "name": r["name"], "value": r.get(key), "weak": r.get("weak", False)} for r in rows),
        key=lambda r: (r["value"] is None, -(r["value"] or 0), r["code"]),
    )
    return {
        "area": area.name,
        "year": year,
        "metric": metric,
        "by": by,
        "rows": ranked,
        "weak_threshold_fen": current_app.config["WEAK_VILLAGE_THRESHOLD_FEN"]
        if metric == "collective_income" and by == "village"
        else None,
    }
