"""Writing an import's rows in bulk: chunks of rows straight to the driver (SQLite executemany,
PostgreSQL COPY), then their audit events, no ORM objects, inside the import's one short writing
transaction (the file was read and checked before it began).

The events are exactly the ones `access.audit.record_many` writes (one per row, chained in
order, the row's snapshot and the batch in `data`), built without its per-row overhead by
`audit.EventBodies`, which checks the first event of every chunk against `audit.event_body`.
"""

from datetime import date, datetime
from decimal import Decimal
from json.encoder import encode_basestring

from sqlalchemy import text

from coopapp.access import audit
from coopapp.extensions import db
from coopapp.models.base import utcnow

CHUNK = 2_000


# A checked draft entry as plain values, as `ledger.EntryChecks` leaves them (the import's `_RowReader`
# builds them): a tuple in this order.
DRAFT = (
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


class AuditAppender:
    """Appends events to the chain for rows written in bulk: one head lock, one INSERT per chunk."""

    def __init__(self, actor, action: str, object_type: str, extra: dict | None):
        self.actor_id = getattr(actor, "id", None)
        self.action, self.object_type = action, object_type
        self.head = None
        self.raw: RawRows | None = None
        # Every event's `data` around the row's snapshot, which the writer writes out itself.
        self.data_before, self.data_after = audit.snapshot_frame(extra)

    def append(self, items: list[tuple]) -> None:
        """One event per (object id, its `data` as `audit.event_data` writes it[, `audit.json_escaped`
        of that text, when the caller has it]), in order."""
        if not items:
            return
        if self.head is None:
            self.head = audit.lock_head()  # the chain's one lock, held to commit
        head, now = self.head, utcnow()
        rows = audit.EventBodies(now, self.actor_id, self.action, self.object_type).chain(head.hash, head.seq, items)
        raw = self.raw or RawRows()
        fixed = {"created_at": raw.value(now), "actor_id": self.actor_id}
        fixed |= {"action": self.action, "object_type": self.object_type}
        raw.insert("audit_events", EVENT_COLUMNS, rows, fixed)
        head.seq, head.hash = rows[-1][0], rows[-1][4]


ENTRY_COLUMNS = (
    "id",
    *DRAFT,
)  # and the same status, created_by_id, created_at, version and import_batch_id for every row of a chunk
EVENT_COLUMNS = ("seq", "object_id", "data", "prev_hash", "hash")  # and created_at, actor_id, action, object_type


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

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple], fixed: dict | None = None) -> None:
        """The rows (values for `columns`, in order) into `table`; `fixed`: more columns, each with
        one value for every row (ints, None or the writer's own text, never a cell's): SQLite gets
        them as constants of the statement, not as parameters of each row."""
        if not rows:
            return
        fixed = fixed or {}
        cols = ", ".join((*columns, *fixed))
        if self.pg:
            tail = tuple(fixed.values())
            with self.raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row + tail if tail else row)
        else:
            marks = ", ".join(("?",) * len(columns) + tuple(map(_literal, fixed.values())))
            self.raw.cursor().executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)

    def new_ids(self, table: str, count: int) -> list[int]:
        """Ids for `count` new rows: from the table's sequence (PostgreSQL), or past the largest
        (SQLite, whose one writer — this transaction, already holding the write lock — is us)."""
        if self.pg:
            q = text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)")
            return list(db.session.scalars(q, {"n": count}))
        first = db.session.scalar(text(f"SELECT coalesce(max(id), 0) + 1 FROM {table}"))
        return list(range(first, first + count))


def _literal(value) -> str:
    """A fixed column's value as an SQLite constant (see `RawRows.insert`)."""
    if value is None:
        return "NULL"
    if type(value) is int:
        return str(value)
    if type(value) is str and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"not a constant for a bulk INSERT: {value!r}")


class Prepared:
    """Checked drafts made ready for the write before its transaction takes any lock: each entry's
    row without its id (ids are given under the lock), and its snapshot as its audit event's `data`
    holds it (`audit.event_data`'s canonical JSON) without the frame around it, which names the
    batch (known under the lock too: `EntryWriter.write`)."""

    def __init__(self, drafts: list[tuple], user_id: int, pg: bool):
        self.count = len(drafts)
        self.rows, self.snapshots = _entry_rows(drafts, pg), _snapshots(drafts, user_id)


