"""Village public disclosure (村务公开): approved figures per month or quarter, published
distributions with masked names, corrections and red entries shown as such, and the disclosure
calendar.

Nothing here reads an entry that is not approved, and nothing returns a full name, an ID
number or a phone: every name goes through `villages.privacy.MASKED`.
"""

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.orm import aliased, selectinload

from coopapp.access import audit
from coopapp.access.scope import authorize, visible_villages
from coopapp.core import periods
from coopapp.core.income_statement import statement
from coopapp.core.tx import atomic
from coopapp.core.vocabulary import EXPENSE_LINES, INCOME_LINES
from coopapp.errors import Conflict, Invalid
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import (
    Area,
    Disclosure,
    Distribution,
    DistributionLine,
    GroupMonthlySummary,
    Household,
    LedgerEntry,
    MonthlySummary,
    Project,
    User,
    VillageYearSummary,
)
from coopapp.models.base import utcnow
from coopapp.villages.privacy import MASKED

_QUARTER = re.compile(r"^([0-9]{4})-?[Qq]([1-4])$")
DEFAULT_MONTHLY_MIN_ENTRIES = 30
DEFAULT_GRACE_DAYS = 10


@dataclass(frozen=True)
class Period:
    """A month ("2025-09") or a quarter ("2025Q3") of one year."""

    year: int
    first_month: int
    last_month: int

    @property
    def quarterly(self) -> bool:
        return self.first_month != self.last_month

    @property
    def code(self) -> str:
        if self.quarterly:
            return f"{self.year}Q{(self.first_month - 1) // 3 + 1}"
        return self.first

    @property
    def quarter(self) -> int:
        return (self.first_month - 1) // 3 + 1

    @property
    def first(self) -> str:
        return periods.period(self.year, self.first_month)

    @property
    def last(self) -> str:
        return periods.period(self.year, self.last_month)

    @property
    def months(self) -> list["Period"]:
        return [month(self.year, m) for m in range(self.first_month, self.last_month + 1)]

    @property
    def start(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        return date(self.year, self.last_month, monthrange(self.year, self.last_month)[1])

    @property
    def label(self) -> str:
        if self.quarterly:
            return _("%(y)s 年第 %(q)s 季度", y=self.year, q=self.quarter)
        return _("%(y)s 年 %(m)s 月", y=self.year, m=self.first_month)

    def previous(self) -> "Period":
        """The month or quarter before this one."""
        step = 3 if self.quarterly else 1
        first = self.first_month - step
        if first < 1:
            return Period(self.year - 1, first + 12, first + 12 + step - 1)
        return Period(self.year, first, first + step - 1)


def month(year: int, number: int) -> Period:
    return Period(year, number, number)


def quarter(year: int, number: int) -> Period:
    return Period(year, 3 * number - 2, 3 * number)


def quarter_of(day: date) -> Period:
    return quarter(day.year, (day.month - 1) // 3 + 1)


def parse_period(text: str | None) -> Period:
    """ "2025-09" → that month, "2025Q3" (or 2025-Q3) → that quarter; Invalid otherwise."""
    raw = (text or "").strip()
    found = None
    if year_month := periods.parse_period(raw):
        found = month(*year_month)
    elif m := _QUARTER.match(raw):
        found = quarter(int(m.group(1)), int(m.group(2)))
    # The years a ledger can hold (as the pages' ?year=): anything else is a typing error.
    if found is not None and 2000 <= found.year <= ledger.today().year + 1:
        return found
    raise Invalid(
        _("期间不对：%(p)s", p=raw[:20] or "—"),
        {"period": _("请写月份（如 2025-09）或季度（如 2025Q3）。")},
    )


def period_from_args(period: str | None, quarter_text: str | None) -> Period:
    """The notice's period from ?period=2025-09 or ?quarter=2025Q3; the last month by default."""
    if quarter_text:
        found = parse_period(quarter_text)
        if not found.quarterly:
            raise Invalid(_("季度不对：%(p)s", p=quarter_text[:20]), {"quarter": _("请写季度，如 2025Q3。")})
        return found
    if period:
        return parse_period(period)
    return month(ledger.today().year, ledger.today().month).previous()


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """China-time dates [start, end] as stored (naive UTC) timestamps [from, to)."""

    def utc(day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=ledger.CHINA).astimezone(UTC).replace(tzinfo=None)

    return utc(start), utc(end + timedelta(days=1))


# ----- figures ---------------------------------------------------------------------------


def _in_place(place: Area, village_column, group_column):
    """Rows of `place`: a village (all its rows, its groups' included) or one of its village groups
    (组账村代记: that group's rows only). Every function below takes either as its `village`."""
    return group_column == place.id if place.level == "group" else village_column == place.id


def _kind_sums(village: Area, year: int, first_month: int, last_month: int) -> tuple[dict, dict]:
    """(month, kind) → approved amount and month → approved entry count, from the summaries (a
    group's from the group summaries)."""
    table = GroupMonthlySummary if village.level == "group" else MonthlySummary
    q = (
        select(
            table.month,
            table.kind,
            func.sum(table.amount_fen),
            func.sum(table.entry_count),
        )
        .where(
            _in_place(village, table.village_id, getattr(table, "group_id", None)),
            table.year == year,
            table.month.between(first_month, last_month),
        )
        .group_by(table.month, table.kind)
    )
    amounts: dict[tuple[int, str], int] = {}
    counts: dict[int, int] = {}
    for m, kind, amount, count in db.session.execute(q):
        amounts[(int(m), kind)] = int(amount or 0)
        counts[int(m)] = counts.get(int(m), 0) + int(count or 0)
    return amounts, counts


def _figures(amounts: dict, counts: dict, months: range) -> dict:
    """The period's figures by the lines of the income statement (`core.income_statement`): 收入 are
    the income lines, 支出 the four spending lines; the payouts to households are 收益分配 (a
    distribution of the income, not spending); 产值 is on no line."""
    sums = statement((kind, amount) for (m, kind), amount in amounts.items() if m in months)
    lines = sums["lines"]
    return {
        "income": [{"line": line, "amount_fen": lines[line]} for line in INCOME_LINES],
        "income_total_fen": sums["income_fen"],
        "expense": [{"line": line, "amount_fen": lines[line]} for line in EXPENSE_LINES],
        "expense_total_fen": sums["expense_fen"],
        "net_income_fen": sums["net_income_fen"],
        "payouts_fen": sums["distribution_fen"],
        "output_fen": sum(amounts.get((m, "output"), 0) for m in months),
        "entry_count": sum(counts.get(m, 0) for m in months),
    }


def period_figures(village: Area, period: Period) -> dict:
    """The approved income and expenditure of the village in `period`, by kind, with totals
    (a correction counts, negatively, in the month it was posted)."""
    amounts, counts = _kind_sums(village, period.year, period.first_month, period.last_month)
    return _figures(amounts, counts, range(period.first_month, period.last_month + 1))


def year_table(village: Area, year: int, quarterly: bool) -> list[dict]:
    """One row of approved figures per month (or quarter) of `year`, with `period` and totals."""
    amounts, counts = _kind_sums(village, year, 1, 12)
    periods = [quarter(year, q) for q in range(1, 5)] if quarterly else [month(year, m) for m in range(1, 13)]
    rows = []
    for p in periods:
        row = _figures(amounts, counts, range(p.first_month, p.last_month + 1))
        row["period"] = p
        rows.append(row)
    return rows


def groups_with_books(village: Area) -> list[Area]:
    """The village's groups that keep books (组账村代记: approved entries of theirs in the group
    summaries), by code: the groups its pages offer to show one by one."""
    with_books = select(GroupMonthlySummary.group_id).where(
        GroupMonthlySummary.village_id == village.id, GroupMonthlySummary.entry_count > 0
    )
    return list(db.session.scalars(select(Area).where(Area.id.in_(with_books)).order_by(Area.code)))


# ----- distributions and corrections -----------------------------------------------------


def _group_name(household: Household | None) -> str:
    """The household's village group (村民小组) as shown beside its masked name; "" when none."""
    return household.group.name if household is not None and household.group is not None else ""


def published_plans(village: Area, start: date, end: date) -> list[dict]:
    """Distribution plans of the village (published, or later reversed as a whole) whose month
    falls between the China-time dates `start` and `end` — the notice's figures count their payouts
    — or that were published between them (`of_other_period`: its money counts in its own month's
    notice), each with its deductions and its lines under masked names and the household's village
    group (two households masked as 吴* are told apart by it)."""
    low, high = _bounds(start, end)
    first, last = periods.period_of(start), periods.period_of(end)
    q = select(Distribution)
    if village.level == "group":  # a group's plans: those of its projects
        q = q.join(Project, Project.id == Distribution.project_id).where(Project.group_id == village.id)
    else:
        q = q.where(Distribution.village_id == village.id)
    q = (
        q.where(
            Distribution.status.in_(("published", "reversed")),
            or_(
                Distribution.period.between(first, last),
                (Distribution.published_at >= low) & (Distribution.published_at < high),
            ),
        )
        .options(
            selectinload(Distribution.project),
            selectinload(Distribution.deductions),
            selectinload(Distribution.lines).selectinload(DistributionLine.household).selectinload(Household.group),
        )
        .order_by(Distribution.published_at, Distribution.id)
    )
    plans = []
    for plan in db.session.scalars(q):
        lines = [
            {
                "name": MASKED.name(line.household.head_name),
                "group": _group_name(line.household),
                "amount_fen": int(line.amount_fen),
            }
            for line in sorted(plan.lines, key=lambda ln: (-int(ln.amount_fen), ln.household_id))
        ]
        plans.append(
            {
                "id": plan.id,
                "project": plan.project.name,
                "period": plan.period,
                "basis": plan.basis,
                "published_at": plan.published_at,
                "pool_fen": int(plan.pool_fen),
                "distributable_fen": int(plan.distributable_fen),
                "households": len(lines),
                "lines": lines,
                "of_other_period": not first <= plan.period <= last,
                "deductions": [
                    {"kind": d.kind, "amount_fen": int(d.amount_fen)}
                    for d in sorted(plan.deductions, key=lambda d: d.position)
                ],
                "reversed": plan.status == "reversed",
                "reversal_reason": plan.reversal_reason or "",
            }
        )
    return plans


def corrections(village: Area, first_period: str, last_period: str) -> list[dict]:
    """Approved reversals posted in the periods [first, last]: the original, the reversal, the reason."""
    original = aliased(LedgerEntry)
    q = (
        select(LedgerEntry, original)
        .join(original, original.id == LedgerEntry.reverses_id)
        .where(
            _in_place(village, LedgerEntry.village_id, LedgerEntry.group_id),
            LedgerEntry.status == "approved",
            original.status == "approved",
            LedgerEntry.period >= first_period,
            LedgerEntry.period <= last_period,
        )
        .options(selectinload(LedgerEntry.project), selectinload(LedgerEntry.household).selectinload(Household.group))
        .order_by(LedgerEntry.period, LedgerEntry.id)
    )
    return [
        {
            "id": reversal.id,
            "original_id": orig.id,
            "project": reversal.project.name,
            "kind": orig.kind,
            "household": MASKED.name(reversal.household.head_name) if reversal.household else "",
            "group": _group_name(reversal.household),
            "original_period": orig.period,
            "original_amount_fen": int(orig.amount_fen),
            "period": reversal.period,
            "amount_fen": int(reversal.amount_fen),
            "reason": reversal.reversal_reason or "",
        }
        for reversal, orig in db.session.execute(q)
    ]


def red_entries(village: Area, first_period: str, last_period: str) -> list[dict]:
    """Approved red entries (红字: a return, a refund, an adjustment — a negative amount that is
    not a reversal) of the periods [first, last], listed as such with their reason (the note).
    The figures count them already, with their sign; this says what they were."""
    q = (
        select(LedgerEntry)
        .where(
            _in_place(village, LedgerEntry.village_id, LedgerEntry.group_id),
            LedgerEntry.amount_fen < 0,
            LedgerEntry.reverses_id.is_(None),  # (with the line above: the partial index's rows)
            LedgerEntry.status == "approved",
            LedgerEntry.period >= first_period,
            LedgerEntry.period <= last_period,
        )
        .options(selectinload(LedgerEntry.project), selectinload(LedgerEntry.household).selectinload(Household.group))
        .order_by(LedgerEntry.period, LedgerEntry.id)
    )
    return [
        {
            "id": entry.id,
            "project": entry.project.name,
            "kind": entry.kind,
            "household": MASKED.name(entry.household.head_name) if entry.household else "",
            "group": _group_name(entry.household),
            "period": entry.period,
            "amount_fen": int(entry.amount_fen),
            "quantity": entry.quantity,
            "unit": entry.unit,
            "reason": entry.note or "",
        }
        for entry in db.session.scalars(q)
    ]


# ----- the disclosure calendar ----------------------------------------------------------


def last_disclosure(village: Area) -> Disclosure | None:
    """The village's latest publication, or None."""
    q = select(Disclosure).where(Disclosure.village_id == village.id)
    return db.session.scalar(q.order_by(Disclosure.published_at.desc(), Disclosure.id.desc()).limit(1))


def disclosure_of(village: Area, period: Period) -> Disclosure | None:
    """The publication of exactly this month or quarter, or None."""
    return db.session.scalar(
        select(Disclosure).where(Disclosure.village_id == village.id, Disclosure.period == period.code)
    )


@atomic
def publish_notice(user: User, village: Area, period: Period) -> Disclosure:
    """The secretary records that the village's notice for `period` is up on the notice board."""
    authorize(user, "manage_village", village)
    if period.start > ledger.today():
        raise Invalid(_("%(p)s 还没有开始，不能公布。", p=period.label), {"period": _("请选择已经开始的月份或季度。")})
    if disclosure_of(village, period) is not None:
        raise Conflict(_("%(p)s 的公开栏已经公布过。", p=period.label))
    disclosure = Disclosure(village_id=village.id, period=period.code, published_at=utcnow(), published_by_id=user.id)
    db.session.add(disclosure)
    db.session.flush()
    audit.record(user, "disclosure.publish", disclosure)
    return disclosure


def due_period(today: date, grace_days: int, quarterly: bool) -> Period:
    """The latest month (or quarter) whose notice should be up by `today`: it ended more than
    `grace_days` days ago."""
    current = quarter_of(today) if quarterly else month(today.year, today.month)
    candidate = current.previous()
    while candidate.end + timedelta(days=grace_days) >= today:
        candidate = candidate.previous()
    return candidate


def _covered(period: Period, published: set[str]) -> bool:
    """Is `period` disclosed: itself, the quarter around a month, or every month of a quarter."""
    if period.code in published:
        return True
    if period.quarterly:
        return all(m.code in published for m in period.months)
    return quarter(period.year, period.quarter).code in published


@dataclass
class CalendarRow:
    """One village on the disclosure calendar."""

    village: Area
    town: str
    last_period: str | None
    last_published_at: datetime | None
    entries_last_quarter: int
    monthly: bool
    due: Period
    deadline: date
    overdue: bool
    days_overdue: int
    books_began: str | None  # the first month with approved entries (`books_began`), if any


def books_began(village_ids: list[int], since_year: int) -> dict[int, str]:
    """village id → the first month ("YYYY-MM") with approved entries in its books: exact for books
    that began in `since_year` or later (their months, from the monthly summaries); for books begun
    before, December of their first year, which is before every period asked about. Two small
    queries: the village-year summaries (a row per village and year), then the months of the few
    villages new to the ledger."""
    first_years = db.session.execute(
        select(VillageYearSummary.village_id, func.min(VillageYearSummary.year))
        .where(VillageYearSummary.village_id.in_(village_ids), VillageYearSummary.entry_count > 0)
        .group_by(VillageYearSummary.village_id)
    ).all()
    began = {village_id: periods.period(year, 12) for village_id, year in first_years}
    recent = [(village_id, year) for village_id, year in first_years if year >= since_year]
    # (asked even for none: a home's number of queries does not follow the data)
    q = (
        select(MonthlySummary.village_id, MonthlySummary.year, func.min(MonthlySummary.month))
        .where(tuple_(MonthlySummary.village_id, MonthlySummary.year).in_(recent), MonthlySummary.entry_count > 0)
        .group_by(MonthlySummary.village_id, MonthlySummary.year)
    )
    began |= {village_id: periods.period(year, month) for village_id, year, month in db.session.execute(q)}
    return began


def kept_books_in(began: str | None, period: Period) -> bool:
    """Is a notice owed for `period`? Only once the village's books had begun by its last month: a
    village set up today owes no notice for the quarters before it used the ledger."""
    return began is not None and began <= period.last


def calendar(user: User, under: Area | None = None, today: date | None = None) -> list[CalendarRow]:
    """Every village in use the user may see: its last publication and whether it is overdue.

    A village with at least DISCLOSURE_MONTHLY_MIN_ENTRIES approved entries in the last
    complete quarter publishes monthly, the others quarterly; a period is due
    DISCLOSURE_GRACE_DAYS days after it ends. Overdue villages come first.
    """
    today = today or ledger.today()
    config = current_app.config
    min_entries = int(config.get("DISCLOSURE_MONTHLY_MIN_ENTRIES", DEFAULT_MONTHLY_MIN_ENTRIES))
    grace = int(config.get("DISCLOSURE_GRACE_DAYS", DEFAULT_GRACE_DAYS))
    villages = [v for v in visible_villages(user, under) if not v.retired]  # a merged village publishes no more
    if not villages:
        return []
    ids = [v.id for v in villages]
    due_month, due_quarter = due_period(today, grace, False), due_period(today, grace, True)
    last_quarter = quarter_of(today).previous()

    counts = dict(
        db.session.execute(
            select(MonthlySummary.village_id, func.sum(MonthlySummary.entry_count))
            .where(
                MonthlySummary.village_id.in_(ids),
                MonthlySummary.year == last_quarter.year,
                MonthlySummary.month.between(last_quarter.first_month, last_quarter.last_month),
            )
            .group_by(MonthlySummary.village_id)
        ).all()
    )
    wanted = {due_month.code, quarter(due_month.year, due_month.quarter).code, due_quarter.code}
    wanted |= {m.code for m in due_quarter.months}
    published: dict[int, set[str]] = {}
    for village_id, code in db.session.execute(
        select(Disclosure.village_id, Disclosure.period).where(
            Disclosure.village_id.in_(ids), Disclosure.period.in_(wanted)
        )
    ):
        published.setdefault(village_id, set()).add(code)
    latest_at = (
        select(Disclosure.village_id, func.max(Disclosure.published_at).label("at"))
        .where(Disclosure.village_id.in_(ids))
        .group_by(Disclosure.village_id)
        .subquery()
    )
    last = {
        village_id: (code, at)
        for village_id, code, at in db.session.execute(
            select(Disclosure.village_id, Disclosure.period, Disclosure.published_at).join(
                latest_at,
                (latest_at.c.village_id == Disclosure.village_id) & (latest_at.c.at == Disclosure.published_at),
            )
        )
    }
    started = books_began(ids, due_quarter.year)
    rows = []
    for v in villages:
        entries = int(counts.get(v.id) or 0)
        monthly = entries >= min_entries
        due = due_month if monthly else due_quarter
        deadline = due.end + timedelta(days=grace)
        overdue = kept_books_in(started.get(v.id), due) and not _covered(due, published.get(v.id, set()))
        last_code, last_at = last.get(v.id, (None, None))
        rows.append(
            CalendarRow(
                village=v,
                town=v.parent.name if v.parent else "",
                last_period=last_code,
                last_published_at=last_at,
                entries_last_quarter=entries,
                monthly=monthly,
                due=due,
                deadline=deadline,
                overdue=overdue,
                days_overdue=(today - deadline).days if overdue else 0,
                books_began=started.get(v.id),
            )
        )
    rows.sort(key=lambda r: (not r.overdue, -r.days_overdue, r.village.code))
    return rows
