"""The notice period (公示期) of a plan: its length, objections from households the plan leaves out,
its end in China time, the public page's headers and CSRF, and the public-welfare-jobs minimum."""

import re
from datetime import UTC, timedelta

import pytest
from sqlalchemy import func, select

from coopapp import create_app
from coopapp.distributions import objections
from coopapp.distributions import plans as distributions
from coopapp.distributions.plans import DeductionInput, PlanInput
from coopapp.errors import Conflict, Invalid
from coopapp.extensions import db
from coopapp.ledger.operations import CHINA
from coopapp.models import Distribution, Objection
from coopapp.models.base import utcnow

from .builders import body, expire_notice, login, objection_count, open_plans, plan_body, plan_form, publish, written

D = "/api/v1/distributions"

# ---- a household the plan leaves out may object ---------------------------------


def test_a_household_left_out_sees_the_plan_and_may_object(world):
    plan = publish(world)
    left_out = world.households[2]  # holds no shares: no line in the plan
    rows = open_plans(left_out)
    assert [(r.plan.id, r.amount_fen, r.open) for r in rows] == [(plan.id, None, True)]
    assert [(r.plan.id, r.amount_fen) for r in open_plans(world.households[0])] == [(plan.id, 666_67)]
    assert open_plans(world.other_household) == []  # another village's plan

    obj = objections.raise_objection(left_out, plan.id, "我家有 3 股，没有计入。")
    assert (obj.household_id, obj.distribution_id, obj.status) == (left_out.id, plan.id, "open")
    assert objections.amounts_for([obj]) == {obj.id: None}


def test_a_left_out_household_cannot_object_to_another_village_or_after_the_notice_period(world):
    plan = publish(world)
    with pytest.raises(Invalid):
        objections.raise_objection(world.other_household, plan.id, "不对")
    expire_notice(plan)
    assert objections.published_plans_for(world.households[2], int(plan.period[:4])) == []  # gone once closed
    with pytest.raises(Conflict):
        objections.raise_objection(world.households[2], plan.id, "不对")
    assert objection_count() == 0


def test_left_out_household_objects_from_its_public_page(world, app, auth):
    plan = publish(world)
    hh = world.households[2]
    public = app.test_client()
    html = public.get(f"/s/{hh.public_token}").get_data(as_text=True)
    assert "本户未列入" in html and f'name="distribution_id" value="{plan.id}"' in html and "提交异议" in html
    resp = public.post(f"/s/{hh.public_token}", data={"distribution_id": plan.id, "text": "我家的股份没有计入。"})
    assert resp.status_code == 302
    assert objection_count() == 1

    auth.login("sec")
    queue = auth.client.get("/village/objections").get_data(as_text=True)
    assert "王五" in queue and "我家的股份没有计入" in queue and "本户未列入" in queue


# ---- the length of the notice period ----------------------------------------


def test_notice_days_from_the_api_set_the_notice_period(world, app):
    sec = login(app, "sec")
    default = body(sec.post(D, json=plan_body(world)))
    assert default["notice_days"] == 7
    resp = sec.post(D, json=plan_body(world, notice_days=14))
    assert resp.status_code == 201, resp.get_json()
    plan = db.session.get(Distribution, body(resp)["id"])
    assert (body(resp)["notice_days"], plan.notice_days) == (14, 14)

    sec.post(f"{D}/{plan.id}/approve")
    sec.post(f"{D}/{plan.id}/publish")
    db.session.expire_all()
    plan.published_at -= timedelta(days=10)  # past the default 7 days, inside 14
    db.session.commit()
    assert objections.raise_objection(world.households[0], plan.id, "还在公示期内").id


@pytest.mark.parametrize("days", [0, 91, -1, "abc", "7.5"])
def test_bad_notice_days_is_422_and_writes_nothing(world, app, days):
    sec = login(app, "sec")
    before = written()
    resp = sec.post(D, json=plan_body(world, notice_days=days))
    assert resp.status_code == 422
    assert "notice_days" in body(resp)["error"]["fields"]
    assert written() == before


