"""Read the CSV and XLSX files accountants keep: rows, headers, dates, totals and signatures.

Everything here streams: a file is read row by row and never held whole.
"""

import codecs
import contextlib
import csv
import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from time import monotonic

from flask_babel import gettext as _

from coopapp.core import periods
from coopapp.core.money import ParseError, parse_decimal, parse_yuan
from coopapp.core.text import digit_message, foreign_digit
from coopapp.core.vocabulary import KINDS
from coopapp.imports.cells import cell_problems, excel_fen, title_year, typed_month
from coopapp.imports.limits import FileRefused, check_file, limit_message, reading_budget
from coopapp.imports.xlsx import MAX_COLUMN, Figure, XlsxLimit

# How far down the header may sit under title and unit rows.
HEADER_SEARCH_ROWS = 30
# The roles that sign a ledger or a roster off (制表人, 会计, 出纳, 审核, 负责人 …), with the
# "人"/"员" and the office before them that some write (财务负责人, 会计主管), and the date some add.
_ROLE = (
    r"(?:单位|财务|村|部门|会计|合作社|理事会|监事会)?"
    r"(?:制表|填表|填报|编制|会计|出纳|审核|审查|审批|复核|核对|记账|负责|经手|经办|报账|主管|签字|签名|验收|保管|监督|理事长)"
    r"(?:人|员)?(?:签字|签名|签章)?(?:日期)?"
    r"|(?:prepared|checked|approved|reviewed|audited)\s*by|accountant|cashier|date"
)
# One cell of a signature row (NFKC'd: a full-width colon is ":"): one or more "role: name" (the name
# may be blank), or a role alone (its name in the next cell).
_SIGNED = re.compile(rf"(?:(?:{_ROLE})\s*:\s*[^\s:]{{0,30}}\s*)+", re.I)
_ROLE_ALONE = re.compile(rf"(?:{_ROLE})\s*:?", re.I)
_KIND_WORDS = frozenset(unicodedata.normalize("NFKC", w).lower() for w in KINDS.written())
_NAME = re.compile(r"[^\s:\d]{1,10}")  # a person's name: no digits (a number is data)
_BRACKETED = re.compile(r"^(.*?)\((.*)\)$")
# re.ASCII: \d is 0–9 only (never ٢ or ²); the text is checked by `_digits` and NFKC'd first.
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$", re.ASCII)
_PERIOD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$", re.ASCII)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$", re.ASCII)
_QUANTITY = re.compile(r"^(\(?[-+−]?[\d.,]+\)?-?)\s*(\D*)$", re.ASCII)
_EXCEL_EPOCH = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)
_PLAIN_YUAN = re.compile(r"^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$", re.ASCII)
_SERIAL = re.compile(r"\d{5}(\.0+)?", re.ASCII)
_SIX_DIGITS = re.compile(r"\d{6}", re.ASCII)
_YEAR_MONTH = re.compile(r"(\d{4})(\d{2})", re.ASCII)


def _digits(value) -> str:
    """A cell's text, NFKC'd and stripped, after refusing a digit that is neither ASCII nor
    full-width (NFKC would turn "²" into "2")."""
    text = str(value)
    if not text.isascii():
        bad = foreign_digit(text)
        if bad is not None:
            raise ParseError(digit_message(bad))
        text = unicodedata.normalize("NFKC", text)
    return text.strip()


def cell_digits(value) -> str:
    """A text cell as the parsers read it: NFKC'd (full-width → ASCII) and stripped; ParseError for a
    digit that is neither ASCII nor full-width (a superscript ² or an Arabic-Indic ٢ is no number)."""
    return _digits(value)


class ImportFileError(Exception):
    """The file as a whole cannot be read (not CSV/XLSX, unreadable, no header)."""


def squash(value) -> str:
    """A cell as comparable text: NFKC (full-width → ASCII), no spaces, lower case."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", "", text).lower()


def cell_text(value) -> str:
    """A cell as the user sees it, for error reports."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d") if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def is_blank(cells) -> bool:
    """No cell holds anything but spaces (stops at the first that does)."""
    for c in cells:
        if c is not None and not (isinstance(c, str) and not c.strip()):
            return False
    return True


