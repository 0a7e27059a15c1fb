"""Summary tables kept current on approval, and proof that they equal the ledger."""

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import case, delete, func, insert, select
from sqlalchemy.orm import aliased

from coopapp.access import audit
from coopapp.core.income_statement import EXPENSE_KINDS, INCOME_KINDS, statement
from coopapp.core.money import median_fen
from coopapp.core.periods import month_sql, year_sql
from coopapp.core.vocabulary import PAYOUT_KINDS
from coopapp.extensions import db
from coopapp.ledger.locks import lock_village
from coopapp.models import (
    GroupMonthlySummary,
    Household,
    HouseholdYearSummary,
    LedgerEntry,
    MonthlySummary,
    ProjectYearSummary,
    VillageBenefitSummary,
    VillageRoster,
    VillageYearSummary,
)
from coopapp.models.base import adding_upsert
from coopapp.models.households import roster_counts

_YEAR = year_sql(LedgerEntry.period)
_MONTH = month_sql(LedgerEntry.period)
_ORIGINAL = aliased(LedgerEntry)
# A household's benefit belongs to the year it was paid for: a reversal counts against
# the original's year even when it was posted later (e.g. after that year was closed).
_BENEFIT_YEAR = year_sql(func.coalesce(_ORIGINAL.period, LedgerEntry.period))
_MONTHLY_KEY = ("project_id", "year", "month", "kind")
_YEARLY_KEY = ("project_id", "year", "kind")
_HOUSEHOLD_KEY = ("household_id", "year")
_GROUP_KEY = ("group_id", "project_id", "year", "month", "kind")
_VILLAGE_YEAR_KEY = ("village_id", "year")
# The village-year summaries' money columns → the kinds each adds up (a kind may feed two:
# collective income is also the statement's 投资收益). Kinds on none of them (payouts) are not kept.
VILLAGE_YEAR_COLUMNS = {
    "collective_income_fen": ("collective_income",),
    "output_fen": ("output",),
    "statement_income_fen": INCOME_KINDS,
    "spending_fen": EXPENSE_KINDS,
}
_VILLAGE_YEAR_KINDS = frozenset(k for kinds in VILLAGE_YEAR_COLUMNS.values() for k in kinds)


def _upsert(model, key: tuple[str, ...], values: dict, added: tuple[str, ...]) -> None:
    """Count `values` into the summary `model`'s row of `key` (`models.base.adding_upsert`)."""
    dialect = db.session.get_bind().dialect.name
    db.session.execute(adding_upsert(dialect, model.__table__, key, values, added))


def apply_entries(entries: list[LedgerEntry]) -> None:
    """Add newly approved entries to the summaries, then refresh the benefit figures of each
    village-year they paid households in (once per village-year)."""
    touched = set()
    for entry in entries:
        if _apply(entry):
            touched.add((entry.village_id, benefit_year(entry)))
    _apply_groups(entries)
    for village_id, year in sorted(touched):
        refresh_benefit(village_id, (year,))


def _apply_groups(entries: list[LedgerEntry]) -> None:
    """Add the entries that belong to a village group to the group summaries: summed here first,
    so a batch costs one statement per group × project × month × kind, and nothing without groups."""
    sums: dict[tuple, list] = {}
    for entry in entries:
        if entry.group_id is None:
            continue
        key = (entry.group_id, entry.village_id, entry.project_id, entry.year, entry.month, entry.kind)
        total = sums.setdefault(key, [0, Decimal(0), 0])
        total[0] += entry.amount_fen
        total[1] += entry.quantity or Decimal(0)
        total[2] += 1
    for (group_id, village_id, project_id, year, month, kind), (fen, quantity, count) in sorted(sums.items()):
        _upsert(
            GroupMonthlySummary,
            _GROUP_KEY,
            {
                "group_id": group_id,
                "village_id": village_id,
                "project_id": project_id,
                "year": year,
                "month": month,
                "kind": kind,
                "amount_fen": fen,
                "quantity": quantity,
                "entry_count": count,
            },
            ("amount_fen", "quantity", "entry_count"),
        )


