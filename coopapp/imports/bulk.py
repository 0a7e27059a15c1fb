"""Writing an import's rows in bulk: chunks of rows straight to the driver (SQLite executemany,
PostgreSQL COPY), no ORM objects, inside the import's one short writing transaction (the file was
read and checked before it began).

The rows get no audit event each: the batch's own event vouches for them all
(`access.audit.vouches`), one leaf per row — a digest of the row's snapshot, worked out by
`snapshot_leaves` before the transaction takes its lock; `EntryWriter.vouching` checks the first
row written against `audit_snapshot()`.
"""

import hashlib
from datetime import date, datetime
from decimal import Decimal
from json.encoder import encode_basestring

from sqlalchemy import select, text

from coopapp.access import audit
from coopapp.extensions import db
from coopapp.models import LedgerEntry
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
    "group_id",  # the village group (组账村代记), None for most
    "category",
    "payment_method",
    "payee",
)
# The spending fields (the last three of a draft): in the snapshot only when set.
_SPENDING_FIELDS = DRAFT[-3:]


ENTRY_COLUMNS = (
    "id",
    *DRAFT,
)  # and the same status, created_by_id, created_at, version and import_batch_id for every row of a chunk


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
    """Draft entries of one import batch (`as_rows`), inserted `CHUNK` at a time; `vouching` is
    the batch event's word for them (`audit.vouches`), with their leaves (`snapshot_leaves`)."""

    def __init__(self, user, batch_id: int | None, leaves: str, chunk: int | None = None):
        self.user_id, self.batch_id, self.chunk = user.id, batch_id, chunk or CHUNK
        self.leaves = leaves
        self.pending: list[tuple] = []
        self.runs: list[list[int]] = []  # the ids written (`audit.id_runs`)
        self.firsts: dict[int, int] = {}  # each chunk's first id → its place in the leaves
        self.written = 0
        self.raw: RawRows | None = None

    def add(self, row: tuple) -> None:
        """A draft entry's row (see `as_rows`)."""
        pending = self.pending
        pending.append(row)
        if len(pending) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        """Insert the pending rows."""
        if not self.pending:
            return
        if self.raw is None:
            self.raw = RawRows()
        ids = write_chunk(self, self.pending)
        self.firsts[ids[0]] = self.written
        audit.id_runs(ids, self.runs)
        self.written += len(ids)
        self.pending = []

    def vouching(self) -> dict:
        """Insert what is pending; the batch event's `extra` vouching for every row written. The
        first row of each chunk is read back: its snapshot's leaf must be the one worked out before
        the lock (a self-check of `snapshot_leaves` against `audit_snapshot()`)."""
        self.flush()
        if not self.runs:
            return {}
        size = audit.LEAF
        for entry in db.session.scalars(select(LedgerEntry).where(LedgerEntry.id.in_(self.firsts))):
            at = self.firsts[entry.id] * size
            if audit.leaf(audit.canonical(entry.audit_snapshot())) != self.leaves[at : at + size]:
                raise RuntimeError("an imported row's snapshot no longer matches snapshot_leaves; refusing to write")
            db.session.expunge(entry)
        return audit.vouches("entry", self.runs, self.leaves)


class _Texts(dict):
    """A value of an entry → how its snapshot writes it (JSON). Kinds, months, units, dates, notes
    and quantities repeat down a ledger; memory stays bounded (`LIMIT`)."""

    LIMIT = 20_000

    def __missing__(self, value) -> str:
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
        if len(self) < self.LIMIT:
            self[value] = text
        return text


def _int(value: int | None) -> str:
    return "null" if value is None else str(int(value))


def _quantity_text(quantity: Decimal | None) -> str:
    """The quantity as `LedgerEntry.audit_snapshot` writes it once read back."""
    return "null" if quantity is None else f'"{format(Decimal(quantity).normalize(), "f")}"'


