"""Farmer households (农户) and their cooperative shares."""

import hashlib
import secrets
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    case,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

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
    # (active_history: the village a household moves away from is known when it moves, so that
    # both rosters are recounted; likewise the flag's old value.)
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
    the comparison shows them beside every village. Recounted from the households whenever one is
    added, moved to another village, removed or has its 脱贫户 flag changed (`villages.rosters`),
    so the comparison reads 300 rows, not a county's 60,000 households; `coop rollup verify`
    checks it against the households. A village without households has no row."""

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


def roster_counts(village_ids=None):
    """(village, households, formerly poor) counted from the households (of these villages, or all)."""
    q = select(
        Household.village_id,
        func.count(),
        func.sum(case((Household.formerly_poor, 1), else_=0)),
    ).group_by(Household.village_id)
    return q if village_ids is None else q.where(Household.village_id.in_(village_ids))


def recount_rosters(connection, village_ids) -> None:
    """Count these villages' rosters again (`VillageRoster`), on `connection` inside its transaction.

    Each village's row is locked first (as `ledger.locks.lock_village` does), in id order, so two
    transactions adding households to one village count one after the other — the second seeing
    the first's households — instead of both writing a count that misses the other's."""
    ids = sorted(set(village_ids))
    if not ids:
        return
    areas = Area.__table__
    connection.execute(update(areas).where(areas.c.id.in_(ids)).values(code=areas.c.code))
    connection.execute(delete(VillageRoster.__table__).where(VillageRoster.__table__.c.village_id.in_(ids)))
    connection.execute(
        insert(VillageRoster.__table__).from_select(["village_id", "households", "formerly_poor"], roster_counts(ids))
    )


def _rosters_touched(session: Session) -> set[int]:
    """The villages whose roster a flush changes: a household added or removed, or one whose
    village or 脱贫户 flag changed (both villages of a move)."""
    touched: set[int] = set()
    for obj in (*session.new, *session.deleted):
        if type(obj) is Household and obj.village_id is not None:
            touched.add(obj.village_id)
    for obj in session.dirty:
        if type(obj) is not Household:
            continue
        state = inspect(obj)
        moved, flagged = state.attrs.village_id.history, state.attrs.formerly_poor.history
        if moved.has_changes() or flagged.has_changes():
            touched.update(v for v in (*moved.added, *moved.deleted, *moved.unchanged) if v is not None)
    return touched


@event.listens_for(Session, "after_flush")
def _rosters_follow_households(session: Session, _context) -> None:
    """Every flush that changes a roster recounts it, in the same transaction: every way a
    household is written through the ORM (pages, API, imports, merges, the demo) keeps the
    comparison's counts right. (A statement that writes households without the ORM must call
    `recount_rosters` itself; `coop rollup verify` would find it.)"""
    touched = _rosters_touched(session)
    if touched:
        recount_rosters(session.connection(), touched)
