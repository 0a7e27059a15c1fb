"""The distribution plan API: preview, approve, publish, reverse, delete; bad input; masking; access."""

import pytest

from coopapp.access import audit
from coopapp.ledger import operations as ledger
from coopapp.ledger import rollups

from .builders import body, built_once, login, plan_body, shift_period, written

D = "/api/v1/distributions"


@pytest.fixture()
def sec(app, world):
    return login(app, "sec")


def test_preview_returns_every_line_exact_to_the_fen(world, sec):
    resp = sec.post(D, json=plan_body(world))
    assert resp.status_code == 201, resp.get_json()
    plan = body(resp)
    h0, h1, _ = world.households
    assert plan["status"] == "draft" and plan["basis"] == "shares"
    assert (plan["pool"], plan["pool_fen"]) == ("30000.00", 3_000_000)
    assert [(d["kind"], d["percent"], d["amount"], d["amount_fen"]) for d in plan["deductions"]] == [
        ("collective", "15", "4500.00", 450_000),
        ("maintenance", None, "1000.00", 100_000),
    ]
    assert plan["deductions"][1]["fixed_fen"] == 100_000
    assert (plan["distributable"], plan["distributable_fen"]) == ("24500.00", 2_450_000)
    assert [
        (ln["household_id"], ln["head_name"], ln["shares"], ln["amount"], ln["amount_fen"]) for ln in plan["lines"]
    ] == [
        (h0.id, "张三丰", "10", "16333.33", 1_633_333),
        (h1.id, "李四", "5", "8166.67", 816_667),
    ]
    assert sum(ln["amount_fen"] for ln in plan["lines"]) == plan["distributable_fen"]
    assert plan["masked"] is False


def test_numbers_in_json_and_a_minimal_body(world, sec):
    resp = sec.post(
        D, json={"project_id": world.project.id, "period": ledger.current_period(), "pool": 300, "basis": "equal"}
    )
    assert resp.status_code == 201, resp.get_json()
    plan = body(resp)
    assert plan["deductions"] == [] and plan["distributable_fen"] == 30_000
    assert [ln["amount_fen"] for ln in plan["lines"]] == [15_000, 15_000]


def test_fixed_list_with_weights(world, sec):
    h0, h1, h2 = world.households
    households = [{"household_id": h0.id, "weight": "2"}, {"household_id": h2.id}, {"household_id": h1.id, "weight": 0}]
    resp = sec.post(D, json=plan_body(world, basis="fixed", pool="3万", deductions=[], households=households))
    assert resp.status_code == 201, resp.get_json()
    lines = {ln["household_id"]: (ln["shares"], ln["amount_fen"]) for ln in body(resp)["lines"]}
    assert lines == {h0.id: ("2", 2_000_000), h2.id: ("1", 1_000_000)}


def test_whole_flow_then_list_and_ledger(world, sec):
    plan = body(sec.post(D, json=plan_body(world)))
    pid = plan["id"]
    assert body(sec.post(f"{D}/{pid}/approve"))["status"] == "approved"
    published = body(sec.post(f"{D}/{pid}/publish"))
    assert published["status"] == "published" and published["published_at"].endswith("Z")
    assert all(ln["entry_id"] for ln in published["lines"]) and published["collective_entry_id"]
    assert published["notice_ends"]
    entry = body(sec.get(f"/api/v1/entries/{published['lines'][0]['entry_id']}"))
    assert (entry["kind"], entry["status"], entry["amount_fen"]) == ("dividend", "approved", 1_633_333)
    assert rollups.verify() == [] and audit.verify() is None

    resp = sec.post(f"{D}/{pid}/publish")
    assert resp.status_code == 409 and body(resp)["error"]["code"] == "conflict"

    resp = sec.post(f"{D}/{pid}/reverse", json={})
    assert resp.status_code == 422 and "reason" in body(resp)["error"]["fields"]
    reversed_ = body(sec.post(f"{D}/{pid}/reverse", json={"reason": "股数登记错误"}))
    assert (reversed_["status"], reversed_["reversal_reason"]) == ("reversed", "股数登记错误")
    assert rollups.verify() == [] and audit.verify() is None

    listed = body(sec.get(D))["items"]
    assert [(p["id"], p["status"], p["distributable_fen"], p["households"]) for p in listed] == [
        (pid, "reversed", 2_450_000, 2)
    ]
    assert body(sec.get(f"{D}?village=441323110201"))["items"][0]["id"] == pid
    assert sec.get(f"{D}?village=441323107203").status_code == 403


