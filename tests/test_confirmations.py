"""Confirmation before what cannot be undone (issue 17, item 2), and the batch's 全部通过 (item 5).

Every route flagged `confirm` in tests/builders.py ROUTES: a post without confirmed=1 shows the
confirmation page — the domain's sentence with its numbers, a 确定 form that posts the same fields
again with confirmed=1, a 取消 link back — and writes nothing; posting that form acts.
"""

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from coopapp.distributions import plans as distributions
from coopapp.errors import Conflict, Forbidden
from coopapp.extensions import db
from coopapp.imports import batches
from coopapp.ledger import operations as ledger
from coopapp.models import AuditEvent, ClosedMonth, Distribution, Household, ImportBatch, LedgerEntry, Voucher
from coopapp.vouchers import operations as vouchers

from .builders import (
    ROUTES,
    approved_entry,
    csv_batch,
    entry_input,
    hidden_fields,
    plan_input,
    published_plan,
    route_state,
    tiny_jpeg,
)

FORM = re.compile(r'<form method="post" action="([^"]+)" class="actions confirm-actions">')


def _void(world, tmp_path):
    entry = ledger.create_entry(world.users["accountant"], entry_input(world.project))
    sentence = f"将作废记录 #{entry.id}（{entry.period} 销售收入 1,234.50 元）：作废后此记录不再计入汇总"
    done = lambda: db.session.get(LedgerEntry, entry.id).status == "void"  # noqa: E731
    return "acc", f"/entries/{entry.id}/void", {}, sentence, done


def _close_month(world, tmp_path):
    entry = approved_entry(world)
    approved_entry(world, amount_fen=1_00)
    sentence = f"将结账 {entry.period}：本月 2 条已审核记录将不能再修改"
    done = lambda: db.session.scalar(select(ClosedMonth.period)) == entry.period  # noqa: E731
    return "sec", "/months", {"period": entry.period}, sentence, done


def _approve_plan(world, tmp_path):
    plan = distributions.draft_plan(world.users["secretary"], plan_input(world))
    sentence = f"将审批方案 #{plan.id}：2 户，合计 24,500.00 元（分配总额 30,000.00 元）。审批后方案不能再修改。"
    done = lambda: db.session.get(Distribution, plan.id).status == "approved"  # noqa: E731
    return "sec", f"/distributions/{plan.id}/approve", {}, sentence, done


def _delete_plan(world, tmp_path):
    plan = distributions.draft_plan(world.users["secretary"], plan_input(world))
    sentence = f"将删除方案 #{plan.id}（{plan.period}，2 户，分配总额 30,000.00 元）：删除后不能恢复"
    done = lambda: db.session.get(Distribution, plan.id) is None  # noqa: E731
    return "sec", f"/distributions/{plan.id}/delete", {}, sentence, done


def _publish_plan(world, tmp_path):
    plan = distributions.draft_plan(world.users["secretary"], plan_input(world))
    distributions.approve_plan(world.users["secretary"], plan)
    sentence = (
        f"将生成 2 条分红记录，合计 24,500.00 元，另生成 1 条村集体收入记录 4,500.00 元，记入 {plan.period} 的台账"
    )
    done = lambda: db.session.get(Distribution, plan.id).status == "published"  # noqa: E731
    return "sec", f"/distributions/{plan.id}/publish", {}, sentence, done


def _reverse_plan(world, tmp_path):
    plan = published_plan(world)
    sentence = f"将为方案 #{plan.id} 记入台账的 3 条记录各生成一条金额相反的记录，合计 -29,000.00 元"
    done = lambda: db.session.get(Distribution, plan.id).status == "reversed"  # noqa: E731
    return "sec", f"/distributions/{plan.id}/reverse", {"reason": "股数错误"}, sentence, done


def _reissue(world, tmp_path):
    household = world.households[0]
    old = household.public_token
    sentence = "将为张三丰户换新二维码：旧二维码和已打印的收益明细上的链接立即失效"
    done = lambda: db.session.get(Household, household.id).public_token != old  # noqa: E731
    year = ledger.today().year
    return "sec", f"/village/households/{household.id}/public-link?year={year}", {}, sentence, done


