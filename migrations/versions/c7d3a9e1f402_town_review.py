"""town_review: the town's approval of entries above a tier (待镇审核), of large plans, and 反结账

Revision ID: c7d3a9e1f402
Revises: b6e2f4a8c310
Create Date: 2026-12-07 10:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c7d3a9e1f402"
down_revision = "b6e2f4a8c310"
branch_labels = None
depends_on = None


def upgrade():
    # "awaiting_town" is longer than ten letters (SQLite does not enforce a VARCHAR's length).
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "ledger_entries", "status", existing_type=sa.String(10), type_=sa.String(16), existing_nullable=False
        )
    # The foreign keys inline: SQLite adds the columns in place instead of copying the tables.
    with op.batch_alter_table("ledger_entries") as batch:
        batch.add_column(
            sa.Column(
                "town_reviewed_by_id",
                sa.Integer(),
                sa.ForeignKey("users.id", name=op.f("fk_ledger_entries_town_reviewed_by_id_users")),
                nullable=True,
            )
        )
        batch.add_column(sa.Column("town_reviewed_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("distributions") as batch:
        batch.add_column(
            sa.Column(
                "town_approved_by_id",
                sa.Integer(),
                sa.ForeignKey("users.id", name=op.f("fk_distributions_town_approved_by_id_users")),
                nullable=True,
            )
        )
        batch.add_column(sa.Column("town_approved_at", sa.DateTime(), nullable=True))
    op.create_table(
        "month_reopenings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["village_id"], ["areas.id"], name=op.f("fk_month_reopenings_village_id_areas")),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_month_reopenings_requested_by_id_users")
        ),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_month_reopenings_decided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_month_reopenings")),
    )
    op.create_index("ix_month_reopenings_village_status", "month_reopenings", ["village_id", "status"])


def downgrade():
    op.drop_index("ix_month_reopenings_village_status", table_name="month_reopenings")
    op.drop_table("month_reopenings")
    with op.batch_alter_table("distributions") as batch:
        batch.drop_constraint(op.f("fk_distributions_town_approved_by_id_users"), type_="foreignkey")
        batch.drop_column("town_approved_at")
        batch.drop_column("town_approved_by_id")
    with op.batch_alter_table("ledger_entries") as batch:
        batch.drop_constraint(op.f("fk_ledger_entries_town_reviewed_by_id_users"), type_="foreignkey")
        batch.drop_column("town_reviewed_at")
        batch.drop_column("town_reviewed_by_id")
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "ledger_entries", "status", existing_type=sa.String(16), type_=sa.String(10), existing_nullable=False
        )
