"""Fixtures: one migrated database per run (SQLite or PostgreSQL), emptied after each test.

TEST_DATABASE_URL picks the database; SQLite in a temporary file by default.
With CI=true an unreachable PostgreSQL fails the run instead of skipping it.
"""

import os
import uuid

import flask_babel
import pytest
from flask import g, request_started
from sqlalchemy import create_engine, text

from coopapp import create_app
from coopapp.extensions import db as _db

from .builders import ApiClient, World, build_world, built_once, empty_tables

TEST_URL = os.environ.get("TEST_DATABASE_URL", "")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres_only: runs only in the PostgreSQL run of the suite")
    config.addinivalue_line("markers", "no_database: touches no database, so runs in the SQLite run only")
    config.addinivalue_line(
        "markers", "sqlite_run: a sweep whose SQL the other tests already run on both databases: SQLite run only"
    )


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests belong to the PostgreSQL run, tests that touch no database to the
    SQLite run (once is enough): deselected (not skipped) elsewhere."""
    on_postgres = TEST_URL.startswith("postgresql")
    unwanted = ("no_database", "sqlite_run") if on_postgres else ("postgres_only",)
    keep = [
        item
        for item in items
        if not any(item.get_closest_marker(name) for name in unwanted)
        and not (on_postgres and _never_opens_the_test_database(item))
    ]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


def _never_opens_the_test_database(item) -> bool:
    """A test none of whose fixtures is `database_url` (which `app`, `db` and the browser's live
    server all rest on) cannot reach the test database: it runs the same in both runs, so once."""
    return "database_url" not in getattr(item, "fixturenames", ("database_url",))


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def _postgres_reachable(url: str) -> str | None:
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return str(exc).splitlines()[0]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """The URL of the database this run tests, migrated from empty."""
    if TEST_URL.startswith("postgresql"):
        problem = _postgres_reachable(TEST_URL)
        if problem:
            if IN_CI:
                pytest.exit(f"PostgreSQL required in CI but unreachable: {problem}", returncode=3)
            pytest.skip(f"PostgreSQL not reachable: {problem}")
        _reset_postgres(TEST_URL)
        return TEST_URL
    return TEST_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    """The app on the test database, migrated once with Alembic `upgrade` from empty (voucher files
    in a temporary directory of the run)."""
    from flask_migrate import upgrade

    vouchers = str(tmp_path_factory.mktemp("vouchers"))
    application = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "VOUCHER_DIR": vouchers})
    with application.app_context():
        upgrade()
    return application


@pytest.fixture()
def db(app):
    """The database inside an app context; every table is emptied after the test."""
    ctx = app.app_context()
    ctx.push()
    try:
        yield _db
    finally:
        _db.session.rollback()
        _db.session.remove()
        empty_tables()
        ctx.pop()


@pytest.fixture(autouse=True)
def fresh_request_state(request):
    """Each request loads its own user and locale, as in production.

    The `db` fixture's app context outlives requests, and Flask-Login and Flask-Babel
    cache the user and the locale in it; without this a second client in one test
    would act as the first request's user, and a revoked token would still pass.
    """

    def _forget(sender, **_kw):
        g.pop("_login_user", None)
        flask_babel.refresh()

    if "app" not in request.fixturenames:  # a test without the app (and its database) needs none of this
        yield
        return
    app = request.getfixturevalue("app")
    request_started.connect(_forget, app)
    yield
    request_started.disconnect(_forget, app)


@pytest.fixture(autouse=True)
def empty_answer_caches():
    """Tests write summaries and rosters directly (unaudited) into a database emptied between
    tests, so the audit chain's length — the caches' data version — repeats from test to test."""
    from coopapp.api.reports import COMPARE_CACHE
    from coopapp.charts.cache import CACHE

    CACHE.clear()
    COMPARE_CACHE.clear()


@pytest.fixture()
def uploads(app, tmp_path, monkeypatch):
    """A folder of this test's own for the kept uploads of the import pages."""
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(tmp_path / "uploads"))
    return tmp_path / "uploads"


@pytest.fixture()
def world(db) -> World:
    """Two towns, three villages, their projects, households and one user per role."""
    return World.load(built_once("world", lambda: build_world().ids()))


@pytest.fixture()
def client(app, db):
    return app.test_client()


class Auth:
    """Logs a test client in as one of the world's users."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = "pass-word-1"):
        return self.client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture()
def auth(client) -> Auth:
    return Auth(client)


@pytest.fixture()
def api(app, db):
    """A JSON client: `api.as_user(name)` then `api.get/post(path, json=…)` with a Bearer token."""
    return ApiClient(app.test_client())


@pytest.fixture()
def empty_database(database_url, tmp_path):
    """A brand-new empty database of the same kind as the test database."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    name = f"coop_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield database_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