class EntryWriter:
    """The draft entries of one import batch (`Prepared` before the transaction), inserted `CHUNK`
    at a time; their audit events follow in `finish`, so that the chain's head (the lock every
    audited write of the deployment takes) is held only while the events are appended, not while the
    entries are inserted."""

    def __init__(self, user, batch_id: int | None, chunk: int | None = None):
        self.user_id, self.batch_id, self.chunk = user.id, batch_id, chunk or CHUNK
        self.audit = AuditAppender(user, "entry.create", "entry", {"import_batch": batch_id} if batch_id else None)
        self.raw: RawRows | None = None
        self.ids: list[int] = []

    def write(self, prepared: Prepared) -> None:
        """Insert the prepared entries, then append every one's audit event, in order."""
        self.raw = RawRows()
        self.audit.raw = self.raw
        size = self.chunk
        for start in range(0, prepared.count, size):
            self.ids += write_chunk(self, prepared.rows[start : start + size])
        before, after, escaped = self.audit.data_before, self.audit.data_after, audit.json_escaped
        for start in range(0, prepared.count, size):
            chunk = zip(self.ids[start : start + size], prepared.snapshots[start : start + size], strict=True)
            events = []
            for ident, snapshot in chunk:
                data = before + snapshot + after
                events.append((ident, data, escaped(data)))
            self.audit.append(events)


def prepare(drafts: list[tuple], user_id: int) -> Prepared:
    """`Prepared` drafts for the database the app writes to."""
    return Prepared(drafts, user_id, db.session.get_bind().dialect.name == "postgresql")


class _Texts(dict):
    """A value of an entry → how its snapshot writes it (JSON) and that JSON as it appears inside the
    event's `data` string (escaped once more, without quotes). Kinds, months, units, dates, notes and
    quantities repeat down a ledger; memory stays bounded (`LIMIT`)."""

    LIMIT = 20_000

    def __missing__(self, value) -> tuple[str, str]:
        if value is None:
            text = "null"
        elif isinstance(value, str):
            text = encode_basestring(value)
        elif isinstance(value, Decimal):
            text = _quantity_text(value)
        elif isinstance(value, date):
            text = '"' + value.isoformat() + '"'
        else:
            raise TypeError(value)
        pair = text, audit.json_escaped(text)
        if len(self) < self.LIMIT:
            self[value] = pair
        return pair


def _int(value: int | None) -> str:
    return "null" if value is None else str(int(value))


def _quantity_text(quantity: Decimal | None) -> str:
    """The quantity as `LedgerEntry.audit_snapshot` writes it once read back."""
    return "null" if quantity is None else f'"{format(Decimal(quantity).normalize(), "f")}"'


def _snapshot_template(before: str, after: str) -> tuple[str, ...]:
    """The constant pieces of an event's `data` between the values that vary (see `write_chunk`);
    `before` and `after`: the data's text around the snapshot (`audit.snapshot_frame`)."""
    return (
        before + '{"amount_fen":',
        ',"created_by_id":{user},"entry_date":',
        ',"household_id":',
        ',"kind":',
        ',"note":',
        ',"period":',
        ',"project_id":',
        ',"quantity":',
        ',"return_reason":null,"reversal_reason":null,"reverses_id":null,"reviewed_by_id":null,'
        '"status":"draft","unit":',
        ',"village_id":',
        "}" + after,
    )


def _entry_rows(drafts: list[tuple], pg: bool) -> list[tuple]:
    """Each draft as its `ledger_entries` row without the id (`ENTRY_COLUMNS[1:]`), values as the
    driver takes them."""
    texts, rows = _Texts(), []
    for draft in drafts:
        project_id, village_id, period, day, kind, amount_fen, quantity, unit, household_id, note = draft
        rows.append(
            (
                project_id,
                village_id,
                period,
                day if pg or day is None else texts[day][0][1:-1],
                kind,
                amount_fen,
                None if quantity is None else int(quantity * 1000),  # MilliDecimal: thousandths
                unit,
                household_id,
                note or "",
            )
        )
    return rows


def write_chunk(writer: EntryWriter, rows: list[tuple]) -> list[int]:
    """Insert prepared rows (ids assigned here, in order); their ids."""
    raw, now = writer.raw, utcnow()
    ids = raw.new_ids("ledger_entries", len(rows))
    rows = [(ident, *row) for ident, row in zip(ids, rows, strict=True)]
    fixed = {"status": "draft", "created_by_id": writer.user_id, "created_at": raw.value(now), "version": 1}
    raw.insert("ledger_entries", ENTRY_COLUMNS, rows, fixed | {"import_batch_id": writer.batch_id})
    return ids


def _snapshots(drafts: list[tuple], user_id: int) -> list[str]:
    """Each draft's `audit_snapshot()` as canonical JSON (keys sorted), written out for speed (the
    appender checks the first event of every chunk against audit.event_data and audit.event_body)."""
    texts = _Texts()
    a, b, c, d, e, f, g, h, i, j, k = (p.replace("{user}", str(int(user_id))) for p in _snapshot_template("", ""))
    snapshots = []
    for draft in drafts:
        project_id, village_id, period, day, kind, amount_fen, quantity, unit, household_id, note = draft
        snapshots.append(
            f"{a}{int(amount_fen)}{b}{texts[day][0]}{c}{_int(household_id)}{d}{texts[kind][0]}{e}"
            f"{texts[note or ''][0]}{f}{texts[period][0]}{g}{int(project_id)}{h}{texts[quantity][0]}"
            f"{i}{texts[unit][0]}{j}{int(village_id)}{k}"
        )
    return snapshots
