"""Summary tables equal the raw ledger after any sequence of approvals and reversals."""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from coopapp.extensions import db
from coopapp.models import HouseholdYearSummary, LedgerEntry, MonthlySummary
from coopapp.services import ledger, rollups

from .builders import entry_input

KINDS = ["output", "sales", "cost", "collective_income", "dividend", "wage", "subsidy"]
step = st.tuples(
    st.sampled_from(["approve", "return", "reverse", "leave"]),
    st.sampled_from(KINDS),
    st.integers(min_value=1, max_value=10**9),
    st.integers(min_value=1, max_value=3),  # how many months back
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
            quantity=Decimal(amount % 1000) if with_qty else None,
            unit="斤" if with_qty else None,
        )
        entry = ledger.create_entry(acc, data)
        if action == "leave":
            continue
        ledger.submit_entry(acc, entry)
        if action == "return":
            ledger.return_entry(sec, entry, "请核对")
            continue
        ledger.approve_entry(sec, entry)
        approved.append(entry)
        if action == "reverse":
            reversal = ledger.reverse_entry(acc, entry, "冲销测试")
            ledger.approve_entry(sec, reversal)
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
    assert runner.invoke(args=["coop", "rollup", "rebuild"]).exit_code == 0
    db.session.expire_all()
    result = runner.invoke(args=["coop", "rollup", "verify"])
    assert result.exit_code == 0, result.output


def test_reversed_payout_no_longer_counts_the_household_as_benefited(world):
    from coopapp.services.metrics import village_summary

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
