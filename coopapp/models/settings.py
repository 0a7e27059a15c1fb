"""A county's own rules (县级设置): approval tiers, spending categories, thresholds."""

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from coopapp.extensions import db
from coopapp.models.base import utcnow


class CountySettings(db.Model):
    """One row per county: its settings as a JSON document (`coopapp.settings` reads and checks it).
    No row means the defaults of `coopapp.settings.DEFAULTS`."""

    __tablename__ = "county_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), unique=True)
    data: Mapped[str] = mapped_column(Text, default="{}")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    def audit_snapshot(self) -> dict:
        """The fields the audit chain vouches for: the county and the whole document."""
        return {"county_id": self.county_id, "data": self.data}
