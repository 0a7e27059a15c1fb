"""Summary tables equal the raw ledger after any sequence of approvals and reversals."""

import contextlib
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from coopapp.errors import Conflict
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.ledger import rollups
from coopapp.ledger.permissions import is_closed
from coopapp.models import AuditEvent, HouseholdYearSummary, LedgerEntry, MonthlySummary
from coopapp.reporting.chart_data import data_version

from .builders import entry_input

KINDS = ["output", "sales", "cost", "collective_income", "dividend", "wage", "subsidy"]
step = st.tuples(
    st.sampled_from(["approve", "return", "reverse", "leave", "close"]),
    st.sampled_from(KINDS),
    st.integers(min_value=1, max_value=10**9),
    st.integers(min_value=0, max_value=14),  # how many months back (crosses a year)
    st.booleans(),  # with a quantity
)


def _period(months_back: int) -> str:
    d = ledger.today().replace(day=1)
    y, m = d.year, d.month - months_back
    while m < 1:
        y, m = y - 1, m + 12
    return f"{y:04d}-{m:02d}"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=8))
def test_rollups_equal_ledger_after_random_sequences(world, steps):
    acc, sec = world.users["accountant"], world.users["secretary"]
    approved: list[LedgerEntry] = []
    for action, kind, amount, back, with_qty in steps:
        payout = kind in ("dividend", "wage")
        data = entry_input(
            world.project,
            kind=kind,
            amount_fen=amount,
            period=_period(back),
            household_id=world.households[amount % 3].id if payout else None,
            quantity=Decimal(amount % 100000) / 500 if with_qty else None,  # up to 3 places in kg
            unit="斤" if with_qty else None,
        )
        if is_closed(world.village.id, data.period):
            continue
        entry = ledger.create_entry(acc, data)
        if action == "leave":
            continue
        ledger.submit_entry(acc, entry)
        if action == "return":
            ledger.return_entry(sec, entry, "请核对")
            continue
        ledger.approve_entry(sec, entry)
        if action == "reverse":
            ledger.approve_entry(sec, ledger.reverse_entry(acc, entry, "冲销测试"))
            continue
        approved.append(entry)
        if action == "close" and data.period < ledger.current_period():
            with contextlib.suppress(Conflict):  # refused while other entries of the month are pending
                ledger.close_month(sec, world.village, data.period)
            # Reverse the oldest unreversed entry: if its month is closed, the reversal lands
            # in the current month, possibly in another year.
            ledger.approve_entry(sec, ledger.reverse_entry(acc, approved.pop(0), "冲销测试"))
    assert rollups.verify() == []


def test_verify_detects_a_drifted_summary_and_rebuild_repairs_it(app, world):
    acc, sec = world.users["accountant"], world.users["secretary"]
    entry = ledger.create_entry(acc, entry_input(world.project, kind="dividend", household_id=world.households[0].id))
    ledger.submit_entry(acc, entry)
    ledger.approve_entry(sec, entry)
    db.session.execute(update(MonthlySummary).values(amount_fen=MonthlySummary.amount_fen + 1))
    db.session.execute(update(HouseholdYearSummary).values(payout_fen=7))
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["coop", "rollup", "verify"])
    assert result.exit_code == 1 and "2 differences" in result.output
    version = data_version()
    assert runner.invoke(args=["coop", "rollup", "rebuild"]).exit_code == 0
    db.session.expire_all()
    result = runner.invoke(args=["coop", "rollup", "verify"])
    assert result.exit_code == 0, result.output
    # recorded, and the data version the chart and comparison caches are keyed by moved on
    assert data_version() == version + 1
    last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert (last.action, last.actor_id, last.object_id) == ("rollup.rebuild", None, None)
    assert runner.invoke(args=["coop", "audit", "verify"]).exit_code == 0


def test_reversed_payout_no_longer_counts_the_household_as_benefited(world):
    from coopapp.reporting.metrics import village_summary

    acc, sec = world.users["accountant"], world.users["secretary"]
    entry = ledger.create_entry(
        acc, entry_input(world.project, kind="dividend", amount_fen=500_00, household_id=world.households[0].id)
    )
    ledger.submit_entry(acc, entry)
    ledger.approve_entry(sec, entry)
    year = entry.year
    assert village_summary(world.village, year)["households_benefited"] == 1
    reversal = ledger.reverse_entry(acc, entry, "发错户")
    ledger.approve_entry(sec, reversal)
    summary = village_summary(world.village, year)
    assert summary["households_benefited"] == 0 and summary["benefit_total_fen"] == 0


def test_reversal_posted_next_year_counts_against_the_original_year(world):
    """A closed December's payout reversed in the new year must not wipe out the new year's benefit."""
    from coopapp.models import ClosedMonth
    from coopapp.reporting.metrics import village_summary

    acc, sec = world.users["accountant"], world.users["secretary"]
    hh = world.households[0].id
    last_december = f"{ledger.today().year - 1}-12"
    old = ledger.create_entry(
        acc, entry_input(world.project, kind="dividend", amount_fen=1000_00, household_id=hh, period=last_december)
    )
    ledger.submit_entry(acc, old)
    ledger.approve_entry(sec, old)
    ledger.close_month(sec, world.village, last_december)
    new = ledger.create_entry(
        acc,
        entry_input(world.project, kind="dividend", amount_fen=300_00, household_id=hh, period=ledger.current_period()),
    )
    ledger.submit_entry(acc, new)
    ledger.approve_entry(sec, new)
    reversal = ledger.reverse_entry(acc, old, "发错户")
    assert reversal.period == ledger.current_period()
    ledger.approve_entry(sec, reversal)
    this_year, last_year = ledger.today().year, ledger.today().year - 1
    assert village_summary(world.village, this_year)["benefit_total_fen"] == 300_00
    assert village_summary(world.village, this_year)["households_benefited"] == 1
    assert village_summary(world.village, last_year)["households_benefited"] == 0
    assert db.session.query(ClosedMonth).count() == 1
    assert rollups.verify() == []
