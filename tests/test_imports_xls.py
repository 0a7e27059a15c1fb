"""Old Excel workbooks (.xls, Excel 97–2003; issue 16, item 15) import under the XLSX rules: the
active, visible sheet; hidden rows left out; the 1904 date system; merged cells; limits; and an
OLE2 file that is not a workbook is refused with a message that says what it is."""

import io
from datetime import date, datetime

import pytest
import xlwt
from sqlalchemy import select

from coopapp.imports import limits
from coopapp.imports.limits import FileRefused, check_file
from coopapp.imports.workbook_sheets import SheetRead
from coopapp.imports.xls import iter_rows
from coopapp.models import ImportBatch

from .builders import LEDGER_HEADER, M, hidden_fields, run_import, run_roster

DAY = M.replace(day=5)
DATE_STYLE = xlwt.easyxf(num_format_str="YYYY-MM-DD")


def write_xls(
    path,
    rows,
    *,
    sheets=("台账",),
    active=0,
    hidden_sheets=(),
    hidden_rows=(),
    hidden_columns=(),
    merges=(),
    date1904=False,
    header=LEDGER_HEADER,
    headerless=(),
):
    """A workbook as old WPS saves it: each sheet has a title row, the header on row 2, then `rows`."""
    book = xlwt.Workbook(encoding="utf-8")
    book.dates_1904 = date1904
    for index, name in enumerate(sheets):
        sheet = book.add_sheet(name)
        sheet.visibility = 1 if index in hidden_sheets else 0
        sheet.write(0, 0, f"{name}收支台账")
        if index in headerless:  # (a sheet of notes: no table)
            sheet.write(1, 0, "填表说明：每月一张表")
        for c, text in enumerate(header if index not in headerless else ()):
            sheet.write(1, c, text)
        for r, row in enumerate(rows if index not in headerless else (), start=2):
            for c, value in enumerate(row):
                if isinstance(value, date):
                    sheet.write(r, c, value, DATE_STYLE)
                elif value is not None:
                    sheet.write(r, c, value)
        for r in hidden_rows:
            sheet.row(r - 1).hidden = True
        for c in hidden_columns:
            sheet.col(c).hidden = True
        for top, bottom, left, right in merges:  # 1-based rows, 0-based columns, as Excel shows them
            sheet.merge(top - 1, bottom - 1, left, right)
        sheet.set_selected(index == active)
        sheet.set_sheet_visible(index == active)  # (the tab shown: xlrd's sheet_visible)
    book.active_sheet = active
    book.save(str(path))
    return path


ROWS = [[DAY, "蜂蜜", "销售收入", "800斤", 1234.5, None], [DAY, "饲料", "成本", None, 50, None]]


def test_an_xls_ledger_imports(app, db, world, tmp_path):
    path = write_xls(tmp_path / "台账.xls", [*ROWS, ["合计", None, None, None, 1284.5, None], ["制表人：李会计"]])
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report
    assert (report["rows_ok"], report["total_fen"], report["warnings"]) == (2, 128450, [])
    assert report["sheet"] == "台账"


def test_cells_as_the_xlsx_reader_gives_them(tmp_path):
    path = write_xls(tmp_path / "a.xls", [[DAY, "蜂蜜", "销售收入", 3, 12.5, True]])
    rows = list(iter_rows(path))
    assert rows[1] == (2, tuple(LEDGER_HEADER))
    assert rows[2] == (3, (datetime(DAY.year, DAY.month, DAY.day), "蜂蜜", "销售收入", 3, 12.5, True))


def test_the_1904_date_system(app, db, world, tmp_path):
    path = write_xls(tmp_path / "mac.xls", ROWS, date1904=True)
    assert list(iter_rows(path))[2][1][0] == datetime(DAY.year, DAY.month, DAY.day)
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert code == 0, report
    assert report["rows_ok"] == 2


def test_the_active_sheet_is_read_never_a_hidden_one(app, tmp_path):
    path = write_xls(tmp_path / "months.xls", ROWS, sheets=("3月", "4月", "5月"), active=2)
    read = SheetRead()
    list(iter_rows(path, read=read))
    assert (read.name, read.names) == ("5月", ["3月", "4月", "5月"])
    path = write_xls(tmp_path / "hidden.xls", ROWS, sheets=("下拉选项", "台账"), active=1, hidden_sheets=(0,))
    read = SheetRead()
    list(iter_rows(path, read=read))
    assert (read.name, read.names) == ("台账", ["台账"])
    read = SheetRead(sheet=" 4月 ")  # (spaces around a name are ignored, as for an .xlsx)
    list(iter_rows(tmp_path / "months.xls", read=read))
    assert read.name == "4月"


