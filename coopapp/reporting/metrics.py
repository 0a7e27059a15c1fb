"""Metrics read from the summary tables (only approved entries count)."""

from collections import defaultdict
from decimal import Decimal
from functools import cache

from flask import current_app
from sqlalchemy import and_, bindparam, func, or_, select, union_all
from sqlalchemy import null as sa_null
from sqlalchemy.orm import aliased, selectinload

from coopapp.access.scope import VillageRef, village_ref, visible_village_refs
from coopapp.core.income_statement import EXPENSE_KINDS
from coopapp.core.money import median_fen
from coopapp.extensions import db
from coopapp.models import (
    Area,
    Household,
    HouseholdYearSummary,
    Project,
    ProjectYearSummary,
    User,
    VillageBenefitSummary,
    VillageRoster,
    VillageYearSummary,
)
from coopapp.models.base import plain_rows


def growth(current: int | None, previous: int | None) -> Decimal | None:
    """Change against last year as a ratio (0.25 = +25%); None when last year had nothing."""
    if not previous:
        return None
    # Amounts and counts are ints: subtract before converting (the same exact quotient, less work).
    return Decimal((current or 0) - previous) / Decimal(abs(previous))


def ratio(part: int | None, whole: int | Decimal | None) -> Decimal | None:
    """part / whole, None when whole is zero or missing."""
    if not whole:
        return None
    return Decimal(part or 0) / Decimal(whole)


@cache
def _figures_query():
    """The statement of `_village_figures`, built once (building it costs more than running it):
    each village's row of the village-year summaries this year and last (money), of its roster
    (households) and of the benefit summaries this year and last — five lookups by key a village."""
    year, last_year = bindparam("year"), bindparam("last_year")
    now, last = aliased(VillageBenefitSummary, name="now"), aliased(VillageBenefitSummary, name="last")
    money, money_last = aliased(VillageYearSummary, name="money"), aliased(VillageYearSummary, name="money_last")
    z = func.coalesce
    return (
        select(
            Area.id,
            z(money.collective_income_fen, 0),
            z(money.output_fen, 0),
            z(money_last.collective_income_fen, 0),
            z(money_last.output_fen, 0),
            z(VillageRoster.households, 0),
            z(VillageRoster.formerly_poor, 0),
            z(now.households_benefited, 0),
            z(now.benefit_total_fen, 0),
            z(now.benefit_median_fen, 0),
            z(now.formerly_poor_benefited, 0),
            z(now.formerly_poor_benefit_total_fen, 0),
            z(now.formerly_poor_benefit_median_fen, 0),
            z(last.households_benefited, 0),
            z(last.benefit_total_fen, 0),
            z(last.formerly_poor_benefited, 0),
            z(last.formerly_poor_benefit_total_fen, 0),
            z(money.spending_fen, 0),
            z(money.statement_income_fen, 0),
        )
        .outerjoin(money, and_(money.village_id == Area.id, money.year == year))
        .outerjoin(money_last, and_(money_last.village_id == Area.id, money_last.year == last_year))
        .outerjoin(VillageRoster, VillageRoster.village_id == Area.id)
        .outerjoin(now, and_(now.village_id == Area.id, now.year == year))
        .outerjoin(last, and_(last.village_id == Area.id, last.year == last_year))
        .where(Area.id.in_(bindparam("ids", expanding=True)))
    )


def _village_figures(village_ids: list[int], year: int) -> tuple[dict[int, tuple], dict[int, int]]:
    """village → its figures for `year` and the year before, from the summary tables in one
    query: income, output, last year's income and output; households, formerly poor
    households (the village's roster); this year's benefited, total, median (all, then formerly poor); last year's
    benefited and total (all, then formerly poor); the year's spending and income by the income
    statement (`core.income_statement`). Absent figures are 0. Merged villages (撤并村)
    are counted in their survivors as `_with_merged` says; its second result says which."""
    params = {"ids": village_ids, "year": year, "last_year": year - 1}
    figures = {row[0]: row[1:] for row in plain_rows(_figures_query(), params)}
    return _with_merged(figures, params)


