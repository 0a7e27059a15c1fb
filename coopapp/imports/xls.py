"""Old Excel workbooks (.xls, Excel 97–2003, what older WPS saves), read with xlrd under the rules
of the XLSX reader: the sheet the workbook opens on (its active tab, never a hidden one) unless
another is named, hidden rows left out unless included, dates by the workbook's date system (1900
or 1904), merged ranges for `merges`, cells as the XLSX reader gives them (an integral number as
an int, a date as a datetime, a time of day as a time, an error as its text), within the budget.

xlrd reads the whole workbook into memory; an .xls holds at most 65,536 rows of 256 columns and
the file's size is checked first (`limits.check_file`), so that stays bounded.
"""

import os
import struct
from collections.abc import Iterator
from time import monotonic

import xlrd
from xlrd.compdoc import CompDoc, CompDocError

from coopapp.imports.layout import Layout, Merge
from coopapp.imports.xlsx import Budget, XlsxError, XlsxLimit

# Streams of an OLE2 (compound) file: an Excel workbook holds "Workbook" (BIFF8) or "Book" (BIFF5).
WORKBOOK_STREAMS = ("Workbook", "Book")


class XlsError(XlsxError):
    """The .xls workbook cannot be read (`encrypted`: it has a password)."""

    def __init__(self, message: str, encrypted: bool = False):
        super().__init__(message)
        self.encrypted = encrypted


class SheetMissing(XlsError):
    """The sheet asked for is not in the workbook; `sheets` lists the ones it has."""

    def __init__(self, name: str, sheets: list[str]):
        super().__init__(f"no sheet {name!r}")
        self.name, self.sheets = name, sheets


def ole2_kind(path) -> str:
    """What an OLE2 compound file holds: "workbook" (an .xls), "encrypted" (a password-protected
    .xlsx, which Office stores as an OLE2 file), "word" (a .doc), or "other"."""
    try:
        with open(path, "rb") as fh:
            with open(os.devnull, "w") as quiet:
                names = {entry.name for entry in CompDoc(fh.read(), logfile=quiet).dirlist}
    except (CompDocError, struct.error, IndexError, ValueError, MemoryError, AssertionError):
        return "other"
    if names & set(WORKBOOK_STREAMS):
        return "workbook"
    if "EncryptedPackage" in names or "EncryptionInfo" in names:
        return "encrypted"
    return "word" if "WordDocument" in names else "other"


def _letters(column: int) -> str:
    text = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        text = chr(65 + rest) + text
    return text


def _open(path):
    try:
        with open(os.devnull, "w") as quiet:
            return xlrd.open_workbook(path, formatting_info=True, logfile=quiet)
    except xlrd.XLRDError as exc:
        raise XlsError(str(exc), encrypted="encrypted" in str(exc).lower()) from None
    except (CompDocError, struct.error, IndexError, KeyError, ValueError, AssertionError, EOFError) as exc:
        raise XlsError(str(exc) or type(exc).__name__) from None
    except (UnicodeDecodeError, LookupError, TypeError, OverflowError, NotImplementedError) as exc:
        raise XlsError(str(exc) or type(exc).__name__) from None


def choose_sheet(book, wanted: str | None):
    """The sheet named `wanted`, else the one the workbook opens on (its active, visible tab), else
    its first visible worksheet; with the names of the visible worksheets (chart sheets are not
    worksheets: xlrd leaves them out)."""
    names = book.sheet_names()
    visible = [i for i in range(book.nsheets) if book.sheet_by_index(i).visibility == 0]
    listed = [names[i] for i in visible]
    if wanted is not None:
        if wanted not in names:
            raise SheetMissing(wanted, listed)
        return book.sheet_by_name(wanted), listed
    if not visible:
        raise XlsError("no visible worksheet")
    sheets = [book.sheet_by_index(i) for i in visible]
    shown = [i for i, sheet in zip(visible, sheets, strict=True) if sheet.sheet_visible]  # the tab shown
    selected = [i for i, sheet in zip(visible, sheets, strict=True) if sheet.sheet_selected]
    active = (shown or selected or visible)[0]
    return book.sheet_by_index(active), listed


def _value(book, cell_type: int, value):
    if cell_type in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if cell_type == xlrd.XL_CELL_NUMBER:
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if cell_type == xlrd.XL_CELL_DATE:
        try:
            moment = xlrd.xldate.xldate_as_datetime(value, book.datemode)
        except (ValueError, OverflowError):
            return value
        return moment.time() if 0 <= value < 1 else moment
    if cell_type == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    if cell_type == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(value, "#N/A")
    return value  # text


def iter_rows(
    path, budget: Budget | None = None, report=None, layout: Layout | None = None
) -> Iterator[tuple[int, tuple]]:
    """(row number, cells) for every row of the chosen sheet (blank rows as ()), hidden rows left
    out unless `report.options` includes them; `report` (optional) records the sheet read, the
    visible sheets and the hidden rows; `layout` (optional) gets the sheet's merged ranges.

    Raises XlsError for a workbook that cannot be read, XlsxLimit past the budget's cells or seconds."""
    budget = budget or Budget()
    deadline = None if budget.seconds is None else monotonic() + budget.seconds
    book = _open(path)
    options = getattr(report, "options", None)
    try:
        sheet, listed = choose_sheet(book, getattr(options, "sheet", None))
        include_hidden = bool(getattr(options, "include_hidden", False))
        if sheet.nrows * max(sheet.ncols, 1) > budget.cells:
            raise XlsxLimit("cells", sheet.nrows * sheet.ncols, budget.cells)
        if report is not None:
            report.sheet, report.sheets = sheet.name, listed
        if layout is not None:
            layout.merges = [
                Merge(f"{_letters(clo)}{rlo + 1}:{_letters(chi - 1)}{rhi}", rlo + 1, rhi, clo, chi - 1)
                for rlo, rhi, clo, chi in sheet.merged_cells
                if rhi - rlo > 1 or chi - clo > 1
            ]
        hidden = {r for r, info in sheet.rowinfo_map.items() if info.hidden}
        for r in range(sheet.nrows):
            if r in hidden and not include_hidden:
                if report is not None:
                    report.hidden_rows.append(r + 1)
                continue
            types, values = sheet.row_types(r), sheet.row_values(r)
            cells = [_value(book, t, v) for t, v in zip(types, values, strict=True)]
            while cells and cells[-1] is None:
                cells.pop()
            yield r + 1, tuple(cells)
            if r % 1024 == 0 and deadline is not None and monotonic() > deadline:
                raise XlsxLimit("seconds", None, budget.seconds)
    finally:
        book.release_resources()
