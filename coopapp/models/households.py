"""Farmer households (农户) and their cooperative shares."""

import hashlib
import secrets
from datetime import date
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, case, event, func, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from coopapp.extensions import db
from coopapp.models.areas import Area
from coopapp.models.base import MilliDecimal, adding_upsert
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
    # (active_history: the village a household moves away from is known when it moves, so that
    # both rosters change; likewise the flag's old value.)
    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True, active_history=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    head_name: Mapped[str] = mapped_column(String(50))
    members: Mapped[int] = mapped_column(default=1)
    phone: Mapped[str | None] = mapped_column(String(20))
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    formerly_poor: Mapped[bool] = mapped_column(default=False, active_history=True)  # 脱贫户
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


class VillageRoster(db.Model):
    """Per village, the size of its roster: its households and its formerly poor (脱贫户) ones, as
    the comparison shows them beside every village. Changed with every flush that adds a household,
    removes one, moves one to another village or changes its 脱贫户 flag (`roster_changes`), so the
    comparison reads 300 rows, not a county's 60,000 households; `coop rollup verify` checks it
    against the households and `coop rollup rebuild` counts it again. A village that never had a
    household has no row."""

    __tablename__ = "village_rosters"

    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True, autoincrement=False)
    households: Mapped[int] = mapped_column(default=0)
    formerly_poor: Mapped[int] = mapped_column(default=0)


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


def roster_counts():
    """(village, households, formerly poor) counted from the households: what `VillageRoster` holds."""
    return select(
        Household.village_id,
        func.count(),
        func.sum(case((Household.formerly_poor, 1), else_=0)),
    ).group_by(Household.village_id)


def _was_and_is(history) -> tuple:
    """An attribute's value before the flush and after it (None for a side it has not)."""
    if history.has_changes():
        return (history.deleted[0] if history.deleted else None, history.added[0] if history.added else None)
    value = history.unchanged[0] if history.unchanged else None
    return value, value


def roster_changes(session: Session) -> dict[int, list[int]]:
    """village → [households, formerly poor] a flush adds to its roster (negative: takes away): a
    household added or removed, moved to another village (−1 there, +1 here), or whose 脱贫户 flag
    changed."""
    changes: dict[int, list[int]] = {}

    def add(village_id, poor, sign: int) -> None:
        if village_id is not None:
            counts = changes.setdefault(village_id, [0, 0])
            counts[0] += sign
            counts[1] += sign if poor else 0

    for obj in session.new:
        if type(obj) is Household:
            add(obj.village_id, obj.formerly_poor, +1)
    for obj in (*session.dirty, *session.deleted):
        if type(obj) is not Household:
            continue
        state = inspect(obj)
        village_was, village_is = _was_and_is(state.attrs.village_id.history)
        poor_was, poor_is = _was_and_is(state.attrs.formerly_poor.history)
        if obj in session.deleted:
            add(village_was, poor_was, -1)
        elif (village_was, bool(poor_was)) != (village_is, bool(poor_is)):
            add(village_was, poor_was, -1)
            add(village_is, poor_is, +1)
    return {v: c for v, c in changes.items() if c != [0, 0]}


@event.listens_for(Session, "after_flush")
def _rosters_follow_households(session: Session, _context) -> None:
    """Every flush that changes a roster adds the change to it, in the same transaction: every
    way a household is written through the ORM (pages, API, imports, merges, the demo) keeps the
    comparison's counts right. Added, not recounted: two transactions adding households to one
    village each add theirs (the second waits for the first on the roster's row), and nothing
    else — an approval, another village — waits for either. (A statement that writes households
    without the ORM must rebuild the rosters itself, as `ledger.rollups.rebuild` does; `coop
    rollup verify` would find it.)"""
    changes = roster_changes(session)
    if not changes:
        return
    connection = session.connection()
    counts = ("households", "formerly_poor")
    for village_id, (households, poor) in sorted(changes.items()):
        values = {"village_id": village_id, "households": households, "formerly_poor": poor}
        connection.execute(
            adding_upsert(connection.dialect.name, VillageRoster.__table__, ("village_id",), values, counts)
        )
