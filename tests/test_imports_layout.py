"""Merged cells filled down (issue 16, item 11) and Excel tables' total rows (item 7)."""

import io
import json

from openpyxl import Workbook
from openpyxl.worksheet.table import Table, TableColumn
from sqlalchemy import select

from coopapp.imports import layout
from coopapp.imports.layout import Merge, merges_of, parse_range, table_totals
from coopapp.imports.merges import fill_merges
from coopapp.models import LedgerEntry

from .builders import LEDGER_HEADER, M, run_import, run_roster

DAY = M.replace(day=5)


def ledger_book(rows, merges=(), table=None):
    """Title (merged across), unit row, blank row, header on row 4, then `rows` from row 5."""
    book = Workbook()
    sheet = book.active
    sheet.append(["中洞村中华蜂养殖项目收支台账"])
    sheet.merge_cells("A1:F1")
    sheet.append(["单位：元"])
    sheet.append([])
    sheet.append(LEDGER_HEADER)
    for row in rows:
        sheet.append(list(row))
    for ref in merges:
        sheet.merge_cells(ref)
    if table is not None:
        sheet.add_table(table)
    return book


def test_merged_kind_and_date_cells_are_filled_down_and_said(app, db, world, tmp_path):
    rows = [
        [DAY, "蜂蜜", "销售收入", None, 100, None],
        [None, "蜂蜜", None, None, 200, None],
        [None, "蜂蜡", None, None, 300, None],
        [DAY, "饲料", "成本", None, 50, None],
        [None, "运费", None, None, 20, None],
    ]
    path = tmp_path / "merged.xlsx"
    ledger_book(rows, merges=("A5:A7", "C5:C7", "C8:C9", "A8:A9")).save(path)
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert code == 0, report
    assert (report["rows_ok"], report["total_fen"]) == (5, 67000)
    messages = {w["message"] for w in report["warnings"]}
    assert "C5:C7 合并单元格：已按每行填入「销售收入」" in messages
    assert "C8:C9 合并单元格：已按每行填入「成本」" in messages
    assert f"A5:A7 合并单元格：已按每行填入「{DAY}」" in messages
    assert {(w["row"], w["column"]) for w in report["warnings"]} >= {(5, "类别"), (8, "类别"), (5, "日期")}
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report
    kinds = db.session.scalars(select(LedgerEntry.kind).order_by(LedgerEntry.id)).all()
    assert kinds == ["sales", "sales", "sales", "cost", "cost"]


def test_a_merge_over_blank_rows_leaves_them_blank(app, db, world, tmp_path):
    rows = [[DAY, "蜂蜜", "销售收入", None, 100, None], [], [None, None, None, None, None, None]]
    path = tmp_path / "merged.xlsx"
    ledger_book(rows, merges=("C5:C7",)).save(path)
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert code == 0, report
    assert report["rows_ok"] == 1 and report["warnings"] == []


def test_a_merged_amount_is_refused(app, db, world, tmp_path):
    rows = [[DAY, "蜂蜜", "销售收入", None, 300, None], [DAY, "蜂蜡", "销售收入", None, None, None]]
    path = tmp_path / "merged.xlsx"
    ledger_book(rows, merges=("E5:E6",)).save(path)
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 1 and report["imported"] is False
    error = report["errors"][0]
    assert (error["row"], error["column"], error["value"]) == (5, "金额（元）", "E5:E6")
    assert error["message"].startswith("E5:E6 合并单元格在「金额（元）」列")


def test_a_roster_with_merged_group_cells_and_a_merged_members_cell(app, db, world, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["户主姓名", "人口", "备注"])
    sheet.append(["甲一", 3, "新迁入"])
    sheet.append(["甲二", 4, None])
    sheet.merge_cells("C2:C3")
    path = tmp_path / "roster.xlsx"
    book.save(path)
    code, report = run_roster(app, path, "--village", world.village.code, "--dry-run")
    assert code == 0, report  # 备注 is not a column the roster reads: its merge says nothing
    assert report["warnings"] == []
    sheet.merge_cells("B2:B3")
    book.save(path)
    code, report = run_roster(app, path, "--village", world.village.code, "--dry-run")
    assert code == 1
    assert report["errors"][0]["message"].startswith("B2:B3 合并单元格在「人口」列")


def test_a_merged_head_name_in_a_roster_is_refused(app, db, world, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["户主姓名", "人口"])
    sheet.append(["甲一", 3])
    sheet.append([None, 4])
    sheet.merge_cells("A2:A3")
    path = tmp_path / "roster.xlsx"
    book.save(path)
    code, report = run_roster(app, path, "--village", world.village.code, "--dry-run")
    assert code == 1 and report["rows_ok"] <= 2
    assert report["errors"][0]["message"].startswith("A2:A3 合并单元格在「户主姓名」列")


