"""The access matrix over EVERY route of `app.url_map` (web and API), for every role and a foreign village.

Each (endpoint, method) of the app must have a row in ROUTES declaring what each of the
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

URL arguments come from the test world (`objects` below): ids and codes of 中洞村, the
village of acc/sec, so acc2/sec2 are the foreign village's users. Every request a row does
not let in (L, 403, 404, -, 422) must leave the ledger, the plans, the objections, the
projects, the households and the audit chain exactly as they were.

A new route: add `("blueprint.endpoint", "METHOD"): R("L ok ok …", {"url_arg": "objects key"}, body)`.
"""

import io
from dataclasses import dataclass, field

import pytest
from flask import url_for
from sqlalchemy import func, select

from coopapp.distributions import objections
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import (
    AuditEvent,
    Cooperative,
    Distribution,
    Household,
    LedgerEntry,
    Objection,
    PartyOrg,
    Project,
    ProjectTarget,
)
from coopapp.villages import party_orgs

from .builders import ApiClient, approved_entry, credit_code, entry_input, publish

CALLERS = ("anon", "acc", "sec", "town", "county", "admin", "acc2", "sec2")
USERNAMES = {"acc": "acc", "sec": "sec", "town": "town", "county": "county", "admin": "admin"}
USERNAMES |= {"acc2": "acc2", "sec2": "sec2"}
PUBLIC = "ok ok ok ok ok ok ok ok"


@dataclass
class Route:
    """One row: expectations for CALLERS, URL arguments (names of `objects`), a form/JSON body."""

    expect: str
    args: dict = field(default_factory=dict)
    data: dict | None = None
    query: str = ""

    def outcomes(self) -> dict[str, str]:
        tokens = self.expect.split()
        assert len(tokens) == len(CALLERS), f"{self.expect!r}: one outcome per caller {CALLERS}"
        return dict(zip(CALLERS, tokens, strict=True))


R = Route
# Bodies (values in braces are filled from `objects`).
ENTRY_FORM = {"project_id": "{project}", "period": "{period}", "kind": "sales", "amount": "100"}
ENTRY_JSON = {"project_id": "{project}", "period": "{period}", "kind": "sales", "amount": "100.00"}
PROJECT_FORM = {"name": "新项目", "type": "other"}
HOUSEHOLD_FORM = {"head_name": "新户", "members": "2"}
REASON = {"reason": "重复登记"}
PLAN_FORM = {
    "project_id": "{project}",
    "period": "{period}",
    "pool": "1000",
    "basis": "equal",
    "households-0-household_id": "{household}",
    "households-1-household_id": "{household2}",
}
UPLOAD = {"project_id": "{project}", "file": "@upload.csv"}  # "@name": a small CSV file
CONFIRM = {"project_id": "{project}", "sha": "0" * 64, "suffix": ".csv", "file_name": "x.csv"}
PLAN_JSON = {"project_id": "{project}", "period": "{period}", "pool": "1000.00", "basis": "equal"}