def test_notice_days_out_of_range_is_refused_by_the_service(world):
    data = PlanInput(world.project.id, "2025-01", 1000, "equal", notice_days=0)
    with pytest.raises(Invalid) as err:
        distributions.draft_plan(world.users["secretary"], data)
    assert "notice_days" in err.value.fields


def test_notice_days_from_the_page(world, client, auth):
    auth.login("sec")
    page = client.get("/distributions/new").get_data(as_text=True)
    assert 'name="notice_days"' in page and 'value="7"' in page
    resp = client.post("/distributions/new", data=plan_form(world, notice_days="30"))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    plan = db.session.scalars(select(Distribution)).one()
    assert plan.notice_days == 30
    assert "公布后 30 天" in client.get(f"/distributions/{plan.id}").get_data(as_text=True)
    bad = client.post("/distributions/new", data=plan_form(world, notice_days="120"))
    assert bad.status_code == 422 and "公示期应为 1–90 天" in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Distribution)) == 1


# ---- the notice end in China time on both pages ------------------------------


def test_notice_end_is_china_time_on_the_plan_page_and_the_public_page(world, client, auth):
    plan = publish(world)
    # 20:00 UTC is 04:00 the next day in China: the UTC date and the China date differ.
    plan.published_at = (utcnow() - timedelta(days=1)).replace(hour=20, minute=0, second=0, microsecond=0)
    db.session.commit()
    ends = distributions.notice_ends(plan)
    china = ends.replace(tzinfo=UTC).astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    assert china.endswith("04:00") and china[:10] != ends.strftime("%Y-%m-%d")

    auth.login("sec")
    page = client.get(f"/distributions/{plan.id}").get_data(as_text=True)
    assert re.search(r'id="notice-ends">([^<]*)<', page).group(1).strip() == china
    public = client.get(f"/s/{world.households[0].public_token}?year={plan.period[:4]}").get_data(as_text=True)
    assert china in public


# ---- the public page: no Referer, CSRF ------------------------------------------


def test_public_page_sends_its_address_to_no_other_site(world, client):
    plan = publish(world)
    token = world.households[0].public_token
    assert client.get(f"/s/{token}").headers["Referrer-Policy"] == "same-origin"
    bad = client.post(f"/s/{token}", data={"distribution_id": plan.id, "text": ""})
    assert bad.status_code == 422 and bad.headers["Referrer-Policy"] == "same-origin"
    ok = client.post(f"/s/{token}", data={"distribution_id": plan.id, "text": "不对"})
    assert ok.status_code == 302 and ok.headers["Referrer-Policy"] == "same-origin"


