"""An imported batch of draft entries: keeping the upload until it is confirmed, submitting it whole,
the secretary approving it whole (全部通过)."""

import hashlib
import re
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from coopapp.access.scope import authorize, forbidden
from coopapp.core.money import format_yuan
from coopapp.core.tx import atomic
from coopapp.errors import Conflict, NotFound
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.ledger.permissions import (
    EDITABLE,
    Refusal,
    approve_refusal,
    first_without_voucher,
    refuse,
    submit_refusal,
    town_required,
    without_voucher,
)
from coopapp.ledger.voucher_numbers import VoucherNumbers
from coopapp.models import ImportBatch, LedgerEntry, Project, User
from coopapp.models.base import get_by_id

_SHA = re.compile(r"^[0-9a-f]{64}$")
SUFFIXES = (".csv", ".xlsx", ".xls")


def upload_dir() -> Path:
    """Where uploads wait for confirmation: IMPORT_UPLOAD_DIR, else instance/imports/."""
    path = Path(current_app.config.get("IMPORT_UPLOAD_DIR") or Path(current_app.instance_path) / "imports")
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep_upload(stream, file_name: str) -> tuple[str, Path]:
    """Save an uploaded file under instance/imports/, named by its SHA-256; return (hash, path)."""
    suffix = Path(file_name).suffix.lower()
    digest = hashlib.sha256()
    partial = upload_dir() / f"upload-{id(stream)}.part"
    with open(partial, "wb") as out:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
            out.write(chunk)
    sha = digest.hexdigest()
    path = upload_dir() / f"{sha}{suffix}"
    partial.replace(path)
    return sha, path


def kept_upload(sha: str, suffix: str) -> Path | None:
    """The kept upload with this hash, if it is still there (and the names are well-formed)."""
    if not _SHA.match(sha or "") or suffix not in SUFFIXES:
        return None
    path = upload_dir() / f"{sha}{suffix}"
    return path if path.is_file() else None


def get_batch(batch_id: int, user: User, action: str = "create_entry") -> tuple[ImportBatch, Project]:
    """A ledger batch and its project, if the user may `action` in the project's village."""
    batch = get_by_id(ImportBatch, batch_id)
    project = get_by_id(Project, batch.target_id) if batch is not None and batch.kind == "ledger" else None
    if project is None:
        raise NotFound(_("导入批次不存在。"))
    authorize(user, action, project.village)
    return batch, project


def batch_status_counts(batch: ImportBatch) -> dict[str, int]:
    """status → number of the batch's entries."""
    q = select(LedgerEntry.status, func.count()).where(LedgerEntry.import_batch_id == batch.id)
    return dict(db.session.execute(q.group_by(LedgerEntry.status)).all())


def batch_entries(batch: ImportBatch, limit: int = 200) -> list[LedgerEntry]:
    q = select(LedgerEntry).where(LedgerEntry.import_batch_id == batch.id).order_by(LedgerEntry.id).limit(limit)
    return list(db.session.scalars(q))


def _to_submit(user: User, batch: ImportBatch) -> tuple:
    """What `submit_batch` submits: the batch's draft or returned entries that the user logged."""
    return (
        LedgerEntry.import_batch_id == batch.id,
        LedgerEntry.created_by_id == user.id,
        LedgerEntry.status.in_(EDITABLE),
    )


def submit_batch_refusal(user: User, batch: ImportBatch) -> Refusal:
    """Why `submit_batch` would refuse now: the refusal of `submit_entry` for the first of its entries
    that may not be submitted (e.g. one of a closed month, or spending without its voucher), or None.
    Those entries differ in their month, so the first of each month is asked, and in whether they need
    a voucher, so the first lacking one is asked."""
    lacking = first_without_voucher(batch_village(batch), *_to_submit(user, batch))
    if lacking is not None:
        return submit_refusal(user, lacking)
    firsts = select(func.min(LedgerEntry.id)).where(*_to_submit(user, batch)).group_by(LedgerEntry.period)
    for entry in db.session.scalars(select(LedgerEntry).where(LedgerEntry.id.in_(firsts)).order_by(LedgerEntry.id)):
        refusal = submit_refusal(user, entry)
        if refusal is not None:
            return refusal
    return None


def submit_offer(user: User, batch: ImportBatch) -> tuple[bool, Refusal]:
    """The batch page's "submit all" button: (offered — the user has entries of it to submit, and
    may; why not, when they have entries to submit but may not)."""
    if not has_to_submit(user, batch):
        return False, None
    refusal = submit_batch_refusal(user, batch)
    return refusal is None, refusal


def offers_submit(user: User, batch: ImportBatch) -> bool:
    """Is "submit all" offered (`submit_offer`)?"""
    return submit_offer(user, batch)[0]


def has_to_submit(user: User, batch: ImportBatch) -> bool:
    """Has the user entries of the batch to submit (drafts or returned ones they logged)?"""
    return db.session.scalar(select(LedgerEntry.id).where(*_to_submit(user, batch)).limit(1)) is not None


def needing_voucher(user: User, batch: ImportBatch, limit: int = 50) -> list[LedgerEntry]:
    """The entries of the batch the user must attach an original voucher to before submitting (the
    county's `voucher_required_above_fen`), the first `limit` — the batch page lists them."""
    return without_voucher(batch_village(batch), *_to_submit(user, batch), limit=limit)