# ---- reading files ----------------------------------------------------------


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def csv_encoding(path: Path) -> str:
    """utf-8-sig when the whole file decodes as UTF-8 (with or without BOM), else gb18030 (GBK's superset)."""
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return "utf-8-sig" if encoding == "utf-8" else encoding
    raise ImportFileError(_("无法识别 CSV 文件的文字编码（应为 UTF-8 或 GBK），请在 Excel 中另存为 CSV 或 .xlsx。"))


def read_rows(path: Path, file_name: str, report=None) -> Iterator[tuple[int, tuple]]:
    """Yield (row number as the spreadsheet shows it, cells) for every row of a CSV or XLSX file
    (of a workbook, the rows its sheet has: a number skipped is a blank row, see `blank_rows_between`).

    The file is checked first (size, type by content, zip bombs: see `limits`); any problem,
    then or while reading, is an ImportFileError.

    `report` (an ImportReport, optional): its `options` say how to read (which sheet, hidden rows),
    and the reading records in it what it found (`sheet`, `sheets`, `hidden_rows`, questions).
    """
    yield from open_rows(path, file_name, report)[0]


def open_rows(path: Path, file_name: str, report=None) -> tuple[Iterator[tuple[int, tuple]], bool]:
    """`read_rows` with the file checked now, and whether every cell it yields is a str (a CSV
    file's are; a workbook's may be numbers, dates or None)."""
    try:
        suffix = check_file(path, file_name)
    except FileRefused as exc:
        raise ImportFileError(str(exc)) from None
    if suffix == ".csv":
        return _csv_rows(path), True
    if suffix == ".xls":
        return _xls_rows(path, report), False
    return _xlsx_rows(path, report), False


def blank_rows_between(previous: int, number: int) -> int:
    """The blank rows a workbook leaves out between two rows it has (counted, never read)."""
    return number - previous - 1 if number > previous + 1 else 0


# Our CSV exports (and OWASP's advice) put ' before text Excel would run as a formula.
_GUARDED = ("'=", "'+", "'-", "'@", "'\t", "'\r")


def _unguarded(cell: str) -> str:
    """A CSV cell without the ' that kept Excel from reading it as a formula."""
    return cell[1:] if cell.startswith(_GUARDED) else cell


def _holds_byte(path: Path, byte: bytes) -> bool:
    with open(path, "rb") as fh:
        return any(byte in chunk for chunk in iter(lambda: fh.read(1 << 20), b""))


def _csv_rows(path: Path) -> Iterator[tuple[int, tuple]]:
    encoding = csv_encoding(path)
    # Without a ' anywhere in the file no cell can be guarded ("'" is one byte in UTF-8 and
    # GB18030 alike, never part of another character), and rows need not be looked at.
    guarded = _holds_byte(path, b"'")
    with open(path, encoding=encoding, newline="") as fh:
        sample = fh.read(4096)
        fh.seek(0)
        # Only the delimiter (and spaces after it) is taken from the sniffer: the quoting is always
        # Excel's ("…" with "" inside), as Excel and WPS save. The sniffer guesses it wrong from a
        # quoted cell with a line break and a "" (it drops the doubling) and from a note typed
        # as '…' (it takes ' for the quote).
        try:
            sniffed = csv.Sniffer().sniff(sample, delimiters=",\t;")
        except csv.Error:
            sniffed = None
        if sniffed is not None and sniffed.quotechar != '"':
            # It took ' for the quote, and may have taken a delimiter inside '…' with it.
            with contextlib.suppress(csv.Error):
                sniffed = csv.Sniffer().sniff(sample.replace("'", ""), delimiters=",\t;")
        layout = {"delimiter": sniffed.delimiter, "skipinitialspace": sniffed.skipinitialspace} if sniffed else {}
        lines = _budgeted_lines(fh, layout.get("delimiter", csv.excel.delimiter))
        number = 0
        try:
            if guarded:
                for number, cells in enumerate(csv.reader(lines, csv.excel, **layout), start=1):
                    yield number, tuple(_unguarded(cell) for cell in cells)
            else:
                for number, cells in enumerate(csv.reader(lines, csv.excel, **layout), start=1):
                    yield number, tuple(cells)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ImportFileError(_("第 %(r)s 行之后无法读取 CSV 文件：%(e)s", r=number, e=str(exc)[:200])) from None
        except XlsxLimit as exc:
            raise ImportFileError(limit_message(exc)) from None


