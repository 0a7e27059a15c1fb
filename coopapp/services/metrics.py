"""Metrics read from the summary tables (only approved entries count)."""

from collections import defaultdict
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..errors import BadRequest
from ..extensions import db
from ..models import Area, Household, HouseholdYearSummary, MonthlySummary, Project, User
from .scope import visible_villages

COMPARE_METRICS = (
    "collective_income",
    "output_value",
    "households_benefited",
    "coverage",
    "benefit_total",
    "benefit_per_household",
    "collective_income_growth",
    "output_value_growth",
)
_KIND_OF = {"collective_income": "collective_income", "output_value": "output"}


def growth(current: int | None, previous: int | None) -> Decimal | None:
    """Change against last year as a ratio (0.25 = +25%); None when last year had nothing."""
    if not previous:
        return None
    return (Decimal(current or 0) - Decimal(previous)) / abs(Decimal(previous))


def ratio(part: int | None, whole: int | Decimal | None) -> Decimal | None:
    """part / whole, None when whole is zero or missing."""
    if not whole:
        return None
    return Decimal(part or 0) / Decimal(whole)


def _kind_totals(village_ids: list[int], years: tuple[int, ...]) -> dict[tuple[int, int, str], int]:
    q = (
        select(MonthlySummary.village_id, MonthlySummary.year, MonthlySummary.kind, func.sum(MonthlySummary.amount_fen))
        .where(MonthlySummary.village_id.in_(village_ids), MonthlySummary.year.in_(years))
        .group_by(MonthlySummary.village_id, MonthlySummary.year, MonthlySummary.kind)
    )
    return {(v, y, k): int(total) for v, y, k, total in db.session.execute(q)}


def _benefit(village_ids: list[int], years: tuple[int, ...]) -> dict[tuple[int, int], tuple[int, int]]:
    """(village, year) → (households with payouts > 0, total payouts to them)."""
    q = (
        select(
            HouseholdYearSummary.village_id,
            HouseholdYearSummary.year,
            func.count(),
            func.sum(HouseholdYearSummary.payout_fen),
        )
        .where(
            HouseholdYearSummary.village_id.in_(village_ids),
            HouseholdYearSummary.year.in_(years),
            HouseholdYearSummary.payout_fen > 0,
        )
        .group_by(HouseholdYearSummary.village_id, HouseholdYearSummary.year)
    )
    return {(v, y): (int(n), int(total)) for v, y, n, total in db.session.execute(q)}


def _household_counts(village_ids: list[int]) -> dict[int, int]:
    q = (
        select(Household.village_id, func.count())
        .where(Household.village_id.in_(village_ids))
        .group_by(Household.village_id)
    )
    return dict(db.session.execute(q).all())


def village_rows(villages: list[Area], year: int) -> list[dict]:
    """One row of metrics per village for `year` (and growth against year − 1)."""
    ids = [v.id for v in villages]
    if not ids:
        return []
    totals = _kind_totals(ids, (year, year - 1))
    benefit = _benefit(ids, (year, year - 1))
    households = _household_counts(ids)
    weak_below = current_app.config["WEAK_VILLAGE_THRESHOLD_FEN"]
    rows = []
    for v in villages:
        income = totals.get((v.id, year, "collective_income"), 0)
        output = totals.get((v.id, year, "output"), 0)
        benefited, benefit_total = benefit.get((v.id, year), (0, 0))
        n_households = households.get(v.id, 0)
        rows.append(
            {
                "code": v.code,
                "name": v.name,
                "town": v.parent.name if v.parent else "",
                "collective_income_fen": income,
                "output_value_fen": output,
                "households": n_households,
                "households_benefited": benefited,
                "coverage": ratio(benefited, n_households),
                "benefit_total_fen": benefit_total,
                "benefit_per_household_fen": benefit_total // benefited if benefited else 0,
                "collective_income_last_year_fen": totals.get((v.id, year - 1, "collective_income"), 0),
                "output_value_last_year_fen": totals.get((v.id, year - 1, "output"), 0),
                "collective_income_growth": growth(income, totals.get((v.id, year - 1, "collective_income"))),
                "output_value_growth": growth(output, totals.get((v.id, year - 1, "output"))),
                "weak": income < weak_below,
            }
        )
    return rows


