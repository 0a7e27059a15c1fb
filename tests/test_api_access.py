"""The access matrix: role × endpoint × own or other village. Refusals are 401/403, never 500."""

import pytest

from coopapp.ledger import operations as ledger

from .builders import body, built_world, counts, entry_input, login, shift_period

OWN, OTHER = "441323110201", "441323107203"  # 中洞村 (town A), 八维村 (town B)


def _ids(world) -> dict:
    """Entries in both villages in each state the actions need, plus the world's ids."""
    acc, sec = world.users["accountant"], world.users["secretary"]
    acc2, sec2 = world.users["other_accountant"], world.users["other_secretary"]

    def make(user, project, submit=False, approver=None):
        entry = ledger.create_entry(user, entry_input(project))
        if submit or approver:
            ledger.submit_entry(user, entry)
        if approver:
            ledger.approve_entry(approver, entry)
        return entry.id

    return {
        "own_draft": make(acc, world.project),
        "own": make(acc, world.project, submit=True),
        "own_approved": make(acc, world.project, approver=sec),
        "other_draft": make(acc2, world.other_project),
        "other": make(acc2, world.other_project, submit=True),
        "other_approved": make(acc2, world.other_project, approver=sec2),
        "own_project": world.project.id,
        "other_project": world.other_project.id,
        "group": world.group.code,
    }


@pytest.fixture()
def built(db):
    return built_world("api_access", _ids)


@pytest.fixture()
def world(built):
    return built[0]


@pytest.fixture()
def ids(built) -> dict:
    return built[1]


def _entry(project: str) -> dict:
    return {"project_id": "{" + project + "}", "period": shift_period(-1), "kind": "sales", "amount": "10.00"}


def _project(village: str) -> dict:
    return {"name": "新项目", "type": "tourism", "village": village}


def _household(village: str) -> dict:
    return {"head_name": "陈七", "members": 2, "village": village}


E = "/api/v1/entries"
# (user, method, path, body, expected status)
MATRIX = [
    # reading one entry
    *[("acc", "GET", f"{E}/{{own}}", None, 200), ("acc", "GET", f"{E}/{{other}}", None, 403)],
    *[("sec", "GET", f"{E}/{{own}}", None, 200), ("sec", "GET", f"{E}/{{other}}", None, 403)],
    *[("acc2", "GET", f"{E}/{{own}}", None, 403), ("acc2", "GET", f"{E}/{{other}}", None, 200)],
    *[("town", "GET", f"{E}/{{own}}", None, 200), ("town", "GET", f"{E}/{{other}}", None, 403)],
    *[("county", "GET", f"{E}/{{own}}", None, 200), ("county", "GET", f"{E}/{{other}}", None, 200)],
    *[("admin", "GET", f"{E}/{{own}}", None, 200), ("acc", "GET", f"{E}/999999", None, 404)],
    # list filters by a village outside the scope
    ("acc", "GET", f"{E}?village={OTHER}", None, 403),
    ("town", "GET", f"/api/v1/households?village={OTHER}", None, 403),
    ("sec2", "GET", f"/api/v1/projects?village={OWN}", None, 403),
    ("county", "GET", f"/api/v1/projects?village={OTHER}", None, 200),
    ("acc", "GET", "/api/v1/projects?village=441323999999", None, 404),
    ("acc", "GET", "/api/v1/areas?parent=441323107", None, 403),
    ("town", "GET", "/api/v1/areas?parent=441323110", None, 200),
    # creating entries: only the accountant, only in the own village
    ("acc", "POST", E, _entry("own_project"), 201),
    ("acc", "POST", E, _entry("other_project"), 403),
    ("acc2", "POST", E, _entry("own_project"), 403),
    ("sec", "POST", E, _entry("own_project"), 403),
    ("town", "POST", E, _entry("own_project"), 403),
    ("county", "POST", E, _entry("own_project"), 403),
    ("admin", "POST", E, _entry("own_project"), 403),
    # submitting
    ("acc", "POST", f"{E}/{{own_draft}}/submit", {}, 200),
    ("acc2", "POST", f"{E}/{{own_draft}}/submit", {}, 403),
    ("sec", "POST", f"{E}/{{own_draft}}/submit", {}, 403),
    ("county", "POST", f"{E}/{{own_draft}}/submit", {}, 403),
    # approving and returning: only the own village's secretary
    ("sec", "POST", f"{E}/{{own}}/approve", {}, 200),
    ("sec", "POST", f"{E}/{{other}}/approve", {}, 403),
    ("sec2", "POST", f"{E}/{{own}}/approve", {}, 403),
    ("acc", "POST", f"{E}/{{own}}/approve", {}, 403),
    ("acc2", "POST", f"{E}/{{own}}/approve", {}, 403),
    ("town", "POST", f"{E}/{{own}}/approve", {}, 403),
    ("county", "POST", f"{E}/{{own}}/approve", {}, 403),
    ("admin", "POST", f"{E}/{{own}}/approve", {}, 403),
    ("sec", "POST", f"{E}/{{own}}/return", {"reason": "缺发票"}, 200),
    ("sec2", "POST", f"{E}/{{own}}/return", {"reason": "缺发票"}, 403),
    ("acc", "POST", f"{E}/{{own}}/return", {"reason": "缺发票"}, 403),
    ("county", "POST", f"{E}/{{own}}/return", {"reason": "缺发票"}, 403),
    # reversing: only the own village's accountant
    ("acc", "POST", f"{E}/{{own_approved}}/reverse", {"reason": "重复"}, 201),
    ("acc2", "POST", f"{E}/{{own_approved}}/reverse", {"reason": "重复"}, 403),
    ("sec", "POST", f"{E}/{{own_approved}}/reverse", {"reason": "重复"}, 403),
    ("town", "POST", f"{E}/{{own_approved}}/reverse", {"reason": "重复"}, 403),
    ("acc2", "POST", f"{E}/{{other_approved}}/reverse", {"reason": "重复"}, 201),
    # projects and households: only the secretary, only in the own village
    ("sec", "POST", "/api/v1/projects", _project(OWN), 201),
    ("sec", "POST", "/api/v1/projects", _project(OTHER), 403),
    ("sec2", "POST", "/api/v1/projects", _project(OTHER), 201),
    ("acc", "POST", "/api/v1/projects", _project(OWN), 403),
    ("town", "POST", "/api/v1/projects", _project(OWN), 403),
    ("county", "POST", "/api/v1/projects", _project(OWN), 403),
    ("admin", "POST", "/api/v1/projects", _project(OWN), 403),
    ("sec", "POST", "/api/v1/households", _household(OWN), 201),
    ("sec", "POST", "/api/v1/households", _household(OTHER), 403),
    ("acc", "POST", "/api/v1/households", _household(OWN), 403),
    ("town", "POST", "/api/v1/households", _household(OWN), 403),
    ("county", "POST", "/api/v1/households", _household(OWN), 403),
    ("admin", "POST", "/api/v1/households", _household(OWN), 403),
    # summaries and comparisons
    ("county", "GET", f"/api/v1/villages/{OWN}/summary", None, 200),
    ("county", "GET", f"/api/v1/villages/{OTHER}/summary", None, 200),
    ("town", "GET", f"/api/v1/villages/{OWN}/summary", None, 200),
    ("town", "GET", f"/api/v1/villages/{OTHER}/summary", None, 403),
    ("acc", "GET", f"/api/v1/villages/{OWN}/summary", None, 200),
    ("acc", "GET", f"/api/v1/villages/{OTHER}/summary", None, 403),
    ("sec2", "GET", f"/api/v1/villages/{OWN}/summary", None, 403),
    ("admin", "GET", f"/api/v1/villages/{OTHER}/summary", None, 200),
    ("county", "GET", "/api/v1/villages/441323999999/summary", None, 404),
    ("county", "GET", "/api/v1/villages/441323110/summary", None, 404),  # a town, not a village
    ("town", "GET", "/api/v1/compare?area=441323110", None, 200),
    ("town", "GET", "/api/v1/compare?area=441323107", None, 403),
    ("town", "GET", "/api/v1/compare?area=441323", None, 403),
    ("county", "GET", "/api/v1/compare?area=441323107", None, 200),
    ("acc", "GET", "/api/v1/compare?area=441323110", None, 403),
    ("county", "GET", "/api/v1/compare?area=999", None, 404),
]


