"""The XLSX reader against openpyxl and python-calamine on a corpus of real workbooks.

tests/corpus/ holds 378 workbooks from the public test files of XlsxWriter, calamine,
python-calamine, openpyxl, SheetJS, Apache POI, PhpSpreadsheet, ClosedXML and exceljs (saved by
Excel for Windows and Mac, Excel Online, LibreOffice and WPS, or written by libraries; strict OOXML,
broken, encrypted and hostile ones among them; origins and licences in tests/corpus/README.md).
For each file the import's own reading (`read.read_rows`: the file checks, then the reader) either

- refuses it with an ImportFileError (or asks a question; the test answers it with its first option
  and reads again) — only the files of REFUSED (which nobody could import) and
  PENDING (refused today, read once an item of issue 16 lands) may be refused; or
- returns rows in which every cell equals what openpyxl (read-only, data_only) returns, type for
  type, or what python-calamine returns (numbers by value: calamine has no ints; a date is a
  datetime at midnight). A cell that equals neither must be in DEVIATIONS, with its reason.

Any other exception is a failure, and so is a cell that differs. The fast reader and expat alone
(`xlsx.FAST = False`) must give the same rows on every file.

Where the reader differs from openpyxl (calamine agrees with us unless said otherwise):

| what | openpyxl | python-calamine | the reader, and why |
|---|---|---|---|
| `_xHHHH_` escapes (`_x000D_`, `_x005F_`) | leaves them as written | decodes them | decodes them: Excel means the character (issue 16 item 5) |
| an escaped control character XML cannot hold (`_x0000_`–`_x001F_` but tab, LF, CR; `_xFFFE_`, `_xFFFF_`) | leaves it as written | the character (`\\x1b`), or the escape for FFFE/FFFF | leaves it out: no ledger text holds one, and stored text must not (item 18) |
| a non-ASCII escape (`_xC1EF_`, a surrogate pair) | as written | as written | decoded, a lone surrogate as U+FFFD: PhpSpreadsheet's UnderscoreTest asserts these values for its issue.4724.xlsx (DEVIATIONS) |
| text of a `<t>` without xml:space="preserve" | as written | trimmed | as written, as openpyxl (blank if only spaces) |
| the CJK built-in date formats 27–36 and 50–58 (Chinese Excel, WPS) | the number | a date | a datetime: it is a date in Chinese Excel |
| a date-styled number past 9999-12-31 (Excel shows ####) | "#VALUE!" | the number | the number: that row is refused, not the file (calamine's issue139.xlsx) |
| a `t="inlineStr"` cell holding its text in `<v>` (POI's 52575_main.xlsx) | nothing | nothing | the text (DEVIATIONS) |
| an empty string, text of only spaces | "" / None | "" | as written; all blank to the import |

openpyxl is asked in read-only mode: its full mode empties the cells a merge covers and writes a
hyperlink's address into an empty cell (exceljs's test-issue-877.xlsx), which no one sees in Excel.
Cells covered by a merge (not its top-left cell) may also hold the top-left cell's value: the merged
cells item (11) fills a merge down. The sheet compared is the one the reader reports it read
(`report.sheet`), else the workbook's first sheet; hidden rows are asked for (`include_hidden`).
"""

import math
import re
import warnings
from datetime import date, datetime
from pathlib import Path

import pytest
import python_calamine
from openpyxl import load_workbook
from openpyxl.chartsheet import Chartsheet

from coopapp.imports import xlsx
from coopapp.imports.options import ReadOptions
from coopapp.imports.parse import ImportFileError
from coopapp.imports.read import read_rows
from coopapp.imports.report import ImportReport
from coopapp.imports.xlsx import NO_VALUE, Figure

pytestmark = pytest.mark.no_database

CORPUS = Path(__file__).parent / "corpus"
FILES = sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.suffix in (".xlsx", ".xlsm"))

