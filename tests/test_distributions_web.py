"""The plan pages end to end: the real form, the preview, the buttons, masking and who may do what."""

import re

import pytest
from sqlalchemy import select

from coopapp.distributions import plans as distributions
from coopapp.distributions.plans import DeductionInput, PlanInput
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.ledger import rollups
from coopapp.models import Distribution

from .builders import plan_form, written

CONFIRMED = {"confirmed": "1"}  # past the confirmation page (tests/test_confirmations.py)


def _cell(html: str, cell_id: str) -> str:
    return re.search(rf'id="{cell_id}">([^<]*)<', html).group(1)


def _draft(world):
    data = PlanInput(
        world.project.id, ledger.current_period(), 3_000_000, "shares", [DeductionInput("collective", 1500)]
    )
    return distributions.draft_plan(world.users["secretary"], data)


def test_secretary_drafts_approves_publishes_and_reverses_through_the_pages(world, client, auth):
    auth.login("sec")
    page = client.get("/distributions/new").get_data(as_text=True)
    assert 'name="deductions-3-percent"' in page and "张三丰" in page and not re.search(r"<script(?![^>]*\bsrc=)", page)
    resp = client.post("/distributions/new", data=plan_form(world))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    plan = db.session.scalars(select(Distribution)).one()
    assert resp.headers["Location"].endswith(f"/distributions/{plan.id}")

    html = client.get(f"/distributions/{plan.id}").get_data(as_text=True)
    # 30,000 − 15% (4,500) − 1,000 = 24,500, split 10 : 5 to the fen.
    assert _cell(html, "distributable") == _cell(html, "lines-total") == "24,500.00"
    assert "4,500.00" in html and "1,000.00" in html and "25,500.00" in html
    assert "16,333.33" in html and "8,166.67" in html
    assert "张三丰" in html and "李四" in html and "王五" not in html
    assert "审批方案" in html and "删除方案" in html and "公布并记入台账" not in html

    asked = client.post(f"/distributions/{plan.id}/approve")  # the confirmation page first
    assert asked.status_code == 200 and "审批后方案不能再修改" in asked.get_data(as_text=True)
    assert client.post(f"/distributions/{plan.id}/approve", data=CONFIRMED).status_code == 302
    html = client.get(f"/distributions/{plan.id}").get_data(as_text=True)
    assert "公布并记入台账" in html and "审批方案" not in html

    asked = client.post(f"/distributions/{plan.id}/publish").get_data(as_text=True)
    assert "将生成 2 条分红记录，合计 24,500.00 元，另生成 1 条村集体收入记录 4,500.00 元" in asked
    assert client.post(f"/distributions/{plan.id}/publish", data=CONFIRMED).status_code == 302
    html = client.get(f"/distributions/{plan.id}").get_data(as_text=True)
    db.session.refresh(plan)
    for line in plan.lines:
        assert f'href="/entries/{line.entry_id}"' in html
    assert f'href="/entries/{plan.collective_entry_id}"' in html
    assert rollups.verify() == []

    resp = client.post(f"/distributions/{plan.id}/publish", follow_redirects=True)  # refused: not asked
    assert "已经公布过" in resp.get_data(as_text=True)

    resp = client.post(f"/distributions/{plan.id}/reverse", data={"reason": ""})
    assert resp.status_code == 422 and "请填写原因" in resp.get_data(as_text=True)
    data = {"reason": "股数错误", **CONFIRMED}
    resp = client.post(f"/distributions/{plan.id}/reverse", data=data, follow_redirects=True)
    assert "股数错误" in resp.get_data(as_text=True)
    db.session.refresh(plan)
    assert plan.status == "reversed"
    assert rollups.verify() == []

    listing = client.get("/distributions").get_data(as_text=True)
    assert f'href="/distributions/{plan.id}"' in listing and "已冲销" in listing


