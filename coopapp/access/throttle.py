"""Login throttling as OWASP advises: failures are counted per user *and* per client address, with
delays that grow instead of a lock anyone could keep on a name, and a device cookie that keeps a
user's own browser out of reach of guesses made elsewhere.

Keys a failure counts under (rows of `LoginFailure`):
- `user:ID` — a known user, from browsers without that user's device cookie;
- `name:N` — an unknown name, hashed into one of `UNKNOWN_BUCKETS` (guessed names cannot grow
  the table; they throttle like real ones, so the delay does not tell which names exist);
- `client:ADDR` — the client address (IPv6 by its /64), whatever name it tries;
- `device:ID:NONCE` — a browser holding the user's device cookie: only its own failures count
  against it, and the name's and address's counters do not apply to it.
After LOGIN_MAX_FAILURES (a client: LOGIN_MAX_FAILURES_PER_CLIENT) failures, each further one
waits LOGIN_DELAY_SECONDS, doubling up to LOGIN_DELAY_MAX_SECONDS. A row is forgotten after
LOGIN_FORGET_SECONDS without failures (every failure prunes such rows), so the table holds at
most users + buckets + devices + the addresses that failed within that time.
"""

import hashlib
import ipaddress
import math
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select

from coopapp.errors import LoginThrottled
from coopapp.extensions import db
from coopapp.models import LoginFailure, User
from coopapp.models.base import utcnow

DEVICE_COOKIE = "coop_device"
DEVICE_COOKIE_DAYS = 365
MAX_DEVICE_USERS = 8  # users remembered by one browser (a shared village-office PC)
UNKNOWN_BUCKETS = 1024


@dataclass(frozen=True)
class Client:
    """Who is trying: the client address (after ProxyFix, see TRUSTED_PROXIES) and the raw device cookie."""

    address: str | None = None
    device: str | None = None


def current_client() -> Client:
    """The client of the current request (an empty one outside a request: the CLI)."""
    if not has_request_context():
        return Client()
    return Client(request.remote_addr, request.cookies.get(DEVICE_COOKIE))


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="coop-device")


def _device_entries(raw: str | None) -> list[str]:
    """The signed cookie's entries `USER_ID.NONCE`; none if it is missing, forged or malformed."""
    if not raw:
        return []
    try:
        data = _signer().loads(raw)
    except BadSignature:
        return []
    return [e for e in data if isinstance(e, str)][:MAX_DEVICE_USERS] if isinstance(data, list) else []


def device_nonce(client: Client, user_id: int) -> str | None:
    """The nonce of this browser's device entry for the user, or None when it holds none."""
    for entry in _device_entries(client.device):
        uid, _sep, nonce = entry.partition(".")
        if uid == str(user_id) and nonce:
            return nonce
    return None


def device_cookie_value(client: Client, user: User) -> str:
    """The device cookie after `user` logged in from this browser: their entry (kept, or new) first."""
    entries = _device_entries(client.device)
    nonce = device_nonce(client, user.id) or secrets.token_urlsafe(12)
    mine = f"{user.id}.{nonce}"
    return _signer().dumps([mine, *(e for e in entries if e != mine)][:MAX_DEVICE_USERS])