def test_hidden_rows_are_left_out_and_listed(app, db, world, tmp_path):
    voided = [DAY, "作废", "销售收入", None, 999, None]
    path = write_xls(tmp_path / "hidden.xls", [*ROWS, voided], hidden_rows=(5,))
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert code == 0, report
    assert (report["rows_ok"], report["total_fen"], report["hidden_rows"]) == (2, 128450, [5])
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run", "--include-hidden")
    assert (report["rows_ok"], report["hidden_rows"]) == (3, [5])  # listed, read as data (as an .xlsx's)


def test_merged_cells_are_filled_down(app, db, world, tmp_path):
    rows = [[DAY, "蜂蜜", "销售收入", None, 100, None], [None, "蜂蜡", None, None, 200, None]]
    path = write_xls(tmp_path / "merged.xls", rows, merges=((3, 4, 0, 0), (3, 4, 2, 2)))
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert code == 0, report
    assert report["rows_ok"] == 2
    assert "C3:C4 合并单元格：已按每行填入「销售收入」" in {w["message"] for w in report["warnings"]}
    rows[1][4] = None
    path = write_xls(tmp_path / "amount.xls", rows, merges=((3, 4, 4, 4),))
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert code == 1 and report["errors"][0]["message"].startswith("E3:E4 合并单元格在「金额（元）」列")