# The positions in a `_village_figures` tuple that add up: all but the two medians.
_WIDTH = 18
_ADDED = tuple(i for i in range(_WIDTH) if i not in (8, 11))


def _counted_in(merges: dict[int, tuple[int, int | None]], year: int) -> dict[int, int]:
    """merged village → the village that stands for it in `year`: the end of its chain of merges
    dated in or before `year` (A into B in 2024, B into C in 2025: in 2024 A counts in B; from
    2025 on both count in C). A merge without a date counts in every year."""
    found = {}
    for village in merges:
        rep, seen = village, set()
        while rep in merges and rep not in seen:
            into, merged_year = merges[rep]
            if merged_year is not None and merged_year > year:
                break
            seen.add(rep)
            rep = into
        if rep != village:
            found[village] = rep
    return found


def _with_merged(figures: dict[int, tuple], params: dict) -> tuple[dict[int, tuple], dict[int, int]]:
    """撤并村: the survivor's year-on-year growth compares like with like.

    Village M merged into S on a day of year m. For a compared year Y:

    - Y < m: M and S were two villages in Y and in Y − 1; each row is its own and S is given
      none of M's figures.
    - Y ≥ m: S stands for both villages in both years. M's figures of Y and of Y − 1 are added to
      S's (every figure that adds up; S keeps its own medians, and a household paid by both
      villages' ledgers in one year counts once in each, as in a town's sum). In the merge year
      this makes both years whole: year m is M's own ledger before the merge plus S's, which
      holds M's households' payouts after it; year m − 1 is both villages' year. In m + 1, last
      year is S's and M's year m; later years add what M's kept ledger still holds (usually
      nothing).
    - Chains follow: A into B (year a), B later into C (year b ≥ a): for a ≤ Y < b A counts in
      B; for Y ≥ b A and B count in C.

    M's own row stays in the table (its history), marked by the second result — merged village
    → the village that counts it — so that town totals leave it out and nothing counts twice. A
    village counts in its survivor only when the survivor is among `params["ids"]`.

    One query for the merges (a short list: the merged villages of the database), and one more for
    the figures of merged villages that are not among `ids` only when there are any.
    """
    rows = plain_rows(select(Area.id, Area.merged_into_id, Area.merged_on).where(Area.merged_into_id.is_not(None)))
    if not rows:
        return figures, {}
    # Plain rows: the date comes as a date (PostgreSQL) or as its ISO text (SQLite).
    merges = {vid: (into, int(str(on)[:4]) if on is not None else None) for vid, into, on in rows}
    wanted = set(params["ids"])
    counted = {m: s for m, s in _counted_in(merges, params["year"]).items() if s in wanted}
    if not counted:
        return figures, {}
    theirs = dict(figures)
    missing = [m for m in counted if m not in theirs]
    if missing:
        theirs.update((row[0], row[1:]) for row in plain_rows(_figures_query(), {**params, "ids": missing}))
    none = (0,) * _WIDTH
    for merged, survivor in counted.items():
        own, add = list(figures.get(survivor, none)), theirs.get(merged, none)
        for i in _ADDED:
            own[i] += add[i]
        figures[survivor] = tuple(own)
    return figures, {m: s for m, s in counted.items() if m in wanted}


