"""The database unreachable at start or in the middle of a request: a clear 503, nothing half-written."""

import logging
import socket

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from coopapp import create_app
from coopapp.access import audit
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.ledger import rollups
from coopapp.models import AuditEvent, LedgerEntry, MonthlySummary

from .builders import entry_input

MESSAGE = "数据库暂时无法连接"
LEAKS = ("Traceback", "sqlalchemy", "psycopg", "sqlite3", "OperationalError", "SELECT", "127.0.0.1")


def _free_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(params=["postgresql", "sqlite"])
def dead_app(request, tmp_path):
    """The app started against a database it cannot reach: a closed PostgreSQL port, or an SQLite
    file in a directory that does not exist."""
    if request.param == "postgresql":
        url = f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/coop"
        options = {"connect_args": {"connect_timeout": 2}}
    else:
        url = f"sqlite:///{tmp_path / 'missing' / 'dir' / 'coop.sqlite'}"
        options = {}
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options})
    yield app
    with app.app_context():
        db.engine.dispose()


def _logged_in(app, user_id: int = 1):
    """A client whose session says a user is logged in (the database cannot be asked who)."""
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = str(user_id)  # a well-formed session: the loader must ask the database
        sess["coop_sid"] = "0" * 43
        sess["_fresh"] = True
    return client


def _assert_clear_503_page(resp):
    html = resp.get_data(as_text=True)
    assert resp.status_code == 503, (resp.status_code, html[:300])
    assert resp.mimetype == "text/html"
    assert MESSAGE in html and "503" in html
    for leak in LEAKS:
        assert leak not in html, leak
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["Retry-After"] == "30"


def test_the_login_page_still_shows_but_logging_in_is_a_clear_503(dead_app):
    client = dead_app.test_client()
    assert client.get("/login").status_code == 200  # no database needed to show the form
    _assert_clear_503_page(client.post("/login", data={"username": "acc", "password": "pass-word-1"}))


@pytest.mark.parametrize("path", ["/entries", "/review", "/areas", "/village/households", "/", "/distributions"])
def test_pages_of_a_logged_in_user_are_a_clear_503(dead_app, path):
    _assert_clear_503_page(_logged_in(dead_app).get(path))


def test_posts_are_a_clear_503(dead_app):
    client = _logged_in(dead_app)
    _assert_clear_503_page(client.post("/entries/1/approve"))
    _assert_clear_503_page(client.post("/entries/new", data={"project_id": "1", "amount": "1"}))


def test_public_pages_are_a_clear_503(dead_app):
    client = dead_app.test_client()
    _assert_clear_503_page(client.get("/s/some-token"))
    _assert_clear_503_page(client.get("/p/441323110201"))


def test_the_api_answers_503_json(dead_app):
    client = dead_app.test_client()
    for resp in (
        client.post("/api/v1/tokens", json={"username": "acc", "password": "pass-word-1"}),
        client.get("/api/v1/entries", headers={"Authorization": "Bearer " + "x" * 40}),
    ):
        assert resp.status_code == 503, resp.get_data(as_text=True)
        error = resp.get_json()["error"]
        assert error["code"] == "unavailable" and MESSAGE in error["message"]
        assert not any(leak in resp.get_data(as_text=True) for leak in LEAKS)


def test_the_log_names_the_failure_without_statements_or_parameters(dead_app, caplog):
    caplog.set_level(logging.INFO)
    _logged_in(dead_app).get("/entries")
    records = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert records, [r.getMessage() for r in caplog.records]
    assert all(r.exc_info is None for r in records)  # no stack trace for a known outage
    assert not any("SELECT" in r.getMessage() or "parameters" in r.getMessage() for r in records)


# ---- the connection dies in the middle of a request -----------------------------------------

WRITES = ("INSERT", "UPDATE", "DELETE")


class CutAfter:
    """An engine event that lets `n` writing statements through, then fails like a dropped connection."""

    def __init__(self, n: int | None):
        self.n, self.writes = n, 0

    def __call__(self, _conn, _cursor, statement, _params, _context, _many):
        if not statement.lstrip().upper().startswith(WRITES):
            return
        self.writes += 1
        if self.n is not None and self.writes > self.n:
            raise OperationalError(statement, None, ConnectionResetError("server closed the connection unexpectedly"))


def state() -> tuple:
    db.session.rollback()
    db.session.expire_all()
    return (
        tuple(db.session.execute(select(LedgerEntry.id, LedgerEntry.status, LedgerEntry.version)).all())
        if hasattr(LedgerEntry, "version")
        else tuple(db.session.execute(select(LedgerEntry.id, LedgerEntry.status)).all()),
        tuple(db.session.execute(select(MonthlySummary.id, MonthlySummary.amount_fen)).all()),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
    )


def _submitted(world) -> int:
    acc = world.users["accountant"]
    entry = ledger.create_entry(acc, entry_input(world.project, amount_fen=555_00))
    ledger.submit_entry(acc, entry)
    return entry.id


def _approve(client, entry_id: int, via_api: bool, token: str | None):
    if via_api:
        return client.post(f"/api/v1/entries/{entry_id}/approve", json={}, headers={"Authorization": f"Bearer {token}"})
    return client.post(f"/entries/{entry_id}/approve")


@pytest.mark.parametrize("via_api", [False, True], ids=["page", "api"])
def test_connection_lost_at_every_write_of_an_approval_writes_nothing(app, world, client, auth, via_api):
    auth.login("sec")
    token = client.post("/api/v1/tokens", json={"username": "sec", "password": "pass-word-1"}).get_json()["token"]
    n = 0
    while True:  # the cut comes after 0, 1, 2, … writing statements went through
        entry_id = _submitted(world)
        before = state()
        cut = CutAfter(n)
        event.listen(db.engine, "before_cursor_execute", cut)
        try:
            resp = _approve(client, entry_id, via_api, token)
        finally:
            event.remove(db.engine, "before_cursor_execute", cut)
        if cut.writes <= n:  # the whole approval fit under the cut: it went through
            break
        assert resp.status_code == 503, (n, resp.status_code)
        if via_api:
            assert resp.get_json()["error"]["code"] == "unavailable"
        else:
            _assert_clear_503_page(resp)
        assert state() == before, f"half-written after {n} writes"
        n += 1
    assert n >= 3, n  # the entry, its summary and its audit event at least were each cut
    assert resp.status_code in (200, 302)
    db.session.expire_all()
    assert db.session.get(LedgerEntry, entry_id).status == "approved"
    assert audit.verify() is None and rollups.verify() == []
