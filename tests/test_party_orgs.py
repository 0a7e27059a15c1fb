"""Party organisations: kinds, a village or group, a joint branch's groups, founding and upgrades; audited."""

from sqlalchemy import func, select, text

from coopapp.access import audit
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import AuditEvent, PartyOrg, PartyOrgUpgrade
from coopapp.villages import catalog

from .builders import body, login

OWN, GROUP = "441323110201", "441323110201001"


def _counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(m)) for m in (PartyOrg, PartyOrgUpgrade, AuditEvent)
    )


def _second_group(world):
    group = catalog.add_area("441323110201002", "中洞二组", "group", world.village)
    db.session.flush()
    audit.record(None, "area.create", group)
    db.session.commit()
    return group


def test_a_branch_is_founded_upgraded_and_audited(app, world):
    admin = login(app, "admin")
    resp = admin.post(
        "/api/v1/party-orgs", json={"name": "中洞村党支部", "kind": "branch", "area": OWN, "founded": "2004-07-01"}
    )
    assert resp.status_code == 201, resp.get_json()
    org = body(resp)
    assert (org["kind"], org["area"], org["founded"], org["groups"], org["upgrades"]) == (
        "branch",
        OWN,
        "2004-07-01",
        [],
        [],
    )
    resp = admin.post(f"/api/v1/party-orgs/{org['id']}/upgrade", json={"kind": "general_branch", "date": "2021-06-30"})
    assert resp.status_code == 200, resp.get_json()
    assert body(resp)["kind"] == "general_branch"
    assert body(resp)["upgrades"] == [{"date": "2021-06-30", "from_kind": "branch", "kind": "general_branch"}]
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "party_org").order_by(AuditEvent.seq)
    ).all()
    assert actions == ["party_org.create", "party_org.upgrade"]
    assert audit.verify() is None
    # An upgrade history rewritten by SQL is caught.
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE party_org_upgrades SET upgraded_on = '2020-01-01'"))
    db.session.expire_all()
    assert "party_org" in audit.verify().message


def test_a_joint_branch_covers_several_groups(app, world):
    second = _second_group(world)
    admin = login(app, "admin")
    payload = {"name": "中洞联合党支部", "kind": "joint_branch", "area": OWN, "groups": [GROUP, second.code]}
    resp = admin.post("/api/v1/party-orgs", json=payload)
    assert resp.status_code == 201, resp.get_json()
    assert body(resp)["groups"] == [GROUP, second.code]
    listed = body(login(app, "sec").get(f"/api/v1/party-orgs?village={OWN}"))
    assert [o["name"] for o in listed] == ["中洞联合党支部"]
    assert audit.verify() is None


def test_bad_input_names_the_field_and_writes_nothing(app, world):
    _second_group(world)
    admin = login(app, "admin")
    before = _counts()
    tomorrow = ledger.today().toordinal() + 1
    from datetime import date

    cases = [
        ({"name": "甲", "kind": "cell", "area": OWN}, "kind"),
        ({"name": "甲", "kind": "branch", "area": "441323110"}, "area"),  # a town
        ({"name": "甲", "kind": "branch", "area": "441323110299"}, "area"),  # no such village
        ({"name": "甲", "kind": "branch", "area": OWN, "groups": [GROUP]}, "groups"),  # groups: joint only
        ({"name": "甲", "kind": "joint_branch", "area": OWN, "groups": [GROUP]}, "groups"),  # one group
        ({"name": "甲", "kind": "joint_branch", "area": OWN, "groups": [GROUP, "441323107203001"]}, "groups"),
        ({"name": "甲", "kind": "joint_branch", "area": OWN, "groups": "441323110201001"}, "groups"),
        ({"name": "甲", "kind": "branch", "area": OWN, "founded": date.fromordinal(tomorrow).isoformat()}, "founded"),
    ]
    for payload, field in cases:
        resp = admin.post("/api/v1/party-orgs", json=payload)
        assert resp.status_code == 422, payload
        assert field in body(resp)["error"]["fields"], (payload, body(resp))
    assert _counts() == before


def test_an_upgrade_before_the_founding_or_to_the_same_kind_is_refused(app, world):
    admin = login(app, "admin")
    org = body(
        admin.post("/api/v1/party-orgs", json={"name": "甲", "kind": "branch", "area": GROUP, "founded": "2010-01-01"})
    )
    before = _counts()
    url = f"/api/v1/party-orgs/{org['id']}/upgrade"
    resp = admin.post(url, json={"kind": "general_branch", "date": "2009-12-31"})
    assert resp.status_code == 422 and "2010-01-01" in body(resp)["error"]["fields"]["date"]
    assert admin.post(url, json={"kind": "branch", "date": "2011-01-01"}).status_code == 422
    assert _counts() == before
    secretary = login(app, "sec")  # (issuing her token is an audit event of its own)
    before = _counts()
    assert secretary.post(url, json={"kind": "general_branch", "date": "2011-01-01"}).status_code == 403
    assert _counts() == before


