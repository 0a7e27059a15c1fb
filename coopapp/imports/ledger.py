"""Import a project's ledger entries from a file: every row checked, all or nothing, one batch of drafts.

The ledger's stage 3 (a data row's cells → a checked draft); it reads through `table` (stages 1–2,
with the totals check of `totals`), checks with `ledger.EntryChecks` and writes with `bulk`."""

from functools import partial
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from coopapp.access.scope import authorize
from coopapp.core.money import ParseError
from coopapp.core.text import clean_text
from coopapp.core.tx import atomic
from coopapp.core.units import unit_code
from coopapp.core.vocabulary import KINDS, KINDS_AS_LISTED, PAYMENT_METHODS, PAYOUT_KINDS
from coopapp.errors import Invalid
from coopapp.extensions import db
from coopapp.imports.bulk import EntryWriter, as_rows, snapshot_leaves
from coopapp.imports.cells import uncalculated_message
from coopapp.imports.header import Header
from coopapp.imports.ledger_cells import LedgerCells
from coopapp.imports.options import ReadOptions
from coopapp.imports.parse import ImportFileError, Memo, cell_text, parse_quantity, squash
from coopapp.imports.report import ImportReport, RollBack
from coopapp.imports.table import open_table, rows_of
from coopapp.imports.totals import TotalsCheck, check_total
from coopapp.imports.write import changed_meanwhile, check_not_imported, close_batch, new_batch
from coopapp.imports.xlsx import NO_VALUE
from coopapp.ledger import operations as ledger
from coopapp.ledger.locks import lock_village
from coopapp.ledger.permissions import is_closed
from coopapp.models import Household, Project, User

# Header text (squashed: NFKC, no spaces, lower case; a bracketed unit is split off first) → field.
LEDGER_HEADERS = {
    **dict.fromkeys(("日期", "date", "entrydate", "发生日期", "记账日期"), "date"),
    **dict.fromkeys(("月份", "period", "month", "所属月份", "期间", "会计期间"), "period"),
    **dict.fromkeys(("摘要", "note", "notes", "备注", "说明", "memo", "description"), "note"),
    **dict.fromkeys(("类别", "kind", "类型", "收支类别", "科目", "category", "type"), "kind"),
    **dict.fromkeys(("数量", "quantity", "qty"), "quantity"),
    **dict.fromkeys(("单位", "unit", "计量单位"), "unit"),
    **dict.fromkeys(("金额", "amount", "金额元", "发生额"), "amount"),
    **dict.fromkeys(("户主", "household", "农户", "户名", "户主姓名"), "household"),
    # The spending fields (类别/科目/category already name the kind: the sub-category is 明细科目).
    **dict.fromkeys(("明细科目", "费用项目", "subcategory", "明细", "费用明细", "二级科目", "开支项目"), "category"),
    **dict.fromkeys(("支付方式", "付款方式", "结算方式", "paymentmethod", "payment"), "payment_method"),
    # 收款人: a spending row's payee; on a payout row (no 户主 column) the household it pays.
    **dict.fromkeys(("收款人", "payee", "收款单位", "收款方"), "payee"),
    **dict.fromkeys(("年份", "年度", "year"), "year"),  # the year of a 日期 written 9月
    **dict.fromkeys(("村民小组", "小组", "组", "group", "村组"), "group"),  # 组账村代记: code or name
}
# A kind as files write it (squashed: its code, its name, its aliases) → its code.
KIND_ALIASES = {squash(text): code for text, code in KINDS.written().items()}
PAYMENT_METHOD_ALIASES = {squash(text): code for text, code in PAYMENT_METHODS.written().items()}
_KINDS_LISTED = "、".join(KINDS.names[code] for code in KINDS_AS_LISTED)
# The field an Invalid from the ledger's checks names → the column that holds it.
FIELD_COLUMNS = {"kind": "kind", "amount": "amount", "quantity": "quantity", "unit": "unit"}
FIELD_COLUMNS |= {"household_id": "household", "date": "date", "period": "period", "note": "note"}
FIELD_COLUMNS |= {"group": "group"}
FIELD_COLUMNS |= {"category": "category", "payment_method": "payment_method", "payee": "payee"}


