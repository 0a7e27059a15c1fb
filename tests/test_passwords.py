"""The minimum password policy where users meet it: their own change-password page, and `coop user add`."""

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from coopapp.access import audit
from coopapp.extensions import db
from coopapp.models import ApiToken, AuditEvent, User

NEW = "new-pass-2025"


def _form(current="pass-word-1", new=NEW, confirm=None) -> dict:
    return {"current_password": current, "new_password": new, "confirm": new if confirm is None else confirm}


def _user(name: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == name))


def _events() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_the_page_is_for_logged_in_users_and_linked_from_every_page(world, client, auth):
    resp = client.get("/password")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    auth.login("acc")
    html = client.get("/entries").get_data(as_text=True)
    assert 'href="/password"' in html
    page = client.get("/password").get_data(as_text=True)
    for label in ("修改密码", "当前密码", "新密码", "再次输入新密码", "至少 8 位"):
        assert label in page, label
    assert 'autocomplete="current-password"' in page and 'autocomplete="new-password"' in page


def test_changing_the_password(world, client, auth, app):
    auth.login("sec")
    api = app.test_client()
    token = api.post("/api/v1/tokens", json={"username": "sec", "password": "pass-word-1"}).get_json()["token"]
    before = _events()
    resp = client.post("/password", data=_form())
    assert resp.status_code == 302
    assert "密码已修改" in client.get(resp.headers["Location"], follow_redirects=True).get_data(as_text=True)
    user = _user("sec")
    assert check_password_hash(user.password_hash, NEW) and NEW not in user.password_hash
    # audited, and the chain still verifies
    assert _events() == before + 2  # the token's revocation, the password
    revoked, event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(2)).all()[::-1]
    assert (revoked.action, revoked.object_type, revoked.actor_id) == ("api_token.revoke", "api_token", user.id)
    assert event.action == "user.password" and event.actor_id == user.id and NEW not in event.data
    assert audit.verify() is None
    # the old API tokens no longer work, the session goes on
    assert api.get("/api/v1/areas", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert db.session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_(None))) == 0
    assert client.get("/entries").status_code == 200
    # the old password is gone, the new one logs in
    auth.logout()
    assert auth.login("sec").status_code == 422
    assert auth.login("sec", NEW).status_code == 302


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (_form(current="wrong-pass-9"), "current_password", "当前密码不正确。"),
        (_form(current=""), "current_password", "请填写当前密码。"),
        (_form(new="short1"), "new_password", "密码至少 8 位。"),
        (_form(new="12345678901"), "new_password", "密码需同时包含字母和数字。"),
        (_form(new="onlyletters"), "new_password", "密码需同时包含字母和数字。"),
        (_form(new="pass-word-1"), "new_password", "新密码不能与当前密码相同。"),
        (_form(confirm="new-pass-2026"), "confirm", "两次输入的新密码不一致。"),
        (_form(new=""), "new_password", "请填写新密码。"),
    ],
    ids=["wrong-current", "no-current", "short", "digits", "letters", "same", "mismatch", "empty"],
)
def test_bad_input_is_explained_in_chinese_and_changes_nothing(world, client, auth, form, field, message):
    auth.login("acc")
    hash_before, events_before = _user("acc").password_hash, _events()
    resp = client.post("/password", data=form)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert f'id="{field}-error">{message}' in html, html[html.find("error") - 200 : html.find("error") + 200]
    assert _user("acc").password_hash == hash_before and _events() == events_before
    assert form["new_password"] not in html or not form["new_password"]  # passwords are never echoed back


def test_guessing_the_current_password_locks_like_the_login(world, client, auth, app):
    auth.login("acc")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/password", data=_form(current="guess-0000"))
    html = client.post("/password", data=_form()).get_data(as_text=True)  # even the right one, now
    assert "登录失败次数过多" in html
    assert check_password_hash(_user("acc").password_hash, "pass-word-1")


def test_cli_user_add_refuses_a_weak_password(app, world):
    runner = app.test_cli_runner()
    for weak, message in (("short1", "密码至少 8 位"), ("abcdefghij", "密码需同时包含字母和数字")):
        result = runner.invoke(
            args=["coop", "user", "add", "newbie", "--role", "reviewer", "--area", "441323"], input=f"{weak}\n{weak}\n"
        )
        assert result.exit_code != 0 and message in result.output, result.output
    assert _user("newbie") is None
    result = runner.invoke(
        args=["coop", "user", "add", "newbie", "--role", "reviewer", "--area", "441323"], input=f"{NEW}\n{NEW}\n"
    )
    assert result.exit_code == 0, result.output
    assert check_password_hash(_user("newbie").password_hash, NEW)


def test_a_password_change_ends_the_other_sessions(app, world, auth, client):
    other = app.test_client()
    assert other.post("/login", data={"username": "acc", "password": "pass-word-1"}).status_code == 302
    assert other.get("/entries").status_code == 200
    auth.login("acc")
    form = {"current_password": "pass-word-1", "new_password": "new-pass-2027", "confirm": "new-pass-2027"}
    assert client.post("/password", data=form).status_code == 302
    assert client.get("/entries").status_code == 200  # this session goes on
    assert other.get("/entries").status_code == 302  # the other one was logged out
    assert "/login" in other.get("/entries").headers["Location"]


def test_deployments_hash_with_scrypt_and_unknown_names_cost_the_same(app, monkeypatch):
    """The tests lower the hash's work factor; a deployment keeps werkzeug's scrypt, and the hash an
    unknown name is checked against is made the same way as real ones (timing does not tell)."""
    from config import DevelopmentConfig, ProductionConfig
    from coopapp.access import accounts

    assert DevelopmentConfig.PASSWORD_HASH_METHOD == ProductionConfig.PASSWORD_HASH_METHOD == "scrypt"
    with app.app_context():
        monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", "scrypt")
        assert accounts.hash_password("pass-word-1").startswith("scrypt:")
        assert accounts._dummy_hash().startswith("scrypt:")
        monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", "pbkdf2:sha256:1000")
        assert accounts._dummy_hash().startswith("pbkdf2:sha256:1000$")
