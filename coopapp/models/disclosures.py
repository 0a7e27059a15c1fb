"""The disclosure calendar: when a village published its notice (公开栏) for a month or a quarter."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coopapp.extensions import db
from coopapp.models.areas import Area
from coopapp.models.base import utcnow


class Disclosure(db.Model):
    """One publication of a village's notice: `period` is a month ("2025-09") or a quarter ("2025Q3")."""

    __tablename__ = "disclosures"
    __table_args__ = (
        UniqueConstraint("village_id", "period"),
        Index("ix_disclosures_village_published", "village_id", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    period: Mapped[str] = mapped_column(String(7))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    village: Mapped[Area] = relationship()
    published_by = relationship("User")

    def audit_snapshot(self) -> dict:
        """The fields the audit chain vouches for."""
        return {
            "village_id": self.village_id,
            "period": self.period,
            "published_at": self.published_at.isoformat(timespec="microseconds") if self.published_at else None,
            "published_by_id": self.published_by_id,
        }
