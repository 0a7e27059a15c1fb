"""areas: merged_on, the day a village was merged into another (撤并村)

Revision ID: fbdcd3689716
Revises: 39b722cbeb52
Create Date: 2026-12-07 04:01:49.249213

The audit snapshot of an area carries `merged_on` only when it is set, so the areas already in
the chain (none merged with a date) still match their latest snapshot: no adopting events.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "fbdcd3689716"
down_revision = "39b722cbeb52"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_on", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.drop_column("merged_on")
