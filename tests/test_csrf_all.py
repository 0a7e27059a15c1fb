"""CSRF, with the tokens switched on, over EVERY state-changing web route of `app.url_map`.

Each POST/PUT/PATCH/DELETE page route is sent, by a caller the access matrix lets in, with the
same body the matrix uses: without a token and with a forged one it answers 400 and changes
nothing; with the page's real token the same request is not refused for CSRF (so the 400 was
the token, not the body). The JSON API is CSRF-exempt and takes Bearer tokens: a cross-site
form can only send form or text bodies, which the API refuses even with a session cookie, and
it sends no CORS header that would let another site's script call it.
"""

import io
import re

import pytest

from coopapp import create_app
from coopapp.extensions import db

from .builders import (
    CALLERS,
    ROUTES,
    USERNAMES,
    app_routes,
    fill_body,
    first_caller,
    route_objects,
    route_state,
    route_url,
)


@pytest.fixture()
def objects(app, db, tmp_path, monkeypatch) -> dict:
    """The access matrix's world: the same URLs and bodies."""
    return route_objects(app, tmp_path, monkeypatch)


UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def web_writes(app) -> list[tuple[str, str]]:
    return [(e, m) for e, m in app_routes(app) if m in UNSAFE and not e.startswith("api.")]


def api_writes(app) -> list[tuple[str, str]]:
    return [(e, m) for e, m in app_routes(app) if m in UNSAFE and e.startswith("api.")]


@pytest.fixture(scope="module")
def csrf_app(database_url, app):
    """The app with CSRF protection on, over the same test database (and voucher files)."""
    application = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": True,
            "PDF_CHROMIUM": "",
            "VOUCHER_DIR": app.config["VOUCHER_DIR"],
        }
    )
    yield application
    with application.app_context():
        db.engine.dispose()


def _token(client) -> str:
    return TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)


def _caller(endpoint: str, method: str) -> str:
    """The first caller the access matrix lets through this route (anon for public ones)."""
    return first_caller(endpoint, ROUTES[(endpoint, method)].outcomes())


def _logged_in(csrf_app, caller: str):
    client = csrf_app.test_client()
    token = _token(client)
    if caller != "anon":
        resp = client.post(
            "/login", data={"username": USERNAMES[caller], "password": "pass-word-1", "csrf_token": token}
        )
        assert resp.status_code == 302, resp.status_code
        token = _token_after_login(client)
    return client, token


def _token_after_login(client) -> str:
    """A token from a page of the logged-in session (the login page only redirects now)."""
    html = client.get("/", follow_redirects=True).get_data(as_text=True)
    return TOKEN.search(html).group(1)


def test_every_web_write_is_a_known_route(app):
    assert web_writes(app), "no state-changing page routes found"
    missing = [f"{e} {m}" for e, m in web_writes(app) if (e, m) not in ROUTES]
    assert not missing, f"add these to ROUTES in tests/builders.py: {missing}"


CASES = sorted((e, m) for (e, m) in ROUTES if m in UNSAFE and not e.startswith("api."))


@pytest.mark.parametrize(("endpoint", "method"), CASES, ids=[f"{e}-{m}" for e, m in CASES])
def test_refused_without_a_token_and_with_a_forged_one(app, csrf_app, objects, tmp_path, endpoint, method):
    csrf_app.config["IMPORT_UPLOAD_DIR"] = str(tmp_path / "uploads")
    route = ROUTES[(endpoint, method)]
    caller = _caller(endpoint, method)
    client, token = _logged_in(csrf_app, caller)
    url = route_url(app, endpoint, route, objects)
    for forged in (None, "forged", token[:-4] + "AAAA"):
        data = fill_body(route.data, objects) if route.data is not None else {}
        if forged is not None:
            data["csrf_token"] = forged
        before = route_state()
        resp = client.open(url, method=method, data=data)
        assert resp.status_code == 400, f"{endpoint} as {caller} with token {forged!r}: {resp.status_code}"
        assert "CSRF" in resp.get_data(as_text=True) or "请求无效" in resp.get_data(as_text=True)
        assert route_state() == before, f"{endpoint}: a refused request wrote"
    # the same request with the real token gets past the CSRF check
    data = fill_body(route.data, objects) if route.data is not None else {}
    data["csrf_token"] = token
    resp = client.open(url, method=method, data=data)
    assert resp.status_code != 400 or "CSRF" not in resp.get_data(as_text=True), endpoint
    assert resp.status_code < 500


def test_still_logged_in_after_a_refused_logout(csrf_app, world):
    client, token = _logged_in(csrf_app, "acc")
    assert client.post("/logout").status_code == 400
    assert client.get("/entries").status_code == 200
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/entries").status_code == 302


# ---- the API: session cookies cannot be used cross-site -------------------------------------

API_CASES = sorted((e, m) for (e, m) in ROUTES if m in UNSAFE and e.startswith("api."))


@pytest.mark.parametrize(("endpoint", "method"), API_CASES, ids=[f"{e}-{m}" for e, m in API_CASES])
def test_api_refuses_what_a_cross_site_form_can_send(app, csrf_app, objects, endpoint, method):
    """With only the session cookie, a form-encoded or text/plain body (all an HTML form can send) is refused."""
    route = ROUTES[(endpoint, method)]
    caller = next((c for c in CALLERS if c != "anon" and route.outcomes()[c] == "ok"), "acc")
    client, _token_ = _logged_in(csrf_app, caller)
    url = route_url(app, endpoint, route, objects)
    payload = fill_body(route.data, objects) if route.data is not None else {"x": "1"}
    for kwargs in ({"data": payload}, {"data": str(payload), "content_type": "text/plain"}):
        before = route_state()
        resp = client.open(url, method=method, **kwargs)
        if method == "DELETE" and endpoint != "api.revoke_token":
            # A cross-site form cannot send DELETE at all; a script would need CORS, which the API never grants.
            assert "Access-Control-Allow-Origin" not in resp.headers
            continue
        assert resp.status_code in (400, 401, 415), f"{endpoint}: {resp.status_code}"
        assert route_state() == before, f"{endpoint}: a cross-site style request wrote"


def test_api_sends_no_cors_headers(world, csrf_app):
    client, _token_ = _logged_in(csrf_app, "acc")
    for resp in (
        client.get("/api/v1/entries", headers={"Origin": "https://evil.example"}),
        client.options(
            "/api/v1/entries", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
        ),
    ):
        assert not any(h.lower().startswith("access-control-allow") for h in resp.headers.keys())


def test_the_pages_own_upload_needs_its_csrf_token_in_a_header(csrf_app, world):
    """The one multipart API route: with only the session cookie (all a cross-site form has) it is
    refused; the page's script sends the page's CSRF token in X-CSRFToken, which another site cannot."""
    from coopapp.ledger import operations as ledger
    from coopapp.models import Voucher

    from .builders import entry_input, tiny_jpeg

    entry = ledger.create_entry(world.users["accountant"], entry_input(world.project))
    client, token = _logged_in(csrf_app, "acc")
    url = f"/api/v1/entries/{entry.id}/vouchers"

    def send(**headers):
        return client.post(url, data={"file": (io.BytesIO(tiny_jpeg()), "a.jpg")}, headers=headers)

    for headers in ({}, {"X-CSRFToken": "forged"}, {"X-CSRFToken": token[:-4] + "AAAA"}):
        before = route_state()
        resp = send(**headers)
        assert resp.status_code == 400, (headers, resp.status_code)
        assert route_state() == before
    assert db.session.query(Voucher).count() == 0
    resp = send(**{"X-CSRFToken": token})
    assert resp.status_code == 201, resp.get_json()
