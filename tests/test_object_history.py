"""The admin pages show an object's change history: when, who, the action, the fields changed."""

from datetime import date

from coopapp.access import audit
from coopapp.extensions import db
from coopapp.ledger.operations import today
from coopapp.villages import areas, party_orgs
from coopapp.villages.cooperatives import CooperativeInput, update_cooperative
from coopapp.villages.party_orgs import PartyOrgInput
from coopapp.villages.targets import set_target

from .builders import credit_code


def test_object_history_lists_the_fields_each_event_changed(db, world):
    admin = world.users["admin"]
    areas.rename_area(admin, world.group, "中洞第一组")
    areas.rename_area(admin, world.group, "中洞一队")
    history = audit.object_history(world.group)
    newest = history[0]
    assert newest.action == "area.rename" and newest.who == "admin"
    assert [(c.field, c.old, c.new) for c in newest.changes if c.field == "name"] == [
        ("name", "中洞第一组", "中洞一队")
    ]
    assert history[1].changes and history[1].changes[0].old != "中洞第一组"
    assert [e.seq for e in history] == sorted((e.seq for e in history), reverse=True)
    assert len(audit.object_history(world.group, limit=1)) == 1


def test_the_area_page_shows_its_history(client, auth, world):
    areas.rename_area(world.users["admin"], world.group, "中洞第一组")
    db.session.commit()
    auth.login("admin")
    page = client.get(f"/admin/areas/{world.group.code}/edit").get_data(as_text=True)
    assert "变更记录" in page and "area.rename" in page and "中洞一组 → 中洞第一组" in page


def test_the_party_org_and_cooperative_pages_show_their_history(client, auth, world):
    admin = world.users["admin"]
    org = party_orgs.create_party_org(
        admin, PartyOrgInput("中洞村党支部", "branch", "441323110201", [], date(2019, 7, 1))
    )
    party_orgs.upgrade_party_org(admin, org, "general_branch", date(2021, 6, 30))
    coop = world.cooperative
    data = CooperativeInput(coop.name, credit_code(9), world.village.code, org.id)
    update_cooperative(admin, coop, data)
    db.session.commit()
    auth.login("admin")
    page = client.get(f"/admin/party-orgs/{org.id}/upgrade").get_data(as_text=True)
    assert "party_org.create" in page and "party_org.upgrade" in page and "branch → general_branch" in page
    page = client.get(f"/admin/cooperatives/{coop.id}/edit").get_data(as_text=True)
    assert "cooperative.update" in page and credit_code(9) in page and f"— → {org.id}" in page
    assert "变更记录" not in client.get("/admin/cooperatives/new").get_data(as_text=True)


def test_the_project_page_shows_its_and_its_targets_history(client, auth, world):
    sec = world.users["secretary"]
    set_target(sec, world.project, today().year, 200_000_00, 30_000_00)
    set_target(sec, world.project, today().year, 250_000_00, 30_000_00)
    db.session.commit()
    auth.login("sec")
    page = client.get(f"/village/projects/{world.project.id}/edit").get_data(as_text=True)
    assert "变更记录" in page and "20000000 → 25000000" in page and ">sec<" in page
