"""Server-side sessions: logging out ends the session (a copied cookie stops working); the table
holds only an HMAC of each key; `end_user_access` ends tokens and sessions at once."""

import hashlib
from datetime import timedelta

from flask import session
from sqlalchemy import func, select

from coopapp.access import accounts, audit, sessions
from coopapp.extensions import db
from coopapp.models import ApiToken, UserSession
from coopapp.models.base import utcnow

from .builders import PASSWORD, session_login, statements


def _copy(app, client):
    """Another browser holding a copy of `client`'s cookies."""
    other = app.test_client()
    for cookie in client._cookies.values():
        other.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    return other


def _open(client) -> bool:
    return client.get("/entries").status_code == 200


def test_a_cookie_copied_before_logout_stops_working(app, world, client, auth):
    assert auth.login("acc").status_code == 302
    copy = _copy(app, client)
    assert _open(copy)  # the copy works while the session lasts
    auth.logout()
    assert not _open(copy)
    assert "/login" in copy.get("/entries").headers["Location"]
    row = db.session.scalars(select(UserSession)).one()
    assert row.ended_at is not None and row.user_id == world.users["accountant"].id


def test_the_table_holds_only_an_hmac_and_a_row_inserted_by_sql_grants_nothing(app, world, client):
    acc = world.users["accountant"]
    key = session_login(client, acc)
    row = db.session.scalars(select(UserSession)).one()
    assert key not in row.key_hmac and row.key_hmac == sessions.key_hmac(key)
    assert row.key_hmac != hashlib.sha256(key.encode()).hexdigest()
    forged_key = "k" * 43
    for stored in (forged_key, hashlib.sha256(forged_key.encode()).hexdigest()):
        db.session.add(UserSession(key_hmac=stored, user_id=acc.id))
    db.session.commit()
    intruder = app.test_client()
    with intruder.session_transaction() as sess:
        sess.update({"_user_id": str(acc.id), "_fresh": True, sessions.SESSION_KEY: forged_key})
    assert not _open(intruder)
    assert _open(client)


def test_a_session_of_another_user_id_or_a_deactivated_user_grants_nothing(app, world, client):
    acc = world.users["accountant"]
    key = session_login(client, acc)
    with client.session_transaction() as sess:
        sess["_user_id"] = str(world.users["admin"].id)
    assert not _open(client)
    with client.session_transaction() as sess:
        sess["_user_id"] = str(acc.id)
    assert _open(client)
    acc.active = False
    db.session.commit()
    assert not _open(client) and key


def test_each_request_is_one_lookup_and_last_seen_is_written_at_most_once_a_minute(app, world, client):
    session_login(client, world.users["accountant"])
    with statements() as seen:
        for _ in range(5):
            assert client.get("/api/v1/areas").status_code == 200
    session_sql = [s for s in seen if "user_sessions" in s]
    assert len(session_sql) == 5 and all(s.lstrip().upper().startswith("SELECT") for s in session_sql)
    row = db.session.scalars(select(UserSession)).one()
    row.last_seen_at = utcnow() - timedelta(minutes=2)
    db.session.commit()
    with statements() as seen:
        for _ in range(3):
            client.get("/api/v1/areas")
    writes = [s for s in seen if s.lstrip().upper().startswith("UPDATE USER_SESSIONS")]
    assert len(writes) == 1
    db.session.expire_all()
    assert utcnow() - db.session.scalars(select(UserSession)).one().last_seen_at < timedelta(seconds=30)


def test_logging_in_again_drops_sessions_ended_long_ago(app, world, client, auth):
    acc = world.users["accountant"]
    db.session.add(UserSession(key_hmac="0" * 64, user_id=acc.id, ended_at=utcnow() - timedelta(days=31)))
    db.session.add(UserSession(key_hmac="1" * 64, user_id=acc.id, ended_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    auth.login("acc")
    stored = set(db.session.scalars(select(UserSession.key_hmac)))
    assert "1" * 64 in stored and "0" * 64 not in stored and len(stored) == 2


def _live_tokens(user) -> int:
    q = select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    return db.session.scalar(q)


def test_end_user_access_by_someone_else_ends_every_session_and_token(app, world):
    acc = world.users["accountant"]
    browsers = [app.test_client() for _ in range(2)]
    for browser in browsers:
        assert browser.post("/login", data={"username": "acc", "password": PASSWORD}).status_code == 302
    accounts.issue_token(acc)
    accounts.issue_token(acc)
    accounts.end_user_access(acc)  # outside a request (the CLI), or an admin's request
    assert not any(_open(b) for b in browsers)
    assert _live_tokens(acc) == 0
    assert audit.verify() is None


def test_end_user_access_in_the_users_own_request_keeps_that_session(app, world, client):
    acc = world.users["accountant"]
    other = app.test_client()
    session_login(other, acc)
    key = session_login(client, acc)
    with app.test_request_context("/"):
        session.update({"_user_id": str(acc.id), sessions.SESSION_KEY: key})
        accounts.end_user_access(acc)
    assert _open(client) and not _open(other)


def test_end_user_access_in_an_admins_request_ends_all_of_the_users_sessions(app, world, client):
    acc, admin = world.users["accountant"], world.users["admin"]
    session_login(client, acc)
    admin_key = sessions.start_session(admin)
    with app.test_request_context("/"):
        session.update({"_user_id": str(admin.id), sessions.SESSION_KEY: admin_key})
        accounts.end_user_access(acc)
    assert not _open(client)