def test_the_cell_budget_holds_for_xls(app, db, world, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_CELLS", 10)
    path = write_xls(tmp_path / "big.xls", ROWS)
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 1 and "单元格" in report["errors"][0]["message"]


def test_a_large_xls_is_asked_to_be_saved_as_xlsx(app, db, world, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_XLS_BYTES", 1024)
    path = write_xls(tmp_path / "big.xls", ROWS)
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 1 and "另存为 .xlsx" in report["errors"][0]["message"]


def test_an_xls_named_xlsx_is_read_as_what_it_is(app, db, world, tmp_path):
    path = write_xls(tmp_path / "台账.xlsx", ROWS)
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert code == 0 and report["rows_ok"] == 2, report


def _compound_file(stream: str) -> bytes:
    """An OLE2 compound file whose one stream is named `stream` (an .xls with its "Workbook"
    stream renamed: an encrypted .xlsx holds "EncryptedPackage", a .doc "WordDocument")."""
    out = io.BytesIO()
    book = xlwt.Workbook()
    book.add_sheet("x")
    book.save(out)
    data = bytearray(out.getvalue())
    at = data.find("Workbook".encode("utf-16-le") + b"\0\0")
    assert at > 0 and len(stream) < 32
    name = (stream.encode("utf-16-le") + b"\0\0").ljust(64, b"\0")
    data[at : at + 64] = name
    data[at + 64 : at + 66] = (2 * len(stream) + 2).to_bytes(2, "little")
    return bytes(data)


@pytest.mark.parametrize(
    ("stream", "needle"),
    [("EncryptedPackage", "打开密码"), ("WordDocument", "Word 文档"), ("Other", "不是 Excel 工作簿")],
)
def test_an_ole2_file_that_is_no_workbook_is_refused(app, tmp_path, stream, needle):
    path = tmp_path / "x.xlsx"
    path.write_bytes(_compound_file(stream))
    with app.test_request_context(), pytest.raises(FileRefused, match=needle):
        check_file(path, "x.xlsx")


def test_a_password_protected_xls_is_refused_saying_so(app, db, world, tmp_path):
    """(Its WRITEACCESS record turned into a FILEPASS one: the workbook is encrypted.)"""
    data = bytearray(write_xls(tmp_path / "a.xls", ROWS).read_bytes())
    at = data.find(b"\x5c\x00\x70\x00")  # WRITEACCESS, 112 bytes
    data[at : at + 2] = b"\x2f\x00"  # FILEPASS
    path = tmp_path / "密码.xls"
    path.write_bytes(bytes(data))
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 1 and "打开密码" in report["errors"][0]["message"]


def test_random_bytes_after_the_ole2_signature_are_no_workbook(app, tmp_path):
    path = tmp_path / "x.xls"
    path.write_bytes(limits.OLE2_MAGIC + bytes(4096))
    with app.test_request_context(), pytest.raises(FileRefused, match="不是 Excel 工作簿"):
        check_file(path, "x.xls")


def test_the_ledger_page_takes_an_xls_and_shows_its_merges(app, db, world, client, auth, tmp_path, uploads):
    auth.login("acc")
    rows = [[DAY, "蜂蜜", "销售收入", None, 100, None], [None, "蜂蜡", None, None, 200, None]]
    content = write_xls(tmp_path / "台账.xls", rows, merges=((3, 4, 0, 0), (3, 4, 2, 2))).read_bytes()
    data = {"project_id": str(world.project.id), "file": (io.BytesIO(content), "台账.xls")}
    resp = client.post("/imports/ledger", data=data, content_type="multipart/form-data")
    assert resp.status_code == 200, resp.text
    assert "C3:C4 合并单元格：已按每行填入「销售收入」" in resp.text and "蜂蜡" in resp.text
    fields = hidden_fields(resp.text)
    assert fields["suffix"] == ".xls"
    assert client.post("/imports/ledger/confirm", data=fields).status_code == 302
    batch = db.session.scalars(select(ImportBatch)).one()
    assert batch.rows == 2


def test_an_xls_roster_imports(app, db, world, tmp_path):
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("花名册")
    for r, row in enumerate([("户主姓名", "人口"), ("甲一", 3), ("甲二", 4), ("制表人：王书记",)]):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.save(str(tmp_path / "花名册.xls"))
    code, report = run_roster(app, tmp_path / "花名册.xls", "--village", world.village.code)
    assert code == 0, report
    assert (report["rows_ok"], report["rows_skipped"]) == (2, 1)


def test_a_sheet_the_xls_lacks_and_an_xls_named_csv_are_refused_saying_why(app, db, world, tmp_path):
    path = write_xls(tmp_path / "months.xls", ROWS, sheets=("3月", "4月"))
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--sheet", "9月")
    assert code == 1 and "没有名为“9月”的工作表（本文件的工作表：3月、4月）" in report["errors"][0]["message"]
    renamed = tmp_path / "台账.csv"
    renamed.write_bytes(path.read_bytes())
    code, report = run_import(app, "ledger", renamed, "--project", world.project.id)
    assert code == 1 and "扩展名改为 .xls" in report["errors"][0]["message"]


def test_a_hidden_column_loses_to_a_visible_one_as_in_an_xlsx(app, db, world, tmp_path):
    """An old 金额 the accountant hid (column E) beside the new one (G): the visible one is read."""
    header = [*LEDGER_HEADER, "金额"]
    rows = [[DAY, "蜂蜜", "销售收入", None, 999, None, 100], [DAY, "蜂蜡", "销售收入", None, 999, None, 200]]
    path = write_xls(tmp_path / "cols.xls", rows, header=header, hidden_columns=(4,))
    read = SheetRead()
    list(iter_rows(path, read=read))
    assert read.hidden_columns == [(4, 4)] and read.column_hidden(4) and not read.column_hidden(6)
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert code == 0, report
    assert (report["rows_ok"], report["total_fen"]) == (2, 30000)
    path = write_xls(tmp_path / "shown.xls", rows, header=header)  # nothing hidden: the first 金额
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert (report["rows_ok"], report["total_fen"]) == (2, 199800)


def test_the_sheet_is_asked_when_the_active_one_has_no_table_as_in_an_xlsx(app, db, world, tmp_path):
    path = write_xls(tmp_path / "notes.xls", ROWS, sheets=("说明", "台账"), active=0, headerless=(0,))
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert code == 1 and report["errors"] == [], report
    [question] = report["questions"]
    assert question["key"] == "sheet" and [o["value"] for o in question["options"]] == ["台账"]
    assert (report["sheet"], report["sheets"]) == ("说明", ["说明", "台账"])
    for answer in (("--answer", "sheet=台账"), ("--sheet", "台账")):
        code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run", *answer)
        assert code == 0 and report["sheet"] == "台账" and report["rows_ok"] == 2, report


def test_an_xls_total_is_checked_against_the_rows_read(app, db, world, tmp_path):
    """xlrd keeps no formula's text, so an .xls total cannot say whether it counts a hidden row (no
    question, unlike an .xlsx's SUM): it is checked against the rows read — the visible ones, or all
    of them with --include-hidden — and a difference is a warning."""
    voided = [DAY, "作废", "销售收入", None, 999, None]
    visible = ["合计", None, None, None, 1284.5, None]
    path = write_xls(tmp_path / "visible.xls", [*ROWS, voided, visible], hidden_rows=(5,))
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert code == 0 and report["warnings"] == [] and report["questions"] == [], report
    assert (report["rows_ok"], report["rows_skipped"], report["hidden_rows"]) == (2, 1, [5])
    every = ["合计", None, None, None, 2283.5, None]
    path = write_xls(tmp_path / "every.xls", [*ROWS, voided, every], hidden_rows=(5,))
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert code == 0 and report["questions"] == [], report
    assert [w["message"] for w in report["warnings"]] == ["合计 2,283.50 元与上方各行之和 1,284.50 元不符。"]
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run", "--include-hidden")
    assert code == 0 and report["warnings"] == [] and report["rows_ok"] == 3, report