def apply_entry(entry: LedgerEntry) -> None:
    """Add one newly approved entry to the summaries (a reversal adds its negation)."""
    apply_entries([entry])


def _apply(entry: LedgerEntry) -> bool:
    """The additive summaries of one entry; True when it paid a household."""
    _upsert(
        MonthlySummary,
        _MONTHLY_KEY,
        {
            "village_id": entry.village_id,
            "project_id": entry.project_id,
            "year": entry.year,
            "month": entry.month,
            "kind": entry.kind,
            "amount_fen": entry.amount_fen,
            "quantity": entry.quantity or Decimal(0),
            "entry_count": 1,
        },
        ("amount_fen", "quantity", "entry_count"),
    )
    _upsert(
        ProjectYearSummary,
        _YEARLY_KEY,
        {
            "village_id": entry.village_id,
            "project_id": entry.project_id,
            "year": entry.year,
            "kind": entry.kind,
            "amount_fen": entry.amount_fen,
            "quantity": entry.quantity or Decimal(0),
            "entry_count": 1,
        },
        ("amount_fen", "quantity", "entry_count"),
    )
    add_village_year(entry.village_id, entry.year, entry.kind, entry.amount_fen)
    if entry.kind in PAYOUT_KINDS and entry.household_id is not None:
        _upsert(
            HouseholdYearSummary,
            _HOUSEHOLD_KEY,
            {
                "household_id": entry.household_id,
                "village_id": entry.village_id,
                "year": benefit_year(entry),
                "payout_fen": entry.amount_fen,
                "entry_count": 1,
            },
            ("payout_fen", "entry_count"),
        )
        return True
    return False


def add_village_year(village_id: int, year: int, kind: str, amount_fen: int, entries: int = 1) -> None:
    """Add an approved amount of `kind` to its village-year summary (nothing for a kind on none
    of its columns: payouts)."""
    if kind not in _VILLAGE_YEAR_KINDS:
        return
    _upsert(
        VillageYearSummary,
        _VILLAGE_YEAR_KEY,
        {
            "village_id": village_id,
            "year": year,
            **{col: amount_fen if kind in kinds else 0 for col, kinds in VILLAGE_YEAR_COLUMNS.items()},
            "entry_count": entries,
        },
        (*VILLAGE_YEAR_COLUMNS, "entry_count"),
    )


def _benefit_figures(rows) -> dict[tuple[int, int], dict]:
    """(village, year) → the VillageBenefitSummary figures of (village, year, formerly poor,
    yearly payout) rows, over the payouts > 0."""
    groups: dict[tuple[int, int], tuple[list[int], list[int]]] = {}
    for v, y, poor, fen in rows:
        if fen <= 0:
            continue
        everyone, formerly_poor = groups.setdefault((v, int(y)), ([], []))
        everyone.append(int(fen))
        if poor:
            formerly_poor.append(int(fen))
    out = {}
    for key, (everyone, poor) in groups.items():
        everyone.sort()
        poor.sort()
        out[key] = {
            "households_benefited": len(everyone),
            "benefit_total_fen": sum(everyone),
            "benefit_median_fen": median_fen(everyone),
            "formerly_poor_benefited": len(poor),
            "formerly_poor_benefit_total_fen": sum(poor),
            "formerly_poor_benefit_median_fen": median_fen(poor),
        }
    return out


def _benefit_rows(village_id: int | None, years: tuple[int, ...] | None) -> dict[tuple[int, int], dict]:
    """`_benefit_figures` of the household-year summaries (of one village and some years, or all)."""
    q = (
        select(
            HouseholdYearSummary.village_id,
            HouseholdYearSummary.year,
            Household.formerly_poor,
            HouseholdYearSummary.payout_fen,
        )
        .join(Household, Household.id == HouseholdYearSummary.household_id)
        .where(HouseholdYearSummary.payout_fen > 0)
    )
    if village_id is not None:
        q = q.where(HouseholdYearSummary.village_id == village_id)
    if years is not None:
        q = q.where(HouseholdYearSummary.year.in_(years))
    return _benefit_figures(db.session.execute(q))


