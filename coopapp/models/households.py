"""Farmer households (农户) and their cooperative shares."""

import hashlib
import secrets
from datetime import date
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coopapp.extensions import db
from coopapp.models.areas import Area
from coopapp.models.base import MilliDecimal
from coopapp.models.orgs import Cooperative


def new_public_token() -> str:
    """32 random bytes, URL-safe: the key of a household's public statement page."""
    return secrets.token_urlsafe(32)


def public_link_digest(token: str) -> str:
    """What the audit chain holds of a household's public-page key: its SHA-256 (the chain is not
    secret; the key is), so a key set by SQL fails `audit verify`."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


class Household(db.Model):
    """A household of a village group. The ID number is shown masked outside its village."""

    __tablename__ = "households"
    # Covers the roster counts per village (all and formerly poor) of the comparison.
    __table_args__ = (Index("ix_households_village_poor", "village_id", "formerly_poor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    head_name: Mapped[str] = mapped_column(String(50))
    members: Mapped[int] = mapped_column(default=1)
    phone: Mapped[str | None] = mapped_column(String(20))
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    formerly_poor: Mapped[bool] = mapped_column(default=False)  # 脱贫户
    monitored: Mapped[bool] = mapped_column(default=False)  # 监测户
    # The unguessable key of the household's public statement page (printed as a QR code).
    public_token: Mapped[str] = mapped_column(String(43), unique=True, default=new_public_token)

    village: Mapped[Area] = relationship(foreign_keys=[village_id])
    group: Mapped[Area | None] = relationship(foreign_keys=[group_id])

    def audit_snapshot(self) -> dict:
        """The fields the audit chain vouches for."""
        return {
            "village_id": self.village_id,
            "group_id": self.group_id,
            "head_name": self.head_name,
            "members": self.members,
            "phone": self.phone,
            "id_number": self.id_number,
            "formerly_poor": bool(self.formerly_poor),
            "monitored": bool(self.monitored),
            "public_link": public_link_digest(self.public_token),
        }


class Membership(db.Model):
    """A household's shares (股份) in a cooperative from `since` on; a later row records a change."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("household_id", "cooperative_id", "since"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    shares: Mapped[Decimal] = mapped_column(MilliDecimal)
    since: Mapped[date]

    household: Mapped[Household] = relationship()
    cooperative: Mapped[Cooperative] = relationship()

    def audit_snapshot(self) -> dict:
        return {
            "household_id": self.household_id,
            "cooperative_id": self.cooperative_id,
            "shares": format(Decimal(self.shares).normalize(), "f"),
            "since": self.since.isoformat(),
        }