def default_importer(project: Project) -> User | None:
    """The accountant of the project's village who owns command-line imports (the first one)."""
    q = select(User).where(User.role == "accountant", User.area_id == project.village_id, User.active.is_(True))
    return db.session.scalars(q.order_by(User.id)).first()


def import_ledger(
    user: User,
    project: Project,
    path: Path,
    file_name: str,
    *,
    dry_run: bool = False,
    preview_limit: int = 0,
    options: ReadOptions | None = None,
) -> ImportReport:
    """Check every row of the file and, when all are good and this is not a dry run, add them as one batch of drafts.

    The file is read and checked first, writing nothing and holding no lock; the drafts are then
    written in one short transaction (`_write`)."""
    report = ImportReport("ledger", file_name, dry_run, preview_limit=preview_limit, options=options or ReadOptions())
    try:
        checked = _check(user, project, Path(path), report)
        if checked is not None:
            _write(user, project, checked, report)
    except RollBack:
        pass
    return report


class _Checked:
    """What the checking pass keeps for the writing pass: the drafts (plain tuples, `bulk.DRAFT`),
    the months found open and the head name of each household the rows pay."""

    def __init__(self):
        self.drafts: list[tuple] = []
        self.periods: set[str] = set()
        self.homes: dict[int, str] = {}


@atomic  # (writes nothing: ends the reading transaction)
def _check(user: User, project: Project, path: Path, report: ImportReport) -> _Checked | None:
    """Read and check the whole file, without a write or a lock; the checked rows, or None (a dry
    run, or a file with bad rows: the report says which)."""
    authorize(user, "create_entry", project.village)
    if not project.active:
        raise Invalid(_("项目已停用。"), {"project_id": _("项目已停用。")})
    checked = _Checked()
    try:
        # (checks size, type and zip bombs first; may ask which sheet)
        table = open_table(path, report.file_name, report, LEDGER_HEADERS)
        header = table.header
        _require_columns(header)
        totals = TotalsCheck()
        rows = rows_of(table, report, partial(check_total, report, header, totals=totals))  # (its total rows)
        check_not_imported("ledger", project.id, path, report)
        keep = None if report.dry_run else checked
        _read_entries(report, header, rows, project, keep, totals)
    except ImportFileError as exc:
        report.error(None, None, report.file_name, str(exc))
        raise RollBack from None
    if report.rows_ok == 0 and report.ok:
        report.error(None, None, report.file_name, _("文件中没有可导入的数据行。"))
    if not report.ok or report.dry_run:
        return None
    used = {draft[8] for draft in checked.drafts}  # (bulk.DRAFT: the household's id)
    checked.homes = {hid: name for hid, name in checked.homes.items() if hid in used}
    return checked


@atomic
def _write(user: User, project: Project, checked: _Checked, report: ImportReport) -> None:
    """Write the checked drafts as one batch, in one transaction, after checking again under the
    village's lock what may have changed while the file was read. The drafts become the rows the
    database takes, and their snapshots' leaves the batch event's word for them, before any lock
    is held."""
    as_rows(checked.drafts, db.session.get_bind().dialect.name == "postgresql")
    leaves = snapshot_leaves(checked.drafts, user.id)
    lock_village(project.village_id)  # as every write into the village's months (and close_month)
    active = db.session.scalar(select(Project.active).where(Project.id == project.id).with_for_update())
    if not active:
        changed_meanwhile(report, _("导入期间项目已停用。"))
    for period in sorted(checked.periods):
        if is_closed(project.village_id, period):
            changed_meanwhile(report, _("导入期间 %(p)s 已结账，不能再登记。", p=period))
    if checked.homes:
        q = select(Household.id, Household.head_name).where(
            Household.id.in_(checked.homes), Household.village_id == project.village_id
        )
        now = dict(db.session.execute(q.with_for_update(read=True, key_share=True)).all())
        if any(now.get(hid) != name for hid, name in checked.homes.items()):
            changed_meanwhile(report, _("导入期间本村的农户有变动。"))
    batch = new_batch(user, "ledger", project.id, report)
    writer = EntryWriter(user, batch.id, leaves)
    for row in checked.drafts:
        writer.add(row)
    checked.drafts.clear()  # written: their memory is free before the batch's event is built
    # One audit event for the batch and its rows: the chain's head is locked from here to the commit.
    close_batch(user, batch, report, writer.vouching())


