"""The English switch, and CSRF protection with the tokens switched on."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import func, select

from coopapp import create_app
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import LedgerEntry

from .builders import entry_form, entry_input

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "coopapp" / "translations" / "en" / "LC_MESSAGES"


@pytest.fixture(scope="module")
def english():
    """The compiled English catalog (`pybabel compile` does this in `make`; the .mo is not in git)."""
    po, mo = CATALOG / "messages.po", CATALOG / "messages.mo"
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        with po.open("rb") as src, mo.open("wb") as out:
            write_mo(out, read_po(src, locale="en"))
    return po


def source_messages() -> dict[str, str]:
    """Every msgid the code and the templates ask for, with where it is first asked.

    Read as `pybabel extract` reads them (babel.cfg: the Python of coopapp, the Jinja templates),
    with the lazy `_l` of the forms among the keywords.
    """
    keywords = {**DEFAULT_KEYWORDS, "_l": None}
    found: dict[str, str] = {}
    for pattern, method in (("coopapp/**/*.py", "python"), ("templates/**/*.html", "jinja2")):
        for path in sorted(ROOT.glob(pattern)):
            for lineno, message, _comments, _context in extract_from_file(method, path, keywords=keywords):
                for msgid in message if isinstance(message, tuple) else (message,):
                    if msgid:
                        found.setdefault(msgid, f"{path.relative_to(ROOT)}:{lineno}")
    return found


def test_english_catalog_is_complete(english):
    with english.open("rb") as f:
        catalog = read_po(f, locale="en")
    untranslated = [m.id for m in catalog if m.id and not m.string]
    assert untranslated == []
    missing = {msgid: where for msgid, where in source_messages().items() if msgid not in catalog}
    assert missing == {}, "msgids of the source with no entry in messages.po"


def test_the_source_scan_finds_python_lazy_and_template_messages():
    found = source_messages()
    assert "金额不能为负数。" in found  # _l( in coopapp/settings/forms.py
    assert found["县级设置已保存。"].startswith("coopapp/web/settings/routes.py:")  # _(
    assert any(where.startswith("templates/settings/") for where in found.values())  # {{ _("…") }}


def test_pages_are_chinese_by_default_and_switch_to_english(english, world, client, auth):
    login = client.get("/login").get_data(as_text=True)
    assert "用户名" in login and 'lang="zh-CN"' in login
    resp = client.post("/lang/en", headers={"Referer": "http://localhost/login"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    login = client.get("/login").get_data(as_text=True)
    assert "Username" in login and "Password" in login and "用户名" not in login

    auth.login("acc")
    form = client.get("/entries/new").get_data(as_text=True)
    for label in (
        "Project",
        "Month",
        "Kind",
        "Amount (yuan)",
        "Unit",
        "Household",
        "Collective income",
        "jin (0.5 kg)",
    ):
        assert label in form, label
    assert "金额（元）" not in form
    bad = client.post("/entries/new", data=entry_form(world, amount="abc")).get_data(as_text=True)
    assert 'id="amount-error">Not an amount: &#34;abc&#34;' in bad

    client.post("/lang/zh_CN")
    assert "金额（元）" in client.get("/entries/new").get_data(as_text=True)


def test_language_switch_does_not_redirect_offsite(world, client):
    resp = client.post("/lang/en", headers={"Referer": "https://evil.example/page"})
    assert resp.headers["Location"] == "/"


def test_pages_carry_no_inline_script_or_style(world, client, auth):
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)", re.I)  # scripts come from files only
    html = client.get("/login").get_data(as_text=True)
    assert "<form" in html and "style=" not in html and not inline_script.search(html)
    auth.login("sec")
    for path in (
        "/review",
        "/months",
        "/village/households/new",
        "/areas",
        f"/villages/{world.village.code}",
        "/village/households",
    ):
        resp = client.get(path)
        html = resp.get_data(as_text=True)
        assert "style=" not in html and "<style" not in html and not inline_script.search(html), path
        assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
        assert 'name="viewport"' in html


@pytest.fixture()
def csrf_client(database_url, world):
    """A client of an app with CSRF protection on, over the same test database."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True})
    yield app.test_client()
    with app.app_context():
        db.engine.dispose()


def _count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(LedgerEntry))


def test_posts_without_csrf_token_are_refused(world, csrf_client):
    client = csrf_client
    assert client.post("/login", data={"username": "acc", "password": "pass-word-1"}).status_code == 400
    assert client.get("/entries").status_code == 302  # not logged in
    token = re.search(
        r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True)
    ).group(1)
    resp = client.post("/login", data={"username": "acc", "password": "pass-word-1", "csrf_token": token})
    assert resp.status_code == 302

    before = _count()
    resp = client.post("/entries/new", data=entry_form(world))
    assert resp.status_code == 400
    assert _count() == before
    resp = client.post("/entries/new", data={**entry_form(world), "csrf_token": "forged"})
    assert resp.status_code == 400
    assert _count() == before

    resp = client.post("/entries/new", data={**entry_form(world), "csrf_token": token})
    assert resp.status_code == 302
    assert _count() == before + 1
    assert client.post("/logout").status_code == 400
    assert client.get("/entries").status_code == 200  # still logged in


def test_a_scope_refusal_speaks_the_users_language(english, world, client, auth):
    """The scope rule's refusal is translated when shown (it is built untranslated, many per page)."""
    acc = world.users["accountant"]
    entry = ledger.create_entry(acc, entry_input(world.project, amount_fen=5_00))
    ledger.submit_entry(acc, entry)
    auth.login("acc")
    zh = client.post(f"/entries/{entry.id}/approve")
    assert zh.status_code == 403 and "无权限：此操作超出您的账号权限或管辖范围。" in zh.get_data(as_text=True)
    client.post("/lang/en")
    en = client.post(f"/entries/{entry.id}/approve").get_data(as_text=True)
    assert "Forbidden: this is outside your account&#39;s role or area." in en and "无权限" not in en


def test_no_template_has_inline_script_style_or_handlers():
    """The Content-Security-Policy (script-src 'self', style-src 'self') would silently disable an
    inline `onclick=`, `<script>…</script>` or `style=`: a button that does nothing."""
    templates = Path(__file__).resolve().parent.parent / "templates"
    inline = re.compile(r"\son[a-z]+\s*=|<script(?![^>]*\bsrc=)|\sstyle\s*=|<style", re.I)
    # The PDF's page carries its stylesheet under a policy of its own (it is opened from a file).
    allowed = {"disclosure/_print.html:12: <style>{{ inline_css }}</style>"}
    found = [
        f"{path.relative_to(templates)}:{n}: {line.strip()}"
        for path in sorted(templates.rglob("*.html"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if inline.search(line)
    ]
    assert set(found) <= allowed, found


def test_a_referer_path_that_leaves_the_site_is_not_followed(world, client):
    """http://localhost//evil.example/x is this host's, but its path "//evil.example/x" is another site."""
    resp = client.post("/lang/en", headers={"Referer": "http://localhost//evil.example/x"})
    assert resp.status_code == 302 and "evil.example" not in resp.headers["Location"]