@pytest.fixture()
def csrf_client(database_url, world):
    """A client of an app with CSRF protection on, over the same test database."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True})
    yield app.test_client()
    with app.app_context():
        db.engine.dispose()


def test_objection_without_csrf_token_is_refused(world, csrf_client):
    plan = publish(world)
    token = world.households[0].public_token
    page = csrf_client.get(f"/s/{token}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = {"distribution_id": plan.id, "text": "我家是 12 股。"}

    for forged in ({}, {"csrf_token": "forged"}):
        resp = csrf_client.post(f"/s/{token}", data={**data, **forged})
        assert resp.status_code == 400
        db.session.expire_all()
        assert objection_count() == 0

    resp = csrf_client.post(f"/s/{token}", data={**data, "csrf_token": csrf})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Objection)) == 1


def test_an_objection_over_https_gets_through(world, csrf_client):
    """Over HTTPS the CSRF check also wants a same-origin Referer, which the page's policy lets
    the browser send (with "no-referrer" every objection in production was refused)."""
    plan = publish(world)
    token = world.households[0].public_token
    page = csrf_client.get(f"/s/{token}", base_url="https://coop.example")
    assert page.headers["Referrer-Policy"] == "same-origin"
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    data = {"distribution_id": plan.id, "text": "我家是 12 股。", "csrf_token": csrf}
    referer = {"Referer": f"https://coop.example/s/{token}"}  # what a browser sends under same-origin
    resp = csrf_client.post(f"/s/{token}", data=data, base_url="https://coop.example", headers=referer)
    assert resp.status_code == 302
    db.session.expire_all()
    assert objection_count() == 1


# ---- the public-welfare-jobs minimum of photovoltaic plans ---------------------


@pytest.fixture()
def welfare_rule(app, monkeypatch):
    monkeypatch.setitem(app.config, "WELFARE_JOBS_MIN_BP", 2000)  # 20% of the pool


def pv_body(world, **overrides) -> dict:
    return plan_body(world, project_id=world.other_project.id, basis="equal", pool="10,000", **overrides)


def test_pv_plan_without_enough_for_welfare_jobs_is_422(world, app, welfare_rule):
    sec2 = login(app, "sec2")
    before = written()
    for deductions in (
        [],
        [{"kind": "welfare_jobs", "percent": "19.99"}],
        [{"kind": "maintenance", "amount": "5000"}, {"kind": "welfare_jobs", "percent": "20"}],  # 20% of the rest
    ):
        resp = sec2.post(D, json=pv_body(world, deductions=deductions))
        assert resp.status_code == 422, deductions
        error = body(resp)["error"]
        assert "公益岗位" in error["message"] and "20%" in error["message"]
        assert "2,000.00" in error["fields"]["deductions"]
    assert written() == before

    ok = sec2.post(D, json=pv_body(world, deductions=[{"kind": "welfare_jobs", "percent": "20"}]))
    assert ok.status_code == 201, ok.get_json()
    split = sec2.post(
        D,
        json=pv_body(
            world, deductions=[{"kind": "welfare_jobs", "amount": "1500"}, {"kind": "welfare_jobs", "amount": "500"}]
        ),
    )
    assert split.status_code == 201, split.get_json()


def test_welfare_rule_leaves_other_project_types_and_unset_rule_alone(world, app, monkeypatch):
    sec2 = login(app, "sec2")
    assert sec2.post(D, json=pv_body(world, deductions=[])).status_code == 201  # no rule configured
    monkeypatch.setitem(app.config, "WELFARE_JOBS_MIN_BP", 2000)
    sec = login(app, "sec")
    assert sec.post(D, json=plan_body(world)).status_code == 201  # beekeeping: the rule is for PV


def test_welfare_rule_on_the_page(world, client, auth, welfare_rule):
    auth.login("sec2")
    data = {
        "project_id": str(world.other_project.id),
        "period": plan_form(world)["period"],
        "pool": "10,000",
        "basis": "equal",
        "notice_days": "7",
    }
    before = written()
    resp = client.post("/distributions/new", data=data)
    assert resp.status_code == 422
    assert "公益岗位" in resp.get_data(as_text=True)
    assert written() == before
    data.update({"deductions-0-kind": "welfare_jobs", "deductions-0-percent": "25"})
    assert client.post("/distributions/new", data=data).status_code == 302


def test_welfare_rule_on_a_foreign_project_is_forbidden(world, app, welfare_rule):
    sec = login(app, "sec")
    before = written()
    assert sec.post(D, json=pv_body(world, deductions=[])).status_code == 403
    assert written() == before


def test_check_welfare_jobs_service(world):
    sec2 = world.users["other_secretary"]
    data = PlanInput(world.other_project.id, "2025-01", 10_000_00, "equal", [DeductionInput("welfare_jobs", 1000)])
    distributions.check_welfare_jobs(sec2, data, None)
    distributions.check_welfare_jobs(sec2, data, 1000)
    with pytest.raises(Invalid) as err:
        distributions.check_welfare_jobs(sec2, data, 1001)
    assert "deductions" in err.value.fields
