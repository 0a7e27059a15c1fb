"""The import pages: upload → preview → confirm → a batch of drafts → submit all."""

import io
import os
import time

from openpyxl import Workbook
from sqlalchemy import select

from coopapp.imports.storage import sweep_abandoned
from coopapp.models import ImportBatch, LedgerEntry

from .builders import M, hidden_fields, write_xlsx


def _xlsx_bytes(tmp_path, rows) -> bytes:
    return write_xlsx(tmp_path / "page.xlsx", rows).read_bytes()


def _upload(client, project_id, content: bytes, name="台账.xlsx"):
    data = {"project_id": str(project_id), "file": (io.BytesIO(content), name)}
    return client.post("/imports/ledger", data=data, content_type="multipart/form-data")


def test_upload_preview_confirm_and_submit_all(app, db, world, client, auth, tmp_path, uploads):
    auth.login("acc")
    page = client.get("/imports/ledger")
    assert page.status_code == 200 and "导入台账" in page.text
    assert 'href="/imports/ledger"' in client.get("/entries").text  # the nav link
    rows = [
        [M.replace(day=5), "蜂蜜销售", "销售收入", "800斤", "1,234.50", None],
        [M.replace(day=6), "饲料", "成本", None, "200", None],
        ["合计", None, None, None, "1434.5", None],
    ]
    content = _xlsx_bytes(tmp_path, rows)
    resp = _upload(client, world.project.id, content)
    assert resp.status_code == 200, resp.text
    assert "蜂蜜销售" in resp.text and "1,434.50" in resp.text
    assert db.session.scalar(select(LedgerEntry.id)) is None  # the preview writes nothing
    fields = hidden_fields(resp.text)
    assert set(fields) >= {"project_id", "sha", "suffix", "file_name"}
    resp = client.post("/imports/ledger/confirm", data=fields)
    assert resp.status_code == 302
    batch = db.session.scalars(select(ImportBatch)).one()
    assert resp.headers["Location"].endswith(f"/imports/batches/{batch.id}")
    assert batch.rows == 2
    page = client.get(f"/imports/batches/{batch.id}")
    assert page.status_code == 200 and "全部提交审核" in page.text
    asked = client.post(f"/imports/batches/{batch.id}/submit").get_data(as_text=True)
    assert "将提交本批 2 条记录待审核" in asked and set(db.session.scalars(select(LedgerEntry.status))) == {"draft"}
    assert client.post(f"/imports/batches/{batch.id}/submit", data={"confirmed": "1"}).status_code == 302
    statuses = set(db.session.scalars(select(LedgerEntry.status)))
    assert statuses == {"submitted"}
    # the same file again: refused at the preview
    resp = _upload(client, world.project.id, content)
    assert resp.status_code == 422 and "导入过" in resp.text


def test_bad_file_shows_every_problem_and_offers_no_confirm(app, db, world, client, auth, tmp_path, uploads):
    auth.login("acc")
    rows = [[M.replace(day=5), "x", "卖蜂蜜", None, "一百", None]]
    resp = _upload(client, world.project.id, _xlsx_bytes(tmp_path, rows))
    assert resp.status_code == 422
    assert "卖蜂蜜" in resp.text and "一百" in resp.text and "确认导入" not in resp.text
    resp = _upload(client, world.project.id, b"a,b", name="notes.txt")
    assert resp.status_code == 422 and "只能导入" in resp.text


def test_other_roles_and_villages_cannot_import(app, db, world, client, auth, tmp_path, uploads):
    auth.login("sec")
    assert client.get("/imports/ledger").status_code == 403
    auth.logout()
    auth.login("acc2")
    wb = Workbook()
    wb.active.append(["日期", "类别", "金额"])
    buf = io.BytesIO()
    wb.save(buf)
    resp = _upload(client, world.project.id, buf.getvalue())
    assert resp.status_code in (403, 404, 422)
    assert db.session.scalar(select(LedgerEntry.id)) is None


# ---- abandoned uploads ----------------------------------------------------------------

HOUR = 3600


def _aged(path, hours: float):
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(b"x")
    when = time.time() - hours * HOUR
    os.utime(path, (when, when))
    return path


def test_abandoned_uploads_are_swept_on_the_next_upload(app, db, world, client, auth, tmp_path, uploads):
    old = _aged(uploads / f"{'a' * 64}.xlsx", 25)
    old_part = _aged(uploads / "upload-123.part", 30)
    recent = _aged(uploads / f"{'b' * 64}.csv", 23)
    foreign = _aged(uploads / "notes.txt", 100)  # not written by the import pages: left alone
    auth.login("acc")
    resp = _upload(client, world.project.id, _xlsx_bytes(tmp_path, [[M.replace(day=5), "x", "成本", None, "1", None]]))
    assert resp.status_code == 200
    assert not old.exists() and not old_part.exists()
    assert recent.exists() and foreign.exists()
    kept = hidden_fields(resp.text)
    assert (uploads / f"{kept['sha']}.xlsx").exists()  # the new upload waits for its confirmation


def test_the_households_upload_sweeps_too_and_the_age_is_configurable(
    app, db, world, client, auth, uploads, monkeypatch
):
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_MAX_AGE_HOURS", 2)
    three_hours = _aged(uploads / f"{'c' * 64}.csv", 3)
    one_hour = _aged(uploads / f"{'d' * 64}.csv", 1)
    auth.login("sec")
    data = {"file": (io.BytesIO("户主,人口\r\n陈一,4\r\n".encode()), "roster.csv")}
    assert client.post("/imports/households", data=data, content_type="multipart/form-data").status_code == 200
    assert not three_hours.exists() and one_hour.exists()


def test_sweep_returns_what_it_deleted_and_a_swept_upload_cannot_be_confirmed(
    app, db, world, client, auth, tmp_path, uploads
):
    auth.login("acc")
    resp = _upload(client, world.project.id, _xlsx_bytes(tmp_path, [[M.replace(day=5), "x", "成本", None, "1", None]]))
    fields = hidden_fields(resp.text)
    assert sweep_abandoned() == []  # 24 hours by default: a fresh upload stays
    path = _aged(uploads / f"{fields['sha']}.xlsx", 24.5)
    assert sweep_abandoned() == [path]
    resp = client.post("/imports/ledger/confirm", data=fields, follow_redirects=True)
    assert "已不在服务器上" in resp.text
    assert db.session.scalar(select(LedgerEntry.id)) is None
    fresh = _aged(uploads / f"{'e' * 64}.xlsx", 0.5)
    assert sweep_abandoned(max_age=0.25) == [fresh]


def test_the_cleanup_command_deletes_old_uploads(app, db, uploads):
    old = _aged(uploads / f"{'f' * 64}.csv", 30)
    recent = _aged(uploads / f"{'0' * 64}.csv", 1)
    result = app.test_cli_runner().invoke(args=["coop", "import", "cleanup"])
    assert result.exit_code == 0 and "deleted 1 abandoned uploads" in result.output
    assert not old.exists() and recent.exists()
    result = app.test_cli_runner().invoke(args=["coop", "import", "cleanup", "--max-age-hours", "0.5"])
    assert "deleted 1 abandoned uploads" in result.output and not recent.exists()
