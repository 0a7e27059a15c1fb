"""Cooperatives: registered by an admin with a verified 统一社会信用代码, listed in scope, audited."""

from sqlalchemy import func, select, text

from coopapp.access import audit
from coopapp.extensions import db
from coopapp.models import AuditEvent, Cooperative
from coopapp.villages import party_orgs
from coopapp.villages.party_orgs import PartyOrgInput

from .builders import body, credit_code, login

OWN, OTHER = "441323110201", "441323107203"


def _counts():
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Cooperative, AuditEvent))


def test_an_admin_registers_a_cooperative_audited(app, world):
    org = party_orgs.create_party_org(world.users["admin"], PartyOrgInput("中洞村党支部", "branch", OWN))
    payload = {
        "name": "中洞茶叶专业合作社",
        "credit_code": credit_code(3).lower(),
        "village": OWN,
        "party_org_id": org.id,
    }
    resp = login(app, "admin").post("/api/v1/cooperatives", json=payload)
    assert resp.status_code == 201, resp.get_json()
    coop = body(resp)
    assert coop["credit_code"] == credit_code(3) and coop["village"] == OWN and coop["party_org"] == "中洞村党支部"
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert (event.action, event.object_id, event.actor_id) == (
        "cooperative.create",
        coop["id"],
        world.users["admin"].id,
    )
    assert audit.verify() is None
    # Listed in scope: the village's secretary sees it, another village's does not.
    names = lambda who: {c["name"] for c in body(login(app, who).get("/api/v1/cooperatives"))}  # noqa: E731
    assert "中洞茶叶专业合作社" in names("sec") and "中洞茶叶专业合作社" not in names("sec2")


def test_bad_input_names_the_field_and_writes_nothing(app, world):
    admin = login(app, "admin")
    before = _counts()
    bad_check = credit_code(4)[:17] + ("0" if credit_code(4)[17] != "0" else "1")
    org = party_orgs.create_party_org(world.users["admin"], PartyOrgInput("八维村党支部", "branch", OTHER))
    before = _counts()
    cases = [
        ({"name": "甲", "credit_code": bad_check, "village": OWN}, "credit_code", "校验码"),
        ({"name": "甲", "credit_code": world.cooperative.credit_code, "village": OWN}, "credit_code", "已登记："),
        ({"name": "甲", "credit_code": credit_code(5)[:16], "village": OWN}, "credit_code", "这里是 16 位"),
        ({"name": "甲", "credit_code": credit_code(5)[:17] + "O", "village": OWN}, "credit_code", "“O”"),
        ({"name": "甲", "credit_code": credit_code(5), "village": "441323110299"}, "village", "不存在"),
        ({"name": "甲", "credit_code": credit_code(5), "village": "441323110"}, "village", "不是村"),
        ({"name": "甲", "credit_code": credit_code(5), "village": OWN, "party_org_id": org.id}, "party_org_id", "本村"),
        ({"name": "", "credit_code": credit_code(5), "village": OWN}, "name", ""),
    ]
    for payload, field, words in cases:
        resp = admin.post("/api/v1/cooperatives", json=payload)
        assert resp.status_code == 422, payload
        assert words in body(resp)["error"]["fields"][field], payload
    assert _counts() == before


def test_only_an_admin_registers(app, world):
    payload = {"name": "甲", "credit_code": credit_code(6), "village": OWN}
    for who in ("sec", "acc", "county"):
        assert login(app, who).post("/api/v1/cooperatives", json=payload).status_code == 403


def test_a_credit_code_changed_by_sql_fails_verify(world):
    assert audit.verify() is None
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE cooperatives SET credit_code = :c"), {"c": credit_code(8)})
    db.session.expire_all()
    assert "cooperative" in audit.verify().message


def test_the_admin_pages_add_and_edit(world, client, auth):
    auth.login("admin")
    listing = client.get("/admin/cooperatives").get_data(as_text=True)
    assert world.cooperative.name in listing and world.cooperative.credit_code in listing
    before = _counts()
    bad = {"name": "甲合作社", "credit_code": credit_code(5)[:17] + "I", "village": OWN}
    resp = client.post("/admin/cooperatives/new", data=bad)
    assert resp.status_code == 422 and "统一社会信用代码" in resp.get_data(as_text=True)
    assert _counts() == before
    resp = client.post("/admin/cooperatives/new", data={**bad, "credit_code": credit_code(5)})
    assert resp.status_code == 302
    edit = f"/admin/cooperatives/{world.cooperative.id}/edit"
    assert world.cooperative.credit_code in client.get(edit).get_data(as_text=True)
    resp = client.post(
        edit, data={"name": "中洞蜂业合作社", "credit_code": world.cooperative.credit_code, "village": OWN}
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Cooperative, world.cooperative.id).name == "中洞蜂业合作社"
    assert audit.verify() is None


def test_the_answer_is_its_schema(app, world):
    from coopapp.api.openapi import SCHEMAS
    from coopapp.api.orgs import cooperative_json

    assert set(cooperative_json(world.cooperative)) == set(SCHEMAS["Cooperative"]["properties"])


def test_a_credit_code_copied_with_spaces_or_in_full_width_is_read(app, world):
    """As printed on the licence (grouped by spaces) or typed on a Chinese keyboard (ＡＢＣ): the same code."""
    code = credit_code(7)
    spaced = f"{code[:4]} {code[4:8]}-{code[8:]}".lower()
    resp = login(app, "admin").post("/api/v1/cooperatives", json={"name": "乙", "credit_code": spaced, "village": OWN})
    assert resp.status_code == 201, body(resp)
    assert body(resp)["credit_code"] == code
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in credit_code(8))
    resp = login(app, "admin").post(
        "/api/v1/cooperatives", json={"name": "丙", "credit_code": full_width, "village": OWN}
    )
    assert resp.status_code == 201 and body(resp)["credit_code"] == credit_code(8)


def test_a_groups_party_organisation_is_offered_with_its_village(world, client, auth):
    """社前村民小组党支部 exists in many villages: the choice names the village too."""
    from coopapp.villages.party_orgs import PartyOrgInput

    party_orgs.create_party_org(world.users["admin"], PartyOrgInput("中洞一组党支部", "branch", world.group.code))
    db.session.commit()
    auth.login("admin")
    page = client.get("/admin/cooperatives/new").get_data(as_text=True)
    assert f"{world.village.name} {world.group.name} · 中洞一组党支部" in page
