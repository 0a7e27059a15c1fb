"""Property tests of the XLSX reader: workbooks built with openpyxl, read through `read.read_rows`
(and, for merges, through the table stage: `table.rows_of`), give back the values written.

Hypothesis draws the workbooks: numbers, booleans, text (Chinese, spaces, line breaks), rich text,
dates and times in the 1900 and the 1904 date system under several number formats, strings shared
or inline, hidden rows, merges, other sheets before and after the one with the data (visible,
hidden, very hidden, chart sheets), the tab the workbook opens on, and a conditional format whose
dxf carries a number format. The reader must return every value as written (a date as a datetime,
a time of day as a time, rich text as its plain text), and:
- read the sheet `workbook_sheets.choose_sheet` names (the active tab when it is a visible
  worksheet, else the first visible worksheet), name it in `report.sheet` and list the visible
  worksheets in `report.sheets`;
- leave hidden rows out unless they are included, and list in `report.hidden_rows` the hidden rows
  that hold something (an empty hidden row is not listed), whether included or not;
- return nothing for the cells a merge covers (the reader does not fill merges: the table stage
  does, `merges.fill_merges`, which `test_vertical_merges_are_filled_down_in_the_columns_read` checks).
"""

import re
import zipfile
from datetime import datetime, time
from functools import partial

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import Rule
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.styles.numbers import NumberFormat
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from coopapp.imports.options import ReadOptions
from coopapp.imports.read import read_rows
from coopapp.imports.report import ImportReport

pytestmark = pytest.mark.no_database

PROPERTY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
DATE_FORMATS = ["yyyy-mm-dd", "yyyy/m/d h:mm", 'yyyy"年"m"月"d"日"', "yyyy-mm-dd hh:mm:ss"]
TIME_FORMATS = ["h:mm", "hh:mm:ss"]
NUMBER_FORMATS = ["General", "0.00", "#,##0.00", "0%"]
_ESCAPE_LIKE = re.compile(r"_x[0-9A-Fa-f]{4}_")  # openpyxl writes these as they are; Excel would not

texts = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Co", "Cn")),
        st.sampled_from("张三李四合作社收入支出金额 \n\t_x0"),
    ),
    min_size=1,
    max_size=12,
).filter(
    lambda s: s.strip() and not _ESCAPE_LIKE.search(s) and not s.startswith("=")
)  # openpyxl writes "=…" as a formula
numbers = st.one_of(
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False, width=64).filter(lambda x: abs(x) < 1e300),
)
dates = st.datetimes(datetime(1905, 1, 1), datetime(2099, 12, 31)).map(lambda d: d.replace(microsecond=0))
times = st.times().map(lambda t: t.replace(microsecond=0))
rich = st.lists(st.tuples(texts, st.booleans()), min_size=1, max_size=3)


@st.composite
def cells(draw):
    """(what to write, its number format or None, the value the reader must return)."""
    kind = draw(st.sampled_from(["none", "number", "bool", "text", "rich", "date", "time", "spaces"]))
    if kind == "none":
        return None, None, None
    if kind == "spaces":  # (a text that holds nothing: read as written, but no reason to list its hidden row)
        value = draw(st.sampled_from([" ", "  ", "\t", " \n "]))
        return value, None, value
    if kind == "number":
        value = draw(numbers)
        written = float(f"{value:.16g}") if isinstance(value, float) else value  # (openpyxl writes 16 digits)
        return value, draw(st.sampled_from(NUMBER_FORMATS)), written
    if kind == "bool":
        value = draw(st.booleans())
        return value, None, value
    if kind == "text":
        value = draw(texts)
        return value, None, value
    if kind == "rich":
        pieces = draw(rich)
        blocks = [TextBlock(InlineFont(b=bold), text) if bold else text for text, bold in pieces]
        return CellRichText(blocks), None, "".join(text for text, _bold in pieces)
    if kind == "date":
        value = draw(dates)
        return value, draw(st.sampled_from(DATE_FORMATS)), value
    value = draw(times)
    return value, draw(st.sampled_from(TIME_FORMATS)), value


OTHER_KINDS = ["visible", "hidden", "veryHidden", "chart"]


