"""ledger_entries: a partial index of the red entries (红字: a negative amount, not a reversal)

Revision ID: a5d1e7c9f218
Revises: e8a2c4f6b105
Create Date: 2026-12-07 08:30:00.000000

The income and output kinds may now carry a negative amount (a return, a refund: 红字冲减). The
notices and the public page list those entries as such; the index holds only them, by village
and month, so listing them reads a handful of rows and an ordinary insert pays nothing for it.
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "a5d1e7c9f218"
down_revision = "e8a2c4f6b105"
branch_labels = None
depends_on = None

RED = "amount_fen < 0 AND reverses_id IS NULL"


def upgrade():
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_red_entries",
            ["village_id", "period"],
            sqlite_where=sa.text(RED),
            postgresql_where=sa.text(RED),
        )


def downgrade():
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_red_entries")