def _budgeted_lines(fh, delimiter: str) -> Iterator[str]:
    """The lines of a CSV file within the reading budget of a workbook (`limits.reading_budget`):
    its cells (each line counted as its delimiters + 1, before the csv module splits it), no line
    wider than Excel's 16,384 columns, and its seconds. Past one: XlsxLimit."""
    budget = reading_budget()
    cells_left, widest = budget.cells, MAX_COLUMN
    deadline = None if budget.seconds is None else monotonic() + budget.seconds
    for number, line in enumerate(fh, start=1):
        width = line.count(delimiter) + 1
        if width > widest:
            raise XlsxLimit("csv_columns", number, widest)
        cells_left -= width
        if cells_left < 0:
            raise XlsxLimit("cells", None, budget.cells)
        if not number & 1023 and deadline is not None and monotonic() > deadline:
            raise XlsxLimit("seconds", None, budget.seconds)
        yield line


def _xlsx_rows(path: Path, report=None) -> Iterator[tuple[int, tuple]]:
    """The rows the sheet has (a row it leaves out is blank: the numbers show the gaps); hidden rows
    only when the report's options include them."""
    from coopapp.imports.limits import limit_message, max_uncompressed_bytes, reading_budget
    from coopapp.imports.workbook_sheets import NoSuchSheet
    from coopapp.imports.xlsx import XlsxError, XlsxLimit, iter_rows

    def opened(book) -> None:
        if report is not None:
            report.date1904 = book.date1904

    read = sheet_read(report)
    try:
        rows = iter_rows(
            path,
            max_uncompressed_bytes(),
            reading_budget(),
            read,
            layout=report.layout if report is not None else None,
            opened=opened,
        )
        first = next(rows, None)  # (the workbook is open: the sheet is chosen)
        if report is not None:
            report.sheet, report.sheets = read.name, read.names
        if first is not None:
            yield first
            yield from rows
    except NoSuchSheet as exc:
        raise ImportFileError(sheet_message(exc.wanted, exc.names)) from None
    except XlsxLimit as exc:
        raise ImportFileError(limit_message(exc)) from None
    except XlsxError as exc:
        raise ImportFileError(_("无法读取 Excel 文件：%(e)s", e=str(exc)[:200])) from None


def sheet_read(report):
    """What to ask of a workbook's sheet, from the report's options (which sheet; hidden rows as data
    when included, or when the question about a total over hidden rows was answered so); the report
    shares what the reading finds (`report.reading`, `sheet`, `sheets`, `hidden_rows`)."""
    from coopapp.imports.workbook_sheets import SheetRead

    if report is None:
        return SheetRead()
    options = report.options
    include = options.include_hidden or options.answer("hidden_sum") == "include"
    read = SheetRead(sheet=options.sheet or options.answer("sheet"), include_hidden=include)
    report.reading, report.hidden_rows = read, read.hidden_rows
    return read


def sheet_message(wanted: str | None, names: list[str]) -> str:
    """Why no sheet can be read: the one asked for is not there (naming those there are), or none shows."""
    listed = "、".join(names) or "—"
    if wanted is None:
        return _("工作簿中没有可见的工作表（本文件的工作表：%(names)s）。", names=listed)
    return _("工作簿中没有名为“%(s)s”的工作表（本文件的工作表：%(names)s）。", s=wanted, names=listed)


