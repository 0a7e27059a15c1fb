"""Writing an import's rows in bulk: chunks of rows straight to the driver (SQLite executemany,
PostgreSQL COPY) with their audit events, no ORM objects, inside the import's one transaction.

The events are exactly the ones `services.audit.record_many` writes (one per row, chained in
order, the row's snapshot and the batch in `data`), built without its per-row overhead; the
first event of every chunk is checked against `audit.canonical` and `audit.event_hash`.
"""

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from json.encoder import encode_basestring
from typing import NamedTuple

from sqlalchemy import text

from ..extensions import db
from ..models.base import utcnow
from ..services import audit

CHUNK = 2_000


class Draft:
    """A checked draft entry as plain values: what `ledger.apply_input` fills in."""

    __slots__ = (
        "project_id",
        "village_id",
        "period",
        "entry_date",
        "kind",
        "amount_fen",
        "quantity",
        "unit",
        "household_id",
        "note",
    )


# `audit.canonical` and the JSON of one value, with the encoders made once (json.dumps makes one per call).
_canonical = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _str(value: str | None) -> str:
    """A string (or None) as JSON, exactly as the encoder above writes it."""
    return "null" if value is None else encode_basestring(value)


class AuditAppender:
    """Appends events to the chain for rows written in bulk: one head lock, one INSERT per chunk."""

    def __init__(self, actor, action: str, object_type: str, extra: dict | None):
        self.actor_id = getattr(actor, "id", None)
        self.action, self.object_type, self.extra = action, object_type, extra
        self._action = _dumps(action)
        self._actor = _dumps(self.actor_id)
        self._type = _dumps(object_type)
        self.head = None
        self.raw: RawRows | None = None
        # The start of every event's `data`: {"extra":…,"snapshot":{ — keys in canonical order.
        self.data_prefix = ('{"extra":' + _canonical(extra) + ",") if extra else "{"

    def append(self, items: list[tuple[int, str]]) -> None:
        """One event per (object id, its `data` as `audit.canonical` writes it), in order."""
        if not items:
            return
        if self.head is None:
            self.head = audit._lock_head()  # noqa: SLF001 - the chain's one lock, held to commit
        head = self.head
        seq, prev, now = head.seq, head.hash, utcnow()
        at = _dumps(now.isoformat(timespec="microseconds"))
        raw = self.raw or RawRows()
        created = raw.value(now)
        rows = []
        for n, (oid, data_text) in enumerate(items):
            seq += 1
            # canonical() of the event's fields, written out in its (sorted) key order.
            body = (
                f'{{"action":{self._action},"actor":{self._actor},"at":{at},"data":{_str(data_text)},'
                f'"id":{oid},"seq":{seq},"type":{self._type}}}'
            )
            digest = hashlib.sha256((prev + body).encode("utf-8")).hexdigest()
            row = (seq, created, self.actor_id, self.action, self.object_type, oid, data_text, prev, digest)
            if n == 0:  # the hand-written text must stay what audit.canonical and audit.event_hash make
                event = _Event(seq, now, self.actor_id, self.action, self.object_type, oid, data_text)
                if data_text != audit.canonical(json.loads(data_text)) or audit.event_hash(prev, event) != digest:
                    raise RuntimeError("bulk audit events no longer match services.audit; refusing to write them")
            rows.append(row)
            prev = digest
        raw.insert("audit_events", EVENT_COLUMNS, rows)
        head.seq, head.hash = seq, prev


class _Event(NamedTuple):
    """An event as `audit.event_hash` reads it."""

    seq: int
    created_at: datetime
    actor_id: int | None
    action: str
    object_type: str
    object_id: int
    data: str


ENTRY_COLUMNS = (
    "id",
    "project_id",
    "village_id",
    "period",
    "entry_date",
    "kind",
    "amount_fen",
    "quantity",
    "unit",
    "household_id",
    "note",
    "status",
    "created_by_id",
    "created_at",
    "version",
    "import_batch_id",
)
EVENT_COLUMNS = ("seq", "created_at", "actor_id", "action", "object_type", "object_id", "data", "prev_hash", "hash")


