"""The import pages: upload → preview → confirm → a batch of drafts → submit all."""

import io
import re

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from coopapp.models import ImportBatch, LedgerEntry

from .test_imports import M, write_xlsx


@pytest.fixture()
def uploads(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(tmp_path / "uploads"))
    return tmp_path / "uploads"


def _xlsx_bytes(tmp_path, rows) -> bytes:
    return write_xlsx(tmp_path / "page.xlsx", rows).read_bytes()


def _upload(client, project_id, content: bytes, name="台账.xlsx"):
    data = {"project_id": str(project_id), "file": (io.BytesIO(content), name)}
    return client.post("/imports/ledger", data=data, content_type="multipart/form-data")


def _hidden(html: str) -> dict:
    return dict(re.findall(r'name="(\w+)" type="hidden" value="([^"]*)"', html))


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
    fields = _hidden(resp.text)
    assert set(fields) >= {"project_id", "sha", "suffix", "file_name"}
    resp = client.post("/imports/ledger/confirm", data=fields)
    assert resp.status_code == 302
    batch = db.session.scalars(select(ImportBatch)).one()
    assert resp.headers["Location"].endswith(f"/imports/batches/{batch.id}")
    assert batch.rows == 2
    page = client.get(f"/imports/batches/{batch.id}")
    assert page.status_code == 200 and "全部提交审核" in page.text
    assert client.post(f"/imports/batches/{batch.id}/submit").status_code == 302
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
