"""Attaching and removing vouchers, listing them, and checking the stored files.

Files and rows: the files are written first (content-addressed, so writing the same bytes twice
is harmless), then the row and its audit event in one transaction. When the transaction fails,
the files this call created are deleted again unless some row references them — a failed
upload leaves nothing behind. Bad input never gets that far: `files.prepare` refuses it before
anything is written. The same file attached to one entry again is refused (a double tap, a retried
upload); another entry may use it. A removed voucher's files are deleted after its removal is
committed, when no other row (the same photo attached to another entry) still uses them. Only a process killed between
writing the files and committing the row leaves files no row uses: `collect_orphans`
(`coop vouchers gc`) removes them once they are old enough not to belong to an upload in flight.
"""

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from coopapp.access import audit
from coopapp.access.scope import get_authorized
from coopapp.core.text import clean_text
from coopapp.core.tx import atomic
from coopapp.errors import Conflict, NotFound
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.ledger.locks import lock_village
from coopapp.ledger.permissions import attach_voucher_refusal, refuse, remove_voucher_refusal
from coopapp.models import LedgerEntry, User, Voucher
from coopapp.vouchers import files
from coopapp.vouchers.storage import storage

MAX_PER_ENTRY = 30


def get_voucher(voucher_id: int, user: User) -> Voucher:
    """A voucher of an entry the user may see (404 otherwise: the entry's village decides)."""
    voucher = db.session.get(Voucher, voucher_id)
    if voucher is None:
        raise NotFound(_("凭证不存在。"))
    get_authorized(LedgerEntry, voucher.entry_id, user, "view", _("凭证不存在。"))
    return voucher


def vouchers_of(entry_ids: list[int]) -> dict[int, list[Voucher]]:
    """entry id → its vouchers in upload order, for a page of entries (one query)."""
    out: dict[int, list[Voucher]] = {i: [] for i in entry_ids}
    if entry_ids:
        q = select(Voucher).where(Voucher.entry_id.in_(entry_ids)).order_by(Voucher.id)
        for voucher in db.session.scalars(q):
            out[voucher.entry_id].append(voucher)
    return out


def voucher_max_bytes() -> int:
    """The size limit of one voucher file: VOUCHER_MAX_BYTES, 10 MB by default."""
    return current_app.config.get("VOUCHER_MAX_BYTES", files.MAX_BYTES)


def _limits() -> tuple[int, int]:
    return voucher_max_bytes(), current_app.config.get("VOUCHER_MAX_PIXELS", files.MAX_PIXELS)


def attach_voucher(user: User, entry: LedgerEntry, data: bytes, file_name: str = "") -> Voucher:
    """The author attaches a photo or PDF to a draft or returned entry (`attach_voucher_refusal`)."""
    refuse(attach_voucher_refusal(user, entry))
    return attach_prepared(user, entry, prepare_upload(data), file_name)


@atomic
def create_entry_with_voucher(
    user: User, data: ledger.EntryInput, prepared: files.Prepared, file_name: str = ""
) -> LedgerEntry:
    """A new entry and its first voucher (the entry form's receipt photo), both or neither."""
    entry = ledger.create_entry(user, data)
    db.session.flush()
    attach_prepared(user, entry, prepared, file_name)
    return entry


def prepare_upload(data: bytes) -> files.Prepared:
    """An upload checked and cleaned under this app's limits, before anything is written (the entry
    form checks its photo so before it creates the entry: a bad photo leaves nothing behind)."""
    return files.prepare(data, *_limits())


def attach_prepared(user: User, entry: LedgerEntry, prepared: files.Prepared, file_name: str = "") -> Voucher:
    """`attach_voucher` for an upload `prepare_upload` already checked."""
    refuse(attach_voucher_refusal(user, entry))
    store = storage()
    created = [sha for sha, blob in prepared.blobs() if store.put(sha, blob)]
    try:
        return _record(user, entry, prepared, file_name)
    except BaseException:
        _delete_unused(created)
        raise