# The fields of a ledger row, in the order `_RowReader.read` takes their cells.
FIELDS = ("date", "period", "note", "kind", "quantity", "unit", "amount", "household", "year", "group")
FIELDS += ("category", "payment_method", "payee")
_AMOUNT, _WIDTH = FIELDS.index("amount"), len(FIELDS)
# `_RowReader.read`'s answer for a row whose month waits for the rest of its column (see `finish`).
PENDING = "pending"


def _read_entries(
    report: ImportReport, header: Header, rows, project: Project, checked: _Checked | None, totals: TotalsCheck
) -> None:
    """Check every data row (`table.rows_of`: blank, total and signature rows are skipped there, the
    total rows checked against `totals`); while the file has no bad row, keep its draft in `checked`
    (None: a dry run)."""
    names, homes = _household_names(project.village_id)
    reader = _RowReader(report, header, project, names, homes)
    read = reader.read
    add = None
    if checked is not None:
        add = checked.drafts.append
        checked.periods = reader.checks.open_periods  # filled as the rows are checked
        checked.homes = {home.id: home.head_name for home in homes}
    # (place in FIELDS, column index) of each column the header has
    slots = tuple((FIELDS.index(name), col.index) for name, col in header.columns.items())
    rows_ok = total_fen = 0
    reading = report.reading  # hidden rows read as data: a SUBTOTAL leaves them out of its total
    hidden = reading.hidden_set if reading is not None and reading.include_hidden else ()
    try:
        for number, cells in rows:
            # Header.values, as a list in FIELDS order (None for a blank or missing cell, or a column
            # the file does not have): inlined, as the rest of this loop, for speed.
            values = [None] * _WIDTH
            count = len(cells)
            for slot, index in slots:
                if index < count:
                    value = cells[index]
                    if value.__class__ is not str or not value.isspace() and value:
                        values[slot] = value
            entry, amount = read(number, values)
            if amount is None:  # TotalsCheck.add
                totals.missing += 1
            else:
                totals.total += amount
                if hidden and number in hidden:
                    totals.hidden += amount
            if entry.__class__ is not tuple:  # None (a bad row) or PENDING
                continue
            rows_ok += 1
            total_fen += amount
            if add is not None and report.error_count == 0:
                add(entry)
        settled = [(entry, amount) for entry, amount in reader.finish() if entry is not None]
        rows_ok += len(settled)  # (the rows whose month the whole column settled)
        total_fen += sum(amount for _entry, amount in settled)
        for entry, _amount in settled if add is not None and report.ok else ():
            add(entry)
    finally:
        report.rows_ok += rows_ok
        report.total_fen += total_fen


def _require_columns(header: Header) -> None:
    missing = [name for name in ("kind", "amount") if not header.has(name)]
    if not (header.has("date") or header.has("period")):
        missing.append("date")
    if missing:
        labels = {"kind": "类别", "amount": "金额", "date": "日期/月份"}
        raise ImportFileError(
            _("第 %(r)s 行的表头缺少列：%(cols)s。", r=header.row, cols="、".join(labels[m] for m in missing))
        )


def _household_names(village_id: int) -> tuple[dict[str, list[int]], list[Household]]:
    """Head name → household ids in the village (two ids mean the name is ambiguous), and the households.

    The households go to the ledger's checks (`ledger.EntryChecks`), which then need no query for
    a payout row's household.
    """
    names: dict[str, list[int]] = {}
    homes = list(db.session.scalars(select(Household).where(Household.village_id == village_id)))
    for home in homes:
        names.setdefault(squash(home.head_name), []).append(home.id)
    return names, homes


