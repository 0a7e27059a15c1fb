"""What an import refuses before reading: too big, wrong type by content, zip bombs, garbage — writing nothing."""

import io
import os
import runpy
import struct
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from coopapp.imports import limits, read
from coopapp.models import AuditEvent, Household, ImportBatch, LedgerEntry

from .builders import M, run_import, run_roster, within, write_xlsx

SHEET = "xl/worksheets/sheet1.xml"


def counts(db) -> tuple:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (LedgerEntry, ImportBatch, AuditEvent, Household)
    )


def workbook_bytes() -> bytes:
    wb = Workbook()
    wb.active.append(["日期", "类别", "金额"])
    wb.active.append([M.replace(day=3), "销售收入", 100])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def zip_bomb(path, expanded_mb: int) -> int:
    """A real workbook whose sheet XML is replaced by `expanded_mb` MB of one repeated byte (streamed, never held)."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for member in source.infolist():
            if member.filename != SHEET:
                out.writestr(member, source.read(member))
        with out.open(SHEET, "w", force_zip64=True) as sheet:
            block = b"<row>" + b" " * (1024 * 1024 - 5)
            for _ in range(expanded_mb):
                sheet.write(block)
    return path.stat().st_size


def lying_zip(path, real_mb: int = 24) -> None:
    """A workbook whose sheet declares 1 KB but inflates to `real_mb` MB: the headers lie about its size."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == SHEET:
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * (real_mb << 20))
            out.writestr(member.filename, data)
    content = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(SHEET)
    # Local header: uncompressed size at +22; central directory entry: at +24.
    struct.pack_into("<I", content, info.header_offset + 22, 1024)
    central = content.index(b"PK\x01\x02")
    while content[central + 46 : central + 46 + len(SHEET)] != SHEET.encode():
        central = content.index(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", content, central + 24, 1024)
    path.write_bytes(bytes(content))


def refused(app, db, world, path, needle: str, kind: str = "ledger") -> dict:
    before = counts(db)
    target = ("--project", world.project.id) if kind == "ledger" else ("--village", world.village.code)
    code, report = run_import(app, kind, path, *target) if kind == "ledger" else run_roster(app, path, *target)
    assert code == 1, report
    assert report["imported"] is False and report["rows_ok"] == 0
    assert [e["row"] for e in report["errors"]] == [None]
    assert needle in report["errors"][0]["message"], report["errors"][0]["message"]
    assert counts(db) == before
    return report


def test_zip_bomb_disguised_as_xlsx_is_refused_before_expanding(app, db, world, tmp_path):
    path = tmp_path / "台账.xlsx"
    size = zip_bomb(path, expanded_mb=1100)  # over a gigabyte of sheet XML in a few megabytes
    assert size < 8 * 1024 * 1024
    tracemalloc.start()
    try:
        report = refused(app, db, world, path, "压缩炸弹")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 * 1024 * 1024  # refused from the zip's directory, nothing expanded
    assert "1100" in report["errors"][0]["message"] or "MB" in report["errors"][0]["message"]
    refused(app, db, world, path, "压缩炸弹", kind="households")


def test_small_bomb_with_an_absurd_ratio_is_refused(app, db, world, tmp_path):
    path = tmp_path / "小炸弹.xlsx"
    zip_bomb(path, expanded_mb=40)  # under the size cap, but 40 MB from ~40 KB
    refused(app, db, world, path, "压缩炸弹")


def test_a_member_lying_about_its_size_is_not_expanded_past_it(app, db, world, tmp_path):
    path = tmp_path / "说谎.xlsx"
    lying_zip(path)
    tracemalloc.start()
    try:
        refused(app, db, world, path, "无法读取 Excel 文件")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024  # zipfile stops at the declared 1 KB and fails the CRC check


def test_not_a_workbook_named_xlsx(app, db, world, tmp_path):
    path = tmp_path / "台账.xlsx"
    path.write_text("日期,类别,金额\n2025-03-05,销售收入,100\n", encoding="utf-8")
    refused(app, db, world, path, "不是 Excel 工作簿")
    other_zip = tmp_path / "归档.xlsx"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    refused(app, db, world, other_zip, "不是 Excel 工作簿")


@pytest.mark.parametrize("name", ["台账.xls", "台账.xlsx"])
def test_an_ole2_file_that_is_no_workbook_is_refused(app, db, world, tmp_path, name):
    """(An old Excel workbook is read: tests/test_imports_xls.py.)"""
    path = tmp_path / name
    path.write_bytes(limits.OLE2_MAGIC + os.urandom(4096))
    refused(app, db, world, path, "不是 Excel 工作簿")


@pytest.mark.parametrize("name", ["空.csv", "空.xlsx"])
def test_empty_file(app, db, world, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    refused(app, db, world, path, "文件是空的")


def test_csv_with_binary_garbage(app, db, world, tmp_path):
    path = tmp_path / "乱码.csv"
    path.write_bytes(b"\xde\xad\xbe\xef\x00\x01\x02" + os.urandom(8192))
    refused(app, db, world, path, "二进制")
    undecodable = tmp_path / "编码.csv"  # no control bytes, but neither UTF-8 nor GBK
    undecodable.write_bytes("日期,类别,金额\n".encode() + b"\xff\xfe\xfd,\xff\xff\n" * 50)
    refused(app, db, world, undecodable, "编码")


def test_workbook_named_csv_and_other_suffixes(app, db, world, tmp_path):
    path = tmp_path / "台账.csv"
    path.write_bytes(workbook_bytes())
    refused(app, db, world, path, "扩展名改为 .xlsx")
    for name in ("台账.txt", "台账.xlsm", "台账"):
        other = tmp_path / name
        other.write_text("日期,类别,金额\n", encoding="utf-8")
        refused(app, db, world, other, "只能导入")


def test_size_limit_on_the_command_line(app, db, world, tmp_path, monkeypatch):
    rows = [[M.replace(day=5), "蜂蜜", "销售收入", None, "100", None]] * 40
    path = write_xlsx(tmp_path / "大.xlsx", rows)
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", path.stat().st_size - 1)
    refused(app, db, world, path, "文件太大")
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", path.stat().st_size)
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert code == 0, report


def _upload(client, world, content: bytes, name: str):
    data = {"project_id": str(world.project.id), "file": (io.BytesIO(content), name)}
    return client.post("/imports/ledger", data=data, content_type="multipart/form-data")


def test_the_upload_page_refuses_the_same_files(app, db, world, client, auth, tmp_path, monkeypatch):
    uploads = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(uploads))
    auth.login("acc")
    before = counts(db)
    bomb = tmp_path / "bomb.xlsx"
    zip_bomb(bomb, expanded_mb=40)
    cases = [
        (bomb.read_bytes(), "台账.xlsx", "压缩炸弹"),
        (b"PK\x03\x04 not really a zip", "台账.xlsx", "不是 Excel 工作簿"),
        (limits.OLE2_MAGIC + b"\x00" * 512, "台账.xlsx", "不是 Excel 工作簿"),
        (b"\x00\x01\x02garbage" * 100, "台账.csv", "二进制"),
    ]
    for content, name, needle in cases:
        resp = _upload(client, world, content, name)
        assert resp.status_code == 422, (name, needle)
        assert needle in resp.text, (name, needle)
        assert "确认导入" not in resp.text
    assert not any(uploads.iterdir())  # a refused upload is not kept
    # The size limit: the form's 15 MB, and MAX_CONTENT_LENGTH (16 MB) for the whole request.
    resp = _upload(client, world, b"a" * (15 * 1024 * 1024 + 1), "台账.csv")
    assert resp.status_code == 422 and "15 MB" in resp.text
    resp = _upload(client, world, b"a" * (16 * 1024 * 1024 + 1), "台账.csv")
    assert resp.status_code == 413
    # IMPORT_MAX_BYTES applies on the page too.
    small = write_xlsx(tmp_path / "ok.xlsx", [[M.replace(day=5), "蜂蜜", "销售收入", None, "100", None]])
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1024)
    resp = _upload(client, world, small.read_bytes(), "台账.xlsx")
    assert resp.status_code == 422 and "文件太大" in resp.text
    assert counts(db) == before


