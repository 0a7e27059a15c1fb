"""Party organisations and cooperatives."""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coopapp.extensions import db
from coopapp.models.areas import Area

PARTY_ORG_KINDS = ("committee", "general_branch", "branch")  # 党委 / 党总支 / 党支部


class PartyOrg(db.Model):
    """A party committee or branch attached to a village or group."""

    __tablename__ = "party_orgs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)

    area: Mapped[Area] = relationship()


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
