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
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from time import monotonic

from flask_babel import gettext as _

from coopapp.core import periods
from coopapp.core.money import ParseError, parse_decimal, parse_yuan
from coopapp.core.text import digit_message, foreign_digit
from coopapp.imports.limits import FileRefused, check_file, limit_message, reading_budget
from coopapp.imports.xlsx import MAX_COLUMN, XlsxLimit

# How far down the header may sit under title and unit rows.
HEADER_SEARCH_ROWS = 30
_SIGNATURE = re.compile(
    r"^(制表|审核|会计|出纳|负责人|填表|记账|复核|签字|签名|经办|主管|prepared|checkedby|approvedby)", re.I
)
_BRACKETED = re.compile(r"^(.*?)\((.*)\)$")
# re.ASCII: \d is 0–9 only (never ٢ or ²); the text is checked by `_digits` and NFKC'd first.
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$", re.ASCII)
_PERIOD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$", re.ASCII)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$", re.ASCII)
_QUANTITY = re.compile(r"^([-+−]?[\d.,]+)\s*(\D*)$", re.ASCII)
_EXCEL_EPOCH = datetime(1899, 12, 30)
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
    """The rows the sheet has (a row it leaves out is blank: the numbers show the gaps)."""
    from coopapp.imports.limits import limit_message, max_uncompressed_bytes, reading_budget
    from coopapp.imports.xlsx import XlsxError, XlsxLimit, iter_rows

    try:
        yield from iter_rows(path, max_uncompressed_bytes(), reading_budget())
    except XlsxLimit as exc:
        raise ImportFileError(limit_message(exc)) from None
    except XlsxError as exc:
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
    row: int
    columns: dict[str, Column] = field(default_factory=dict)

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


def match_header(cells: tuple, aliases: dict[str, str]) -> dict[str, Column]:
    """The recognised columns of a row (first occurrence of each field wins)."""
    found: dict[str, Column] = {}
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
        if name is not None and name not in found:
            found[name] = Column(index, name, str(cell).strip(), unit)
    return found


def find_header(rows: Iterator[tuple[int, tuple]], aliases: dict[str, str]) -> Header:
    """Consume title, unit and blank rows up to the header: the first row with ≥ 2 recognised names."""
    for number, cells in rows:
        columns = match_header(cells, aliases)
        if len(columns) >= 2:
            return Header(number, columns)
        if number >= HEADER_SEARCH_ROWS:
            break
    raise ImportFileError(
        _("在前 %(n)s 行中找不到表头（至少要有两个可识别的列名，例如 日期、类别、金额）。", n=HEADER_SEARCH_ROWS)
    )


# ---- row kinds ------------------------------------------------------------------


def is_signature(cells: tuple) -> bool:
    """A sign-off line such as 制表人：… 审核人：…."""
    texts = [squash(c) for c in cells if c is not None and str(c).strip()]
    return bool(texts) and _SIGNATURE.match(texts[0]) is not None and len(texts) <= 6


# ---- values ---------------------------------------------------------------------


def parse_date(value) -> date:
    """An Excel date cell or serial, 2025-03-05, 2025/3/5, 2025.3.5, 2025年3月5日, 20250305."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return excel_serial(value)
    text = _digits(value)
    if _SERIAL.fullmatch(text):
        return excel_serial(float(text))
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


def excel_serial(value) -> date:
    """An Excel serial day number (1900 date system) as a date."""
    number = float(value)
    if not 1 <= number < 2_958_466:
        raise ParseError(_("日期格式不对（例：2025-03-05、2025/3/5、2025年3月5日）"))
    return (_EXCEL_EPOCH + timedelta(days=int(number))).date()


def parse_period(value) -> str:
    """2025年9月, 2025-09, 2025/9, 2025.9 or a date cell → "2025-09"."""
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m")
    text = _digits(value)
    if isinstance(value, float | int):  # 2025.09 typed into a number cell
        text = f"{value:.2f}" if isinstance(value, float) else text
    m = _PERIOD.match(text)
    if m is None and _SIX_DIGITS.fullmatch(text):
        m = _YEAR_MONTH.match(text)
    if m is None:
        try:
            return parse_date(value).strftime("%Y-%m")
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
    """An amount cell in fen; a 万元 header scales bare numbers."""
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
