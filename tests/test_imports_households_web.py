"""The households import page: upload a roster → preview every row and every problem → confirm."""

import io
import re

import pytest
from sqlalchemy import func, select

from coopapp.models import Household, ImportBatch

from .builders import hidden_fields, id_number, write_roster


def roster_bytes(tmp_path, rows) -> bytes:
    return write_roster(tmp_path / "roster.xlsx", rows).read_bytes()


def upload(client, content: bytes, name="花名册.xlsx"):
    data = {"file": (io.BytesIO(content), name)}
    return client.post("/imports/households", data=data, content_type="multipart/form-data")


def count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Household))


GOOD = [
    ["陈一", 4, "中洞一组", id_number(101), "13800001111", "是"],
    ["陈二", "3人", None, id_number(102), None, "否"],
]


def test_upload_preview_confirm(db, world, client, auth, tmp_path, uploads):
    auth.login("sec")
    page = client.get("/village/households").text
    assert 'href="/imports/households"' in page
    form = client.get("/imports/households")
    assert form.status_code == 200 and "导入农户花名册" in form.text and "中洞村" in form.text
    before = count(db)
    content = roster_bytes(tmp_path, GOOD)
    resp = upload(client, content)
    assert resp.status_code == 200, resp.text
    assert "陈一" in resp.text and "陈二" in resp.text and "可登记 2 户" in resp.text
    assert count(db) == before  # the preview writes nothing
    assert len(list(uploads.iterdir())) == 1  # kept until confirmed
    fields = hidden_fields(resp.text)
    assert set(fields) >= {"sha", "suffix", "file_name"}
    resp = client.post("/imports/households/confirm", data=fields)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/village/households")
    assert count(db) == before + 2
    chen1 = db.session.scalar(select(Household).where(Household.head_name == "陈一"))
    assert (chen1.village_id, chen1.group_id, chen1.members, chen1.formerly_poor) == (
        world.village.id,
        world.group.id,
        4,
        True,
    )
    assert db.session.scalar(select(ImportBatch.kind)) == "households"
    assert list(uploads.iterdir()) == []  # the confirmed upload is not kept
    assert "已从花名册登记 2 户" in client.get("/village/households").text
    # the same file again is refused at the preview
    resp = upload(client, content)
    assert resp.status_code == 422 and "导入过" in resp.text and "确认登记" not in resp.text


def test_bad_rows_are_all_shown_and_nothing_is_written(db, world, client, auth, tmp_path, uploads):
    auth.login("sec")
    bad_checksum = id_number(103)[:-1] + ("0" if id_number(103)[-1] != "0" else "1")
    rows = [
        ["陈一", 4, "中洞一组", id_number(101), None, "是"],
        ["陈二", 3, "八维一组", None, None, None],
        ["陈三", 2, None, bad_checksum, None, None],
        ["陈四", "两", None, None, None, "也许"],
    ]
    before = count(db)
    resp = upload(client, roster_bytes(tmp_path, rows))
    assert resp.status_code == 422
    text = resp.text
    assert "整个文件都不会导入" in text and "确认登记" not in text
    for row, value in [(5, "八维一组"), (6, bad_checksum), (7, "两"), (7, "也许")]:
        cell = r"<td[^>]*>{}</td>\s*"  # a problem's row, column and value (cells labelled for phones)
        assert re.search(cell.format(row) + cell.format("[^<]*") + cell.format(value), text), (row, value)
    assert "陈一" in text  # the good row is previewed too
    assert count(db) == before
    assert list(uploads.iterdir()) == []  # a refused file is not kept
    resp = upload(client, b"a,b", name="roster.txt")
    assert resp.status_code == 422 and "只能导入" in resp.text


def test_confirm_without_the_kept_file_asks_for_a_new_upload(db, world, client, auth, tmp_path, uploads):
    auth.login("sec")
    fields = hidden_fields(upload(client, roster_bytes(tmp_path, GOOD)).text)
    for path in uploads.iterdir():
        path.unlink()
    resp = client.post("/imports/households/confirm", data=fields, follow_redirects=True)
    assert "已不在服务器上" in resp.text
    resp = client.post("/imports/households/confirm", data={**fields, "sha": "../../etc/passwd"})
    assert resp.status_code == 302
    assert count(db) == 4


@pytest.mark.parametrize("username", ["acc", "town", "county", "admin"])
def test_only_who_may_edit_the_households_can_import(db, world, client, auth, tmp_path, uploads, username):
    auth.login(username)
    assert client.get("/imports/households").status_code == 403
    assert upload(client, roster_bytes(tmp_path, GOOD)).status_code == 403
    assert client.post("/imports/households/confirm", data={"sha": "0" * 64}).status_code == 403
    assert 'href="/imports/households"' not in client.get("/village/households?village=441323110201").text
    assert count(db) == 4


def test_a_secretary_imports_into_her_own_village_only(db, world, client, auth, tmp_path, uploads):
    auth.login("sec2")
    resp = upload(client, roster_bytes(tmp_path, [["陈一", 4, None, None, None, None]]))
    assert resp.status_code == 200 and "八维村" in resp.text
    assert client.post("/imports/households/confirm", data=hidden_fields(resp.text)).status_code == 302
    chen1 = db.session.scalar(select(Household).where(Household.head_name == "陈一"))
    assert chen1.village_id == world.other_village.id
