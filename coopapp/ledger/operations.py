"""The ledger's life: draft → submitted → approved | returned, reversal, closed months."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from coopapp.access import audit
from coopapp.access.scope import authorize, get_authorized, village_rows_clause
from coopapp.core.limits import MAX_QUANTITY
from coopapp.core.periods import is_period, period_of, period_problem
from coopapp.core.tx import atomic
from coopapp.core.units import to_base
from coopapp.core.vocabulary import BASE_UNITS, KINDS, PAYOUT_KINDS
from coopapp.errors import Conflict, Invalid
from coopapp.extensions import db
from coopapp.ledger import rollups, warnings
from coopapp.ledger.groups import GroupNames
from coopapp.ledger.locks import lock_village
from coopapp.ledger.permissions import (
    approve_refusal,
    close_month_refusal,
    closed_month,
    edit_refusal,
    is_closed,
    needs_town,
    refuse,
    return_refusal,
    reversal_period,
    reversal_refusal,
    submit_refusal,
    void_refusal,
)
from coopapp.ledger.signs import sign_problems
from coopapp.ledger.spending import spending_problems
from coopapp.ledger.voucher_numbers import VoucherNumbers
from coopapp.models import Area, ClosedMonth, Household, LedgerEntry, Project, User
from coopapp.models.base import get_by_id, utcnow

CHINA = ZoneInfo("Asia/Shanghai")
MILLI = Decimal("0.001")


def date_month_problem(period: str, month: str) -> str | None:
    """An entry's date falls in its month (`month`: the date's, YYYY-MM): else why not. The entry
    form asks it beside its other fields' checks, `EntryChecks` for every entry written."""
    return None if month == period else _("日期不在所选月份内。")


def today() -> date:
    """Today in China, which decides what a 'future month' is."""
    return datetime.now(CHINA).date()


def current_period() -> str:
    """This month in China, YYYY-MM."""
    return period_of(today())


@dataclass
class EntryInput:
    """An entry as parsed from a form or a JSON body, before the domain checks."""

    project_id: int
    period: str
    kind: str
    amount_fen: int
    entry_date: date | None = None
    quantity: Decimal | None = None
    unit: str | None = None  # as typed: 斤, 度, kg …
    household_id: int | None = None
    note: str = ""
    group: str | None = None  # the village group's code or name (组账村代记); None: the village's own books
    # spending kinds only (`ledger.spending`)
    category: str | None = None
    payment_method: str | None = None
    payee: str | None = None


def get_entry(entry_id: int, user: User, action: str = "view") -> LedgerEntry:
    """Load an entry and check the user may `action` it (404 if it does not exist)."""
    return get_authorized(LedgerEntry, entry_id, user, action, _("台账记录不存在。"))


def check_open_period(village: Area, period: str) -> None:
    """Refuse a malformed, future or closed month for the village (422 naming `period`)."""
    _check_period(village, period)


def _check_period(village: Area, period: str, field: str = "period", lock: bool = True) -> None:
    """`lock`: take the village's lock first (an operation about to write); a bulk load that only reads
    (an import's checking pass) checks again under the lock when it writes."""
    problem = period_problem(period)  # the shape, ASCII digits, and a year from 2000 to next year
    if problem is not None:
        raise Invalid(problem, {field: problem})
    if period > current_period():
        raise Invalid(_("不能登记未来月份。"), {field: _("%(p)s 是未来月份。", p=period)})
    if lock:
        lock_village(village.id)
    if is_closed(village.id, period):
        raise closed_month(period, field)


