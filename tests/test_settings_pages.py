"""The settings page and GET|PUT /api/v1/settings: a round trip in yuan, errors beside their fields
with nothing lost, 422 with fields, 403 for anyone but the county admin."""

import re

from sqlalchemy import func, select

from coopapp.extensions import db
from coopapp.models import AuditEvent, CountySettings
from coopapp.settings import for_area, load
from coopapp.settings.operations import save_settings

from .builders import add_user, login

GOOD = {
    "version": "0",
    "categories": "办公费\r\n维修费\r\n\r\n 水电费 ",
    "banned_categories": "招待费",
    "non_productive_cap": "5万",
    "voucher_required_above": "200",
    "cash_warning_above": "1,000.00",
    "plan_town_approval_above": "",
    "tiers-0-kinds": ["operating_expense", "subsidy"],
    "tiers-0-above": "10000",
    "tiers-0-up_to": "",
    "tiers-0-approvers": "town_accountant",
    "tiers-1-kinds": ["operating_expense"],
    "tiers-1-above": "1000",
    "tiers-1-up_to": "10000",
    "tiers-1-approvers": "town_accountant",
    "tiers-2-above": "",  # a blank row: not a tier
}


def _stored() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(CountySettings))


def _events() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def _settings_events() -> int:
    return db.session.scalar(select(func.count()).where(AuditEvent.object_type == "county_settings"))


def test_the_page_round_trip(world, auth, client):
    auth.login("admin")
    page = client.get("/settings")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "县级设置" in html and "须附原始凭证" in html and "招待费" in html
    assert 'href="/settings"' in client.get("/").get_data(as_text=True)  # linked from the admin's nav
    resp = client.post("/settings", data=GOOD)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    settings = load(world.county.id)
    assert settings.categories == ("办公费", "维修费", "水电费")
    assert settings.non_productive_cap_fen == 5_000_000
    assert settings.voucher_required_above_fen == 20_000
    assert settings.cash_warning_above_fen == 100_000
    assert settings.plan_town_approval_above_fen is None
    assert [(t.kinds, t.above_fen, t.up_to_fen) for t in settings.tiers] == [
        (("operating_expense", "subsidy"), 1_000_000, None),
        (("operating_expense",), 100_000, 1_000_000),
    ]
    html = client.get("/settings").get_data(as_text=True)
    assert 'value="50000.00"' in html and 'value="10000.00"' in html  # shown back in yuan
    assert re.search(r'value="operating_expense"[^>]*checked|checked[^>]*value="operating_expense"', html)
    assert 'name="version" type="hidden" value="1"' in html or 'value="1"' in html
    # Removing a tier.
    resp = client.post("/settings", data={**GOOD, "version": "1", "tiers-1-remove": "y"})
    assert resp.status_code == 302
    assert len(load(world.county.id).tiers) == 1


def test_the_page_offers_operating_spending_once(world, auth, client):
    """成本 (`cost`) and 经营支出 are one kind for the tiers: the page offers one box, and a tier saved
    with `cost` (an older document, the API) shows it ticked; saved from the page, it names 经营支出."""
    save_settings(world.users["admin"], world.county, {"tiers": [{"kinds": ["cost"], "above_fen": 100_000}]})
    db.session.commit()
    auth.login("admin")
    html = client.get("/settings").get_data(as_text=True)
    assert 'value="cost"' not in html  # (its history still says what was saved: 经营支出（成本）)
    assert re.search(r'name="tiers-0-kinds"[^>]*value="operating_expense"[^>]*checked', html) or re.search(
        r'checked[^>]*name="tiers-0-kinds"[^>]*value="operating_expense"', html
    )
    assert client.post("/settings", data={**GOOD, "version": "1", "tiers-0-kinds": "cost"}).status_code == 422


def test_errors_show_beside_their_fields_and_nothing_is_lost(world, auth, client):
    auth.login("admin")
    before = _events()
    overlapping = {**GOOD, "tiers-1-above": "5000", "tiers-1-up_to": "20000"}
    resp = client.post("/settings", data=overlapping)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "区间重叠" in html
    assert "办公费\n维修费" in html.replace("\r\n", "\n") and 'value="20000"' in html  # as typed
    bad = {**GOOD, "cash_warning_above": "-5", "voucher_required_above": "abc", "tiers-2-above": "300"}
    html = client.post("/settings", data=bad).get_data(as_text=True)
    assert "金额不能为负数" in html and "金额格式不对" in html and "请选择至少一个类别" in html
    assert _stored() == 0 and _events() == before


