"""areas: the path index carries level, retired and parent (the comparison's counts read the index
alone); merged villages (撤并村) get an index of their own

Revision ID: e3c5a7d9f104
Revises: d2b8e4f1a603
Create Date: 2026-12-07 16:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "e3c5a7d9f104"
down_revision = "d2b8e4f1a603"
branch_labels = None
depends_on = None

MERGED = sa.text("merged_into_id IS NOT NULL")


def upgrade():
    op.drop_index("ix_areas_path", table_name="areas")
    op.create_index(
        "ix_areas_path",
        "areas",
        ["path", "level", "retired", "parent_id"],
        postgresql_ops={"path": "text_pattern_ops"},
    )
    op.create_index("ix_areas_merged_into_id", "areas", ["merged_into_id"], sqlite_where=MERGED, postgresql_where=MERGED)


def downgrade():
    op.drop_index("ix_areas_merged_into_id", table_name="areas")
    op.drop_index("ix_areas_path", table_name="areas")
    op.create_index("ix_areas_path", "areas", ["path"], postgresql_ops={"path": "text_pattern_ops"})
