"""Stage 1 of an import: read the file — a CSV, an XLSX or an .xls workbook, told apart by its
content — into numbered rows, within the reading limits.

`open_rows` checks the file first (size, type by content, zip bombs: `limits.check_file`), then
reads it row by row, never whole. Of a workbook it reads one sheet (the one it opens on, or the
user's choice: `sheet_read`), leaves hidden rows out unless they are included, and records in the
import's report what the reading found (the sheet, the sheets, the hidden rows and columns, the
sheet's merges and tables' total rows, the date system). Any problem is an ImportFileError.
The next stage (`table`) finds the table in these rows.
"""

import codecs
import contextlib
import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path
from time import monotonic

from flask_babel import gettext as _

from coopapp.imports.limits import FileRefused, check_file, limit_message, max_uncompressed_bytes, reading_budget
from coopapp.imports.parse import ImportFileError
from coopapp.imports.workbook_sheets import NoSuchSheet, SheetRead
from coopapp.imports.xls import XlsError
from coopapp.imports.xls import iter_rows as xls_rows
from coopapp.imports.xlsx import MAX_COLUMN, XlsxError, XlsxLimit
from coopapp.imports.xlsx import iter_rows as xlsx_rows


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
    (of a workbook, the rows its sheet has: a number skipped is a blank row, which `table.rows_of` counts).

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
    read, noted = sheet_read(report), _date_system(report)
    layout = report.layout if report is not None else None
    rows = xlsx_rows(
        path, max_uncompressed_bytes(), reading_budget(), read, layout=layout, opened=lambda book: noted(book.date1904)
    )
    yield from _workbook_rows(rows)


def _xls_rows(path: Path, report=None) -> Iterator[tuple[int, tuple]]:
    """The rows of an old Excel workbook (.xls), read with xlrd under the same rules (see `xls`)."""
    read = sheet_read(report)
    rows = xls_rows(path, reading_budget(), read, report.layout if report is not None else None, _date_system(report))
    yield from _workbook_rows(rows)


def _date_system(report):
    """A callback for a workbook reader: the workbook counts its dates from 1904 (or not)."""

    def noted(date1904: bool) -> None:
        if report is not None:
            report.date1904 = date1904

    return noted


def _workbook_rows(rows) -> Iterator[tuple[int, tuple]]:
    """A workbook reader's (XLSX or XLS) rows, every problem reading it an ImportFileError that
    says what to do."""
    try:
        yield from rows
    except NoSuchSheet as exc:
        raise ImportFileError(sheet_message(exc.wanted, exc.names)) from None
    except XlsxLimit as exc:
        raise ImportFileError(limit_message(exc)) from None
    except XlsError as exc:
        if exc.encrypted:
            raise ImportFileError(_("这个 Excel 文件设置了打开密码：请在 Excel 中去掉密码、另存后再导入。")) from None
        raise ImportFileError(_("无法读取 Excel 文件：%(e)s", e=str(exc)[:200])) from None
    except XlsxError as exc:
        raise ImportFileError(_("无法读取 Excel 文件：%(e)s", e=str(exc)[:200])) from None


def sheet_read(report):
    """What to ask of a workbook's sheet, from the report's options (which sheet; hidden rows as data
    when included, or when the question about a total over hidden rows was answered so); the report
    shares what the reading finds (`report.reading`, `sheet`, `sheets`, `hidden_rows`)."""
    if report is None:
        return SheetRead()
    options = report.options
    include = options.include_hidden or options.answer("hidden_sum") == "include"
    read = SheetRead(sheet=options.sheet or options.answer("sheet"), include_hidden=include)
    report.reading = read
    return read


def sheet_message(wanted: str | None, names: list[str]) -> str:
    """Why no sheet can be read: the one asked for is not there (naming those there are), or none shows."""
    listed = "、".join(names) or "—"
    if wanted is None:
        return _("工作簿中没有可见的工作表（本文件的工作表：%(names)s）。", names=listed)
    return _("工作簿中没有名为“%(s)s”的工作表（本文件的工作表：%(names)s）。", s=wanted, names=listed)
