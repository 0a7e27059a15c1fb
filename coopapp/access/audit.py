"""Append to and verify the hash-chained audit log."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring

from sqlalchemy import insert, select

from coopapp.extensions import db
from coopapp.models import (
    ApiToken,
    Area,
    AuditEvent,
    AuditHead,
    ClosedMonth,
    Cooperative,
    CountySettings,
    Disclosure,
    Distribution,
    Household,
    ImportBatch,
    LedgerEntry,
    Membership,
    MonthReopening,
    Objection,
    PartyOrg,
    Project,
    ProjectTarget,
    User,
    Voucher,
)
from coopapp.models.base import utcnow

GENESIS = "0" * 64
# Tables whose rows the chain vouches for: each row must match its latest snapshot.
AUDITED = {
    "entry": LedgerEntry,
    "household": Household,
    "project": Project,
    "project_target": ProjectTarget,
    "closed_month": ClosedMonth,
    "month_reopening": MonthReopening,
    "user": User,
    "membership": Membership,
    "distribution": Distribution,
    "objection": Objection,
    "disclosure": Disclosure,
    "area": Area,
    "cooperative": Cooperative,
    "party_org": PartyOrg,
    "county_settings": CountySettings,
    # Rows that grant access: a token or an import batch inserted by SQL fails verify.
    "api_token": ApiToken,
    "import_batch": ImportBatch,
    "voucher": Voucher,
}
AUDITED_NAME = {cls: name for name, cls in AUDITED.items()}


def canonical(data: dict) -> str:
    """Deterministic JSON (sorted keys, no spaces, non-ASCII kept)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_data(snapshot: dict | None, extra: dict | None = None) -> str:
    """An event's `data`: the object's snapshot and the operation's extra facts, as canonical JSON."""
    data = {"snapshot": snapshot}
    if extra:
        data["extra"] = extra
    return canonical(data)


def snapshot_frame(extra: dict | None = None) -> tuple[str, str]:
    """The text of `event_data` around the snapshot: `event_data(s, extra) == before + canonical(s) + after`
    (for bulk writers that write the snapshot's JSON themselves)."""
    before, _zero, after = event_data(0, extra).rpartition("0")  # "snapshot" sorts after "extra": last
    return before, after


def event_body(seq: int, at: datetime, actor_id, action: str, object_type: str, object_id, data: str) -> str:
    """The text an event's hash covers after the previous event's hash: its fields as canonical JSON."""
    return canonical(
        {
            "seq": seq,
            "at": at.isoformat(timespec="microseconds"),
            "actor": actor_id,
            "action": action,
            "type": object_type,
            "id": object_id,
            "data": data,
        }
    )


def chain_hash(prev_hash: str, body: str) -> str:
    """An event's hash: SHA-256 over the previous event's hash and the event's body."""
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def event_hash(prev_hash: str, event) -> str:
    """SHA-256 over the previous hash and every field of the event (an AuditEvent or alike)."""
    body = event_body(
        event.seq, event.created_at, event.actor_id, event.action, event.object_type, event.object_id, event.data
    )
    return chain_hash(prev_hash, body)


def json_escaped(text: str) -> str:
    """`text` as it sits inside a JSON string, without the quotes (how `event_body` holds `data`)."""
    return encode_basestring(text)[1:-1]


# The JSON of one value, the encoder made once (json.dumps makes one per call).
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_MISMATCH = "bulk audit events no longer match access.audit; refusing to write them"


class EventBodies:
    """`event_body` and `chain_hash` for a run of events that share their time, actor, action and
    object type, the body written out in `canonical`'s key order: the fast path of the bulk
    writers (the import, the bench generator). Per event only seq, object id and data vary; the
    data comes as its canonical text and, when the caller has it, as `json_escaped(data)`."""

    def __init__(self, at: datetime, actor_id: int | None, action: str, object_type: str):
        self.at, self.actor_id, self.action, self.object_type = at, actor_id, action, object_type
        stamp = _json(at.isoformat(timespec="microseconds"))
        self.head = f'{{"action":{_json(action)},"actor":{_json(actor_id)},"at":{stamp},"data":"'
        self.tail = f',"type":{_json(object_type)}}}'

    def body(self, seq: int, object_id: int, escaped_data: str) -> str:
        """The event's body; `escaped_data` is `json_escaped(data)`."""
        return f'{self.head}{escaped_data}","id":{object_id},"seq":{seq}{self.tail}'

    def check(self, seq: int, object_id: int, data: str, escaped_data: str | None = None) -> None:
        """Raise unless `data` is canonical and the written-out body is `event_body`'s (a self-check)."""
        written = self.body(seq, object_id, json_escaped(data) if escaped_data is None else escaped_data)
        expected = event_body(seq, self.at, self.actor_id, self.action, self.object_type, object_id, data)
        if data != canonical(json.loads(data)) or written != expected:
            raise RuntimeError(_MISMATCH)

    def chain(self, prev_hash: str, seq: int, items: list[tuple]) -> list[tuple[int, int, str, str, str]]:
        """Events for `items` — (object id, data[, json_escaped(data)]) — chained after `prev_hash` and
        `seq`, in order, as (seq, object id, data, prev_hash, hash). The first is checked: its data
        canonical, its hash the one `event_body` and `chain_hash` make."""
        if not items:
            return []
        head, tail, sha256 = self.head, self.tail, hashlib.sha256
        rows = []
        for item in items:
            oid, data = item[0], item[1]
            escaped = item[2] if len(item) > 2 else encode_basestring(data)[1:-1]
            seq += 1
            digest = sha256(f'{prev_hash}{head}{escaped}","id":{oid},"seq":{seq}{tail}'.encode()).hexdigest()
            rows.append((seq, oid, data, prev_hash, digest))
            prev_hash = digest
        seq, oid, data, prev_hash, digest = rows[0]
        expected = chain_hash(
            prev_hash, event_body(seq, self.at, self.actor_id, self.action, self.object_type, oid, data)
        )
        if data != canonical(json.loads(data)) or digest != expected:
            raise RuntimeError(_MISMATCH)
        return rows


