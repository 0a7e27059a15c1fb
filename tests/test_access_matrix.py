"""The access matrix over EVERY route of `app.url_map` (web and API), for every role and a foreign village.

Each (endpoint, method) of the app must have a row in ROUTES (tests/builders.py) declaring what each of the
eight callers gets. A route missing from the table fails `test_every_route_is_in_the_table`
naming it, so a new route cannot be forgotten: add one line to ROUTES.

Callers, in the order of a row's expectations:

    anon   nobody logged in
    acc    中洞村's accountant                sec    中洞村's secretary
    town   高潭镇's reviewer (中洞村's town)   county the county reviewer
    admin  the administrator
    acc2   八维村's accountant (a foreign village: every id/code in a URL is 中洞村's)
    sec2   八维村's secretary

Outcomes:

    ok     let in: not a login redirect / 401, not 403, not 404, never 5xx (a state rule may
           still refuse the action with 409/422 or a flash-and-redirect; that is past the door)
    L      sent to log in: 302 to /login on a page, 401 JSON from the API
    403    refused                     404   not found (an object outside the scope)
    -      either 403 or 404
    422    the form refuses it (e.g. a foreign project is not among the choices offered)

URL arguments come from the test world (`builders.route_objects`): ids and codes of 中洞村, the
village of acc/sec, so acc2/sec2 are the foreign village's users. Every request a row does
not let in (L, 403, 404, -, 422) must leave the ledger, the plans, the objections, the
projects, the households and the audit chain exactly as they were.

A route flagged `confirm=True` (an action that cannot be undone) is posted here with confirmed=1, as its
confirmation page's 确定 posts it; tests/test_confirmations.py posts each without it and checks that
the confirmation page comes back with its sentence and nothing is written.

A new route: add to builders.ROUTES
`("blueprint.endpoint", "METHOD"): R("L ok ok …", {"url_arg": "objects key"}, body)`.
"""

import pytest

from coopapp.access import sessions
from coopapp.extensions import db

from .builders import (
    CALLERS,
    ENTRY_JSON,
    REASON,
    ROUTES,
    USER_FORM,
    USER_JSON,
    USERNAMES,
    ApiClient,
    Route,
    World,
    add_user,
    app_routes,
    credit_code,
    fill_body,
    route_objects,
    route_state,
    route_url,
)


@pytest.fixture()
def objects(app, db, tmp_path, monkeypatch) -> dict:
    """Ids and codes of 中洞村 (the own village of acc/sec) in every state the routes act on."""
    return route_objects(app, tmp_path, monkeypatch)


def test_every_route_is_in_the_table(app):
    missing = [f"{endpoint} {method}" for endpoint, method in app_routes(app) if (endpoint, method) not in ROUTES]
    where = "routes without a row in tests/builders.py ROUTES (declare who may use them): "
    assert not missing, where + ", ".join(missing)


def test_the_table_has_no_stale_rows(app):
    routes = set(app_routes(app))
    stale = [f"{e} {m}" for e, m in ROUTES if (e, m) not in routes]
    assert not stale, f"ROUTES rows for routes the app no longer has: {stale}"


USERNAMES_HERE = {**USERNAMES, "tadmin": "gaotan.admin", "grp": "grp"}


def _client(app, caller: str, objects: dict, api: bool):
    """A client for the caller: a signed-in session for pages, a Bearer token for the API, made with the
    test world (`builders._credentials`) or, for a user added by the test, by logging in."""
    client = app.test_client()
    if caller == "anon":
        return client, {}
    username = USERNAMES_HERE[caller]
    if username not in objects["credentials"]:
        api_client = ApiClient(client).as_user(username)
        resp = client.post("/login", data={"username": username, "password": "pass-word-1"})
        assert resp.status_code == 302, resp.status_code
        return client, api_client.headers
    user_id, key, token = objects["credentials"][username]
    if api:
        return client, {"Authorization": f"Bearer {token}"}
    with client.session_transaction() as sess:
        sess.update({"_user_id": user_id, "_fresh": True, sessions.SESSION_KEY: key})
    return client, {}


def _request(app, caller, endpoint, method, route, objects):
    url = route_url(app, endpoint, route, objects)
    client, headers = _client(app, caller, objects, url.startswith("/api/"))
    data = fill_body(route.data, objects) if route.data is not None else None
    if route.confirm:  # past its confirmation page, as its 确定 posts (tests/test_confirmations.py: without)
        data = {**(data or {}), "confirmed": "1"}
    if url.startswith("/api/"):
        if data and "project_id" in data:
            data["project_id"] = int(data["project_id"])
        if data and any(isinstance(v, tuple) for v in data.values()):  # a file: multipart, with the token
            return url, client.open(url, method=method, data=data, headers=headers)
        body = (data or {}) if method != "GET" else None
        return url, client.open(url, method=method, json=body, headers=headers)
    return url, client.open(url, method=method, data=data)


