"""Projects: what earns the income (hives, a PV array, a tourist site…)."""

from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
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
    active: Mapped[bool] = mapped_column(default=True)
    # The village group (村民小组) whose project it is: its entries are in that group's books.
    group_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))

    village: Mapped[Area] = relationship(foreign_keys=[village_id])
    group: Mapped[Area | None] = relationship(foreign_keys=[group_id])
    cooperative: Mapped[Cooperative | None] = relationship()
    # Lists of projects load them with selectinload(Project.targets): one query for the list.
    targets: Mapped[list["ProjectTarget"]] = relationship(back_populates="project", order_by="ProjectTarget.year")

    @property
    def scope_area(self) -> Area:
        """The area whose scope covers the project: its group when it has one, else its village."""
        return self.group if self.group_id is not None else self.village

    def target_for(self, year: int) -> "ProjectTarget | None":
        """The project's target for `year`, or None when none was set."""
        return next((t for t in self.targets if t.year == year), None)

    def audit_snapshot(self) -> dict:
        """The fields the audit chain vouches for."""
        snapshot = {
            "name": self.name,
            "type": self.type,
            "village_id": self.village_id,
            "cooperative_id": self.cooperative_id,
            "capacity": None if self.capacity is None else format(Decimal(self.capacity).normalize(), "f"),
            "capacity_unit": self.capacity_unit,
            "active": bool(self.active),
        }
        if self.group_id is not None:  # only when set: the projects audited before groups still match
            snapshot["group_id"] = self.group_id
        return snapshot


class ProjectTarget(db.Model):
    """A project's annual targets for one year: the year is judged by its own plan."""

    __tablename__ = "project_targets"
    __table_args__ = (UniqueConstraint("project_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    year: Mapped[int]
    output_fen: Mapped[int | None] = mapped_column(BigInteger)
    collective_income_fen: Mapped[int | None] = mapped_column(BigInteger)

    project: Mapped[Project] = relationship(back_populates="targets")

    def audit_snapshot(self) -> dict:
        """The fields the audit chain vouches for."""
        return {
            "project_id": self.project_id,
            "year": self.year,
            "output_fen": self.output_fen,
            "collective_income_fen": self.collective_income_fen,
        }