@atomic
def submit_batch(user: User, batch: ImportBatch) -> int:
    """Submit every draft or returned entry of the batch that the user logged, together (all or none)."""
    refuse(submit_batch_refusal(user, batch))
    q = select(LedgerEntry).where(*_to_submit(user, batch)).order_by(LedgerEntry.id)
    count = 0
    for entry in db.session.scalars(q).all():
        ledger.submit_entry(user, entry)
        count += 1
    return count


def _totals(where: tuple) -> tuple[int, int]:
    """(how many, total fen) of the entries `where` selects."""
    q = select(func.count(), func.coalesce(func.sum(LedgerEntry.amount_fen), 0)).where(*where)
    count, total = db.session.execute(q).one()
    return count, total


def submit_consequence(user: User, batch: ImportBatch) -> str:
    """What `submit_batch` will do: how many entries, and their total."""
    count, total = _totals(_to_submit(user, batch))
    return _(
        "将提交本批 %(n)s 条记录待审核，合计 %(a)s 元；提交后不能再修改，除非被退回。", n=count, a=format_yuan(total)
    )


def _to_approve(batch: ImportBatch) -> tuple:
    """What `approve_batch` approves: the batch's submitted entries."""
    return LedgerEntry.import_batch_id == batch.id, LedgerEntry.status == "submitted"


def approve_batch_refusal(user: User, batch: ImportBatch) -> Refusal:
    """Why `approve_batch` would refuse now: the secretary may not review here, the batch has no entry
    awaiting review, or one of them may not be approved — the refusal of `approve_entry` (the same
    predicate, whatever rules it grows) for the first such entry, naming it."""
    village = batch_village(batch)
    refusal = forbidden(user, "review_entry", village)
    if refusal is not None:
        return refusal
    entries = list(db.session.scalars(select(LedgerEntry).where(*_to_approve(batch)).order_by(LedgerEntry.id)))
    if not entries:
        return Conflict(_("本批没有待审核的记录。"))
    closed = set(ledger.closed_periods(village))  # the village's closed months, read once for every entry
    for entry in entries:
        refusal = approve_refusal(user, entry, closed)
        if refusal is not None:
            reason = " ".join([refusal.message, *refusal.fields.values()])
            return Conflict(_("记录 #%(id)s 不能通过：%(why)s 本批一条也没有通过。", id=entry.id, why=reason))
    return None


def batch_village(batch: ImportBatch):
    """The village of a ledger batch (its project's)."""
    return get_by_id(Project, batch.target_id).village


def offers_approve(user: User, batch: ImportBatch) -> bool:
    """The batch page's 全部通过 button: `approve_batch` would approve now."""
    return approve_batch_refusal(user, batch) is None


def approve_consequence(batch: ImportBatch) -> str:
    """What `approve_batch` will do: how many entries, and their total; how many of them will then await
    the town (the county's tiers, `town_required`)."""
    count, total = _totals(_to_approve(batch))
    said = _(
        "将审核通过本批 %(n)s 条记录，合计 %(a)s 元：通过后计入汇总，不能再修改，更正只能冲销。",
        n=count,
        a=format_yuan(total),
    )
    village = batch_village(batch)
    rows = db.session.execute(select(LedgerEntry.kind, LedgerEntry.amount_fen).where(*_to_approve(batch)))
    to_town = sum(1 for kind, amount in rows if town_required(village, kind, amount))
    if to_town:
        said += " " + _("其中 %(n)s 条金额达到县定审批标准，将待镇审核，镇审核通过后才计入汇总。", n=to_town)
    return said


@atomic
def approve_batch(user: User, batch: ImportBatch) -> int:
    """Approve every submitted entry of the batch, each by `approve_entry` (its rules, its audit), all or
    none: one that may not be approved refuses the whole batch (`approve_batch_refusal`). An entry whose
    county tier asks for the town goes on to await it (`approve_entry`), the rest count at once."""
    refuse(approve_batch_refusal(user, batch))
    entries = list(db.session.scalars(select(LedgerEntry).where(*_to_approve(batch)).order_by(LedgerEntry.id)))
    numbers = VoucherNumbers()
    numbers.prefetch(entries)  # the voucher numbers of the whole batch from one query
    for entry in entries:
        ledger.approve_entry(user, entry, numbers)
    return len(entries)


def batches_to_review(village) -> list[dict]:
    """The village's import batches with entries awaiting review, for the review queue's 全部通过 links:
    [{"id", "file_name", "count", "total_fen"}], newest first."""
    q = (
        select(ImportBatch.id, ImportBatch.file_name, func.count(), func.sum(LedgerEntry.amount_fen))
        .join(LedgerEntry, LedgerEntry.import_batch_id == ImportBatch.id)
        .where(LedgerEntry.village_id == village.id, LedgerEntry.status == "submitted")
        .group_by(ImportBatch.id, ImportBatch.file_name)
        .order_by(ImportBatch.id.desc())
    )
    return [
        {"id": i, "file_name": name, "count": count, "total_fen": total}
        for i, name, count, total in db.session.execute(q)
    ]
