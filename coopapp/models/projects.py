"""Projects: what earns the income (hives, a PV array, a tourist site…)."""

from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coopapp.extensions import db
from coopapp.models.areas import Area
from coopapp.models.base import MilliDecimal
from coopapp.models.orgs import Cooperative


class Project(db.Model):
    """A cooperative's or the village collective's income-earning project."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    # None: the project belongs to the village collective itself.
    cooperative_id: Mapped[int | None] = mapped_column(ForeignKey("cooperatives.id"))
    capacity: Mapped[Decimal | None] = mapped_column(MilliDecimal)
    capacity_unit: Mapped[str | None] = mapped_column(String(10))
    target_output_fen: Mapped[int | None] = mapped_column(BigInteger)
    target_collective_income_fen: Mapped[int | None] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(default=True)

    village: Mapped[Area] = relationship()
    cooperative: Mapped[Cooperative | None] = relationship()

    def audit_snapshot(self) -> dict:
        """The fields the audit chain vouches for."""
        return {
            "name": self.name,
            "type": self.type,
            "village_id": self.village_id,
            "cooperative_id": self.cooperative_id,
            "capacity": None if self.capacity is None else format(Decimal(self.capacity).normalize(), "f"),
            "capacity_unit": self.capacity_unit,
            "target_output_fen": self.target_output_fen,
            "target_collective_income_fen": self.target_collective_income_fen,
            "active": bool(self.active),
        }