# (endpoint, method) → Route. Columns: anon acc sec town county admin acc2 sec2
ROUTES: dict[tuple[str, str], Route] = {
    # ---- public: no login needed --------------------------------------------------------
    ("static", "GET"): R(PUBLIC, {"filename": "app.css"}),
    ("auth.login", "GET"): R(PUBLIC),
    ("auth.login", "POST"): R(PUBLIC, data={"username": "nobody", "password": "wrong-pass-1"}),
    ("auth.set_language", "POST"): R(PUBLIC, {"code": "en"}),
    ("public.statement", "GET"): R(PUBLIC, {"token": "token"}),
    ("public.raise_objection", "POST"): R(PUBLIC, {"token": "token"}, {"distribution_id": "{plan}", "text": "异议"}),
    ("public.village", "GET"): R(PUBLIC, {"code": "village"}),  # 村务公开, no login
    ("api.openapi", "GET"): R(PUBLIC),
    # ---- auth -------------------------------------------------------------------------
    ("auth.home", "GET"): R("L ok ok ok ok ok ok ok"),
    ("auth.logout", "POST"): R("L ok ok ok ok ok ok ok"),
    ("auth.change_password", "GET"): R("L ok ok ok ok ok ok ok"),
    ("auth.change_password", "POST"): R("L ok ok ok ok ok ok ok", data={"current_password": "wrong-pass-1"}),
    # ---- ledger (the accountant keeps it) -----------------------------------------------
    ("ledger.entries", "GET"): R("L ok ok ok ok ok ok ok"),
    ("ledger.export", "GET"): R("L ok ok ok ok ok ok ok", {"fmt": "csv"}),
    ("ledger.new_entry", "GET"): R("L ok 403 403 403 403 ok 403"),
    ("ledger.new_entry", "POST"): R("L ok 403 403 403 403 - 403", data=ENTRY_FORM),
    ("ledger.entry", "GET"): R("L ok ok ok ok ok - -", {"entry_id": "draft"}),
    ("ledger.edit_entry", "GET"): R("L ok 403 403 403 403 - -", {"entry_id": "draft"}),
    ("ledger.edit_entry", "POST"): R("L ok 403 403 403 403 - -", {"entry_id": "draft"}, ENTRY_FORM),
    ("ledger.submit", "POST"): R("L ok 403 403 403 403 - -", {"entry_id": "draft"}),
    ("ledger.void", "POST"): R("L ok 403 403 403 403 - -", {"entry_id": "draft"}),
    ("ledger.reverse", "POST"): R("L ok 403 403 403 403 - -", {"entry_id": "approved"}, REASON),
    # ---- review (the secretary) ---------------------------------------------------------
    ("review.queue", "GET"): R("L 403 ok 403 403 403 403 ok"),
    ("review.approve", "POST"): R("L 403 ok 403 403 403 - -", {"entry_id": "submitted"}),
    ("review.return_entry", "POST"): R("L 403 ok 403 403 403 - -", {"entry_id": "submitted"}, REASON),
    ("review.months", "GET"): R("L 403 ok 403 403 403 403 ok"),
    ("review.months", "POST"): R("L 403 ok 403 403 403 403 ok", data={"period": "{period}"}),
    # ---- the village's projects, households, objections -----------------------------------
    ("village.projects", "GET"): R("L ok ok ok ok ok 403 403", query="village={village}"),
    ("village.new_project", "GET"): R("L 403 ok 403 403 403 403 ok"),
    ("village.new_project", "POST"): R("L 403 ok 403 403 403 403 ok", data=PROJECT_FORM),
    ("village.edit_project", "GET"): R("L 403 ok 403 403 403 - -", {"project_id": "project"}),
    ("village.edit_project", "POST"): R("L 403 ok 403 403 403 - -", {"project_id": "project"}, PROJECT_FORM),
    ("village.households", "GET"): R("L ok ok ok ok ok 403 403", query="village={village}"),
    ("village.household", "GET"): R("L ok ok ok ok ok - -", {"household_id": "household"}),
    ("village.new_household", "GET"): R("L 403 ok 403 403 403 403 ok"),
    ("village.new_household", "POST"): R("L 403 ok 403 403 403 403 ok", data=HOUSEHOLD_FORM),
    ("village.edit_household", "GET"): R("L 403 ok 403 403 403 - -", {"household_id": "household"}),
    ("village.edit_household", "POST"): R("L 403 ok 403 403 403 - -", {"household_id": "household"}, HOUSEHOLD_FORM),
    ("village.change_shares", "POST"): R(
        "L 403 ok 403 403 403 - -",
        {"household_id": "household3"},
        {"cooperative_id": "{coop}", "shares": "3", "since": "{today}"},
    ),
    ("village.statement", "GET"): R("L ok ok ok ok ok - -", {"household_id": "household"}),
    ("village.reissue_public_link", "POST"): R("L 403 ok 403 403 403 - -", {"household_id": "household"}),
    ("village.objections_queue", "GET"): R("L ok ok 403 403 403 ok ok"),
    ("village.answer_objection", "POST"): R(
        "L 403 ok 403 403 403 - -", {"objection_id": "objection"}, {"outcome": "rejected", "answer": "不改"}
    ),
    ("village.export_households", "GET"): R("L ok ok ok ok ok 403 403", {"fmt": "csv"}, query="village={village}"),
    # ---- disclosure: the notice board sheet, the annual report, the calendar ---------------
    ("disclosure.calendar", "GET"): R("L ok ok ok ok ok ok ok"),  # the caller's own scope by default
    ("disclosure.notice", "GET"): R("L ok ok ok ok ok 403 403", {"code": "village"}),
    ("disclosure.notice_pdf", "GET"): R("L ok ok ok ok ok 403 403", {"code": "village"}),
    ("disclosure.annual", "GET"): R("L ok ok ok ok ok 403 403", {"code": "village"}),
    ("disclosure.annual_pdf", "GET"): R("L ok ok ok ok ok 403 403", {"code": "village"}),
    ("disclosure.publish", "POST"): R("L 403 ok 403 403 403 403 403", {"code": "village"}, {"period": "{period}"}),
    # ---- distributions --------------------------------------------------------------------
    ("distributions.plans", "GET"): R("L ok ok ok ok ok ok ok"),
    ("distributions.new_plan", "GET"): R("L 403 ok 403 403 403 403 ok"),
    ("distributions.new_plan", "POST"): R("L 403 ok 403 403 403 403 -", data=PLAN_FORM),
    ("distributions.plan", "GET"): R("L ok ok ok ok ok - -", {"plan_id": "draft_plan"}),
    ("distributions.approve", "POST"): R("L 403 ok 403 403 403 - -", {"plan_id": "draft_plan"}),
    ("distributions.publish", "POST"): R("L 403 ok 403 403 403 - -", {"plan_id": "draft_plan"}),
    ("distributions.delete", "POST"): R("L 403 ok 403 403 403 - -", {"plan_id": "draft_plan"}),
    ("distributions.reverse", "POST"): R("L 403 ok 403 403 403 - -", {"plan_id": "plan"}, REASON),
    # ---- imports ------------------------------------------------------------------------
    ("imports.upload_ledger", "GET"): R("L ok 403 403 403 403 ok 403"),
    ("imports.upload_ledger", "POST"): R("L ok 403 403 403 403 422 403", data=UPLOAD),
    ("imports.confirm_ledger", "POST"): R("L ok 403 403 403 403 - 403", data=CONFIRM),
    ("imports.upload_households", "GET"): R("L 403 ok 403 403 403 403 ok"),
    ("imports.upload_households", "POST"): R("L 403 ok 403 403 403 403 ok", data={"file": "@roster.csv"}),
    ("imports.confirm_households", "POST"): R("L 403 ok 403 403 403 403 ok", data=CONFIRM),
    ("imports.batch", "GET"): R("L ok 403 403 403 403 - -", {"batch_id": "batch"}),
    ("imports.submit_batch", "POST"): R("L ok 403 403 403 403 - -", {"batch_id": "batch"}),
    # ---- reports, dashboards, charts, exports ----------------------------------------------
    ("reports.dashboard_home", "GET"): R("L ok ok ok ok ok ok ok"),
    ("reports.areas", "GET"): R("L ok ok ok ok ok ok ok"),
    ("reports.export", "GET"): R("L ok ok ok ok ok ok ok", {"fmt": "csv"}),
    ("reports.village", "GET"): R("L ok ok ok ok ok 403 403", {"code": "village"}),
    ("reports.project", "GET"): R("L ok ok ok ok ok - -", {"project_id": "project"}),
    ("charts.compare", "GET"): R("L ok ok ok ok ok ok ok", {"fmt": "svg"}),
    ("charts.project_output", "GET"): R("L ok ok ok ok ok - -", {"project_id": "project", "fmt": "svg"}),
    ("charts.project_yield", "GET"): R("L ok ok ok ok ok - -", {"project_id": "project", "fmt": "svg"}),
    ("charts.village_benefit", "GET"): R("L ok ok ok ok ok - -", {"code": "village", "fmt": "svg"}),
    ("orgs.party_orgs_list", "GET"): R("L 403 403 403 403 ok 403 403"),
    ("orgs.new_party_org", "GET"): R("L 403 403 403 403 ok 403 403"),
    ("orgs.new_party_org", "POST"): R(
        "L 403 403 403 403 ok 403 403", data={"name": "新党支部", "kind": "branch", "area": "{village}"}
    ),
    ("orgs.upgrade_party_org", "GET"): R("L 403 403 403 403 ok 403 403", {"org_id": "party_org"}),
    ("orgs.upgrade_party_org", "POST"): R(
        "L 403 403 403 403 ok 403 403", {"org_id": "party_org"}, {"kind": "general_branch", "date": "{today}"}
    ),
    ("orgs.cooperatives_list", "GET"): R("L 403 403 403 403 ok 403 403"),
    ("orgs.new_cooperative", "GET"): R("L 403 403 403 403 ok 403 403"),
    ("orgs.new_cooperative", "POST"): R(
        "L 403 403 403 403 ok 403 403", data={"name": "新合作社", "credit_code": credit_code(7), "village": "{village}"}
    ),
    ("orgs.edit_cooperative", "GET"): R("L 403 403 403 403 ok 403 403", {"coop_id": "coop"}),
    ("orgs.edit_cooperative", "POST"): R(
        "L 403 403 403 403 ok 403 403",
        {"coop_id": "coop"},
        {"name": "改名社", "credit_code": credit_code(1), "village": "{village}"},
    ),
    ("areas.tree", "GET"): R("L 403 403 403 403 ok 403 403"),
    ("areas.new", "GET"): R("L 403 403 403 403 ok 403 403"),
    ("areas.new", "POST"): R("L 403 403 403 403 ok 403 403", data={"code": "441323110209", "name": "新村"}),
    ("areas.edit", "GET"): R("L 403 403 403 403 ok 403 403", {"code": "village2"}),
    ("areas.edit", "POST"): R("L 403 403 403 403 ok 403 403", {"code": "village2"}, {"name": "改名村"}),
    ("areas.retire", "POST"): R("L 403 403 403 403 ok 403 403", {"code": "village2"}),
    ("areas.merge", "GET"): R("L 403 403 403 403 ok 403 403", {"code": "village2"}),
    ("areas.merge", "POST"): R("L 403 403 403 403 ok 403 403", {"code": "village2"}, {"merged_into": "{village}"}),
    ("areas.upload", "GET"): R("L 403 403 403 403 ok 403 403"),
    ("areas.upload", "POST"): R("L 403 403 403 403 ok 403 403", data={"file": "@areas.csv"}),
    ("areas.confirm_upload", "POST"): R("L 403 403 403 403 ok 403 403", data=CONFIRM),
    ("user_unlock.confirm", "GET"): R("L 403 403 403 403 ok 403 403", {"username": "acc"}),
    ("user_unlock.unlock", "POST"): R("L 403 403 403 403 ok 403 403", {"username": "acc"}),
    # ---- API ------------------------------------------------------------------------------
    ("api.create_token", "POST"): R(PUBLIC, data={"username": "acc", "password": "pass-word-1"}),
    ("api.revoke_token", "DELETE"): R("L ok ok ok ok ok ok ok"),
    ("api.unlock_user", "POST"): R("L 403 403 403 403 ok 403 403", {"username": "acc"}),
    ("api.list_areas", "GET"): R("L ok ok ok ok ok ok ok"),
    ("api.create_area", "POST"): R("L 403 403 403 403 ok 403 403", data={"code": "441323110209", "name": "新村"}),
    ("api.change_area", "PATCH"): R("L 403 403 403 403 ok 403 403", {"area_code": "village2"}, {"name": "改名村"}),
    ("api.compare", "GET"): R("L ok ok ok ok ok ok ok"),  # the caller's own scope by default
    ("api.village_summary", "GET"): R("L ok ok ok ok ok 403 403", {"code": "village"}),
    ("api.list_projects", "GET"): R("L ok ok ok ok ok ok ok"),
    ("api.create_project", "POST"): R("L 403 ok 403 403 403 403 403", data={**PROJECT_FORM, "village": "{village}"}),
    ("api.set_project_target", "PUT"): R(
        "L 403 ok 403 403 ok 403 403", {"project_id": "project", "year": "year"}, {"output": "20万"}
    ),
    ("api.list_cooperatives", "GET"): R("L ok ok ok ok ok ok ok"),
    ("api.create_cooperative", "POST"): R(
        "L 403 403 403 403 ok 403 403", data={"name": "新合作社", "credit_code": credit_code(7), "village": "{village}"}
    ),
    ("api.list_party_orgs", "GET"): R("L ok ok ok ok ok ok ok"),
    ("api.create_party_org", "POST"): R(
        "L 403 403 403 403 ok 403 403", data={"name": "新党支部", "kind": "branch", "area": "{village}"}
    ),
    ("api.upgrade_party_org", "POST"): R(
        "L 403 403 403 403 ok 403 403", {"org_id": "party_org"}, {"kind": "general_branch", "date": "{today}"}
    ),
    ("api.list_households", "GET"): R("L ok ok ok ok ok ok ok"),
    ("api.create_household", "POST"): R(
        "L 403 ok 403 403 403 403 403", data={**HOUSEHOLD_FORM, "members": 2, "village": "{village}"}
    ),
    ("api.list_entries", "GET"): R("L ok ok ok ok ok ok ok"),
    ("api.create_entry", "POST"): R("L ok 403 403 403 403 - -", data=ENTRY_JSON),
    ("api.get_entry", "GET"): R("L ok ok ok ok ok - -", {"entry_id": "draft"}),
    ("api.update_entry", "PUT"): R("L ok 403 403 403 403 - -", {"entry_id": "draft"}, ENTRY_JSON),
    ("api.submit_entry", "POST"): R("L ok 403 403 403 403 - -", {"entry_id": "draft"}),
    ("api.approve_entry", "POST"): R("L 403 ok 403 403 403 - -", {"entry_id": "submitted"}),
    ("api.return_entry", "POST"): R("L 403 ok 403 403 403 - -", {"entry_id": "submitted"}, REASON),
    ("api.reverse_entry", "POST"): R("L ok 403 403 403 403 - -", {"entry_id": "approved"}, REASON),
    ("api.list_plans", "GET"): R("L ok ok ok ok ok ok ok"),
    ("api.draft_plan", "POST"): R("L 403 ok 403 403 403 - -", data=PLAN_JSON),
    ("api.get_plan", "GET"): R("L ok ok ok ok ok - -", {"plan_id": "draft_plan"}),
    ("api.approve_plan", "POST"): R("L 403 ok 403 403 403 - -", {"plan_id": "draft_plan"}),
    ("api.publish_plan", "POST"): R("L 403 ok 403 403 403 - -", {"plan_id": "draft_plan"}),
    ("api.reverse_plan", "POST"): R("L 403 ok 403 403 403 - -", {"plan_id": "plan"}, REASON),
    ("api.delete_plan", "DELETE"): R("L 403 ok 403 403 403 - -", {"plan_id": "draft_plan"}),
}
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def app_routes(app) -> list[tuple[str, str]]:
    """Every (endpoint, method) the app answers."""
    pairs = {(rule.endpoint, m) for rule in app.url_map.iter_rules() for m in rule.methods - IGNORED_METHODS}
    return sorted(pairs)