def town_medians(village_ids: list[int], year: int) -> dict[tuple[int, bool | None], int]:
    """The median yearly payout per benefited household of each town over these villages (a
    village's own is kept in its VillageBenefitSummary): (town id, None) for all households,
    (town id, True) for the formerly poor. Computed in the database — the middle one or two
    payouts of each group by window functions — so no payout list is fetched; towns without
    payouts are absent."""
    payouts = (
        select(
            Area.parent_id.label("g"),
            Household.formerly_poor.label("poor"),
            HouseholdYearSummary.payout_fen.label("fen"),
        )
        .select_from(HouseholdYearSummary)
        .join(Household, Household.id == HouseholdYearSummary.household_id)
        .join(Area, Area.id == HouseholdYearSummary.village_id)
        .where(
            HouseholdYearSummary.year == year,
            HouseholdYearSummary.village_id.in_(village_ids),
            HouseholdYearSummary.payout_fen > 0,
        )
    )
    p = payouts.cte("p")
    everyone = select(
        p.c.g,
        sa_null().label("poor"),
        p.c.fen,
        func.row_number().over(partition_by=p.c.g, order_by=p.c.fen).label("rn"),
        func.count().over(partition_by=p.c.g).label("n"),
    )
    poor = select(
        p.c.g,
        p.c.poor,
        p.c.fen,
        func.row_number().over(partition_by=p.c.g, order_by=p.c.fen).label("rn"),
        func.count().over(partition_by=p.c.g).label("n"),
    ).where(p.c.poor.is_(True))
    ranked = union_all(everyone, poor).subquery("r")
    middle = select(ranked.c.g, ranked.c.poor, ranked.c.fen).where(
        or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == ranked.c.n // 2 + 1)
    )
    found: dict[tuple[int, bool | None], list[int]] = defaultdict(list)
    for g, is_poor, fen in db.session.execute(middle):
        found[(g, None if is_poor is None else True)].append(int(fen))
    return {key: median_fen(sorted(values)) for key, values in found.items()}


def benefit_figures(
    households: int,
    benefited: int,
    total_fen: int,
    median: int,
    benefited_last_year: int,
    total_last_year_fen: int,
    prefix: str = "",
) -> dict:
    """The benefit figures of one group of households (keys prefixed, e.g. `formerly_poor_`).

    Mean is total // benefited (whole fen, rounded down); mean and median are 0 when no
    household benefited.
    """
    mean = total_fen // benefited if benefited else 0
    mean_last_year = total_last_year_fen // benefited_last_year if benefited_last_year else 0
    counted = "formerly_poor_benefited" if prefix else "households_benefited"
    return {
        f"{prefix}households": households,
        counted: benefited,
        f"{prefix}coverage": ratio(benefited, households),
        f"{prefix}benefit_total_fen": total_fen,
        f"{prefix}benefit_mean_fen": mean,
        f"{prefix}benefit_median_fen": median,
        f"{counted}_last_year": benefited_last_year,
        f"{prefix}benefit_total_last_year_fen": total_last_year_fen,
        f"{counted}_growth": growth(benefited, benefited_last_year),
        f"{prefix}benefit_total_growth": growth(total_fen, total_last_year_fen),
        f"{prefix}benefit_mean_growth": growth(mean, mean_last_year),
    }


def has_figures(row: dict) -> bool:
    """Does a village's row (`village_rows`) hold anything for its year: money, or households benefited?"""
    return bool(
        row["collective_income_fen"]
        or row["output_value_fen"]
        or row["spending_fen"]
        or row["net_income_fen"]
        or row["households_benefited"]
    )


def listed(village: VillageRef, row: dict) -> bool:
    """Is the village listed in a year's tables? A retired one (撤销) only with figures of that year —
    its history — or, merged (撤并), as the row marked as counted in its survivor (`counted_in`);
    `town_totals` never counts it as a village of the town otherwise."""
    return not village.retired or bool(row.get("counted_in")) or has_figures(row)


def _refs(villages: list[VillageRef | Area]) -> list[VillageRef]:
    """Villages as `VillageRef`s (the callers with a few `Area` objects in hand pass those)."""
    return [v if type(v) is VillageRef else village_ref(v) for v in villages]


