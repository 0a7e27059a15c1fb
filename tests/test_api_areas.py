"""GET|POST /api/v1/areas and PATCH /api/v1/areas/CODE: the admin keeps the tree through the API."""

from coopapp.access import audit
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import Area, AuditEvent

from .builders import body, login


def _patch(client, code, payload):
    return client.client.patch(f"/api/v1/areas/{code}", json=payload, headers=client.headers)


def test_admin_adds_a_village_and_a_group(app, world):
    admin = login(app, "admin")
    resp = admin.post("/api/v1/areas", json={"code": "441323110203", "name": "义和村", "published_name": "义和村委会"})
    assert resp.status_code == 201
    assert body(resp) == {
        "code": "441323110203",
        "name": "义和村",
        "level": "village",
        "parent": "441323110",
        "published_name": "义和村委会",
        "retired": False,
        "merged_into": None,
        "merged_on": None,
    }
    group = body(admin.post("/api/v1/areas", json={"code": "441323110203001", "name": "一组", "level": "group"}))
    assert group["parent"] == "441323110203" and group["level"] == "group"
    town = body(admin.post("/api/v1/areas", json={"code": "441323113000", "name": "新庵镇"}))
    assert (town["code"], town["level"]) == ("441323113", "town")
    listed = {a["code"]: a for a in body(admin.get("/api/v1/areas"))}
    assert listed["441323110203"]["published_name"] == "义和村委会" and listed["441323"]["retired"] is False
    assert audit.verify() is None


def test_bad_bodies_name_the_field_and_write_nothing(app, world):
    admin = login(app, "admin")
    before = db.session.query(AuditEvent).count()
    for payload, field in [
        ({"code": "44132311020X", "name": "坏"}, "code"),
        ({"code": "441323110201", "name": "重复"}, "code"),
        ({"code": "441323199201", "name": "无镇"}, "parent"),
        ({"code": "441323110203", "name": "错", "level": "town"}, "level"),
        ({"code": "441323110203"}, "name"),
    ]:
        resp = admin.post("/api/v1/areas", json=payload)
        assert resp.status_code == 422, (payload, resp.get_json())
        assert field in resp.get_json()["error"]["fields"], (payload, resp.get_json())
    db.session.rollback()
    assert db.session.query(AuditEvent).count() == before


def test_patch_renames_moves_and_retires(app, world):
    admin = login(app, "admin")
    renamed = body(_patch(admin, "441323107203", {"name": "八维新村"}))
    assert renamed["name"] == "八维新村"
    moved = body(_patch(admin, world.group.code, {"parent": "441323110202"}))
    assert moved["parent"] == "441323110202" and moved["code"] == "441323110202001"
    retired = body(_patch(admin, "441323110202001", {"retired": True}))
    assert retired["retired"] is True
    resp = _patch(admin, "441323110202001", {"retired": False})
    assert resp.status_code == 422 and "retired" in resp.get_json()["error"]["fields"]
    assert _patch(admin, "441323110299", {"name": "无"}).status_code == 404
    assert _patch(admin, "abc", {"name": "无"}).status_code == 404
    assert audit.verify() is None


def test_patch_takes_the_zero_padded_town_code(app, world):
    admin = login(app, "admin")
    assert body(_patch(admin, "441323110000", {"name": "高潭"}))["name"] == "高潭"
    assert db.session.get(Area, world.town_a.id).name == "高潭"


def test_only_admins_write_areas(app, world):
    for username in ("acc", "sec", "town", "county"):
        client = login(app, username)
        assert client.post("/api/v1/areas", json={"code": "441323110203", "name": "新村"}).status_code == 403
        assert _patch(client, "441323110201", {"name": "改"}).status_code == 403


def test_patch_merges_a_village_on_a_date(app, world):
    admin = login(app, "admin")
    today = ledger.today()
    resp = _patch(admin, world.sibling_village.code, {"merged_on": today.isoformat()})
    assert resp.status_code == 422 and "merged_on" in resp.get_json()["error"]["fields"]
    resp = _patch(admin, world.sibling_village.code, {"merged_into": world.village.code, "merged_on": "2999-01-01"})
    assert resp.status_code == 422 and "不能晚于今天" in resp.get_json()["error"]["fields"]["merged_on"]
    resp = _patch(admin, world.sibling_village.code, {"merged_into": world.village.code, "merged_on": "June 30"})
    assert resp.status_code == 422 and "merged_on" in resp.get_json()["error"]["fields"]
    merged = body(
        _patch(admin, world.sibling_village.code, {"merged_into": world.village.code, "merged_on": today.isoformat()})
    )
    assert (merged["retired"], merged["merged_into"], merged["merged_on"]) == (
        True,
        world.village.code,
        today.isoformat(),
    )
    listed = {a["code"]: a for a in body(admin.get("/api/v1/areas"))}
    assert listed[world.sibling_village.code]["merged_on"] == today.isoformat()
    assert audit.verify() is None
