"""Stage 2 of an import: find the table in the rows read (`read`) — the sheet's header under its
title rows, then the data rows, without the rows no importer takes as data.

`open_table` finds the header (asking which sheet when the one the workbook opens on has none and
another has one); `rows_of` gives the data rows after it — merged cells filled down (`merges`),
blank, total and signature rows skipped and counted by one rule (`row_kinds.row_kind`), a total
row handed to the importer's check (the ledger's: `totals`). Every importer (ledger, households,
areas, users) reads its file through these two, and differs only in what it makes of a data row.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _

from coopapp.imports.header import Header, NoHeader, find_header
from coopapp.imports.merges import REFUSED, fill_merges
from coopapp.imports.options import ReadOptions
from coopapp.imports.parse import ImportFileError
from coopapp.imports.read import open_rows
from coopapp.imports.report import ImportReport, RollBack
from coopapp.imports.row_kinds import BLANK, SIGNATURE, row_kind

# The other sheets looked at for a header (each is opened anew): a workbook of hundreds of sheets
# costs no more than this many.
MAX_PROBED = 24


@dataclass
class Table:
    """A sheet's (or a CSV file's) table: its header, the rows after it as read, and whether every
    cell is a str (a CSV file's; a workbook's may be numbers, dates or None)."""

    header: Header
    rows: Iterator[tuple[int, tuple]]
    text: bool


def open_table(path: Path, file_name: str, report: ImportReport, aliases: dict[str, str]) -> Table:
    """Read the file up to its header (see `read.open_rows`: the file is checked first).

    ImportFileError for a file that cannot be read or has no header; when the sheet the workbook
    opens on has none but other sheets do (and the user chose no sheet), the report asks which
    ("sheet") and RollBack stops the import."""
    rows, text = open_rows(path, file_name, report)
    try:
        return Table(find_header(rows, aliases, report), rows, text)
    except NoHeader:
        chosen = report.options.sheet is not None or report.options.answer("sheet") is not None
        if not chosen and len(report.sheets) > 1:
            candidates = [name for name in report.sheets if name != report.sheet][:MAX_PROBED]
            others = [name for name in candidates if _has_header(path, file_name, name, aliases)]
            if others:
                message = _("工作表“%(s)s”中找不到表头；请选择要导入的工作表。", s=report.sheet or "")
                report.ask("sheet", None, None, report.sheet, message, [(name, name) for name in others])
                raise RollBack from None
        raise


def _has_header(path: Path, file_name: str, sheet: str, aliases: dict[str, str]) -> bool:
    """Does this sheet have a header the importer knows (within its first rows)?"""
    probe = ImportReport("probe", file_name, True, options=ReadOptions(sheet=sheet))
    rows = None
    try:
        rows = open_rows(path, file_name, probe)[0]
        find_header(rows, aliases, probe)
    except ImportFileError:
        return False
    finally:
        if rows is not None:
            rows.close()
    return True


def rows_of(
    table: Table,
    report: ImportReport,
    on_total: Callable[[int, tuple, str], None] | None = None,
    refused: tuple[str, ...] = REFUSED,
) -> Iterator[tuple[int, tuple]]:
    """The data rows of the table, (row number as the spreadsheet shows it, cells), with vertical
    merges filled down (a merge over a `refused` column is an error: `merges.fill_merges`).

    Blank rows (those a workbook leaves out too), total rows and signature rows are skipped and
    counted in `report.rows_skipped` (hidden rows left out are not: the report lists them apart);
    `on_total(number, cells, label)` is called for each total row (see `row_kinds.row_kind`).

    The merges are checked now (their errors reported); the rows as they are read."""
    return _data_rows(fill_merges(table.rows, report, table.header, refused), table, report, on_total)


def _data_rows(rows, table: Table, report: ImportReport, on_total) -> Iterator[tuple[int, tuple]]:
    header = table.header
    table_totals, text = report.layout.table_totals, table.text
    previous = header.row  # a workbook leaves blank rows out: the gaps in the numbers are skipped rows
    skipped = 0
    try:
        for number, cells in rows:
            if number > previous + 1:
                skipped += number - previous - 1
            previous = number
            kind = row_kind(cells, bool(table_totals) and number in table_totals, text)
            if kind is None:
                yield number, cells
                continue
            skipped += 1
            if on_total is not None and kind is not BLANK and kind is not SIGNATURE:
                on_total(number, cells, kind)
    finally:
        report.rows_skipped += skipped - report.hidden_between(header.row, previous)