class EntryChecks:
    """The domain checks of new or edited entries of one project, made ready once.

    `_apply_input` runs them for one entry; a bulk load (an import) keeps one for all its rows,
    so that what does not change from row to row is looked up once: the project's ids, the
    village of each of its households, today's date, the base unit of each quantity seen.
    `open_periods` (bulk loads) remembers the months already found open in this transaction,
    which holds the village's lock, so each month is checked once; `households` (bulk loads)
    are the village's households by id, already loaded, so each payout row needs no lookup.
    `lock=False` (an import's checking pass, which writes nothing): the months are checked
    without the village's lock; the writer checks `open_periods` again under it.
    """

    CACHE_LIMIT = 8192  # entries per lookup cache: memory stays flat whatever the file holds

    def __init__(
        self,
        project: Project,
        open_periods: set | None = None,
        households: dict[int, Household] | None = None,
        lock: bool = True,
    ):
        self.project, self.open_periods, self.lock = project, open_periods, lock
        self.project_id, self.village_id = project.id, project.village_id
        # household id → its village (the households do not change while the checks are in use)
        self.homes = None if households is None else {hid: home.village_id for hid, home in households.items()}
        self.today: date | None = None  # the latest today() seen: it only moves forward
        self.periods: dict[date, str] = {}  # entry date → its month, YYYY-MM
        self.bases: dict[tuple, tuple] = {}  # (quantity, unit) → (base quantity, base unit, whole thousandths?)
        self.group_of = GroupNames(project).group_of  # the entry's village group (组账村代记)

    def check(
        self,
        period: str,
        kind: str,
        amount_fen: int,
        entry_date: date | None,
        quantity: Decimal | None,
        unit: str | None,
        household_id: int | None,
        note: str = "",
        category: str | None = None,
        payment_method: str | None = None,
        payee: str | None = None,
    ) -> tuple[Decimal | None, str | None]:
        """Refuse what the domain does not allow (Invalid naming the fields, in this order: kind,
        the sign rule's amount, quantity and note (`signs.sign_problems`), date, quantity/unit,
        household_id, the spending fields (`spending.spending_problems`); then the month's own
        check), else the quantity and unit converted to the
        base unit that is stored."""
        errors: dict[str, str] = {}
        if kind not in KINDS:
            errors["kind"] = _("未知类别：%(k)s", k=kind)
        errors.update(sign_problems(kind, amount_fen, quantity, note))
        if entry_date is not None:
            month = self.periods.get(entry_date)
            if month is None:
                month = period_of(entry_date)
                if len(self.periods) < self.CACHE_LIMIT:
                    self.periods[entry_date] = month
            problem = date_month_problem(period, month)
            if problem is not None:
                errors["date"] = problem
            latest = self.today
            if latest is None or entry_date > latest:  # a date past the one seen: ask the clock again
                latest = self.today = today()
            if entry_date > latest:
                errors["date"] = _("日期不能晚于今天。")
        base_quantity, base_unit = None, None
        if quantity is not None:
            base_quantity, base_unit = self._base_quantity(quantity, unit, errors)
        if household_id is not None:
            if self._home_of(household_id) != self.village_id:
                errors["household_id"] = _("该农户不属于本项目所在的村。")
        elif kind in PAYOUT_KINDS:
            errors["household_id"] = _("支付给农户的款项必须选择农户。")
        if category is not None or payment_method is not None or payee is not None:
            errors.update(spending_problems(self.project.village, kind, category, payment_method, payee))
        if errors:
            raise Invalid(_("请改正标出的字段。"), errors)
        open_periods = self.open_periods
        if open_periods is None or period not in open_periods:
            self._check_month(period)
        return base_quantity, base_unit

    def _check_month(self, period: str) -> None:
        """The month's own check (`check_open_period`), remembered for a bulk load."""
        _check_period(self.project.village, period, lock=self.lock)
        if self.open_periods is not None:
            self.open_periods.add(period)

    def _base_quantity(
        self, quantity: Decimal, unit: str | None, errors: dict[str, str]
    ) -> tuple[Decimal | None, str | None]:
        """The quantity in its base unit, which must be a whole number of thousandths (its sign is
        the sign rule's: `signs.sign_problems`)."""
        if abs(quantity) >= MAX_QUANTITY:
            errors["quantity"] = _("数量过大。")
        elif not unit:
            errors["unit"] = _("填写数量时请选择单位。")
        else:
            key = (quantity, unit)
            known = self.bases.get(key)
            if known is None:
                converted, code = to_base(quantity, unit)
                if converted == 0:
                    converted = abs(converted)  # "-0" is zero: stored and audited as 0
                known = (converted, code, converted == converted.quantize(MILLI))
                if len(self.bases) < self.CACHE_LIMIT:  # bounded: a file of all-different quantities
                    self.bases[key] = known
            base_quantity, base_unit, whole = known
            if not whole and "quantity" not in errors:
                errors["quantity"] = _("数量换算成%(u)s后最多三位小数。", u=BASE_UNITS.names[base_unit])
            return base_quantity, base_unit
        return None, None

    def _home_of(self, household_id: int) -> int | None:
        """The village of the household (None if there is no such household)."""
        if self.homes is not None:
            return self.homes.get(household_id)
        household = get_by_id(Household, household_id)
        return None if household is None else household.village_id


