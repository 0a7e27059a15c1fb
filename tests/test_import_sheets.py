"""Which sheet an import reads, and hidden rows and columns (issue 16, items 1 and 2).

The workbooks are built with openpyxl as Excel would save them: one sheet per month with another
active, a hidden first sheet, a chart sheet, hidden rows under SUBTOTAL and SUM totals, an old
金额 column hidden beside the new one.
"""

import re
import zipfile

import pytest
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference

from coopapp.imports.workbook_sheets import NoSuchSheet, SheetRead, hidden_rows_counted
from coopapp.imports.xlsx import iter_rows
from coopapp.models import LedgerEntry

from .builders import LEDGER_HEADER, M, run_import, write_roster

D = M.replace(day=5)


def _ledger_sheet(ws, rows, title="台账"):
    """A ledger sheet: title (row 1), header (row 2), data rows from row 3."""
    ws.append([title])
    ws.append(LEDGER_HEADER)
    for row in rows:
        ws.append(list(row))


def _rewrite(path, name: str, change) -> None:
    """Rewrite one part of a saved workbook (what openpyxl will not write, Excel does)."""
    with zipfile.ZipFile(path) as src:
        parts = {info.filename: src.read(info.filename) for info in src.infolist()}
    parts[name] = change(parts[name].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for part, data in parts.items():
            out.writestr(part, data)


def _cache(path, values: dict[str, str]) -> None:
    """Give formula cells the value Excel would have cached (openpyxl writes none)."""

    def change(xml: str) -> str:
        for ref, value in values.items():
            xml, n = re.subn(rf'(<c r="{ref}"[^>]*>\s*<f>[^<]*</f>)\s*<v\s*/?>(?:</v>)?', rf"\1<v>{value}</v>", xml)
            assert n == 1, (ref, xml)
        return xml

    _rewrite(path, "xl/worksheets/sheet1.xml", change)


def _open_on(path, tab: int) -> None:
    """Save the workbook as opening on tab `tab` (openpyxl moves the active tab off a hidden sheet)."""
    _rewrite(path, "xl/workbook.xml", lambda xml: re.sub(r'activeTab="\d+"', f'activeTab="{tab}"', xml))


def _months(path, active: int = 2, hide_first: bool = False, chart_first: bool = False):
    """One sheet per month (3月, 4月, 5月), each with its own amount, saved with `active` open."""
    wb = Workbook()
    first = wb.active
    first.title = "3月"
    _ledger_sheet(first, [[D, "三月", "销售收入", None, "300", None]])
    for month, amount in (("4月", "400"), ("5月", "500")):
        _ledger_sheet(wb.create_sheet(month), [[D, month, "销售收入", None, amount, None]])
    if hide_first:
        lists = wb.create_sheet("下拉列表", 0)
        lists.append(["销售收入"])
        lists.sheet_state = "hidden"
    if chart_first:
        chart = BarChart()
        chart.add_data(Reference(first, min_col=5, min_row=2, max_row=3))
        wb.create_chartsheet("图表", 0).add_chart(chart)
    wb.active = active + (1 if hide_first or chart_first else 0)
    wb.save(path)
    _open_on(path, active + (1 if hide_first or chart_first else 0))
    return path


def _read(path, **kwargs) -> tuple[SheetRead, list]:
    read = SheetRead(**kwargs)
    return read, list(iter_rows(path, 1 << 30, None, read))


# ---- the reader ------------------------------------------------------------------------------


def test_the_reader_reads_the_active_tab_and_names_the_visible_sheets(tmp_path):
    read, rows = _read(_months(tmp_path / "m.xlsx", active=2))
    assert read.name == "5月" and read.names == ["3月", "4月", "5月"]
    assert rows[-1][1][1] == "5月"
    read, rows = _read(tmp_path / "m.xlsx", sheet="3月")
    assert read.name == "3月" and rows[-1][1][1] == "三月"
    with pytest.raises(NoSuchSheet) as caught:
        _read(tmp_path / "m.xlsx", sheet="6月")
    assert caught.value.names == ["3月", "4月", "5月"]


@pytest.mark.parametrize("first", ["hidden", "chart"])
def test_a_hidden_or_chart_sheet_first_is_skipped(tmp_path, first):
    # active=-1: the workbook opens on the hidden list / the chart; the first visible worksheet is read.
    path = _months(tmp_path / "m.xlsx", active=-1, hide_first=first == "hidden", chart_first=first == "chart")
    with zipfile.ZipFile(path) as book:
        assert 'activeTab="0"' in book.read("xl/workbook.xml").decode()
    read, rows = _read(path)
    assert read.name == "3月" and read.names == ["3月", "4月", "5月"]
    assert rows[-1][1][1] == "三月"
    if first == "chart":  # a chart is no sheet to read, even by name
        with pytest.raises(NoSuchSheet):
            _read(path, sheet="图表")
    else:  # a hidden worksheet is read when named
        assert _read(path, sheet="下拉列表")[0].name == "下拉列表"


def test_an_active_hidden_or_chart_tab_falls_back_to_the_first_visible_worksheet(tmp_path):
    wb = Workbook()
    wb.active.title = "源"
    wb.active.sheet_state = "hidden"
    _ledger_sheet(wb.create_sheet("台账"), [[D, "x", "销售收入", None, "1", None]])
    wb.save(tmp_path / "h.xlsx")
    _open_on(tmp_path / "h.xlsx", 0)  # the hidden one
    read, _rows = _read(tmp_path / "h.xlsx")
    assert read.name == "台账" and read.names == ["台账"]


def _voided(path, total: str, cached: str | None, hide=(4,), hide_column=False):
    """Rows 3–5 of a ledger, row 4 (a voided 200) hidden, and a totals row 6 with `total`."""
    wb = Workbook()
    ws = wb.active
    _ledger_sheet(ws, [[D, "a", "销售收入", None, 100, None], [D, "作废", "销售收入", None, 200, None]])
    ws.append([D, "c", "销售收入", None, 300, None])
    ws.append(["合计", None, None, None, total, None])
    for row in hide:
        ws.row_dimensions[row].hidden = True
    if hide_column:
        ws.column_dimensions["E"].hidden = True
    wb.save(path)
    if cached is not None:
        _cache(path, {"E6": cached})
    return path


def test_hidden_rows_are_left_out_and_listed_and_the_sums_kept(tmp_path):
    path = _voided(tmp_path / "v.xlsx", "=SUM(E3:E5)", "600")
    read, rows = _read(path)
    assert [n for n, _c in rows] == [1, 2, 3, 5, 6]
    assert read.hidden_rows == [4] and read.hidden_count == 1
    read, rows = _read(path, include_hidden=True)
    assert [n for n, _c in rows] == [1, 2, 3, 4, 5, 6] and read.hidden_rows == [4]
    assert hidden_rows_counted("SUM(E3:E5)", [4]) == [4]
    assert hidden_rows_counted("SUBTOTAL(9,E3:E5)", [4]) == []
    assert hidden_rows_counted("SUM(E5:E9)+'3月'!E4", [4]) == []
    assert hidden_rows_counted("_xlfn.AGGREGATE(9,5,E3:E5)", [4]) == []  # options 1, 3, 5, 7: visible rows
    assert hidden_rows_counted("_xlfn.AGGREGATE(9,4,E3:E5)", [4]) == [4]  # 4: ignore nothing


def test_the_expat_reader_notes_hidden_rows_and_formulas_too(tmp_path, monkeypatch):
    from coopapp.imports import xlsx

    path = _voided(tmp_path / "v.xlsx", "=SUM(E3:E5)", "600", hide_column=True)
    fast_read, fast_rows = _read(path)
    monkeypatch.setattr(xlsx, "FAST", False)
    read, rows = _read(path)
    assert rows == fast_rows and read.hidden_rows == fast_read.hidden_rows == [4]
    assert read.hidden_columns == fast_read.hidden_columns == [(4, 4)]


# ---- the imports ----------------------------------------------------------------------------


def _amounts(db):
    return sorted(e.amount_fen for e in db.session.query(LedgerEntry))


def test_the_import_reads_the_sheet_the_workbook_opens_on_and_says_which(app, db, world, tmp_path):
    path = _months(tmp_path / "months.xlsx", active=2)
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report
    assert report["sheet"] == "5月" and report["sheets"] == ["3月", "4月", "5月"]
    assert _amounts(db) == [50_000]


def test_sheet_names_another_and_an_unknown_name_lists_the_sheets(app, db, world, tmp_path):
    path = _months(tmp_path / "months.xlsx", active=2)
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--sheet", "3月")
    assert code == 0 and report["sheet"] == "3月" and _amounts(db) == [30_000]
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--sheet", "6月", "--dry-run")
    assert code == 1 and "6月" in report["errors"][0]["message"]
    assert "3月、4月、5月" in report["errors"][0]["message"]


def test_a_sheet_without_a_header_asks_which_sheet_when_others_have_one(app, db, world, tmp_path):
    wb = Workbook()
    wb.active.title = "说明"
    wb.active.append(["本台账按月分表"])
    _ledger_sheet(wb.create_sheet("9月"), [[D, "x", "销售收入", None, "12", None]])
    wb.create_sheet("空表")
    wb.active = 0
    wb.save(tmp_path / "notes.xlsx")
    args = ("ledger", tmp_path / "notes.xlsx", "--project", world.project.id)
    code, report = run_import(app, *args)
    assert code == 1 and report["errors"] == [] and _amounts(db) == []
    [question] = report["questions"]
    assert question["key"] == "sheet" and question["options"] == [{"value": "9月", "label": "9月"}]
    code, report = run_import(app, *args, "--answer", "sheet=9月")
    assert code == 0 and report["sheet"] == "9月" and _amounts(db) == [1200]


def test_a_hidden_row_is_not_data_and_a_subtotal_counts_the_visible_rows(app, db, world, tmp_path):
    path = _voided(tmp_path / "v.xlsx", "=SUBTOTAL(9,E3:E5)", "400")
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report
    assert report["hidden_rows"] == [4] and report["warnings"] == []
    assert report["rows_skipped"] == 1  # the totals row; the hidden row is listed apart
    assert _amounts(db) == [10_000, 30_000]


def test_included_hidden_rows_are_data_and_a_subtotal_still_counts_the_visible_ones(app, db, world, tmp_path):
    path = _voided(tmp_path / "v.xlsx", "=SUBTOTAL(109,E3:E5)", "400")
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--include-hidden")
    assert code == 0 and report["warnings"] == [] and report["hidden_rows"] == [4]
    assert _amounts(db) == [10_000, 20_000, 30_000]


@pytest.mark.parametrize("fast", [True, False])
def test_a_sum_over_a_hidden_row_is_a_question(app, db, world, tmp_path, monkeypatch, fast):
    from coopapp.imports import xlsx

    monkeypatch.setattr(xlsx, "FAST", fast)  # the fast reader and expat note formulas alike
    path = _voided(tmp_path / "v.xlsx", "=SUM(E3:E5)", "600")
    args = ("ledger", path, "--project", world.project.id)
    code, report = run_import(app, *args)
    assert code == 1 and report["errors"] == [] and _amounts(db) == []
    [question] = report["questions"]
    assert question["key"] == "hidden_sum" and question["row"] == 6 and "4" in question["message"]
    assert [o["value"] for o in question["options"]] == ["include", "exclude"]
    code, report = run_import(app, *args, "--answer", "hidden_sum=exclude", "--dry-run")
    assert code == 0 and report["rows_ok"] == 2 and report["warnings"][0]["row"] == 6
    code, report = run_import(app, *args, "--answer", "hidden_sum=include")
    assert code == 0 and report["warnings"] == [] and _amounts(db) == [10_000, 20_000, 30_000]


def test_a_sum_over_visible_rows_only_is_checked_as_before(app, db, world, tmp_path):
    path = _voided(tmp_path / "v.xlsx", "=SUM(E5:E5)+E3", "999")
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert code == 0 and report["questions"] == []
    assert [w["row"] for w in report["warnings"]] == [6]  # 999 is not 400


def test_a_hidden_old_amount_column_loses_to_the_visible_one(app, db, world, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["日期", "类别", "金额", "金额"])
    ws.append([D, "销售收入", 999, 100])
    ws.column_dimensions["C"].hidden = True
    wb.save(tmp_path / "cols.xlsx")
    code, report = run_import(app, "ledger", tmp_path / "cols.xlsx", "--project", world.project.id)
    assert code == 0, report
    assert _amounts(db) == [10_000]


def test_a_hidden_column_alone_is_still_read(app, db, world, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["日期", "类别", "金额"])
    ws.append([D, "销售收入", 100])
    ws.column_dimensions["C"].hidden = True
    wb.save(tmp_path / "cols.xlsx")
    code, report = run_import(app, "ledger", tmp_path / "cols.xlsx", "--project", world.project.id)
    assert code == 0 and _amounts(db) == [10_000]


def test_a_roster_leaves_hidden_rows_out(app, db, world, tmp_path):
    from openpyxl import load_workbook

    from .builders import id_number

    path = write_roster(
        tmp_path / "r.xlsx", [["张三", 3, None, id_number(901), None, "否"], ["李四", 2, None, None, None, None]]
    )
    wb = load_workbook(path)
    wb.active.row_dimensions[5].hidden = True  # 李四
    wb.save(path)
    code, report = run_import(app, "households", path, "--village", world.village.code, "--dry-run")
    assert code == 0, report
    assert report["rows_ok"] == 1 and report["hidden_rows"] == [5]


def test_the_plain_report_names_the_sheet_read_and_the_others(app, db, world, tmp_path):
    path = _months(tmp_path / "months.xlsx", active=2)
    args = ["coop", "import", "ledger", str(path), "--project", str(world.project.id), "--dry-run"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0
    assert "sheet read: 5月 (other sheets: 3月, 4月; --sheet NAME reads another)" in result.output


def test_an_answered_sheet_without_a_header_is_refused_not_asked_again(app, db, world, tmp_path):
    path = _months(tmp_path / "months.xlsx", active=2)
    wb = __import__("openpyxl").load_workbook(path)
    wb.create_sheet("空表").append(["无"])
    wb.save(path)
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--answer", "sheet=空表")
    assert code == 1 and report["questions"] == [] and "找不到表头" in report["errors"][0]["message"]


def test_rows_as_excel_writes_them_hidden_with_spans_and_a_filter_total(tmp_path, monkeypatch):
    from coopapp.imports import xlsx

    from .test_xlsx_fast_reader import sheet, write_sheet

    rows = (
        '<row r="1" spans="1:2" x14ac:dyDescent="0.25"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>100</v></c></row>'
        '<row r="2" spans="1:2" hidden="1" x14ac:dyDescent="0.25"><c r="A2" t="s"><v>1</v></c>'
        '<c r="B2"><v>200</v></c></row>'
        '<row r="3" spans="1:2" ht="0" hidden="1" customHeight="1"><c r="B3" s="0"/></row>'
        '<row r="4" spans="1:2"><c r="A4" t="s"><v>2</v></c><c r="B4"><f>SUBTOTAL(9,B1:B3)</f><v>100</v></c>'
        '<c r="C4"><f>B4*2</f><v>200</v></c></row>'
    )
    path = write_sheet(tmp_path / "excel.xlsx", sheet(rows))
    seen = {}
    for fast in (True, False):
        monkeypatch.setattr(xlsx, "FAST", fast)
        read = SheetRead()
        sums = []
        for number, _cells in iter_rows(path, 1 << 30, None, read):
            sums.append((number, dict(read.sums.get(number, {}))))
        seen[fast] = (sums, read.hidden_rows, read.name)
    # Row 2 (a value) is hidden and left out; row 3 is hidden but holds nothing: not listed.
    assert seen[True] == seen[False] == ([(1, {}), (4, {1: "SUBTOTAL(9,B1:B3)"})], [2], "台账")