def test_overlapping_merges_are_refused(app, db, world, tmp_path):
    """Excel never writes them; a hand-made file with thousands would cost a pass over each per row."""
    from coopapp.imports.header import Column, Header
    from coopapp.imports.report import ImportReport

    header = Header(4, {"kind": Column(2, "kind", "类别"), "amount": Column(4, "amount", "金额")})
    with app.test_request_context():
        report = ImportReport("ledger", "x.xlsx", True)
        report.layout.merges = [Merge("C5:C9", 5, 9, 2, 2), Merge("C7:C1000", 7, 1000, 2, 2)]
        rows = [(5, ("", "", "销售收入", "", 1))]
        assert list(fill_merges(iter(rows), report, header)) == rows
    assert report.errors[0].message.startswith("合并单元格 C5:C9 与 C7:C1000 重叠")


def _table(ref, header, label="汇总"):
    table = Table(displayName="Ledger", ref=ref, totalsRowCount=1)
    table.tableColumns = [TableColumn(id=i + 1, name=name) for i, name in enumerate(header)]
    if label:
        table.tableColumns[0].totalsRowLabel = label
    table.tableColumns[4].totalsRowFunction = "sum"
    return table


def test_an_excel_table_total_row_is_checked_as_a_total(app, db, world, tmp_path):
    rows = [[DAY, "蜂蜜", "销售收入", None, 100, None], [DAY, "蜂蜡", "销售收入", None, 200, None]]
    path = tmp_path / "table.xlsx"
    ledger_book([*rows, ["汇总", None, None, None, 300, None]], table=_table("A4:F7", LEDGER_HEADER)).save(path)
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert code == 0, report
    assert (report["rows_ok"], report["rows_skipped"], report["warnings"]) == (2, 1, [])
    ledger_book([*rows, ["汇总", None, None, None, 999, None]], table=_table("A4:F7", LEDGER_HEADER)).save(path)
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert code == 0, report
    assert [w["message"] for w in report["warnings"]] == ["汇总 999.00 元与上方各行之和 300.00 元不符。"]


def test_a_table_total_row_without_a_label_is_never_a_data_row(app, db, world, tmp_path):
    rows = [[DAY, "蜂蜜", "销售收入", None, 100, None], [None, None, None, None, 100, None]]
    path = tmp_path / "table.xlsx"
    ledger_book(rows, table=_table("A4:F6", LEDGER_HEADER, label=None)).save(path)
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert code == 0, report
    assert (report["rows_ok"], report["rows_skipped"], report["errors"]) == (1, 1, [])
    ledger_book(rows).save(path)  # the same row outside a table is a data row, and a bad one
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert code == 1 and report["errors"][0]["row"] == 6


def test_merges_are_found_in_one_pass_over_the_sheet_bytes(monkeypatch):
    tail = (
        b'<mergeCells count="3"><mergeCell ref="B5:B9"/><x:mergeCell ref="a2:c2"/><mergeCell ref="D3:E4"/></mergeCells>'
    )
    data = b"<worksheet><sheetData>" + b'<row r="1"><c r="A1"><v>1</v></c></row>' * 20_000 + b"</sheetData>" + tail
    found = merges_of(io.BytesIO(data))
    assert found == [Merge("B5:B9", 5, 9, 1, 1), Merge("A2:C2", 2, 2, 0, 2), Merge("D3:E4", 3, 4, 3, 4)]
    for size in (5, 7, 13, 64, 1000):  # a tag cut anywhere by the pieces read
        monkeypatch.setattr(layout, "READ_BYTES", size)
        assert merges_of(io.BytesIO(data[-2000:])) == found, size
    assert merges_of(io.BytesIO(b"<worksheet><sheetData/></worksheet>")) == []
    assert parse_range("$B$5:$B$9") == (5, 9, 1, 1) and parse_range("nonsense") is None


def test_table_totals_rows():
    from xml.etree import ElementTree

    parts = {
        "t1": '<table ref="A4:F20" totalsRowCount="1"/>',
        "t2": '<table ref="H1:I9" totalsRowShown="0"/>',
        "t3": '<table ref="A30:B40" totalsRowCount="x"/>',
    }
    assert table_totals(lambda name: ElementTree.fromstring(parts[name]), list(parts)) == {20}
    assert json.dumps(sorted(table_totals(lambda n: None, ["t1"]))) == "[]"


def test_a_roster_table_total_row_is_not_a_household(app, db, world, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["户主姓名", "人口"])
    sheet.append(["甲一", 3])
    sheet.append(["甲二", 4])
    sheet.append([None, 7])  # the table's total row: SUBTOTAL of 人口, no label
    table = Table(displayName="Roster", ref="A1:B4", totalsRowCount=1)
    table.tableColumns = [TableColumn(id=1, name="户主姓名"), TableColumn(id=2, name="人口", totalsRowFunction="sum")]
    sheet.add_table(table)
    path = tmp_path / "roster.xlsx"
    book.save(path)
    code, report = run_roster(app, path, "--village", world.village.code, "--dry-run")
    assert code == 0, report
    assert (report["rows_ok"], report["rows_skipped"]) == (2, 1)