def test_the_comparison_counts_branches_coverage_kinds_and_led_cooperatives(app, world):
    from decimal import Decimal

    from coopapp.reporting import comparison
    from coopapp.villages.party_orgs import PartyOrgInput, create_party_org

    admin = world.users["admin"]
    second = _second_group(world)
    third = catalog.add_area("441323110201003", "中洞三组", "group", world.village)
    db.session.flush()
    audit.record(None, "area.create", third)
    db.session.commit()
    create_party_org(admin, PartyOrgInput("中洞一组党支部", "branch", GROUP))
    create_party_org(admin, PartyOrgInput("中洞联合党支部", "joint_branch", OWN, [second.code, third.code]))
    general = create_party_org(admin, PartyOrgInput("中洞村党总支", "general_branch", OWN))
    world.cooperative.party_org_id = general.id  # the village's cooperative, led by the 党总支
    audit.record(admin, "cooperative.update", world.cooperative)
    db.session.commit()
    result = comparison.comparison(world.users["county_reviewer"], world.county, comparison.Filters(year=2025))
    (row,) = [r for r in result["rows"] if r["code"] == OWN]
    assert (row["groups"], row["party_branches"], row["party_groups_covered"]) == (3, 2, 3)
    assert row["party_branches_per_group"] == Decimal(2) / 3 and row["party_group_coverage"] == 1
    kinds = {k: row[f"party_orgs_{k}"] for k in ("committee", "general_branch", "branch", "joint_branch")}
    assert kinds == {"committee": 0, "general_branch": 1, "branch": 1, "joint_branch": 1}
    assert row["coops_led"] == 1
    (sibling,) = [r for r in result["rows"] if r["code"] == "441323110202"]
    assert sibling["groups"] == 0 and sibling["party_branches_per_group"] is None
    (town,) = [t for t in result["towns"] if t["code"] == "441323110"]
    assert (town["groups"], town["party_branches"], town["coops_led"]) == (3, 2, 1)
    assert town["party_group_coverage"] == 1
    ranked = body(login(app, "county").get("/api/v1/compare?year=2025&metric=party_branches_per_group"))
    assert ranked["rows"][0]["code"] == OWN and ranked["rows"][0]["party_branches_per_group"] == "0.666667"
    assert audit.verify() is None


def test_the_admin_pages_add_a_joint_branch_and_record_an_upgrade(world, client, auth):
    second = _second_group(world)
    auth.login("admin")
    assert "还没有党组织" in client.get("/admin/party-orgs").get_data(as_text=True)
    before = _counts()
    bad = {"name": "中洞联合党支部", "kind": "joint_branch", "area": OWN, "groups": GROUP}
    resp = client.post("/admin/party-orgs/new", data=bad)
    assert resp.status_code == 422 and "2 至" in resp.get_data(as_text=True)
    assert _counts() == before
    resp = client.post("/admin/party-orgs/new", data={**bad, "groups": f"{GROUP}，{second.code}"})
    assert resp.status_code == 302
    branch = db.session.scalar(select(PartyOrg).where(PartyOrg.name == "中洞联合党支部"))
    assert [g.code for g in branch.groups] == [GROUP, second.code]
    page = client.get("/admin/party-orgs").get_data(as_text=True)
    assert "中洞一组、中洞二组" in page and "联合党支部" in page
    other = client.post("/admin/party-orgs/new", data={"name": "中洞村党支部", "kind": "branch", "area": OWN})
    assert other.status_code == 302
    org = db.session.scalar(select(PartyOrg).where(PartyOrg.name == "中洞村党支部"))
    resp = client.post(f"/admin/party-orgs/{org.id}/upgrade", data={"kind": "general_branch", "date": "2021-06-30"})
    assert resp.status_code == 302
    assert "2021-06-30 → 党总支" in client.get("/admin/party-orgs").get_data(as_text=True)
    assert audit.verify() is None


