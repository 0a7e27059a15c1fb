"""Server-side sessions: a logged-in browser is a `UserSession` row, so logging out (or an admin
ending a user's access) really ends it — a copy of the cookie stops working.

The Flask session (the signed cookie) holds the user id and a random session key; the table holds
only an HMAC of the key, keyed by SECRET_KEY, so neither a copy of the table logs anyone in nor does
a row inserted by SQL. Each request costs one lookup by that unique HMAC (joined with its user);
`last_seen_at` is written at most once a minute per session.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app, has_request_context, session
from sqlalchemy import delete, select, update

from coopapp.core.tx import atomic
from coopapp.extensions import db
from coopapp.models import User, UserSession
from coopapp.models.base import utcnow

SESSION_KEY = "coop_sid"  # the key's name in the Flask session
SEEN_EVERY = timedelta(seconds=60)
KEEP_ENDED = timedelta(days=30)


def key_hmac(key: str) -> str:
    """What the table stores of a session key."""
    return hmac.new(
        current_app.secret_key.encode("utf-8"), b"session:" + key.encode("utf-8"), hashlib.sha256
    ).hexdigest()


@atomic
def start_session(user: User) -> str:
    """A new session for `user`; returns its key (for the Flask session). Drops the user's sessions
    that ended more than 30 days ago."""
    key, now = secrets.token_urlsafe(32), utcnow()
    db.session.execute(
        delete(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at < now - KEEP_ENDED)
    )
    db.session.add(UserSession(key_hmac=key_hmac(key), user_id=user.id, created_at=now, last_seen_at=now))
    return key


def session_user(user_id: int, key: str) -> User | None:
    """The active user of the session with this key, while it has not ended; else None."""
    found = db.session.execute(
        select(UserSession.id, UserSession.last_seen_at, UserSession.ended_at, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.key_hmac == key_hmac(key))
    ).first()
    if found is None:
        return None
    session_id, last_seen, ended, user = found
    if ended is not None or user.id != user_id or not user.is_active:
        return None
    now = utcnow()
    if now - last_seen > SEEN_EVERY and not (db.session.new or db.session.dirty or db.session.deleted):
        db.session.execute(update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now))
        db.session.commit()
    return user


@atomic
def end_session(key: str | None) -> None:
    """End the session with this key (logging out)."""
    if key:
        db.session.execute(
            update(UserSession)
            .where(UserSession.key_hmac == key_hmac(key), UserSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )


def request_session_key(user: User) -> str | None:
    """The current request's session key when that session is `user`'s own, else None."""
    if not has_request_context():
        return None
    key = session.get(SESSION_KEY)
    if not key or session.get("_user_id") != str(user.id):
        return None
    return key


@atomic
def end_sessions(user: User, keep: str | None = None) -> int:
    """End every session of `user` but the one with key `keep`; how many ended."""
    q = update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if keep:
        q = q.where(UserSession.key_hmac != key_hmac(keep))
    return db.session.execute(q.values(ended_at=utcnow())).rowcount or 0
