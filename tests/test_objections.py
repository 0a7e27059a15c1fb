"""Objections (异议) end to end, masking on every household page, and the access matrix of the new routes."""

import re

import pytest
from sqlalchemy import func, select

from coopapp.access import audit
from coopapp.distributions import objections
from coopapp.distributions import plans as distributions
from coopapp.errors import Conflict, Forbidden, Invalid
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import AuditEvent, Membership, Objection

from .builders import approved_entry, built_once, expire_notice, objection_count, open_plans, prev_period, publish

# ---- services ---------------------------------------------------------------


def test_open_plans_and_raising_an_objection(world):
    plan = publish(world)
    hh = world.households[0]
    rows = open_plans(hh)
    assert [(r.plan.id, r.amount_fen) for r in rows] == [(plan.id, 666_67)]
    assert rows[0].notice_ends == distributions.notice_ends(plan)
    left_out = open_plans(world.households[2])  # holds no shares: listed without an amount
    assert [(r.plan.id, r.amount_fen) for r in left_out] == [(plan.id, None)]

    obj = objections.raise_objection(hh, plan.id, "  我家应是 12 股。 ")
    assert (obj.status, obj.text, obj.village_id, obj.household_id) == (
        "open",
        "我家应是 12 股。",
        world.village.id,
        hh.id,
    )
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "objection")).one()
    assert event.action == "objection.create" and event.actor_id is None
    assert audit.verify() is None


@pytest.mark.parametrize("text", ["", "   ", "字" * 1001])
def test_objection_text_must_be_1_to_1000_characters(world, text):
    plan = publish(world)
    with pytest.raises(Invalid) as err:
        objections.raise_objection(world.households[0], plan.id, text)
    assert "text" in err.value.fields
    assert objection_count() == 0
    assert objections.raise_objection(world.households[0], plan.id, "字" * 1000).id


def test_objection_to_another_village_or_a_missing_plan_is_refused(world):
    plan = publish(world)
    for hh, plan_id in ((world.other_household, plan.id), (world.households[0], 999)):
        with pytest.raises(Invalid) as err:
            objections.raise_objection(hh, plan_id, "不对")
        assert "不是本村的" in err.value.message
    assert objection_count() == 0


def test_objection_to_an_unpublished_plan_is_refused(world):
    sec = world.users["secretary"]
    plan = publish(world)
    distributions.reverse_plan(sec, plan, "方案有误")
    with pytest.raises(Conflict) as err:
        objections.raise_objection(world.households[0], plan.id, "不对")
    assert "未公布或已被冲销" in err.value.message
    assert objection_count() == 0


def test_objection_after_the_notice_period_is_refused(world):
    plan = publish(world)
    expire_notice(plan)
    assert open_plans(world.households[0]) == []
    with pytest.raises(Conflict) as err:
        objections.raise_objection(world.households[0], plan.id, "太晚了吗")
    assert "公示期已结束" in err.value.message
    assert objection_count() == 0


def test_a_flood_of_objections_is_cut_off(world):
    plan = publish(world)
    for i in range(objections.MAX_OPEN_PER_PLAN):
        objections.raise_objection(world.households[0], plan.id, f"第 {i} 条")
    with pytest.raises(Conflict):
        objections.raise_objection(world.households[0], plan.id, "再来一条")
    assert objection_count() == objections.MAX_OPEN_PER_PLAN