def _fill(value, ids: dict):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    ("username", "method", "path", "payload", "expected"), MATRIX, ids=[f"{u}-{m}-{p}-{s}" for u, m, p, _b, s in MATRIX]
)
def test_access_matrix(app, world, ids, username, method, path, payload, expected):
    client = login(app, username)
    path, payload = _fill(path, ids), _fill(payload, ids)
    if isinstance(payload, dict) and "project_id" in payload:
        payload["project_id"] = int(payload["project_id"])
    before = counts()
    resp = client.get(path) if method == "GET" else client.post(path, json=payload)
    assert resp.status_code == expected, body(resp)
    if expected >= 400:
        assert set(body(resp)["error"]) == {"code", "message", "fields"}
        assert counts() == before  # a refusal writes nothing, not even an audit event


GETS = [
    "/api/v1/areas",
    "/api/v1/projects",
    "/api/v1/households",
    E,
    f"{E}/1",
    f"/api/v1/villages/{OWN}/summary",
    "/api/v1/compare",
]
POSTS = [
    "/api/v1/projects",
    "/api/v1/households",
    E,
    f"{E}/1/submit",
    f"{E}/1/approve",
    f"{E}/1/return",
    f"{E}/1/reverse",
]


@pytest.mark.parametrize(("method", "path"), [("GET", p) for p in GETS] + [("POST", p) for p in POSTS])
def test_anonymous_gets_json_401(client, world, method, path):
    resp = client.get(path) if method == "GET" else client.post(path, json={})
    assert resp.status_code == 401
    assert body(resp)["error"]["code"] == "unauthorized"


def test_lists_hold_only_the_scope(app, world, ids):
    acc2 = body(login(app, "acc2").get(E))
    assert {e["village"] for e in acc2["items"]} == {OTHER} and acc2["total"] == 3
    town = body(login(app, "town").get(E))
    assert {e["village"] for e in town["items"]} == {OWN}
    county = body(login(app, "county").get(E))
    assert county["total"] == 6
    projects = body(login(app, "acc").get("/api/v1/projects"))
    assert [p["id"] for p in projects] == [world.project.id]
    households = body(login(app, "sec2").get("/api/v1/households"))
    assert [h["id"] for h in households] == [world.other_household.id]
    areas = body(login(app, "town").get("/api/v1/areas?level=village"))
    assert [a["code"] for a in areas] == ["441323110201", "441323110202"]
    resp = login(app, "town").get("/api/v1/areas?level=planet")
    assert resp.status_code == 400 and "level" in body(resp)["error"]["fields"]
