"""A session that ends mid-form keeps the form: the post goes to the login page with the reason,
the typed values come back on the form's page after the same user logs in again (not saved by
themselves), never for another user, never after 15 minutes, and never to another site."""

import re
import time

import pytest
from sqlalchemy import func, select

from coopapp import create_app
from coopapp.access import sessions
from coopapp.extensions import db
from coopapp.models import LedgerEntry
from coopapp.web import form_stash

from .builders import entry_form

NOTE = "蜂蜜销售 第二批（吴*代收）"
KEPT = "登录已过期，请重新登录；您填写的内容已保留。"
FORM_PAGE = {"Referer": "http://localhost/entries/new"}


def _entries() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(LedgerEntry))


def _end_sessions_elsewhere(world) -> None:
    """The accountant's sessions end behind this browser's back (a password reset, a logout elsewhere)."""
    sessions.end_sessions(world.users["accountant"])


def _post_after_the_session_ended(world, client, auth, **form):
    assert auth.login("acc").status_code == 302
    assert client.get("/entries/new").status_code == 200
    _end_sessions_elsewhere(world)
    return client.post("/entries/new", data=entry_form(world, note=NOTE, **form), headers=FORM_PAGE)


def test_the_typed_entry_survives_a_login_and_is_not_saved_by_itself(world, client, auth):
    before = _entries()
    resp = _post_after_the_session_ended(world, client, auth, amount="8,800.50", kind="subsidy")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login?next=/entries/new"
    assert KEPT in client.get(resp.headers["Location"]).get_data(as_text=True)
    assert _entries() == before

    resp = auth.login("acc")
    assert resp.status_code == 302 and resp.headers["Location"] == "/entries/new"
    html = client.get("/entries/new").get_data(as_text=True)
    assert NOTE in html and 'value="8,800.50"' in html
    assert re.search(r'<option (selected )?value="subsidy"( selected)?', html).group(0).count("selected") == 1
    assert "已填回您登录前填写的内容，请核对后保存。" in html
    assert _entries() == before  # shown, not saved: the accountant checks and presses 保存
    assert NOTE not in client.get("/entries/new").get_data(as_text=True)  # shown once
    resp = client.post("/entries/new", data=entry_form(world, note=NOTE, amount="8,800.50", kind="subsidy"))
    assert resp.status_code == 302 and _entries() == before + 1


def test_another_user_logging_in_on_that_browser_never_sees_the_values(world, client, auth):
    _post_after_the_session_ended(world, client, auth)
    resp = auth.login("acc2")  # the shared office PC: the next person logs in
    assert resp.status_code == 302 and resp.headers["Location"] == "/"  # not sent to the form's page
    assert NOTE not in client.get("/entries/new").get_data(as_text=True)
    with client.session_transaction() as sess:
        assert form_stash.STASH_KEY not in sess  # dropped, not kept for later
    auth.logout()
    auth.login("acc")
    assert NOTE not in client.get("/entries/new").get_data(as_text=True)


def test_after_fifteen_minutes_the_values_are_dropped(world, client, auth):
    _post_after_the_session_ended(world, client, auth)
    with client.session_transaction() as sess:
        stash = sess[form_stash.STASH_KEY]
        stash["at"] = int(time.time()) - 16 * 60
        sess[form_stash.STASH_KEY] = stash
    resp = auth.login("acc")
    assert resp.headers["Location"] == "/"  # the login's own destination, not the form
    assert NOTE not in client.get("/entries/new").get_data(as_text=True)


def test_passwords_and_the_csrf_token_are_never_kept_and_long_values_are_left_out(world, client, auth):
    resp = _post_after_the_session_ended(
        world, client, auth, csrf_token="t" * 40, password="secret-1", new_password="x", quantity="9" * 3000
    )
    assert resp.status_code == 302
    with client.session_transaction() as sess:
        kept = dict(sess[form_stash.STASH_KEY]["fields"])
    assert kept["note"] == NOTE and kept["amount"] == "1,234.50"
    assert not {"csrf_token", "password", "new_password", "quantity"} & set(kept)
    html = client.get("/login").get_data(as_text=True)
    assert "过长的内容没有保留" in html


def test_a_big_form_is_cut_to_fit_the_session_cookie(world, client, auth, app):
    notes = {f"note{i}": "长" * 1500 for i in range(6)}  # 9,000 characters of Chinese: more than a cookie holds
    _post_after_the_session_ended(world, client, auth, **notes)
    with client.session_transaction() as sess:
        kept = dict(sess[form_stash.STASH_KEY]["fields"])
        cookie = app.session_interface.get_signing_serializer(app).dumps(dict(sess))
    assert len(cookie) <= form_stash.MAX_COOKIE_BYTES
    assert kept["note"] == NOTE and kept["amount"] == "1,234.50"  # the short fields stay


def test_the_login_never_goes_to_another_site(world, client, auth):
    assert auth.login("acc").status_code == 302
    _end_sessions_elsewhere(world)
    resp = client.post("/entries/new", data=entry_form(world), headers={"Referer": "https://evil.example/entries/new"})
    assert resp.headers["Location"] == "/login?next=/"  # never the other site; and nothing kept from it
    with client.session_transaction() as sess:
        assert form_stash.STASH_KEY not in sess
    resp = client.post("/login?next=https://evil.example/", data={"username": "acc", "password": "pass-word-1"})
    assert resp.headers["Location"] == "/"


