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
        # 组账村代记: the entries of a village group (few villages keep them), for a group's lists.
        Index("ix_ledger_entries_group_id", "group_id", **_where("group_id IS NOT NULL")),
        Index("ix_ledger_red_entries", "village_id", "period", **_where("amount_fen < 0 AND reverses_id IS NULL")),
        # The voucher number (凭证号) of an approved entry: one sequence per village and month. Only
        # the numbered entries: an import's drafts, written while it holds the write lock, skip it.
        Index(
            "uq_ledger_voucher_no",
            "village_id",
            "period",
            "voucher_no",
            unique=True,
            **_where("voucher_no IS NOT NULL"),
        ),
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
    # 16 letters for "awaiting_town"; SQLite does not enforce a VARCHAR's length, so its schema keeps
    # the 10 it was created with (the migration widens PostgreSQL's only: no copy of the ledger).
    status: Mapped[str] = mapped_column(String(16).with_variant(String(10), "sqlite"), default="draft")
    return_reason: Mapped[str | None] = mapped_column(Text)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    reversal_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    # The town's approval or return (镇审核), when the county's tiers ask for it (`coopapp.settings`).
    town_reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    town_reviewed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)
    # The village group (村民小组, an area of level "group" under the village) whose books it is in.
    group_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    # A spending entry's sub-category (明细科目, from the county's list), how it was paid, to whom.
    category: Mapped[str | None] = mapped_column(String(40))
    payment_method: Mapped[str | None] = mapped_column(String(10))
    payee: Mapped[str | None] = mapped_column(String(80))
    # The file the entry was imported from (its drafts are submitted together).
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)
    # 凭证号: given at approval, 1, 2, 3 … per village and month (`ledger.voucher_numbers`).
    voucher_no: Mapped[int | None]

    __mapper_args__ = {"version_id_col": version}

    project: Mapped[Project] = relationship()
    village: Mapped[Area] = relationship(foreign_keys=[village_id])
    group: Mapped[Area | None] = relationship(foreign_keys=[group_id])
    household: Mapped[Household | None] = relationship()
    reverses: Mapped["LedgerEntry | None"] = relationship(remote_side=[id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])
    town_reviewed_by = relationship("User", foreign_keys=[town_reviewed_by_id])

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

    @property
    def returned_by_town(self) -> bool:
        """Returned by the town (its reason is the town's), not by the secretary."""
        return self.status == "returned" and self.town_reviewed_by_id is not None

    def audit_snapshot(self) -> dict:
        """The fields the audit chain vouches for (the town's review, the group and the spending fields
        only when set, so that the snapshots of older entries stay as they were)."""
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
        if self.town_reviewed_by_id is not None:
            snapshot["town_reviewed_by_id"] = self.town_reviewed_by_id
        if self.group_id is not None:  # only when set: the entries audited before groups still match
            snapshot["group_id"] = self.group_id
        for name in ("category", "payment_method", "payee"):
            if getattr(self, name) is not None:
                snapshot[name] = getattr(self, name)
        if self.voucher_no is not None:
            snapshot["voucher_no"] = self.voucher_no
        return snapshot

    @property
    def scope_area(self) -> Area:
        """The area whose scope covers the entry: its group when it has one, else its village."""
        return self.group if self.group_id is not None else self.village


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


class MonthReopening(db.Model):
    """A request to reopen a village's latest closed month (反结账): the secretary asks with a reason,
    the town accountant approves (the month's ClosedMonth row goes; this row keeps who, when, why) or
    refuses. pending → approved | refused."""

    __tablename__ = "month_reopenings"
    __table_args__ = (Index("ix_month_reopenings_village_status", "village_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    period: Mapped[str] = mapped_column(String(7))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    answer: Mapped[str | None] = mapped_column(Text)  # the town's reason when it refuses

    village: Mapped[Area] = relationship()
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    def audit_snapshot(self) -> dict:
        return {
            "village_id": self.village_id,
            "period": self.period,
            "reason": self.reason,
            "status": self.status,
            "requested_by_id": self.requested_by_id,
            "decided_by_id": self.decided_by_id,
            "answer": self.answer,
        }


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


class GroupMonthlySummary(db.Model):
    """Approved totals per village group × project × month × kind: the entries that belong to a
    group (组账村代记), kept current on approval beside the village's summaries, which already count
    them; a group's pages and notices read it (a year is its twelve months: few rows). Only grouped
    entries touch it, so the villages without groups pay nothing."""

    __tablename__ = "group_monthly_summaries"
    __table_args__ = (
        UniqueConstraint("group_id", "project_id", "year", "month", "kind"),
        Index("ix_group_monthly_village", "village_id", "year"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    year: Mapped[int]
    month: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    quantity: Mapped[Decimal] = mapped_column(MilliDecimal, default=Decimal(0))
    entry_count: Mapped[int] = mapped_column(default=0)


class VillageYearSummary(db.Model):
    """Per village × year, its projects' year summaries added up into the money figures the
    comparison shows for every village: collective income, output value, and the income
    statement's income and spending (`core.income_statement`: 本年收益 = income − spending). Kept
    with the project-year summaries on approval, so a county's comparison reads one row per
    village and year instead of a dozen index ranges per village."""

    __tablename__ = "village_year_summaries"
    __table_args__ = (UniqueConstraint("village_id", "year"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    year: Mapped[int]
    collective_income_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    output_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    statement_income_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    spending_fen: Mapped[int] = mapped_column(BigInteger, default=0)
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