def outcome(resp, url: str, logged_in: bool = True) -> str:
    """The observed outcome of a response, in the table's terms (a logout also ends on /login)."""
    status = resp.status_code
    if status >= 500:
        return f"5xx({status})"
    if status == 401 and url.startswith("/api/"):
        return "L"
    location = resp.headers.get("Location", "") if status in (301, 302, 303) else ""
    if location.startswith("/login?next=") or (location == "/login" and not logged_in):
        return "L"
    if status in (403, 404, 409, 422):
        return str(status)
    if status == 401:
        return "401"
    return "ok"


def matches(expected: str, observed: str) -> bool:
    if expected == "ok":
        return observed in ("ok", "409", "422")
    return observed == expected or (expected == "-" and observed in ("403", "404"))


SAFE = {"GET"}
GET_ROUTES = sorted(k for k in ROUTES if k[1] in SAFE)
WRITE_CASES = [(e, m, c) for (e, m) in sorted(ROUTES) if m not in SAFE for c in CALLERS]


@pytest.mark.parametrize(("endpoint", "method"), GET_ROUTES, ids=[f"{e}-{m}" for e, m in GET_ROUTES])
def test_reading(app, objects, endpoint, method):
    """Every caller on a page or API read: the declared outcome, and a refusal writes nothing."""
    route = ROUTES[(endpoint, method)]
    wrong = []
    for caller, expected in route.outcomes().items():
        before = route_state()
        url, resp = _request(app, caller, endpoint, method, route, objects)
        got = outcome(resp, url, caller != "anon")
        if not matches(expected, got):
            wrong.append(f"{caller}: expected {expected}, got {got} ({url})")
        elif expected != "ok":
            assert route_state() == before, f"{caller} {url} was refused but wrote"
    assert not wrong, f"{endpoint} {method}: " + "; ".join(wrong)


@pytest.mark.parametrize(("endpoint", "method", "caller"), WRITE_CASES, ids=[f"{e}-{m}-{c}" for e, m, c in WRITE_CASES])
def test_writing(app, objects, endpoint, method, caller):
    """One caller on a state-changing route: the declared outcome; a refusal writes nothing."""
    route = ROUTES[(endpoint, method)]
    expected = route.outcomes()[caller]
    before = route_state()
    url, resp = _request(app, caller, endpoint, method, route, objects)
    got = outcome(resp, url, caller != "anon")
    assert matches(expected, got), f"{endpoint} {method} as {caller}: expected {expected}, got {got} ({url})"
    if expected != "ok":
        assert route_state() == before, f"{caller} {url} was refused but wrote"


# ---- delegation: 高潭镇's admin, inside and outside the town ------------------------------------

# (endpoint, method, URL args, body, outcome) for 高潭镇's admin: 中洞村 (village) is in the town,
# 八维村 (village2) and the county are not.
TOWN_ADMIN = [
    ("areas.tree", "GET", {}, None, "ok"),
    ("areas.edit", "GET", {"code": "village"}, None, "ok"),
    ("areas.edit", "POST", {"code": "village2"}, {"name": "改名村"}, "403"),
    ("areas.retire", "POST", {"code": "village2"}, None, "403"),
    ("orgs.edit_cooperative", "GET", {"coop_id": "coop"}, None, "ok"),
    ("api.change_area", "PATCH", {"area_code": "village2"}, {"name": "改名村"}, "403"),
    ("api.create_area", "POST", {}, {"code": "441323107209", "name": "新村"}, "403"),
    (
        "api.create_cooperative",
        "POST",
        {},
        {"name": "新社", "credit_code": credit_code(8), "village": "{village2}"},
        "403",
    ),
    ("api.list_users", "GET", {}, None, "ok"),
    ("api.create_user", "POST", {}, USER_JSON, "ok"),
    ("api.create_user", "POST", {}, {**USER_JSON, "area": "{village2}"}, "422"),
    ("api.change_user", "PATCH", {"username": "acc"}, {"display_name": "李会计"}, "ok"),
    ("api.change_user", "PATCH", {"username": "acc2"}, {"display_name": "李会计"}, "404"),
    ("api.reset_user_password", "POST", {"username": "admin"}, None, "404"),
    ("users.user_list", "GET", {}, None, "ok"),
    ("users.edit", "GET", {"username": "acc"}, None, "ok"),
    ("users.edit", "GET", {"username": "acc2"}, None, "404"),
    ("users.deactivate", "POST", {"username": "acc2"}, None, "404"),
    ("users.new", "POST", {}, {**USER_FORM, "area": "{village2}"}, "422"),
]


@pytest.mark.parametrize(("endpoint", "method", "args", "data", "expected"), TOWN_ADMIN)
def test_a_town_admin(app, objects, endpoint, method, args, data, expected):
    """A town's admin manages that town only: outside it, refused and nothing written."""
    add_user("gaotan.admin", "admin", World.load(objects["world"]).town_a)
    db.session.commit()
    route = Route(" ".join([expected] * len(CALLERS)), args, data)
    before = route_state()
    url, resp = _request(app, "tadmin", endpoint, method, route, objects)
    got = outcome(resp, url)
    assert got == expected, f"{endpoint} {method} {url}: expected {expected}, got {got}"
    if expected != "ok":
        assert route_state() == before