def test_every_route_is_in_the_table(app):
    missing = [f"{endpoint} {method}" for endpoint, method in app_routes(app) if (endpoint, method) not in ROUTES]
    assert not missing, (
        "routes without a row in tests/test_access_matrix.py ROUTES (declare who may use them): " + ", ".join(missing)
    )


def test_the_table_has_no_stale_rows(app):
    routes = set(app_routes(app))
    stale = [f"{e} {m}" for e, m in ROUTES if (e, m) not in routes]
    assert not stale, f"ROUTES rows for routes the app no longer has: {stale}"


# ---- the world the URLs point into -------------------------------------------------------


def _csv_batch(world, tmp_path):
    """A ledger import batch of 中洞村's project (one draft)."""
    from coopapp.imports.ledger import import_ledger

    path = tmp_path / "batch.csv"
    path.write_text(f"日期,类别,金额\n{ledger.today().replace(day=1).isoformat()},销售收入,12.00\n", encoding="utf-8")
    report = import_ledger(world.users["accountant"], world.project, path, "batch.csv")
    assert report.ok, report
    return report.batch_id


@pytest.fixture()
def objects(app, world, tmp_path, monkeypatch) -> dict:
    """Ids and codes of 中洞村 (the own village of acc/sec) in every state the routes act on."""
    from coopapp.distributions import plans as distributions
    from coopapp.distributions.plans import PlanInput

    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setitem(app.config, "PDF_CHROMIUM", "")  # a PDF falls back to its print page: access is the same
    acc = world.users["accountant"]
    draft = ledger.create_entry(acc, entry_input(world.project, amount_fen=11_00))
    submitted = ledger.create_entry(acc, entry_input(world.project, amount_fen=22_00))
    ledger.submit_entry(acc, submitted)
    approved = approved_entry(world, amount_fen=33_00)
    plan = publish(world)  # a published plan and one objection to it
    objection = objections.raise_objection(world.households[0], plan.id, "金额不对")
    draft_plan = distributions.draft_plan(
        world.users["secretary"],
        PlanInput(project_id=world.project.id, period=ledger.current_period(), pool_fen=500_00, basis="equal"),
    )
    return {
        "draft": draft.id,
        "submitted": submitted.id,
        "approved": approved.id,
        "project": world.project.id,
        "coop": world.cooperative.id,
        "household": world.households[0].id,
        "household2": world.households[1].id,
        "household3": world.households[2].id,
        "village": world.village.code,
        "village2": world.other_village.code,
        "period": draft.period,
        "today": ledger.today().isoformat(),
        "year": ledger.today().year,
        "party_org": party_orgs.create_party_org(
            world.users["admin"], party_orgs.PartyOrgInput("中洞村党支部", "branch", world.village.code)
        ).id,
        "plan": plan.id,
        "draft_plan": draft_plan.id,
        "objection": objection.id,
        "batch": _csv_batch(world, tmp_path),
        "token": world.households[0].public_token,
    }