@st.composite
def workbooks(draw, rows=None, max_others=3):
    """A plan of a workbook: rows of cells, hidden rows, merges, the other sheets around the data's
    (their kinds, the data sheet's place among them), the tab it opens on, how strings are kept."""
    if rows is None:
        width = draw(st.integers(1, 5))
        rows = st.lists(st.lists(cells(), min_size=width, max_size=width), min_size=1, max_size=12)
    rows = draw(rows)
    width = len(rows[0])
    hidden = draw(st.sets(st.integers(1, len(rows)), max_size=3))
    merges = []
    for _ in range(draw(st.integers(0, 2))):
        top, left = draw(st.integers(1, len(rows))), draw(st.integers(1, width))
        bottom, right = draw(st.integers(top, len(rows))), draw(st.integers(left, width))
        box = {(r, c) for r in range(top, bottom + 1) for c in range(left, right + 1)}
        if len(box) > 1 and not any(box & other for other in merges):
            merges.append(box)
    others = draw(st.lists(st.sampled_from(OTHER_KINDS), max_size=max_others))
    return {
        "rows": rows,
        "hidden": hidden,
        "include_hidden": draw(st.booleans()),
        "merges": merges,
        "date1904": draw(st.booleans()),
        "shared": draw(st.booleans()),
        "dxf": draw(st.booleans()),
        "others": others,
        "place": draw(st.integers(0, len(others))),  # the data sheet's tab among the others
        "active": draw(st.integers(0, len(others))),  # the tab the workbook opens on (any kind)
    }


def sheet_order(plan) -> list[tuple[str, str]]:
    """The workbook's tabs in order: (name, kind) — "data" for the sheet with the planned rows."""
    tabs = [(f"其他{n}", kind) for n, kind in enumerate(plan["others"], start=2)]
    tabs.insert(plan["place"], ("台账", "data"))
    return tabs


def chosen_sheet(plan) -> tuple[str, list[str]]:
    """The sheet the reader must read (the active tab when it is a visible worksheet, else the first
    visible worksheet: `choose_sheet`'s rule, restated) and the visible worksheets."""
    tabs = sheet_order(plan)
    visible = [name for name, kind in tabs if kind in ("data", "visible")]
    name, kind = tabs[plan["active"]]
    return (name if kind in ("data", "visible") else visible[0]), visible


def build(plan, path) -> dict[tuple[int, int], object]:
    """Write the planned workbook; the cells (row, column index) → value the reader must return
    of the data sheet."""
    wb = Workbook()
    if plan["date1904"]:
        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.title = "台账"
    expected = {}
    for r, row in enumerate(plan["rows"], start=1):
        for c, (value, number_format, want) in enumerate(row, start=1):
            if value is None:
                continue
            cell = ws.cell(row=r, column=c, value=value)
            if number_format:
                cell.number_format = number_format
            expected[(r, c - 1)] = want
    for r in plan["hidden"]:
        ws.row_dimensions[r].hidden = True
    for box in plan["merges"]:
        (top, left), (bottom, right) = min(box), max(box)
        ws.merge_cells(start_row=top, start_column=left, end_row=bottom, end_column=right)
        for r, c in box - {(top, left)}:
            expected.pop((r, c - 1), None)  # (openpyxl keeps only the top-left value of a merge)
    if plan["dxf"]:
        dxf = DifferentialStyle(numFmt=NumberFormat(numFmtId=14, formatCode="0.00%"))
        ref = f"A1:{get_column_letter(len(plan['rows'][0]))}{len(plan['rows'])}"
        ws.conditional_formatting.add(ref, Rule(type="expression", formula=["TRUE"], dxf=dxf))
    for index, (name, kind) in enumerate(sheet_order(plan)):
        if kind == "data":
            wb.move_sheet(ws, index - wb.index(ws))
        elif kind == "chart":
            chart = BarChart()
            chart.add_data(Reference(ws, min_col=1, min_row=1, max_row=1))
            wb.create_chartsheet(name, index).add_chart(chart)
        else:
            other = wb.create_sheet(name, index)
            other["A1"], other["B2"] = "别的表", int(name.removeprefix("其他"))
            other.sheet_state = kind
    wb.active = plan["place"]  # (a visible worksheet: openpyxl moves a hidden active tab; see below)
    wb.save(path)
    edits = [partial(_active_tab, plan["active"])]
    if plan["shared"]:
        edits.append(to_shared_strings)
    rewrite(path, *edits)
    return expected


