"""The login throttle (OWASP): per user and per client address, growing delays, the device cookie
that keeps the owner's browser out of reach of guesses from elsewhere, a bounded table, an admin's unlock."""

from datetime import timedelta

import pytest

from coopapp.access import accounts, throttle
from coopapp.access.throttle import Client
from coopapp.errors import Forbidden, LoginThrottled, Unauthorized
from coopapp.extensions import db
from coopapp.models import AuditEvent, LoginFailure
from coopapp.models.base import utcnow

from .builders import PASSWORD, body

ATTACKER = Client("203.0.113.9")
OFFICE = Client("198.51.100.7")


def _fail(username: str, client: Client, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(Unauthorized):
            accounts.authenticate(username, "wrong-pass-1", client)


def _row(key: str) -> LoginFailure | None:
    db.session.expire_all()
    return db.session.query(LoginFailure).filter_by(key=key).one_or_none()


def _expire_delays() -> None:
    for row in db.session.query(LoginFailure):
        if row.blocked_until is not None:
            row.blocked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()


def _device_of(user, client: Client = OFFICE) -> Client:
    """`client` holding the device cookie a successful login as `user` gives."""
    return Client(client.address, throttle.device_cookie_value(client, user))


def test_a_name_waits_after_repeated_failures_even_with_the_right_password(app, world):
    n = app.config["LOGIN_MAX_FAILURES"]
    _fail("acc", ATTACKER, n - 1)
    assert accounts.authenticate("acc", PASSWORD, ATTACKER).username == "acc"  # not yet held back
    _fail("acc", ATTACKER, n)
    with pytest.raises(LoginThrottled, match="请 30 秒后再试") as err:
        accounts.authenticate("acc", PASSWORD, ATTACKER)
    assert err.value.retry_after == 30 and err.value.status == 429
    # Another client without the user's device cookie waits too (the name's counter).
    with pytest.raises(LoginThrottled):
        accounts.authenticate("acc", PASSWORD, OFFICE)
    assert accounts.lock_minutes("acc") == 1


def test_the_delay_doubles_with_each_failure_up_to_the_cap(app, world):
    n, cap = app.config["LOGIN_MAX_FAILURES"], app.config["LOGIN_DELAY_MAX_SECONDS"]
    waits = []
    _fail("acc", ATTACKER, n - 1)
    for _ in range(8):
        _fail("acc", ATTACKER)
        row = _row(f"user:{world.users['accountant'].id}")
        waits.append(round((row.blocked_until - row.last_at).total_seconds()))
        _expire_delays()
    assert waits == [30, 60, 120, 240, 480, cap, cap, cap]
    with pytest.raises(LoginThrottled, match="分钟后再试"):
        _fail("acc", ATTACKER)
        accounts.authenticate("acc", PASSWORD, ATTACKER)


def test_the_owners_browser_is_not_held_back_by_guesses_from_elsewhere(app, world):
    acc = world.users["accountant"]
    mine = _device_of(acc)
    _fail("acc", ATTACKER, 10)
    with pytest.raises(LoginThrottled):
        accounts.authenticate("acc", PASSWORD, ATTACKER)
    assert accounts.authenticate("acc", PASSWORD, mine).id == acc.id
    # Even from the guesser's own address: the device cookie, not the address, decides.
    assert accounts.authenticate("acc", PASSWORD, _device_of(acc, ATTACKER)).id == acc.id


def test_the_devices_own_failures_count_for_it(app, world):
    acc = world.users["accountant"]
    mine = _device_of(acc)
    _fail("acc", mine, app.config["LOGIN_MAX_FAILURES"])
    with pytest.raises(LoginThrottled):
        accounts.authenticate("acc", PASSWORD, mine)
    # ... and not against the name: another browser may still log in.
    assert accounts.authenticate("acc", PASSWORD, OFFICE).id == acc.id


def test_a_forged_or_foreign_device_cookie_is_no_device(app, world):
    acc, sec = world.users["accountant"], world.users["secretary"]
    _fail("acc", ATTACKER, 5)
    forged = Client(ATTACKER.address, throttle.device_cookie_value(ATTACKER, acc) + "x")
    for client in (forged, _device_of(sec, ATTACKER)):  # a bad signature; another user's entry
        with pytest.raises(LoginThrottled):
            accounts.authenticate("acc", PASSWORD, client)


def test_one_browser_remembers_several_users(app, world):
    acc, sec = world.users["accountant"], world.users["secretary"]
    first = _device_of(acc)
    both = Client(OFFICE.address, throttle.device_cookie_value(first, sec))
    assert throttle.device_nonce(both, acc.id) == throttle.device_nonce(first, acc.id)  # kept
    assert throttle.device_nonce(both, sec.id) not in (None, throttle.device_nonce(first, acc.id))
    again = Client(OFFICE.address, throttle.device_cookie_value(both, acc))  # logging in again keeps it
    assert throttle.device_nonce(again, acc.id) == throttle.device_nonce(first, acc.id)


def test_a_client_guessing_many_names_waits_for_every_name(app, world):
    limit = app.config["LOGIN_MAX_FAILURES_PER_CLIENT"]
    for i in range(limit):
        _fail(f"guess{i}", ATTACKER)
    with pytest.raises(LoginThrottled):
        accounts.authenticate("sec", PASSWORD, ATTACKER)  # a fresh name, from the same address
    assert accounts.authenticate("sec", PASSWORD, OFFICE).username == "sec"  # elsewhere: fine
    assert accounts.authenticate("sec", PASSWORD, _device_of(world.users["secretary"], ATTACKER))


def test_a_success_forgets_the_names_failures_but_not_the_addresss(app, world):
    acc = world.users["accountant"]
    _fail("acc", ATTACKER, 2)
    accounts.authenticate("acc", PASSWORD, ATTACKER)
    assert _row(f"user:{acc.id}") is None
    assert _row(throttle.client_key(ATTACKER.address)).count == 2


def test_guessed_names_cannot_grow_the_table(app, world):
    """Unknown names share UNKNOWN_BUCKETS counters; the names themselves are never stored."""
    clients = [Client(f"10.0.{i}.1") for i in range(30)]
    for i in range(300):
        _fail(f"nobody-{i}", clients[i % 30])
    keys = [row.key for row in db.session.query(LoginFailure)]
    names = [k for k in keys if k.startswith("name:")]
    assert all(0 <= int(k[5:]) < throttle.UNKNOWN_BUCKETS for k in names)
    assert len(keys) == len(names) + 30 and not any("nobody" in k for k in keys)


def test_rows_are_forgotten_after_the_window(app, world):
    _fail("nobody", ATTACKER, 2)
    for row in db.session.query(LoginFailure):
        row.last_at = utcnow() - timedelta(seconds=app.config["LOGIN_FORGET_SECONDS"] + 1)
    db.session.commit()
    _fail("acc", OFFICE)  # any failure prunes what is past the window
    keys = {row.key for row in db.session.query(LoginFailure)}
    assert keys == {f"user:{world.users['accountant'].id}", throttle.client_key(OFFICE.address)}


def test_old_failures_are_forgotten_after_the_window(app, world):
    n = app.config["LOGIN_MAX_FAILURES"]
    _fail("acc", ATTACKER, n - 1)
    row = _row(f"user:{world.users['accountant'].id}")
    row.last_at = utcnow() - timedelta(seconds=app.config["LOGIN_FORGET_SECONDS"] + 1)
    db.session.commit()
    _fail("acc", ATTACKER)  # counts as the first of a new window
    assert _row(f"user:{world.users['accountant'].id}").count == 1
    assert accounts.authenticate("acc", PASSWORD, ATTACKER).username == "acc"


def test_ipv6_clients_count_by_their_64_block():
    assert throttle.client_key("2001:db8:1:2:aaaa::1") == throttle.client_key("2001:db8:1:2:bbbb::9")
    assert throttle.client_key("2001:db8:1:2::1") != throttle.client_key("2001:db8:1:3::1")
    assert throttle.client_key("::ffff:192.0.2.1") == "client:192.0.2.1"


def test_an_admin_unlocks_and_it_is_audited(app, world):
    acc, admin = world.users["accountant"], world.users["admin"]
    _fail("acc", ATTACKER, 5)
    _fail("acc", _device_of(acc), 5)
    with pytest.raises(Forbidden):
        accounts.unlock_user(world.users["secretary"], acc)
    accounts.unlock_user(admin, acc)
    assert accounts.authenticate("acc", PASSWORD, OFFICE).id == acc.id
    event = db.session.query(AuditEvent).order_by(AuditEvent.seq.desc()).first()
    assert (event.action, event.actor_id, event.object_id) == ("user.unlock", admin.id, acc.id)


def test_unlock_from_the_command_line(app, world):
    _fail("acc", ATTACKER, 5)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["coop", "user", "unlock", "acc"])
    assert result.exit_code == 0, result.output
    assert "acc" in result.output
    assert accounts.lock_minutes("acc") is None
    result = runner.invoke(args=["coop", "user", "unlock", "nobody"])
    assert result.exit_code == 1 and "nobody" in result.output


