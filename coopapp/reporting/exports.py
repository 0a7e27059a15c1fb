"""Exports of the ledger and the household roster as CSV and XLSX files that the imports read back.

The files are an interchange format as much as a report: the headers are the Chinese column
names the imports recognise (日期, 月份, 类别, 数量, 单位, 金额（元）, 户主, 摘要; 户主, 村民小组,
家庭人口, 电话, 身份证号码, 脱贫户, 监测户) whatever the page's language, money is yuan with
two decimals in numeric cells, quantities are numbers in the stored base unit.

Both formats stream: rows come from the database `YIELD_PER` at a time; CSV is written as it is
read (UTF-8 with a BOM, so Excel reads the Chinese), XLSX through openpyxl's write-only mode into
a temporary file that is then sent in chunks. Nothing holds the whole table in memory.
"""

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coopapp.access.scope import visible_villages
from coopapp.core.money import yuan_decimal
from coopapp.core.text import xml_text
from coopapp.core.vocabulary import BASE_UNITS, KINDS, PAYMENT_METHODS, STATUSES
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import Area, Household, LedgerEntry, Project, User
from coopapp.villages.catalog import households_query
from coopapp.villages.privacy import MASKED, Privacy, household_privacy

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YIELD_PER = 1_000
XLSX_MAX_ROWS = 1_048_576  # Excel's limit per sheet; a longer table continues on the next sheet
# Money: two decimals, a negative amount (a red entry, 红字) with its minus and in red, as accountants set it.
MONEY_FORMAT = "#,##0.00;[Red]-#,##0.00"


@dataclass(frozen=True)
class Table:
    """What an export writes: a title (XLSX only), the header, the rows, which columns are money."""

    title: str
    sheet: str
    header: list[str]
    rows: Iterable[list]
    money_columns: frozenset[int] = frozenset()
    widths: tuple[int, ...] = ()
    # Long digit strings (ID numbers, phones) that Excel would turn into numbers when it opens a CSV.
    text_columns: frozenset[int] = frozenset()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """Text for a CSV cell that Excel will not run as a formula: a leading ' (OWASP's advice)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def keep_as_text(cell) -> None:
    """An openpyxl cell holding text that starts with = stays text, never a formula."""
    if isinstance(cell.value, str) and cell.value.startswith("="):
        cell.data_type = "s"


def _csv_value(value, as_text: bool = False) -> str:
    """A cell as CSV text: numbers plain, dates ISO; text that Excel would run as a formula gets a
    leading ' (OWASP's advice), a column of digit strings a leading tab (the imports strip both)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        if value.startswith(_FORMULA_START):
            return csv_text(value)
        return "\t" + value if as_text else value
    return str(value)


def csv_chunks(table: Table, rows_per_chunk: int = 500) -> Iterator[bytes]:
    """The table as CSV, UTF-8 with a BOM, CRLF lines; yielded a few hundred rows at a time."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    out.write("\ufeff")
    writer.writerow(table.header)
    text = table.text_columns
    count = 0
    for row in table.rows:
        writer.writerow([_csv_value(v, i in text) for i, v in enumerate(row)])
        count += 1
        if count % rows_per_chunk == 0:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def xlsx_file(table: Table, max_rows: int = XLSX_MAX_ROWS):
    """The table as an XLSX workbook in a temporary file (positioned at 0): openpyxl's write-only mode.

    Each sheet has the title row and the header; a table longer than `max_rows` goes on to a
    second sheet (and a third …) with the same header. Money cells carry the #,##0.00 format,
    dates Excel's date format.
    """
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    title_font = Font(bold=True, size=13)
    sheets = 0

    def new_sheet():
        nonlocal sheets
        sheets += 1
        sheet = book.create_sheet(table.sheet if sheets == 1 else f"{table.sheet}（{sheets}）")
        for index, width in enumerate(table.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        title = WriteOnlyCell(sheet, xml_text(table.title))
        title.font = title_font
        sheet.append([title])
        header = []
        for text in table.header:
            cell = WriteOnlyCell(sheet, xml_text(text))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        return sheet, 2

    sheet, used = new_sheet()
    for row in table.rows:
        if used >= max_rows:
            sheet, used = new_sheet()
        cells = list(row)
        for index, value in enumerate(cells):
            if not isinstance(value, str):
                continue
            if not value.isprintable():  # a stored control character must not break the file
                cells[index] = value = xml_text(value)
            if value.startswith("="):
                cells[index] = cell = WriteOnlyCell(sheet, value)
                cell.data_type = "s"  # text as typed, never a formula
        for index in table.money_columns:
            if cells[index] is not None:
                cell = WriteOnlyCell(sheet, cells[index])
                cell.number_format = MONEY_FORMAT
                cells[index] = cell
        sheet.append(cells)
        used += 1
    handle = tempfile.TemporaryFile()
    book.save(handle)
    handle.seek(0)
    return handle


# ---- the ledger ----------------------------------------------------------------


@dataclass(frozen=True)
class LedgerFilters:
    """The ledger list's filters, shared by the page and its export."""

    status: str | None = None
    period: str | None = None
    project_id: int | None = None
    kind: str | None = None

    def __post_init__(self):
        if self.status not in STATUSES:
            object.__setattr__(self, "status", None)
        if self.kind not in KINDS:
            object.__setattr__(self, "kind", None)

    def args(self) -> dict:
        """The filters as the list's query arguments (the empty ones left out)."""
        values = {"status": self.status, "period": self.period, "project": self.project_id, "kind": self.kind}
        return {k: v for k, v in values.items() if v}


