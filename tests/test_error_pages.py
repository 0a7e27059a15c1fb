"""HTTP errors (an unknown address, a wrong method, a body too large, a stale form) speak the
user's language on pages and in the API, instead of Werkzeug's English descriptions."""

import io
import re

import pytest

ENGLISH_DEFAULTS = ("requested URL was not found", "method is not allowed", "CSRF", "browser (or proxy)")


def _no_english_default(text: str) -> None:
    for phrase in ENGLISH_DEFAULTS:
        assert phrase not in text, phrase


def test_an_unknown_address_is_a_page_in_chinese(world, client, auth):
    auth.login("acc")
    resp = client.get("/no/such/page")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 404
    assert "页面不存在" in html and "没有这个页面：请检查网址，或从首页重新进入。" in html
    _no_english_default(html)


def test_the_same_page_in_english(world, client, auth):
    auth.login("acc")
    client.post("/lang/en")
    html = client.get("/no/such/page").get_data(as_text=True)
    assert "There is no such page: check the address, or start again from the home page." in html


def test_a_wrong_method(world, client, auth):
    auth.login("sec")
    resp = client.delete("/logout")
    assert resp.status_code == 405 and "不能用这种方式打开这个网址。" in resp.get_data(as_text=True)
    assert "POST" in resp.headers["Allow"], "Werkzeug's Allow header is kept"


def test_a_buttons_address_opened_as_a_page_leads_to_its_page(world, client, auth):
    """A reload of what a form returned, a restored tab, a copied link: the page the button sits on,
    with a note — not a 405 (and a page shown once says what is lost)."""
    from .builders import approved_entry

    entry = approved_entry(world)
    auth.login("sec")
    resp = client.get(f"/entries/{entry.id}/approve")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/entries/{entry.id}")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "这是一个按钮的地址，不能直接打开" in page
    assert client.get("/api/v1/entries/1/approve").status_code == 405  # the API answers as it did
    auth.logout()
    auth.login("admin")
    resp = client.get("/admin/users/import/confirm")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/admin/users/import")
    assert "一次性密码只显示一次" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_a_body_too_large(app, world, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2 * 1024 * 1024)
    resp = client.post("/login", data={"username": "acc", "password": "x" * (3 * 1024 * 1024)})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 413 and "提交的内容太大（最多 2 MB）。" in html
    _no_english_default(html)


def test_a_form_field_over_werkzeugs_own_limit_names_no_wrong_size(app, world, client):
    """A text field past MAX_FORM_MEMORY_SIZE is a 413 too, far below MAX_CONTENT_LENGTH: the
    message must not blame the upload limit."""
    field = ("note", "x" * (int(app.config.get("MAX_FORM_MEMORY_SIZE") or 500_000) + 1000))
    resp = client.post("/login", data={field[0]: field[1], "f": (io.BytesIO(b"x"), "f.txt")})
    html = resp.get_data(as_text=True)
    # (the error's own section: the page's random CSRF tokens may hold the letters "MB")
    message = html[html.index("<main") :]
    message = re.sub(r'<input[^>]*name="csrf_token"[^>]*>', "", message)
    assert resp.status_code == 413 and "提交的内容太大或太多。" in message and "MB" not in message


def test_a_stale_form_says_to_refresh(app, world, client, auth, monkeypatch):
    """With CSRF protection on (as in production), a form whose token the session no longer
    matches — the user logged out in another window — gets a message saying what to do."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    resp = client.post("/login", data={"username": "acc", "password": "pass-word-1"})  # no token
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "页面已失效：请刷新页面后再提交一次（如果已在别的窗口退出登录，请先重新登录）。" in html
    _no_english_default(html)


@pytest.mark.parametrize(("method", "path", "status", "code"), [("GET", "/api/v1/nope", 404, "not_found")])
def test_the_api_says_it_in_chinese_too(world, api, method, path, status, code):
    resp = api.as_user("county").client.open(path, method=method, headers=api.headers)
    assert resp.status_code == status
    error = resp.get_json()["error"]
    assert error["code"] == code and error["message"] == "没有这个页面：请检查网址，或从首页重新进入。"


def test_our_own_messages_are_kept(world, api):
    """An HTTP error raised with a message of ours (the API's JSON check) keeps it."""
    api.as_user("county")
    resp = api.client.post("/api/v1/entries", data="x", headers={**api.headers, "Content-Type": "text/plain"})
    assert resp.status_code == 415
    assert resp.get_json()["error"]["message"] == "请求体必须是 JSON（Content-Type: application/json）。"
