"""The import previews' choices (issue 16): the sheet read and the others, the hidden rows, and each
question as buttons of a plain form that reads the kept upload again; the confirm carries the options.

upload → question → answer → confirm → exactly the rows, on the ledger, roster, area and user pages.
"""

import io
import re
from html import unescape

from openpyxl import Workbook
from sqlalchemy import select

from coopapp.imports.options import ReadOptions
from coopapp.models import Area, Household, LedgerEntry, User

from .builders import NBS, hidden_fields, id_number, write_roster
from .test_import_sheets import _months, _voided

CHOICE = re.compile(r'name="read-(\w+)" type="hidden" value="([^"]*)"')


def _choice(html: str, **pressed) -> dict:
    """The choice form's hidden fields, and the button pressed (sheet=…, answer=…, include_hidden=…)."""
    fields = {f"read-{name}": unescape(value) for name, value in CHOICE.findall(html)}
    return {**fields, **{f"read-{name}": value for name, value in pressed.items()}}


def _confirm(html: str) -> dict:
    return hidden_fields(html)


def _post_file(client, url, path, **data):
    with open(path, "rb") as fh:
        return client.post(url, data={**data, "file": (io.BytesIO(fh.read()), path.name)})


def _amounts(db):
    return sorted(db.session.scalars(select(LedgerEntry.amount_fen)))


def test_a_sum_over_a_hidden_row_is_asked_on_the_page_and_the_answer_reaches_the_import(
    db, world, client, auth, tmp_path, uploads
):
    auth.login("acc")
    path = _voided(tmp_path / "voided.xlsx", "=SUM(E3:E5)", "600")
    resp = _post_file(client, "/imports/ledger", path, project_id=str(world.project.id))
    page = resp.text
    assert resp.status_code == 422 and "隐藏的第 4 行" in page and "确认导入" not in page
    assert 'value="hidden_sum=include"' in page and 'value="hidden_sum=exclude"' in page
    assert len(list(uploads.iterdir())) == 1  # kept while the question waits
    resp = client.post("/imports/ledger/reread", data=_choice(page, answer="hidden_sum=include"))
    page = resp.text
    assert resp.status_code == 200 and "确认导入 3 条为草稿" in page and "已作为数据读入" in page
    confirm = _confirm(page)
    assert ReadOptions.from_json(confirm["options"]).answer("hidden_sum") == "include"
    assert client.post("/imports/ledger/confirm", data=confirm).status_code == 302
    assert _amounts(db) == [10_000, 20_000, 30_000]
    assert list(uploads.iterdir()) == []


def test_leaving_the_hidden_rows_out_imports_the_visible_rows_only(db, world, client, auth, tmp_path, uploads):
    auth.login("acc")
    path = _voided(tmp_path / "voided.xlsx", "=SUM(E3:E5)", "600")
    page = _post_file(client, "/imports/ledger", path, project_id=str(world.project.id)).text
    page = client.post("/imports/ledger/reread", data=_choice(page, answer="hidden_sum=exclude")).text
    assert "确认导入 2 条为草稿" in page and "合计未核对" in page
    assert client.post("/imports/ledger/confirm", data=_confirm(page)).status_code == 302
    assert _amounts(db) == [10_000, 30_000]


def test_the_page_names_the_sheet_read_and_reads_another(db, world, client, auth, tmp_path, uploads):
    auth.login("acc")
    path = _months(tmp_path / "months.xlsx", active=2)
    resp = _post_file(client, "/imports/ledger", path, project_id=str(world.project.id))
    page = resp.text
    assert resp.status_code == 200 and "读取的工作表：5月" in page
    assert 'name="read-sheet" value="3月"' in page and 'name="read-sheet" value="5月"' not in page
    page = client.post("/imports/ledger/reread", data=_choice(page, sheet="3月")).text
    assert "读取的工作表：3月" in page and "三月" in page
    assert client.post("/imports/ledger/confirm", data=_confirm(page)).status_code == 302
    assert _amounts(db) == [30_000]


def test_a_choice_for_an_upload_no_longer_kept_asks_for_a_new_one(db, world, client, auth, tmp_path, uploads):
    auth.login("acc")
    path = _months(tmp_path / "months.xlsx", active=2)
    page = _post_file(client, "/imports/ledger", path, project_id=str(world.project.id)).text
    for kept in uploads.iterdir():
        kept.unlink()
    resp = client.post("/imports/ledger/reread", data=_choice(page, sheet="3月"))
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/imports/ledger")


def test_a_refused_file_with_nothing_to_choose_is_not_kept(db, world, client, auth, tmp_path, uploads):
    auth.login("acc")
    wb = Workbook()
    wb.active.append(["日期", "类别", "金额"])
    wb.active.append(["2020-01-01", "不知道", "x"])
    wb.save(tmp_path / "bad.xlsx")
    resp = _post_file(client, "/imports/ledger", tmp_path / "bad.xlsx", project_id=str(world.project.id))
    assert resp.status_code == 422 and "read-sha" not in resp.text
    assert list(uploads.iterdir()) == []


def test_a_hand_made_options_field_is_ignored(db, world, client, auth, tmp_path, uploads):
    auth.login("acc")
    path = _months(tmp_path / "months.xlsx", active=2)
    page = _post_file(client, "/imports/ledger", path, project_id=str(world.project.id)).text
    confirm = {**_confirm(page), "options": '{"sheet": ['}
    assert client.post("/imports/ledger/confirm", data=confirm).status_code == 302
    assert _amounts(db) == [50_000]