def _apply_input(entry: LedgerEntry, data: EntryInput, project: Project) -> None:
    """Check `data` against the domain (see `EntryChecks`) and copy it onto `entry`."""
    category, method, payee = (((v or "").strip() or None) for v in (data.category, data.payment_method, data.payee))
    checks = EntryChecks(project)
    quantity, unit = checks.check(
        data.period,
        data.kind,
        data.amount_fen,
        data.entry_date,
        data.quantity,
        data.unit,
        data.household_id,
        data.note,
        category,
        method,
        payee,
    )
    entry.project_id, entry.village_id = project.id, project.village_id
    entry.period, entry.entry_date, entry.kind = data.period, data.entry_date, data.kind
    entry.amount_fen, entry.quantity, entry.unit = data.amount_fen, quantity, unit
    entry.household_id, entry.note = data.household_id, (data.note or "").strip()
    entry.group_id = checks.group_of(data.group, keep_id=entry.group_id)
    entry.category, entry.payment_method, entry.payee = category, method, payee


def _project(project_id: int) -> Project:
    project = get_by_id(Project, project_id) if project_id else None
    if project is None:
        raise Invalid(_("项目不存在。"), {"project_id": _("项目不存在。")})
    return project


@atomic
def create_entry(user: User, data: EntryInput) -> LedgerEntry:
    """An accountant logs a new draft entry."""
    project = _project(data.project_id)
    authorize(user, "create_entry", project.village)
    if not project.active:
        raise Invalid(_("项目已停用。"), {"project_id": _("项目已停用。")})
    entry = LedgerEntry(created_by_id=user.id, status="draft")
    _apply_input(entry, data, project)
    db.session.add(entry)
    audit.record(user, "entry.create", entry)
    warnings.raise_warnings(entry)
    return entry


@atomic
def update_entry(user: User, entry: LedgerEntry, data: EntryInput) -> LedgerEntry:
    """The author edits a draft or a returned entry (never an approved one)."""
    refuse(edit_refusal(user, entry))
    project = _project(data.project_id)
    authorize(user, "create_entry", project.village)
    _apply_input(entry, data, project)
    audit.record(user, "entry.update", entry)
    warnings.raise_warnings(entry)
    return entry


@atomic
def submit_entry(user: User, entry: LedgerEntry) -> LedgerEntry:
    """Send a draft or returned entry for review."""
    refuse(submit_refusal(user, entry))
    _check_period(entry.village, entry.period)
    entry.status = "submitted"
    audit.record(user, "entry.submit", entry)
    warnings.raise_warnings(entry)
    return entry


@atomic
def void_entry(user: User, entry: LedgerEntry) -> LedgerEntry:
    """The author abandons a draft or returned entry (it stays, marked 作废)."""
    refuse(void_refusal(user, entry))
    entry.status = "void"
    audit.record(user, "entry.void", entry)
    return entry


