"""Reopening a closed month (反结账, issue 18 item 8): only the latest closed month, with a reason, and
only with the town's approval; who asked, why, who decided and when are kept and audited."""

import pytest
from sqlalchemy import select

from coopapp.access import audit
from coopapp.errors import Conflict, Forbidden, Invalid
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.ledger import permissions, reopening
from coopapp.models import AuditEvent, ClosedMonth, MonthReopening

from .builders import entry_input, town_accountant


@pytest.fixture()
def closed(world):
    """中洞村 closed 2024-01 and 2024-02 (months without entries), and 高潭镇's agency accountant."""
    sec = world.users["secretary"]
    for period in ("2024-01", "2024-02"):
        ledger.close_month(sec, world.village, period)
    return town_accountant(world)


def test_only_the_latest_closed_month_with_a_reason(world, closed):
    sec = world.users["secretary"]
    with pytest.raises(Invalid):
        reopening.request_reopening(sec, world.village, "2024-02", "  ")
    with pytest.raises(Conflict, match="2024-02"):
        reopening.request_reopening(sec, world.village, "2024-01", "补记漏登的收入")
    with pytest.raises(Forbidden):  # another village's secretary
        reopening.request_reopening(world.users["other_secretary"], world.village, "2024-02", "补记")
    with pytest.raises(Forbidden):  # the accountant does not ask
        reopening.request_reopening(world.users["accountant"], world.village, "2024-02", "补记")
    request = reopening.request_reopening(sec, world.village, "2024-02", "补记漏登的收入")
    assert (request.status, request.requested_by_id, request.reason) == ("pending", sec.id, "补记漏登的收入")
    with pytest.raises(Conflict, match="待镇审批"):  # one request at a time
        reopening.request_reopening(sec, world.village, "2024-02", "再次申请")
    assert permissions.is_closed(world.village.id, "2024-02")  # closed until the town approves


def test_nothing_closed_nothing_to_reopen(world):
    refusal = reopening.request_refusal(world.users["secretary"], world.village, "2024-02")
    assert isinstance(refusal, Conflict)


def test_the_town_approves_and_the_month_is_open_again(world, closed):
    sec, town = world.users["secretary"], closed
    request = reopening.request_reopening(sec, world.village, "2024-02", "补记漏登的收入")
    with pytest.raises(Forbidden):  # the secretary cannot approve their own request
        reopening.approve_reopening(sec, request)
    with pytest.raises(Forbidden):  # nor another town's accountant
        reopening.approve_reopening(town_accountant(world, "tacc.b", world.town_b), request)
    reopening.approve_reopening(town, request)
    assert (request.status, request.decided_by_id) == ("approved", town.id) and request.decided_at
    assert not permissions.is_closed(world.village.id, "2024-02")
    assert permissions.is_closed(world.village.id, "2024-01")
    assert reopening.latest_closed(world.village.id) == "2024-01"
    with pytest.raises(Conflict):  # decided once
        reopening.refuse_reopening(town, request, "不同意")
    assert audit.verify() is None
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.object_type.in_(("closed_month", "month_reopening")))
        .order_by(AuditEvent.seq)
    ).all()
    assert actions[-3:] == ["month_reopening.request", "month.delete", "month_reopening.approve"]
    # The month can take entries again, and be closed again later.
    ledger.close_month(sec, world.village, "2024-02")
    assert reopening.latest_closed(world.village.id) == "2024-02"


def test_the_town_refuses_with_its_reason(world, closed):
    sec, town = world.users["secretary"], closed
    request = reopening.request_reopening(sec, world.village, "2024-02", "补记")
    with pytest.raises(Invalid):
        reopening.refuse_reopening(town, request, "")
    reopening.refuse_reopening(town, request, "请在本月以更正分录处理")
    assert (request.status, request.answer, request.decided_by_id) == ("refused", "请在本月以更正分录处理", town.id)
    assert permissions.is_closed(world.village.id, "2024-02")
    assert reopening.request_refusal(sec, world.village, "2024-02") is None  # may ask again
    assert audit.verify() is None