class RawRows:
    """Rows straight into the session's connection, inside its transaction: SQLite's executemany or
    PostgreSQL's COPY, values as SQLAlchemy itself would store them."""

    def __init__(self):
        conn = db.session.connection()
        self.pg = conn.dialect.name == "postgresql"
        self.raw = conn.connection.driver_connection

    def value(self, value):
        """A date, datetime or Decimal quantity as the driver should get it."""
        if isinstance(value, Decimal):
            return int(value * 1000)  # MilliDecimal: thousandths
        if self.pg or value is None:
            return value
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(value, date):
            return value.isoformat()
        return value

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        cols = ", ".join(columns)
        if self.pg:
            with self.raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            self.raw.cursor().executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)

    def new_ids(self, table: str, count: int) -> list[int]:
        """Ids for `count` new rows: from the table's sequence (PostgreSQL), or past the largest
        (SQLite, whose one writer — this transaction, already holding the write lock — is us)."""
        if self.pg:
            q = text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)")
            return list(db.session.scalars(q, {"n": count}))
        first = db.session.scalar(text(f"SELECT coalesce(max(id), 0) + 1 FROM {table}"))
        return list(range(first, first + count))


class EntryWriter:
    """Draft entries of one import batch, inserted `CHUNK` at a time with their audit events."""

    def __init__(self, user, batch_id: int | None, chunk: int | None = None):
        self.user_id, self.batch_id, self.chunk = user.id, batch_id, chunk or CHUNK
        self.audit = AuditAppender(user, "entry.create", "entry", {"import_batch": batch_id} if batch_id else None)
        self.pending: list[Draft] = []
        self.written = 0
        self.raw: RawRows | None = None

    def add(self, draft: Draft) -> None:
        self.pending.append(draft)
        if len(self.pending) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        """Insert the pending rows, then their audit events; forget them."""
        if not self.pending:
            return
        if self.raw is None:
            self.raw = RawRows()
            self.audit.raw = self.raw
        write_chunk(self, self.pending)
        self.written += len(self.pending)
        self.pending = []


def _int(value: int | None) -> str:
    return "null" if value is None else str(int(value))


def _quantity_text(quantity: Decimal | None) -> str:
    """The quantity as `LedgerEntry.audit_snapshot` writes it once read back."""
    return "null" if quantity is None else f'"{format(Decimal(quantity).normalize(), "f")}"'


def write_chunk(writer: EntryWriter, drafts: list[Draft]) -> None:
    """Insert the drafts (ids assigned here, in order) and append one audit event per row."""
    raw, now = writer.raw, utcnow()
    ids = raw.new_ids("ledger_entries", len(drafts))
    created, user_id, batch_id = raw.value(now), writer.user_id, writer.batch_id
    prefix = writer.audit.data_prefix
    rows, events = [], []
    for ident, d in zip(ids, drafts, strict=True):
        quantity, day, note = d.quantity, d.entry_date, d.note or ""
        iso = None if day is None else day.isoformat()
        iso_json = "null" if iso is None else '"' + iso + '"'
        rows.append(
            (
                ident,
                d.project_id,
                d.village_id,
                d.period,
                day if raw.pg else iso,
                d.kind,
                d.amount_fen,
                None if quantity is None else int(quantity * 1000),  # MilliDecimal: thousandths
                d.unit,
                d.household_id,
                note,
                "draft",
                user_id,
                created,
                1,
                batch_id,
            )
        )
        # The entry's audit_snapshot() as canonical JSON (keys sorted), written out for speed;
        # the appender checks the first of every chunk against audit.canonical.
        events.append(
            (
                ident,
                f'{prefix}"snapshot":{{"amount_fen":{int(d.amount_fen)},"created_by_id":{user_id},'
                f'"entry_date":{iso_json},"household_id":{_int(d.household_id)},'
                f'"kind":{_str(d.kind)},"note":{_str(note)},"period":{_str(d.period)},'
                f'"project_id":{int(d.project_id)},"quantity":{_quantity_text(quantity)},"return_reason":null,'
                f'"reversal_reason":null,"reverses_id":null,"reviewed_by_id":null,"status":"draft",'
                f'"unit":{_str(d.unit)},"village_id":{int(d.village_id)}}}}}',
            )
        )
    raw.insert("ledger_entries", ENTRY_COLUMNS, rows)
    writer.audit.append(events)