class _RowReader:
    """Reads data rows into checked draft entries for one import, keeping what repeats from row to
    row: the parsers' memos, the header's layout, the project's checks (`ledger.EntryChecks`)."""

    def __init__(self, report: ImportReport, header: Header, project: Project, names: dict, homes: list):
        self.report, self.header, self.names = report, header, names
        self.parsers = _Parsers()
        self.cells = LedgerCells(report, header, self.bad)  # dates, months, amounts as Excel shows them
        # open_periods: months found open in this transaction; the village's households by id.
        # lock=False: the months are checked again under the village's lock when the rows are written.
        self.checks = ledger.EntryChecks(project, set(), {home.id: home for home in homes}, lock=False)
        self.project_id, self.village_id = project.id, project.village_id
        quantity = header.columns.get("quantity")
        self.quantity_unit = quantity.unit if quantity else ""
        self.has_period, self.has_unit = header.has("period"), header.has("unit")
        self.has_household = header.has("household")

    def bad(self, number: int, name: str, value, message) -> None:
        if value is NO_VALUE:  # a formula never calculated: that, not the parser's complaint about ""
            message = uncalculated_message()
        self.report.error(number, self.header.header_text(name), cell_text(value), message)

    def read(self, number: int, values: list) -> tuple[tuple | str | None, int | None]:
        """The row (its cells in FIELDS order, None where blank) as a checked draft (see `bulk.DRAFT`),
        or None with its problems reported, or PENDING (its month waits for the column: `finish`);
        and its amount."""
        report, parsers, cells = self.report, self.parsers, self.cells
        before = report.error_count
        (raw_date, raw_period, raw_note, raw_kind, raw_quantity, raw_unit, raw_amount, raw_household, raw_year,
         raw_group, raw_category, raw_method, raw_payee) = values  # fmt: skip
        entry_date = period = month = quantity = unit = household_id = None
        waits = False
        if raw_date is not None:
            entry_date, month = cells.date(number, raw_date, raw_year)
        if raw_period is not None:
            period, waits = cells.period(number, raw_period, raw_year)
        elif month is not None:
            period = month
        elif raw_date is None:
            self.bad(number, "period" if self.has_period else "date", None, _("请填写日期或月份。"))
        kind = parsers.kind(raw_kind) if raw_kind is not None else None
        if kind is None:
            message = _("未知类别（可用：%(kinds)s）。", kinds=_KINDS_LISTED)
            self.bad(number, "kind", raw_kind, message if raw_kind is not None else _("请填写类别。"))
        amount = cells.amount(number, raw_amount)
        if raw_payee is not None and raw_household is None and kind in PAYOUT_KINDS and not self.has_household:
            raw_household, raw_payee = raw_payee, None  # 收款人 of a payout: the household it pays
        category = method = payee = None
        if raw_category is not None or raw_method is not None or raw_payee is not None:
            category, method, payee = self._spending(number, raw_category, raw_method, raw_payee)
        if raw_quantity is not None:
            quantity, unit = self._quantity(number, raw_quantity, raw_unit)
        if raw_household is not None:
            household_id = self._household(number, raw_household)
        if raw_note is NO_VALUE or raw_unit is NO_VALUE:  # (text read as is: nothing else would notice)
            self.bad(number, "note" if raw_note is NO_VALUE else "unit", NO_VALUE, None)
        if waits and report.error_count == before:
            cells.wait(number, values, raw_period)
            return PENDING, amount
        note = parsers.note(raw_note)  # no control characters, stripped, as stored
        if len(report.preview) < report.preview_limit:
            report.show(
                {
                    "row": number,
                    "date": entry_date,
                    "period": period,
                    "kind": kind,
                    "amount_fen": amount,
                    "quantity": quantity,
                    "unit": unit,
                    "household": cell_text(raw_household),
                    "note": note,
                    "ok": report.error_count == before,
                }
            )
        if report.error_count > before:
            return None, amount
        try:
            quantity, unit = self.checks.check(
                period, kind, amount, entry_date, quantity, unit, household_id, note, category, method, payee
            )
            group_id = self.checks.group_of(None if raw_group is None else cell_text(raw_group))
        except Invalid as exc:
            self._refused(number, values, exc)
            return None, amount
        draft = (self.project_id, self.village_id, period, entry_date, kind, amount, quantity, unit, household_id,
                 note, group_id, category, method, payee)  # fmt: skip
        return draft, amount

    def finish(self) -> list[tuple[tuple | None, int | None]]:
        """At the end of the file: the rows that waited for their month, read now that the column
        settles it (none, with a question asked, when it does not)."""
        return [self.read(number, values) for number, values in self.cells.settle()]

    def _quantity(self, number: int, raw_quantity, raw_unit) -> tuple:
        """The quantity and its unit (the quantity's own suffix, else the unit column, else the header's)."""
        parsers, quantity, unit = self.parsers, None, None
        try:
            quantity, suffix = parsers.quantity(raw_quantity)
            unit = suffix or cell_text(raw_unit) or self.quantity_unit or None
            if unit:
                parsers.unit(unit)
        except ParseError as exc:
            name = "unit" if self.has_unit and not _has_suffix(raw_quantity) else "quantity"
            self.bad(number, name, raw_quantity, exc)
        return quantity, unit

    def _spending(self, number: int, raw_category, raw_method, raw_payee) -> tuple:
        """The category, payment method (its code, as files write it: 转账, 微信支付…) and payee as
        text; their rules are the ledger's (`ledger.spending`, through the checks)."""
        parsers, method = self.parsers, None
        category = parsers.text(raw_category) if raw_category is not None else None
        if raw_method is not None:
            method = parsers.method(raw_method)
            if method is None:
                allowed = "、".join(PAYMENT_METHODS.names.values())
                self.bad(number, "payment_method", raw_method, _("未知支付方式（可用：%(m)s）。", m=allowed))
        payee = parsers.text(raw_payee) if raw_payee is not None else None
        return category or None, method, payee or None

    def _household(self, number: int, raw_household) -> int | None:
        """The id of the one household of the village with this head's name."""
        ids = self.names.get(self.parsers.name(raw_household), ())
        if not ids:
            self.bad(number, "household", raw_household, _("本村没有这个户主。"))
        elif len(ids) > 1:
            self.bad(number, "household", raw_household, _("本村有 %(n)s 户同名户主，无法确定是哪一户。", n=len(ids)))
        else:
            return ids[0]
        return None

    def _refused(self, number: int, values: list, exc: Invalid) -> None:
        """Report what the ledger's checks refused, each field under its column."""
        report = self.report
        for field, message in exc.fields.items() or [("", exc.message)]:
            name = FIELD_COLUMNS.get(field, "")
            if name == "period" and not self.has_period:
                name = "date"
            self.bad(number, name, values[FIELDS.index(name)] if name else None, message)
        if report.preview and report.preview[-1]["row"] == number:
            report.preview[-1]["ok"] = False


class _Parsers:
    """The cell parsers of one import, remembering what they have seen (see `Memo`)."""

    def __init__(self):
        self.quantity = Memo(parse_quantity)
        self.unit, self.name = Memo(unit_code), Memo(squash)
        # Notes repeat down a ledger too: one str for each, however many rows the import keeps.
        self.note = Memo(lambda raw: cell_text(clean_text(raw, multiline=True)))
        self.kind = Memo(lambda raw: KIND_ALIASES.get(squash(raw)))
        self.method = Memo(lambda raw: PAYMENT_METHOD_ALIASES.get(squash(raw)))
        self.text = Memo(lambda raw: cell_text(clean_text(raw)).strip())


def _has_suffix(raw) -> bool:
    return isinstance(raw, str) and any(not (ch.isdigit() or ch in ".,-+−() ") for ch in raw.strip())