# Files no one can import: the reader must refuse them (with an ImportFileError, never a crash).
_ENCRYPTED = "encrypted (an OLE2 file, not a zip)"
_BROKEN_ZIP = "a broken zip archive (fuzzer output)"
REFUSED = {
    "poi/duplicate-filename.xlsx": "two parts whose names differ only by case: a spoofing trick (issue 16 item 10)",
    "poi/xlsx-corrupted.xlsx": "its package relationships (_rels/.rels) are not XML: the package names no workbook",
    "calamine/issue252.xlsx": "a part fails its CRC check",
    "calamine/pass_protected.xlsx": _ENCRYPTED,
    "closedxml/LoadPivotTables.xlsx": "Excel's owner file (~$LoadPivotTables.xlsx, 165 bytes), not a workbook",
    "exceljs/invalid-xml.xlsx": "broken XML",
    "exceljs/missing-bits.xlsx": "no workbook part at all",
    "poi/fuzz-POIFuzzer-5040805309710336.xlsx": "no workbook part (fuzzer output)",
    "poi/fuzz-POIXSSFFuzzer-4828727001088000.xlsx": _BROKEN_ZIP,
    "poi/fuzz-POIXSSFFuzzer-5089447305609216.xlsx": _BROKEN_ZIP,
    "poi/fuzz-POIXSSFFuzzer-5185049589579776.xlsx": _BROKEN_ZIP,
    "openpyxl/null_file.xlsx": "0 bytes",
    "openpyxl/null_archive.xlsx": "an empty zip archive",
    "poi/54764.xlsx": "an XML entity bomb (billion laughs)",
    "poi/poc-xmlbomb.xlsx": "an XML entity bomb",
    "poi/invalid.xlsx": "22 bytes, not a package",
    "poi/sample-beta.xlsx": "a shared string index past the table",
    "poi/protect.xlsx": _ENCRYPTED,
    "python-calamine/empty_file.xlsx": "0 bytes",
    "python-calamine/password.xlsx": _ENCRYPTED,
}
# Refused today, read once an item of issue 16 lands (then its cells are compared like any other's).
PENDING: dict[str, str] = {}  # (files refused today that an open item will let read: none left)
# (file, cell) → the value the reader returns where it equals neither oracle, and why.
_PHP_4724 = "PhpSpreadsheet's UnderscoreTest: Excel's escapes are UTF-16 code units"
DEVIATIONS = {
    ("phpspreadsheet/issue.4724.xlsx", "A4"): ("쇯", _PHP_4724),
    ("phpspreadsheet/issue.4724.xlsx", "A5"): ("𐐅", _PHP_4724 + " (a surrogate pair joined)"),
    ("phpspreadsheet/issue.4724.xlsx", "A6"): ("\ufffd8", _PHP_4724 + " (a lone high surrogate)"),
    ("phpspreadsheet/issue.4724.xlsx", "A7"): ("9\ufffd", _PHP_4724 + " (a lone low surrogate)"),
    ("phpspreadsheet/issue.4724.xlsx", "A8"): ("\ufffd\ufffd", "two lone low surrogates: one U+FFFD each"),
    ("poi/52575_main.xlsx", "A2"): ("POI rocks!", "a formula's cached text in <v> of an inlineStr cell"),
    ("sheetjs/xlsx-stream-d-date-cell.xlsx", "B5"): (
        datetime(2014, 2, 14, 8, 27, 48, 765000),
        "an ISO date cell (t='d'): openpyxl reads it as a datetime (this file it cannot open), calamine as its text",
    ),
}
# Neither oracle opens these (openpyxl and calamine both raise): the reader's rows are not compared.
NO_ORACLE = {
    "exceljs/test-row-styles.xlsx": "sheet state 'show' (calamine), a workbook openpyxl cannot parse",
}

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CONTROL_ESCAPE = re.compile(r"_x(00[01][0-9A-Fa-f]|[Ff]{3}[EeFf])_")
MISSING = object()


def _ref(key: tuple[int, int]) -> str:
    row, column = key
    letters = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cells(rows) -> dict[tuple[int, int], object]:
    """(row number, column index) → value for every cell that is not blank."""
    return {(n, i): v for n, cells in rows for i, v in enumerate(cells) if not _blank(v)}


def ours(path: Path, name: str, app):
    """(outcome, sheet read, cells): outcome "read" or "refused" (an ImportFileError). A question
    the reading asks (which sheet …) is answered with its first option, as a user would pick one."""
    file_name = Path(name).with_suffix(".xlsx").name  # (an .xlsm is the same format; only the name is refused)
    options = ReadOptions(include_hidden=True)
    for _round in range(4):
        report = ImportReport("ledger", file_name, dry_run=True, options=options)
        with app.app_context():
            try:
                rows = list(read_rows(path, file_name, report))
            except ImportFileError:
                return "refused", None, None
        if not report.questions:
            return "read", report.sheet, _cells(rows)
        options = options.with_answers({q.key: q.options[0][0] for q in report.questions if q.options})
    raise AssertionError(f"{name}: asked again after its questions were answered: {report.questions}")


def openpyxl_cells(path: Path, sheet: str | None):
    """openpyxl's cells of the sheet (the first if None), MISSING if openpyxl cannot read the file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = load_workbook(path, read_only=True, data_only=True)
            try:
                ws = book[sheet or book.sheetnames[0]]
                if isinstance(ws, Chartsheet):
                    return {}
                ws.reset_dimensions()  # (else it reads no further than the sheet's <dimension> says)
                found = {}
                for row in ws.iter_rows():
                    for cell in row:
                        value = cell.value
                        if not _blank(value):
                            found[(cell.row, cell.column - 1)] = value
                return found
            finally:
                book.close()
    except Exception:  # noqa: BLE001 - whatever openpyxl trips on, it is no oracle for this file
        return MISSING


def calamine_cells(path: Path, sheet: str | None):
    """python-calamine's (cells, merged ranges) of the sheet, MISSING if it cannot read the file."""
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        ws = book.get_sheet_by_name(sheet) if sheet else book.get_sheet_by_index(0)
        rows = ws.to_python(skip_empty_area=False)
        merged = ws.merged_cell_ranges or []
    except Exception:  # noqa: BLE001 - as above
        return MISSING, []
    found = {(r, c): v for r, row in enumerate(rows, 1) for c, v in enumerate(row) if not _blank(v)}
    return found, merged


