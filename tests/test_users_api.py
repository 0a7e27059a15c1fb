"""User administration through the API, and the one-time password that must be replaced first
(on the pages: a redirect to the change-password page; in the API: 403 password_change_required)."""

import pytest

from coopapp.extensions import db
from coopapp.models import User

from .builders import ApiClient, add_user, body, login


@pytest.fixture()
def admin_api(app, world):
    return login(app, "admin")


def _new_user(admin_api, **fields) -> dict:
    data = {"username": "ganxi.acc", "display_name": "李会计", "role": "村会计", "area": "441323110202", **fields}
    resp = admin_api.post("/api/v1/users", json=data)
    assert resp.status_code == 201, resp.get_json()
    return body(resp)


def test_a_new_user_must_replace_the_one_time_password_in_the_api(app, admin_api):
    created = _new_user(admin_api)
    assert created["role"] == "accountant" and created["must_change_password"]
    otp = created["one_time_password"]
    newbie = login(app, "ganxi.acc", otp)
    resp = newbie.get("/api/v1/entries")
    assert resp.status_code == 403 and body(resp)["error"]["code"] == "password_change_required"
    resp = newbie.post("/api/v1/password", json={"current_password": otp, "new_password": "own-pass-123"})
    assert resp.status_code == 200 and body(resp) == {"changed": True, "tokens_revoked": True}
    assert newbie.get("/api/v1/entries").status_code == 401  # that token ended with the old password
    assert login(app, "ganxi.acc", "own-pass-123").get("/api/v1/entries").status_code == 200


def test_a_new_user_is_sent_to_the_password_page_first(app, admin_api, client, auth):
    otp = _new_user(admin_api)["one_time_password"]
    auth.login("ganxi.acc", otp)
    resp = client.get("/entries")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/password")
    page = client.get("/password").get_data(as_text=True)
    assert "一次性密码" in page
    resp = client.post(
        "/password", data={"current_password": otp, "new_password": "own-pass-123", "confirm": "own-pass-123"}
    )
    assert resp.status_code == 302
    assert client.get("/entries").status_code == 200


def test_the_list_is_the_admins_scope_and_can_be_filtered(app, world, admin_api):
    add_user("gaotan.admin", "admin", world.town_a)
    db.session.commit()
    rows = body(admin_api.get("/api/v1/users?area=441323107"))
    assert {r["username"] for r in rows} == {"acc2", "sec2"}
    assert set(rows[0]) == {"username", "display_name", "role", "area", "phone", "active", "locked"}
    town = login(app, "gaotan.admin")
    names = {r["username"] for r in body(town.get("/api/v1/users"))}
    assert "acc" in names and "acc2" not in names and "admin" not in names
    resp = town.post(
        "/api/v1/users", json={"username": "x", "display_name": "某", "role": "accountant", "area": "441323107203"}
    )
    assert resp.status_code == 422 and "area" in body(resp)["error"]["fields"]
    assert town.patch("/api/v1/users/acc2", json={"display_name": "某"}).status_code == 404
    assert town.get("/api/v1/users?area=441323107").status_code == 403


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"username": "acc", "role": "accountant", "area": "441323110201"}, "username"),
        ({"username": "n", "display_name": "  ", "role": "accountant", "area": "441323110201"}, "display_name"),
        ({"username": "n", "role": "组长", "area": "441323110201"}, "role"),
        ({"username": "n", "role": ["accountant"], "area": "441323110201"}, "role"),
    ],
)
def test_bad_input_is_422_naming_the_field(admin_api, data, field):
    before = db.session.query(User).count()
    resp = admin_api.post("/api/v1/users", json=data)
    assert resp.status_code == 422 and field in body(resp)["error"]["fields"], body(resp)
    assert db.session.query(User).count() == before


def test_deactivate_reset_and_activate(app, world, admin_api):
    acc = login(app, "acc")
    resp = admin_api.patch("/api/v1/users/acc", json={"active": False})
    assert resp.status_code == 200 and body(resp)["active"] is False
    assert acc.get("/api/v1/entries").status_code == 401
    assert admin_api.patch("/api/v1/users/acc", json={"active": "no"}).status_code == 422
    assert admin_api.patch("/api/v1/users/acc", json={"active": True}).status_code == 200
    resp = admin_api.post("/api/v1/users/acc/reset-password", json={})
    otp = body(resp)["one_time_password"]
    assert resp.status_code == 200 and len(otp) >= 8
    fresh = ApiClient(app.test_client()).as_user("acc", otp)
    assert body(fresh.get("/api/v1/entries"))["error"]["code"] == "password_change_required"