def refresh_benefit(village_id: int, years: tuple[int, ...] | None = None) -> None:
    """Recompute a village's benefit summaries (for `years`, or every year) from its
    household-year summaries: after a payout, or when a household's 脱贫户 flag changed.

    The village's row lock is taken first, so two transactions refreshing one village run one
    after the other (each reading the other's committed payouts), not interleaved — a later
    DELETE would otherwise drop the figures of a payout committed between its read and write.
    """
    lock_village(village_id)
    db.session.flush()
    rows = _benefit_rows(village_id, years)
    stale = delete(VillageBenefitSummary).where(VillageBenefitSummary.village_id == village_id)
    if years is not None:
        stale = stale.where(VillageBenefitSummary.year.in_(years))
    db.session.execute(stale)
    if rows:
        db.session.execute(
            insert(VillageBenefitSummary),
            [{"village_id": v, "year": y, **figures} for (v, y), figures in rows.items()],
        )


def benefit_year(entry: LedgerEntry) -> int:
    """The year a payout counts for: its own, or for a reversal the original's."""
    return entry.reverses.year if entry.reverses_id is not None else entry.year


def _approved_sums(period: dict):
    """Approved entries summed by village, project, the `period` columns (label → expression) and kind."""
    return (
        select(
            LedgerEntry.village_id,
            LedgerEntry.project_id,
            *(expression.label(name) for name, expression in period.items()),
            LedgerEntry.kind,
            func.sum(LedgerEntry.amount_fen).label("amount_fen"),
            func.coalesce(func.sum(LedgerEntry.quantity), 0).label("quantity"),
            func.count().label("entry_count"),
        )
        .where(LedgerEntry.status == "approved")
        .group_by(LedgerEntry.village_id, LedgerEntry.project_id, *period.values(), LedgerEntry.kind)
    )


def _monthly_from_ledger():
    return _approved_sums({"year": _YEAR, "month": _MONTH})


def _yearly_from_ledger():
    return _approved_sums({"year": _YEAR})


def _household_from_ledger():
    return (
        select(
            LedgerEntry.household_id,
            LedgerEntry.village_id,
            _BENEFIT_YEAR.label("year"),
            func.sum(LedgerEntry.amount_fen).label("payout_fen"),
            func.count().label("entry_count"),
        )
        .outerjoin(_ORIGINAL, _ORIGINAL.id == LedgerEntry.reverses_id)
        .where(
            LedgerEntry.status == "approved",
            LedgerEntry.kind.in_(PAYOUT_KINDS),
            LedgerEntry.household_id.is_not(None),
        )
        .group_by(LedgerEntry.household_id, LedgerEntry.village_id, _BENEFIT_YEAR)
    )


def _village_year_from(yearly):
    """The village-year summaries' figures summed from project-year rows (`yearly`: the
    summaries, or the ledger summed as they keep it)."""
    return (
        select(
            yearly.c.village_id,
            yearly.c.year,
            *(
                func.sum(case((yearly.c.kind.in_(kinds), yearly.c.amount_fen), else_=0)).label(col)
                for col, kinds in VILLAGE_YEAR_COLUMNS.items()
            ),
            func.sum(yearly.c.entry_count).label("entry_count"),
        )
        .where(yearly.c.kind.in_(sorted(_VILLAGE_YEAR_KINDS)))
        .group_by(yearly.c.village_id, yearly.c.year)
    )


def _group_from_ledger():
    """The approved entries of village groups, summed as the group summaries keep them."""
    return (
        select(
            LedgerEntry.group_id,
            LedgerEntry.village_id,
            LedgerEntry.project_id,
            _YEAR.label("year"),
            _MONTH.label("month"),
            LedgerEntry.kind,
            func.sum(LedgerEntry.amount_fen).label("amount_fen"),
            func.coalesce(func.sum(LedgerEntry.quantity), 0).label("quantity"),
            func.count().label("entry_count"),
        )
        .where(LedgerEntry.status == "approved", LedgerEntry.group_id.is_not(None))
        .group_by(LedgerEntry.group_id, LedgerEntry.village_id, LedgerEntry.project_id, _YEAR, _MONTH, LedgerEntry.kind)
    )


