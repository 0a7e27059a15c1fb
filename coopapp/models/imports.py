"""Import batches: one uploaded file of ledger entries or households, loaded once."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coopapp.extensions import db
from coopapp.models.base import utcnow

IMPORT_KINDS = ("ledger", "households")


class ImportBatch(db.Model):
    """A file imported into a project's ledger or a village's roster; its content hash refuses a second import."""

    __tablename__ = "import_batches"
    __table_args__ = (UniqueConstraint("kind", "target_id", "content_sha256", name="uq_import_batch_content"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # ledger | households
    # The project (ledger) or the village (households) the file was imported into.
    target_id: Mapped[int]
    file_name: Mapped[str] = mapped_column(String(255))
    content_sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def audit_snapshot(self) -> dict:
        """The fields the audit chain vouches for (a batch inserted by SQL fails `audit verify`)."""
        return {
            "kind": self.kind,
            "target_id": self.target_id,
            "file_name": self.file_name,
            "content_sha256": self.content_sha256,
            "rows": self.rows,
            "created_by_id": self.created_by_id,
        }
