"""vouchers: original vouchers (原始凭证) of ledger entries, and the entries' voucher numbers (凭证号)

Revision ID: c7d1e9a4b2f5
Revises: c4d9e1f2a735
Create Date: 2026-12-07 10:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c7d1e9a4b2f5"
down_revision = "c4d9e1f2a735"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "vouchers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("thumb_sha256", sa.String(length=64), nullable=True),
        sa.Column("file_name", sa.String(length=120), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["ledger_entries.id"], name=op.f("fk_vouchers_entry_id_ledger_entries")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], name=op.f("fk_vouchers_uploaded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vouchers")),
    )
    op.create_index(op.f("ix_vouchers_entry_id"), "vouchers", ["entry_id"], unique=False)
    op.create_index(op.f("ix_vouchers_sha256"), "vouchers", ["sha256"], unique=False)
    # A plain nullable column: SQLite adds it in place, without copying the ledger.
    op.add_column("ledger_entries", sa.Column("voucher_no", sa.Integer(), nullable=True))
    op.create_index("uq_ledger_voucher_no", "ledger_entries", ["village_id", "period", "voucher_no"], unique=True)


def downgrade():
    op.drop_index("uq_ledger_voucher_no", table_name="ledger_entries")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_column("voucher_no")
    op.drop_index(op.f("ix_vouchers_sha256"), table_name="vouchers")
    op.drop_index(op.f("ix_vouchers_entry_id"), table_name="vouchers")
    op.drop_table("vouchers")
