"""The admin's area pages: the tree, add, rename, move a group, retire, merge — through the real forms."""

import re

from coopapp.access import audit
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import Area, Household

from .builders import NBS, hidden_fields, write_area_xlsx


def _csrf(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def _area(code: str) -> Area | None:
    return db.session.query(Area).filter_by(code=code).one_or_none()


def test_the_admin_sees_the_tree_from_the_menu(client, auth, world):
    auth.login("admin")
    home = client.get("/admin/areas")
    text = home.get_data(as_text=True)
    assert home.status_code == 200
    for name in ("惠东县", "高潭镇", "中洞村", "中洞一组", "八维村"):
        assert name in text
    assert '<a href="/admin/areas">区域</a>' in text  # the admin's menu


def test_add_a_village_through_the_form(client, auth, world):
    auth.login("admin")
    token = _csrf(client, "/admin/areas/new")
    resp = client.post("/admin/areas/new", data={"csrf_token": token, "code": "441323110203", "name": "义和村"})
    assert resp.status_code == 302
    assert _area("441323110203").parent_id == world.town_a.id
    assert "已添加" in client.get("/admin/areas").get_data(as_text=True)


def test_a_bad_code_is_shown_beside_the_field(client, auth, world):
    auth.login("admin")
    token = _csrf(client, "/admin/areas/new")
    resp = client.post("/admin/areas/new", data={"csrf_token": token, "code": "4413231102", "name": "坏"})
    assert resp.status_code == 422 and "6、9、12 或 15" in resp.get_data(as_text=True)
    assert db.session.query(Area).count() == 7


def test_rename_and_move_a_group(client, auth, world):
    auth.login("admin")
    url = f"/admin/areas/{world.group.code}/edit"
    token = _csrf(client, url)
    resp = client.post(url, data={"csrf_token": token, "name": "中洞新一组", "parent": "441323110202"})
    assert resp.status_code == 302
    group = db.session.get(Area, world.group.id)
    assert (group.name, group.parent_id) == ("中洞新一组", world.sibling_village.id)
    assert all(
        h.village_id == world.sibling_village.id for h in db.session.query(Household).filter_by(group_id=group.id)
    )
    assert audit.verify() is None


def test_retire_refuses_a_village_with_groups_then_retires_the_group(client, auth, world):
    auth.login("admin")
    token = _csrf(client, "/admin/areas")
    refused = client.post(f"/admin/areas/{world.village.code}/retire", data={"csrf_token": token})
    assert refused.status_code == 302  # refused at once (its groups first), not asked about
    assert not db.session.get(Area, world.village.id).retired
    asked = client.post(f"/admin/areas/{world.group.code}/retire", data={"csrf_token": token})
    assert "撤销后不能恢复" in asked.get_data(as_text=True) and not db.session.get(Area, world.group.id).retired
    client.post(f"/admin/areas/{world.group.code}/retire", data={"csrf_token": token, "confirmed": "1"})
    db.session.rollback()  # (what the request committed)
    assert db.session.get(Area, world.group.id).retired
    assert "已撤销" in client.get("/admin/areas").get_data(as_text=True)


def test_merge_a_village(client, auth, world):
    auth.login("admin")
    url = f"/admin/areas/{world.village.code}/merge"
    token = _csrf(client, url)
    assert client.post(url, data={"csrf_token": token, "merged_into": "441323110202"}).status_code == 302
    village = db.session.get(Area, world.village.id)
    assert village.retired and village.merged_into_id == world.sibling_village.id
    assert village.merged_on == ledger.today()
    bad = client.post(
        f"/admin/areas/{world.sibling_village.code}/merge", data={"csrf_token": token, "merged_into": "1"}
    )
    assert bad.status_code == 422


def test_other_roles_are_refused(client, auth, world):
    auth.login("county")
    assert client.get("/admin/areas").status_code == 403


def test_a_retired_group_is_hidden_from_the_household_form(client, auth, world):
    from coopapp.villages import areas

    areas.create_area(world.users["admin"], areas.AreaInput("441323110201002", "中洞二组"))
    areas.retire_area(world.users["admin"], world.group)
    auth.login("sec")
    page = client.get("/village/households/new").get_data(as_text=True)
    assert "中洞二组" in page and "中洞一组" not in page
    # A household already in the retired group keeps it on its own form.
    edit = client.get(f"/village/households/{world.households[0].id}/edit").get_data(as_text=True)
    assert "中洞一组" in edit


# --- 导入区划表: upload → preview every row it adds or renames and every problem → confirm ---


def _upload(client, content: bytes, name: str):
    import io

    data = {"file": (io.BytesIO(content), name)}
    return client.post("/admin/areas/import", data=data, content_type="multipart/form-data")


def test_import_the_nbs_table_from_the_web(app, client, auth, world, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(tmp_path / "uploads"))
    auth.login("admin")
    assert 'href="/admin/areas/import"' in client.get("/admin/areas").text
    assert client.get("/admin/areas/import").status_code == 200
    before = db.session.query(Area).count()
    content = write_area_xlsx(tmp_path / "nbs.xlsx", NBS, title="2023年统计用区划代码").read_bytes()
    resp = _upload(client, content, "统计用区划代码.xlsx")
    assert resp.status_code == 200, resp.text
    assert "441323110203" in resp.text and "义和村" in resp.text and "新增" in resp.text
    assert "改名（原名" not in resp.text or "中洞村" in resp.text
    assert db.session.query(Area).count() == before  # the preview writes nothing
    resp = client.post("/admin/areas/import/confirm", data=hidden_fields(resp.text))
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/areas")
    assert _area("441323110203").name == "义和村"
    assert _area("441323110203").published_name == "义和村委会"
    assert "已导入区划表" in client.get("/admin/areas").text
    assert list((tmp_path / "uploads").iterdir()) == []  # the confirmed upload is not kept
    # The same table again: nothing to confirm.
    again = _upload(client, content, "统计用区划代码.xlsx")
    assert again.status_code == 200 and "与系统中的完全一致，没有要导入的变化" in again.text
    assert "确认导入" not in again.text and 'href="/admin/areas">返回区域' in again.text


def test_a_bad_area_row_is_named_and_nothing_is_offered(app, client, auth, world, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(tmp_path / "uploads"))
    auth.login("admin")
    content = "代码,名称,上级代码,层级\n441323110201003,,441323110201,村民小组\n44132311,坏,,\n".encode()
    before = db.session.query(Area).count()
    resp = _upload(client, content, "groups.csv")
    assert resp.status_code == 422
    cells = re.sub(r"<td [^>]*>", "<td>", re.sub(r">\s+<", "><", resp.text))  # the problems' cells, unlabelled
    assert "<td>2</td><td>名称</td>" in cells and "请填写名称" in cells  # row 2: no name
    assert "<td>3</td><td>代码</td><td>44132311</td>" in cells and "6、9、12 或 15" in cells  # row 3: a bad code
    assert "确认导入" not in resp.text
    assert "整个文件都不会导入" in resp.text and "没有变化" not in resp.text  # no counts beside the errors
    assert db.session.query(Area).count() == before
    assert list((tmp_path / "uploads").iterdir()) == []


def test_only_the_admin_imports_areas_from_the_web(client, auth, world):
    auth.login("county")
    assert client.get("/admin/areas/import").status_code == 403


def _options(page: str, name: str) -> dict[str, list[tuple[str, str]]]:
    """The <select name=…> of a page: optgroup label → [(value, text)]."""
    select = re.search(rf'<select name="{name}".*?</select>', page, re.S).group(0)
    groups = {}
    for label, body in re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', select, re.S):
        groups[label] = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', body)
    return groups


def test_the_merge_page_offers_the_villages_in_scope_by_town(client, auth, world):
    from coopapp.villages import areas

    areas.create_area(world.users["admin"], areas.AreaInput("441323110203", "义和村"))
    areas.retire_area(world.users["admin"], _area("441323110203"))
    db.session.commit()
    auth.login("admin")
    url = f"/admin/areas/{world.village.code}/merge"
    page = client.get(url).get_data(as_text=True)
    assert _options(page, "merged_into") == {
        "441323107 多祝镇": [("441323107203", "441323107203 八维村")],
        "441323110 高潭镇": [("441323110202", "441323110202 甘溪村")],
    }  # not the village itself, not a retired one
    assert 'type="date"' in page and 'name="merged_on"' in page
    token = _csrf(client, url)
    day = ledger.today().isoformat()
    resp = client.post(url, data={"csrf_token": token, "merged_into": "441323110202", "merged_on": "2999-01-01"})
    assert resp.status_code == 422 and "不能晚于今天" in resp.get_data(as_text=True)
    assert 'value="441323110202" selected' in resp.get_data(as_text=True)
    resp = client.post(url, data={"csrf_token": token, "merged_into": "441323110202", "merged_on": day})
    assert resp.status_code == 302
    assert "441323110202 甘溪村" in client.get("/admin/areas").get_data(as_text=True)


def test_the_group_page_offers_the_other_villages_to_move_to(client, auth, world):
    auth.login("admin")
    page = client.get(f"/admin/areas/{world.group.code}/edit").get_data(as_text=True)
    offered = [value for options in _options(page, "parent").values() for value, _text in options]
    assert offered == ["441323107203", "441323110202"]  # its own village is where it is
    assert '<option value="">不移动</option>' in page
