"""The admin pages show an object's change history: when, who, the action, the fields changed."""

import re
from datetime import date
from pathlib import Path

from sqlalchemy import select

from coopapp.access import audit, audit_labels
from coopapp.access.history import object_history
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
    history = object_history(world.group)
    newest = history[0]
    assert newest.action == "area.rename" and newest.who == "admin"
    assert [(c.field, c.old, c.new) for c in newest.changes if c.field == "name"] == [
        ("name", "中洞第一组", "中洞一队")
    ]
    assert history[1].changes and history[1].changes[0].old != "中洞第一组"
    assert [e.seq for e in history] == sorted((e.seq for e in history), reverse=True)
    assert len(object_history(world.group, limit=1)) == 1


def test_the_area_page_shows_its_history(client, auth, world):
    areas.rename_area(world.users["admin"], world.group, "中洞第一组")
    db.session.commit()
    auth.login("admin")
    page = client.get(f"/admin/areas/{world.group.code}/edit").get_data(as_text=True)
    assert "变更记录" in page and "改名" in page and "中洞一组 → 中洞第一组" in page
    assert "area.rename" not in page.replace('title="area.rename"', "")
    # In China time, as every other time on the pages (stored in UTC).
    from coopapp.models import AuditEvent
    from coopapp.web.display import local_time

    renamed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "area.rename")).one()
    assert f'<span class="when">{local_time(renamed.created_at)}</span>' in page


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
    assert "新建" in page and "升级" in page and "党组织类型</span>：党支部 → 党总支" in page
    page = client.get(f"/admin/cooperatives/{coop.id}/edit").get_data(as_text=True)
    assert "修改" in page and credit_code(9) in page and "领办党组织</span>：— → 中洞村党支部" in page
    assert "变更记录" not in client.get("/admin/cooperatives/new").get_data(as_text=True)


def test_the_project_page_shows_its_and_its_targets_history(client, auth, world):
    sec = world.users["secretary"]
    set_target(sec, world.project, today().year, 200_000_00, 30_000_00)
    set_target(sec, world.project, today().year, 250_000_00, 30_000_00)
    db.session.commit()
    auth.login("sec")
    page = client.get(f"/village/projects/{world.project.id}/edit").get_data(as_text=True)
    assert "变更记录" in page and "年度目标 · 修改" in page and "产值目标</span>：200,000.00 元 → 250,000.00 元" in page
    assert ">sec<" in page


def test_a_merge_and_a_move_read_in_the_users_language(db, world):
    admin = world.users["admin"]
    areas.merge_village(admin, world.village, world.sibling_village.code, today())
    merged = object_history(world.village)[0]
    assert (merged.action, merged.action_label) == ("area.merge", "合并")
    shown = {c.field: (c.label, c.old, c.new) for c in merged.changes}
    assert shown["merged_into_id"] == ("并入村", "—", "441323110202 甘溪村")
    assert shown["retired"] == ("已撤销", "否", "是")
    assert shown["merged_on"] == ("撤并日期", "—", today().isoformat())
    moved = object_history(world.group)[0]
    assert moved.action_label == "迁移"
    shown = {c.field: (c.label, c.old, c.new) for c in moved.changes}
    assert shown["parent_id"] == ("上级区域", "441323110201 中洞村", "441323110202 甘溪村")
    assert shown["code"][0] == "代码"


def test_every_audited_type_and_action_has_a_label():
    """The label table covers every object type the chain vouches for and every action the app records."""
    assert set(audit.AUDITED) <= set(audit_labels.TYPES)
    source = "\n".join(p.read_text() for p in (Path(__file__).parents[1] / "coopapp").rglob("*.py"))
    types = "|".join([*audit.AUDITED, "month"])
    actions = set(re.findall(rf'"(?:{types})\.([a-z_]+)"', source))
    assert actions and actions <= set(audit_labels.VERBS), actions - set(audit_labels.VERBS)
    assert audit_labels.action_label("project_target.update", "project_target", "project") == "年度目标 · 修改"
    assert audit_labels.field_label("area", "no_such_field") == "no_such_field"
