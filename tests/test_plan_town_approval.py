"""A second person on large payouts (issue 18 item 7): where the county sets a pool size, a plan above
it needs the town accountant's approval after the secretary's before it can be published; its payouts
count at publication, as before. Below it, or with no setting, the secretary alone."""

import re

import pytest
from sqlalchemy import func, select

from coopapp.access import audit
from coopapp.distributions import consequences, permissions
from coopapp.distributions import plans as distributions
from coopapp.errors import Conflict, Forbidden
from coopapp.extensions import db
from coopapp.models import AuditEvent, LedgerEntry

from .builders import body, county_settings, login, plan_body, plan_input, town_accountant

POOL = 3_000_000  # plan_input's 30,000 yuan


def _approved(world, **kw):
    sec = world.users["secretary"]
    plan = distributions.draft_plan(sec, plan_input(world, **kw))
    return distributions.approve_plan(sec, plan)


def _posted() -> int:
    return db.session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.status == "approved"))


@pytest.fixture()
def threshold(world):
    county_settings(world, plan_town_approval_above_fen=1_000_000)  # 10,000 yuan, as in the demo
    return town_accountant(world)


def test_a_large_plan_waits_for_the_town(world, threshold):
    sec, town = world.users["secretary"], threshold
    draft = distributions.draft_plan(sec, plan_input(world))
    with pytest.raises(Conflict):  # the secretary first
        distributions.town_approve_plan(town, draft)
    plan = distributions.approve_plan(sec, draft)
    assert permissions.needs_town(plan)
    assert permissions.plan_actions(sec, plan)["publish"] is False
    with pytest.raises(Conflict, match="镇三资代理会计"):
        distributions.publish_plan(sec, plan)
    assert _posted() == 0
    with pytest.raises(Forbidden):  # the secretary is not the town
        distributions.town_approve_plan(sec, plan)
    with pytest.raises(Forbidden):  # nor is another town's accountant
        distributions.town_approve_plan(town_accountant(world, "tacc.b", world.town_b), plan)
    assert permissions.plan_actions(town, plan)["town_approve"] is True
    distributions.town_approve_plan(town, plan)
    assert plan.town_approved_by_id == town.id and plan.town_approved_at
    with pytest.raises(Conflict):  # once
        distributions.town_approve_plan(town, plan)
    distributions.publish_plan(sec, plan)
    assert plan.status == "published" and _posted() > 0  # its payouts count at publication
    assert audit.verify() is None


def test_the_secretary_is_told_before_approving_that_the_town_comes_next(world, threshold, client, auth):
    sec = world.users["secretary"]
    large = distributions.draft_plan(sec, plan_input(world))
    small = distributions.draft_plan(sec, plan_input(world, pool_fen=1_000_000))
    db.session.commit()
    assert consequences.approve_consequence(large).endswith("审批后还须经镇三资代理会计审批，才能公布。")
    assert "镇三资代理会计" not in consequences.approve_consequence(small)
    auth.login("sec")
    page = client.get(f"/distributions/{large.id}").get_data(as_text=True)  # the button's confirmation says it
    assert "审批后还须经镇三资代理会计审批" in page


def test_at_or_below_the_threshold_the_secretary_alone(world, threshold):
    plan = _approved(world, pool_fen=1_000_000, deductions=[])
    assert not permissions.needs_town(plan)
    assert isinstance(permissions.town_approve_refusal(threshold, plan), Conflict)
    distributions.publish_plan(world.users["secretary"], plan)
    assert plan.status == "published"


def test_without_the_setting_the_secretary_alone(world):
    plan = _approved(world)
    assert not permissions.needs_town(plan)
    distributions.publish_plan(world.users["secretary"], plan)
    assert plan.status == "published" and plan.town_approved_by_id is None