# ---- the town agency accountant (镇三资代理会计) of 高潭镇, 中洞村's town ---------------------------

# (endpoint, method, URL args, body, outcome): the town's queue and decisions are theirs; the village's
# own work (entries, the secretary's review, closing months, plans) is not; a submitted entry is the
# secretary's first (409 from the API; a page flashes the refusal and goes back).
TOWN_ACCOUNTANT = [
    ("auth.home", "GET", {}, None, "ok"),
    ("town.queue", "GET", {}, None, "ok"),
    ("town.approve_reopening", "POST", {"reopening_id": "reopening"}, None, "ok"),
    ("town.refuse_reopening", "POST", {"reopening_id": "reopening"}, REASON, "ok"),
    ("api.approve_reopening", "POST", {"reopening_id": "reopening"}, None, "ok"),
    ("api.refuse_reopening", "POST", {"reopening_id": "reopening"}, REASON, "ok"),
    ("api.list_reopenings", "GET", {}, None, "ok"),
    ("api.close_month", "POST", {}, {"period": "{period}", "village": "{village}"}, "403"),
    ("ledger.entry", "GET", {"entry_id": "submitted"}, None, "ok"),
    ("review.approve", "POST", {"entry_id": "submitted"}, None, "ok"),
    ("review.return_entry", "POST", {"entry_id": "submitted"}, REASON, "ok"),
    ("api.approve_entry", "POST", {"entry_id": "submitted"}, None, "409"),
    ("api.return_entry", "POST", {"entry_id": "submitted"}, REASON, "409"),
    ("api.list_entries", "GET", {}, None, "ok"),
    ("distributions.plan", "GET", {"plan_id": "draft_plan"}, None, "ok"),
    ("distributions.town_approve", "POST", {"plan_id": "draft_plan"}, None, "ok"),
    ("api.town_approve_plan", "POST", {"plan_id": "draft_plan"}, None, "409"),  # the secretary's first
    ("api.town_return_plan", "POST", {"plan_id": "draft_plan"}, REASON, "409"),
    ("distributions.town_return", "POST", {"plan_id": "draft_plan"}, REASON, "ok"),
    ("distributions.approve", "POST", {"plan_id": "draft_plan"}, None, "403"),
    ("review.queue", "GET", {}, None, "403"),
    ("review.months", "GET", {}, None, "403"),
    ("review.reopen_month", "POST", {}, REASON, "403"),
    ("ledger.new_entry", "GET", {}, None, "403"),
    ("api.create_entry", "POST", {}, ENTRY_JSON, "403"),
    ("users.user_list", "GET", {}, None, "403"),
]


@pytest.mark.parametrize(("endpoint", "method", "args", "data", "expected"), TOWN_ACCOUNTANT)
def test_a_town_accountant(app, objects, endpoint, method, args, data, expected):
    """高潭镇's agency accountant (made with the objects): the town's decisions, not the village's own work;
    a refusal writes nothing."""
    route = Route(" ".join([expected] * len(CALLERS)), args, data)
    before = route_state()
    url, resp = _request(app, "tacc", endpoint, method, route, objects)
    got = outcome(resp, url)
    assert got == expected, f"{endpoint} {method} {url}: expected {expected}, got {got}"
    if expected != "ok":
        assert route_state() == before


# ---- the group leader (村民小组长): 中洞一组's, a group of 中洞村 ---------------------------------------

# The routes' objects are 中洞村's own, none of them in a group's books: a group leader, who reads
# only their group's, is refused wherever the foreign village's accountant (acc2) is, and writes
# nothing anywhere — except the public routes (anyone may use them) and their own account's.
OWN_ACCOUNT = {"auth.logout", "auth.change_password", "auth.login", "api.create_token", "api.delete_token"}
REFUSED = ("L", "403", "404", "-")
ALL_ROUTES = sorted(ROUTES)


# Every route once more, as one more role: its scope rule (scope.village_rows_clause, record_area) is
# the same SQL on both databases and the group books' own tests run on both, so the sweep runs once.
@pytest.mark.sqlite_run
@pytest.mark.parametrize(("endpoint", "method"), ALL_ROUTES, ids=[f"{e}-{m}" for e, m in ALL_ROUTES])
def test_a_group_leader(app, objects, endpoint, method):
    """Refused where acc2 is refused (never shown 中洞村's entries, plans or pages), and never writes."""
    add_user("grp", "group_leader", World.load(objects["world"]).group)
    db.session.commit()
    route = ROUTES[(endpoint, method)]
    foreign = route.outcomes()["acc2"]
    before = route_state()
    url, resp = _request(app, "grp", endpoint, method, route, objects)
    got = outcome(resp, url)
    if foreign in REFUSED and foreign != "L":
        assert matches(foreign, got) or got in ("403", "404"), f"{endpoint} {method} as grp: {got} ({url})"
    assert not got.startswith("5"), f"{endpoint} {method} as grp: {got} ({url})"
    if route.outcomes()["anon"] != "ok" and endpoint not in OWN_ACCOUNT:
        assert route_state() == before, f"grp {method} {url} wrote ({got})"
