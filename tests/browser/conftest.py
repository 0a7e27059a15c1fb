"""A live server with the demo data and a headless Chromium for the browser journeys.

The server runs the app in a thread on 127.0.0.1 (werkzeug `make_server`, a free port),
on the run's test database with CSRF on. The demo data is loaded once for this package and
every table is emptied afterwards, so the other tests' per-test `db` fixture starts clean.
Browser tests therefore never use `db` or `world`.

Without /usr/bin/chromium or Playwright the journeys skip on a laptop and fail with CI=true.
"""

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from coopapp import create_app
from coopapp.demo import load_demo

from ..builders import empty_tables
from ..conftest import IN_CI

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DEMO_PASSWORD = "demo-pass-2025"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _missing_browser() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not found (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright not installed (pip install -r requirements-dev.txt)"
    return None


@pytest.fixture(scope="package")
def browser():
    """Headless Debian Chromium driven by Playwright; skips on a laptop without it, fails in CI."""
    problem = _missing_browser()
    if problem:
        if IN_CI:
            pytest.fail(f"browser tests required in CI: {problem}", pytrace=False)
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="package")
def live_app(app, database_url):
    """The app with CSRF on, on the (already migrated) test database, holding the demo data (voucher
    files where the `app` fixture keeps them)."""
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": True,
        "VOUCHER_DIR": app.config["VOUCHER_DIR"],
    }
    live = create_app(config)  # voucher files in the run's temporary directory, not instance/
    with live.app_context():
        load_demo(DEMO_PASSWORD)
    try:
        yield live
    finally:
        with live.app_context():
            from coopapp.extensions import db

            db.session.remove()
            empty_tables()
            db.engine.dispose()


@pytest.fixture(scope="package")
def live_server(live_app, browser):
    """The base URL of the app served from a thread."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    # Request threads are joined at the end, so none still holds a database connection when
    # the tables are emptied and the engine disposed (a leftover SQLite connection would lock
    # the database for later tests that need it alone).
    server.daemon_threads = False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each test's outcome on the item, so the `page` fixture knows to take a screenshot."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture()
def new_page(request, browser, live_server):
    """A factory of pages in fresh contexts (own cookies); screenshots of all of them on failure."""
    contexts = []

    def _new(**context_options):
        context = browser.new_context(base_url=live_server, locale="zh-CN", **context_options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield _new
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for n, context in enumerate(contexts):
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            for m, pg in enumerate(context.pages):
                pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{n}-{m}.png"), full_page=True)
        context.close()


def login(page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the real form and wait for the page after it."""
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.locator("form:has(#password) button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, page.inner_text("main")