def _snapshot_template(user_id: int) -> tuple[str, ...]:
    """The constant pieces of an imported entry's snapshot as canonical JSON (keys sorted), between
    the values that vary (see `snapshot_leaves`)."""
    return (
        '{"amount_fen":',
        f',"created_by_id":{int(user_id)},"entry_date":',
        ',"household_id":',
        ',"kind":',
        ',"note":',
        ',"period":',
        ',"project_id":',
        ',"quantity":',
        ',"return_reason":null,"reversal_reason":null,"reverses_id":null,"reviewed_by_id":null,'
        '"status":"draft","unit":',
        ',"village_id":',
        "}",
    )


def as_rows(drafts: list[tuple], pg: bool) -> None:
    """Turn each checked draft (`DRAFT`), in place, into its `ledger_entries` row without the id
    (`ENTRY_COLUMNS[1:]`, values as the driver takes them: on SQLite a date as its ISO text, a
    quantity in thousandths, a missing note as ""). Done before the writing transaction takes its
    lock, and in place, so that memory stays flat; `snapshot_leaves` reads the snapshot back from it."""
    for n, draft in enumerate(drafts):
        (project_id, village_id, period, day, kind, amount_fen, quantity, unit, household_id, note, group_id,
         category, method, payee) = draft  # fmt: skip
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
            group_id,
            category,
            method,
            payee,
        )


def write_chunk(writer: EntryWriter, rows: list[tuple]) -> list[int]:
    """Insert the rows (`as_rows`; ids assigned here, in order); their ids."""
    raw, now = writer.raw, utcnow()
    ids = raw.new_ids("ledger_entries", len(rows))
    rows = [(ident, *row) for ident, row in zip(ids, rows, strict=True)]
    fixed = {"status": "draft", "created_by_id": writer.user_id, "created_at": raw.value(now), "version": 1}
    raw.insert("ledger_entries", ENTRY_COLUMNS, rows, fixed | {"import_batch_id": writer.batch_id})
    return ids


def snapshot_leaves(rows: list[tuple], user_id: int) -> str:
    """The leaves (`audit.leaf`) of the rows (`as_rows`) as `user_id` imports them, joined in order:
    each entry's `audit_snapshot()` written out as canonical JSON for speed (a date's ISO text and
    a quantity's thousandths write it as the values did; a village group's `group_id` and the
    spending fields only when set, as the model writes them). Worked out before the writing
    transaction takes its lock; `EntryWriter.vouching` checks the first against the row written."""
    texts, sha256, out = _Texts(), hashlib.sha256, bytearray()
    a, b, c, d, e, f, g, h, i, j, k = _snapshot_template(user_id)
    size = audit.LEAF // 2
    for row in rows:
        (project_id, village_id, period, day, kind, amount_fen, milli, unit, household_id, note, group_id,
         category, method, payee) = row  # fmt: skip
        quantity = None if milli is None else Decimal(milli).scaleb(-3)
        if category is not None or method is not None or payee is not None:  # the snapshot written the plain way
            text = _spending_snapshot_text(row, quantity, user_id)
        else:
            amount, home, project, village = int(amount_fen), _int(household_id), int(project_id), int(village_id)
            cg = c if group_id is None else f',"group_id":{int(group_id)}{c}'  # keys sorted: before household_id
            text = (
                f"{a}{amount}{b}{texts[day]}{cg}{home}{d}{texts[kind]}{e}{texts[note]}{f}{texts[period]}{g}{project}"
                f"{h}{texts[quantity]}{i}{texts[unit]}{j}{village}{k}"
            )
        out += sha256(text.encode()).digest()[:size]
    return out.hex()


def _spending_snapshot_text(row: tuple, quantity: Decimal | None, user_id: int) -> str:
    """The canonical snapshot of an inserted row (`as_rows`) that carries spending fields, as
    `LedgerEntry.audit_snapshot` writes it (the group and those fields only when set)."""
    project_id, village_id, period, day, kind, amount_fen, _milli, unit, household_id, note, group_id, *spending = row
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
    if group_id is not None:
        snapshot["group_id"] = int(group_id)
    snapshot |= {name: value for name, value in zip(_SPENDING_FIELDS, spending, strict=True) if value is not None}
    return audit.canonical(snapshot)
