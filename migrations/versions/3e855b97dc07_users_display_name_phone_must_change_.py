"""users: display_name, phone, must_change_password

Revision ID: 3e855b97dc07
Revises: fbdcd3689716
Create Date: 2026-12-07 04:01:19.166249

A user's snapshot in the audit chain gains the three fields. So that `audit verify` stays green
on an existing database, the upgrade appends one `user.adopt` event per existing user with its
new snapshot, chained exactly as `coopapp.access.audit` chains (copied here, as it stands at this
revision). The downgrade drops the columns and leaves the events: events are never deleted.
"""

import hashlib
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3e855b97dc07"
down_revision = "fbdcd3689716"
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


def _adopt_existing_users() -> None:
    """One `user.adopt` event per existing user, appended to the chain."""
    conn = op.get_bind()
    users = conn.execute(sa.text("SELECT id, username, role, area_id, active, password_hash FROM users ORDER BY id")).all()
    if not users:
        return
    head = conn.execute(sa.text("SELECT seq, hash FROM audit_head WHERE id = 1")).first()
    seq, prev = (head.seq, head.hash) if head is not None else (0, GENESIS)
    now = datetime.now(UTC).replace(tzinfo=None)
    events = []
    for user in users:
        snapshot = {
            "username": user.username,
            "role": user.role,
            "area_id": user.area_id,
            "active": bool(user.active),
            "password": hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest(),
            "display_name": "",
            "phone": "",
            "must_change_password": False,
        }
        seq += 1
        event = {
            "seq": seq,
            "created_at": now,
            "actor_id": None,
            "action": "user.adopt",
            "object_type": "user",
            "object_id": user.id,
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
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_name", sa.String(length=80), server_default="", nullable=False))
        batch_op.add_column(sa.Column("phone", sa.String(length=20), server_default="", nullable=False))
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False))
    _adopt_existing_users()


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
        batch_op.drop_column("phone")
        batch_op.drop_column("display_name")