def test_a_stale_page_is_refused(world, auth, client):
    save_settings(world.users["admin"], world.county, {"cash_warning_above_fen": 1})
    auth.login("admin")
    resp = client.post("/settings", data=GOOD)  # the page was opened before that save (version 0)
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    assert "已被他人修改" in html and 'value="1,000.00"' in html  # what was typed is kept
    assert load(world.county.id).cash_warning_above_fen == 1
    # the page now carries the stored version: saving it again (nothing retyped) stands
    assert re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1) == "1"
    assert client.post("/settings", data={**GOOD, "version": "1"}).status_code == 302
    assert load(world.county.id).cash_warning_above_fen == 100_000


def test_a_town_admin_may_not_open_or_change_the_county_settings(world, auth, client):
    add_user("town.admin", "admin", world.town_a)
    db.session.commit()
    auth.login("town.admin")
    assert client.get("/settings").status_code == 403
    assert client.post("/settings", data=GOOD).status_code == 403
    assert 'href="/settings"' not in client.get("/").get_data(as_text=True)
    assert _stored() == 0


def test_the_api_reads_and_replaces_the_settings(world, app):
    county = login(app, "county")
    resp = county.get("/api/v1/settings")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["county"] == "441323" and body["version"] == 0
    assert body["settings"]["banned_categories"] == ["招待费"] and body["settings"]["tiers"] == []

    admin = login(app, "admin")
    document = {
        "tiers": [{"kinds": ["cost"], "above_fen": 1_000_000}],
        "voucher_required_above_fen": 20_000,
    }
    resp = admin.client.put("/api/v1/settings", json=document, headers=admin.headers)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["version"] == 1
    assert body["settings"]["tiers"] == [
        {"kinds": ["cost"], "above_fen": 1_000_000, "up_to_fen": None, "approvers": ["town_accountant"]}
    ]
    # Everyone in the county reads it; a village accountant too.
    acc = login(app, "acc").get("/api/v1/settings").get_json()
    assert acc["settings"]["voucher_required_above_fen"] == 20_000 and acc["version"] == 1
    assert for_area(world.village).voucher_required_above_fen == 20_000
    # ?area= names an area in the caller's scope.
    assert admin.get("/api/v1/settings?area=441323110201").get_json()["county"] == "441323"
    assert login(app, "acc").get("/api/v1/settings?area=441323107203").status_code == 403


def test_the_api_refuses_bad_documents_with_fields(world, app):
    admin = login(app, "admin")
    before = _events()
    bad = {
        "tiers": [{"kinds": ["cost"], "above_fen": 0}, {"kinds": ["cost"], "above_fen": 100}],
        "cash_warning_above_fen": -1,
        "colour": "red",
    }
    resp = admin.client.put("/api/v1/settings", json=bad, headers=admin.headers)
    assert resp.status_code == 422
    assert set(resp.get_json()["error"]["fields"]) == {"tiers", "cash_warning_above_fen", "settings"}
    resp = admin.client.put("/api/v1/settings", json=[1], headers=admin.headers)
    assert resp.status_code == 400
    assert _stored() == 0 and _events() == before


def test_the_api_refuses_anyone_but_the_county_admin(world, app):
    add_user("town.admin", "admin", world.town_a)
    db.session.commit()
    before = _settings_events()
    for name in ("acc", "sec", "town", "county", "town.admin"):
        client = login(app, name)
        resp = client.client.put("/api/v1/settings", json={}, headers=client.headers)
        assert resp.status_code == 403, name
        assert resp.get_json()["error"]["code"] == "forbidden"
    assert _stored() == 0
    assert _settings_events() == before


def test_the_page_shows_what_each_save_changed(world, auth, client):
    admin = world.users["admin"]
    save_settings(admin, world.county, {"cash_warning_above_fen": 100_000})
    save_settings(
        admin,
        world.county,
        {"cash_warning_above_fen": 200_000, "tiers": [{"kinds": ["cost"], "above_fen": 1_000_000}]},
    )
    auth.login("admin")
    html = client.get("/settings").get_data(as_text=True)
    history = html[html.index("变更记录") :]
    assert "现金支付预警金额（超过，元）" in history and "1000.00 → 2000.00" in history
    assert "分级审批" in history and "经营支出（成本） &gt; 10000.00" in history
