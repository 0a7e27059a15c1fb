"""areas: published_name, retired, merged_into_id; the area tree joins the audit chain

Revision ID: 9ef385709979
Revises: d7f4b8c3e504
Create Date: 2026-12-07 01:34:32.860514

Areas become rows the audit chain vouches for (`audit verify` then detects a village moved
or renamed by SQL). So that verify stays green on an existing database, the upgrade appends
one adopting event per existing area, chained exactly as `coopapp.access.audit` chains
(copied here, as it stands at this revision, so that later code changes cannot alter it).
The downgrade drops the columns and leaves the adopting events in the chain: events are
never deleted, and an older app ignores events about types it does not audit.
"""

import hashlib
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9ef385709979"
down_revision = "d7f4b8c3e504"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def _canonical(data: dict) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _event_hash(prev_hash: str, event: dict) -> str:
    body = _canonical(
        {
            "seq": event["seq"],
            "at": event["created_at"].isoformat(timespec="microseconds"),
            "actor": event["actor_id"],
            "action": event["action"],
            "type": event["object_type"],
            "id": event["object_id"],
            "data": event["data"],
        }
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _adopt_existing_areas() -> None:
    """One `area.adopt` event per area already in the tree, appended to the chain."""
    conn = op.get_bind()
    areas = conn.execute(sa.text("SELECT id, code, name, level, parent_id, path FROM areas ORDER BY id")).all()
    if not areas:
        return
    head = conn.execute(sa.text("SELECT seq, hash FROM audit_head WHERE id = 1")).first()
    seq, prev = (head.seq, head.hash) if head is not None else (0, GENESIS)
    now = datetime.now(UTC).replace(tzinfo=None)
    events = []
    for area in areas:
        snapshot = {
            "code": area.code,
            "name": area.name,
            "level": area.level,
            "parent_id": area.parent_id,
            "path": area.path,
            "published_name": None,
            "retired": False,
            "merged_into_id": None,
        }
        seq += 1
        event = {
            "seq": seq,
            "created_at": now,
            "actor_id": None,
            "action": "area.adopt",
            "object_type": "area",
            "object_id": area.id,
            "data": _canonical({"snapshot": snapshot, "extra": {"source": "migration"}}),
            "prev_hash": prev,
        }
        event["hash"] = prev = _event_hash(event["prev_hash"], event)
        events.append(event)
    table = sa.table(
        "audit_events",
        *(sa.column(c) for c in ("seq", "created_at", "actor_id", "action", "object_type", "object_id")),
        *(sa.column(c) for c in ("data", "prev_hash", "hash")),
    )
    conn.execute(sa.insert(table), events)
    if head is None:
        conn.execute(sa.text("INSERT INTO audit_head (id, seq, hash) VALUES (1, :s, :h)"), {"s": seq, "h": prev})
    else:
        conn.execute(sa.text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"), {"s": seq, "h": prev})


def upgrade():
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("retired", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_areas_merged_into_id_areas"), "areas", ["merged_into_id"], ["id"])
    _adopt_existing_areas()


def downgrade():
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_areas_merged_into_id_areas"), type_="foreignkey")
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("retired")
        batch_op.drop_column("published_name")
