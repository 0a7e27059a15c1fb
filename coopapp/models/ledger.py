"""The ledger (台账): entries, closed months and the summary tables."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coopapp.core.periods import month_of, year_of
from coopapp.extensions import db
from coopapp.models.areas import Area
from coopapp.models.base import BigId, MilliDecimal, utcnow
from coopapp.models.households import Household
from coopapp.models.projects import Project


def _where(condition: str) -> dict:
    """A partial index's condition, the same on SQLite and PostgreSQL."""
    return {"sqlite_where": text(condition), "postgresql_where": text(condition)}


class LedgerEntry(db.Model):
    """One line of a project's ledger. Approved entries are never changed."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_village_status", "village_id", "status"),
        Index("ix_ledger_project_period", "project_id", "period"),
        # At most one live (not voided) reversal per original entry, even under concurrent requests.
        Index(
            "uq_ledger_live_reversal",
            "reverses_id",
            unique=True,
            **_where("status <> 'void' AND reverses_id IS NOT NULL"),
        ),
        # Only the entries that have one: most are neither reversals nor payouts, and every index
        # entry costs each insert (an import writes ~20% faster without the NULLs). A lookup by
        # value (= or IN) implies IS NOT NULL, so it still uses these.
        Index("ix_ledger_entries_reverses_id", "reverses_id", **_where("reverses_id IS NOT NULL")),
        Index("ix_ledger_entries_household_id", "household_id", **_where("household_id IS NOT NULL")),
        # The red entries (红字: a negative amount that is not a reversal), which the notices and the
        # public page list as such: few, so the index is small and costs an insert nothing.
        Index("ix_ledger_red_entries", "village_id", "period", **_where("amount_fen < 0 AND reverses_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    # Denormalised from the project so scope filters need no join.
    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    period: Mapped[str] = mapped_column(String(7))  # "YYYY-MM"
    entry_date: Mapped[date | None]
    kind: Mapped[str] = mapped_column(String(20))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[Decimal | None] = mapped_column(MilliDecimal)  # in the base unit
    unit: Mapped[str | None] = mapped_column(String(10))  # base unit: kg, hive, kWh, visit
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="draft")
    return_reason: Mapped[str | None] = mapped_column(Text)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    reversal_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)
    # A spending entry's sub-category (明细科目, from the county's list), how it was paid, to whom.
    category: Mapped[str | None] = mapped_column(String(40))
    payment_method: Mapped[str | None] = mapped_column(String(10))
    payee: Mapped[str | None] = mapped_column(String(80))
    # The file the entry was imported from (its drafts are submitted together).
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)

    __mapper_args__ = {"version_id_col": version}

    project: Mapped[Project] = relationship()
    village: Mapped[Area] = relationship()
    household: Mapped[Household | None] = relationship()
    reverses: Mapped["LedgerEntry | None"] = relationship(remote_side=[id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])

    @property
    def year(self) -> int:
        return year_of(self.period)

    @property
    def month(self) -> int:
        return month_of(self.period)

    @property
    def is_red(self) -> bool:
        """A red entry (红字: a return, a refund, an adjustment): a negative amount that is not a
        reversal. Its sign rule is `ledger.signs`."""
        return self.amount_fen < 0 and self.reverses_id is None

    def audit_snapshot(self) -> dict:
        """The fields the audit chain vouches for (the spending fields only when set: the entries
        made before they existed still match their events)."""
        snapshot = {
            "project_id": self.project_id,
            "village_id": self.village_id,
            "period": self.period,
            "entry_date": self.entry_date.isoformat() if self.entry_date else None,
            "kind": self.kind,
            "amount_fen": int(self.amount_fen),
            "quantity": None if self.quantity is None else format(Decimal(self.quantity).normalize(), "f"),
            "unit": self.unit,
            "household_id": self.household_id,
            "note": self.note or "",
            "status": self.status,
            "return_reason": self.return_reason,
            "reverses_id": self.reverses_id,
            "reversal_reason": self.reversal_reason,
            "created_by_id": self.created_by_id,
            "reviewed_by_id": self.reviewed_by_id,
        }
        for name in ("category", "payment_method", "payee"):
            if getattr(self, name) is not None:
                snapshot[name] = getattr(self, name)
        return snapshot


class ClosedMonth(db.Model):
    """A village's month after the secretary closed it: it takes no new entries."""

    __tablename__ = "closed_months"
    __table_args__ = (UniqueConstraint("village_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    period: Mapped[str] = mapped_column(String(7))
    closed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime] = mapped_column(default=utcnow)

    def audit_snapshot(self) -> dict:
        return {"village_id": self.village_id, "period": self.period, "closed_by_id": self.closed_by_id}


class MonthlySummary(db.Model):
    """Approved totals per village × project × month × kind, kept current on approval."""

    __tablename__ = "monthly_summaries"
    __table_args__ = (
        UniqueConstraint("project_id", "year", "month", "kind"),
        Index("ix_monthly_village_year", "village_id", "year"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    year: Mapped[int]
    month: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    quantity: Mapped[Decimal] = mapped_column(MilliDecimal, default=Decimal(0))
    entry_count: Mapped[int] = mapped_column(default=0)


class ProjectYearSummary(db.Model):
    """Approved totals per project × year × kind (the monthly summaries summed over the year),
    kept current on approval: what the county comparison and the dashboards read."""

    __tablename__ = "project_year_summaries"
    __table_args__ = (
        UniqueConstraint("project_id", "year", "kind"),
        Index("ix_project_year_village", "year", "village_id", "kind", "project_id", "amount_fen"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    year: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    quantity: Mapped[Decimal] = mapped_column(MilliDecimal, default=Decimal(0))
    entry_count: Mapped[int] = mapped_column(default=0)


class HouseholdYearSummary(db.Model):
    """Approved payouts per household × year, for the benefit metrics."""

    __tablename__ = "household_year_summaries"
    __table_args__ = (
        UniqueConstraint("household_id", "year"),
        Index("ix_household_year_village", "village_id", "year"),
        # Covers the benefit medians: one range per year, payouts in order within each village.
        Index("ix_household_year_payout", "year", "village_id", "payout_fen", "household_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    year: Mapped[int]
    payout_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    entry_count: Mapped[int] = mapped_column(default=0)


class VillageBenefitSummary(db.Model):
    """Per village × year, the benefit figures of the household-year summaries: benefited
    households (payouts > 0), their total and median payout, and the same for formerly poor
    households. Refreshed from the village's household-year rows whenever a payout is approved
    or a household's 脱贫户 flag changes — medians cannot be added up, so they are recomputed."""

    __tablename__ = "village_benefit_summaries"
    __table_args__ = (UniqueConstraint("village_id", "year"), Index("ix_village_benefit_year", "year", "village_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    year: Mapped[int]
    households_benefited: Mapped[int] = mapped_column(default=0)
    benefit_total_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    benefit_median_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    formerly_poor_benefited: Mapped[int] = mapped_column(default=0)
    formerly_poor_benefit_total_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    formerly_poor_benefit_median_fen: Mapped[int] = mapped_column(BigInteger, default=0)
