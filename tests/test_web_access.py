"""Who may open which page and press which button: role × route × own/other village."""

import pytest
from sqlalchemy import func, select

from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import AuditEvent, ClosedMonth, Household, LedgerEntry, Project

from .builders import approved_entry, built_world, entry_input

GET_PAGES = [
    "/entries",
    "/entries/new",
    "/entries/{draft}",
    "/entries/{draft}/edit",
    "/review",
    "/months",
    "/village/projects",
    "/village/projects/new",
    "/village/projects/{project}/edit",
    "/village/households",
    "/village/households/new",
    "/village/households/{household}/edit",
    "/areas",
    "/villages/{village}",
]
POSTS = [
    ("/entries/new", {"project_id": "{project}", "period": "{period}", "kind": "sales", "amount": "100"}),
    ("/entries/{draft}/edit", {"project_id": "{project}", "period": "{period}", "kind": "sales", "amount": "7"}),
    ("/entries/{draft}/submit", {}),
    ("/entries/{draft}/void", {}),
    ("/entries/{submitted}/approve", {}),
    ("/entries/{submitted}/return", {"reason": "不对"}),
    ("/entries/{approved}/reverse", {"reason": "重复"}),
    ("/months", {"period": "{period}"}),
    ("/village/projects/new", {"name": "新项目", "type": "other"}),
    ("/village/projects/{project}/edit", {"name": "改名", "type": "other"}),
    ("/village/households/new", {"head_name": "新户", "members": "2"}),
    ("/village/households/{household}/edit", {"head_name": "改名", "members": "2"}),
]


def _objects(world) -> dict:
    """A draft, a submitted and an approved entry in the world's own village (中洞村)."""
    acc = world.users["accountant"]
    draft = ledger.create_entry(acc, entry_input(world.project, amount_fen=11_00))
    submitted = ledger.create_entry(acc, entry_input(world.project, amount_fen=22_00))
    ledger.submit_entry(acc, submitted)
    approved = approved_entry(world, amount_fen=33_00)
    return {
        "draft": draft.id,
        "submitted": submitted.id,
        "approved": approved.id,
        "project": world.project.id,
        "household": world.households[0].id,
        "village": world.village.code,
        "period": draft.period,
    }


@pytest.fixture()
def built(db):
    return built_world("web_access", _objects)


@pytest.fixture()
def world(built):
    return built[0]


@pytest.fixture()
def objects(built) -> dict:
    return built[1]


def fill(template: str, objects: dict) -> str:
    return template.format(**objects)


def snapshot() -> tuple:
    """Everything a refused post must leave untouched."""
    entries = db.session.execute(
        select(LedgerEntry.id, LedgerEntry.status, LedgerEntry.amount_fen).order_by(LedgerEntry.id)
    ).all()
    counts = [db.session.scalar(select(func.count()).select_from(m)) for m in (ClosedMonth, AuditEvent)]
    names = db.session.scalars(select(Project.name).order_by(Project.id)).all()
    households = db.session.execute(select(Household.head_name, Household.members).order_by(Household.id)).all()
    db.session.expire_all()
    return entries, counts, names, households


@pytest.mark.parametrize("path", GET_PAGES)
def test_anonymous_is_sent_to_login(objects, client, path):
    resp = client.get(fill(path, objects))
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]


@pytest.mark.parametrize("path, data", POSTS)
def test_anonymous_posts_write_nothing(objects, client, path, data):
    before = snapshot()
    resp = client.post(fill(path, objects), data={k: fill(v, objects) for k, v in data.items()})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert snapshot() == before


# These act on the user's own village whatever is posted, so sec2 may use them (on 八维村).
OWN_VILLAGE_POSTS = {"/months", "/village/projects/new", "/village/households/new"}
# (user, path) pairs that must be refused; every POST is checked to leave the database as it was.
REFUSED_POSTS = (
    # the other village's accountant and secretary on the world's village
    [("acc2", p) for p, _ in POSTS]
    + [("sec2", p) for p, _ in POSTS if p not in OWN_VILLAGE_POSTS]
    # reviewers and admin change nothing
    + [(u, p) for u in ("town", "county", "admin") for p, _ in POSTS]
    # the secretary does not keep the ledger; the accountant does not review or manage
    + [
        ("sec", p)
        for p in (
            "/entries/new",
            "/entries/{draft}/edit",
            "/entries/{draft}/submit",
            "/entries/{draft}/void",
            "/entries/{approved}/reverse",
        )
    ]
    + [
        ("acc", p)
        for p in (
            "/entries/{submitted}/approve",
            "/entries/{submitted}/return",
            "/months",
            "/village/projects/new",
            "/village/projects/{project}/edit",
            "/village/households/new",
            "/village/households/{household}/edit",
        )
    ]
)
POST_DATA = dict(POSTS)