def _xls_rows(path: Path, report=None) -> Iterator[tuple[int, tuple]]:
    """The rows of an old Excel workbook (.xls), read with xlrd under the same rules (see `xls`)."""
    from coopapp.imports.limits import limit_message, reading_budget
    from coopapp.imports.xls import SheetMissing, XlsError, iter_rows
    from coopapp.imports.xlsx import XlsxLimit

    try:
        yield from iter_rows(path, reading_budget(), report, report.layout if report is not None else None)
    except XlsxLimit as exc:
        raise ImportFileError(limit_message(exc)) from None
    except SheetMissing as exc:
        names = "、".join(exc.sheets)
        raise ImportFileError(
            _("工作簿中没有名为“%(name)s”的工作表（有：%(names)s）。", name=exc.name, names=names)
        ) from None
    except XlsError as exc:
        if exc.encrypted:
            raise ImportFileError(_("这个 Excel 文件设置了打开密码：请在 Excel 中去掉密码、另存后再导入。")) from None
        raise ImportFileError(_("无法读取 Excel 文件：%(e)s", e=str(exc)[:200])) from None


class Memo:
    """A parser that remembers its results for cell values it has seen (dates, kinds and units repeat
    down a ledger); errors are not remembered, so each bad cell is reported in the current language."""

    def __init__(self, parse, limit: int = 8192):
        self.parse, self.limit, self.seen = parse, limit, {}

    def __call__(self, value):
        # A str (every CSV cell) is its own key; any other value is keyed with its type, so that
        # 1, 1.0 and True stay apart. A str never equals such a tuple, so they share one dict.
        key = value if value.__class__ is str else (type(value), value)
        try:
            return self.seen[key]
        except KeyError:
            result = self.parse(value)
            if len(self.seen) < self.limit:
                self.seen[key] = result
            return result


# ---- headers --------------------------------------------------------------------


# What a report calls a column the file does not have (e.g. 户主 for a payout row).
COLUMN_NAMES = {
    "date": "日期",
    "period": "月份",
    "note": "摘要",
    "kind": "类别",
    "quantity": "数量",
    "unit": "单位",
    "amount": "金额",
    "household": "户主",
    "head_name": "户主",
    "members": "人口",
    "group": "村民小组",
    "phone": "电话",
    "id_number": "身份证号码",
    "formerly_poor": "脱贫户",
    "monitored": "监测户",
}


@dataclass
class Column:
    """A recognised column: the field it fills, its header as written, a unit found in the header."""

    index: int
    field: str
    header: str
    unit: str = ""


@dataclass
class Header:
    """The header row's number and its recognised columns; `year`: the one year the title rows
    above it name ("2025年蜂蜜台账"), if they name exactly one."""

    row: int
    columns: dict[str, Column] = field(default_factory=dict)
    year: int | None = None

    def has(self, name: str) -> bool:
        return name in self.columns

    def value(self, cells: tuple, name: str):
        col = self.columns.get(name)
        if col is None or col.index >= len(cells):
            return None
        value = cells[col.index]
        return None if isinstance(value, str) and not value.strip() else value

    def values(self, cells: tuple) -> dict:
        """Every recognised column's value in the row (None for a blank or missing cell), in one pass."""
        out, count = {}, len(cells)
        for name, col in self.columns.items():
            value = cells[col.index] if col.index < count else None
            if value.__class__ is str and not value.strip():
                value = None
            out[name] = value
        return out

    def header_text(self, name: str) -> str:
        col = self.columns.get(name)
        return col.header if col else COLUMN_NAMES.get(name, name)


def match_header(cells: tuple, aliases: dict[str, str], hidden=None) -> dict[str, Column]:
    """The recognised columns of a row: the first occurrence of each field wins, except that a
    visible column wins over a hidden one (`hidden(index)`: is the column hidden?), e.g. a new 金额
    beside the old one the accountant hid."""
    found: dict[str, Column] = {}
    hidden_found: set[str] = set()
    for index, cell in enumerate(cells):
        if not isinstance(cell, str) or not cell.strip():
            continue
        text = squash(cell)
        unit = ""
        name = aliases.get(text)
        if name is None:
            bracketed = _BRACKETED.match(text)
            if bracketed:
                name, unit = aliases.get(bracketed.group(1)), bracketed.group(2)
        if name is None or name in found and name not in hidden_found:
            continue
        is_hidden = hidden is not None and hidden(index)
        if name not in found or not is_hidden:
            found[name] = Column(index, name, str(cell).strip(), unit)
            if is_hidden:
                hidden_found.add(name)
            else:
                hidden_found.discard(name)
    return found


class NoHeader(ImportFileError):
    """No row near the top of the sheet is a header the importer knows."""