@pytest.mark.parametrize(
    "target", ["/\\evil.example/", "/\\/evil.example", "//evil.example", "/\tx", "https://evil.example"]
)
def test_login_next_refuses_what_a_browser_reads_as_another_site(world, client, target):
    resp = client.post("/login", query_string={"next": target}, data={"username": "acc", "password": "pass-word-1"})
    assert resp.headers["Location"] == "/"


def test_another_sites_page_cannot_plant_values_for_the_next_login(world, client, auth):
    planted = entry_form(world, note="代收款请转入 6222 0000 0000 0000")
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {}):
        resp = client.post("/entries/new", data=planted, headers=headers)  # nobody logged in here
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    resp = auth.login("acc")
    assert resp.headers["Location"] == "/"
    assert "6222" not in client.get("/entries/new").get_data(as_text=True)
    # the same post from this site's own form page (Origin of this host) is kept
    auth.logout()
    client.post("/entries/new", data=entry_form(world, note=NOTE), headers={"Origin": "http://localhost"})
    assert auth.login("acc").headers["Location"] == "/entries/new"
    assert NOTE in client.get("/entries/new").get_data(as_text=True)


def test_a_post_from_a_page_that_keeps_nothing_says_the_action_was_not_done(world, client, auth):
    assert auth.login("sec").status_code == 302
    sessions.end_sessions(world.users["secretary"])
    resp = client.post("/months", data={"period": "2025-01"}, headers={"Referer": "http://localhost/months"})
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login?next=")
    html = client.get("/login").get_data(as_text=True)
    assert "登录已过期，请重新登录。刚才的操作没有完成，请登录后再做一次。" in html
    with client.session_transaction() as sess:
        assert form_stash.STASH_KEY not in sess


def test_a_page_opened_after_the_session_ended_says_why_the_login(world, client, auth):
    assert auth.login("acc").status_code == 302
    _end_sessions_elsewhere(world)
    resp = client.get("/entries?status=draft")
    assert resp.headers["Location"] == "/login?next=%2Fentries%3Fstatus%3Ddraft"
    assert "登录已过期，请重新登录。" in client.get("/login").get_data(as_text=True)
    fresh = client.application.test_client()  # never logged in: no such message
    fresh.get("/entries")
    assert "登录已过期" not in fresh.get("/login").get_data(as_text=True)


# ----- with CSRF on: the expired session's form may carry a token that no longer holds ------------

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture()
def csrf_client(database_url, world):
    application = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True})
    yield application.test_client()
    with application.app_context():
        db.engine.dispose()


def _csrf_login(client, username: str):
    token = TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)
    return client.post("/login", data={"username": username, "password": "pass-word-1", "csrf_token": token})


@pytest.mark.parametrize("token_holds", [True, False])
def test_with_csrf_on_the_form_is_kept_whether_or_not_its_token_still_holds(world, csrf_client, token_holds):
    client = csrf_client
    assert _csrf_login(client, "acc").status_code == 302
    token = TOKEN.search(client.get("/entries/new").get_data(as_text=True)).group(1)
    _end_sessions_elsewhere(world)
    before = _entries()
    data = {**entry_form(world, note=NOTE), "csrf_token": token if token_holds else "no-longer-valid"}
    resp = client.post("/entries/new", data=data, headers=FORM_PAGE)
    assert resp.status_code == 302 and resp.headers["Location"] == "/login?next=/entries/new"
    assert KEPT in client.get("/login").get_data(as_text=True)
    assert _csrf_login(client, "acc").headers["Location"] == "/entries/new"
    assert NOTE in client.get("/entries/new").get_data(as_text=True)
    assert _entries() == before


def test_with_csrf_on_a_villagers_objection_with_a_bad_token_is_still_the_error_page(world, csrf_client):
    hh = world.households[0]
    resp = csrf_client.post(f"/s/{hh.public_token}", data={"distribution_id": "1", "text": "异议", "csrf_token": "x"})
    assert resp.status_code == 400 and "/login" not in resp.headers.get("Location", "")


# ----- every page in RESTORING really shows the kept values again --------------------------------


@pytest.mark.parametrize("endpoint", sorted(form_stash.RESTORING))
def test_every_page_that_promises_to_keep_a_form_gives_it_back(app, db, tmp_path, monkeypatch, client, endpoint):
    from urllib.parse import quote

    from .builders import CALLERS, ROUTES, USERNAMES, World, fill_body, route_objects, route_url

    objects = route_objects(app, tmp_path, monkeypatch)
    world = World.load(objects["world"])
    route = ROUTES[(endpoint, "POST")]
    caller = next(c for c in CALLERS if c != "anon" and route.outcomes()[c] == "ok")
    username = USERNAMES[caller]
    url = route_url(app, endpoint, route, objects)
    login = {"username": username, "password": "pass-word-1"}
    assert client.post("/login", data=login).status_code == 302
    assert client.get(url).status_code == 200
    sessions.end_sessions(next(u for u in world.users.values() if u.username == username))
    data = fill_body(route.data, objects)
    resp = client.post(url, data=data, headers={"Referer": f"http://localhost{url}"})
    assert resp.status_code == 302 and resp.headers["Location"] == f"/login?next={quote(url, safe='/')}"
    assert client.post("/login", data=login).headers["Location"] == url
    html = client.get(url).get_data(as_text=True)
    assert "已填回您登录前填写的内容，请核对后保存。" in html
    for value in data.values():  # every typed text (not the ids and codes of pickers) is back in the form
        if isinstance(value, str) and re.search(r"[\u4e00-\u9fff]", value):
            assert value in html, (endpoint, value)