def test_a_request_overtaken_by_a_later_close_is_refused(world, closed):
    sec = world.users["secretary"]
    request = reopening.request_reopening(sec, world.village, "2024-02", "补记")
    ledger.close_month(sec, world.village, "2024-03")
    with pytest.raises(Conflict, match="不是最近结账"):
        reopening.approve_reopening(closed, request)
    assert db.session.scalar(select(ClosedMonth.id).where(ClosedMonth.period == "2024-02")) is not None


def test_the_pages(world, closed, client, auth):
    auth.login("sec")
    page = client.get("/months").get_data(as_text=True)
    assert "申请反结账：2024-02" in page
    assert client.post("/months/reopen", data={"reason": ""}).status_code == 422
    resp = client.post("/months/reopen", data={"reason": "补记漏登的收入"})
    assert resp.status_code == 302
    request = db.session.scalars(select(MonthReopening)).one()
    page = client.get("/months").get_data(as_text=True)
    assert "补记漏登的收入" in page and "待镇审批" in page and "申请反结账：" not in page
    auth.logout()
    auth.login("tacc")
    home = client.get("/").get_data(as_text=True)
    assert 'id="todo-town-reopenings"' in home
    queue = client.get("/town").get_data(as_text=True)
    assert f"/town/reopenings/{request.id}/approve" in queue and "2024-02" in queue and "中洞村" in queue
    client.post(f"/town/reopenings/{request.id}/refuse", data={"reason": ""})
    db.session.refresh(request)
    assert request.status == "pending"
    client.post(f"/town/reopenings/{request.id}/approve")
    db.session.refresh(request)
    assert request.status == "approved"
    auth.logout()
    auth.login("sec")
    page = client.get("/months").get_data(as_text=True)
    assert "已同意" in page and "tacc" in page  # the decision, with who decided
    assert "申请反结账：2024-01" in page


# ---- the same through the API (GET /months, POST /months/close, /months/reopen, /reopenings/…) ----------


def test_the_months_api_closes_asks_and_the_town_decides(world, api):
    town = town_accountant(world)
    code = world.village.code
    api.as_user("sec")
    entry = ledger.create_entry(world.users["accountant"], entry_input(world.project, period="2024-03"))
    ledger.submit_entry(world.users["accountant"], entry)
    refused = api.post("/api/v1/months/close", {"period": "2024-03"})
    assert refused.status_code == 409 and "未处理" in refused.get_json()["error"]["message"]
    assert api.post("/api/v1/months/close", {"period": "2024-13"}).status_code == 422
    ledger.approve_entry(world.users["secretary"], entry)
    closed = api.post("/api/v1/months/close", {"period": "2024-03", "village": code})
    assert closed.status_code == 200, closed.get_json()
    assert closed.get_json()["closed"] == ["2024-03"] and closed.get_json()["village"] == code
    assert api.post("/api/v1/months/reopen", {}).status_code == 422  # a reason is required
    asked = api.post("/api/v1/months/reopen", {"reason": "漏记三月电费"})
    assert asked.status_code == 201 and asked.get_json()["period"] == "2024-03"
    assert asked.get_json()["status"] == "pending" and asked.get_json()["requested_by"] == "sec"
    request_id = asked.get_json()["id"]
    assert api.post(f"/api/v1/reopenings/{request_id}/approve").status_code == 403  # not the secretary's
    api.as_user(town.username)
    assert [r["id"] for r in api.get("/api/v1/reopenings").get_json()["items"]] == [request_id]
    approved = api.post(f"/api/v1/reopenings/{request_id}/approve")
    assert approved.status_code == 200 and approved.get_json()["decided_by"] == town.username
    assert not permissions.is_closed(world.village.id, "2024-03")
    assert api.post(f"/api/v1/reopenings/{request_id}/refuse", {"reason": "x"}).status_code == 409  # decided
    months = api.get(f"/api/v1/months?village={code}").get_json()
    assert months["closed"] == [] and months["reopenings"][0]["status"] == "approved"
    api.as_user("sec2")  # another village's secretary
    assert api.get(f"/api/v1/months?village={code}").status_code in (403, 404)
    assert api.post("/api/v1/months/close", {"period": "2024-03", "village": code}).status_code in (403, 404)
    assert audit.verify() is None
