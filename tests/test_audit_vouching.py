"""An import's rows have no audit event each: the batch's one event vouches for them (a leaf per
row, `audit.vouches`). `coop audit verify` still catches any of them edited, inserted or deleted
behind the app's back, a later event about a row still supersedes the batch's word, and the row's
history still shows its creation by the import."""

import csv
import json

import pytest
from sqlalchemy import func, select, text

from coopapp.access import audit
from coopapp.access.history import object_history
from coopapp.extensions import db
from coopapp.imports.ledger import import_ledger
from coopapp.ledger import operations as ledger
from coopapp.models import AuditEvent, LedgerEntry

from .builders import M

ROWS = 12


def _tamper(sql: str, **params) -> None:
    """Change the database over a separate connection, as the sqlite3 shell or psql would."""
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


def _verify(app):
    db.session.expire_all()
    return app.test_cli_runner().invoke(args=["coop", "audit", "verify"])


@pytest.fixture()
def imported(world, tmp_path):
    """A 12-row ledger CSV imported into the world's project: (world, its entries, the batch's event)."""
    path = tmp_path / "台账.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["日期", "摘要", "类别", "数量(斤)", "金额（元）"])
        for n in range(ROWS):
            out.writerow(
                [M.replace(day=1 + n).isoformat(), f"第{n}笔「售」", "销售收入", f"{n + 1}.5斤", f"{n + 1}.50"]
            )
    report = import_ledger(world.users["accountant"], world.project, path, path.name)
    assert report.imported, report.as_dict()
    entries = list(db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)))
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import_batch.create")).one()
    return world, entries, event


def test_one_event_vouches_for_every_imported_row(app, imported):
    world, entries, event = imported
    assert len(entries) == ROWS
    assert db.session.scalar(select(func.count()).where(AuditEvent.object_type == "entry")) == 0  # none per row
    kind, leaves = audit.vouched(json.loads(event.data))
    assert kind == "entry" and [ident for ident, _leaf in leaves] == [e.id for e in entries]
    assert [leaf for _id, leaf in leaves] == [audit.leaf(audit.canonical(e.audit_snapshot())) for e in entries]
    assert audit.verify() is None
    assert _verify(app).exit_code == 0


def test_an_imported_row_edited_behind_the_app_is_caught(app, imported):
    _world, entries, event = imported
    _tamper("UPDATE ledger_entries SET amount_fen = amount_fen + 1 WHERE id = :id", id=entries[5].id)
    result = _verify(app)
    assert result.exit_code == 1
    assert f"entry {entries[5].id} differs from audit event #{event.seq}" in result.output


def test_a_row_inserted_into_an_import_behind_the_app_is_caught(app, imported):
    _world, entries, _event = imported
    columns = (
        "project_id, village_id, period, entry_date, kind, amount_fen, quantity, unit, household_id, note, "
        "status, created_by_id, created_at, version, import_batch_id"
    )
    new_id = entries[-1].id + 1
    _tamper(
        f"INSERT INTO ledger_entries (id, {columns}) SELECT :new, {columns} FROM ledger_entries WHERE id = :id",
        new=new_id,
        id=entries[0].id,
    )
    result = _verify(app)
    assert result.exit_code == 1 and f"entry {new_id} has no audit event" in result.output


def test_an_imported_row_deleted_behind_the_app_is_caught(app, imported):
    _world, entries, event = imported
    gone, seq = entries[3].id, event.seq
    _tamper("DELETE FROM ledger_entries WHERE id = :id", id=gone)
    result = _verify(app)
    assert result.exit_code == 1
    assert f"entry {gone} recorded by audit event #{seq} was deleted" in result.output


def test_the_vouching_itself_cannot_be_changed(app, imported):
    _world, entries, event = imported
    data = json.loads(event.data)
    leaves = data["extra"]["vouches"]["leaves"]
    forged = audit.leaf(audit.canonical({**entries[0].audit_snapshot(), "amount_fen": 1}))
    _tamper("UPDATE audit_events SET data = :d WHERE seq = :s", d=event.data.replace(leaves[:32], forged), s=event.seq)
    db.session.expire_all()
    problem = audit.verify_chain()
    assert problem is not None and problem.seq == event.seq and "altered" in problem.message


def test_a_malformed_vouching_is_refused():
    with pytest.raises(ValueError):
        audit.vouches("entry", [[1, 2]], "0" * audit.LEAF)
    bad = {"snapshot": {}, "extra": {"vouches": {"type": "entry", "ids": [[1, 3]], "leaves": "0" * audit.LEAF * 2}}}
    with pytest.raises(ValueError):
        audit.vouched(bad)
    assert audit.id_runs([4, 5, 6, 9, 10, 2]) == [[4, 6], [9, 10], [2, 2]]


def test_a_later_event_about_an_imported_row_supersedes_the_batch(app, imported):
    world, entries, _event = imported
    accountant = world.users["accountant"]
    ledger.submit_entry(accountant, db.session.get(LedgerEntry, entries[2].id))
    db.session.commit()
    submitted = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "entry.submit")).one()
    assert audit.verify() is None
    # The row now answers to its own event: status 'submitted' is right, an edit is still caught.
    _tamper("UPDATE ledger_entries SET note = 'x' WHERE id = :id", id=entries[2].id)
    result = _verify(app)
    assert result.exit_code == 1
    assert f"entry {entries[2].id} differs from audit event #{submitted.seq}" in result.output


def test_an_imported_rows_history_shows_its_import_then_its_changes(app, imported):
    world, entries, event = imported
    accountant = world.users["accountant"]
    entry = db.session.get(LedgerEntry, entries[0].id)
    history = object_history(entry)
    assert [(h.seq, h.action, h.action_label, h.changes) for h in history] == [(event.seq, "entry.import", "导入", [])]
    assert history[0].who == (accountant.display_name or accountant.username)
    ledger.submit_entry(accountant, entry)
    db.session.commit()
    newest, created = object_history(entry)
    assert created.action == "entry.import" and newest.action == "entry.submit"
    assert [(c.field, c.old, c.new) for c in newest.changes] == [("status", "草稿", "待审核")]


def test_leaves_that_do_not_match_the_rows_written_are_refused(world, tmp_path, monkeypatch):
    """`EntryWriter.vouching` reads back each chunk's first row: a drift between the leaves worked
    out before the lock and `audit_snapshot()` writes nothing rather than a batch verify would fail."""
    from coopapp.imports import bulk
    from coopapp.imports import ledger as ledger_import

    real = bulk.snapshot_leaves
    monkeypatch.setattr(bulk, "CHUNK", 5)

    # The third chunk's first row (the 11th) gets a wrong leaf.
    def wrong(rows, user_id):
        leaves, size = real(rows, user_id), audit.LEAF
        return leaves[: 10 * size] + "0" * size + leaves[11 * size :]

    monkeypatch.setattr(ledger_import, "snapshot_leaves", wrong)
    path = tmp_path / "台账.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["日期", "摘要", "类别", "金额（元）"])
        out.writerows([M.replace(day=1 + n).isoformat(), f"第{n}笔", "销售收入", f"{n + 1}.50"] for n in range(ROWS))
    with pytest.raises(RuntimeError, match="snapshot_leaves"):
        import_ledger(world.users["accountant"], world.project, path, path.name)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 0
    assert audit.verify() is None
