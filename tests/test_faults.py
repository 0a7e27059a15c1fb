"""A failure halfway through an action leaves the database as it was; racing reviewers get 409."""

import pytest

from coopapp.access import audit
from coopapp.errors import Conflict
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.ledger import rollups
from coopapp.models import AuditEvent, LedgerEntry, MonthlySummary

from .builders import entry_input, plan_input


class Boom(Exception):
    pass


def test_exception_inside_approval_rolls_back_entry_summary_and_audit(world, monkeypatch):
    acc, sec = world.users["accountant"], world.users["secretary"]
    entry = ledger.create_entry(acc, entry_input(world.project))
    ledger.submit_entry(acc, entry)
    events_before = db.session.query(AuditEvent).count()

    def explode(*_a, **_k):
        raise Boom("disk full")

    # Fail after the summary was updated, while the audit event is being written.
    monkeypatch.setattr(audit, "lock_head", explode)
    with pytest.raises(Boom):
        ledger.approve_entry(sec, entry)
    monkeypatch.undo()
    db.session.expire_all()
    assert db.session.get(LedgerEntry, entry.id).status == "submitted"
    assert db.session.query(MonthlySummary).count() == 0
    assert db.session.query(AuditEvent).count() == events_before
    assert audit.verify() is None and rollups.verify() == []


def test_exception_inside_reversal_writes_nothing(world, monkeypatch):
    acc, sec = world.users["accountant"], world.users["secretary"]
    entry = ledger.create_entry(acc, entry_input(world.project))
    ledger.submit_entry(acc, entry)
    ledger.approve_entry(sec, entry)
    rows_before = db.session.query(LedgerEntry).count()
    monkeypatch.setattr(audit, "lock_head", lambda: (_ for _ in ()).throw(Boom()))
    with pytest.raises(Boom):
        ledger.reverse_entry(acc, entry, "录错")
    monkeypatch.undo()
    assert db.session.query(LedgerEntry).count() == rows_before
    assert audit.verify() is None


def test_two_secretaries_approving_at_once_one_gets_409(app, world):
    """Both read the entry as submitted; the second write loses (version check) and changes nothing."""
    acc, sec = world.users["accountant"], world.users["secretary"]
    entry = ledger.create_entry(acc, entry_input(world.project, amount_fen=700_00))
    ledger.submit_entry(acc, entry)
    entry_id = entry.id
    stale = db.session.get(LedgerEntry, entry_id)  # loaded here, before the other approval

    with app.app_context():  # a second request, with its own session and connection
        other = db.session.get(LedgerEntry, entry_id)
        ledger.approve_entry(db.session.get(type(sec), sec.id), other)

    with pytest.raises(Conflict):
        ledger.approve_entry(sec, stale)
    db.session.expire_all()
    assert db.session.query(MonthlySummary).one().amount_fen == 700_00
    assert db.session.query(AuditEvent).filter_by(action="entry.approve").count() == 1
    assert rollups.verify() == [] and audit.verify() is None


def test_exception_inside_a_publication_leaves_the_plan_and_ledger_as_they_were(world, monkeypatch):
    from coopapp.distributions import plans as distributions
    from coopapp.models import Distribution

    sec = world.users["secretary"]
    plan = distributions.draft_plan(sec, plan_input(world))
    distributions.approve_plan(sec, plan)
    before = (db.session.query(LedgerEntry).count(), db.session.query(AuditEvent).count())

    def fail_after_posting(*_args, **_kwargs):
        # post_approved has flushed the payout entries and updated the summaries by now.
        assert db.session.query(LedgerEntry).count() > before[0]
        raise Boom("power cut")

    monkeypatch.setattr(audit, "record_many", fail_after_posting)
    with pytest.raises(Boom):
        distributions.publish_plan(sec, plan)
    monkeypatch.undo()
    db.session.expire_all()
    assert db.session.get(Distribution, plan.id).status == "approved"
    assert (db.session.query(LedgerEntry).count(), db.session.query(AuditEvent).count()) == before
    assert db.session.query(MonthlySummary).count() == 0
    assert rollups.verify() == [] and audit.verify() is None
