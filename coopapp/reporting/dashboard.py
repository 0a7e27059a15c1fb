"""The village dashboard and a project's months, from the summary tables.

The only ledger read is the count of entries waiting for review (an indexed count of the
village's entries at a review stage, independent of the ledger's length).
"""

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select

from coopapp.core.income_statement import EXPENSE_KINDS
from coopapp.core.vocabulary import PAYOUT_KINDS
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.ledger.permissions import REVIEW_STAGES
from coopapp.models import Area, LedgerEntry, MonthlySummary, Project, ProjectTarget, User
from coopapp.reporting import metrics

HEADLINE_KINDS = ("collective_income", "output")


def through_month(year: int) -> int:
    """The last month a year-to-date figure of `year` covers: the current month this year,
    December for past years, 0 for a future year."""
    today = ledger.today()
    if year < today.year:
        return 12
    return today.month if year == today.year else 0


def waiting_for_review(user: User, village: Area) -> int:
    """How many of the village's entries (that the user may see) wait at a review stage — the
    secretary's (submitted) or the town's (awaiting_town): none of them counts yet."""
    q = ledger.entries_query(user, village=village).where(LedgerEntry.status.in_(REVIEW_STAGES)).order_by(None)
    return int(db.session.scalar(select(func.count()).select_from(q.subquery())) or 0)


def _headline(ytd: int, last_year: int, target: int, months: int) -> dict:
    return {
        "ytd_fen": ytd,
        "last_year_fen": last_year,
        "target_fen": target or None,
        "attainment": metrics.ratio(ytd, target),
        "growth": metrics.growth(ytd, last_year),
        "change_fen": ytd - last_year,
        "time_progress": Decimal(months) / 12,
    }


def village_dashboard(user: User, village: Area, year: int, months: int) -> dict:
    """Year-to-date (January to `months`) collective income and output of the village against
    the annual target (the sum of its projects' targets) and the same months of last year;
    the year's benefit figures; the entries waiting for review; one row per project."""
    q = (
        select(MonthlySummary.year, MonthlySummary.kind, func.sum(MonthlySummary.amount_fen))
        .where(
            MonthlySummary.village_id == village.id,
            MonthlySummary.year.in_((year, year - 1)),
            MonthlySummary.month <= months,
            MonthlySummary.kind.in_(HEADLINE_KINDS),
        )
        .group_by(MonthlySummary.year, MonthlySummary.kind)
    )
    sums = {(y, kind): int(total or 0) for y, kind, total in db.session.execute(q)}
    targets = db.session.execute(
        select(
            func.coalesce(func.sum(ProjectTarget.collective_income_fen), 0),
            func.coalesce(func.sum(ProjectTarget.output_fen), 0),
        )
        .join(Project, ProjectTarget.project_id == Project.id)
        .where(Project.village_id == village.id, ProjectTarget.year == year)
    ).one()
    summary = metrics.village_summary(village, year)
    return {
        "year": year,
        "last_year": year - 1,
        "through_month": months,
        "collective_income": _headline(
            sums.get((year, "collective_income"), 0),
            sums.get((year - 1, "collective_income"), 0),
            int(targets[0]),
            months,
        ),
        "output_value": _headline(
            sums.get((year, "output"), 0), sums.get((year - 1, "output"), 0), int(targets[1]), months
        ),
        "waiting": waiting_for_review(user, village),
        "summary": summary,
    }


MONTH_KINDS = ("output", "sales", "cost", "collective_income", "subsidy")


def project_months(project: Project, year: int) -> dict:
    """A project's approved figures month by month in `year` (output value and quantity, sales,
    cost, collective income, subsidies, household payouts) with totals, last year's output and
    the year's own targets."""
    q = (
        select(
            MonthlySummary.year,
            MonthlySummary.month,
            MonthlySummary.kind,
            MonthlySummary.amount_fen,
            MonthlySummary.quantity,
        )
        .where(MonthlySummary.project_id == project.id, MonthlySummary.year.in_((year, year - 1)))
        .order_by(MonthlySummary.month)
    )
    cells: dict = defaultdict(int)
    quantities: dict[int, Decimal] = defaultdict(Decimal)
    for y, month, kind, amount, quantity in db.session.execute(q):
        # 支出 (cost_fen): every spending line of the income statement, 成本 among them
        column = "payouts" if kind in PAYOUT_KINDS else "cost" if kind in EXPENSE_KINDS else kind
        cells[(y, month, column)] += int(amount)
        if y == year and kind == "output":
            quantities[month] += Decimal(quantity or 0)
    columns = (*MONTH_KINDS, "payouts")
    rows = []
    for month in range(1, 13):
        row = {"month": month, "output_quantity": quantities.get(month, Decimal(0))}
        row.update({f"{c}_fen": cells[(year, month, c)] for c in columns})
        row["output_last_year_fen"] = cells[(year - 1, month, "output")]
        rows.append(row)
    totals = {f"{c}_fen": sum(r[f"{c}_fen"] for r in rows) for c in (*columns, "output_last_year")}
    totals["output_quantity"] = sum((r["output_quantity"] for r in rows), Decimal(0))
    capacity = Decimal(project.capacity) if project.capacity else None
    target = project.target_for(year)
    return {
        "year": year,
        "rows": rows,
        "totals": totals,
        "has_data": any(totals[f"{c}_fen"] for c in columns) or bool(totals["output_quantity"]),
        "capacity": capacity,
        "yield_fen_per_unit": int(Decimal(totals["output_fen"]) / capacity) if capacity else None,
        "target_output_fen": target.output_fen if target else None,
        "target_collective_income_fen": target.collective_income_fen if target else None,
        "output_attainment": metrics.ratio(totals["output_fen"], target.output_fen if target else None),
        "collective_income_attainment": metrics.ratio(
            totals["collective_income_fen"], target.collective_income_fen if target else None
        ),
        "output_growth": metrics.growth(totals["output_fen"], totals["output_last_year_fen"]),
    }
