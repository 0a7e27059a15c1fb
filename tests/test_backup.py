"""`coop backup` and `coop restore` as a round trip that ends with `audit verify` passing.

SQLite: a database file of its own in a temporary directory. PostgreSQL (when the run's test
database is PostgreSQL): a temporary database created and dropped by the test.
"""

import shutil
import uuid

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from coopapp import create_app
from coopapp.access import users
from coopapp.extensions import db as _db
from coopapp.ledger import operations as ledger
from coopapp.models import LedgerEntry, User
from coopapp.vouchers import operations as vouchers

from .builders import approved_entry, build_world, entry_input, tiny_jpeg
from .conftest import IN_CI


def _round_trip(url: str, backup_path) -> None:
    """Data in, backup, data changed behind the app's back and through it, restore, all back —
    the voucher files too."""
    store = backup_path.parent / "vouchers"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "VOUCHER_DIR": str(store)})
    cli = app.test_cli_runner()
    with app.app_context():
        upgrade()
        world = build_world()
        entry_id = approved_entry(world, amount_fen=987_654).id
        draft = ledger.create_entry(world.users["accountant"], entry_input(world.project))
        voucher_sha = vouchers.attach_voucher(world.users["accountant"], draft, tiny_jpeg(), "发票.jpg").sha256
        users_before = _db.session.scalar(select(func.count(User.id)))
        county_code = world.county.code
        _db.session.remove()

    result = cli.invoke(args=["coop", "backup", str(backup_path)])
    assert result.exit_code == 0, result.output
    assert backup_path.stat().st_size > 0
    assert (backup_path.parent / f"{backup_path.name}.vouchers" / voucher_sha[:2] / voucher_sha).is_file()
    shutil.rmtree(store)  # the files are lost too
    assert cli.invoke(args=["coop", "audit", "verify", "--files"]).exit_code != 0

    with app.app_context():
        users.add_user("after.backup", "a-long-pass-2025", "reviewer", county_code)
        _db.session.execute(text("DELETE FROM ledger_entries WHERE id = :id"), {"id": entry_id})
        _db.session.commit()
        _db.session.remove()
    assert cli.invoke(args=["coop", "audit", "verify"]).exit_code != 0  # the deletion is detected

    result = cli.invoke(args=["coop", "restore", str(backup_path), "--yes"])
    assert result.exit_code == 0, result.output

    result = cli.invoke(args=["coop", "audit", "verify", "--files"])
    assert result.exit_code == 0, result.output
    assert "audit verify ok" in result.output and "voucher files ok" in result.output
    assert (store / voucher_sha[:2] / voucher_sha).is_file()
    result = cli.invoke(args=["coop", "rollup", "verify"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert _db.session.get(LedgerEntry, entry_id).amount_fen == 987_654
        assert _db.session.scalar(select(func.count(User.id))) == users_before
        assert _db.session.scalar(select(User).where(User.username == "after.backup")) is None
        _db.session.remove()
        _db.engine.dispose()


def test_sqlite_backup_and_restore_round_trip(tmp_path):
    _round_trip(f"sqlite:///{tmp_path / 'coop.sqlite'}", tmp_path / "coop-backup.sqlite")


def test_a_backup_made_before_vouchers_still_restores(tmp_path):
    """An old backup is the database file alone (no PATH.vouchers/): it restores, and the voucher
    directory is left as it is."""
    store = tmp_path / "vouchers"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'coop.sqlite'}", "VOUCHER_DIR": str(store)})
    cli = app.test_cli_runner()
    with app.app_context():
        upgrade()
        approved_entry(build_world(), amount_fen=5_00)
        _db.session.remove()
    old = tmp_path / "old-backup.sqlite"
    assert cli.invoke(args=["coop", "backup", str(old)]).exit_code == 0
    shutil.rmtree(tmp_path / "old-backup.sqlite.vouchers")  # as a backup of before looks
    result = cli.invoke(args=["coop", "restore", str(old), "--yes"])
    assert result.exit_code == 0, result.output
    assert "holds no voucher files" in result.output
    result = cli.invoke(args=["coop", "audit", "verify", "--files"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        _db.engine.dispose()


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'coop.sqlite'}"})
    with app.app_context():
        upgrade()
        _db.engine.dispose()
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    result = app.test_cli_runner().invoke(args=["coop", "restore", str(junk), "--yes"])
    assert result.exit_code == 1 and "restore FAILED" in result.output
    empty = tmp_path / "empty.sqlite"
    create_engine(f"sqlite:///{empty}").connect().close()
    result = app.test_cli_runner().invoke(args=["coop", "restore", str(empty), "--yes"])
    assert result.exit_code == 1 and "alembic_version" in result.output


@pytest.mark.postgres_only
def test_postgres_backup_and_restore_round_trip(tmp_path, database_url):
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        if IN_CI:
            pytest.fail("pg_dump/pg_restore required in CI (apt-get install postgresql-client)")
        pytest.skip("pg_dump/pg_restore not installed")
    name = f"backup_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(database_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
        _round_trip(url, tmp_path / "coop.dump")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
