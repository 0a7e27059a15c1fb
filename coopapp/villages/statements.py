"""A household's yearly statement (收益明细): every approved payout, by project and kind."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import aliased, selectinload

from coopapp.core.periods import month_of, period, year_of
from coopapp.core.vocabulary import PAYOUT_KINDS
from coopapp.extensions import db
from coopapp.models import Household, HouseholdYearSummary, LedgerEntry

_ORIGINAL = aliased(LedgerEntry)
# A payout counts in the year it was paid for: a reversal in its original's year (as the rollups do).
_BENEFIT_PERIOD = func.coalesce(_ORIGINAL.period, LedgerEntry.period)
# A statement with more lines than this shows monthly totals per project and kind, so it prints on one A4 page.
COMPACT_AFTER_LINES = 18


@dataclass
class StatementLine:
    """One approved payout entry; a reversal is a negative correction line."""

    entry_id: int
    period: str
    entry_date: date | None
    amount_fen: int
    note: str
    correction: bool
    reverses_id: int | None


@dataclass
class MonthTotal:
    """One month's payouts of a group; `month` is None for a correction posted in another year."""

    period: str
    month: int | None
    amount_fen: int
    corrected: bool


@dataclass
class StatementGroup:
    """The payouts of one project and kind, with their total and their totals per month."""

    project_id: int
    project_name: str
    kind: str
    lines: list[StatementLine] = field(default_factory=list)
    total_fen: int = 0
    months: list[MonthTotal] = field(default_factory=list)


@dataclass
class Statement:
    """What a statement page shows: the year's groups and totals, and last year's total."""

    household: Household
    year: int
    last_year: int
    groups: list[StatementGroup]
    total_fen: int
    last_year_total_fen: int
    entry_count: int
    compact: bool = False  # too many lines for one page: show `months` instead of `lines`


def _payouts(household_id: int, first_year: int, last_year: int):
    """Approved payout entries of one household whose benefit year lies in the range, with it."""
    q = (
        select(LedgerEntry, _BENEFIT_PERIOD.label("benefit_period"))
        .outerjoin(_ORIGINAL, _ORIGINAL.id == LedgerEntry.reverses_id)
        .where(
            LedgerEntry.household_id == household_id,
            LedgerEntry.status == "approved",
            LedgerEntry.kind.in_(PAYOUT_KINDS),
            _BENEFIT_PERIOD >= period(first_year, 1),
            _BENEFIT_PERIOD <= period(last_year, 12),
        )
        .options(selectinload(LedgerEntry.project))
        .order_by(LedgerEntry.period, LedgerEntry.entry_date, LedgerEntry.id)
    )
    return db.session.execute(q).all()


def household_statement(household: Household, year: int) -> Statement:
    """The household's statement for `year`: payouts grouped by project and kind, totals, last year's total."""
    groups: dict[tuple[int, str], StatementGroup] = {}
    total = last_total = count = 0
    for entry, benefit_period in _payouts(household.id, year - 1, year):
        amount = int(entry.amount_fen)
        if year_of(benefit_period) != year:
            last_total += amount
            continue
        key = (entry.project_id, entry.kind)
        group = groups.get(key)
        if group is None:
            group = groups[key] = StatementGroup(entry.project_id, entry.project.name, entry.kind)
        group.lines.append(
            StatementLine(
                entry_id=entry.id,
                period=entry.period,
                entry_date=entry.entry_date,
                amount_fen=amount,
                note=entry.note or "",
                correction=entry.reverses_id is not None,
                reverses_id=entry.reverses_id,
            )
        )
        group.total_fen += amount
        total += amount
        count += 1
    ordered = sorted(groups.values(), key=lambda g: (g.project_name, g.project_id, PAYOUT_KINDS.index(g.kind)))
    for group in ordered:
        group.months = _month_totals(group.lines, year)
    return Statement(household, year, year - 1, ordered, total, last_total, count, count > COMPACT_AFTER_LINES)


def _month_totals(lines: list[StatementLine], year: int) -> list[MonthTotal]:
    """The lines summed per period, in period order (the lines come in period order)."""
    months: dict[str, MonthTotal] = {}
    for line in lines:
        month = months.get(line.period)
        if month is None:
            in_year = year_of(line.period) == year
            month = months[line.period] = MonthTotal(line.period, month_of(line.period) if in_year else None, 0, False)
        month.amount_fen += line.amount_fen
        month.corrected = month.corrected or line.correction
    return list(months.values())


def payout_totals(household: Household, years: list[int]) -> dict[int, int]:
    """year → the household's approved payouts that year, from the summary table (0 when none)."""
    q = select(HouseholdYearSummary.year, HouseholdYearSummary.payout_fen).where(
        HouseholdYearSummary.household_id == household.id, HouseholdYearSummary.year.in_(years)
    )
    found = {int(y): int(fen) for y, fen in db.session.execute(q)}
    return {y: found.get(y, 0) for y in years}
