"""entry_spending_fields: a spending entry's category (明细科目), payment method and payee

Revision ID: c4d9e1f2a735
Revises: b6e2f4a8c310
Create Date: 2026-12-07 10:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c4d9e1f2a735"
down_revision = "b6e2f4a8c310"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ledger_entries") as batch_op:
        batch_op.add_column(sa.Column("category", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("payment_method", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("payee", sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table("ledger_entries") as batch_op:
        batch_op.drop_column("payee")
        batch_op.drop_column("payment_method")
        batch_op.drop_column("category")