# --- CSV files: the same budget as a workbook's ---------------------------------------------------


def stopped(app, db, world, path, needle: str) -> dict:
    """The import stopped past a limit (the rows read before it may count in rows_ok): exit 1,
    the limit's message, nothing written."""
    before = counts(db)
    with within(30):
        code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 1 and report["imported"] is False, report
    messages = [e["message"] for e in report["errors"]]
    assert any(needle in m and "没有写入任何数据" in m for m in messages), messages
    assert counts(db) == before
    return report


def test_a_csv_line_of_ten_million_commas_stops_at_once(app, db, world, tmp_path):
    """One line of 10 million commas was split into 10 million cells (hundreds of MB): a line wider
    than Excel's 16,384 columns stops the import before the csv module splits it."""
    path = tmp_path / "逗号.csv"
    path.write_bytes("日期,类别,金额\n".encode() + b"," * 10_000_000 + b"\n")
    tracemalloc.start()
    try:
        with within(30):
            report = stopped(app, db, world, path, "超过 16,384 列")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "第 2 行" in report["errors"][0]["message"] and "没有写入任何数据" in report["errors"][0]["message"]
    assert peak < 64 * 1024 * 1024  # the line itself (10 MB) and the decoding, no row of cells


def test_a_csv_file_has_a_budget_of_cells_and_seconds(app, db, world, tmp_path, monkeypatch):
    lines = ["日期,类别,金额", *(f"{M.replace(day=5)},销售收入,100" for _ in range(600))]
    path = tmp_path / "台账.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setitem(app.config, "IMPORT_MAX_CELLS", 1000)
    stopped(app, db, world, path, "超过 1,000 个")
    monkeypatch.setitem(app.config, "IMPORT_MAX_CELLS", 10_000)
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert code == 0 and report["rows_ok"] == 600, report
    # Seconds: the clock jumps ten seconds at every look; the budget is checked every 1,024 lines.
    many = tmp_path / "多.csv"
    many.write_text("\n".join(lines * 5) + "\n", encoding="utf-8")
    clock = iter(range(0, 10**6, 10))
    monkeypatch.setattr(read, "monotonic", lambda: next(clock))
    monkeypatch.setitem(app.config, "IMPORT_MAX_SECONDS", 15)
    stopped(app, db, world, many, "导入超过 15 秒仍未完成")


