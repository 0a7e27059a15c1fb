"""The town's check by amount (issue 18 item 5): the county's tiers send an entry, after the village
secretary's approval, to the town agency accountant (待镇审核); it counts only once the town approves."""

import re

import pytest
from sqlalchemy import func, select

from coopapp.access import audit
from coopapp.errors import Conflict, Forbidden, Invalid
from coopapp.extensions import db
from coopapp.imports import batches
from coopapp.ledger import operations as ledger
from coopapp.ledger import permissions, rollups
from coopapp.models import AuditEvent, ClosedMonth, LedgerEntry, MonthlySummary
from coopapp.reporting.todos import todos_for
from coopapp.vouchers import operations as vouchers

from .builders import TOWN_TIER, ApiClient, county_settings, entry_input, statements, tiny_jpeg, town_accountant

REPAIR = 1_200_000  # a 12,000-yuan repair: above the tier


def _submitted(world, **kw) -> LedgerEntry:
    acc = world.users["accountant"]
    entry = ledger.create_entry(acc, entry_input(world.project, **kw))
    return ledger.submit_entry(acc, entry)


def _counted() -> int:
    return db.session.scalar(select(func.coalesce(func.sum(MonthlySummary.amount_fen), 0)))


@pytest.fixture()
def tiers(world):
    county_settings(world, tiers=[TOWN_TIER])
    return town_accountant(world)


def test_tiers_by_kind_and_amount(world, tiers):
    sec = world.users["secretary"]
    at_limit = ledger.approve_entry(sec, _submitted(world, kind="cost", amount_fen=1_000_000))
    above = ledger.approve_entry(sec, _submitted(world, kind="cost", amount_fen=1_000_001))
    other_kind = ledger.approve_entry(sec, _submitted(world, kind="sales", amount_fen=5_000_000))
    assert (at_limit.status, above.status, other_kind.status) == ("approved", "awaiting_town", "approved")
    assert permissions.town_required(world.village, "cost", -REPAIR)  # a negative amount counts by its size


def test_a_band_with_an_upper_bound(world):
    county_settings(world, tiers=[{**TOWN_TIER, "up_to_fen": 2_000_000}])
    sec = world.users["secretary"]
    assert ledger.approve_entry(sec, _submitted(world, kind="cost", amount_fen=REPAIR)).status == "awaiting_town"
    assert ledger.approve_entry(sec, _submitted(world, kind="cost", amount_fen=3_000_000)).status == "approved"


def test_no_settings_the_secretary_alone(world):
    entry = ledger.approve_entry(world.users["secretary"], _submitted(world, kind="cost", amount_fen=REPAIR))
    assert entry.status == "approved" and _counted() == REPAIR


def test_two_stages_and_it_counts_only_when_final(world, tiers):
    sec, town = world.users["secretary"], tiers
    entry = _submitted(world, kind="cost", amount_fen=REPAIR, note="蜂箱维修")
    with pytest.raises(Conflict):  # the village secretary first
        ledger.approve_entry(town, entry)
    ledger.approve_entry(sec, entry)
    assert entry.status == "awaiting_town" and entry.reviewed_by_id == sec.id and entry.town_reviewed_by_id is None
    assert _counted() == 0
    assert permissions.entry_actions(sec, entry, ledger.current_period())["approve"] is False
    with pytest.raises(Conflict):  # the secretary's stage is over
        ledger.approve_entry(sec, entry)
    ledger.approve_entry(town, entry)
    assert entry.status == "approved" and entry.town_reviewed_by_id == town.id and entry.town_reviewed_at
    assert entry.reviewed_by_id == sec.id
    assert _counted() == REPAIR
    assert rollups.verify() == []
    assert audit.verify() is None
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "entry").order_by(AuditEvent.seq)
    ).all()
    assert actions == ["entry.create", "entry.submit", "entry.approve", "entry.town_approve"]


def test_another_towns_accountant_may_not(world, tiers):
    other = town_accountant(world, "tacc.b", world.town_b)
    entry = ledger.approve_entry(world.users["secretary"], _submitted(world, kind="cost", amount_fen=REPAIR))
    with pytest.raises(Forbidden):
        ledger.approve_entry(other, entry)
    with pytest.raises(Forbidden):
        ledger.return_entry(other, entry, "不归本镇")
    assert entry.status == "awaiting_town"


