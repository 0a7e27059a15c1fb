"""The hash chain: `coop audit verify` catches edits and deletions made behind the app's back."""

import shutil
import subprocess

import pytest
from sqlalchemy import text

from coopapp.access import audit
from coopapp.extensions import db
from coopapp.models import AuditEvent
from coopapp.models.base import utcnow

from .builders import approved_entry


@pytest.fixture()
def ledger_world(world):
    entries = [approved_entry(world, amount_fen=1000_00 + i) for i in range(3)]
    return world, entries


def _tamper(sql: str, **params) -> None:
    """Change the database over a separate connection, as the sqlite3 shell or psql would."""
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


def _shell(sql: str) -> None:
    """Run SQL with the database's own command-line shell (sqlite3 or psql)."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        cmd = ["sqlite3", url.database, sql]
    else:
        cmd = [
            "psql",
            "-h",
            url.host,
            "-p",
            str(url.port or 5432),
            "-U",
            url.username,
            "-d",
            url.database,
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ]
    if shutil.which(cmd[0]) is None:
        _tamper(sql)  # no shell installed: the same change over a plain connection
    else:
        subprocess.run(cmd, check=True, capture_output=True)


def _verify(app):
    db.session.expire_all()
    return app.test_cli_runner().invoke(args=["coop", "audit", "verify"])


def test_untouched_ledger_verifies(app, ledger_world):
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


def test_amount_changed_with_the_database_shell_is_caught(app, ledger_world):
    _world, entries = ledger_world
    db.session.commit()
    _shell(f"UPDATE ledger_entries SET amount_fen = 1 WHERE id = {entries[1].id}")
    result = _verify(app)
    assert result.exit_code == 1
    last = db.session.query(AuditEvent).filter_by(object_id=entries[1].id, action="entry.approve").one()
    assert f"entry {entries[1].id} differs from audit event #{last.seq}" in result.output


def test_event_data_edited_is_caught(app, ledger_world):
    _world, entries = ledger_world
    ev = db.session.query(AuditEvent).filter_by(object_id=entries[0].id, action="entry.create").one()
    _tamper("UPDATE audit_events SET data = replace(data, '100000', '999999') WHERE seq = :s", s=ev.seq)
    result = _verify(app)
    assert result.exit_code == 1
    assert f"event #{ev.seq}" in result.output


def test_event_deleted_in_the_middle_is_caught(app, ledger_world):
    _tamper("DELETE FROM audit_events WHERE seq = 5")
    result = _verify(app)
    assert result.exit_code == 1
    assert "event #5 is missing" in result.output


def test_last_event_deleted_is_caught(app, ledger_world):
    last = db.session.query(db.func.max(AuditEvent.seq)).scalar()
    _tamper("DELETE FROM audit_events WHERE seq = :s", s=last)
    result = _verify(app)
    assert result.exit_code == 1
    assert "deleted" in result.output


def test_entry_deleted_or_inserted_behind_the_app_is_caught(app, ledger_world):
    world, entries = ledger_world
    gone = entries[0].id
    _tamper("DELETE FROM ledger_entries WHERE id = :id", id=gone)
    result = _verify(app)
    assert result.exit_code == 1 and f"entry {gone}" in result.output and "deleted" in result.output


def test_rewriting_the_whole_chain_tail_still_breaks_the_head(app, ledger_world):
    # An attacker who edits an event *and* recomputes its hash still breaks the next link.
    ev = db.session.query(AuditEvent).order_by(AuditEvent.seq).offset(2).first()
    ev.data = ev.data.replace("approve", "approve")
    ev.action = "entry.create"
    ev.hash = audit.event_hash(ev.prev_hash, ev)
    db.session.commit()
    assert audit.verify_chain() is not None


def test_user_promoted_with_the_database_shell_is_caught(app, ledger_world):
    world, _entries = ledger_world
    acc_id = world.users["accountant"].id
    db.session.commit()
    _shell(f"UPDATE users SET role = 'admin' WHERE id = {acc_id}")
    result = _verify(app)
    assert result.exit_code == 1 and f"user {acc_id} differs" in result.output


def test_head_deleted_is_caught(app, ledger_world):
    _tamper("DELETE FROM audit_head")
    result = _verify(app)
    assert result.exit_code == 1 and "head" in result.output


def test_verify_prints_the_chain_head_for_anchoring(app, ledger_world):
    result = _verify(app)
    head = db.session.query(AuditEvent).order_by(AuditEvent.seq.desc()).first()
    assert f"chain head: #{head.seq} {head.hash}" in result.output


def test_the_bulk_writers_events_are_the_ones_event_body_makes(monkeypatch):
    """`EventBodies` writes an event's body out by hand for speed: the same text and hash as
    `event_body` and `chain_hash`, and it refuses to write events once they differ."""
    bodies = audit.EventBodies(utcnow(), 7, "entry.create", "entry")
    data = audit.event_data({"note": 'a "quoted" \\ note\n', "amount_fen": 5}, {"import_batch": 3})
    rows = bodies.chain(audit.GENESIS, 41, [(9, data), (10, data, audit.json_escaped(data))])
    prev = audit.GENESIS
    for (seq, oid, written, prev_hash, digest), want_seq, want_oid in zip(rows, (42, 43), (9, 10), strict=True):
        body = audit.event_body(want_seq, bodies.at, 7, "entry.create", "entry", want_oid, data)
        assert (seq, oid, written, prev_hash, digest) == (want_seq, want_oid, data, prev, audit.chain_hash(prev, body))
        prev = digest
    before, after = audit.snapshot_frame({"import_batch": 3})
    assert before + audit.canonical({"note": 'a "quoted" \\ note\n', "amount_fen": 5}) + after == data
    with pytest.raises(RuntimeError):
        bodies.chain(audit.GENESIS, 0, [(9, '{"snapshot": 1}')])  # not canonical
    monkeypatch.setattr(audit, "event_body", lambda *fields: "another body")
    with pytest.raises(RuntimeError):
        bodies.chain(audit.GENESIS, 0, [(9, data)])
    with pytest.raises(RuntimeError):
        bodies.check(1, 9, data)
