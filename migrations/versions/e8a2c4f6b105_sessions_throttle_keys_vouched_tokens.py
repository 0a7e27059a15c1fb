"""user_sessions; login_failures counted by key; API tokens, import batches and households' public links join the audit chain

Revision ID: e8a2c4f6b105
Revises: 3e855b97dc07
Create Date: 2026-12-07 04:20:00

- `user_sessions`: server-side sessions (only an HMAC of each session's key).
- `login_failures` is rebuilt, keyed by `user:ID`, `name:N`, `client:ADDR`, `device:ID:NONCE`
  (the old per-name counters are transient and are dropped).
- API tokens and import batches become rows the audit chain vouches for, and a household's
  snapshot gains a digest of its public-page key. So that `audit verify` stays green on an
  existing database, the upgrade appends one `api_token.adopt` event per token, one
  `import_batch.adopt` per batch and one `household.adopt` per household (its new snapshot),
  chained exactly as `coopapp.access.audit` chains (copied here as it stands at this revision).
  The downgrade drops the sessions and restores the old throttle table; events stay.
"""

import hashlib
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e8a2c4f6b105"
down_revision = "3e855b97dc07"
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


def _append(conn, adopted: list[tuple[str, str, int, dict]]) -> None:
    """Append (action, object type, id, snapshot) events to the chain."""
    if not adopted:
        return
    head = conn.execute(sa.text("SELECT seq, hash FROM audit_head WHERE id = 1")).first()
    seq, prev = (head.seq, head.hash) if head is not None else (0, GENESIS)
    now = datetime.now(UTC).replace(tzinfo=None)
    events = []
    for action, otype, oid, snapshot in adopted:
        seq += 1
        event = {
            "seq": seq,
            "created_at": now,
            "actor_id": None,
            "action": action,
            "object_type": otype,
            "object_id": oid,
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
    for start in range(0, len(events), 5000):
        conn.execute(sa.insert(table), events[start : start + 5000])
    if head is None:
        conn.execute(sa.text("INSERT INTO audit_head (id, seq, hash) VALUES (1, :s, :h)"), {"s": seq, "h": prev})
    else:
        conn.execute(sa.text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"), {"s": seq, "h": prev})


def _adopted() -> list[tuple[str, str, int, dict]]:
    """The snapshots of every token, batch and household as the models write them at this revision."""
    conn = op.get_bind()
    tokens = sa.table(
        "api_tokens",
        sa.column("id", sa.Integer),
        sa.column("user_id", sa.Integer),
        sa.column("token_hash", sa.String),
        sa.column("expires_at", sa.DateTime),
        sa.column("revoked_at", sa.DateTime),
    )
    adopted = []
    for t in conn.execute(sa.select(tokens).order_by(tokens.c.id)):
        snapshot = {
            "user_id": t.user_id,
            "token": hashlib.sha256(b"token:" + t.token_hash.encode("ascii")).hexdigest(),
            "expires_at": t.expires_at.isoformat(timespec="seconds"),
            "revoked": t.revoked_at is not None,
        }
        adopted.append(("api_token.adopt", "api_token", t.id, snapshot))
    batches = sa.table(
        "import_batches",
        *(sa.column(c, sa.Integer) for c in ("id", "target_id", "rows", "created_by_id")),
        *(sa.column(c, sa.String) for c in ("kind", "file_name", "content_sha256")),
    )
    for b in conn.execute(sa.select(batches).order_by(batches.c.id)):
        snapshot = {
            "kind": b.kind,
            "target_id": b.target_id,
            "file_name": b.file_name,
            "content_sha256": b.content_sha256,
            "rows": b.rows,
            "created_by_id": b.created_by_id,
        }
        adopted.append(("import_batch.adopt", "import_batch", b.id, snapshot))
    homes = sa.table(
        "households",
        *(sa.column(c, sa.Integer) for c in ("id", "village_id", "group_id", "members")),
        *(sa.column(c, sa.String) for c in ("head_name", "phone", "id_number", "public_token")),
        *(sa.column(c, sa.Boolean) for c in ("formerly_poor", "monitored")),
    )
    for h in conn.execute(sa.select(homes).order_by(homes.c.id)):
        snapshot = {
            "village_id": h.village_id,
            "group_id": h.group_id,
            "head_name": h.head_name,
            "members": h.members,
            "phone": h.phone,
            "id_number": h.id_number,
            "formerly_poor": bool(h.formerly_poor),
            "monitored": bool(h.monitored),
            "public_link": hashlib.sha256(h.public_token.encode("ascii")).hexdigest(),
        }
        adopted.append(("household.adopt", "household", h.id, snapshot))
    return adopted


def upgrade():
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hmac", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("key_hmac", name=op.f("uq_user_sessions_key_hmac")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_sessions_user_id"), ["user_id"], unique=False)

    op.drop_table("login_failures")
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
        sa.UniqueConstraint("key", name=op.f("uq_login_failures_key")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_failures_last_at"), ["last_at"], unique=False)

    _append(op.get_bind(), _adopted())


def downgrade():
    op.drop_table("login_failures")
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
        sa.UniqueConstraint("username", name=op.f("uq_login_failures_username")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_user_id"))
    op.drop_table("user_sessions")