@pytest.mark.parametrize("username, path", REFUSED_POSTS)
def test_refused_posts_are_403_and_write_nothing(objects, client, auth, username, path):
    auth.login(username)
    before = snapshot()
    data = {k: fill(v, objects) for k, v in POST_DATA[path].items()}
    resp = client.post(fill(path, objects), data=data)
    assert resp.status_code == 403, resp.status_code
    assert snapshot() == before


REFUSED_PAGES = (
    [
        ("acc2", p)
        for p in (
            "/entries/{draft}",
            "/entries/{draft}/edit",
            "/village/projects/{project}/edit",
            "/village/households/{household}/edit",
        )
    ]
    + [("sec2", p) for p in ("/entries/{draft}", "/village/households/{household}/edit")]
    + [("town", p) for p in ("/entries/new", "/review", "/months", "/village/projects/new", "/village/households/new")]
    + [("sec", "/entries/new"), ("sec", "/entries/{draft}/edit")]
    + [("acc", p) for p in ("/review", "/months", "/village/projects/new", "/village/households/new")]
)


@pytest.mark.parametrize("username, path", REFUSED_PAGES)
def test_refused_pages(objects, client, auth, username, path):
    auth.login(username)
    resp = client.get(fill(path, objects))
    assert resp.status_code == 403
    assert "无权" in resp.get_data(as_text=True)


ALLOWED_PAGES = {
    "acc": [
        "/entries",
        "/entries/new",
        "/entries/{draft}",
        "/entries/{draft}/edit",
        "/village/projects",
        "/village/households",
        "/areas",
        "/villages/{village}",
    ],
    "sec": [
        "/entries",
        "/entries/{draft}",
        "/review",
        "/months",
        "/village/projects",
        "/village/projects/new",
        "/village/projects/{project}/edit",
        "/village/households",
        "/village/households/new",
        "/village/households/{household}/edit",
        "/areas",
        "/villages/{village}",
    ],
    "town": ["/entries", "/entries/{draft}", "/areas", "/villages/{village}"],
    "county": ["/areas", "/villages/{village}", "/entries/{draft}"],
    "admin": ["/areas", "/villages/{village}"],
}


@pytest.mark.parametrize("username, path", [(u, p) for u, paths in ALLOWED_PAGES.items() for p in paths])
def test_allowed_pages_render(objects, client, auth, username, path):
    auth.login(username)
    resp = client.get(fill(path, objects))
    assert resp.status_code == 200


@pytest.mark.parametrize("username", ["acc2", "sec2"])
def test_other_village_does_not_see_the_entries_or_the_village(objects, client, auth, username):
    auth.login(username)
    listing = client.get("/entries").get_data(as_text=True)
    assert f'/entries/{objects["draft"]}"' not in listing
    assert client.get(f"/villages/{objects['village']}").status_code == 403
    assert "中洞村" not in client.get("/areas").get_data(as_text=True)


def test_town_reviewer_sees_only_its_town(objects, client, auth):
    auth.login("town")
    table = client.get("/areas").get_data(as_text=True)
    assert "中洞村" in table and "甘溪村" in table and "八维村" not in table
    assert client.get("/areas?area=441323107").status_code == 403
    assert client.get("/villages/441323107203").status_code == 403


def test_other_secretary_manages_only_its_own_village(objects, client, auth, world):
    auth.login("sec2")
    client.post("/village/projects/new", data={"name": "八维新项目", "type": "other"})
    project = db.session.scalar(select(Project).where(Project.name == "八维新项目"))
    assert project.village_id == world.other_village.id


def test_unknown_entry_is_404(world, client, auth):
    auth.login("acc")
    assert client.get("/entries/999999").status_code == 404