def lock_head() -> AuditHead:
    """The chain's head, locked (SELECT … FOR UPDATE) until the transaction ends: whoever appends
    events holds it to commit, so the chain grows one writer at a time (created on first use)."""
    head = db.session.scalars(select(AuditHead).where(AuditHead.id == 1).with_for_update()).first()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        db.session.add(head)
        db.session.flush()
    return head


def record(actor, action: str, obj, extra: dict | None = None) -> AuditEvent:
    """Append one event about `obj` (its snapshot included) to the chain.

    Must be called inside the operation's transaction, after the change is flushed.
    """
    db.session.flush()
    head = lock_head()
    ev = AuditEvent(
        seq=head.seq + 1,
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=AUDITED_NAME.get(type(obj), type(obj).__name__.lower() if obj is not None else "none"),
        object_id=getattr(obj, "id", None),
        data=event_data(obj.audit_snapshot() if obj is not None else None, extra),
        prev_hash=head.hash,
    )
    ev.created_at = utcnow()
    ev.hash = event_hash(head.hash, ev)
    head.seq, head.hash = ev.seq, ev.hash
    db.session.add(ev)
    return ev


def record_many(actor, action: str, objs, extra: dict | None = None) -> int:
    """Append one event per object of a bulk load: one flush, one head lock, one INSERT.

    The events are the ones `record` would write one by one, chained in order.
    Returns how many were written.
    """
    db.session.flush()
    head = lock_head()
    seq, prev, now = head.seq, head.hash, utcnow()
    actor_id = getattr(actor, "id", None)
    rows = []
    for obj in objs:
        seq += 1
        object_type = AUDITED_NAME.get(type(obj), type(obj).__name__.lower())
        data = event_data(obj.audit_snapshot(), extra)
        digest = chain_hash(prev, event_body(seq, now, actor_id, action, object_type, obj.id, data))
        rows.append(
            {
                "seq": seq,
                "created_at": now,
                "actor_id": actor_id,
                "action": action,
                "object_type": object_type,
                "object_id": obj.id,
                "data": data,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    if rows:
        db.session.execute(insert(AuditEvent), rows)
        head.seq, head.hash = seq, prev
    return len(rows)


# An import's rows are vouched for by ONE event, its batch's: the event's extra holds
# {"vouches": {"type": "entry", "ids": [[first, last], …], "leaves": "<hex>"}}, one leaf per row in
# the order of the ids, each the first LEAF hex digits of the SHA-256 of the row's snapshot as
# canonical JSON (`leaf`). The rows' own snapshots are not written: a 200k-row import appends one
# event, not 200k, inside the transaction that holds the database's write lock. A row vouched for
# so is checked by `verify_rows` as a row with its own event is; a later event about the row
# (submitted, approved, deleted) supersedes the batch's word for it, as any later event does.
LEAF = 32  # hex digits: 128 bits of SHA-256


def leaf(snapshot_text: str) -> str:
    """A row's leaf in a vouching event: `snapshot_text` is `canonical(row.audit_snapshot())`."""
    return hashlib.sha256(snapshot_text.encode("utf-8")).hexdigest()[:LEAF]


def id_runs(ids, runs: list[list[int]] | None = None) -> list[list[int]]:
    """Ids in their order as runs [first, last] of consecutive ids (an import's ids mostly are one
    run), appended to `runs` when given."""
    runs = [] if runs is None else runs
    for ident in ids:
        if runs and ident == runs[-1][1] + 1:
            runs[-1][1] = ident
        else:
            runs.append([ident, ident])
    return runs


def vouches(object_type: str, runs: list[list[int]], leaves: str) -> dict:
    """The `extra` of an event that vouches for these rows (`runs`: their ids, `id_runs`; `leaves`:
    their leaves joined, in the same order)."""
    if len(leaves) != LEAF * sum(last - first + 1 for first, last in runs):
        raise ValueError("one leaf per row")
    return {"vouches": {"type": object_type, "ids": runs, "leaves": leaves}}


def vouched(data: dict) -> tuple[str, list[tuple[int, str]]] | None:
    """The rows an event's `data` (parsed) vouches for: (object type, [(id, leaf), …]), or None.
    Raises ValueError when the vouching is malformed (a leaf per id, ids as runs)."""
    found = (data.get("extra") or {}).get("vouches") if isinstance(data.get("extra"), dict) else None
    if found is None:
        return None
    ids = [i for first, last in found["ids"] for i in range(first, last + 1)]
    leaves = found["leaves"]
    if not isinstance(leaves, str) or len(leaves) != LEAF * len(ids) or found["type"] not in AUDITED:
        raise ValueError("malformed vouching")
    return found["type"], [(i, leaves[n * LEAF : (n + 1) * LEAF]) for n, i in enumerate(ids)]


@dataclass
class Problem:
    """The first thing `verify` found wrong."""

    seq: int | None
    message: str


def verify_chain() -> Problem | None:
    """Walk the chain in order; the first event whose link or hash is wrong."""
    prev, expected_seq = GENESIS, 1
    rows = db.session.execute(select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=2000))
    for (ev,) in rows:
        if ev.seq != expected_seq:
            return Problem(expected_seq, f"event #{expected_seq} is missing (next found is #{ev.seq})")
        if ev.prev_hash != prev:
            return Problem(ev.seq, f"event #{ev.seq} does not link to event #{ev.seq - 1}")
        if event_hash(prev, ev) != ev.hash:
            return Problem(ev.seq, f"event #{ev.seq} ({ev.action}) was altered: its hash does not match")
        prev, expected_seq = ev.hash, expected_seq + 1
    head = db.session.get(AuditHead, 1)
    last = expected_seq - 1
    if head is None and last > 0:
        return Problem(None, "the chain's head record was deleted")
    if head is not None and (head.seq != last or head.hash != prev):
        return Problem(last + 1, f"events after #{last} were deleted (the chain's head is #{head.seq})")
    return None


def _digest(snapshot: dict) -> str:
    return hashlib.sha256(canonical(snapshot).encode("utf-8")).hexdigest()


def _latest_events() -> dict[tuple[str, int], tuple[int, str | None]] | Problem:
    """(type, id) → (seq, digest) of each audited row's latest event, its digest None when the
    event deleted the row; a leaf (`LEAF` digits) for a row vouched for by a batch's event."""
    latest: dict[tuple[str, int], tuple[int, str | None]] = {}
    q = select(AuditEvent.seq, AuditEvent.object_type, AuditEvent.object_id, AuditEvent.data, AuditEvent.action)
    for seq, otype, oid, text, action in db.session.execute(q.order_by(AuditEvent.seq)):
        if otype not in AUDITED or oid is None:
            continue
        data = json.loads(text)
        deleted = action.endswith(".delete")
        latest[(otype, oid)] = (seq, None if deleted else _digest(data["snapshot"]))
        try:
            rows = vouched(data)
        except (ValueError, KeyError, TypeError):
            return Problem(seq, f"event #{seq} ({action}) vouches for rows in a form verify cannot read")
        if rows is not None:
            vtype, leaves = rows
            latest.update(((vtype, i), (seq, one)) for i, one in leaves)
    return latest


def verify_rows() -> Problem | None:
    """Every audited row must equal the snapshot in its latest event (or the leaf of the batch event
    that vouches for it), and vice versa."""
    latest = _latest_events()
    if isinstance(latest, Problem):
        return latest
    for otype, cls in AUDITED.items():
        seen = set()
        for (row,) in db.session.execute(select(cls).order_by(cls.id).execution_options(yield_per=2000)):
            seen.add(row.id)
            found = latest.get((otype, row.id))
            if found is None or found[1] is None:
                return Problem(None, f"{otype} {row.id} has no audit event: it was written behind the app's back")
            seq, data = found
            digest = _digest(row.audit_snapshot())
            if data != (digest if len(data) != LEAF else digest[:LEAF]):
                return Problem(
                    seq, f"{otype} {row.id} differs from audit event #{seq}: it was edited behind the app's back"
                )
        for (t, oid), (seq, data) in latest.items():
            if t == otype and data is not None and oid not in seen:
                return Problem(seq, f"{otype} {oid} recorded by audit event #{seq} was deleted behind the app's back")
    return None


def verify() -> Problem | None:
    """The first problem in the chain or in the rows it vouches for, or None."""
    return verify_chain() or verify_rows()