def remember_device(response, user: User):
    """Set (or refresh) on `response` the signed, long-lived, httponly device cookie for `user`."""
    response.set_cookie(
        DEVICE_COOKIE,
        device_cookie_value(current_client(), user),
        max_age=DEVICE_COOKIE_DAYS * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
    return response


def client_key(address: str | None) -> str:
    """The counter of a client address; an IPv6 address counts by its /64 (one subscriber's block)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return f"client:{(address or '-')[:100]}"
    if ip.version == 6:
        if ip.ipv4_mapped:
            return f"client:{ip.ipv4_mapped}"
        return f"client:{ipaddress.ip_network(f'{ip}/64', strict=False)}"
    return f"client:{ip}"


def attempt_keys(user: User | None, username: str, client: Client) -> list[str]:
    """The counters a login attempt is judged by and counts against."""
    nonce = device_nonce(client, user.id) if user is not None else None
    if nonce is not None:
        return [f"device:{user.id}:{nonce}"]
    if user is not None:
        name_key = f"user:{user.id}"
    else:
        digest = hashlib.sha256(username.lower().encode("utf-8")).digest()
        name_key = f"name:{int.from_bytes(digest[:4], 'big') % UNKNOWN_BUCKETS}"
    return [name_key, client_key(client.address)]


def counters(keys: list[str]) -> dict[str, LoginFailure]:
    """The existing rows of these keys (one query)."""
    return {row.key: row for row in db.session.scalars(select(LoginFailure).where(LoginFailure.key.in_(keys)))}


def wait_seconds(rows) -> int:
    """Seconds until none of these counters holds the attempt back (0: it may go ahead)."""
    now = utcnow()
    blocked = [r.blocked_until for r in rows if r.blocked_until is not None and r.blocked_until > now]
    return max((math.ceil((b - now).total_seconds()) for b in blocked), default=0)


def refuse_if_waiting(rows) -> None:
    """LoginThrottled, saying how long to wait, while a counter holds the attempt back."""
    seconds = wait_seconds(rows)
    if seconds > 0:
        raise LoginThrottled(wait_message(seconds), seconds)


def wait_message(seconds: int) -> str:
    """ "Too many failures, try again in …" in the user's language."""
    if seconds < 60:
        return _("登录失败次数过多，请 %(s)s 秒后再试。", s=seconds)
    return _("登录失败次数过多，请 %(m)s 分钟后再试。", m=math.ceil(seconds / 60))


def count_failure(keys: list[str], rows: dict[str, LoginFailure]) -> None:
    """One more failure on each key; past its limit a key waits, longer with every failure."""
    cfg, now = current_app.config, utcnow()
    forget = timedelta(seconds=cfg["LOGIN_FORGET_SECONDS"])
    db.session.execute(delete(LoginFailure).where(LoginFailure.last_at < now - forget, LoginFailure.key.not_in(keys)))
    for key in keys:
        row = rows.get(key)
        if row is None:
            row = LoginFailure(key=key, count=0, last_at=now)
            db.session.add(row)
        elif now - row.last_at > forget:
            row.count, row.blocked_until = 0, None
        row.count += 1
        row.last_at = now
        limit = cfg["LOGIN_MAX_FAILURES_PER_CLIENT"] if key.startswith("client:") else cfg["LOGIN_MAX_FAILURES"]
        if row.count >= limit:
            delay = cfg["LOGIN_DELAY_SECONDS"] * 2 ** min(row.count - limit, 30)
            row.blocked_until = now + timedelta(seconds=min(delay, cfg["LOGIN_DELAY_MAX_SECONDS"]))


def clear_after_success(rows: dict[str, LoginFailure]) -> None:
    """A successful login forgets the user's and the device's failures (not the address's: a guesser
    must not wipe their own counter by logging in to an account of their own)."""
    for key, row in rows.items():
        if not key.startswith("client:"):
            db.session.delete(row)


def clear_user(user: User) -> int:
    """Forget the user's failures, from anywhere and on every device (an admin's unlock); how many."""
    q = delete(LoginFailure).where(
        (LoginFailure.key == f"user:{user.id}") | LoginFailure.key.startswith(f"device:{user.id}:")
    )
    return db.session.execute(q).rowcount or 0


def user_wait_seconds(user: User) -> int:
    """Seconds a browser without the user's device cookie must wait before trying the name (0: none)."""
    return wait_seconds(counters([f"user:{user.id}"]).values())


def held_back(user_ids: list[int]) -> set[int]:
    """Which of these users a browser without their device cookie must now wait to try (one query:
    a list of hundreds of users asks it once, not per user)."""
    rows = counters([f"user:{uid}" for uid in user_ids]).values()
    now = utcnow()
    return {int(r.key.split(":", 1)[1]) for r in rows if r.blocked_until is not None and r.blocked_until > now}


def held_back_now() -> set[int]:
    """Every user a browser without their device cookie must now wait to try (one query over the
    users' counters, which hold only the users that failed lately)."""
    q = select(LoginFailure.key).where(LoginFailure.key.startswith("user:"), LoginFailure.blocked_until > utcnow())
    return {int(key.split(":", 1)[1]) for key in db.session.scalars(q)}
