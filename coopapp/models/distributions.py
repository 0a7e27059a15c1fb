"""Distribution plans (收益分配方案) and objections (异议) to them."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coopapp.extensions import db
from coopapp.models.areas import Area
from coopapp.models.base import MilliDecimal, utcnow
from coopapp.models.households import Household
from coopapp.models.projects import Project


class Distribution(db.Model):
    """A pool of a project's income split over households: draft → approved → published (→ reversed)."""

    __tablename__ = "distributions"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    pool_fen: Mapped[int] = mapped_column(BigInteger)
    basis: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    note: Mapped[str] = mapped_column(Text, default="")
    notice_days: Mapped[int] = mapped_column(default=7)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The town accountant's approval, when the county's plan threshold asks for it (`coopapp.settings`).
    town_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    town_approved_at: Mapped[datetime | None]
    # The town accountant's reason for sending the plan back to the secretary (a draft again); cleared
    # when the secretary approves it anew.
    town_return_reason: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    collective_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    reversal_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    project: Mapped[Project] = relationship()
    village: Mapped[Area] = relationship()
    deductions: Mapped[list["Deduction"]] = relationship(
        order_by="Deduction.position", cascade="all, delete-orphan", back_populates="distribution"
    )
    lines: Mapped[list["DistributionLine"]] = relationship(
        order_by="DistributionLine.household_id", cascade="all, delete-orphan", back_populates="distribution"
    )

    @property
    def distributable_fen(self) -> int:
        """The pool less every deduction: what the lines share."""
        return self.pool_fen - sum(d.amount_fen for d in self.deductions)

    def audit_snapshot(self) -> dict:
        """The plan, its deductions and its lines, as the audit chain vouches for them (the town's
        approval and return only when there is one, so that older plans' snapshots stay as they were)."""
        snapshot = {
            "project_id": self.project_id,
            "village_id": self.village_id,
            "period": self.period,
            "pool_fen": int(self.pool_fen),
            "basis": self.basis,
            "status": self.status,
            "note": self.note or "",
            "notice_days": self.notice_days,
            "collective_entry_id": self.collective_entry_id,
            "reversal_reason": self.reversal_reason,
            "created_by_id": self.created_by_id,
            "approved_by_id": self.approved_by_id,
            "published_at": _iso(self.published_at),
            "deductions": [[d.kind, d.percent_bp, d.fixed_fen, int(d.amount_fen)] for d in self.deductions],
            "lines": [[ln.household_id, _dec(ln.weight), int(ln.amount_fen), ln.entry_id] for ln in self.lines],
        }
        if self.town_approved_by_id is not None:
            snapshot["town_approved_by_id"] = self.town_approved_by_id
        if self.town_return_reason is not None:
            snapshot["town_return_reason"] = self.town_return_reason
        return snapshot


def _iso(moment) -> str | None:
    return moment.isoformat(timespec="microseconds") if moment else None


def _dec(value) -> str:
    return format(Decimal(value).normalize(), "f")


class Deduction(db.Model):
    """Taken off the pool before the split, in `position` order: a percentage of what is left, or a sum."""

    __tablename__ = "distribution_deductions"
    __table_args__ = (UniqueConstraint("distribution_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    distribution_id: Mapped[int] = mapped_column(ForeignKey("distributions.id"))
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    percent_bp: Mapped[int | None]  # basis points of what remains (1500 = 15%)
    fixed_fen: Mapped[int | None] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger)

    distribution: Mapped[Distribution] = relationship(back_populates="deductions")


class DistributionLine(db.Model):
    """One household's share of a plan; `entry_id` is its payout once published."""

    __tablename__ = "distribution_lines"
    __table_args__ = (UniqueConstraint("distribution_id", "household_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    distribution_id: Mapped[int] = mapped_column(ForeignKey("distributions.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    weight: Mapped[Decimal] = mapped_column(MilliDecimal)  # shares held, 1 (equal) or the listed weight
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))

    distribution: Mapped[Distribution] = relationship(back_populates="lines")
    household: Mapped[Household] = relationship()


class Objection(db.Model):
    """A household's objection (异议) to a published plan, raised from its public statement page."""

    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    distribution_id: Mapped[int] = mapped_column(ForeignKey("distributions.id"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")
    answer: Mapped[str | None] = mapped_column(Text)
    correction_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None]

    household: Mapped[Household] = relationship()
    distribution: Mapped[Distribution] = relationship()

    def audit_snapshot(self) -> dict:
        return {
            "household_id": self.household_id,
            "distribution_id": self.distribution_id,
            "text": self.text,
            "status": self.status,
            "answer": self.answer,
            "correction_entry_id": self.correction_entry_id,
            "answered_by_id": self.answered_by_id,
            "village_id": self.village_id,
            "created_at": _iso(self.created_at),
            "answered_at": _iso(self.answered_at),
        }
