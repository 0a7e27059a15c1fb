"""Users, their API tokens and the login throttle."""

import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coopapp.core.vocabulary import ROLES  # noqa: F401  (the models package names it too)
from coopapp.extensions import db
from coopapp.models.areas import Area
from coopapp.models.base import utcnow


class User(UserMixin, db.Model):
    """A person who logs in; `area` is the root of everything they may see."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    display_name: Mapped[str] = mapped_column(String(80), default="", server_default="")
    phone: Mapped[str] = mapped_column(String(20), default="", server_default="")
    active: Mapped[bool] = mapped_column(default=True)
    # Set by an admin's reset or a bulk import: the user must choose a password before anything else.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    area: Mapped[Area] = relationship(lazy="joined")

    @property
    def shown_name(self) -> str:
        """The name pages show for this user (登记人, 审核人): the display name, else the login name."""
        return self.display_name or self.username

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.active)

    def get_id(self) -> str:  # Flask-Login: the session also holds a server-side session's key
        return str(self.id)

    def audit_snapshot(self) -> dict:
        """The fields the audit chain vouches for (a digest of the hash, not the hash)."""
        return {
            "username": self.username,
            "role": self.role,
            "area_id": self.area_id,
            "active": bool(self.active),
            "display_name": self.display_name or "",
            "phone": self.phone or "",
            "must_change_password": bool(self.must_change_password),
            "password": hashlib.sha256(self.password_hash.encode("utf-8")).hexdigest(),
        }


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    def audit_snapshot(self) -> dict:
        """The fields the audit chain vouches for: a token row inserted or edited by SQL fails
        `audit verify`. The chain is not secret, so it holds a digest of the stored hash."""
        return {
            "user_id": self.user_id,
            "token": hashlib.sha256(b"token:" + self.token_hash.encode("ascii")).hexdigest(),
            "expires_at": self.expires_at.isoformat(timespec="seconds"),
            "revoked": self.revoked_at is not None,
        }


class LoginFailure(db.Model):
    """Failed logins counted under one key: a user (`user:ID`), a bucket of unknown names
    (`name:N`), a client address (`client:ADDR`) or a trusted device (`device:ID:NONCE`)."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    count: Mapped[int] = mapped_column(default=0)
    last_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    blocked_until: Mapped[datetime | None]


class UserSession(db.Model):
    """A logged-in browser session. Only an HMAC (keyed by SECRET_KEY) of its random key is
    stored, so a row inserted by SQL grants nothing; logging out ends it."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hmac: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


class IdempotencyKey(db.Model):
    """An `Idempotency-Key` a user sent with a write (offline sync): the hash of the request's body
    and, once the write is done, its status and response body, replayed to a repeat of the request.
    `status` is None while the first request is in flight. Kept 7 days (access/idempotency.py)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(255))
    body_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None]
    response: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