def rewrite(path, *edits) -> None:
    """Rewrite the package's parts ({name: bytes}) with each edit in turn."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    for edit in edits:
        edit(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def _active_tab(index: int, parts: dict[str, bytes]) -> None:
    """The workbook opens on tab `index`, whatever its kind: openpyxl writes a visible one only,
    Excel files may name a hidden sheet or a chart sheet."""
    workbook = parts["xl/workbook.xml"]
    assert b'activeTab="' in workbook
    parts["xl/workbook.xml"] = re.sub(rb'activeTab="\d+"', f'activeTab="{index}"'.encode(), workbook)


_INLINE = re.compile(rb'<c ([^>]*?)t="inlineStr"([^>]*)><is>(.*?)</is></c>', re.S)


def to_shared_strings(parts: dict[str, bytes]) -> None:
    """Rewrite the worksheets' inline strings, plain and rich (what openpyxl writes), as shared
    strings, as Excel keeps them: a sharedStrings part with its relationship and content type."""
    table: dict[bytes, int] = {}

    def shared(match: re.Match) -> bytes:
        index = table.setdefault(match[3], len(table))
        return b"<c " + match[1] + b't="s"' + match[2] + b"><v>" + str(index).encode() + b"</v></c>"

    for name in [name for name in parts if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name)]:
        parts[name] = _INLINE.sub(shared, parts[name])
    items = b"".join(b"<si>" + text + b"</si>" for text in table)
    parts["xl/sharedStrings.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        + f' count="{len(table)}" uniqueCount="{len(table)}">'.encode()
        + items
        + b"</sst>"
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdShared" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'spreadsheetml.sharedStrings+xml"/></Types>',
    )


def read(app, path, **options) -> tuple[dict[tuple[int, int], object], ImportReport]:
    """The cells the import reads (row, column index) → value, blanks left out, and its report."""
    report = ImportReport("ledger", path.name, dry_run=True, options=ReadOptions(**options))
    with app.app_context():
        rows = list(read_rows(path, path.name, report))
    return {(n, i): v for n, cells in rows for i, v in enumerate(cells) if v is not None}, report


def _same(a, b) -> bool:
    """Equal and of one type; a number is a number (an int where the XML has no decimal point)."""
    if _number(a) and _number(b):
        return a == b
    return type(a) is type(b) and a == b


def _holds(value) -> bool:
    """Does a cell hold something (a hidden row that does is listed)? Not a text of spaces only."""
    return not (isinstance(value, str) and not value.strip())


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@PROPERTY
@given(plan=workbooks())
def test_the_reader_returns_the_values_written(app, tmp_path_factory, plan):
    check_read(app, tmp_path_factory.mktemp("wb") / "台账.xlsx", plan)


@settings(PROPERTY, max_examples=30)
@given(plan=workbooks(rows=st.just([[("金额", None, "金额")]]), max_others=4))
def test_the_sheet_read_is_the_active_tab_or_the_first_visible_worksheet(app, tmp_path_factory, plan):
    """The same property over many sheet layouts: hidden and chart sheets first, the active tab
    on any of them."""
    check_read(app, tmp_path_factory.mktemp("wb") / "台账.xlsx", plan)


def check_read(app, path, plan) -> None:
    """Build the planned workbook and read it: the sheet chosen, its hidden rows and its values."""
    written = build(plan, path)
    found, report = read(app, path, include_hidden=plan["include_hidden"])
    sheet, visible = chosen_sheet(plan)
    assert (report.sheet, report.sheets) == (sheet, visible)
    assert not report.questions
    if sheet != "台账":  # another visible worksheet, read as it was written
        assert found == {(1, 0): "别的表", (2, 1): int(sheet.removeprefix("其他"))}
        return
    holding = sorted({r for (r, _c), v in written.items() if r in plan["hidden"] and _holds(v)})
    assert report.hidden_rows == holding
    assert report.reading.hidden_count == len(holding)
    expected = {key: v for key, v in written.items() if plan["include_hidden"] or key[0] not in plan["hidden"]}
    assert found.keys() == expected.keys()
    for key, want in expected.items():
        assert _same(found[key], want), (key, found[key], want)


@pytest.mark.parametrize("date1904", [False, True])
def test_dates_in_both_systems_with_a_dxf_beside_them(app, tmp_path, date1904):
    """One example of each date system, to read without Hypothesis: 2026-03-05 stays 2026-03-05."""
    wb = Workbook()
    if date1904:
        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws["A1"], ws["B1"], ws["C1"] = datetime(2026, 3, 5), datetime(2026, 3, 5, 10, 30), time(10, 30)
    ws["A1"].number_format, ws["B1"].number_format, ws["C1"].number_format = "yyyy-mm-dd", "yyyy-mm-dd h:mm", "h:mm"
    dxf = DifferentialStyle(numFmt=NumberFormat(numFmtId=14, formatCode="0.00%"))
    ws.conditional_formatting.add("A1:C1", Rule(type="expression", formula=["TRUE"], dxf=dxf))
    wb.save(tmp_path / "dates.xlsx")
    found, _report = read(app, tmp_path / "dates.xlsx")
    assert found == {(1, 0): datetime(2026, 3, 5), (1, 1): datetime(2026, 3, 5, 10, 30), (1, 2): time(10, 30)}


def test_a_dxf_number_format_does_not_change_a_date(app, tmp_path):
    """Built-in format 14 (a date) redefined as a percentage in a conditional format's dxf, as Mac
    Excel files have it (and ClosedXML's TemplateWithTableSourcePivotTables.xlsx): still a date."""
    wb = Workbook()
    wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws["A1"] = datetime(2026, 3, 5)
    ws["A1"].number_format = "mm-dd-yy"  # built-in 14
    dxf = DifferentialStyle(numFmt=NumberFormat(numFmtId=14, formatCode="0.00%"))
    ws.conditional_formatting.add("A1:A2", Rule(type="expression", formula=["TRUE"], dxf=dxf))
    wb.save(tmp_path / "dxf.xlsx")
    found, _report = read(app, tmp_path / "dxf.xlsx")
    assert found == {(1, 0): datetime(2026, 3, 5)}


# --- bugs the corpus found (tests/test_xlsx_corpus.py) ------------------------------------------


def test_only_the_first_section_of_a_format_makes_a_date(app, tmp_path):
    """`[=0]?;[<4.16666666666667][hh]:mm:ss;[hh]:mm` (Apache POI's 57181.xlsm) shows positive numbers
    with its first section, which is no date: the number stays a number, as openpyxl and calamine
    read it (the reader made it a time of day, 00:30)."""
    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["B1"] = 0.0208333333333333, 45721
    ws["A1"].number_format = "[=0]?;[<4.16666666666667][hh]:mm:ss;[hh]:mm"
    ws["B1"].number_format = '0.00;"负"yyyy'  # a date code in the negative section only
    wb.save(tmp_path / "sections.xlsx")
    found, _report = read(app, tmp_path / "sections.xlsx")
    assert found == {(1, 0): 0.0208333333333333, (1, 1): 45721}


def test_a_date_cell_past_9999_is_the_number_and_the_file_is_read(app, tmp_path):
    """A date-styled 2994626 (calamine's issue139.xlsx; Excel shows ####) made the whole file
    unreadable ("date value out of range"); it is the number, and the import refuses that row only."""
    from coopapp.core.money import ParseError
    from coopapp.imports.parse import parse_date

    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["A2"], ws["A3"] = "日期", 2994626, datetime(2026, 3, 5)
    ws["A2"].number_format = ws["A3"].number_format = "yyyy-mm-dd"
    wb.save(tmp_path / "far.xlsx")
    found, _report = read(app, tmp_path / "far.xlsx")
    assert found == {(1, 0): "日期", (2, 0): 2994626, (3, 0): datetime(2026, 3, 5)}
    with app.test_request_context(), pytest.raises(ParseError):
        parse_date(found[(2, 0)])


def test_the_chinese_built_in_date_formats_read_as_calamine_reads_them(app, tmp_path):
    """Built-in formats 27–36 and 50–58 are dates in Chinese Excel and WPS (yyyy"年"m"月"d"日" is 31);
    openpyxl does not know them and reads the number, python-calamine reads a date, as the reader
    does (the corpus test's table; PhpSpreadsheet's issue.3654.xlsx, saved by Chinese Excel, has 58)."""
    import python_calamine
    from openpyxl import load_workbook

    from tests.test_xlsx_fast_reader import sheet, write_sheet

    path = write_sheet(tmp_path / "cjk.xlsx", sheet('<row r="1"><c r="A1" s="7"><v>46086</v></c></row>'))
    found, _report = read(app, path)
    assert found == {(1, 0): datetime(2026, 3, 5)}
    calamine = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert calamine[0][0] in (datetime(2026, 3, 5), datetime(2026, 3, 5).date())
    assert load_workbook(path, read_only=True).active["A1"].value == 46086


# --- merges through the table stage (`table.rows_of`, `merges.fill_merges`) ---------------------

MERGE_HEADER = ["日期", "类别", "摘要", "其他", "金额"]  # 其他: a column the ledger does not read
READ_COLUMNS = {0, 1, 2, 4}
AMOUNT = 4
_PLAIN = st.text(alphabet="甲乙丙丁戊己庚辛壬癸蜂蜜饲料", min_size=1, max_size=6)  # (no total or signature words)


@st.composite
def merged_ledgers(draw, over_amount=False):
    """A ledger sheet (a merged title, the header, data rows, some without an amount, some hidden) and
    merges over its data rows: boxes in the columns left of 金额, or (`over_amount`) one vertical box
    over 金额 too; whether hidden rows are read."""
    count = draw(st.integers(2, 8))
    rows = [
        [
            draw(st.none() | dates.map(lambda d: d.replace(hour=0, minute=0, second=0))),
            draw(st.none() | _PLAIN),
            draw(st.none() | _PLAIN),
            draw(st.none() | _PLAIN),
            draw(st.integers(1, 10**6) | st.none()) if not over_amount else draw(st.integers(1, 10**6)),
        ]
        for _ in range(count)
    ]
    first, last = 3, count + 2  # (title on row 1, header on row 2)
    boxes = []
    if over_amount:
        top = draw(st.integers(first, last - 1))
        boxes.append((top, draw(st.integers(top + 1, last)), draw(st.integers(0, AMOUNT)), AMOUNT))
    for column in draw(st.sets(st.integers(0, AMOUNT - 1), min_size=1)):  # blocks, as accountants merge
        cuts = sorted(draw(st.sets(st.integers(first + 1, last), max_size=3)))
        for top, end in zip([first, *cuts], [*cuts, last + 1], strict=True):
            box = (top, end - 1, column, column)
            if end - 1 > top and not any(_overlap(box, other) for other in boxes):
                boxes.append(box)
    for _ in range(draw(st.integers(0, 2))):  # and any other box
        top, left = draw(st.integers(first, last)), draw(st.integers(0, AMOUNT - 1))
        box = (top, draw(st.integers(top, last)), left, draw(st.integers(left, AMOUNT - 1)))
        if box[:2] != (top, top) or box[2] != box[3]:  # (more than one cell)
            if not any(_overlap(box, other) for other in boxes):
                boxes.append(box)
    hidden = draw(st.sets(st.integers(first, last), max_size=2))
    return rows, boxes, hidden, draw(st.booleans())


def _overlap(a, b) -> bool:
    return a[0] <= b[1] and b[0] <= a[1] and a[2] <= b[3] and b[2] <= a[3]


def _ref(box) -> str:
    top, bottom, left, right = box
    return f"{get_column_letter(left + 1)}{top}:{get_column_letter(right + 1)}{bottom}"


def table_rows(app, path, include_hidden=False):
    """The data rows the ledger's table stage gives (`open_table`, `rows_of`), and its report."""
    from coopapp.imports.ledger import LEDGER_HEADERS
    from coopapp.imports.table import open_table, rows_of

    report = ImportReport("ledger", path.name, dry_run=True, options=ReadOptions(include_hidden=include_hidden))
    with app.app_context():
        table = open_table(path, path.name, report, LEDGER_HEADERS)
        return list(rows_of(table, report)), report


def write_ledger(path, rows, boxes, hidden=()) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["2026年蜂蜜收支台账"])
    ws.merge_cells("A1:E1")
    ws.append(MERGE_HEADER)
    for row in rows:
        ws.append(row)
    for number in range(3, len(rows) + 3):
        ws.cell(number, 1).number_format = "yyyy-mm-dd"
    for box in boxes:
        ws.merge_cells(_ref(box))
    for number in hidden:
        ws.row_dimensions[number].hidden = True
    wb.save(path)


