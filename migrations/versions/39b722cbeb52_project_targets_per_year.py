"""project_targets: a project's targets per year; party organisations gain founded, joint
branches' groups and upgrades; cooperatives and party organisations join the audit chain

Revision ID: 39b722cbeb52
Revises: 9ef385709979
Create Date: 2026-12-07 01:52:48.413931

A project's one fixed target judged every year by today's number. Each project's current
targets become its targets for the current year (in China) only: they are this year's plan;
what earlier years were planned is not known, and copying today's number to them would keep
judging the past by it. The secretary enters earlier years' targets if the county has them
(PUT /api/v1/projects/ID/targets/YEAR).

Target rows join the audit chain, and the projects' audit snapshots lose the two targets. So
that `audit verify` stays green, the upgrade appends one `project.adopt` event per project
(its new snapshot), one `project_target.adopt` per copied target and one `cooperative.adopt`
per cooperative and `party_org.adopt` per party organisation (both join the chain; a
cooperative's credit code included), chained exactly as
`coopapp.access.audit` chains (copied here as it stands at this revision). The downgrade puts
each project's latest target back on the project and drops the table; events stay.
"""

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "39b722cbeb52"
down_revision = "9ef385709979"
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
    conn.execute(sa.insert(table), events)
    if head is None:
        conn.execute(sa.text("INSERT INTO audit_head (id, seq, hash) VALUES (1, :s, :h)"), {"s": seq, "h": prev})
    else:
        conn.execute(sa.text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"), {"s": seq, "h": prev})


def _capacity_text(milli) -> str | None:
    return None if milli is None else format((Decimal(int(milli)) / 1000).normalize(), "f")


def _move_targets_and_adopt() -> None:
    conn = op.get_bind()
    projects = conn.execute(
        sa.text(
            "SELECT id, name, type, village_id, cooperative_id, capacity, capacity_unit, active, "
            "target_output_fen, target_collective_income_fen FROM projects ORDER BY id"
        )
    ).all()
    year = datetime.now(ZoneInfo("Asia/Shanghai")).year
    adopted = []
    for p in projects:
        snapshot = {
            "name": p.name,
            "type": p.type,
            "village_id": p.village_id,
            "cooperative_id": p.cooperative_id,
            "capacity": _capacity_text(p.capacity),
            "capacity_unit": p.capacity_unit,
            "active": bool(p.active),
        }
        adopted.append(("project.adopt", "project", p.id, snapshot))
        if p.target_output_fen is None and p.target_collective_income_fen is None:
            continue
        row = {
            "project_id": p.id,
            "year": year,
            "output_fen": p.target_output_fen,
            "collective_income_fen": p.target_collective_income_fen,
        }
        conn.execute(
            sa.text(
                "INSERT INTO project_targets (project_id, year, output_fen, collective_income_fen) "
                "VALUES (:project_id, :year, :output_fen, :collective_income_fen)"
            ),
            row,
        )
        target_id = conn.execute(
            sa.text("SELECT id FROM project_targets WHERE project_id = :p AND year = :y"), {"p": p.id, "y": year}
        ).scalar_one()
        adopted.append(("project_target.adopt", "project_target", target_id, row))
    coops = conn.execute(
        sa.text("SELECT id, name, credit_code, village_id, party_org_id FROM cooperatives ORDER BY id")
    ).all()
    for c in coops:
        snapshot = {"name": c.name, "credit_code": c.credit_code, "village_id": c.village_id, "party_org_id": c.party_org_id}
        adopted.append(("cooperative.adopt", "cooperative", c.id, snapshot))
    orgs = conn.execute(sa.text("SELECT id, name, kind, area_id FROM party_orgs ORDER BY id")).all()
    for o in orgs:
        snapshot = {"name": o.name, "kind": o.kind, "area_id": o.area_id, "founded": None, "group_ids": [], "upgrades": []}
        adopted.append(("party_org.adopt", "party_org", o.id, snapshot))
    _append(conn, adopted)


def upgrade():
    op.create_table(
        "project_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("output_fen", sa.BigInteger(), nullable=True),
        sa.Column("collective_income_fen", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_project_targets_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_targets")),
        sa.UniqueConstraint("project_id", "year", name=op.f("uq_project_targets_project_id")),
    )
    with op.batch_alter_table("project_targets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_targets_project_id"), ["project_id"], unique=False)
    op.create_table(
        "party_org_groups",
        sa.Column("party_org_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["areas.id"], name=op.f("fk_party_org_groups_group_id_areas")),
        sa.ForeignKeyConstraint(
            ["party_org_id"], ["party_orgs.id"], name=op.f("fk_party_org_groups_party_org_id_party_orgs")
        ),
        sa.PrimaryKeyConstraint("party_org_id", "group_id", name=op.f("pk_party_org_groups")),
    )
    with op.batch_alter_table("party_org_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_party_org_groups_group_id"), ["group_id"], unique=False)
    op.create_table(
        "party_org_upgrades",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_org_id", sa.Integer(), nullable=False),
        sa.Column("from_kind", sa.String(length=20), nullable=False),
        sa.Column("to_kind", sa.String(length=20), nullable=False),
        sa.Column("upgraded_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_org_id"], ["party_orgs.id"], name=op.f("fk_party_org_upgrades_party_org_id_party_orgs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_org_upgrades")),
    )
    with op.batch_alter_table("party_org_upgrades", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_party_org_upgrades_party_org_id"), ["party_org_id"], unique=False)
    with op.batch_alter_table("party_orgs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("founded", sa.Date(), nullable=True))
    _move_targets_and_adopt()
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("target_output_fen")
        batch_op.drop_column("target_collective_income_fen")


def downgrade():
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target_collective_income_fen", sa.BIGINT(), nullable=True))
        batch_op.add_column(sa.Column("target_output_fen", sa.BIGINT(), nullable=True))
    # Each project's latest year's targets go back on the project.
    op.execute(
        "UPDATE projects SET "
        "target_output_fen = (SELECT t.output_fen FROM project_targets t WHERE t.project_id = projects.id "
        "ORDER BY t.year DESC LIMIT 1), "
        "target_collective_income_fen = (SELECT t.collective_income_fen FROM project_targets t "
        "WHERE t.project_id = projects.id ORDER BY t.year DESC LIMIT 1)"
    )
    with op.batch_alter_table("project_targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_targets_project_id"))
    op.drop_table("project_targets")
    with op.batch_alter_table("party_orgs", schema=None) as batch_op:
        batch_op.drop_column("founded")
    with op.batch_alter_table("party_org_upgrades", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_org_upgrades_party_org_id"))
    op.drop_table("party_org_upgrades")
    with op.batch_alter_table("party_org_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_org_groups_group_id"))
    op.drop_table("party_org_groups")
