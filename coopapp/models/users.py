"""Users, their API tokens and the login throttle."""

import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String, false
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

    @property
    def session_stamp(self) -> str:
        """Changes with the password: a session made before a password change stops working."""
        return hashlib.sha256(b"session:" + self.password_hash.encode("utf-8")).hexdigest()[:16]

    def get_id(self) -> str:  # Flask-Login: what the session cookie holds
        return f"{self.id}:{self.session_stamp}"

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


class LoginFailure(db.Model):
    """Failed logins per username (known or not) inside the current window."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    count: Mapped[int] = mapped_column(default=0)
    first_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]