def test_answering_objections(world):
    sec, hh = world.users["secretary"], world.households[0]
    plan = publish(world)
    first = objections.raise_objection(hh, plan.id, "股数不对")
    second = objections.raise_objection(hh, plan.id, "金额不对")

    with pytest.raises(Invalid) as err:
        objections.answer_objection(sec, first, "rejected", "  ")
    assert "answer" in err.value.fields
    with pytest.raises(Invalid):
        objections.answer_objection(sec, first, "maybe", "嗯")
    for role in ("accountant", "town_reviewer", "other_secretary", "admin"):
        with pytest.raises(Forbidden):
            objections.answer_objection(world.users[role], first, "rejected", "不行")
    db.session.refresh(first)
    assert first.status == "open"

    objections.answer_objection(sec, first, "rejected", "股数按入股协议计算，无误。")
    assert (first.status, first.answer, first.answered_by_id) == ("rejected", "股数按入股协议计算，无误。", sec.id)
    assert first.answered_at is not None
    with pytest.raises(Conflict):
        objections.answer_objection(sec, first, "resolved", "改主意了")

    own_entry = approved_entry(world, amount_fen=1_00, kind="dividend", household_id=hh.id)  # 补发差额
    with pytest.raises(Invalid) as err:
        objections.answer_objection(sec, second, "resolved", "已更正", correction_entry_id=10**6)
    assert "correction_entry_id" in err.value.fields
    with pytest.raises(Invalid):  # a rejection links no correction
        objections.answer_objection(sec, second, "rejected", "不改", correction_entry_id=own_entry.id)
    objections.answer_objection(sec, second, "resolved", "已补发差额", correction_entry_id=own_entry.id)
    assert (second.status, second.correction_entry_id) == ("resolved", own_entry.id)

    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "objection").order_by(AuditEvent.seq)
    ).all()
    assert actions == ["objection.create", "objection.create", "objection.reject", "objection.resolve"]
    assert audit.verify() is None
    rows = objections.objections_for(sec, world.village)
    assert [o.id for o in rows] == [second.id, first.id]  # answered, newest first
    assert objections.objections_for(sec, world.village, "open") == []


def test_correction_entry_must_be_of_the_same_village(world):
    sec = world.users["secretary"]
    plan = publish(world)
    obj = objections.raise_objection(world.households[0], plan.id, "不对")
    acc2 = world.users["other_accountant"]
    foreign = ledger.create_entry(acc2, ledger.EntryInput(world.other_project.id, prev_period(), "sales", 5_00))
    with pytest.raises(Invalid) as err:
        objections.answer_objection(sec, obj, "resolved", "已更正", correction_entry_id=foreign.id)
    assert "不属于本村" in err.value.fields["correction_entry_id"]
    db.session.refresh(obj)
    assert obj.status == "open"


# ---- pages: the flow end to end ------------------------------------------------


