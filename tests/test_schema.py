"""Migrations from empty, models ≡ migrations, rare characters, production config."""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from coopapp import create_app
from coopapp.extensions import db
from coopapp.models import Household, Project
from coopapp.villages import catalog


def test_upgrade_from_empty_then_downgrade_and_again(empty_database):
    from flask_migrate import downgrade, upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {
            "areas",
            "ledger_entries",
            "audit_events",
            "users",
            "monthly_summaries",
            "household_year_summaries",
            "cooperatives",
            "memberships",
            "party_orgs",
        } <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.engine.dispose()


def test_models_match_the_migrations(app, db):
    """The migrated schema is exactly what the models declare (no missing migration)."""
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
    assert diff == []


def test_characters_outside_the_bmp_round_trip(world):
    name = "𠮷田𡈽"  # 𠮷 U+20BB7 and 𡈽 U+2123D are outside the Basic Multilingual Plane
    hh = Household(village_id=world.village.id, head_name=name, members=1)
    project = Project(name=f"{name}养殖", type="livestock", village_id=world.village.id)
    db.session.add_all([hh, project])
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Household, hh.id).head_name == name
    assert db.session.get(Project, project.id).name == f"{name}养殖"
    assert db.session.scalar(text("SELECT head_name FROM households WHERE id = :i"), {"i": hh.id}) == name
    area = catalog.add_area("441323110201009", "𠮷村民小组", "group", world.village)
    db.session.commit()
    assert catalog.area_by_code("441323110201009").name == area.name == "𠮷村民小组"


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.setenv("COOP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "dev-only-not-secret")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_starts_with_a_real_secret_key(monkeypatch):
    monkeypatch.setenv("COOP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", os.urandom(16).hex())
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://coop.example.gov.cn/")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SECRET_KEY"] == os.environ["SECRET_KEY"]
    assert app.config["PUBLIC_BASE_URL"] == "https://coop.example.gov.cn"


def test_database_url_selects_the_database(monkeypatch):
    from config import Config

    monkeypatch.setenv("DATABASE_URL", "postgres://u@h:5432/d")
    assert Config.from_environment()["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h:5432/d"
    monkeypatch.delenv("DATABASE_URL")
    assert Config.from_environment()["SQLALCHEMY_DATABASE_URI"].endswith("instance/coop.sqlite")


def test_a_shared_database_needs_a_real_secret_key_even_in_development(monkeypatch):
    monkeypatch.delenv("COOP_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def _upgraded_over(database_url: str, revision: str, inserts: list[tuple[str, list[dict]]], reads: dict) -> dict:
    """Migrate an empty database to `revision`, insert the rows of `inserts` (each an SQL statement
    and its parameters, row by row) as data of that time, migrate to the head, and return what each
    of `reads` (name → SQL) finds then, as tuples."""
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        upgrade(revision=revision)
        with db.engine.begin() as conn:
            for sql, rows in inserts:
                for params in rows:
                    conn.execute(text(sql), params)
        upgrade()
        with db.engine.connect() as conn:
            found = {name: [tuple(r) for r in conn.execute(text(sql))] for name, sql in reads.items()}
        db.engine.dispose()
    return found


def test_upgrade_gives_existing_households_their_statement_tokens(empty_database):
    """The second migration fills public_token for households that were already there."""
    found = _upgraded_over(
        empty_database,
        "1fd5fc4a50f1",
        [
            (
                "INSERT INTO areas (id, code, name, level, path) VALUES (1, '441323', '惠东县', 'county', '/441323/')",
                [{}],
            ),
            (
                "INSERT INTO households (id, village_id, head_name, members, formerly_poor, monitored) "
                "VALUES (:i, 1, :n, 1, false, false)",
                [{"i": i, "n": f"户{i}"} for i in (1, 2, 3)],
            ),
        ],
        {"tokens": "SELECT public_token FROM households"},
    )
    tokens = [t for (t,) in found["tokens"]]
    assert len(tokens) == 3 and len(set(tokens)) == 3 and all(len(t) >= 40 for t in tokens)


def test_upgrade_fills_the_village_year_summaries_and_rosters(empty_database):
    """The migration that adds the comparison's village summaries fills them from what is there."""
    summaries = ((2025, "collective_income", 100_000, 2), (2025, "cost", 30_000, 1), (2025, "sales", 5_000, 1),
                 (2025, "dividend", 9_000, 3), (2024, "output", 700_000, 4))  # fmt: skip
    found = _upgraded_over(
        empty_database,
        "e3c5a7d9f104",
        [
            (
                "INSERT INTO areas (id, code, name, level, path, retired) VALUES "
                "(1, '441323', '惠东县', 'county', '/441323/', false), "
                "(2, '441323110201', '中洞村', 'village', '/441323/441323110201/', false)",
                [{}],
            ),
            (
                "INSERT INTO households (id, village_id, head_name, members, formerly_poor, monitored, "
                "public_token) VALUES (:i, 2, :n, 1, :p, false, :t)",
                [
                    {"i": i, "n": f"户{i}", "p": poor, "t": f"token-{i}"}
                    for i, poor in ((1, True), (2, False), (3, True))
                ],
            ),
            (
                "INSERT INTO projects (id, name, type, village_id, active) VALUES (1, '蜂场', 'beekeeping', 2, true)",
                [{}],
            ),
            (
                "INSERT INTO project_year_summaries (id, village_id, project_id, year, kind, amount_fen, "
                "quantity, entry_count) VALUES (:i, 2, 1, :y, :k, :f, 0, :n)",
                [{"i": i, "y": y, "k": k, "f": f, "n": n} for i, (y, k, f, n) in enumerate(summaries, start=1)],
            ),
        ],
        {
            "rosters": "SELECT village_id, households, formerly_poor FROM village_rosters",
            "money": "SELECT year, collective_income_fen, output_fen, statement_income_fen, spending_fen, "
            "entry_count FROM village_year_summaries WHERE village_id = 2 ORDER BY year",
        },
    )
    assert found["rosters"] == [(2, 3, 2)]
    assert found["money"] == [(2024, 0, 700_000, 0, 0, 4), (2025, 100_000, 0, 105_000, 30_000, 4)]


@pytest.mark.postgres_only
def test_subtree_filters_use_the_path_index_on_postgresql(app, db, world):
    """`path LIKE 'prefix%'` (every scope check) can use the index under any collation."""
    from sqlalchemy import text

    with db.engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))  # the test world is small: make the planner show its options
        plan = "\n".join(
            conn.execute(text("EXPLAIN SELECT id FROM areas WHERE path LIKE '/441323/441323110/%'")).scalars()
        )
        ddl = conn.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_areas_path'")).scalar()
    assert "ix_areas_path" in plan, plan
    assert "text_pattern_ops" in ddl, ddl  # under the "C" collation a plain index would pass the plan too


@pytest.mark.parametrize(
    ("where", "index"),
    [
        ("household_id = 1", "ix_ledger_entries_household_id"),
        ("household_id IN (1, 2)", "ix_ledger_entries_household_id"),
        ("reverses_id = 1", "ix_ledger_entries_reverses_id"),
        ("reverses_id = 1 AND status <> 'void'", "uq_ledger_live_reversal"),
    ],
)
def test_lookups_by_value_use_the_partial_ledger_indexes(app, db, world, where, index):
    """The reverses_id and household_id indexes leave out NULLs (cheaper inserts); a lookup by
    value implies IS NOT NULL, so it still uses them, on both databases."""
    from sqlalchemy import text

    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET enable_seqscan = off"))  # the test world is small
            plan = "\n".join(conn.execute(text(f"EXPLAIN SELECT id FROM ledger_entries WHERE {where}")).scalars())
        else:
            rows = conn.execute(text(f"EXPLAIN QUERY PLAN SELECT id FROM ledger_entries WHERE {where}")).all()
            plan = "\n".join(str(r[-1]) for r in rows)
    assert index in plan, plan


def test_the_ledger_indexes_leave_out_nulls(app, db):
    from sqlalchemy import text

    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            q = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'ledger_entries'"
        else:
            q = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ledger_entries'"
        ddl = {name: " ".join((sql or "").split()) for name, sql in conn.execute(text(q))}
    for name, column in (
        ("ix_ledger_entries_household_id", "household_id"),
        ("ix_ledger_entries_reverses_id", "reverses_id"),
        ("uq_ledger_live_reversal", "reverses_id"),
    ):
        assert f"{column} IS NOT NULL" in ddl[name], ddl[name]
