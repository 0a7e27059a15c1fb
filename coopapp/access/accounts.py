"""Users, passwords, logging in (throttled: access/throttle.py), ending a user's access, API tokens."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, has_request_context
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from coopapp.access import audit, sessions, throttle
from coopapp.access.scope import authorize
from coopapp.access.throttle import Client
from coopapp.core.tx import atomic
from coopapp.errors import Conflict, Invalid, LoginThrottled, NotFound, Unauthorized
from coopapp.extensions import db
from coopapp.models import ApiToken, User
from coopapp.models.base import utcnow

MIN_PASSWORD = 8
# Hashes compared against when the username is unknown, so timing does not tell: one per method.
_DUMMY_HASHES: dict[str, str] = {}


def hash_password(password: str) -> str:
    """The stored hash of a password, by the deployment's PASSWORD_HASH_METHOD (scrypt)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def _dummy_hash() -> str:
    """A hash made the way real ones are, to check a password against when the name is unknown."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash("not-a-real-password", method=method)
    return _DUMMY_HASHES[method]


def password_problem(password: str) -> str | None:
    """Why a password is too weak, or None."""
    if len(password or "") < MIN_PASSWORD:
        return _("密码至少 %(n)s 位。", n=MIN_PASSWORD)
    if password.isdigit() or password.isalpha():
        return _("密码需同时包含字母和数字。")
    return None


@atomic
def change_password(user: User, current: str, new: str) -> None:
    """Replace the user's password after checking the current one (wrong guesses count toward the
    login throttle); the new one must meet the policy. Ends the user's access elsewhere
    (`end_user_access`: API tokens, other sessions); audited."""
    try:
        authenticate(user.username, current)
    except Unauthorized as err:
        message = err.message if isinstance(err, LoginThrottled) else _("当前密码不正确。")
        raise Invalid(message, {"current_password": message}) from None
    problem = password_problem(new)
    if problem is None and new == current:
        problem = _("新密码不能与当前密码相同。")
    if problem:
        raise Invalid(problem, {"new_password": problem})
    user.password_hash = hash_password(new)
    user.must_change_password = False
    end_user_access(user)
    audit.record(user, "user.password", user)


@atomic
def end_user_access(user: User) -> None:
    """End everything that lets `user` in without logging in again, at once: revoke all their API
    tokens (audited, one `api_token.revoke` event each) and end all their server-side sessions —
    except the current request's own session when it is `user`'s (someone changing their own
    password on the page stays logged in there; an admin acting on another user ends all of that
    user's sessions). For a password change or reset, deactivation, a role or scope change."""
    now = utcnow()
    tokens = list(
        db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))
    )
    for token in tokens:
        token.revoked_at = now
    if tokens:
        actor = current_user if has_request_context() and current_user.is_authenticated else None
        audit.record_many(actor, "api_token.revoke", tokens, {"reason": "end_user_access"})
    sessions.end_sessions(user, keep=sessions.request_session_key(user))


@atomic
def authenticate(username: str, password: str, client: Client | None = None) -> User:
    """The user for these credentials. Failures are counted per user and per client address (or
    for the user's own browser, by its device cookie) and delay further tries: LoginThrottled
    says how long. `client`: the current request's by default."""
    username = (username or "").strip()
    client = client or throttle.current_client()
    user = db.session.scalar(select(User).where(User.username == username))
    keys = throttle.attempt_keys(user, username, client)
    rows = throttle.counters(keys)
    throttle.refuse_if_waiting(rows.values())
    ok = check_password_hash(user.password_hash if user else _dummy_hash(), password or "")
    if user is not None and ok and user.is_active:
        throttle.clear_after_success(rows)
        return user
    throttle.count_failure(keys, rows)
    # Commit the failure count, then refuse: the refusal must not roll it back.
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent failure created the same counter first: this one is lost
        db.session.rollback()
    raise Unauthorized(_("用户名或密码错误。"))


def user_by_name(username: str) -> User:
    """The user with this username; NotFound naming it otherwise."""
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None:
        raise NotFound(_("用户不存在：%(u)s", u=username))
    return user


@atomic
def unlock_user(actor: User, user: User) -> None:
    """An admin forgets the user's failed logins (their name's counter and their devices'), so the
    user may log in at once from anywhere; audited. A client address's delay passes on its own."""
    authorize(actor, "manage_users", user.area)
    cleared = throttle.clear_user(user)
    audit.record(actor, "user.unlock", user, {"cleared": cleared})


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@atomic
def issue_token(user: User) -> str:
    """A new bearer token for `user`; only its hash is stored, and the audit chain vouches for the row."""
    token = secrets.token_urlsafe(32)
    days = current_app.config["API_TOKEN_DAYS"]
    row = ApiToken(user_id=user.id, token_hash=_hash_token(token), expires_at=utcnow() + timedelta(days=days))
    db.session.add(row)
    audit.record(user, "api_token.create", row)
    return token


def user_for_token(token: str) -> User | None:
    """The active user behind an unexpired, unrevoked token."""
    q = select(ApiToken).where(ApiToken.token_hash == _hash_token(token or ""))
    row = db.session.scalar(q.options(joinedload(ApiToken.user)))  # (the user with its token: one query)
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow() or not row.user.is_active:
        return None
    return row.user


@atomic
def revoke_token(user: User, token: str) -> None:
    """Revoke one of the user's own tokens."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(token or "")))
    if row is None or row.user_id != user.id:
        raise Invalid(_("令牌不存在。"))
    if row.revoked_at is not None:
        raise Conflict(_("令牌已撤销。"))
    row.revoked_at = utcnow()
    audit.record(user, "api_token.revoke", row)


def lock_minutes(username: str) -> int | None:
    """Minutes a browser without the user's device cookie must still wait to try this name, or None."""
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    seconds = throttle.user_wait_seconds(user) if user is not None else 0
    return -(-seconds // 60) if seconds > 0 else None


def token_expires_at(token: str):
    """When this token expires (None if it is unknown)."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(token or "")))
    return None if row is None else row.expires_at
