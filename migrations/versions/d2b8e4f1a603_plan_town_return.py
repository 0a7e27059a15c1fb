"""distributions.town_return_reason: the town accountant sends a large plan back, with a reason

Revision ID: d2b8e4f1a603
Revises: c7a3e5f9d421
Create Date: 2026-12-07 14:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "d2b8e4f1a603"
down_revision = "c7a3e5f9d421"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("distributions") as batch:
        batch.add_column(sa.Column("town_return_reason", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("distributions") as batch:
        batch.drop_column("town_return_reason")