@atomic
def approve_entry(user: User, entry: LedgerEntry, numbers: VoucherNumbers | None = None) -> LedgerEntry:
    """The reviewer of the entry's stage approves. The secretary's approval of an entry whose tier asks
    for the town leaves it awaiting the town (`needs_town`); the last approval makes it immutable,
    counts it in the summaries and gives it its voucher number (凭证号; `numbers`: a bulk approval's,
    which reads each month's last number once)."""
    refuse(approve_refusal(user, entry))
    entry.return_reason = None
    if entry.status == "awaiting_town":
        entry.status, entry.town_reviewed_by_id, entry.town_reviewed_at = "approved", user.id, utcnow()
        action = "entry.town_approve"
    else:
        entry.status = "awaiting_town" if needs_town(entry) else "approved"
        entry.reviewed_by_id, entry.reviewed_at = user.id, utcnow()
        entry.town_reviewed_by_id = entry.town_reviewed_at = None  # a former return by the town is answered
        action = "entry.approve"
    if entry.status == "approved":
        (numbers or VoucherNumbers()).assign(entry)
    db.session.flush()  # the version check happens here: a concurrent approval gets 409
    if entry.status == "approved":
        rollups.apply_entry(entry)
    audit.record(user, action, entry)
    return entry


@atomic
def return_entry(user: User, entry: LedgerEntry, reason: str) -> LedgerEntry:
    """The reviewer of the entry's stage sends it back to its author with a reason (the town's return
    is recorded as the town's)."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("退回时必须填写原因。"), {"reason": _("请填写退回原因。")})
    refuse(return_refusal(user, entry))
    if entry.status == "awaiting_town":
        entry.town_reviewed_by_id, entry.town_reviewed_at = user.id, utcnow()
        action = "entry.town_return"
    else:
        entry.reviewed_by_id, entry.reviewed_at = user.id, utcnow()
        action = "entry.return"
    entry.status, entry.return_reason = "returned", reason
    audit.record(user, action, entry)
    return entry


@atomic
def reverse_entry(user: User, entry: LedgerEntry, reason: str, period: str | None = None) -> LedgerEntry:
    """Create the negating entry of an approved one, submitted for review.

    It lands in the original's month if that is still open, else in the current month. The role
    is checked here, the entry in `build_reversal`: together they are `permissions.reverse_refusal`.
    """
    authorize(user, "reverse_entry", entry.village)
    reversal = build_reversal(user, entry, reason, period)
    db.session.add(reversal)
    audit.record(user, "entry.reverse", reversal, {"original": entry.id})
    warnings.raise_warnings(reversal)
    return reversal


def build_reversal(user: User, entry: LedgerEntry, reason: str, period: str | None = None) -> LedgerEntry:
    """The negation of an approved entry, as a new submitted entry (not yet added to the session)."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("冲销时必须填写原因。"), {"reason": _("请填写冲销原因。")})
    this_month = current_period()
    if period is None:
        period = reversal_period(entry, this_month)
    refuse(reversal_refusal(entry, this_month, period))
    _check_period(entry.village, period)
    return LedgerEntry(
        project_id=entry.project_id,
        village_id=entry.village_id,
        period=period,
        entry_date=None,
        kind=entry.kind,
        amount_fen=-entry.amount_fen,
        quantity=None if entry.quantity is None else -entry.quantity,
        unit=entry.unit,
        household_id=entry.household_id,
        group_id=entry.group_id,
        category=entry.category,
        payment_method=entry.payment_method,
        payee=entry.payee,
        note=f"冲销 #{entry.id}：{reason}",  # ledger data, not UI text: the same in every language
        status="submitted",
        reverses_id=entry.id,
        reversal_reason=reason,
        created_by_id=user.id,
    )


