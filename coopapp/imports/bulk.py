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
    "category",
    "payment_method",
    "payee",
)
# The spending fields (the last three of a draft): in the snapshot only when set.
_SPENDING_FIELDS = DRAFT[-3:]


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


class EntryWriter:
    """Draft entries of one import batch, inserted `CHUNK` at a time; their audit events follow in
    `finish`, so that the chain's head (the lock every audited write of the deployment takes) is
    held only while the events are appended, not while the entries are inserted."""

    def __init__(self, user, batch_id: int | None, chunk: int | None = None):
        self.user_id, self.batch_id, self.chunk = user.id, batch_id, chunk or CHUNK
        self.audit = AuditAppender(user, "entry.create", "entry", {"import_batch": batch_id} if batch_id else None)
        self.pending: list[tuple] = []
        self.written = 0
        self.raw: RawRows | None = None
        self.texts = _Texts()
        self.chunks: list[tuple[list[int], list[tuple]]] = []  # (ids, drafts) inserted, awaiting their events

    def add(self, draft: tuple) -> None:
        """A draft entry (see `DRAFT`)."""
        pending = self.pending
        pending.append(draft)
        if len(pending) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        """Insert the pending rows; their events wait for `finish`."""
        if not self.pending:
            return
        if self.raw is None:
            self.raw = RawRows()
            self.audit.raw = self.raw
        self.chunks.append((write_chunk(self, self.pending), self.pending))
        self.written += len(self.pending)
        self.pending = []

    def finish(self) -> None:
        """Insert what is pending, then append every inserted row's audit event, in order."""
        self.flush()
        for ids, drafts in self.chunks:
            self.audit.append(chunk_events(self, ids, drafts))
        self.chunks = []


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


def as_rows(drafts: list[tuple], pg: bool) -> None:
    """Turn each checked draft (`DRAFT`), in place, into its `ledger_entries` row without the id
    (`ENTRY_COLUMNS[1:]`, values as the driver takes them: on SQLite a date as its ISO text, a
    quantity in thousandths, a missing note as ""). Done before the writing transaction takes its
    lock, and in place, so that memory stays flat; `chunk_events` reads the snapshot back from it."""
    for n, draft in enumerate(drafts):
        project_id, village_id, period, day, kind, amount_fen, quantity, unit, household_id, note, *spending = draft
        drafts[n] = (
            project_id,
            village_id,
            period,
            day if pg or day is None else day.isoformat(),
            kind,
            amount_fen,
            None if quantity is None else int(quantity * 1000),  # MilliDecimal: thousandths
            unit,
            household_id,
            note or "",
            *spending,
        )


def write_chunk(writer: EntryWriter, rows: list[tuple]) -> list[int]:
    """Insert the rows (`as_rows`; ids assigned here, in order); their ids."""
    raw, now = writer.raw, utcnow()
    ids = raw.new_ids("ledger_entries", len(rows))
    rows = [(ident, *row) for ident, row in zip(ids, rows, strict=True)]
    fixed = {"status": "draft", "created_by_id": writer.user_id, "created_at": raw.value(now), "version": 1}
    raw.insert("ledger_entries", ENTRY_COLUMNS, rows, fixed | {"import_batch_id": writer.batch_id})
    return ids


def chunk_events(writer: EntryWriter, ids: list[int], drafts: list[tuple]) -> list[tuple]:
    """The audit event items (`AuditAppender.append`) of the inserted rows (`as_rows`) with these
    ids: a date's ISO text and a quantity's thousandths write the snapshot as the values did."""
    texts, user_id = writer.texts, writer.user_id
    # The entry's audit_snapshot() as canonical JSON (keys sorted), written out for speed, and the
    # same text as it sits inside the event's JSON (the appender checks the first of every chunk
    # against audit.event_data's canonical JSON and audit.event_body).
    frame = writer.audit.data_before, writer.audit.data_after
    pieces = [p.replace("{user}", str(int(user_id))) for p in _snapshot_template(*frame)]
    a, b, c, d, e, f, g, h, i, j, k = pieces
    ea, eb, ec, ed, ee, ef, eg, eh, ei, ej, ek = (audit.json_escaped(p) for p in pieces)
    events = []
    for ident, draft in zip(ids, drafts, strict=True):
        project_id, village_id, period, day, kind, amount_fen, milli, unit, household_id, note, *spending = draft
        quantity = None if milli is None else Decimal(milli).scaleb(-3)
        if spending != [None, None, None]:  # a spending row with its fields: the snapshot written the plain way
            events.append((ident, _spending_event_data(writer, user_id, draft, quantity)))
            continue
        day_j, day_e = texts[day]
        kind_j, kind_e = texts[kind]
        note_j, note_e = texts[note]
        period_j, period_e = texts[period]
        quantity_j, quantity_e = texts[quantity]
        unit_j, unit_e = texts[unit]
        amount, home, project, village = int(amount_fen), _int(household_id), int(project_id), int(village_id)
        events.append(
            (
                ident,
                f"{a}{amount}{b}{day_j}{c}{home}{d}{kind_j}{e}{note_j}{f}{period_j}{g}{project}{h}{quantity_j}"
                f"{i}{unit_j}{j}{village}{k}",
                f"{ea}{amount}{eb}{day_e}{ec}{home}{ed}{kind_e}{ee}{note_e}{ef}{period_e}{eg}{project}{eh}{quantity_e}"
                f"{ei}{unit_e}{ej}{village}{ek}",
            )
        )
    return events


def _spending_event_data(writer: EntryWriter, user_id: int, row: tuple, quantity: Decimal | None) -> str:
    """The event `data` of an inserted row (`as_rows`) that carries spending fields, as
    `LedgerEntry.audit_snapshot` writes it (those fields only when set)."""
    project_id, village_id, period, day, kind, amount_fen, _milli, unit, household_id, note, *spending = row
    snapshot = {
        "project_id": int(project_id),
        "village_id": int(village_id),
        "period": period,
        "entry_date": day if day is None or isinstance(day, str) else day.isoformat(),
        "kind": kind,
        "amount_fen": int(amount_fen),
        "quantity": None if quantity is None else format(quantity.normalize(), "f"),
        "unit": unit,
        "household_id": household_id,
        "note": note or "",
        "status": "draft",
        "return_reason": None,
        "reverses_id": None,
        "reversal_reason": None,
        "created_by_id": int(user_id),
        "reviewed_by_id": None,
    }
    snapshot |= {name: value for name, value in zip(_SPENDING_FIELDS, spending, strict=True) if value is not None}
    return writer.audit.data_before + audit.canonical(snapshot) + writer.audit.data_after