def _submit_batch(world, tmp_path):
    batch_id = csv_batch(world, tmp_path)
    sentence = "将提交本批 1 条记录待审核，合计 12.00 元"
    done = lambda: _statuses(batch_id) == {"submitted"}  # noqa: E731
    return "acc", f"/imports/batches/{batch_id}/submit", {}, sentence, done


def _approve_batch(world, tmp_path):
    batch_id = csv_batch(world, tmp_path)
    batches.submit_batch(world.users["accountant"], db.session.get(ImportBatch, batch_id))
    sentence = "将审核通过本批 1 条记录，合计 12.00 元"
    done = lambda: _statuses(batch_id) == {"approved"}  # noqa: E731
    return "sec", f"/imports/batches/{batch_id}/approve", {}, sentence, done


def _remove_voucher(world, tmp_path):
    entry = ledger.create_entry(world.users["accountant"], entry_input(world.project))
    voucher = vouchers.attach_voucher(world.users["accountant"], entry, tiny_jpeg(), "发票.jpg")
    sentence = f"将删除记录 #{entry.id} 的凭证“发票.jpg”：照片或文件将从系统中删除"
    done = lambda: db.session.scalar(select(func.count()).select_from(Voucher)) == 0  # noqa: E731
    return "acc", f"/vouchers/{voucher.id}/delete", {}, sentence, done


def _town_approve_plan(world, tmp_path):
    from .builders import county_settings, town_accountant

    county_settings(world, plan_town_approval_above_fen=1_000_000)  # 10,000 yuan: this plan needs the town
    plan = distributions.draft_plan(world.users["secretary"], plan_input(world))
    distributions.approve_plan(world.users["secretary"], plan)
    town_accountant(world)
    sentence = (
        f"将镇审批通过方案 #{plan.id}（中洞村，{plan.period}）：2 户，合计 24,500.00 元（分配总额 30,000.00 元）。"
    )
    done = lambda: db.session.get(Distribution, plan.id).town_approved_at is not None  # noqa: E731
    return "tacc", f"/distributions/{plan.id}/town-approve", {}, sentence, done


def _retire_area(world, tmp_path):
    from coopapp.models import Area

    village = world.sibling_village
    sentence = f"将撤销 {village.name}（{village.code}）：撤销后不能恢复。"
    done = lambda: db.session.get(Area, village.id).retired  # noqa: E731
    return "admin", f"/admin/areas/{village.code}/retire", {}, sentence, done


def _statuses(batch_id: int) -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(LedgerEntry.status).where(LedgerEntry.import_batch_id == batch_id)))


CASES = {
    "ledger.void": _void,
    "review.months": _close_month,
    "distributions.approve": _approve_plan,
    "distributions.delete": _delete_plan,
    "distributions.publish": _publish_plan,
    "distributions.reverse": _reverse_plan,
    "village.reissue_public_link": _reissue,
    "imports.submit_batch": _submit_batch,
    "imports.approve_batch": _approve_batch,
    "vouchers.remove": _remove_voucher,
    "areas.retire": _retire_area,
    "distributions.town_approve": _town_approve_plan,
}


def test_every_confirmable_route_has_a_case():
    flagged = {endpoint for (endpoint, _method), route in ROUTES.items() if route.confirm}
    assert flagged == set(CASES)


