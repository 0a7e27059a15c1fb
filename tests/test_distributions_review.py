"""Review follow-ups: no plan stranded by month closing, partial corrections, audited plan fields."""

import pytest
from sqlalchemy import text

from coopapp.access import audit
from coopapp.distributions import objections
from coopapp.distributions import plans as distributions
from coopapp.errors import Conflict, Invalid
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.ledger import rollups
from coopapp.models import Distribution, LedgerEntry

from .builders import plan_input


def _last_month() -> str:
    d = ledger.today().replace(day=1)
    return f"{d.year - 1}-12" if d.month == 1 else f"{d.year}-{d.month - 1:02d}"


def test_month_with_an_approved_plan_cannot_close_and_the_plan_can_be_discarded(world):
    sec = world.users["secretary"]
    plan = distributions.draft_plan(sec, plan_input(world, period=_last_month()))
    distributions.approve_plan(sec, plan)
    with pytest.raises(Conflict, match="未公布的分配方案"):
        ledger.close_month(sec, world.village, _last_month())
    distributions.discard_plan(sec, plan)
    assert db.session.query(Distribution).count() == 0
    ledger.close_month(sec, world.village, _last_month())
    assert audit.verify() is None


def test_reversing_a_plan_after_one_line_was_corrected_on_its_own(world):
    sec, acc = world.users["secretary"], world.users["accountant"]
    plan = distributions.draft_plan(sec, plan_input(world))
    distributions.approve_plan(sec, plan)
    distributions.publish_plan(sec, plan)
    first = db.session.get(LedgerEntry, plan.lines[0].entry_id)
    correction = ledger.reverse_entry(acc, first, "股份登记错误")
    ledger.approve_entry(sec, correction)
    distributions.reverse_plan(sec, plan, "方案整体作废")
    assert plan.status == "reversed"
    payouts = db.session.query(db.func.sum(LedgerEntry.amount_fen)).filter(LedgerEntry.kind == "dividend").scalar()
    assert payouts == 0  # each line reversed exactly once
    assert rollups.verify() == [] and audit.verify() is None


def test_correction_must_be_an_approved_payout_to_the_objecting_household(world):
    sec, acc = world.users["secretary"], world.users["accountant"]
    plan = distributions.draft_plan(sec, plan_input(world))
    distributions.approve_plan(sec, plan)
    distributions.publish_plan(sec, plan)
    household = world.households[0]
    objection = objections.raise_objection(household, plan.id, "我家的股份应为 12 股")
    other_line = next(ln for ln in plan.lines if ln.household_id != household.id)
    cost = ledger.create_entry(
        acc, ledger.EntryInput(project_id=world.project.id, period=plan.period, kind="cost", amount_fen=100)
    )
    for bad in (other_line.entry_id, cost.id):
        with pytest.raises(Invalid) as err:
            objections.answer_objection(sec, objection, "resolved", "已更正", bad)
        assert "correction_entry_id" in err.value.fields
    own = db.session.get(LedgerEntry, next(ln.entry_id for ln in plan.lines if ln.household_id == household.id))
    reversal = ledger.reverse_entry(acc, own, "股份更正")
    with pytest.raises(Invalid):  # not yet approved
        objections.answer_objection(sec, objection, "resolved", "已更正", reversal.id)
    ledger.approve_entry(sec, reversal)
    objections.answer_objection(sec, objection, "resolved", "已冲销，按 12 股重新分配", reversal.id)
    assert objection.status == "resolved" and audit.verify() is None


def test_publication_date_edited_behind_the_app_is_caught(world):
    sec = world.users["secretary"]
    plan = distributions.draft_plan(sec, plan_input(world))
    distributions.approve_plan(sec, plan)
    distributions.publish_plan(sec, plan)
    with db.engine.begin() as conn:  # closing the objection window early, by hand
        conn.execute(text("UPDATE distributions SET published_at = '2000-01-01 00:00:00'"))
    db.session.expire_all()
    problem = audit.verify()
    assert problem is not None and f"distribution {plan.id} differs" in problem.message