def test_the_town_returns_with_its_reason(world, tiers, client, auth):
    acc, sec, town = world.users["accountant"], world.users["secretary"], tiers
    entry = ledger.approve_entry(sec, _submitted(world, kind="cost", amount_fen=REPAIR))
    with pytest.raises(Invalid):
        ledger.return_entry(town, entry, " ")
    ledger.return_entry(town, entry, "缺少维修合同")
    assert entry.status == "returned" and entry.returned_by_town and entry.return_reason == "缺少维修合同"
    assert entry.reviewed_by_id == sec.id and entry.town_reviewed_by_id == town.id
    auth.login("acc")
    page = client.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert "镇退回原因：缺少维修合同" in page
    home = client.get("/").get_data(as_text=True)  # the to-do says whose return it is
    assert re.search(r'class="todo-reason">镇退回原因：缺少维修合同</span>', home)
    # The accountant corrects and resubmits; the secretary's approval sends it to the town again.
    ledger.submit_entry(acc, entry)
    ledger.approve_entry(sec, entry)
    assert entry.status == "awaiting_town" and not entry.returned_by_town and entry.town_reviewed_by_id is None
    assert _counted() == 0
    assert audit.verify() is None


def test_an_entry_awaiting_the_town_blocks_its_month(world, tiers):
    sec = world.users["secretary"]
    entry = ledger.approve_entry(sec, _submitted(world, kind="cost", amount_fen=REPAIR))
    with pytest.raises(Conflict, match="未处理"):
        ledger.close_month(sec, world.village, entry.period)
    # Were the month closed anyway (behind the app's back), the town's approval would still refuse it.
    db.session.add(ClosedMonth(village_id=world.village.id, period=entry.period, closed_by_id=sec.id))
    db.session.commit()
    with pytest.raises(Conflict, match="已结账"):
        ledger.approve_entry(tiers, entry)
    assert entry.status == "awaiting_town"


def test_the_api_for_the_town_accountant(world, tiers, app):
    sec = ApiClient(app.test_client()).as_user("sec")
    town = ApiClient(app.test_client()).as_user("tacc")
    first = _submitted(world, kind="cost", amount_fen=REPAIR).id
    second = _submitted(world, kind="cost", amount_fen=REPAIR + 1).id
    assert town.post(f"/api/v1/entries/{first}/approve").status_code == 409  # the secretary first
    for entry_id in (first, second):
        resp = sec.post(f"/api/v1/entries/{entry_id}/approve")
        assert resp.status_code == 200 and resp.get_json()["status"] == "awaiting_town"
    listed = town.get("/api/v1/entries?status=awaiting_town").get_json()["items"]
    assert sorted(e["id"] for e in listed) == [first, second]
    assert sec.post(f"/api/v1/entries/{first}/approve").status_code == 409
    done = town.post(f"/api/v1/entries/{first}/approve").get_json()
    assert done["status"] == "approved" and done["town_reviewed_by"] == "tacc"
    assert town.post(f"/api/v1/entries/{second}/return", json={}).status_code == 422
    back = town.post(f"/api/v1/entries/{second}/return", json={"reason": "发票金额不符"}).get_json()
    assert back["status"] == "returned" and back["returned_by_town"] is True
    assert _counted() == REPAIR


def test_bulk_approve_follows_the_tiers_in_one_pass(world, tiers, tmp_path):
    from coopapp.imports.ledger import import_ledger

    acc, sec = world.users["accountant"], world.users["secretary"]
    day = ledger.today().replace(day=1).isoformat()
    rows = [f"{day},成本,{12000 + i}.00" for i in range(6)] + [f"{day},销售收入,{100 + i}.00" for i in range(6)]
    path = tmp_path / "batch.csv"
    path.write_text("日期,类别,金额\n" + "\n".join(rows) + "\n", encoding="utf-8")
    report = import_ledger(acc, world.project, path, "batch.csv")
    assert report.ok, report
    batch = db.session.get(batches.ImportBatch, report.batch_id)
    batches.submit_batch(acc, batch)
    assert "其中 6 条金额达到县定审批标准" in batches.approve_consequence(batch)
    with statements() as seen:
        assert batches.approve_batch(sec, batch) == 12
    assert sum("county_settings" in s for s in seen) <= 1  # the tiers are read once, not per entry
    statuses = db.session.execute(
        select(LedgerEntry.kind, LedgerEntry.status, func.count())
        .where(LedgerEntry.import_batch_id == batch.id)
        .group_by(LedgerEntry.kind, LedgerEntry.status)
    ).all()
    assert sorted(statuses) == [("cost", "awaiting_town", 6), ("sales", "approved", 6)]
    assert _counted() == sum(10_000 + 100 * i for i in range(6))