def _group_key(row) -> tuple:
    return (row.group_id, row.village_id, row.project_id, int(row.year), int(row.month), row.kind)


def _monthly_key(row) -> tuple:
    return (row.village_id, row.project_id, int(row.year), int(row.month), row.kind)


def _yearly_key(row) -> tuple:
    return (row.village_id, row.project_id, int(row.year), row.kind)


def _household_key(row) -> tuple:
    return (row.household_id, row.village_id, int(row.year))


def _village_year_key(row) -> tuple:
    return (row.village_id, int(row.year))


def verify() -> list[str]:
    """Every difference between the summary tables and the approved raw ledger (and between the
    village rosters and the households)."""
    problems: list[str] = []
    checks = (
        (
            "monthly",
            _monthly_from_ledger(),
            select(MonthlySummary),
            _monthly_key,
            ("amount_fen", "quantity", "entry_count"),
        ),
        (
            "yearly",
            _yearly_from_ledger(),
            select(ProjectYearSummary),
            _yearly_key,
            ("amount_fen", "quantity", "entry_count"),
        ),
        (
            "household",
            _household_from_ledger(),
            select(HouseholdYearSummary),
            _household_key,
            ("payout_fen", "entry_count"),
        ),
        (
            "group",
            _group_from_ledger(),
            select(GroupMonthlySummary),
            _group_key,
            ("amount_fen", "quantity", "entry_count"),
        ),
        (
            "village-year",
            _village_year_from(_yearly_from_ledger().subquery()),
            select(VillageYearSummary),
            _village_year_key,
            (*VILLAGE_YEAR_COLUMNS, "entry_count"),
        ),
    )
    problems += _verify_benefit()
    problems += _verify_rosters()
    problems += _verify_statement()
    for name, raw_q, summary_q, key, cols in checks:
        raw = {key(r): tuple(Decimal(getattr(r, c)) for c in cols) for r in db.session.execute(raw_q)}
        summary = {}
        for (s,) in db.session.execute(summary_q):
            values = tuple(Decimal(getattr(s, c)) for c in cols)
            if s.entry_count == 0 and not any(values):
                continue
            summary[key(s)] = values
        for k in sorted(raw.keys() | summary.keys(), key=str):
            if raw.get(k) != summary.get(k):
                problems.append(f"{name} {k}: ledger {raw.get(k)} ≠ summary {summary.get(k)}")
    return problems


_BENEFIT_COLS = (
    "households_benefited",
    "benefit_total_fen",
    "benefit_median_fen",
    "formerly_poor_benefited",
    "formerly_poor_benefit_total_fen",
    "formerly_poor_benefit_median_fen",
)


def _verify_benefit() -> list[str]:
    """The benefit summaries against the approved ledger's payouts per household and year."""
    raw = _household_from_ledger().subquery()
    q = select(raw.c.village_id, raw.c.year, Household.formerly_poor, raw.c.payout_fen).join(
        Household, Household.id == raw.c.household_id
    )
    expected = _benefit_figures(db.session.execute(q))
    stored = {
        (s.village_id, s.year): {c: getattr(s, c) for c in _BENEFIT_COLS}
        for s in db.session.scalars(select(VillageBenefitSummary))
    }
    return [
        f"benefit {k}: households {expected.get(k)} ≠ summary {stored.get(k)}"
        for k in sorted(expected.keys() | stored.keys())
        if expected.get(k) != stored.get(k)
    ]


def _verify_rosters() -> list[str]:
    """The village rosters' counts against the households."""
    counted = {v: (int(n), int(poor)) for v, n, poor in db.session.execute(roster_counts())}
    stored = {r.village_id: (r.households, r.formerly_poor) for r in db.session.scalars(select(VillageRoster))}
    return [
        f"roster village {k}: households (all, formerly poor) {counted.get(k, (0, 0))} ≠ summary {stored.get(k, (0, 0))}"
        for k in sorted(counted.keys() | stored.keys())
        if counted.get(k, (0, 0)) != stored.get(k, (0, 0))
    ]


