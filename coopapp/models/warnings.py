"""Warnings (预警) raised on entries: what a reviewer should look at twice."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coopapp.extensions import db
from coopapp.models.base import BigId, utcnow


class LedgerWarning(db.Model):
    """One rule's warning on one entry (`ledger.warnings` raises them; rules: `WARNING_RULES`).
    Derived from the entry and the county's settings when the entry is saved or submitted, so not
    audited itself: the entry is. `details` is JSON, the figures the message is written from in the
    reader's language."""

    __tablename__ = "ledger_warnings"
    __table_args__ = (
        UniqueConstraint("entry_id", "rule", name="uq_ledger_warnings_entry_rule"),
        Index("ix_ledger_warnings_village_created", "village_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule: Mapped[str] = mapped_column(String(30))
    entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("ledger_entries.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    details: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