@settings(PROPERTY, max_examples=40)
@given(drawn=merged_ledgers())
def test_vertical_merges_are_filled_down_in_the_columns_read(app, tmp_path_factory, drawn):
    """Every data row of a vertical merge over a column the import reads gets the merge's top-left
    value in the merge's first column (said once per merge in a warning), unless it holds nothing but
    the cells of the merges from above (a blank row, skipped); a merge one row high, or over
    columns the import does not read only, is left as Excel keeps it (the other cells empty). Hidden
    rows left out are not data, and a merge whose top row is one fills nothing (Excel does not show
    its value either)."""
    rows, boxes, hidden, include = drawn
    path = tmp_path_factory.mktemp("merged") / "台账.xlsx"
    write_ledger(path, rows, boxes, hidden)
    found, report = table_rows(app, path, include)
    assert report.ok, report.errors
    kept = {n: list(row) for n, row in enumerate(rows, start=3) if include or n not in hidden}  # as read
    for top, bottom, left, right in boxes:
        for number in range(top, bottom + 1):
            for column in range(left, right + 1):
                if (number, column) != (top, left) and number in kept:
                    kept[number][column] = None  # (Excel keeps the top-left value only)
    filling = [b for b in boxes if b[1] > b[0] and any(c in READ_COLUMNS for c in range(b[2], b[3] + 1))]
    want, filled = {number: list(row) for number, row in kept.items()}, set()
    for number, row in kept.items():
        over = [b for b in filling if b[0] <= number <= b[1]]
        covered = {c for b in over for c in range(b[2], b[3] + 1)} - {b[2] for b in over if b[0] == number}
        if all(v is None for c, v in enumerate(row) if c not in covered):
            continue  # nothing but the cells of merges from above: a blank row stays blank
        for top, bottom, left, right in over:
            if top < number and top in kept and kept[top][left] is not None:
                want[number][left] = kept[top][left]
                filled.add(_ref((top, bottom, left, right)))
    width = len(MERGE_HEADER)  # (a row read ends at its last cell)
    padded = [(n, cells + (None,) * (width - len(cells))) for n, cells in found]
    assert padded == [(n, tuple(row)) for n, row in want.items() if any(v is not None for v in row)]
    said = {w.message.partition(" ")[0] for w in report.warnings if "合并单元格" in w.message}
    assert said == filled