def test_delete_an_unpublished_plan_only(world, sec):
    pid = body(sec.post(D, json=plan_body(world)))["id"]
    other = body(sec.post(D, json=plan_body(world)))["id"]
    assert sec.client.delete(f"{D}/{pid}", headers=sec.headers).status_code == 204
    assert sec.get(f"{D}/{pid}").status_code == 404
    sec.post(f"{D}/{other}/approve")
    sec.post(f"{D}/{other}/publish")
    before = written()
    assert sec.client.delete(f"{D}/{other}", headers=sec.headers).status_code == 409
    assert written() == before


@pytest.mark.parametrize("pool", ["0", "-5", "abc", "", 0, -5, "0.001", None])
def test_bad_pool_is_422_naming_pool_and_writes_nothing(world, sec, pool):
    before = written()
    resp = sec.post(D, json=plan_body(world, pool=pool if pool is not None else ...))
    assert resp.status_code == 422
    assert "pool" in body(resp)["error"]["fields"]
    assert written() == before


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"period": f"{ledger.today().year - 1}-12"}, "basis"),  # nobody held shares then
        ({"basis": "fixed", "households": []}, "basis"),
        ({"basis": "whatever"}, "basis"),
        ({"period": "2025-13"}, "period"),
        ({"period": shift_period(2)}, "period"),
        ({"project_id": 987_654}, "project_id"),
        ({"project_id": 2**40}, "project_id"),
        ({"deductions": [{"kind": "collective", "percent": "15.125"}]}, "deductions"),
        ({"deductions": [{"kind": "collective", "percent": "101"}]}, "deductions"),
        ({"deductions": [{"kind": "collective", "percent": "0"}]}, "deductions"),
        ({"deductions": [{"kind": "collective", "percent": "10", "amount": "5"}]}, "deductions"),
        ({"deductions": [{"kind": "collective"}]}, "deductions"),
        ({"deductions": [{"percent": "10"}]}, "deductions"),
        ({"deductions": [{"kind": "bonus", "percent": "10"}]}, "deductions"),
        ({"deductions": [{"kind": "maintenance", "amount": "-5"}]}, "deductions"),
        ({"deductions": [{"kind": "maintenance", "amount": "40000"}]}, "deductions"),
        ({"deductions": "15%"}, "deductions"),
        ({"deductions": [{"kind": "other", "amount": "1"}] * 11}, "deductions"),
        ({"households": [1, 2]}, "households"),
    ],
)
def test_bad_input_is_422_and_writes_nothing(world, sec, overrides, field):
    before = written()
    resp = sec.post(D, json=plan_body(world, **overrides))
    assert resp.status_code == 422, resp.get_json()
    assert field in body(resp)["error"]["fields"], body(resp)
    assert written() == before


@pytest.mark.parametrize("weight", ["-1", -2, "0.0001", "x"])
def test_bad_weight_in_the_fixed_list(world, sec, weight):
    h0, h1, _ = world.households
    households = [{"household_id": h0.id, "weight": 1}, {"household_id": h1.id, "weight": weight}]
    before = written()
    resp = sec.post(D, json=plan_body(world, basis="fixed", households=households))
    assert resp.status_code == 422 and "households" in body(resp)["error"]["fields"]
    assert body(resp)["error"]["fields"]["households"].startswith("第 2 项")
    assert written() == before


def test_household_of_another_village_in_the_fixed_list(world, sec):
    households = [{"household_id": world.households[0].id}, {"household_id": world.other_household.id}]
    before = written()
    resp = sec.post(D, json=plan_body(world, basis="fixed", households=households))
    assert resp.status_code == 422 and "households" in body(resp)["error"]["fields"]
    assert written() == before


def test_closed_month(world, sec):
    ledger.close_month(world.users["secretary"], world.village, shift_period(-1))
    before = written()
    resp = sec.post(D, json=plan_body(world, period=shift_period(-1), basis="equal"))
    assert resp.status_code == 422 and "period" in body(resp)["error"]["fields"]
    assert written() == before