@atomic
def _record(user: User, entry: LedgerEntry, prepared: files.Prepared, file_name: str) -> Voucher:
    lock_village(entry.village_id)  # (two uploads of one photo at once: the second sees the first)
    db.session.refresh(entry)  # the entry as it is now: it may have been submitted meanwhile
    refuse(attach_voucher_refusal(user, entry))
    same = db.session.scalar(
        select(Voucher.id).where(Voucher.entry_id == entry.id, Voucher.sha256 == prepared.sha256).limit(1)
    )
    if same is not None:  # (a double tap, or an upload retried after a slow answer)
        raise Conflict(_("这份凭证已经上传过（凭证 #%(id)s），不用再传。", id=same), {"file": _("已上传过。")})
    count = db.session.scalar(select(func.count()).where(Voucher.entry_id == entry.id))
    if count >= MAX_PER_ENTRY:
        raise Conflict(_("每条记录最多 %(n)s 份凭证。", n=MAX_PER_ENTRY))
    voucher = Voucher(
        entry_id=entry.id,
        sha256=prepared.sha256,
        content_type=prepared.content_type,
        size=len(prepared.data),
        width=prepared.width,
        height=prepared.height,
        thumb_sha256=prepared.thumb_sha256,
        file_name=safe_name(file_name),
        uploaded_by_id=user.id,
    )
    db.session.add(voucher)
    audit.record(user, "voucher.attach", voucher)
    return voucher


def remove_voucher(user: User, voucher: Voucher) -> None:
    """The author removes a voucher while the entry is a draft or returned (`remove_voucher_refusal`)."""
    shas = [sha for sha in (voucher.sha256, voucher.thumb_sha256) if sha]
    _remove(user, voucher)
    _delete_unused(shas)


@atomic
def _remove(user: User, voucher: Voucher) -> None:
    refuse(remove_voucher_refusal(user, voucher))
    audit.record(user, "voucher.delete", voucher)
    db.session.delete(voucher)


def _delete_unused(shas: list[str]) -> None:
    """Delete the stored files no voucher row references (after a rollback or a removal)."""
    if not shas:
        return
    used_q = select(Voucher.sha256, Voucher.thumb_sha256).where(
        or_(Voucher.sha256.in_(shas), Voucher.thumb_sha256.in_(shas))
    )
    used = {sha for row in db.session.execute(used_q) for sha in row}
    store = storage()
    for sha in shas:
        if sha not in used:
            store.delete(sha)


def safe_name(file_name: str | None) -> str:
    """The uploaded file's name as shown on pages: its last part, one line, at most 120 characters."""
    name = clean_text(file_name or "", multiline=False) or ""
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[-120:]


def verify_files() -> list[str]:
    """Re-hash every stored voucher file (and thumbnail) against the SHA-256 its row holds, a
    separate pass from `audit verify`, which vouches for the rows; one line per missing or changed
    file."""
    store = storage()
    problems = []
    q = select(Voucher.id, Voucher.sha256, Voucher.thumb_sha256).order_by(Voucher.id)
    for voucher_id, sha, thumb in db.session.execute(q.execution_options(yield_per=1000)):
        for label, name in (("file", sha), ("thumbnail", thumb)):
            if name is None:
                continue
            found = store.digest(name)
            if found is None:
                problems.append(f"voucher {voucher_id}: {label} {name} is missing")
            elif found != name:
                problems.append(f"voucher {voucher_id}: {label} {name} was changed (now {found})")
    return problems


def collect_orphans(min_age_seconds: int = 24 * 3600) -> list[str]:
    """Delete the stored files that no voucher row uses and that were written more than
    `min_age_seconds` ago (a younger one may belong to an upload not yet committed); their names."""
    store = storage()
    used = {
        sha
        for row in db.session.execute(select(Voucher.sha256, Voucher.thumb_sha256).execution_options(yield_per=5000))
        for sha in row
        if sha
    }
    removed = []
    for name in list(store.names()):
        age = store.age_seconds(name)
        if name not in used and age is not None and age >= min_age_seconds:
            store.delete(name)
            removed.append(name)
    return removed