def test_the_roster_page_reads_hidden_rows_when_asked(db, world, client, auth, tmp_path, uploads):
    auth.login("sec")
    path = write_roster(
        tmp_path / "r.xlsx", [["孙甲", 3, None, id_number(911), None, "否"], ["孙乙", 2, None, None, None, None]]
    )
    wb = __import__("openpyxl").load_workbook(path)
    wb.active.row_dimensions[5].hidden = True
    wb.save(path)
    page = _post_file(client, "/imports/households", path).text
    assert "隐藏的第 5 行没有导入" in page and "确认登记 1 户" in page
    page = client.post("/imports/households/reread", data=_choice(page, include_hidden="1")).text
    assert "确认登记 2 户" in page
    assert client.post("/imports/households/confirm", data=_confirm(page)).status_code == 302
    names = set(db.session.scalars(select(Household.head_name)))
    assert {"孙甲", "孙乙"} <= names


def test_the_area_page_asks_which_sheet_when_the_first_has_no_table(db, world, client, auth, tmp_path, uploads):
    auth.login("admin")
    wb = Workbook()
    wb.active.title = "说明"
    wb.active.append(["2025 年统计用区划代码"])
    table = wb.create_sheet("区划")
    for row in NBS:
        table.append(list(row))
    wb.create_sheet("备用").append(["无"])
    wb.save(tmp_path / "nbs.xlsx")
    resp = _post_file(client, "/admin/areas/import", tmp_path / "nbs.xlsx")
    page = resp.text
    assert resp.status_code == 422 and "找不到表头" in page and 'value="sheet=区划"' in page
    assert 'value="sheet=备用"' not in page
    assert "读取其他工作表" not in page and "没有变化" not in page and "请先回答下面的问题" in page  # asked once
    page = client.post("/admin/areas/import/reread", data=_choice(page, answer="sheet=区划")).text
    assert "读取的工作表：区划" in page
    assert client.post("/admin/areas/import/confirm", data=_confirm(page)).status_code == 302
    assert db.session.scalar(select(Area).where(Area.code == "441323113201")) is not None


def test_the_user_page_reads_another_sheet(db, world, client, auth, tmp_path, uploads):
    auth.login("admin")
    wb = Workbook()
    wb.active.title = "旧名单"
    wb.active.append(["用户名", "姓名", "角色", "区域代码"])
    wb.active.append(["old.acc", "旧会计", "村会计", "441323110202"])
    new = wb.create_sheet("新名单")
    new.append(["用户名", "姓名", "角色", "区域代码"])
    new.append(["new.acc", "新会计", "村会计", "441323110202"])
    wb.active = 0
    wb.save(tmp_path / "users.xlsx")
    page = _post_file(client, "/admin/users/import", tmp_path / "users.xlsx").text
    assert "读取的工作表：旧名单" in page and "old.acc" in page
    page = client.post("/admin/users/import/reread", data=_choice(page, sheet="新名单")).text
    assert "new.acc" in page and "old.acc" not in page
    confirm = hidden_fields(page.split('id="confirm-users"')[0].rsplit("<form", 1)[1])
    assert client.post("/admin/users/import/confirm", data=confirm).status_code == 200
    made = set(db.session.scalars(select(User.username).where(User.username.in_(["old.acc", "new.acc"]))))
    assert made == {"new.acc"}


def test_the_choice_form_carries_its_own_csrf_token(database_url, world, tmp_path):
    from coopapp import create_app
    from coopapp.extensions import db as database

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True})
    app.config["IMPORT_UPLOAD_DIR"] = str(tmp_path / "uploads")
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").text)[1]
    client.post("/login", data={"username": "acc", "password": "pass-word-1", "csrf_token": token})
    path = _months(tmp_path / "months.xlsx", active=2)
    page = _post_file(client, "/imports/ledger", path, project_id=str(world.project.id), csrf_token=token).text
    assert "read-csrf_token" in page
    assert client.post("/imports/ledger/reread", data={**_choice(page), "read-csrf_token": "forged"}).status_code == 400
    resp = client.post("/imports/ledger/reread", data=_choice(page, sheet="4月"))
    assert resp.status_code == 200 and "读取的工作表：4月" in resp.text
    with app.app_context():
        database.engine.dispose()


def test_a_choice_changes_the_options_it_came_with(app):
    from coopapp.web.imports.forms import KeptUploadForm

    before = ReadOptions("5月", True, {"hidden_sum": "include", "month:B": "2026-01"}).to_json()
    base = {"read-sha": "a" * 64, "read-suffix": ".xlsx", "read-file_name": "f.xlsx", "read-options": before}

    def pressed(**button) -> ReadOptions:
        data = {**base, **{f"read-{k}": v for k, v in button.items()}}
        with app.test_request_context(method="POST", data=data):
            return KeptUploadForm(prefix="read").read_options()

    assert pressed() == ReadOptions.from_json(before)
    assert pressed(sheet="3月") == ReadOptions("3月", True)  # the answers were about the other sheet
    assert pressed(answer="sheet=4月") == ReadOptions("4月", True)
    assert pressed(include_hidden="0") == ReadOptions("5月", False, {"month:B": "2026-01"})
    assert pressed(answer="month:B=2026-10").answer("month:B") == "2026-10"
    assert pressed(answer="no-equals sign") == ReadOptions.from_json(before)
    with app.test_request_context(method="POST", data={**base, "read-options": "[broken"}):
        assert KeptUploadForm(prefix="read").read_options() == ReadOptions()
