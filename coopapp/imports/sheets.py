"""The table an import reads: the workbook's sheet (the one it opens on, or the user's choice) and
its header — or, when that sheet has no header and others do, the question which sheet to read.

A workbook with several sheets that each hold a table is read from the sheet it opens on (its active
tab), and the report names it (`sheet`) with the others (`sheets`) so the page can offer them; the
import asks only when the sheet it opens on has no header it knows and another sheet has one.
"""

from collections.abc import Iterator
from pathlib import Path

from flask_babel import gettext as _

from coopapp.imports.options import ReadOptions
from coopapp.imports.parse import Header, ImportFileError, NoHeader, find_header, open_rows
from coopapp.imports.report import ImportReport, RollBack

# The other sheets looked at for a header (each is opened anew): a workbook of hundreds of sheets
# costs no more than this many.
MAX_PROBED = 24


def open_table(
    path: Path, file_name: str, report: ImportReport, aliases: dict[str, str]
) -> tuple[Header, Iterator[tuple[int, tuple]], bool]:
    """The sheet's header, the rows after it, and whether every cell is a str (see `open_rows`).

    ImportFileError for a file that cannot be read or has no header; when the sheet the workbook
    opens on has none but other sheets do (and the user chose no sheet), the report asks which
    ("sheet") and RollBack stops the import."""
    rows, text = open_rows(path, file_name, report)
    try:
        return find_header(rows, aliases, report), rows, text
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