def ledger_query(user: User, filters: LedgerFilters):
    """`ledger.entries_query` (the user's scope, newest first) narrowed by project and kind too."""
    q = ledger.entries_query(user, status=filters.status, period=filters.period)
    if filters.project_id:
        q = q.where(LedgerEntry.project_id == filters.project_id)
    if filters.kind:
        q = q.where(LedgerEntry.kind == filters.kind)
    return q


def ledger_page(user: User, filters: LedgerFilters, *, page: int, per_page: int):
    """One page of `ledger_query` with what a row of the list shows loaded (a Pagination)."""
    q = ledger_query(user, filters).options(
        selectinload(LedgerEntry.project),
        selectinload(LedgerEntry.household),
        selectinload(LedgerEntry.village),
    )
    return db.paginate(q, page=page, per_page=per_page, max_per_page=100, error_out=False)


LEDGER_HEADER = [
    "编号",
    "日期",
    "月份",
    "项目",
    "类别",
    "数量",
    "单位",
    "金额（元）",
    "户主",
    "摘要",
    "状态",
    "冲销原记录编号",
    "明细科目",
    "支付方式",
    "收款人",
]
LEDGER_AMOUNT = LEDGER_HEADER.index("金额（元）")
LEDGER_WIDTHS = (9, 12, 10, 20, 11, 11, 8, 15, 12, 30, 9, 14, 12, 10, 14)


def ledger_table(user: User, filters: LedgerFilters, title: str) -> Table:
    """The filtered ledger in the user's scope, oldest month first, with a 合计 row of the amounts.

    Household names are masked where the user may not see them (as on the pages).
    """
    return Table(
        title=title,
        sheet="台账",
        header=LEDGER_HEADER,
        rows=_ledger_rows(user, filters),
        money_columns=frozenset({LEDGER_AMOUNT}),
        widths=LEDGER_WIDTHS,
    )


def _ledger_rows(user: User, filters: LedgerFilters) -> Iterator[list]:
    entries = ledger_query(user, filters).order_by(None).subquery()
    q = (
        select(
            entries.c.id,
            entries.c.entry_date,
            entries.c.period,
            Project.name,
            entries.c.kind,
            entries.c.quantity,
            entries.c.unit,
            entries.c.amount_fen,
            Household.head_name,
            entries.c.note,
            entries.c.status,
            entries.c.reverses_id,
            entries.c.village_id,
            entries.c.category,
            entries.c.payment_method,
            entries.c.payee,
        )
        .join(Project, Project.id == entries.c.project_id)
        .outerjoin(Household, Household.id == entries.c.household_id)
        .order_by(entries.c.period, entries.c.id)
    )
    # Decided now, while the request's user is at hand: the rows are read later, as they are sent.
    privacy = {v.id: household_privacy(user, v) for v in visible_villages(user)}
    return _ledger_lines(stream(q), privacy)


def _ledger_lines(rows, privacy: dict[int, Privacy]) -> Iterator[list]:
    # The names, not the labels: a file exported in English must still import.
    kinds, units, statuses, methods = KINDS.names, BASE_UNITS.names, STATUSES.names, PAYMENT_METHODS.names
    total = 0
    for r in rows:
        name = None if r.head_name is None else privacy.get(r.village_id, MASKED).name(r.head_name)
        quantity = None if r.quantity is None else _number(Decimal(r.quantity))
        total += r.amount_fen
        yield [
            r.id,
            r.entry_date,
            r.period,
            r.name,
            kinds.get(r.kind, r.kind),
            quantity,
            units.get(r.unit, r.unit) if quantity is not None else None,
            yuan_decimal(r.amount_fen),
            name,
            r.note or None,
            statuses.get(r.status, r.status),
            r.reverses_id,
            r.category,
            methods.get(r.payment_method, r.payment_method),
            r.payee,
        ]
    yield [None, None, None, None, "合计", None, None, yuan_decimal(total), None, None, None, None, None, None, None]


def stream(q) -> Iterator:
    """The rows of a Core select, read YIELD_PER at a time on a connection of the generator's own.

    It needs no app or request context, so a CSV can be sent as it is read (the request's
    context is gone by then); the connection is closed when the rows end or the download stops.
    """
    engine = db.engine

    def rows():
        with engine.connect() as conn:
            yield from conn.execution_options(yield_per=YIELD_PER).execute(q)

    return rows()


def _number(value: Decimal) -> int | Decimal:
    """A quantity as an int when whole, else its Decimal without trailing zeros."""
    value = value.normalize()
    return int(value) if value == value.to_integral_value() else value


# ---- the household roster ------------------------------------------------------


ROSTER_HEADER = ["户主", "村民小组", "家庭人口", "电话", "身份证号码", "脱贫户", "监测户"]
ROSTER_WIDTHS = (12, 14, 10, 15, 22, 8, 8)


def roster_table(user: User, village: Area, search: str | None, title: str) -> Table:
    """The village's households (optionally those matching the page's search), masked per `household_privacy`."""
    privacy = household_privacy(user, village)
    groups = dict(db.session.execute(select(Area.id, Area.name).where(Area.parent_id == village.id)).all())
    households = households_query(user, village, search).order_by(None).subquery()
    q = select(households).order_by(households.c.id)

    def rows(households) -> Iterator[list]:
        for h in households:
            yield [
                privacy.name(h.head_name),
                groups.get(h.group_id),
                h.members,
                privacy.phone(h.phone) or None,
                privacy.id_number(h.id_number) or None,
                "是" if h.formerly_poor else "否",
                "是" if h.monitored else "否",
            ]

    return Table(
        title=title,
        sheet="农户花名册",
        header=ROSTER_HEADER,
        rows=rows(stream(q)),
        widths=ROSTER_WIDTHS,
        text_columns=frozenset({ROSTER_HEADER.index("电话"), ROSTER_HEADER.index("身份证号码")}),
    )
