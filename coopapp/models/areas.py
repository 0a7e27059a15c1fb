"""The area tree: county → town → village → group."""

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coopapp.extensions import db

LEVELS = ("province", "city", "county", "town", "village", "group")


class Area(db.Model):
    """One node of the administrative tree; `path` holds the codes from the root."""

    __tablename__ = "areas"
    # Subtree filters are `path LIKE 'prefix%'`: PostgreSQL uses a B-tree index for that only with
    # text_pattern_ops (unless the database's collation is "C"); SQLite's plain index serves it.
    # The level, retired flag and parent ride along, so that the comparison's counts of a county's
    # villages and groups (`reporting.party_metrics`) read the index alone, not the table.
    # The merged villages (撤并村, a handful) are found by their own small index.
    __table_args__ = (
        Index("ix_areas_path", "path", "level", "retired", "parent_id", postgresql_ops={"path": "text_pattern_ops"}),
        Index(
            "ix_areas_merged_into_id",
            "merged_into_id",
            sqlite_where=text("merged_into_id IS NOT NULL"),
            postgresql_where=text("merged_into_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    # "/441323/441323110/441323110201/": a subtree is every path with this prefix.
    path: Mapped[str] = mapped_column(String(255))
    # The name as the NBS table publishes it (义和村委会); `name` is the one shown (义和村).
    published_name: Mapped[str | None] = mapped_column(String(100))
    # A retired area stays with its history and ledger but is hidden from pickers.
    retired: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # 撤并村: the village this one was merged into (its groups and households moved there).
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    # The day it was merged (the comparison counts it in the survivor from that year on).
    merged_on: Mapped[date | None] = mapped_column(Date)

    parent: Mapped["Area | None"] = relationship(
        remote_side=[id], foreign_keys=[parent_id], lazy="joined", join_depth=3
    )

    def audit_snapshot(self) -> dict:
        """The fields the audit chain vouches for: where the area sits in the tree and its names."""
        snapshot = {
            "code": self.code,
            "name": self.name,
            "level": self.level,
            "parent_id": self.parent_id,
            "path": self.path,
            "published_name": self.published_name,
            "retired": bool(self.retired),
            "merged_into_id": self.merged_into_id,
        }
        if self.merged_on is not None:  # only when set: the areas adopted before it existed still match
            snapshot["merged_on"] = self.merged_on.isoformat()
        return snapshot

    def covers(self, other: "Area") -> bool:
        """True when `other` is this area or lies beneath it."""
        return other.path.startswith(self.path)

    def __repr__(self) -> str:
        return f"<Area {self.code} {self.name}>"