def test_the_party_figures_under_an_area_equal_those_of_its_village_list(app, world):
    """The comparison reads the party figures by the area's path; the id-list query gives the same."""
    from coopapp.models import Area
    from coopapp.reporting import party_metrics

    second = _second_group(world)
    admin = login(app, "admin")
    for payload in (
        {"name": "中洞联合党支部", "kind": "joint_branch", "area": OWN, "groups": [GROUP, second.code]},
        {"name": "中洞一组党支部", "kind": "branch", "area": GROUP},
        {"name": "中洞村党总支", "kind": "general_branch", "area": OWN},
    ):
        assert admin.post("/api/v1/party-orgs", json=payload).status_code == 201
    county = world.county
    villages = [a.id for a in Area.query.filter_by(level="village")]
    by_path = party_metrics.village_party_figures(villages, county.path)
    assert by_path == party_metrics.village_party_figures(villages)
    own = Area.query.filter_by(code=OWN).one()
    assert by_path[own.id]["party_branches"] == 2 and by_path[own.id]["groups"] >= 2
    # A subset (one town's villages) under the county: other villages' rows are passed over.
    one = [own.id]
    assert party_metrics.village_party_figures(one, county.path) == party_metrics.village_party_figures(one)


def test_an_organisation_is_corrected_through_the_api_and_audited(app, world):
    second = _second_group(world)
    admin = login(app, "admin")
    payload = {"name": "中洞联合支部", "kind": "joint_branch", "area": OWN, "groups": [GROUP, second.code]}
    org = body(admin.post("/api/v1/party-orgs", json=payload))
    url = f"/api/v1/party-orgs/{org['id']}"
    resp = admin.patch(url, json={"name": "中洞村联合党支部"})
    assert resp.status_code == 200, resp.get_json()
    changed = body(resp)
    assert (changed["name"], changed["area"], changed["groups"]) == ("中洞村联合党支部", OWN, [GROUP, second.code])
    third = catalog.add_area("441323110201003", "中洞三组", "group", world.village)
    db.session.flush()
    audit.record(None, "area.create", third)
    db.session.commit()
    resp = admin.patch(url, json={"groups": [second.code, third.code]})
    assert resp.status_code == 200 and body(resp)["groups"] == [second.code, third.code]
    # Nothing changed: no event.
    assert admin.patch(url, json={"name": "中洞村联合党支部"}).status_code == 200
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "party_org").order_by(AuditEvent.seq)
    ).all()
    assert actions == ["party_org.create", "party_org.update", "party_org.update"]
    assert audit.verify() is None
    branch = body(admin.post("/api/v1/party-orgs", json={"name": "一组党支部", "kind": "branch", "area": GROUP}))
    resp = admin.patch(f"/api/v1/party-orgs/{branch['id']}", json={"area": OWN})
    assert resp.status_code == 200 and body(resp)["area"] == OWN


def test_a_bad_correction_names_the_field_and_writes_nothing(app, world):
    second = _second_group(world)
    admin = login(app, "admin")
    joint = body(
        admin.post(
            "/api/v1/party-orgs",
            json={"name": "联合支部", "kind": "joint_branch", "area": OWN, "groups": [GROUP, second.code]},
        )
    )
    branch = body(admin.post("/api/v1/party-orgs", json={"name": "村党支部", "kind": "branch", "area": OWN}))
    world.cooperative.party_org_id = branch["id"]  # it leads 中洞村's cooperative
    audit.record(world.users["admin"], "cooperative.update", world.cooperative)
    db.session.commit()
    before = _counts()
    cases = [
        (joint, {"name": ""}, "name"),
        (joint, {"name": "甲" * 101}, "name"),
        (joint, {"area": "441323110"}, "area"),  # a town
        (joint, {"area": GROUP}, "area"),  # a joint branch stays at a village
        (joint, {"groups": [GROUP]}, "groups"),  # one group
        (joint, {"area": "441323107203"}, "groups"),  # its groups are not the new village's
        (joint, {"groups": GROUP}, "groups"),
        (branch, {"groups": [GROUP, second.code]}, "groups"),  # a plain branch covers no groups
        (branch, {"area": "441323107203"}, "area"),  # its cooperative would be in another village
    ]
    for org, payload, field in cases:
        resp = admin.patch(f"/api/v1/party-orgs/{org['id']}", json=payload)
        assert resp.status_code == 422, (payload, resp.get_json())
        assert field in body(resp)["error"]["fields"], (payload, body(resp))
    refused = body(admin.patch(f"/api/v1/party-orgs/{branch['id']}", json={"area": "441323107203"}))
    assert world.cooperative.name in refused["error"]["fields"]["area"]
    secretary = login(app, "sec")  # (issuing its token is an audit event of its own)
    before = _counts()
    assert secretary.patch(f"/api/v1/party-orgs/{branch['id']}", json={"name": "乙"}).status_code == 403
    assert admin.patch("/api/v1/party-orgs/999999", json={"name": "乙"}).status_code == 404
    assert _counts() == before


