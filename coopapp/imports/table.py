"""Stage 2 of an import: find the table in the rows read (`read`) — the sheet's header under its
title rows, then the data rows, without the rows no importer takes as data.

`open_table` finds the header (asking which sheet when the one the workbook opens on has none and
another has one); `rows_of` gives the data rows after it — merged cells filled down (`merges`),
blank, total and signature rows skipped and counted by one rule (`row_kinds.row_kind`), a total
row handed to the importer's check (the ledger's: `totals`). Every importer (ledger, households,
areas, users) reads its file through these two, and differs only in what it makes of a data row.

A header repeated further down (a sheet pasted together from several pages or months, each with
its header) is skipped when it names the same columns in the same places; one that places them
otherwise starts a new section where the importer reads rows with the header they were written
under (`sections`: the area list's, which reads each row's columns anew) and is refused elsewhere,
rather than read with the wrong columns.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _

from coopapp.imports.header import Header, NoHeader, find_header, match_header
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
    aliases: dict[str, str]


def open_table(path: Path, file_name: str, report: ImportReport, aliases: dict[str, str]) -> Table:
    """Read the file up to its header (see `read.open_rows`: the file is checked first).

    ImportFileError for a file that cannot be read or has no header; when the sheet the workbook
    opens on has none but other sheets do (and the user chose no sheet), the report asks which
    ("sheet") and RollBack stops the import."""
    rows, text = open_rows(path, file_name, report)
    try:
        return Table(find_header(rows, aliases, report), rows, text, aliases)
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
    sections: bool = False,
) -> Iterator[tuple[int, tuple]]:
    """The data rows of the table, (row number as the spreadsheet shows it, cells), with vertical
    merges filled down (a merge over a `refused` column is an error: `merges.fill_merges`).

    Blank rows (those a workbook leaves out too), total rows and signature rows are skipped and
    counted in `report.rows_skipped` (hidden rows left out are not: the report lists them apart);
    `on_total(number, cells, label)` is called for each total row (see `row_kinds.row_kind`).
    A header row repeated further down is skipped too (`RepeatedHeaders`; `sections`: the
    importer reads each row through `table.header`, which a header placing the columns otherwise
    then replaces; without it such a header is an ImportFileError).

    The merges are checked now (their errors reported); the rows as they are read."""
    rows = fill_merges(table.rows, report, table.header, refused)
    return _data_rows(rows, table, report, on_total, RepeatedHeaders(table, report, sections))


class RepeatedHeaders:
    """Tells a header row met again below the table's header. Cheap for a data row: only a row
    whose cell under the header's first column (or in the first column) is a column name, as
    written, is matched as a header."""

    def __init__(self, table: Table, report: ImportReport, sections: bool):
        header = table.header
        self.table, self.report, self.sections = table, report, sections
        self.names = frozenset(table.aliases) | {col.header for col in header.columns.values()}
        self.places = sorted({0, min(col.index for col in header.columns.values())})

    def skips(self, number: int, cells: tuple) -> bool:
        """Is this row a header again? True (to be skipped) when it names the header's columns in
        the same places, or, in `sections`, after making it the table's header; ImportFileError
        when it places them otherwise and the importer cannot read by sections."""
        names = self.names
        for at in self.places:
            cell = cells[at] if at < len(cells) else None
            if cell.__class__ is str and cell.strip() in names:
                break
        else:
            return False
        reading = getattr(self.report, "reading", None)
        hidden = reading.column_hidden if reading is not None and reading.hidden_columns else None
        columns = match_header(cells, self.table.aliases, hidden)
        if len(columns) < 2:
            return False  # (a data row whose note happens to be a column's name)
        header = self.table.header
        if _places(columns) == _places(header.columns):
            return True
        if not self.sections:
            raise ImportFileError(
                _(
                    "第 %(r)s 行又是一个表头，但列的位置与第 %(h)s 行的表头不同（第 %(h)s 行：%(a)s；第 %(r)s 行：%(b)s）："
                    "请把各部分的列对齐成同样的顺序，或分成几个文件导入。",
                    r=number,
                    h=header.row,
                    a=_names(header.columns),
                    b=_names(columns),
                )
            )
        self.report.warn(number, None, _names(columns), _("这一行是新的表头：以下各行按它的列读取。"))
        header.columns, header.row = columns, number
        return True


def _places(columns: dict) -> dict[str, int]:
    return {name: col.index for name, col in columns.items()}


def _names(columns: dict) -> str:
    """A header's recognised columns in order, as written: "统计用区划代码、名称"."""
    return "、".join(col.header for col in sorted(columns.values(), key=lambda c: c.index))


def _data_rows(rows, table: Table, report: ImportReport, on_total, headers) -> Iterator[tuple[int, tuple]]:
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
                if headers.skips(number, cells):
                    skipped += 1
                    continue
                yield number, cells
                continue
            skipped += 1
            if on_total is not None and kind is not BLANK and kind is not SIGNATURE:
                on_total(number, cells, kind)
    finally:
        report.rows_skipped += skipped - report.hidden_between(header.row, previous)
