"""Security, tested: headers, the session cookie, no inline script, ID numbers kept in scope."""

import io
import re
from collections import deque
from urllib.parse import parse_qsl, urldefrag, urlencode, urlsplit

import pytest
from openpyxl import load_workbook

from coopapp import create_app

from .builders import approved_entry

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
HREF = re.compile(r'href="([^"]+)"')
SKIP = ("/logout", "/lang/", "/static/")


def _page_key(path: str) -> str:
    """A link without its sort order: the same table sorted another way is not another page."""
    parts = urlsplit(path)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("sort", "dir")]
    return parts._replace(query=urlencode(sorted(query))).geturl()


@pytest.fixture()
def pdf_as_html(monkeypatch):
    """A crawled PDF link answers with the HTML Chromium would print, not a print (4 s each): the
    crawl reads what the PDF holds; the PDF tests (test_print_reports) prove the printing."""
    from coopapp.web.disclosure import pdf

    monkeypatch.setattr(pdf, "html_to_pdf", lambda html, timeout=60: html.encode("utf-8"))


def crawl(client, start: str = "/", limit: int = 80) -> dict[str, object]:
    """GET every same-site link reachable from `start` (up to `limit` pages) → {path: response}."""
    seen: dict[str, object] = {}
    keys: set[str] = set()
    queue = deque([start])
    while queue and len(seen) < limit:
        path = queue.popleft()
        if _page_key(path) in keys:
            continue
        keys.add(_page_key(path))
        resp = client.get(path)
        seen[path] = resp
        if resp.status_code in (301, 302, 303) and resp.location:
            queue.append(urlsplit(resp.location)._replace(scheme="", netloc="").geturl())
            continue
        if not resp.mimetype.startswith("text/html"):
            continue
        for href in HREF.findall(resp.get_data(as_text=True)):
            href = urldefrag(href.replace("&amp;", "&"))[0]
            if href.startswith("/") and not href.startswith("//") and not href.startswith(SKIP):
                queue.append(href)
    return seen


def body_text(resp) -> str:
    """A response as text; an XLSX export as the text of its cells."""
    if resp.mimetype.endswith("spreadsheetml.sheet"):
        book = load_workbook(io.BytesIO(resp.data), read_only=True)
        return " ".join(str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row)
    if resp.mimetype.startswith("image/") and resp.mimetype != "image/svg+xml":
        return ""  # a raster chart holds no text
    return resp.get_data().decode("utf-8", "replace")


def test_security_headers_on_a_page(client, world, auth):
    auth.login("sec")
    for path in ("/login", "/entries", "/api/v1/areas"):
        resp = client.get(path)
        csp = resp.headers["Content-Security-Policy"]
        directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
        script_src = directives.get("script-src", directives.get("default-src", ""))
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
        assert "'self'" in script_src
        assert directives["frame-ancestors"] == "'none'"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")


def test_session_cookie_is_httponly_and_samesite_lax(client, world, auth):
    resp = auth.login("acc")
    assert resp.status_code == 302
    cookies = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, resp.headers
    attrs = [a.strip().lower() for a in cookies[-1].split(";")]
    assert "httponly" in attrs
    assert "samesite=lax" in attrs


def test_session_cookie_is_secure_when_configured_for_https(app, database_url, world):
    secure = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SESSION_COOKIE_SECURE": True})
    resp = secure.test_client().post("/login", data={"username": "acc", "password": "pass-word-1"})
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "secure" in [a.strip().lower() for a in cookie.split(";")]


def test_no_inline_script_in_any_page_the_secretary_reaches(client, world, auth, pdf_as_html):
    approved_entry(world, kind="dividend", household_id=world.households[0].id, note="<script>alert(1)</script>")
    auth.login("sec")
    pages = crawl(client)
    html = {p: r for p, r in pages.items() if r.mimetype.startswith("text/html") and r.status_code == 200}
    assert len(html) >= 10, sorted(pages)
    for path, resp in html.items():
        text = resp.get_data(as_text=True)
        assert not INLINE_SCRIPT.search(text), path
        assert not INLINE_HANDLER.search(text), path
        assert "javascript:" not in text.lower(), path
        assert "<script>alert(1)</script>" not in text, path
    assert all(r.status_code < 500 for r in pages.values())


@pytest.mark.parametrize("reviewer", ["town", "county"])
def test_id_numbers_never_reach_a_reviewers_pages_or_exports(client, world, auth, reviewer, pdf_as_html):
    for household in world.households[:3]:
        approved_entry(world, kind="dividend", household_id=household.id, amount_fen=50_000)
    id_numbers = [h.id_number for h in [*world.households, world.other_household] if h.id_number]
    phones = [h.phone for h in [*world.households, world.other_household] if h.phone]
    assert id_numbers
    auth.login(reviewer)
    pages = crawl(client)
    assert len(pages) >= 5, sorted(pages)
    exports = [p for p in pages if "/export." in p]
    assert exports, "the crawl reaches the comparison's exports"
    for code in (world.village.code, world.other_village.code, world.sibling_village.code):
        for path in (f"/api/v1/households?village={code}", f"/api/v1/villages/{code}/summary"):
            pages[path] = client.get(path)
            assert pages[path].status_code in (200, 403), path  # a town reviewer: not the other town
    for path, resp in pages.items():
        text = body_text(resp)
        for secret in id_numbers + phones:
            assert secret not in text, f"{secret} in {path}"


def test_the_secretary_of_the_village_does_see_the_id_number(client, world, auth):
    """The check above is not vacuous: inside its village the ID number is shown."""
    household = world.households[0]
    auth.login("sec")
    assert household.id_number in client.get(f"/village/households/{household.id}/edit").get_data(as_text=True)
