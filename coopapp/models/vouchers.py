"""Original vouchers (原始凭证): the photos and PDFs attached to a ledger entry.

The row holds what the file is (its SHA-256, type, size, dimensions); the bytes live outside
the database, in the voucher storage (`coopapp.vouchers.storage`), named by their SHA-256.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coopapp.extensions import db
from coopapp.models.base import BigId, utcnow
from coopapp.models.ledger import LedgerEntry


class Voucher(db.Model):
    """One file attached to an entry: fixed once the entry leaves draft or returned."""

    __tablename__ = "vouchers"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("ledger_entries.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # of the stored (re-encoded) bytes
    content_type: Mapped[str] = mapped_column(String(40))  # image/jpeg, image/png, application/pdf
    size: Mapped[int]
    width: Mapped[int | None]
    height: Mapped[int | None]
    thumb_sha256: Mapped[str | None] = mapped_column(String(64))  # a small JPEG; None for a PDF
    file_name: Mapped[str] = mapped_column(String(120), default="")  # as uploaded: shown, never trusted
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    entry: Mapped[LedgerEntry] = relationship()
    uploaded_by = relationship("User", foreign_keys=[uploaded_by_id])

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    def audit_snapshot(self) -> dict:
        """The fields the audit chain vouches for: the file's SHA-256 among them."""
        return {
            "entry_id": self.entry_id,
            "sha256": self.sha256,
            "content_type": self.content_type,
            "size": self.size,
            "width": self.width,
            "height": self.height,
            "thumb_sha256": self.thumb_sha256,
            "file_name": self.file_name,
            "uploaded_by_id": self.uploaded_by_id,
        }
