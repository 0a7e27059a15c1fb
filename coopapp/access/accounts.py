"""Users, passwords, logging in (throttled: access/throttle.py), ending a user's access, API tokens."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, has_request_context
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from coopapp.access import audit, sessions, throttle
from coopapp.access.scope import authorize
from coopapp.access.throttle import Client
from coopapp.core.codes import canonical_area_code
from coopapp.core.tx import atomic
from coopapp.errors import Conflict, Invalid, LoginThrottled, NotFound, Unauthorized
from coopapp.extensions import db
from coopapp.models import ROLES, ApiToken, Area, User
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
def add_user(username: str, password: str, role: str, area_code: str) -> User:
    """Create a user with a hashed password, scoped to an area."""
    errors = {}
    username = (username or "").strip()
    if not username:
        errors["username"] = _("请填写用户名。")
    elif db.session.scalar(select(User.id).where(User.username == username)):
        errors["username"] = _("用户名已存在。")
    if role not in ROLES:
        errors["role"] = _("未知角色：%(r)s（可选：%(all)s）", r=role, all=", ".join(ROLES))
    try:
        area_code = canonical_area_code(area_code, field="area")
    except Invalid as exc:
        errors.update(exc.fields)
        area = None
    else:
        area = db.session.scalar(select(Area).where(Area.code == area_code))
    if area is None and "area" not in errors:
        errors["area"] = _("区域代码不存在：%(c)s", c=area_code)
    elif area is not None and area.retired:
        errors["area"] = _("区域已撤销：%(c)s %(n)s。", c=area.code, n=area.name)
    elif area is not None and role in ("accountant", "secretary") and area.level != "village":
        errors["area"] = _("村会计和村书记的范围必须是一个村。")
    problem = password_problem(password)
    if problem:
        errors["password"] = problem
    if errors:
        raise Invalid(next(iter(errors.values())), errors)
    user = User(username=username, password_hash=generate_password_hash(password), role=role, area_id=area.id)
    db.session.add(user)
    audit.record(None, "user.create", user)
    return user


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
    user.password_hash = generate_password_hash(new)
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
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
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
