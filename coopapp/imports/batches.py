"""An imported batch of draft entries: keeping the upload until it is confirmed, submitting it whole."""

import hashlib
import re
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from coopapp.access.scope import authorize
from coopapp.core.tx import atomic
from coopapp.errors import NotFound
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.ledger.permissions import EDITABLE, Refusal, refuse, submit_refusal
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


def get_batch(batch_id: int, user: User) -> tuple[ImportBatch, Project]:
    """A ledger batch and its project, if the user may work in the project's village."""
    batch = get_by_id(ImportBatch, batch_id)
    project = get_by_id(Project, batch.target_id) if batch is not None and batch.kind == "ledger" else None
    if project is None:
        raise NotFound(_("导入批次不存在。"))
    authorize(user, "create_entry", project.village)
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
    that may not be submitted (e.g. one of a closed month), or None. Those entries differ only in
    their month, so the first of each month is asked."""
    firsts = select(func.min(LedgerEntry.id)).where(*_to_submit(user, batch)).group_by(LedgerEntry.period)
    for entry in db.session.scalars(select(LedgerEntry).where(LedgerEntry.id.in_(firsts)).order_by(LedgerEntry.id)):
        refusal = submit_refusal(user, entry)
        if refusal is not None:
            return refusal
    return None


def offers_submit(user: User, batch: ImportBatch) -> bool:
    """The batch page's "submit all" button: the user has entries of it to submit, and may."""
    pending = db.session.scalar(select(LedgerEntry.id).where(*_to_submit(user, batch)).limit(1))
    return pending is not None and submit_batch_refusal(user, batch) is None


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
