"""ledger_entries: the voucher numbers' unique index holds only the entries that have one (approved
ones) — a draft, most of an import, no longer costs an index entry while the import holds the lock

Revision ID: a6c8e0f2b317
Revises: f4d6b8e0a215
Create Date: 2026-12-07 20:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "a6c8e0f2b317"
down_revision = "f4d6b8e0a215"
branch_labels = None
depends_on = None

NUMBERED = sa.text("voucher_no IS NOT NULL")
COLUMNS = ["village_id", "period", "voucher_no"]


def upgrade():
    op.drop_index("uq_ledger_voucher_no", table_name="ledger_entries")
    op.create_index(
        "uq_ledger_voucher_no", "ledger_entries", COLUMNS, unique=True, sqlite_where=NUMBERED, postgresql_where=NUMBERED
    )


def downgrade():
    op.drop_index("uq_ledger_voucher_no", table_name="ledger_entries")
    op.create_index("uq_ledger_voucher_no", "ledger_entries", COLUMNS, unique=True)