def village_rows(villages: list[VillageRef | Area], year: int) -> list[dict]:
    """One row of metrics per village for `year` (and growth against year − 1).

    Benefit figures come from the village benefit summaries: households with payouts > 0,
    coverage of the roster, total, mean and median per benefited household, the same for
    formerly poor households (`formerly_poor_…`), and last year's counts and totals with growth.
    One query over the summary tables and the roster, however many villages (it is hot: the
    county comparison builds 300 of these rows, so they are written out, not assembled).
    """
    if not villages:
        return []
    villages = _refs(villages)
    figures, counted_in = _village_figures([v.id for v in villages], year)
    codes = {v.id: v.code for v in villages} if counted_in else {}
    weak_below = current_app.config["WEAK_VILLAGE_THRESHOLD_FEN"]
    none = (0,) * _WIDTH
    rows = []
    for v in villages:
        (
            income,
            output,
            income_last,
            output_last,
            households,
            poor,
            benefited,
            total,
            median,
            poor_benefited,
            poor_total,
            poor_median,
            benefited_last,
            total_last,
            poor_benefited_last,
            poor_total_last,
            spending,
            statement_income,
        ) = figures.get(v.id, none)
        mean = total // benefited if benefited else 0
        mean_last = total_last // benefited_last if benefited_last else 0
        poor_mean = poor_total // poor_benefited if poor_benefited else 0
        poor_mean_last = poor_total_last // poor_benefited_last if poor_benefited_last else 0
        rows.append(
            {
                "code": v.code,
                "name": v.name,
                "town": v.town_name,
                # 撤并村: the village whose row counts this one's figures this year (see _with_merged).
                "counted_in": codes[counted_in[v.id]] if v.id in counted_in else None,
                "collective_income_fen": income,
                "output_value_fen": output,
                # the income statement: 支出 (the four spending lines) and 本年收益 (income − 支出)
                "spending_fen": spending,
                "net_income_fen": statement_income - spending,
                "collective_income_last_year_fen": income_last,
                "output_value_last_year_fen": output_last,
                "collective_income_growth": growth(income, income_last),
                "output_value_growth": growth(output, output_last),
                "weak": income < weak_below and v.id not in counted_in,
                # benefit_figures(…) of all households, then of the formerly poor, inline.
                "households": households,
                "households_benefited": benefited,
                "coverage": ratio(benefited, households),
                "benefit_total_fen": total,
                "benefit_mean_fen": mean,
                "benefit_median_fen": median,
                "households_benefited_last_year": benefited_last,
                "benefit_total_last_year_fen": total_last,
                "households_benefited_growth": growth(benefited, benefited_last),
                "benefit_total_growth": growth(total, total_last),
                "benefit_mean_growth": growth(mean, mean_last),
                "benefit_per_household_fen": mean,  # the older name of the mean
                "formerly_poor_households": poor,
                "formerly_poor_benefited": poor_benefited,
                "formerly_poor_coverage": ratio(poor_benefited, poor),
                "formerly_poor_benefit_total_fen": poor_total,
                "formerly_poor_benefit_mean_fen": poor_mean,
                "formerly_poor_benefit_median_fen": poor_median,
                "formerly_poor_benefited_last_year": poor_benefited_last,
                "formerly_poor_benefit_total_last_year_fen": poor_total_last,
                "formerly_poor_benefited_growth": growth(poor_benefited, poor_benefited_last),
                "formerly_poor_benefit_total_growth": growth(poor_total, poor_total_last),
                "formerly_poor_benefit_mean_growth": growth(poor_mean, poor_mean_last),
            }
        )
    return rows


def project_rows(village: Area, year: int) -> list[dict]:
    """Per-project figures of a village for `year`: output, income, yield, attainment."""
    projects = list(
        db.session.scalars(
            select(Project)
            .where(Project.village_id == village.id)
            .options(selectinload(Project.targets))
            .order_by(Project.id)
        )
    )
    q = select(
        ProjectYearSummary.project_id,
        ProjectYearSummary.year,
        ProjectYearSummary.kind,
        ProjectYearSummary.amount_fen,
        ProjectYearSummary.quantity,
    ).where(ProjectYearSummary.year.in_((year, year - 1)), ProjectYearSummary.village_id == village.id)
    sums: dict = defaultdict(lambda: (0, Decimal(0)))
    for pid, y, kind, amount, quantity in db.session.execute(q):
        sums[(pid, y, kind)] = (int(amount), Decimal(quantity or 0))
    targets = {p.id: p.target_for(year) for p in projects}
    rows = []
    for p in projects:
        target = targets[p.id]
        target_output = target.output_fen if target else None
        target_income = target.collective_income_fen if target else None
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
                # 支出: the four spending lines of the income statement (成本 among them)
                "cost_fen": sum(sums[(p.id, year, kind)][0] for kind in EXPENSE_KINDS),
                "output_value_last_year_fen": sums[(p.id, year - 1, "output")][0],
                "yield_fen_per_unit": int(Decimal(output) / capacity) if capacity else None,
                "target_output_fen": target_output,
                "output_attainment": ratio(output, target_output),
                "target_collective_income_fen": target_income,
                "collective_income_attainment": ratio(income, target_income),
            }
        )
    return rows


