"""Users, passwords, login throttling and API tokens."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from coopapp.access import audit
from coopapp.core.tx import atomic
from coopapp.errors import Conflict, Invalid, Unauthorized
from coopapp.extensions import db
from coopapp.models import ApiToken, LoginFailure, User
from coopapp.models.base import utcnow

MIN_PASSWORD = 8
# Hash compared against when the username is unknown, so timing does not tell.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


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
    login lock); the new one must meet the policy. Revokes the user's API tokens; audited."""
    try:
        authenticate(user.username, current)
    except Unauthorized as err:
        message = err.message if lock_minutes(user.username) else _("当前密码不正确。")
        raise Invalid(message, {"current_password": message}) from None
    problem = password_problem(new)
    if problem is None and new == current:
        problem = _("新密码不能与当前密码相同。")
    if problem:
        raise Invalid(problem, {"new_password": problem})
    user.password_hash = generate_password_hash(new)
    user.must_change_password = False
    end_user_access(user)
    audit.record(user, "user.password", user)


def end_user_access(user: User) -> None:
    """End every way `user` is let in besides a fresh login: revoke their API tokens (a page
    session ends with the password stamp or the deactivation). Inside the caller's transaction."""
    now = utcnow()
    for token in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))):
        token.revoked_at = now


def _throttle_row(username: str) -> LoginFailure | None:
    return db.session.scalar(select(LoginFailure).where(LoginFailure.username == username.lower()))


@atomic
def authenticate(username: str, password: str) -> User:
    """The user for these credentials; failures count toward a temporary lock."""
    username = (username or "").strip()
    cfg = current_app.config
    row = _throttle_row(username)
    now = utcnow()
    if row is not None and row.locked_until is not None and row.locked_until > now:
        minutes = max(1, int((row.locked_until - now).total_seconds() // 60) + 1)
        raise Unauthorized(_("登录失败次数过多，请 %(m)s 分钟后再试。", m=minutes))
    user = db.session.scalar(select(User).where(User.username == username))
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if user is not None and ok and user.is_active:
        if row is not None:
            db.session.delete(row)
        return user
    window = timedelta(seconds=cfg["LOGIN_LOCK_SECONDS"])
    if row is None:
        row = LoginFailure(username=username.lower()[:80], count=0, first_at=now)
        db.session.add(row)
    elif now - row.first_at > window:
        row.count, row.first_at = 0, now  # failures older than the window are forgotten
    row.count += 1
    if row.count >= cfg["LOGIN_MAX_FAILURES"]:
        row.locked_until = now + window
        row.count = 0
    # Commit the failure count, then refuse: the refusal must not roll it back.
    db.session.commit()
    raise Unauthorized(_("用户名或密码错误。"))


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@atomic
def issue_token(user: User) -> str:
    """A new bearer token for `user`; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    days = current_app.config["API_TOKEN_DAYS"]
    db.session.add(ApiToken(user_id=user.id, token_hash=_hash_token(token), expires_at=utcnow() + timedelta(days=days)))
    return token


def user_for_token(token: str) -> User | None:
    """The active user behind an unexpired, unrevoked token."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(token or "")))
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


def lock_minutes(username: str) -> int | None:
    """Minutes left on a login lock for this name, or None when it is not locked."""
    row = _throttle_row((username or "").strip())
    now = utcnow()
    if row is None or row.locked_until is None or row.locked_until <= now:
        return None
    return max(1, int((row.locked_until - now).total_seconds() // 60) + 1)


def token_expires_at(token: str):
    """When this token expires (None if it is unknown)."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(token or "")))
    return None if row is None else row.expires_at