@pytest.mark.parametrize("endpoint", sorted(CASES))
def test_asks_first_and_writes_nothing_until_confirmed(world, client, auth, tmp_path, app, monkeypatch, endpoint):
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(tmp_path / "uploads"))
    caller, url, data, sentence, done = CASES[endpoint](world, tmp_path)
    db.session.commit()
    auth.login(caller)
    before = route_state()
    resp = client.post(url, data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, (endpoint, resp.status_code, resp.headers.get("Location"))
    assert sentence in unescape(html), html[html.find('id="consequence"') :][:400]
    db.session.rollback()  # (what the request committed, not what it left in the session)
    assert route_state() == before and not done(), f"{endpoint} wrote before it was confirmed"
    # 确定 posts the same fields again with confirmed=1, to the same address; 取消 leads back
    target = unescape(FORM.search(html).group(1))
    fields = hidden_fields(html)
    assert target == url and fields == {**data, "confirmed": "1"}
    assert re.search(r'<a class="button" href="/[^"]*" id="confirm-no">取消</a>', html)
    resp = client.post(target, data=fields)
    assert resp.status_code == 302, (endpoint, resp.status_code)
    db.session.rollback()
    assert done(), f"{endpoint} did not act (and commit) once confirmed"


def test_the_confirmation_speaks_english_too(world, client, auth):
    entry = ledger.create_entry(world.users["accountant"], entry_input(world.project))
    auth.login("acc")
    client.post("/lang/en")
    html = unescape(client.post(f"/entries/{entry.id}/void").get_data(as_text=True))
    assert f"Entry #{entry.id} ({entry.period} " in html and "1,234.50 yuan) will be voided" in html
    assert ">Confirm</button>" in html


def test_a_refused_action_is_not_asked_about(world, client, auth):
    """A month with pending entries is refused at once, not confirmed and then refused."""
    entry = ledger.create_entry(world.users["accountant"], entry_input(world.project))
    auth.login("sec")
    resp = client.post("/months", data={"period": entry.period}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "未处理" in html and 'id="consequence"' not in html
    assert db.session.scalar(select(func.count()).select_from(ClosedMonth)) == 0


# ---- 全部通过: the secretary approves a submitted batch whole -----------------------------------


@pytest.fixture()
def batch(world, tmp_path, app, monkeypatch) -> ImportBatch:
    """An imported batch of 中洞村's project: two entries of last month, one of this month, submitted."""
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(tmp_path / "uploads"))
    acc = world.users["accountant"]
    found = db.session.get(ImportBatch, csv_batch(world, tmp_path))
    for amount in (100_00, 200_00):
        entry = ledger.create_entry(acc, entry_input(world.project, amount_fen=amount))
        entry.import_batch_id = found.id
    db.session.commit()
    batches.submit_batch(acc, found)
    return found


def _audited(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_approve_batch_approves_each_entry_as_one_approval_does(world, batch):
    sec = world.users["secretary"]
    assert batches.offers_approve(sec, batch)
    assert batches.approve_consequence(batch).startswith("将审核通过本批 3 条记录，合计 312.00 元")
    assert batches.approve_batch(sec, batch) == 3
    entries = db.session.scalars(select(LedgerEntry).where(LedgerEntry.import_batch_id == batch.id)).all()
    assert {(e.status, e.reviewed_by_id) for e in entries} == {("approved", sec.id)}
    assert _audited("entry.approve") == 3  # one audit event per entry, as approving one writes
    assert not batches.offers_approve(sec, batch)  # nothing left to approve: no button


def test_approve_batch_is_all_or_nothing(world, batch):
    """One entry in a closed month: nothing is approved, and the message names it and why."""
    sec = world.users["secretary"]
    last_month = entry_input(world.project).period
    db.session.add(ClosedMonth(village_id=world.village.id, period=last_month, closed_by_id=sec.id))
    db.session.commit()
    first = db.session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.import_batch_id == batch.id, LedgerEntry.period == last_month)
        .order_by(LedgerEntry.id)  # (the batch is approved in id order: the first refused is named)
    ).first()
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert not batches.offers_approve(sec, batch)
    with pytest.raises(Conflict) as refused:
        batches.approve_batch(sec, batch)
    assert f"记录 #{first.id} 不能通过" in refused.value.message and "已结账" in refused.value.message
    db.session.rollback()
    assert _statuses(batch.id) == {"submitted"}
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_approve_batch_follows_who_may_approve(world, batch):
    for role in ("accountant", "other_secretary", "town_reviewer"):
        user = world.users[role]
        assert not batches.offers_approve(user, batch)
        with pytest.raises(Forbidden):
            batches.approve_batch(user, batch)
    assert _statuses(batch.id) == {"submitted"}