@settings(PROPERTY, max_examples=15)
@given(drawn=merged_ledgers(over_amount=True))
def test_a_merge_over_the_amount_column_is_refused(app, tmp_path_factory, drawn):
    """A vertical merge over 金额 (one amount for several rows, or their total?) is an error naming
    the merge, whatever else the sheet merges or hides."""
    rows, boxes, hidden, include = drawn
    path = tmp_path_factory.mktemp("merged") / "台账.xlsx"
    write_ledger(path, rows, boxes, hidden)
    _found, report = table_rows(app, path, include)
    refused = _ref(boxes[0])
    assert [(e.row, e.column, e.value) for e in report.errors] == [(boxes[0][0], "金额", refused)]


def test_a_row_holding_a_merges_top_value_only_is_filled_by_the_merges_above(app, tmp_path):
    """A 日期 merged over rows 3–5 and a 类别 merged over rows 4–5, row 4 holding nothing else (no
    amount): Excel shows the date beside 饲料 on row 4, and so does the import (the row is not
    blank; it took 饲料, the top of its own merge, for a merged cell and left the date out)."""
    day = datetime(2026, 3, 5)
    rows = [[day, "蜂蜜", None, None, 100], [None, "饲料", None, None, None], [None, None, None, None, 50]]
    write_ledger(tmp_path / "台账.xlsx", rows, [(3, 5, 0, 0), (4, 5, 1, 1)])
    found, report = table_rows(app, tmp_path / "台账.xlsx")
    assert found == [(3, (day, "蜂蜜", None, None, 100)), (4, (day, "饲料")), (5, (day, "饲料", None, None, 50))]
    assert {w.message.partition(" ")[0] for w in report.warnings} == {"A3:A5", "B4:B5"}
