"""areas.path indexed for prefix searches on PostgreSQL (text_pattern_ops)

Revision ID: c6e3a7b2d403
Revises: b5d2f6a1c302
Create Date: 2026-11-25 08:40:00.000000

Subtree filters are `path LIKE '/441323/441323110/%'`. A plain B-tree index serves that on
SQLite, but on PostgreSQL only under the "C" collation; with text_pattern_ops it does under
any. On SQLite the index stays as it is.
"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "c6e3a7b2d403"
down_revision = "b5d2f6a1c302"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_areas_path", table_name="areas")
        op.create_index("ix_areas_path", "areas", ["path"], postgresql_ops={"path": "text_pattern_ops"})


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_areas_path", table_name="areas")
        op.create_index("ix_areas_path", "areas", ["path"])