def test_the_towns_queue_and_home(world, tiers, client, auth, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "VOUCHER_DIR", str(tmp_path / "vouchers"))
    sec, acc = world.users["secretary"], world.users["accountant"]
    entry = ledger.create_entry(acc, entry_input(world.project, kind="cost", amount_fen=REPAIR, note="水泵维修"))
    voucher = vouchers.attach_voucher(acc, entry, tiny_jpeg())
    entry = ledger.approve_entry(sec, ledger.submit_entry(acc, entry))
    town = tiers
    todos = todos_for(town)
    assert todos.town_waiting.count == 1 and todos.total == 1
    auth.login("tacc")
    home = client.get("/").get_data(as_text=True)
    assert 'id="todo-town-review"' in home and "/town" in home
    assert [(e.id, e.village, e.project) for e in todos.town_waiting.oldest] == [(entry.id, "中洞村", "中华蜂养殖")]
    assert "中洞村 · 中华蜂养殖" in home  # the town's to-dos span its villages: each row names its own
    page = client.get("/town")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "中洞村" in text and "12,000.00" in text and "水泵维修" in text and f"/entries/{entry.id}/approve" in text
    assert f"/api/v1/vouchers/{voucher.id}/thumbnail" in text  # the town sees the receipt beside the entry
    assert client.get(f"/api/v1/vouchers/{voucher.id}/thumbnail").status_code == 200
    resp = client.post(f"/entries/{entry.id}/approve", headers={"Referer": "http://localhost/town"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/town")
    db.session.refresh(entry)
    assert entry.status == "approved" and _counted() == REPAIR
    assert "没有待镇审核的记录" in client.get("/town").get_data(as_text=True)


def test_the_queue_is_the_town_accountants(world, client, auth):
    auth.login("sec")
    assert client.get("/town").status_code == 403


def test_the_voucher_number_is_given_at_the_last_approval(world, tiers):
    """凭证号 numbers the entries that count: one awaiting the town has none yet."""
    sec, town = world.users["secretary"], tiers
    waiting = ledger.approve_entry(sec, _submitted(world, kind="cost", amount_fen=REPAIR))
    counted = ledger.approve_entry(sec, _submitted(world, kind="sales", amount_fen=REPAIR))
    assert waiting.voucher_no is None and counted.voucher_no == 1
    ledger.approve_entry(town, waiting)
    assert waiting.voucher_no == 2 and audit.verify() is None


def test_the_queues_list_the_oldest_first_and_say_how_many_more_wait(world, client, auth, monkeypatch):
    """A queue longer than its page lists those that waited longest, and says how many wait in all."""
    from coopapp.web.review import routes as review_routes

    waiting = [_submitted(world, note=f"第{n}笔") for n in range(3)]
    queue = ledger.review_queue(world.users["secretary"], "submitted", village=world.village, limit=2)
    assert [e.id for e in queue.rows] == [e.id for e in waiting[:2]] and queue.count == 3
    real = ledger.review_queue
    monkeypatch.setattr(review_routes.ledger, "review_queue", lambda *a, **kw: real(*a, **{**kw, "limit": 2}))
    auth.login("sec")
    text = client.get("/review").get_data(as_text=True)
    assert "第0笔" in text and "第1笔" in text and "第2笔" not in text
    assert 'id="more-waiting"' in text and "共 3 条待审核" in text
    for entry in waiting:
        ledger.approve_entry(world.users["secretary"], entry)
    assert 'id="more-waiting"' not in client.get("/review").get_data(as_text=True)
