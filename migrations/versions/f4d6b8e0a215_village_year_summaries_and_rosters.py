"""village_year_summaries (each village's money figures per year) and village_rosters (each
village's households and formerly poor households), filled from the project-year summaries and
the households

Revision ID: f4d6b8e0a215
Revises: e3c5a7d9f104
Create Date: 2026-12-07 17:00:00

The comparison read these figures with a dozen index ranges per village and counted a county's
households on every uncached answer; it now reads one row per village and year.
"""

import sqlalchemy as sa
from alembic import op

revision = "f4d6b8e0a215"
down_revision = "e3c5a7d9f104"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# As `ledger.rollups.VILLAGE_YEAR_COLUMNS` said when this was written.
COLUMNS = {
    "collective_income_fen": ("collective_income",),
    "output_fen": ("output",),
    "statement_income_fen": ("sales", "collective_income", "subsidy"),
    "spending_fen": ("cost", "operating_expense", "admin_expense", "welfare_expense", "other_expense"),
}


def _quoted(kinds):
    return ", ".join(f"'{k}'" for k in kinds)


def upgrade():
    op.create_table(
        "village_year_summaries",
        sa.Column("id", BigId, nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        *(sa.Column(col, sa.BigInteger(), nullable=False) for col in COLUMNS),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["village_id"], ["areas.id"], name=op.f("fk_village_year_summaries_village_id_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_village_year_summaries")),
        sa.UniqueConstraint("village_id", "year", name=op.f("uq_village_year_summaries_village_id")),
    )
    op.create_table(
        "village_rosters",
        sa.Column("village_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("formerly_poor", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["village_id"], ["areas.id"], name=op.f("fk_village_rosters_village_id_areas")),
        sa.PrimaryKeyConstraint("village_id", name=op.f("pk_village_rosters")),
    )
    sums = ", ".join(
        f"SUM(CASE WHEN kind IN ({_quoted(kinds)}) THEN amount_fen ELSE 0 END)" for kinds in COLUMNS.values()
    )
    every = sorted({k for kinds in COLUMNS.values() for k in kinds})
    op.execute(
        f"INSERT INTO village_year_summaries (village_id, year, {', '.join(COLUMNS)}, entry_count) "
        f"SELECT village_id, year, {sums}, SUM(entry_count) FROM project_year_summaries "
        f"WHERE kind IN ({_quoted(every)}) GROUP BY village_id, year"
    )
    op.execute(
        "INSERT INTO village_rosters (village_id, households, formerly_poor) "
        "SELECT village_id, COUNT(*), SUM(CASE WHEN formerly_poor THEN 1 ELSE 0 END) FROM households GROUP BY village_id"
    )


def downgrade():
    op.drop_table("village_rosters")
    op.drop_table("village_year_summaries")
