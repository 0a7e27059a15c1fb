"""county_settings: a county's own rules as one JSON document per county

Revision ID: b6e2f4a8c310
Revises: f9b3d5e7a206
Create Date: 2026-12-07 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b6e2f4a8c310"
down_revision = "f9b3d5e7a206"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "county_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("county_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["county_id"], ["areas.id"], name=op.f("fk_county_settings_county_id_areas")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_county_settings_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_county_settings")),
        sa.UniqueConstraint("county_id", name=op.f("uq_county_settings_county_id")),
    )


def downgrade():
    op.drop_table("county_settings")
