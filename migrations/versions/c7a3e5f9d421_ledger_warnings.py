"""ledger_warnings: the warnings (预警) raised on entries

Revision ID: c7a3e5f9d421
Revises: c7d1e9a4b2f5
Create Date: 2026-12-07 10:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c7a3e5f9d421"
down_revision = "c7d1e9a4b2f5"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ledger_warnings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rule", sa.String(length=30), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["ledger_entries.id"], name=op.f("fk_ledger_warnings_entry_id_ledger_entries")
        ),
        sa.ForeignKeyConstraint(["village_id"], ["areas.id"], name=op.f("fk_ledger_warnings_village_id_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_warnings")),
        sa.UniqueConstraint("entry_id", "rule", name="uq_ledger_warnings_entry_rule"),
    )
    op.create_index("ix_ledger_warnings_village_created", "ledger_warnings", ["village_id", "created_at"], unique=False)
    op.create_index(op.f("ix_ledger_warnings_entry_id"), "ledger_warnings", ["entry_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_ledger_warnings_entry_id"), table_name="ledger_warnings")
    op.drop_index("ix_ledger_warnings_village_created", table_name="ledger_warnings")
    op.drop_table("ledger_warnings")