# ---- through the pages and the API ------------------------------------------------------


def _login(client, username: str, password: str = PASSWORD, address: str = "198.51.100.7"):
    return client.post(
        "/login", data={"username": username, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def test_guesses_from_elsewhere_do_not_keep_the_secretary_out(app, db, world):
    mine, attacker = app.test_client(), app.test_client()
    assert _login(mine, "sec").status_code == 302
    cookie = mine.get_cookie(throttle.DEVICE_COOKIE)
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert cookie.expires is not None  # long-lived, not a browser-session cookie
    mine.post("/logout")
    for _ in range(8):
        assert _login(attacker, "sec", "guess-0000", "203.0.113.9").status_code == 422
    html = _login(attacker, "sec", PASSWORD, "203.0.113.9").get_data(as_text=True)
    assert "登录失败次数过多" in html and "后再试" in html
    assert _login(mine, "sec").status_code == 302  # her own browser goes in
    # A new browser in her office waits like anyone without the cookie.
    assert "登录失败次数过多" in _login(app.test_client(), "sec").get_data(as_text=True)


def test_the_token_endpoint_goes_through_the_throttle_and_remembers_the_device(app, db, world):
    mine, attacker = app.test_client(), app.test_client()
    good = {"username": "acc", "password": PASSWORD}
    assert mine.post("/api/v1/tokens", json=good).status_code == 201
    assert mine.get_cookie(throttle.DEVICE_COOKIE) is not None
    bad = {"username": "acc", "password": "wrong-pass-1"}
    for _ in range(4):
        attacker.post("/api/v1/tokens", json=bad, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    resp = attacker.post("/api/v1/tokens", json=good, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert resp.status_code == 429 and "秒后再试" in body(resp)["error"]["message"]
    assert int(resp.headers["Retry-After"]) > 0
    assert mine.post("/api/v1/tokens", json=good).status_code == 201


def test_the_api_unlocks(app, world, api):
    _fail("acc", ATTACKER, 5)
    assert accounts.lock_minutes("acc")
    api.as_user("admin")
    resp = api.post("/api/v1/users/acc/unlock")
    assert resp.status_code == 200 and body(resp) == {"username": "acc", "locked": False}
    assert accounts.lock_minutes("acc") is None
    assert api.post("/api/v1/users/nobody/unlock").status_code == 404
    other = type(api)(app.test_client()).as_user("sec")
    assert other.post("/api/v1/users/acc/unlock").status_code == 403


def test_the_unlock_page(app, world, client, auth):
    _fail("acc", ATTACKER, 5)
    auth.login("admin")
    html = client.get("/admin/users/acc/unlock").get_data(as_text=True)
    assert "还需等待 1 分钟" in html and "解除限制" in html
    resp = client.post("/admin/users/acc/unlock")
    assert resp.status_code == 302
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已解除 acc 的登录限制。" in html and "目前没有登录限制" in html
    assert client.get("/admin/users/nobody/unlock").status_code == 404


def test_a_failure_racing_another_for_a_new_counter_is_still_a_plain_refusal(app, world, monkeypatch):
    """Two failures at once both find no counter and both insert one: the loser is not a 409."""
    _fail("acc", ATTACKER)
    monkeypatch.setattr(throttle, "counters", lambda keys: {})  # as if read before the other's insert
    with pytest.raises(Unauthorized, match="用户名或密码错误") as err:
        accounts.authenticate("acc", "wrong-pass-1", ATTACKER)
    assert err.value.status == 401
    assert _row(f"user:{world.users['accountant'].id}").count == 1


def test_the_user_list_shows_who_is_held_back_in_one_query(app, world):
    """The admin's list (hundreds of users) asks the throttle once, not once per user."""
    from sqlalchemy import event

    from coopapp.access import users

    _fail("acc", ATTACKER, times=5)
    statements = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        rows = users.list_users(world.users["admin"])
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert {r.username for r in rows if r.locked} == {"acc"}
    assert len(statements) <= 3, statements
