"""Party organisations and cooperatives."""

from datetime import date

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coopapp.extensions import db
from coopapp.models.areas import Area

# The village groups a joint branch (联合党支部) covers.
party_org_groups = Table(
    "party_org_groups",
    db.metadata,
    Column("party_org_id", ForeignKey("party_orgs.id"), primary_key=True),
    Column("group_id", ForeignKey("areas.id"), primary_key=True, index=True),
)


class PartyOrg(db.Model):
    """A party committee or branch attached to a village or group (kinds: core.vocabulary.PARTY_ORG_KINDS)."""

    __tablename__ = "party_orgs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    founded: Mapped[date | None]

    area: Mapped[Area] = relationship()
    groups: Mapped[list[Area]] = relationship(secondary=party_org_groups, order_by=Area.code)
    upgrades: Mapped[list["PartyOrgUpgrade"]] = relationship(back_populates="party_org", order_by="PartyOrgUpgrade.id")

    @property
    def village(self) -> Area:
        """The village it belongs to: its own area, or its group's village (what the scope check asks)."""
        return self.area if self.area.level != "group" else self.area.parent

    def audit_snapshot(self) -> dict:
        """The fields the audit chain vouches for, its groups and upgrade history included."""
        return {
            "name": self.name,
            "kind": self.kind,
            "area_id": self.area_id,
            "founded": self.founded.isoformat() if self.founded else None,
            "group_ids": sorted(g.id for g in self.groups),
            "upgrades": [[u.upgraded_on.isoformat(), u.from_kind, u.to_kind] for u in self.upgrades],
        }


class PartyOrgUpgrade(db.Model):
    """A party organisation's change of kind on a date (a branch became a 党总支, …)."""

    __tablename__ = "party_org_upgrades"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_org_id: Mapped[int] = mapped_column(ForeignKey("party_orgs.id"), index=True)
    from_kind: Mapped[str] = mapped_column(String(20))
    to_kind: Mapped[str] = mapped_column(String(20))
    upgraded_on: Mapped[date]

    party_org: Mapped[PartyOrg] = relationship(back_populates="upgrades")


class Cooperative(db.Model):
    """A farmers' cooperative with its unified social credit code."""

    __tablename__ = "cooperatives"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    party_org_id: Mapped[int | None] = mapped_column(ForeignKey("party_orgs.id"))

    village: Mapped[Area] = relationship()
    party_org: Mapped[PartyOrg | None] = relationship()

    def audit_snapshot(self) -> dict:
        """The fields the audit chain vouches for."""
        return {
            "name": self.name,
            "credit_code": self.credit_code,
            "village_id": self.village_id,
            "party_org_id": self.party_org_id,
        }