def post_approved(user: User, entries: list[LedgerEntry], action: str, extra: dict | None = None) -> None:
    """Add entries that an approved plan already vouches for, as approved, with summaries and audit.

    Used where the secretary's approval of the whole (a distribution plan) is the review.
    """
    numbers = VoucherNumbers()
    numbers.prefetch(entries)
    for entry in entries:
        numbers.assign(entry)
        if is_closed(entry.village_id, entry.period):
            raise Conflict(_("%(p)s 已结账，不能记入该月。", p=entry.period))
        entry.status, entry.reviewed_by_id, entry.reviewed_at = "approved", user.id, utcnow()
        db.session.add(entry)
    db.session.flush()
    rollups.apply_entries(entries)
    audit.record_many(user, action, entries, extra)


@atomic
def close_month(user: User, village: Area, period: str) -> ClosedMonth:
    """The secretary closes a month: refused while entries of it await review or an earlier month with
    entries is open (`close_month_refusal`)."""
    authorize(user, "close_month", village)
    this_month = current_period()
    if is_period(period) and period <= this_month:
        lock_village(village.id)
    refuse(close_month_refusal(user, village, period, this_month))
    closed = ClosedMonth(village_id=village.id, period=period, closed_by_id=user.id)
    db.session.add(closed)
    audit.record(user, "month.close", closed)
    return closed


def entries_query(user: User, *, village: Area | None = None, status: str | None = None, period: str | None = None):
    """Entries the user may see, newest first, optionally filtered."""
    q = select(LedgerEntry).where(village_rows_clause(user, LedgerEntry.village_id, LedgerEntry.group_id))
    if village is not None:
        q = q.where(LedgerEntry.village_id == village.id)
    if status:
        q = q.where(LedgerEntry.status == status)
    if period:
        q = q.where(LedgerEntry.period == period)
    return q.order_by(LedgerEntry.id.desc())


def closed_periods(village: Area) -> list[str]:
    """The village's closed months, newest first."""
    q = select(ClosedMonth.period).where(ClosedMonth.village_id == village.id)
    return sorted(db.session.scalars(q), reverse=True)


def _list_rows(q):
    """Load what a row of an entry list shows, in one query per relation."""
    return q.options(
        selectinload(LedgerEntry.project),
        selectinload(LedgerEntry.household),
        selectinload(LedgerEntry.created_by),
        selectinload(LedgerEntry.village),
    )


def list_entries(
    user: User, *, village: Area | None = None, status: str | None = None, period: str | None = None, limit: int = 200
) -> list[LedgerEntry]:
    """`entries_query` for a list: at most `limit` rows, with what a row shows loaded."""
    q = _list_rows(entries_query(user, village=village, status=status, period=period))
    return list(db.session.scalars(q.limit(limit)))


@dataclass(frozen=True)
class Queue:
    """A review stage's waiting entries as a queue page lists them: the oldest `len(rows)`, of `count`."""

    rows: list[LedgerEntry]
    count: int


def review_queue(user: User, status: str, *, village: Area | None = None, limit: int = 200) -> Queue:
    """The entries waiting in a review stage (submitted: the secretary's; awaiting_town: the town's)
    that the user may see, oldest first — they have waited longest, and months close in order —
    at most `limit` of them, and how many wait in all."""
    q = entries_query(user, village=village, status=status).order_by(None).order_by(LedgerEntry.id)
    rows = list(db.session.scalars(_list_rows(q).limit(limit)))
    count = len(rows)
    if count == limit:
        count = db.session.scalar(select(func.count()).select_from(q.order_by(None).subquery()))
    return Queue(rows, count)


def reversal_ids(entry_ids: list[int]) -> dict[int, int]:
    """original entry id → id of its live reversal, for a page of entries (one query)."""
    if not entry_ids:
        return {}
    q = select(LedgerEntry.reverses_id, LedgerEntry.id).where(
        LedgerEntry.reverses_id.in_(entry_ids), LedgerEntry.status != "void"
    )
    return dict(db.session.execute(q).all())