def written() -> tuple:
    """What a refused request must leave untouched."""
    db.session.rollback()
    # Logging the caller in issues a Bearer token, which the chain records: not the request's doing.
    events = db.session.scalar(select(func.count()).where(AuditEvent.object_type != "api_token"))
    counts = (events,) + tuple(
        db.session.scalar(select(func.count()).select_from(m))
        for m in (
            LedgerEntry,
            Distribution,
            Objection,
            Project,
            ProjectTarget,
            Cooperative,
            PartyOrg,
            Household,
        )
    )
    states = tuple(db.session.execute(select(LedgerEntry.id, LedgerEntry.status).order_by(LedgerEntry.id)).all())
    plans = tuple(db.session.execute(select(Distribution.id, Distribution.status).order_by(Distribution.id)).all())
    return counts, states, plans


UPLOAD_CSV = "日期,类别,金额\n2024-03-05,销售收入,1.00\n".encode()


def _fill(value, objects: dict):
    if isinstance(value, str) and value.startswith("@"):
        return (io.BytesIO(UPLOAD_CSV), value[1:])
    if isinstance(value, str):
        return value.format(**objects)
    if isinstance(value, dict):
        return {k: _fill(v, objects) for k, v in value.items()}
    return value


def _url(app, endpoint: str, route: Route, objects: dict) -> str:
    values = {name: objects.get(key, key) for name, key in route.args.items()}
    with app.test_request_context():
        url = url_for(endpoint, **values)
    return url + (f"?{route.query.format(**objects)}" if route.query else "")


