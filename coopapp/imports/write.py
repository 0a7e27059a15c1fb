"""Stage 5 of an import: write what the checking pass kept, in one short transaction — the batch
(refusing a file this target imported already), the rows in chunks, and the batch's own audit
event. The ledger's drafts go straight to the driver (`bulk`), and the batch's event vouches for
them (`audit.vouches`: no event per row); a roster's households through `ChunkedWriter` (an event
each); areas and users through their domains' operations.
"""

from flask_babel import gettext as _
from sqlalchemy import select

from coopapp.access import audit
from coopapp.extensions import db
from coopapp.imports.read import file_sha256
from coopapp.imports.report import ImportReport, RollBack
from coopapp.models import ImportBatch

CHUNK = 1_000


def previous_batch(kind: str, target_id: int, sha256: str) -> ImportBatch | None:
    """The batch that already imported this very file into this target, if any."""
    q = select(ImportBatch).where(
        ImportBatch.kind == kind, ImportBatch.target_id == target_id, ImportBatch.content_sha256 == sha256
    )
    return db.session.scalars(q).first()


def refuse_duplicate(report: ImportReport, batch: ImportBatch) -> None:
    when = batch.created_at.strftime("%Y-%m-%d %H:%M")
    report.error(
        None,
        None,
        report.file_name,
        _("该文件已于 %(t)s 导入过（批次 #%(id)s），不能重复导入。", t=when, id=batch.id),
    )


def check_not_imported(kind: str, target_id: int, path, report: ImportReport) -> None:
    """Hash the file and refuse one this target already imported (RollBack). The checking pass
    asks without a lock; `new_batch` asks again under the writer's lock."""
    report.sha256 = file_sha256(path)
    earlier = previous_batch(kind, target_id, report.sha256)
    if earlier is not None:
        refuse_duplicate(report, earlier)
        raise RollBack


def new_batch(user, kind: str, target_id: int, report: ImportReport) -> ImportBatch:
    """The batch of a checked file, opened in the writing transaction, which holds the target's lock
    (`ledger.locks.lock_village`): the same file imported meanwhile is refused (RollBack)."""
    earlier = previous_batch(kind, target_id, report.sha256)
    if earlier is not None:
        refuse_duplicate(report, earlier)
        raise RollBack
    batch = ImportBatch(kind=kind, target_id=target_id, file_name=report.file_name[:255], content_sha256=report.sha256)
    batch.created_by_id = user.id
    db.session.add(batch)
    db.session.flush()
    return batch


def changed_meanwhile(report: ImportReport, message) -> None:
    """The writing transaction found that something the check relied on changed while the file was
    read (a month closed, the project stopped, a household gone): nothing is written (RollBack)."""
    report.error(None, None, report.file_name, _("%(what)s请重新导入。", what=message))
    raise RollBack


def close_batch(user, batch: ImportBatch, report: ImportReport, extra: dict | None = None) -> None:
    """The batch's rows are all written: note their count and record the batch in the audit chain
    (`extra`: the event's word for rows that have no event of their own, `audit.vouches`)."""
    batch.rows = report.rows_ok
    audit.record(user, "import_batch.create", batch, extra or None)
    report.batch_id, report.imported = batch.id, True


class ChunkedWriter:
    """Adds objects in chunks: flush, audit them in one go, forget them — memory stays flat."""

    def __init__(self, user, action: str, extra: dict | None = None):
        self.user, self.action, self.extra = user, action, extra
        self.pending: list = []

    def add(self, obj) -> None:
        db.session.add(obj)
        self.pending.append(obj)
        if len(self.pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        audit.record_many(self.user, self.action, self.pending, self.extra)
        for obj in self.pending:
            db.session.expunge(obj)
        self.pending.clear()