def village_summary(village: Area, year: int) -> dict:
    """The village's year: headline metrics, growth and one row per project."""
    row = village_rows([village], year)[0]
    row["year"] = year
    row["projects"] = project_rows(village, year)
    return row


# The figures that add up exactly from villages to towns; the rest is recomputed from them.
_TOWN_SUMS = (
    "collective_income_fen",
    "output_value_fen",
    "spending_fen",
    "net_income_fen",
    "collective_income_last_year_fen",
    "output_value_last_year_fen",
    "households",
    "households_benefited",
    "benefit_total_fen",
    "households_benefited_last_year",
    "benefit_total_last_year_fen",
    "formerly_poor_households",
    "formerly_poor_benefited",
    "formerly_poor_benefit_total_fen",
    "formerly_poor_benefited_last_year",
    "formerly_poor_benefit_total_last_year_fen",
)


def _town_benefit(sums: dict, median: int, prefix: str) -> dict:
    counted = "formerly_poor_benefited" if prefix else "households_benefited"
    return benefit_figures(
        sums[f"{prefix}households"],
        sums[counted],
        sums[f"{prefix}benefit_total_fen"],
        median,
        sums[f"{counted}_last_year"],
        sums[f"{prefix}benefit_total_last_year_fen"],
        prefix,
    )


def town_rows(user: User, area: Area, year: int) -> list[dict]:
    """The villages the user may see under `area`, summed per town for `year` (ordered by code).

    Counts and totals are summed; coverage, mean and growth are recomputed from the sums, and
    the median from the yearly payouts of every benefited household of the town.
    """
    villages = visible_village_refs(user, area)
    return town_totals(villages, village_rows(villages, year), year)


def town_totals(villages: list[VillageRef | Area], rows: list[dict], year: int) -> list[dict]:
    """`rows` (one per village of `villages`, same order) summed per town, ordered by town code;
    medians over the benefited households of these villages only. A merged village's row counted
    in its survivor's (`counted_in`) is left out: its figures are in the survivor's."""
    towns: dict[str, dict] = {}
    villages = _refs(villages)
    for village, row in zip(villages, rows, strict=True):
        if row.get("counted_in"):
            continue  # 撤并村: its figures are in the row of the village that counts it
        if not listed(village, row):
            continue  # retired before this year's figures
        total = towns.setdefault(
            village.town_code,
            {
                "id": village.town_id,
                "code": village.town_code,
                "name": village.town_name,
                "villages": 0,
                "weak_villages": 0,
                **dict.fromkeys(_TOWN_SUMS, 0),
            },
        )
        total["villages"] += 1
        total["weak_villages"] += int(row["weak"])
        for key in _TOWN_SUMS:
            total[key] += row[key]
    middle = town_medians([v.id for v in villages], year) if villages else {}
    out = []
    for code in sorted(towns):
        town = towns[code]
        town_id = town.pop("id")
        town["collective_income_growth"] = growth(
            town["collective_income_fen"], town["collective_income_last_year_fen"]
        )
        town["output_value_growth"] = growth(town["output_value_fen"], town["output_value_last_year_fen"])
        town.update(_town_benefit(town, middle.get((town_id, None), 0), ""))
        town["benefit_per_household_fen"] = town["benefit_mean_fen"]
        town.update(_town_benefit(town, middle.get((town_id, True), 0), "formerly_poor_"))
        out.append(town)
    return out