def test_objection_flow_end_to_end(world, app, auth):
    plan = publish(world)
    hh = world.households[0]
    public = app.test_client()
    page = public.get(f"/s/{hh.public_token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "666.67" in html and "提交异议" in html and f'name="distribution_id" value="{plan.id}"' in html
    assert "公示期至" in html
    # A refused objection's answer opens at its form, the message in view (a phone's page is long).
    assert f'#objection-{plan.id}"' in html and f'id="objection-{plan.id}"' in html

    resp = public.post(f"/s/{hh.public_token}", data={"distribution_id": plan.id, "text": "我家是 12 股，不是 10 股。"})
    assert resp.status_code == 302 and resp.headers["X-Robots-Tag"].startswith("noindex")
    html = public.get(resp.headers["Location"]).get_data(as_text=True)
    assert "您的异议已提交" in html and "我家是 12 股" in html and "待答复" in html
    obj = db.session.scalars(select(Objection)).one()
    assert (obj.household_id, obj.distribution_id, obj.status) == (hh.id, plan.id, "open")

    bad = public.post(f"/s/{hh.public_token}", data={"distribution_id": plan.id, "text": ""})
    assert bad.status_code == 422 and "请写明异议内容" in bad.get_data(as_text=True)
    assert objection_count() == 1

    client = auth.client
    auth.login("sec")
    queue = client.get("/village/objections").get_data(as_text=True)
    assert "张三丰" in queue and "我家是 12 股" in queue and "666.67" in queue and "驳回" in queue
    assert "异议" in client.get("/review").get_data(as_text=True)  # the nav link

    empty = client.post(f"/village/objections/{obj.id}/answer", data={"outcome": "rejected", "answer": ""})
    assert empty.status_code == 422 and "请填写答复或理由" in empty.get_data(as_text=True)
    db.session.refresh(obj)
    assert obj.status == "open"
    bad_number = client.post(
        f"/village/objections/{obj.id}/answer",
        data={"outcome": "resolved", "answer": "已经补发了两股的钱", "correction_entry_id": "第五条"},
    )
    page = bad_number.get_data(as_text=True)
    assert bad_number.status_code == 422 and "已经补发了两股的钱</textarea>" in page and 'value="第五条"' in page

    done = client.post(
        f"/village/objections/{obj.id}/answer", data={"outcome": "rejected", "answer": "按 12 月 31 日的股份计算。"}
    )
    assert done.status_code == 302
    db.session.refresh(obj)
    assert (obj.status, obj.answer) == ("rejected", "按 12 月 31 日的股份计算。")
    queue = client.get("/village/objections").get_data(as_text=True)
    assert "没有待答复的异议" in queue and "已驳回" in queue

    again = client.post(f"/village/objections/{obj.id}/answer", data={"outcome": "resolved", "answer": "再答"})
    assert again.status_code == 302
    db.session.refresh(obj)
    assert obj.status == "rejected"

    second = objections.raise_objection(hh, plan.id, "第二条")
    entry = approved_entry(world, kind="dividend", household_id=hh.id, amount_fen=66_67)
    resp = client.post(
        f"/village/objections/{second.id}/answer",
        data={"outcome": "resolved", "answer": "已补发。", "correction_entry_id": f"#{entry.id}"},  # as pages show it
    )
    assert resp.status_code == 302
    db.session.refresh(second)
    assert (second.status, second.correction_entry_id) == ("resolved", entry.id)

    # the household sees the answers on its page
    html = public.get(f"/s/{hh.public_token}").get_data(as_text=True)
    assert "按 12 月 31 日的股份计算。" in html and "已补发。" in html
    assert audit.verify() is None

    expire_notice(plan)
    html = public.get(f"/s/{hh.public_token}").get_data(as_text=True)
    assert "公示期已结束" in html and "提交异议" not in html
    late = public.post(f"/s/{hh.public_token}", data={"distribution_id": plan.id, "text": "太晚"})
    assert late.status_code == 409 and "公示期已结束" in late.get_data(as_text=True)
    assert objection_count() == 2


def test_objection_for_a_wrong_token_is_404(world, client):
    plan = publish(world)
    resp = client.post("/s/not-a-token", data={"distribution_id": plan.id, "text": "不对"})
    assert resp.status_code == 404
    assert objection_count() == 0


# ---- masking on every household page -------------------------------------------


@pytest.fixture()
def objects(world):
    return built_once("objections_objects", lambda: _objects(world), on_top=True)


def _objects(world) -> dict:
    plan = publish(world)
    obj = objections.raise_objection(world.households[0], plan.id, "不对")
    return {
        "household": world.households[0].id,
        "spare": world.households[2].id,
        "token": world.households[0].public_token,
        "objection": obj.id,
        "plan": plan.id,
    }


HOUSEHOLD_PAGES = [
    "/village/households/{household}",
    "/village/households/{household}/statement",
    "/village/households?village=441323110201",
]


STAFF_PAGES = [*HOUSEHOLD_PAGES, "/village/objections"]
MASKING = (
    [(u, True, p) for u in ("sec", "acc") for p in STAFF_PAGES]
    + [(u, False, p) for u in ("town", "county") for p in HOUSEHOLD_PAGES]
    + [(u, False, "/s/{token}") for u in ("sec", "acc", "town", "county", None)]
)


@pytest.mark.parametrize("username, full, path", MASKING)
def test_masking_per_role(world, objects, client, auth, username, full, path):
    """Full names for the village's staff; masked for reviewers and on the public page (even when logged in)."""
    if username:
        auth.login(username)
    resp = client.get(path.format(**objects))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    if full:
        assert "张三丰" in html
    else:
        assert "张*丰" in html and "张三丰" not in html
    hh = world.households[0]
    assert hh.id_number not in html and hh.phone not in html
    # the CSP allows neither inline styles nor inline scripts (a script file of the site's own is fine)
    assert "style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)
    if path.startswith("/s/"):
        assert hh.id_number[-4:] not in html and hh.phone[-4:] not in html


# ---- access matrix of the new routes ------------------------------------------

GETS = [
    "/village/households/{household}",
    "/village/households/{household}/statement",
    "/village/objections",
]
POSTS = [
    ("/village/households/{spare}/shares", {"cooperative_id": "{coop}", "shares": "3", "since": "{today}"}),
    ("/village/objections/{objection}/answer", {"outcome": "rejected", "answer": "不改"}),
]


def _fill(template: str, objects: dict, world) -> str:
    return template.format(**objects, coop=world.cooperative.id, today=ledger.today().isoformat())


def snapshot() -> tuple:
    db.session.expire_all()
    rows = (
        db.session.scalar(select(func.count()).select_from(Membership)),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
        tuple(db.session.execute(select(Objection.id, Objection.status, Objection.answer)).all()),
    )
    return rows


@pytest.mark.parametrize("path", GETS)
def test_anonymous_is_sent_to_login(world, objects, client, path):
    resp = client.get(_fill(path, objects, world))
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


@pytest.mark.parametrize("path, data", POSTS)
def test_anonymous_posts_write_nothing(world, objects, client, path, data):
    before = snapshot()
    resp = client.post(_fill(path, objects, world), data={k: _fill(v, objects, world) for k, v in data.items()})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert snapshot() == before


def test_public_page_needs_no_login(world, objects, client):
    assert client.get(f"/s/{objects['token']}").status_code == 200


REFUSED_GETS = [
    ("sec2", "/village/households/{household}"),
    ("sec2", "/village/households/{household}/statement"),
    ("acc2", "/village/households/{household}"),
    ("town", "/village/objections"),
    ("county", "/village/objections"),
    ("admin", "/village/objections"),
]


@pytest.mark.parametrize("username, path", REFUSED_GETS)
def test_refused_pages(world, objects, client, auth, username, path):
    auth.login(username)
    resp = client.get(_fill(path, objects, world))
    assert resp.status_code == 403


ALLOWED_GETS = [
    (u, p)
    for u in ("sec", "acc", "town", "county")
    for p in ("/village/households/{household}", "/village/households/{household}/statement")
] + [("sec", "/village/objections"), ("acc", "/village/objections"), ("sec2", "/village/objections")]


@pytest.mark.parametrize("username, path", ALLOWED_GETS)
def test_allowed_pages(world, objects, client, auth, username, path):
    auth.login(username)
    resp = client.get(_fill(path, objects, world))
    assert resp.status_code == 200
    if path == "/village/objections" and username == "sec2":
        assert "不对" not in resp.get_data(as_text=True)  # another village's objections stay hidden


REFUSED_POSTS = [(u, p, d) for u in ("acc", "sec2", "acc2", "town", "county", "admin") for p, d in POSTS]


@pytest.mark.parametrize("username, path, data", REFUSED_POSTS)
def test_refused_posts_are_403_and_write_nothing(world, objects, client, auth, username, path, data):
    auth.login(username)
    before = snapshot()
    resp = client.post(_fill(path, objects, world), data={k: _fill(v, objects, world) for k, v in data.items()})
    assert resp.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("path, data", POSTS)
def test_the_secretary_may(world, objects, client, auth, path, data):
    auth.login("sec")
    before = snapshot()
    resp = client.post(_fill(path, objects, world), data={k: _fill(v, objects, world) for k, v in data.items()})
    assert resp.status_code == 302
    assert snapshot() != before