def test_the_towns_queue_lists_it(world, threshold, client, auth):
    plan = _approved(world)
    small = _approved(world, pool_fen=500_000, deductions=[])
    assert [p.id for p in distributions.awaiting_town(threshold)] == [plan.id]
    auth.login("sec")
    page = client.get(f"/distributions/{plan.id}").get_data(as_text=True)
    assert 'id="awaits-town"' in page and f"/distributions/{plan.id}/publish" not in page
    listed = client.get("/distributions").get_data(as_text=True)  # the plan list says whose turn it is
    row = listed[listed.index(f'/distributions/{plan.id}"') :][:600]
    assert "待镇审批" in row
    auth.logout()
    auth.login("tacc")
    assert 'id="todo-town-plans"' in client.get("/").get_data(as_text=True)
    queue = client.get("/town").get_data(as_text=True)
    assert f"/distributions/{plan.id}/town-approve" in queue and f"/distributions/{small.id}/town-approve" not in queue
    assert "30,000.00" in queue
    card = queue[queue.index(f'id="plan-{plan.id}"') :][:3000]
    assert "中华蜂养殖" in card and 'data-confirm="将镇审批通过方案' in card  # what it is; asked in a dialog
    assert f"{len(plan.lines)}</td>" in card and f"{plan.distributable_fen / 100:,.2f}" in card
    asked = client.post(f"/distributions/{plan.id}/town-approve", headers={"Referer": "http://localhost/town"})
    text = asked.get_data(as_text=True)
    assert "将镇审批通过方案" in text and "30,000.00" in text  # asks first, with the numbers
    db.session.refresh(plan)
    assert plan.town_approved_by_id is None
    # 确定 is posted from the confirmation page (its own address): done, and back to the queue.
    resp = client.post(
        f"/distributions/{plan.id}/town-approve",
        data={"confirmed": "1", "came_from": "/town"},
        headers={"Referer": f"http://localhost/distributions/{plan.id}/town-approve"},
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/town")
    db.session.refresh(plan)
    assert plan.town_approved_by_id == threshold.id
    assert "没有待镇审批的分配方案" in client.get("/town").get_data(as_text=True)
    auth.logout()
    auth.login("sec")
    assert f"/distributions/{plan.id}/publish" in client.get(f"/distributions/{plan.id}").get_data(as_text=True)


def test_through_the_api_the_town_approves_and_the_secretary_publishes(app, world, threshold):
    """An API client gets through as the pages do: the plan says it needs the town, publishing waits
    for POST …/town-approve (the town accountant's alone), then goes through."""
    sec, tacc = login(app, "sec"), login(app, "tacc")
    plan = body(sec.post("/api/v1/distributions", json=plan_body(world)))
    assert plan["needs_town"] is True and plan["town_approved_at"] is None
    url = f"/api/v1/distributions/{plan['id']}"
    assert tacc.post(f"{url}/town-approve").status_code == 409  # the secretary approves first
    assert sec.post(f"{url}/approve").status_code == 200
    refused = sec.post(f"{url}/publish")
    assert refused.status_code == 409 and "镇三资代理会计" in refused.get_json()["error"]["message"]
    assert sec.post(f"{url}/town-approve").status_code == 403  # the secretary is not the town
    approved = tacc.post(f"{url}/town-approve")
    assert approved.status_code == 200 and body(approved)["town_approved_at"]
    assert tacc.post(f"{url}/town-approve").status_code == 409  # once
    published = sec.post(f"{url}/publish")
    assert published.status_code == 200 and body(published)["status"] == "published"
    assert _posted() > 0 and audit.verify() is None
    small = body(sec.post("/api/v1/distributions", json=plan_body(world, pool="5,000")))
    assert small["needs_town"] is False


def test_the_town_sends_a_plan_back_with_its_reason(world, threshold, client, auth):
    """The town's 退回: from its queue, with a reason (none: refused, nothing written), the plan is a
    draft again whose page shows the reason; the secretary approves it anew (the reason goes) and
    it waits for the town again. Audited, and `audit verify` holds."""
    sec = world.users["secretary"]
    plan = _approved(world)
    auth.login("tacc")
    queue = client.get("/town").get_data(as_text=True)
    assert f"/distributions/{plan.id}/town-return" in queue
    client.post(f"/distributions/{plan.id}/town-return", data={"reason": "  "})
    db.session.refresh(plan)
    assert plan.status == "approved" and plan.town_return_reason is None  # no reason: nothing done
    resp = client.post(f"/distributions/{plan.id}/town-return", data={"reason": "脱贫户的股数与花名册不符"})
    assert resp.status_code == 302
    db.session.refresh(plan)
    assert (plan.status, plan.approved_by_id, plan.town_return_reason) == ("draft", None, "脱贫户的股数与花名册不符")
    assert "没有待镇审批的分配方案" in client.get("/town").get_data(as_text=True)
    auth.logout()
    auth.login("sec")
    home = client.get("/").get_data(as_text=True)
    assert 'id="todo-returned-plans"' in home  # the secretary's to-do, to the plan list with its tag
    listed = client.get("/distributions").get_data(as_text=True)
    assert re.search(r'<span class="tag warn" title="脱贫户的股数与花名册不符">镇退回</span>', listed)
    page = client.get(f"/distributions/{plan.id}").get_data(as_text=True)
    assert 'id="town-return"' in page and "脱贫户的股数与花名册不符" in page
    assert "请删除后重新预览" in page  # what the secretary can do about it
    assert f"/distributions/{plan.id}/approve" in page
    with pytest.raises(Forbidden):  # the secretary cannot send it back
        distributions.town_return_plan(sec, plan, "x")
    distributions.approve_plan(sec, plan)
    with pytest.raises(Forbidden):  # nor can another town's accountant
        distributions.town_return_plan(town_accountant(world, "tacc.b", world.town_b), plan, "x")
    assert 'id="todo-returned-plans"' not in client.get("/").get_data(as_text=True)
    assert plan.town_return_reason is None and permissions.awaits_town(plan)
    events = [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "distribution"))]
    assert events.count("distribution.town_return") == 1
    assert audit.verify() is None


def test_through_the_api_the_town_sends_a_plan_back(app, world, threshold):
    sec, tacc = login(app, "sec"), login(app, "tacc")
    plan = body(sec.post("/api/v1/distributions", json=plan_body(world)))
    url = f"/api/v1/distributions/{plan['id']}"
    sec.post(f"{url}/approve")
    assert tacc.post(f"{url}/town-return", json={}).status_code == 422  # a reason is required
    assert sec.post(f"{url}/town-return", json={"reason": "不对"}).status_code == 403
    returned = tacc.post(f"{url}/town-return", json={"reason": "股数不对"})
    assert returned.status_code == 200
    assert (body(returned)["status"], body(returned)["town_return_reason"]) == ("draft", "股数不对")
    assert tacc.post(f"{url}/town-return", json={"reason": "股数不对"}).status_code == 409  # a draft now