def test_reversing_an_unpublished_plan_is_409(world, sec):
    pid = body(sec.post(D, json=plan_body(world)))["id"]
    before = written()
    assert sec.post(f"{D}/{pid}/reverse", json={"reason": "x"}).status_code == 409
    sec.post(f"{D}/{pid}/approve")
    before = written()
    assert sec.post(f"{D}/{pid}/reverse", json={"reason": "x"}).status_code == 409
    assert sec.post(f"{D}/{pid}/approve").status_code == 409
    assert written() == before


@pytest.mark.parametrize("username", ["town", "county"])
def test_reviewers_see_masked_names(app, world, sec, username):
    pid = body(sec.post(D, json=plan_body(world)))["id"]
    plan = body(login(app, username).get(f"{D}/{pid}"))
    assert [ln["head_name"] for ln in plan["lines"]] == ["张*丰", "李*"]
    assert plan["masked"] is True
    assert "张三丰" not in str(body(login(app, username).get(D)))
    assert [ln["head_name"] for ln in body(login(app, "acc").get(f"{D}/{pid}"))["lines"]] == ["张三丰", "李四"]


# (user, method, path, body, expected). {own}: a draft of 中洞村; {own_approved}, {own_published} likewise.
MATRIX = [
    *[(u, "GET", f"{D}/{{own}}", None, s) for u, s in [("sec", 200), ("acc", 200), ("town", 200), ("county", 200)]],
    *[(u, "GET", f"{D}/{{own}}", None, 403) for u in ("sec2", "acc2")],
    ("admin", "GET", f"{D}/{{own}}", None, 200),
    ("sec", "POST", D, "plan", 201),
    *[(u, "POST", D, "plan", 403) for u in ("sec2", "acc", "acc2", "town", "county", "admin")],
    ("sec", "POST", f"{D}/{{own}}/approve", {}, 200),
    *[(u, "POST", f"{D}/{{own}}/approve", {}, 403) for u in ("sec2", "acc", "town", "county", "admin")],
    ("sec", "POST", f"{D}/{{own_approved}}/publish", {}, 200),
    *[(u, "POST", f"{D}/{{own_approved}}/publish", {}, 403) for u in ("sec2", "acc", "town", "county")],
    ("sec", "POST", f"{D}/{{own_published}}/reverse", {"reason": "错"}, 200),
    *[(u, "POST", f"{D}/{{own_published}}/reverse", {"reason": "错"}, 403) for u in ("sec2", "acc", "town")],
    ("sec", "DELETE", f"{D}/{{own}}", None, 204),
    *[(u, "DELETE", f"{D}/{{own}}", None, 403) for u in ("sec2", "acc", "town", "county")],
    ("sec", "GET", f"{D}/999999", None, 404),
]


@pytest.fixture()
def plans(app, world) -> dict:
    return built_once("distributions_api_plans", lambda: _plans(app, world), on_top=True)


def _plans(app, world) -> dict:
    sec = login(app, "sec")
    ids = {name: body(sec.post(D, json=plan_body(world)))["id"] for name in ("own", "own_approved", "own_published")}
    sec.post(f"{D}/{ids['own_approved']}/approve")
    sec.post(f"{D}/{ids['own_published']}/approve")
    sec.post(f"{D}/{ids['own_published']}/publish")
    return ids


@pytest.mark.parametrize("username, method, path, payload, expected", MATRIX)
def test_access_matrix(app, world, plans, username, method, path, payload, expected):
    client = login(app, username)
    url = path.format(**plans)
    data = plan_body(world) if payload == "plan" else payload
    before = written()
    if method == "GET":
        resp = client.get(url)
    elif method == "DELETE":
        resp = client.client.delete(url, headers=client.headers)
    else:
        resp = client.post(url, json=data)
    assert resp.status_code == expected, resp.get_json()
    if expected >= 400:
        assert body(resp)["error"]["code"] in ("forbidden", "not_found")
        assert written() == before


@pytest.mark.parametrize("method, path", [("GET", D), ("GET", f"{D}/1"), ("POST", D), ("POST", f"{D}/1/approve")])
def test_anonymous_gets_401(client, world, method, path):
    resp = client.get(path) if method == "GET" else client.post(path, json={})
    assert resp.status_code == 401
    assert body(resp)["error"]["code"] == "unauthorized"