def _statement_figures(rows) -> dict[tuple, tuple[int, int]]:
    """(village, year, kind, amount) rows → (village, year) → (spending, net income) by the income
    statement: the comparison's metrics `spending` and `net_income`."""
    by_year: dict[tuple, list] = defaultdict(list)
    for village_id, year, kind, amount in rows:
        by_year[(village_id, int(year))].append((kind, int(amount or 0)))
    out = {}
    for key, amounts in by_year.items():
        sums = statement(amounts)
        out[key] = (sums["expense_fen"], sums["net_income_fen"])
    return out


def _verify_statement() -> list[str]:
    """The comparison's `spending` and `net_income` of every village and year, from the yearly
    summaries (as the comparison reads them) against the approved raw ledger."""
    raw = _yearly_from_ledger().subquery()
    from_ledger = _statement_figures(
        db.session.execute(select(raw.c.village_id, raw.c.year, raw.c.kind, raw.c.amount_fen))
    )
    pys = ProjectYearSummary
    from_summary = _statement_figures(db.session.execute(select(pys.village_id, pys.year, pys.kind, pys.amount_fen)))
    return [
        f"statement {k}: ledger (spending, net income) {from_ledger.get(k, (0, 0))} ≠ summary {from_summary.get(k, (0, 0))}"
        for k in sorted(from_ledger.keys() | from_summary.keys())
        if from_ledger.get(k, (0, 0)) != from_summary.get(k, (0, 0))
    ]


def rebuild_recorded() -> None:
    """`rebuild`, and an audit event saying so (caller commits). The audit chain's length is the
    data version that every process keys its cached charts and comparisons by, so the event
    also retires whatever they drew from the summaries before."""
    rebuild()
    audit.record(None, "rollup.rebuild", None)


def rebuild() -> None:
    """Recompute the summary tables from the approved ledger, and the village rosters from the
    households (caller commits)."""
    db.session.execute(delete(MonthlySummary))
    db.session.execute(delete(ProjectYearSummary))
    db.session.execute(delete(HouseholdYearSummary))
    db.session.execute(delete(GroupMonthlySummary))
    monthly = _monthly_from_ledger().subquery()
    db.session.execute(
        insert(MonthlySummary).from_select(
            ["village_id", "project_id", "year", "month", "kind", "amount_fen", "quantity", "entry_count"],
            select(monthly),
        )
    )
    yearly = _yearly_from_ledger().subquery()
    db.session.execute(
        insert(ProjectYearSummary).from_select(
            ["village_id", "project_id", "year", "kind", "amount_fen", "quantity", "entry_count"], select(yearly)
        )
    )
    household = _household_from_ledger().subquery()
    db.session.execute(
        insert(HouseholdYearSummary).from_select(
            ["household_id", "village_id", "year", "payout_fen", "entry_count"], select(household)
        )
    )
    group = _group_from_ledger().subquery()
    db.session.execute(
        insert(GroupMonthlySummary).from_select(
            ["group_id", "village_id", "project_id", "year", "month", "kind", "amount_fen", "quantity", "entry_count"],
            select(group),
        )
    )
    db.session.execute(delete(VillageYearSummary))
    village_year = _village_year_from(ProjectYearSummary.__table__)
    db.session.execute(
        insert(VillageYearSummary).from_select(
            ["village_id", "year", *VILLAGE_YEAR_COLUMNS, "entry_count"], village_year
        )
    )
    db.session.execute(delete(VillageRoster))
    db.session.execute(
        insert(VillageRoster).from_select(["village_id", "households", "formerly_poor"], roster_counts())
    )
    db.session.execute(delete(VillageBenefitSummary))
    rows = _benefit_rows(None, None)
    if rows:
        db.session.execute(
            insert(VillageBenefitSummary),
            [{"village_id": v, "year": y, **figures} for (v, y), figures in rows.items()],
        )
