"""The ledger's state machine, reversal, closed months and the summaries."""

from decimal import Decimal

import pytest

from coopapp.access import audit
from coopapp.errors import Conflict, Forbidden, Invalid
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.ledger import permissions, rollups
from coopapp.models import AuditEvent, LedgerEntry, MonthlySummary

from . import builders
from .builders import approved_entry, entry_input


def test_draft_submit_approve_counts_in_summary(world):
    acc, sec = world.users["accountant"], world.users["secretary"]
    entry = ledger.create_entry(acc, entry_input(world.project, kind="output", amount_fen=500_00))
    assert entry.status == "draft"
    ledger.submit_entry(acc, entry)
    assert entry.status == "submitted"
    ledger.approve_entry(sec, entry)
    assert entry.status == "approved"
    total = db.session.query(db.func.sum(MonthlySummary.amount_fen)).scalar()
    assert total == 500_00
    assert rollups.verify() == []
    assert audit.verify() is None
    events = db.session.query(AuditEvent).filter_by(object_type="entry").order_by(AuditEvent.seq)
    assert [e.action for e in events] == ["entry.create", "entry.submit", "entry.approve"]


def test_return_needs_reason_and_resubmit(world):
    acc, sec = world.users["accountant"], world.users["secretary"]
    entry = ledger.create_entry(acc, entry_input(world.project))
    ledger.submit_entry(acc, entry)
    with pytest.raises(Invalid):
        ledger.return_entry(sec, entry, "  ")
    ledger.return_entry(sec, entry, "金额与发票不符")
    assert entry.status == "returned" and entry.return_reason == "金额与发票不符"
    ledger.update_entry(acc, entry, entry_input(world.project, amount_fen=99_00))
    ledger.submit_entry(acc, entry)
    ledger.approve_entry(sec, entry)
    assert entry.amount_fen == 99_00


def test_reverse_creates_negation_reviewed_in_turn(world):
    entry = approved_entry(world, amount_fen=1000_00)
    reversal = ledger.reverse_entry(world.users["accountant"], entry, "重复登记")
    assert reversal.amount_fen == -1000_00 and reversal.reverses_id == entry.id
    assert reversal.status == "submitted"
    with pytest.raises(Conflict):
        ledger.reverse_entry(world.users["accountant"], entry, "again")
    ledger.approve_entry(world.users["secretary"], reversal)
    assert db.session.query(db.func.sum(MonthlySummary.amount_fen)).scalar() == 0
    assert rollups.verify() == []


def test_approved_entry_cannot_be_edited(world):
    entry = approved_entry(world)
    with pytest.raises(Conflict):
        ledger.update_entry(world.users["accountant"], entry, entry_input(world.project, amount_fen=1))


def test_closed_month_takes_no_entries_and_reversal_lands_in_open_month(world):
    entry = approved_entry(world)
    ledger.close_month(world.users["secretary"], world.village, entry.period)
    with pytest.raises(Invalid) as err:
        ledger.create_entry(world.users["accountant"], entry_input(world.project, period=entry.period))
    assert "period" in err.value.fields
    reversal = ledger.reverse_entry(world.users["accountant"], entry, "录错")
    assert reversal.period == ledger.current_period()


def test_close_month_refused_while_entries_pending(world):
    e = ledger.create_entry(world.users["accountant"], entry_input(world.project))
    with pytest.raises(Conflict):
        ledger.close_month(world.users["secretary"], world.village, e.period)