def find_header(rows: Iterator[tuple[int, tuple]], aliases: dict[str, str], report=None) -> Header:
    """Consume title, unit and blank rows up to the header: the first row with ≥ 2 recognised names
    (a visible column wins over a hidden one with the same name: see `match_header`; the hidden
    columns are the report's `reading`'s). The title rows' year, when they name exactly one, is the
    header's `year`."""
    years: set[int] = set()
    for number, cells in rows:
        reading = getattr(report, "reading", None)
        hidden = reading.column_hidden if reading is not None and reading.hidden_columns else None
        columns = match_header(cells, aliases, hidden)
        if len(columns) >= 2:
            return Header(number, columns, years.pop() if len(years) == 1 else None)
        years |= title_year(cells)
        if number >= HEADER_SEARCH_ROWS:
            break
    raise NoHeader(
        _("在前 %(n)s 行中找不到表头（至少要有两个可识别的列名，例如 日期、类别、金额）。", n=HEADER_SEARCH_ROWS)
    )


def unreadable(report, header: Header, number: int, cells: tuple, long_numbers=()) -> bool:
    """Report the cells of the row's recognised columns that cannot be read as Excel shows them (a
    formula never calculated; in `long_numbers` columns a number that lost digits: see
    `cells.cell_problems`); True if there were any."""
    problems = cell_problems(header, cells, long_numbers)
    for name, value, message in problems:
        report.error(number, header.header_text(name), cell_text(value), message)
    return bool(problems)


# ---- row kinds ------------------------------------------------------------------


def is_signature(cells: tuple) -> bool:
    """A sign-off row such as `会计：张三   审核：李四   负责人：王五`, wherever its cells fall: every
    non-blank cell is a "role：name" text (full-width or ASCII colon, the name may be blank), or a
    role alone followed by its name in the next non-blank cell. A number anywhere: not one."""
    texts = []
    for cell in cells:
        if cell is None:
            continue
        if cell.__class__ is not str:
            return False
        if cell and not cell.isspace():
            texts.append(unicodedata.normalize("NFKC", cell).strip())
    if not texts:
        return False
    at = 0
    while at < len(texts):
        text = texts[at]
        if _SIGNED.fullmatch(text):
            at += 1
        elif _ROLE_ALONE.fullmatch(text):
            following = texts[at + 1] if at + 1 < len(texts) else None
            if following is None or _SIGNED.fullmatch(following) or _ROLE_ALONE.fullmatch(following):
                at += 1  # a role with no name, or another role next
            elif _NAME.fullmatch(following) and squash(following) not in _KIND_WORDS:
                at += 2  # (会计 | 销售收入 is a data row's note and kind, not a signature)
            else:
                return False
        else:
            return False
    return True


# ---- values ---------------------------------------------------------------------


def parse_date(value, date1904: bool = False) -> date:
    """An Excel date cell, 2025-03-05, 2025/3/5, 2025.3.5, 2025年3月5日, 20250305, or a number taken
    as Excel's serial day (of the workbook's date system: `date1904`) — each a day of the ledger's
    years (periods.is_ledger_date), else refused: a plain number (3.5, 2026.3) is not a date just
    because it is one."""
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, time | timedelta):
        raise ParseError(_("这是一个时间（%(t)s），不是日期（例：2025-03-05）。", t=str(value)))
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return _serial_day(value, date1904)
    else:
        text = _digits(value)
        if _SERIAL.fullmatch(text):
            return _serial_day(float(text), date1904)
        day = _date_text(text)
    problem = periods.date_problem(day)
    if problem is not None:
        raise ParseError(problem)
    return day


def _date_text(text: str) -> date:
    m = _DATE.match(text) or _COMPACT_DATE.match(text)
    if m is None:
        text = text.split(" ")[0]  # "2025-03-05 00:00:00" as CSV writes a datetime
        m = _DATE.match(text)
    if m is None:
        raise ParseError(_("日期格式不对（例：2025-03-05、2025/3/5、2025年3月5日）"))
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError as exc:
        raise ParseError(_("没有这一天")) from exc


