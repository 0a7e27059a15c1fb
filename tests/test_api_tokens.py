"""Bearer tokens: issue, use, refuse, revoke, expire, throttle; JSON-only POSTs."""

from datetime import timedelta

from coopapp.extensions import db
from coopapp.models import ApiToken
from coopapp.models.base import utcnow

from .builders import body, counts, entry_body, session_login


def test_issue_and_use_token(world, api):
    resp = api.client.post("/api/v1/tokens", json={"username": "acc", "password": "pass-word-1"})
    assert resp.status_code == 201
    data = body(resp)
    assert len(data["token"]) >= 32 and data["expires_at"].endswith("Z")
    resp = api.client.get("/api/v1/areas", headers={"Authorization": f"Bearer {data['token']}"})
    assert resp.status_code == 200
    assert [a["code"] for a in body(resp)] == ["441323110201", "441323110201001"]


def test_wrong_password_is_401_with_error_shape(world, api):
    resp = api.client.post("/api/v1/tokens", json={"username": "acc", "password": "wrong-pass-1"})
    assert resp.status_code == 401
    assert body(resp)["error"]["code"] == "unauthorized"
    resp = api.client.post("/api/v1/tokens", json={"username": "nobody", "password": "pass-word-1"})
    assert resp.status_code == 401


def test_missing_password_names_the_field(world, api):
    resp = api.client.post("/api/v1/tokens", json={"username": "acc"})
    assert resp.status_code == 422
    assert "password" in body(resp)["error"]["fields"]


def test_lockout_after_repeated_failures_is_429_even_with_right_password(world, api):
    for _ in range(3):  # LOGIN_MAX_FAILURES in the test config
        assert api.client.post("/api/v1/tokens", json={"username": "acc", "password": "bad-pass-0"}).status_code == 401
    resp = api.client.post("/api/v1/tokens", json={"username": "acc", "password": "pass-word-1"})
    assert resp.status_code == 429
    assert body(resp)["error"]["code"] == "too_many_requests"
    assert body(resp)["error"]["message"] == "登录失败次数过多，请 30 秒后再试。"
    assert resp.headers["Retry-After"] == "30"


def test_revoke_then_token_is_401(world, api):
    api.as_user("acc")
    assert api.get("/api/v1/entries").status_code == 200
    resp = api.client.delete("/api/v1/tokens", headers=api.headers)
    assert resp.status_code == 204
    db.session.rollback()
    assert db.session.query(ApiToken).one().revoked_at is not None
    resp = api.get("/api/v1/entries")
    assert resp.status_code == 401
    assert body(resp)["error"]["code"] == "unauthorized"


def test_expired_token_is_401(world, api):
    api.as_user("acc")
    row = db.session.query(ApiToken).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert api.get("/api/v1/entries").status_code == 401


def test_garbage_token_and_no_token_are_401(world, api):
    assert api.client.get("/api/v1/projects").status_code == 401
    resp = api.client.get("/api/v1/projects", headers={"Authorization": "Bearer not-a-token"})
    assert resp.status_code == 401
    assert set(body(resp)["error"]) == {"code", "message", "fields"}


def test_session_cookie_post_needs_json_content_type(app, world):
    """A cross-site HTML form carries the cookie but cannot send application/json: refused."""
    client = app.test_client()
    session_login(client, world.users["accountant"])
    assert client.get("/api/v1/entries").status_code == 200  # the session works for reads
    before = counts()
    form = {k: str(v) for k, v in entry_body(world).items()}
    resp = client.post("/api/v1/entries", data=form)
    assert resp.status_code == 415
    resp = client.post("/api/v1/entries", data="project_id=1", content_type="text/plain")
    assert resp.status_code == 415
    assert counts() == before
    resp = client.post("/api/v1/entries", json=entry_body(world))
    assert resp.status_code == 201


def test_invalid_json_body_is_400(world, api):
    api.as_user("acc")
    before = counts()
    resp = api.client.post("/api/v1/entries", data="{not json", content_type="application/json", headers=api.headers)
    assert resp.status_code == 400
    resp = api.client.post("/api/v1/entries", data="[1, 2]", content_type="application/json", headers=api.headers)
    assert resp.status_code == 400
    assert counts() == before