def test_fixed_list_from_the_page_and_deleting_a_draft(world, client, auth):
    auth.login("sec")
    h0, h1, h2 = world.households
    data = plan_form(world, basis="fixed", **{"households-0-weight": "1", "households-2-weight": "1"})
    data.update(
        {"deductions-0-kind": "", "deductions-0-percent": "", "deductions-1-kind": "", "deductions-1-amount": ""}
    )
    resp = client.post("/distributions/new", data=data)
    assert resp.status_code == 302
    plan = db.session.scalars(select(Distribution)).one()
    assert {ln.household_id: ln.amount_fen for ln in plan.lines} == {h0.id: 1_500_000, h2.id: 1_500_000}
    assert client.post(f"/distributions/{plan.id}/delete").status_code == 200  # asks first (test_confirmations)
    deleted = client.post(f"/distributions/{plan.id}/delete", data={"confirmed": "1"})
    assert deleted.headers["Location"].endswith("/distributions")
    assert written()[0] == 0


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"pool": "0"}, "分配总额必须大于零"),
        ({"pool": "-5"}, "分配总额必须大于零"),
        ({"pool": "abc"}, "金额格式不对"),
        ({"deductions-0-percent": "15.125"}, "比例最多两位小数"),
        ({"deductions-1-percent": "10"}, "比例和金额请只填一项"),
        ({"deductions-1-amount": "40,000"}, "超过剩余"),
        ({"period": f"{ledger.today().year - 1}-12"}, "没有可分配的农户"),
        ({"basis": "fixed", "households-1-weight": "-1"}, "权重不能为负数"),
        ({"basis": "fixed", "households-0-household_id": "{other}", "households-0-weight": "1"}, "不属于本村"),
    ],
)
def test_bad_form_shows_the_error_and_writes_nothing(world, client, auth, changes, message):
    auth.login("sec")
    changes = {k: v.format(other=world.other_household.id) for k, v in changes.items()}
    before = written()
    resp = client.post("/distributions/new", data=plan_form(world, **changes))
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    assert written() == before


@pytest.mark.parametrize("username", ["town", "county"])
def test_reviewers_read_plans_with_masked_names_and_no_buttons(world, client, auth, username):
    plan = _draft(world)
    auth.login(username)
    html = client.get(f"/distributions/{plan.id}").get_data(as_text=True)
    assert "张*丰" in html and "李*" in html
    assert "张三丰" not in html and "李四" not in html
    assert "审批方案" not in html and "删除方案" not in html
    listing = client.get("/distributions")
    assert listing.status_code == 200 and f"/distributions/{plan.id}" in listing.get_data(as_text=True)
    assert "收益分配" in listing.get_data(as_text=True)
    assert client.get(f"/distributions?village={world.village.code}").status_code == 200


# (user, path, expected) for pages; POST actions on a draft plan below.
PAGE_MATRIX = [
    ("sec", "/distributions", 200),
    ("sec", "/distributions/new", 200),
    ("sec", "/distributions/{plan}", 200),
    ("acc", "/distributions/{plan}", 200),
    ("acc", "/distributions/new", 403),
    ("town", "/distributions/new", 403),
    ("county", "/distributions/{plan}", 200),
    ("sec2", "/distributions/{plan}", 403),
    ("acc2", "/distributions/{plan}", 403),
    ("sec2", "/distributions?village=441323110201", 403),
    ("sec2", "/distributions", 200),
]
POST_MATRIX = [
    *[
        (u, path, 403)
        for u in ("sec2", "acc", "town", "county")
        for path in ("approve", "delete", "publish", "reverse")
    ],
    ("sec", "approve", 302),
    ("sec", "delete", 302),
]


@pytest.mark.parametrize("username, path, expected", PAGE_MATRIX)
def test_page_access(world, client, auth, username, path, expected):
    plan = _draft(world)
    auth.login(username)
    assert client.get(path.format(plan=plan.id)).status_code == expected


@pytest.mark.parametrize("username, action, expected", POST_MATRIX)
def test_action_access(world, client, auth, username, action, expected):
    plan = _draft(world)
    auth.login(username)
    before = written()
    resp = client.post(f"/distributions/{plan.id}/{action}", data={"reason": "错", "confirmed": "1"})
    assert resp.status_code == expected
    if expected == 403:
        assert written() == before


def test_new_plan_post_by_others_is_refused(world, client, auth):
    for username in ("acc", "town", "sec2"):
        auth.login(username)
        before = written()
        resp = client.post("/distributions/new", data=plan_form(world))
        assert resp.status_code == 403 if username != "sec2" else resp.status_code in (403, 422)
        assert written() == before
        auth.logout()


@pytest.mark.parametrize("path", ["/distributions", "/distributions/new", "/distributions/1"])
def test_anonymous_is_sent_to_login(world, client, path):
    resp = client.get(path)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    resp = client.post("/distributions/1/approve")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_nav_link_for_the_secretary_only_among_village_roles(world, client, auth):
    auth.login("sec")
    assert 'href="/distributions"' in client.get("/distributions").get_data(as_text=True)
    auth.logout()
    auth.login("acc")
    assert 'href="/distributions"' not in client.get("/entries").get_data(as_text=True)