def same(a, b) -> bool:
    """openpyxl's equality: blank is blank, otherwise type and value (a Figure, the reader's float
    that knows its formula and decimals, is a float; NO_VALUE, a formula never calculated, blank)."""
    a = None if a is NO_VALUE else float(a) if isinstance(a, Figure) else a
    if _blank(a) or _blank(b):
        return _blank(a) and _blank(b)
    return type(a) is type(b) and a == b


def _loose(value):
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", float(value)) if not (isinstance(value, float) and math.isnan(value)) else ("nan",)
    if isinstance(value, date) and not isinstance(value, datetime):
        return ("datetime", datetime(value.year, value.month, value.day))
    return (type(value).__name__, value)


def same_as_calamine(a, b) -> bool:
    """calamine's equality (see the module's table): numbers by value, a date as midnight, text trimmed
    where calamine trims it, an escaped control character left out."""
    if isinstance(b, str):
        if _CONTROL.search(b) or _CONTROL_ESCAPE.search(b):
            b = _CONTROL_ESCAPE.sub("", _CONTROL.sub("", b))
        if isinstance(a, str):
            return a.strip() == b.strip()
    if _blank(a) or _blank(b):
        return _blank(a) and _blank(b)
    return _loose(a) == _loose(b)


def _merge_origin(key: tuple[int, int], merged) -> tuple[int, int] | None:
    """The top-left cell of the merge that covers `key` (not being it), else None."""
    row, column = key[0] - 1, key[1]
    for (r0, c0), (r1, c1) in merged:
        if r0 <= row <= r1 and c0 <= column <= c1 and (row, column) != (r0, c0):
            return (r0 + 1, c0)
    return None


def differences(name: str, found: dict, path: Path, sheet: str | None) -> list[str]:
    """The cells where the reader equals neither oracle nor DEVIATIONS, described."""
    theirs = openpyxl_cells(path, sheet)
    second: list = []  # [calamine's cells, its merges], read at the first cell openpyxl disagrees on

    def calamine():
        if not second:
            second.extend(calamine_cells(path, sheet))
        return second

    problems = []
    for key in sorted(set(found) | (set(theirs) if theirs is not MISSING else set())):
        value = found.get(key)
        if theirs is not MISSING and same(value, theirs.get(key)):
            continue
        cells, merged = calamine()
        if cells is not MISSING and same_as_calamine(value, cells.get(key)):
            continue
        origin = _merge_origin(key, merged)
        if origin is not None and same(value, found.get(origin)):
            continue  # a merge filled down
        deviation = DEVIATIONS.get((name, _ref(key)))
        if deviation is not None and same(value, deviation[0]):
            continue
        other = None if theirs is MISSING else theirs.get(key)
        alt = None if cells is MISSING else cells.get(key)
        problems.append(f"{_ref(key)}: ours {value!r}, openpyxl {other!r}, calamine {alt!r}")
    if theirs is MISSING:
        cells, _merged = calamine()
        if cells is MISSING:
            assert name in NO_ORACLE, f"{name}: neither openpyxl nor calamine reads it: add it to NO_ORACLE"
            return []
        for key in sorted(set(cells) - set(found)):
            if not same_as_calamine(None, cells[key]):
                problems.append(f"{_ref(key)}: ours None, calamine {cells[key]!r}")
    return problems


def fast_and_expat_agree(path: Path) -> None:
    def rows():
        try:
            return list(xlsx.iter_rows(path, 1 << 30))
        except xlsx.XlsxError:
            return "XlsxError"

    fast = rows()
    saved, xlsx.FAST = xlsx.FAST, False
    try:
        assert rows() == fast
    finally:
        xlsx.FAST = saved


@pytest.mark.parametrize("name", FILES)
def test_every_cell_equals_openpyxl_or_calamine(app, name):
    path = CORPUS / name
    outcome, sheet, found = ours(path, name, app)
    if outcome != "read":
        if name not in REFUSED and name not in PENDING:
            pytest.fail(f"{name}: {outcome}, not read")
        return
    if name in REFUSED:
        pytest.fail(f"{name}: read, but listed in REFUSED ({REFUSED[name]})")
    assert differences(name, found, path, sheet) == []
    fast_and_expat_agree(path)


def test_the_lists_name_files_of_the_corpus():
    """Every file REFUSED, PENDING, DEVIATIONS and NO_ORACLE name is in the corpus, and it is big
    enough to matter and small enough to keep (a few MB)."""
    named = set(REFUSED) | set(PENDING) | set(NO_ORACLE) | {name for name, _cell in DEVIATIONS}
    assert named <= set(FILES), named - set(FILES)
    assert len(FILES) >= 250
    assert sum((CORPUS / name).stat().st_size for name in FILES) < 5 * 1024 * 1024