@pytest.mark.parametrize(
    "override, field",
    [
        ({"period": "2999-01"}, "period"),
        ({"kind": "bribe"}, "kind"),
        ({"amount_fen": 0}, "amount"),
        ({"quantity": -1, "unit": "kg"}, "quantity"),
        ({"quantity": 5}, "unit"),
        ({"kind": "dividend"}, "household_id"),
        ({"kind": "dividend", "household_id": 2**40}, "household_id"),
        ({"quantity": Decimal(10) ** 12, "unit": "kg"}, "quantity"),
        ({"project_id": 2**40}, "project_id"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(world, override, field):
    with pytest.raises(Invalid) as err:
        ledger.create_entry(world.users["accountant"], entry_input(world.project, **override))
    assert field in err.value.fields
    assert db.session.query(LedgerEntry).count() == 0
    assert db.session.query(AuditEvent).filter_by(object_type="entry").count() == 0


def test_household_from_another_village_refused(world):
    with pytest.raises(Invalid) as err:
        ledger.create_entry(
            world.users["accountant"],
            entry_input(world.project, kind="dividend", household_id=world.other_household.id),
        )
    assert "household_id" in err.value.fields


def test_accountant_cannot_approve_and_foreign_secretary_cannot_review(world):
    acc = world.users["accountant"]
    entry = ledger.create_entry(acc, entry_input(world.project))
    ledger.submit_entry(acc, entry)
    with pytest.raises(Forbidden):
        ledger.approve_entry(acc, entry)
    with pytest.raises(Forbidden):
        ledger.approve_entry(world.users["other_secretary"], entry)


def test_jin_stored_as_kg(world):
    entry = ledger.create_entry(
        world.users["accountant"],
        entry_input(world.project, kind="output", quantity=__import__("decimal").Decimal(800), unit="斤"),
    )
    assert entry.unit == "kg" and entry.quantity == 400


def test_quantity_exact_to_three_places_after_conversion(world):
    acc = world.users["accountant"]
    with pytest.raises(Invalid) as err:
        ledger.create_entry(acc, entry_input(world.project, kind="output", quantity=Decimal("1.001"), unit="斤"))
    assert "quantity" in err.value.fields
    entry = ledger.create_entry(acc, entry_input(world.project, kind="output", quantity=Decimal("1.002"), unit="斤"))
    db.session.expire_all()
    assert db.session.get(LedgerEntry, entry.id).quantity == Decimal("0.501")
    assert audit.verify() is None


def test_only_the_author_submits_a_draft(world):
    entry = ledger.create_entry(world.users["accountant"], entry_input(world.project))
    other = builders.add_user("acc3", "accountant", world.village)
    db.session.commit()
    with pytest.raises(Conflict):
        ledger.submit_entry(other, entry)
    assert db.session.get(LedgerEntry, entry.id).status == "draft"


def test_a_second_live_reversal_is_refused_by_the_database(world, monkeypatch):
    """Even when two requests pass the 'already reversed?' check at once, one reversal wins."""
    entry = approved_entry(world)
    ledger.reverse_entry(world.users["accountant"], entry, "第一次")
    monkeypatch.setattr(permissions, "reversal_of", lambda _e: None)  # the racing request saw none yet
    with pytest.raises(Conflict):
        ledger.reverse_entry(world.users["accountant"], entry, "第二次")
    assert db.session.query(LedgerEntry).filter_by(reverses_id=entry.id).count() == 1


def test_voided_reversal_frees_the_entry_for_a_new_one(world):
    acc, sec = world.users["accountant"], world.users["secretary"]
    entry = approved_entry(world)
    first = ledger.reverse_entry(acc, entry, "录错")
    ledger.return_entry(sec, first, "原因写清楚")
    ledger.void_entry(acc, first)
    second = ledger.reverse_entry(acc, entry, "金额录错，应为 1,000 元")
    assert second.id != first.id and second.status == "submitted"


def test_a_refusal_names_the_status_in_words(world):
    """A refusal that names where the entry stands says it as the pages do (已审核), not as a code."""
    entry = approved_entry(world)
    refusal = permissions.approve_refusal(world.users["secretary"], entry)
    assert isinstance(refusal, Conflict) and "当前：已审核" in refusal.message and "approved" not in refusal.message
    refusal = permissions.submit_refusal(world.users["accountant"], entry)
    assert "当前：已审核" in refusal.message