def compare(user: User, area: Area, year: int, metric: str = "collective_income") -> list[dict]:
    """Every village the user may see under `area`, ranked by `metric` (highest first)."""
    if metric not in COMPARE_METRICS:
        raise BadRequest(_("未知指标：%(m)s", m=metric), {"metric": _("可选：%(all)s", all=", ".join(COMPARE_METRICS))})
    rows = village_rows(visible_villages(user, area), year)
    key = metric if metric in ("households_benefited", "coverage") or metric.endswith("growth") else f"{metric}_fen"
    rows.sort(key=lambda r: (r[key] is None, -(r[key] or 0), r["code"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


def project_rows(village: Area, year: int) -> list[dict]:
    """Per-project figures of a village for `year`: output, income, yield, attainment."""
    projects = list(db.session.scalars(select(Project).where(Project.village_id == village.id).order_by(Project.id)))
    q = (
        select(
            MonthlySummary.project_id,
            MonthlySummary.year,
            MonthlySummary.kind,
            func.sum(MonthlySummary.amount_fen),
            func.sum(MonthlySummary.quantity),
        )
        .where(MonthlySummary.village_id == village.id, MonthlySummary.year.in_((year, year - 1)))
        .group_by(MonthlySummary.project_id, MonthlySummary.year, MonthlySummary.kind)
    )
    sums: dict = defaultdict(lambda: (0, Decimal(0)))
    for pid, y, kind, amount, quantity in db.session.execute(q):
        sums[(pid, y, kind)] = (int(amount), Decimal(quantity or 0))
    rows = []
    for p in projects:
        output, output_qty = sums[(p.id, year, "output")]
        income, _q = sums[(p.id, year, "collective_income")]
        capacity = Decimal(p.capacity) if p.capacity else None
        rows.append(
            {
                "id": p.id,
                "name": p.name,
                "type": p.type,
                "cooperative": p.cooperative.name if p.cooperative else None,
                "capacity": capacity,
                "capacity_unit": p.capacity_unit,
                "output_value_fen": output,
                "output_quantity": output_qty,
                "collective_income_fen": income,
                "sales_fen": sums[(p.id, year, "sales")][0],
                "cost_fen": sums[(p.id, year, "cost")][0],
                "output_value_last_year_fen": sums[(p.id, year - 1, "output")][0],
                "yield_fen_per_unit": int(Decimal(output) / capacity) if capacity else None,
                "target_output_fen": p.target_output_fen,
                "output_attainment": ratio(output, p.target_output_fen),
                "target_collective_income_fen": p.target_collective_income_fen,
                "collective_income_attainment": ratio(income, p.target_collective_income_fen),
            }
        )
    return rows


def village_summary(village: Area, year: int) -> dict:
    """The village's year: headline metrics, growth and one row per project."""
    row = village_rows([village], year)[0]
    row["year"] = year
    row["projects"] = project_rows(village, year)
    return row


_TOWN_SUMS = ("collective_income_fen", "output_value_fen", "households", "households_benefited", "benefit_total_fen")


def town_rows(user: User, area: Area, year: int) -> list[dict]:
    """The villages the user may see under `area`, summed per town for `year` (ordered by code)."""
    villages = visible_villages(user, area)
    towns: dict[str, dict] = {}
    for village, row in zip(villages, village_rows(villages, year), strict=True):
        town = village.parent
        total = towns.setdefault(town.code, {"code": town.code, "name": town.name, "villages": 0, "weak_villages": 0})
        total["villages"] += 1
        total["weak_villages"] += int(row["weak"])
        for key in _TOWN_SUMS:
            total[key] = total.get(key, 0) + row[key]
    rows = [towns[code] for code in sorted(towns)]
    for row in rows:
        row["coverage"] = ratio(row["households_benefited"], row["households"])
        benefited = row["households_benefited"]
        row["benefit_per_household_fen"] = row["benefit_total_fen"] // benefited if benefited else 0
    return rows
