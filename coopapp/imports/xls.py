"""Old Excel workbooks (.xls, Excel 97–2003, what older WPS saves), read with xlrd under the rules
of the XLSX reader: the sheet the workbook opens on (its active tab, never a hidden one) unless
another is named (`workbook_sheets.NoSuchSheet` when it is not there), hidden rows left out unless
included and listed, hidden columns noted for the header, all in the same `SheetRead`; dates by
the workbook's date system (1900 or 1904), merged ranges for `merges`, cells as the XLSX reader
gives them (an integral number as an int, a date as a datetime, a time of day as a time, an error
as its text), within the budget. One difference: xlrd keeps a formula's value, not its text, so an
.xls total cannot say which rows it counts (SUM or SUBTOTAL): it is checked against the rows read.

xlrd reads the whole workbook into memory; an .xls holds at most 65,536 rows of 256 columns and
the file's size is checked first (`limits.check_file`), so that stays bounded.
"""

import os
import struct
from collections.abc import Iterator
from time import monotonic

import xlrd
from xlrd.compdoc import CompDoc, CompDocError

from coopapp.imports.cells import column_letter
from coopapp.imports.layout import Layout, Merge
from coopapp.imports.workbook_sheets import NoSuchSheet, SheetRead
from coopapp.imports.xlsx import Budget, XlsxError, XlsxLimit

# Streams of an OLE2 (compound) file: an Excel workbook holds "Workbook" (BIFF8) or "Book" (BIFF5).
WORKBOOK_STREAMS = ("Workbook", "Book")


class XlsError(XlsxError):
    """The .xls workbook cannot be read (`encrypted`: it has a password)."""

    def __init__(self, message: str, encrypted: bool = False):
        super().__init__(message)
        self.encrypted = encrypted


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
    """The sheet to read, as `workbook_sheets.choose_sheet` chooses a workbook's: the one named
    `wanted` (spaces around it ignored; a hidden one may be named), else the one the workbook opens
    on (its active, visible tab), else its first visible worksheet; with the names of the visible
    worksheets (chart sheets are not worksheets: xlrd leaves them out). NoSuchSheet when there is none."""
    names = book.sheet_names()
    visible = [i for i in range(book.nsheets) if book.sheet_by_index(i).visibility == 0]
    listed = [names[i] for i in visible]
    if wanted is not None:
        for index, name in enumerate(names):
            if name.strip() == wanted.strip():
                return book.sheet_by_index(index), listed
        raise NoSuchSheet(wanted, listed)
    if not visible:
        raise NoSuchSheet(None, listed)
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
    path, budget: Budget | None = None, read: SheetRead | None = None, layout: Layout | None = None, opened=None
) -> Iterator[tuple[int, tuple]]:
    """(row number, cells) for every row of the chosen sheet (blank rows as ()), as the XLSX reader
    gives a workbook's: `read` (a SheetRead) says which sheet and whether hidden rows are data, and
    gets what the reading finds — the sheet read and the visible ones, the hidden rows (left out
    unless included) and the hidden columns; `layout` (optional) gets the sheet's merged ranges;
    `opened(date1904)` is called once the workbook is open. An .xls keeps no formula's text (xlrd
    reads only the value), so `read.sums` stays empty: a total is checked against the rows read.

    Raises XlsError for a workbook that cannot be read, NoSuchSheet for a sheet it lacks, XlsxLimit
    past the budget's cells or seconds."""
    budget = budget or Budget()
    read = read if read is not None else SheetRead()
    deadline = None if budget.seconds is None else monotonic() + budget.seconds
    book = _open(path)
    try:
        if opened is not None:
            opened(book.datemode == 1)
        sheet, listed = choose_sheet(book, read.sheet)
        if sheet.nrows * max(sheet.ncols, 1) > budget.cells:
            raise XlsxLimit("cells", sheet.nrows * sheet.ncols, budget.cells)
        read.name, read.names = sheet.name, listed
        for column, info in sorted(sheet.colinfo_map.items()):
            if info.hidden:
                read.hide_columns(str(column + 1), str(column + 1))
        if layout is not None:
            layout.merges = [
                Merge(f"{column_letter(clo)}{rlo + 1}:{column_letter(chi - 1)}{rhi}", rlo + 1, rhi, clo, chi - 1)
                for rlo, rhi, clo, chi in sheet.merged_cells
                if rhi - rlo > 1 or chi - clo > 1
            ]
        hidden = {r for r, info in sheet.rowinfo_map.items() if info.hidden}
        for r in range(sheet.nrows):
            types, values = sheet.row_types(r), sheet.row_values(r)
            cells = [_value(book, t, v) for t, v in zip(types, values, strict=True)]
            while cells and cells[-1] is None:
                cells.pop()
            if r in hidden and not read.keep_hidden(r + 1, cells):
                continue
            yield r + 1, tuple(cells)
            if r % 1024 == 0 and deadline is not None and monotonic() > deadline:
                raise XlsxLimit("seconds", None, budget.seconds)
    finally:
        book.release_resources()