def _serial_day(value, date1904: bool) -> date:
    """A number in a date column as Excel's serial day, when that is a day of the ledger's years."""
    try:
        day = excel_serial(value, date1904)
    except ParseError:
        day = None
    if not periods.is_ledger_date(day):
        raise ParseError(_("%(v)s 是一个数字，不是日期：请写成 2025-03-05 这样的日期。", v=cell_text(value))) from None
    return day


def excel_serial(value, date1904: bool = False) -> date:
    """An Excel serial day number as a date (of the 1900 date system, or of 1904's: Mac Excel's)."""
    number = float(value)
    if not 1 <= number < 2_958_466:
        raise ParseError(_("日期格式不对（例：2025-03-05、2025/3/5、2025年3月5日）"))
    return ((_EPOCH_1904 if date1904 else _EXCEL_EPOCH) + timedelta(days=int(number))).date()


def parse_period(value, date1904: bool = False) -> str:
    """2025年9月, 2025-09, 2025/9, 2025.9 or a date cell → "2025-09"; a number 2025.9 or 2025.09
    too, but 2025.1 (also 2025.10 to Excel) is AmbiguousMonth (see `cells.typed_month`)."""
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m")
    if isinstance(value, float):  # 2025.9 or 2025.09 typed into a number cell (2025.1: AmbiguousMonth)
        return typed_month(value)[0]
    text = _digits(value)
    m = _PERIOD.match(text)
    if m is None and _SIX_DIGITS.fullmatch(text):
        m = _YEAR_MONTH.match(text)
    if m is None:
        try:
            return parse_date(value, date1904).strftime("%Y-%m")
        except ParseError:
            raise ParseError(_("月份格式不对（例：2025-09 或 2025年9月）")) from None
    month = int(m.group(2))
    if not 1 <= month <= 12:
        raise ParseError(_("月份格式不对（例：2025-09 或 2025年9月）"))
    return periods.period(int(m.group(1)), month)


def number_text(value) -> str:
    """A numeric cell as text for the money parsers (floats rounded off Excel's binary noise; an
    empty cell is empty text, which the parsers refuse as missing, not as "None")."""
    if value is None:
        return ""
    if isinstance(value, float):
        return format(Decimal(repr(round(value, 6))), "f")
    return str(value)


def parse_amount(value, unit: str = "") -> int:
    """An amount cell in fen; a 万元 header scales bare numbers. A formula's result is taken as Excel
    shows it (`cells.excel_fen`); a third decimal typed is refused."""
    scale_wan = "万" in unit
    if not scale_wan:
        # The common cells ("1,234.50" · 1234.5 · "800") without Decimal; anything else takes the long way.
        if isinstance(value, str):
            m = _PLAIN_YUAN.match(value)
        elif isinstance(value, float):
            if 0 < value < 1e13:  # an Excel number: fen straight away when it has at most two decimals
                rounded = round(value, 6)
                if round(rounded, 2) == rounded:
                    return round(rounded * 100)
            m = _PLAIN_YUAN.match(repr(round(value, 6)))
        else:
            m = None
        if m is not None:
            whole, cents = m.groups()
            if len(whole) <= 17:
                whole = whole.replace(",", "")
                if len(whole) <= 13:
                    return int(whole) * 100 + (int(cents.ljust(2, "0")) if cents else 0)
    if value.__class__ is Figure and value.formula and not scale_wan:
        # A formula's result: what Excel shows (15 significant digits, then half up to the fen).
        value = format(Decimal(excel_fen(value, None)[0]).scaleb(-2), "f")
    try:
        return parse_yuan(number_text(value), scale_wan=scale_wan)
    except ParseError as exc:
        raise ParseError(str(exc)) from None


def parse_quantity(value) -> tuple[Decimal, str]:
    """A quantity cell, possibly with its unit typed after it: 800斤 → (800, "斤")."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Decimal(number_text(value)), ""
    text = _digits(value)
    m = _QUANTITY.match(text)
    if m is None:
        raise ParseError(_("数量格式不对：“%(text)s”", text=str(value)))
    try:
        return parse_decimal(m.group(1).replace("−", "-")), m.group(2).strip()
    except ParseError as exc:
        raise ParseError(str(exc)) from None