def test_the_edit_page_corrects_a_joint_branch_and_is_linked_from_the_list(world, client, auth):
    from coopapp.villages.party_orgs import PartyOrgInput, create_party_org

    second = _second_group(world)
    org = create_party_org(world.users["admin"], PartyOrgInput("联合支部", "joint_branch", OWN, [GROUP, second.code]))
    auth.login("admin")
    listing = client.get("/admin/party-orgs").get_data(as_text=True)
    assert f"/admin/party-orgs/{org.id}/edit" in listing
    page = client.get(f"/admin/party-orgs/{org.id}/edit").get_data(as_text=True)
    assert "联合支部" in page and f"{GROUP}, {second.code}" in page and "变更记录" in page
    before = _counts()
    resp = client.post(f"/admin/party-orgs/{org.id}/edit", data={"name": "", "area": OWN, "groups": GROUP})
    assert resp.status_code == 422 and "2 至" in resp.get_data(as_text=True)
    assert _counts() == before
    resp = client.post(
        f"/admin/party-orgs/{org.id}/edit",
        data={"name": "中洞联合党支部", "area": OWN, "groups": f"{GROUP}、{second.code}"},
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(PartyOrg, org.id).name == "中洞联合党支部"
    history = client.get(f"/admin/party-orgs/{org.id}/edit").get_data(as_text=True)
    assert "party_org.update" in history and "联合支部 → 中洞联合党支部" in history
    assert audit.verify() is None


def test_the_same_name_twice_in_one_place_is_refused(app, world):
    """A double tap, or a list registered twice: one organisation, the second told which is there."""
    admin = login(app, "admin")
    payload = {"name": "中共中洞村支部委员会", "kind": "branch", "area": OWN}
    first = admin.post("/api/v1/party-orgs", json=payload)
    assert first.status_code == 201
    before = _counts()
    again = admin.post("/api/v1/party-orgs", json=payload)
    assert again.status_code == 422 and f"#{body(first)['id']}" in body(again)["error"]["fields"]["name"]
    assert _counts() == before
    assert admin.post("/api/v1/party-orgs", json={**payload, "area": GROUP}).status_code == 201  # a group's own
    other = body(admin.post("/api/v1/party-orgs", json={**payload, "name": "中洞村第二支部"}))
    renamed = admin.patch(f"/api/v1/party-orgs/{other['id']}", json={"name": "中共中洞村支部委员会"})
    assert renamed.status_code == 422 and "不能重复登记" in body(renamed)["error"]["fields"]["name"]


def test_a_place_is_named_by_its_name_or_its_code(app, world):
    """中洞村 or 441323110201 (or its published name); a name several places share asks for the code."""
    from coopapp.access import audit as audit_
    from coopapp.villages import catalog as catalog_

    admin = login(app, "admin")
    by_name = admin.post("/api/v1/party-orgs", json={"name": "中洞村党支部", "kind": "branch", "area": "中洞村"})
    assert by_name.status_code == 201 and body(by_name)["area"] == OWN
    coop = admin.post(
        "/api/v1/cooperatives", json={"name": "中洞蜂业合作社", "credit_code": _code(9), "village": "中洞村"}
    )
    assert coop.status_code == 201 and body(coop)["village"] == OWN
    twin = catalog_.add_area("441323107299", "中洞村", "village", world.town_b)  # another 中洞村, in 多祝镇
    db.session.flush()
    audit_.record(None, "area.create", twin)
    db.session.commit()
    again = admin.post("/api/v1/party-orgs", json={"name": "中洞村第二支部", "kind": "branch", "area": "中洞村"})
    assert again.status_code == 422 and "441323107299" in body(again)["error"]["fields"]["area"]
    assert "请写代码" in body(again)["error"]["fields"]["area"]
    unknown = admin.post("/api/v1/party-orgs", json={"name": "甲", "kind": "branch", "area": "没有这个村"})
    assert unknown.status_code == 422 and "区域不存在" in body(unknown)["error"]["fields"]["area"]
    # A town's admin names the 中洞村 of their own town: the other is not theirs to see, nor to be asked about.
    from .builders import add_user

    add_user("gaotan.admin", "admin", world.town_a)
    db.session.commit()
    town_admin = login(app, "gaotan.admin")
    mine = town_admin.post("/api/v1/party-orgs", json={"name": "中洞村第三支部", "kind": "branch", "area": "中洞村"})
    assert mine.status_code == 201 and body(mine)["area"] == OWN


def _code(n: int) -> str:
    from .builders import credit_code

    return credit_code(n)


def test_a_joint_branch_takes_its_groups_by_name(app, world):
    """The groups a joint branch covers, written as the admin knows them (中洞一组), among the village's own."""
    second = _second_group(world)
    admin = login(app, "admin")
    payload = {"name": "中洞联合党支部", "kind": "joint_branch", "area": OWN, "groups": [world.group.name, second.name]}
    resp = admin.post("/api/v1/party-orgs", json=payload)
    assert resp.status_code == 201, body(resp)
    assert set(body(resp)["groups"]) == {world.group.code, second.code}