def _client(app, caller: str):
    """A client for the caller: a session login for pages, a Bearer token for the API."""
    client = app.test_client()
    if caller == "anon":
        return client, {}
    api = ApiClient(client).as_user(USERNAMES[caller])
    resp = client.post("/login", data={"username": USERNAMES[caller], "password": "pass-word-1"})
    assert resp.status_code == 302, resp.status_code
    return client, api.headers


def _request(app, caller, endpoint, method, route, objects):
    client, headers = _client(app, caller)
    url = _url(app, endpoint, route, objects)
    data = _fill(route.data, objects) if route.data is not None else None
    if url.startswith("/api/"):
        if data and "project_id" in data:
            data["project_id"] = int(data["project_id"])
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
        before = written()
        url, resp = _request(app, caller, endpoint, method, route, objects)
        got = outcome(resp, url, caller != "anon")
        if not matches(expected, got):
            wrong.append(f"{caller}: expected {expected}, got {got} ({url})")
        elif expected != "ok":
            assert written() == before, f"{caller} {url} was refused but wrote"
    assert not wrong, f"{endpoint} {method}: " + "; ".join(wrong)


@pytest.mark.parametrize(("endpoint", "method", "caller"), WRITE_CASES, ids=[f"{e}-{m}-{c}" for e, m, c in WRITE_CASES])
def test_writing(app, objects, endpoint, method, caller):
    """One caller on a state-changing route: the declared outcome; a refusal writes nothing."""
    route = ROUTES[(endpoint, method)]
    expected = route.outcomes()[caller]
    before = written()
    url, resp = _request(app, caller, endpoint, method, route, objects)
    got = outcome(resp, url, caller != "anon")
    assert matches(expected, got), f"{endpoint} {method} as {caller}: expected {expected}, got {got} ({url})"
    if expected != "ok":
        assert written() == before, f"{caller} {url} was refused but wrote"
