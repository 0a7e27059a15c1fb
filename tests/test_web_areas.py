"""The admin's area pages: the tree, add, rename, move a group, retire, merge — through the real forms."""

from coopapp.access import audit
from coopapp.extensions import db
from coopapp.models import Area, Household


def _csrf(client, url: str) -> str:
    import re

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
    client.post(f"/admin/areas/{world.village.code}/retire", data={"csrf_token": token})
    assert not db.session.get(Area, world.village.id).retired
    client.post(f"/admin/areas/{world.group.code}/retire", data={"csrf_token": token})
    assert db.session.get(Area, world.group.id).retired
    assert "已撤销" in client.get("/admin/areas").get_data(as_text=True)


def test_merge_a_village(client, auth, world):
    auth.login("admin")
    url = f"/admin/areas/{world.village.code}/merge"
    token = _csrf(client, url)
    assert client.post(url, data={"csrf_token": token, "merged_into": "441323110202"}).status_code == 302
    village = db.session.get(Area, world.village.id)
    assert village.retired and village.merged_into_id == world.sibling_village.id
    bad = client.post(
        f"/admin/areas/{world.sibling_village.code}/merge", data={"csrf_token": token, "merged_into": "1"}
    )
    assert bad.status_code == 422


def test_other_roles_are_refused(client, auth, world):
    auth.login("county")
    assert client.get("/admin/areas").status_code == 403