def test_the_batch_page_offers_approve_all_and_the_queue_leads_there(world, batch, client, auth):
    auth.login("sec")
    queue = client.get("/review").get_data(as_text=True)
    assert f'href="/imports/batches/{batch.id}"' in queue and "3 条待审核，合计 312.00 元" in queue
    page = client.get(f"/imports/batches/{batch.id}").get_data(as_text=True)
    assert f'action="/imports/batches/{batch.id}/approve"' in page and "全部通过" in page
    asked = client.post(f"/imports/batches/{batch.id}/approve").get_data(as_text=True)
    assert "将审核通过本批 3 条记录，合计 312.00 元" in asked and _statuses(batch.id) == {"submitted"}
    resp = client.post(f"/imports/batches/{batch.id}/approve", data={"confirmed": "1"}, follow_redirects=True)
    assert "已审核通过本批 3 条记录。" in resp.get_data(as_text=True)
    assert _statuses(batch.id) == {"approved"}
    page = client.get(f"/imports/batches/{batch.id}").get_data(as_text=True)
    assert f'action="/imports/batches/{batch.id}/approve"' not in page


def test_a_refused_batch_is_flashed_not_confirmed(world, batch, client, auth):
    sec = world.users["secretary"]
    db.session.add(
        ClosedMonth(village_id=world.village.id, period=entry_input(world.project).period, closed_by_id=sec.id)
    )
    db.session.commit()
    auth.login("sec")
    page = client.get(f"/imports/batches/{batch.id}").get_data(as_text=True)
    assert f'action="/imports/batches/{batch.id}/approve"' not in page
    resp = client.post(f"/imports/batches/{batch.id}/approve", data={"confirmed": "1"}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "不能通过" in html and "本批一条也没有通过" in html and 'id="consequence"' not in html
    assert _statuses(batch.id) == {"submitted"}
    auth.logout()
    auth.login("acc")  # the accountant sees the batch page, never the 全部通过 button
    page = client.get(f"/imports/batches/{batch.id}").get_data(as_text=True)
    assert f'action="/imports/batches/{batch.id}/approve"' not in page
    assert client.post(f"/imports/batches/{batch.id}/approve", data={"confirmed": "1"}).status_code == 403


def test_pages_hand_the_sentence_to_the_dialog_script(world, client, auth, tmp_path, app, monkeypatch):
    """With JavaScript (static/confirm.js) the same sentence is asked in a dialog: the buttons carry it."""
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(tmp_path / "uploads"))
    entry = ledger.create_entry(world.users["accountant"], entry_input(world.project))
    batch_id = csv_batch(world, tmp_path)
    plan = distributions.draft_plan(world.users["secretary"], plan_input(world))
    db.session.commit()
    script = '<script src="/static/confirm.js" defer></script>'
    auth.login("acc")
    for url, sentence in (
        (f"/entries/{entry.id}", f"将作废记录 #{entry.id}"),
        (f"/imports/batches/{batch_id}", "将提交本批 1 条记录待审核，合计 12.00 元"),
    ):
        html = unescape(client.get(url).get_data(as_text=True))
        assert re.search(rf'data-confirm="{re.escape(sentence)}[^"]*"', html) and script in html, url
    auth.logout()
    auth.login("sec")
    for url, sentence in (
        (f"/distributions/{plan.id}", f"将审批方案 #{plan.id}：2 户，合计 24,500.00 元"),
        (f"/village/households/{world.households[0].id}/statement", "将为张三丰户换新二维码"),
    ):
        html = unescape(client.get(url).get_data(as_text=True))
        assert re.search(rf'data-confirm="{re.escape(sentence)}[^"]*"', html) and script in html, url
    # the script only adds confirmed=1 when the dialog says OK; the server's page stays the base
    js = client.get("/static/confirm.js").get_data(as_text=True)
    assert "window.confirm(" in js and '"confirmed"' in js
