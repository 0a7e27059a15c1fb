"""village-group books (组账村代记): entries and projects of a village group, group summaries

Revision ID: c7a3e5f9b214
Revises: c7d3a9e1f402
Create Date: 2026-12-07 10:10:00

The audit snapshots of entries and projects carry `group_id` only when it is set, so the rows
already in the chain still match their latest snapshot: no adopting events.
"""

import sqlalchemy as sa
from alembic import op

revision = "c7a3e5f9b214"
down_revision = "c7d3a9e1f402"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_ledger_entries_group_id_areas"), "areas", ["group_id"], ["id"])
        batch_op.create_index(
            "ix_ledger_entries_group_id",
            ["group_id"],
            unique=False,
            sqlite_where=sa.text("group_id IS NOT NULL"),
            postgresql_where=sa.text("group_id IS NOT NULL"),
        )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_projects_group_id_areas"), "areas", ["group_id"], ["id"])
    op.create_table(
        "group_monthly_summaries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["areas.id"], name=op.f("fk_group_monthly_summaries_group_id_areas")),
        sa.ForeignKeyConstraint(["village_id"], ["areas.id"], name=op.f("fk_group_monthly_summaries_village_id_areas")),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_group_monthly_summaries_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_monthly_summaries")),
        sa.UniqueConstraint(
            "group_id", "project_id", "year", "month", "kind", name=op.f("uq_group_monthly_summaries_group_id")
        ),
    )
    op.create_index("ix_group_monthly_village", "group_monthly_summaries", ["village_id", "year"], unique=False)


def downgrade():
    op.drop_index("ix_group_monthly_village", table_name="group_monthly_summaries")
    op.drop_table("group_monthly_summaries")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_projects_group_id_areas"), type_="foreignkey")
        batch_op.drop_column("group_id")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entries_group_id")
        batch_op.drop_constraint(batch_op.f("fk_ledger_entries_group_id_areas"), type_="foreignkey")
        batch_op.drop_column("group_id")