def test_a_web_import_stops_before_gunicorn_restarts_the_worker(app, monkeypatch):
    """The command line keeps IMPORT_MAX_SECONDS (120); in a request the budget ends
    WEB_TIMEOUT_MARGIN seconds before GUNICORN_TIMEOUT, or at IMPORT_WEB_MAX_SECONDS."""
    monkeypatch.delenv("GUNICORN_TIMEOUT", raising=False)
    with app.app_context():
        assert limits.reading_budget().seconds == 120
    with app.test_request_context("/imports/ledger"):
        assert limits.reading_budget().seconds == 60 - limits.WEB_TIMEOUT_MARGIN
        monkeypatch.setenv("GUNICORN_TIMEOUT", "300")
        assert limits.reading_budget().seconds == 120  # never more than IMPORT_MAX_SECONDS
        monkeypatch.setenv("GUNICORN_TIMEOUT", "40")
        assert limits.reading_budget().seconds == 25
        monkeypatch.setitem(app.config, "IMPORT_WEB_MAX_SECONDS", 20)
        assert limits.reading_budget().seconds == 20
    monkeypatch.setenv("GUNICORN_TIMEOUT", "40")
    with app.app_context():
        assert limits.reading_budget().seconds == 120
    # gunicorn.conf.py's own default, read as gunicorn reads it.
    monkeypatch.delenv("GUNICORN_TIMEOUT")
    monkeypatch.setitem(app.config, "IMPORT_WEB_MAX_SECONDS", None)
    conf = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    with app.test_request_context("/imports/ledger"):
        assert limits.reading_budget().seconds == conf["timeout"] - limits.WEB_TIMEOUT_MARGIN
