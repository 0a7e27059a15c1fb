"""The two summaries the comparison reads per village: the village-year money figures (kept on
approval with the project-year summaries) and the roster counts (recounted whenever a household
is added, moved or flagged). Both are checked by `rollups.verify` and made again by `rebuild`."""

from sqlalchemy import select, text

from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.ledger import rollups
from coopapp.models import Household, VillageRoster, VillageYearSummary
from coopapp.villages import catalog

from .builders import approved_entry, entry_input


def _money(village_id: int, year: int) -> tuple | None:
    row = db.session.scalars(select(VillageYearSummary).filter_by(village_id=village_id, year=year)).one_or_none()
    if row is None:
        return None
    return (row.collective_income_fen, row.output_fen, row.statement_income_fen, row.spending_fen, row.entry_count)


def _roster(village_id: int) -> tuple[int, int] | None:
    row = db.session.get(VillageRoster, village_id)
    return None if row is None else (row.households, row.formerly_poor)


def test_a_villages_year_adds_up_its_approved_money_by_the_income_statement(world):
    first = approved_entry(world, kind="collective_income", amount_fen=100_000)
    year = first.year
    approved_entry(world, kind="sales", amount_fen=40_000)
    approved_entry(world, kind="cost", amount_fen=30_000)
    approved_entry(world, kind="admin_expense", amount_fen=5_000)
    approved_entry(world, kind="output", amount_fen=900_000)
    approved_entry(world, kind="dividend", amount_fen=7_000, household_id=world.households[0].id)  # a payout: none
    # income, output, the statement's income (sales + collective income), spending, entries counted
    assert _money(world.village.id, year) == (100_000, 900_000, 140_000, 35_000, 5)
    # a reversal counts against its year, like the project-year summaries
    acc, sec = world.users["accountant"], world.users["secretary"]
    ledger.approve_entry(sec, ledger.reverse_entry(acc, first, "冲销测试"))
    assert _money(world.village.id, year)[:3] == (0, 900_000, 40_000)
    assert rollups.verify() == []


def test_a_changed_village_year_row_is_found_and_rebuilt(world):
    entry = approved_entry(world, kind="collective_income", amount_fen=100_000)
    db.session.execute(
        text("UPDATE village_year_summaries SET collective_income_fen = 1 WHERE village_id = :v"),
        {"v": world.village.id},
    )
    problems = rollups.verify()
    assert len(problems) == 1 and problems[0].startswith(f"village-year ({world.village.id}, {entry.year})")
    rollups.rebuild()
    assert rollups.verify() == [] and _money(world.village.id, entry.year)[0] == 100_000


def test_an_entry_waiting_for_review_is_not_counted(world):
    acc = world.users["accountant"]
    entry = ledger.create_entry(acc, entry_input(world.project, kind="collective_income", amount_fen=100_000))
    ledger.submit_entry(acc, entry)
    assert _money(world.village.id, entry.year) is None


def test_rosters_follow_every_household_added_flagged_and_moved(world):
    village, sibling = world.village, world.sibling_village
    count = db.session.scalar(text("SELECT COUNT(*) FROM households WHERE village_id = :v"), {"v": village.id})
    poor = db.session.scalar(
        text("SELECT COUNT(*) FROM households WHERE village_id = :v AND formerly_poor"), {"v": village.id}
    )
    assert _roster(village.id) == (count, poor) and count > 0
    secretary = world.users["secretary"]
    added = catalog.create_household(secretary, village, catalog.HouseholdInput(head_name="新户", formerly_poor=True))
    assert _roster(village.id) == (count + 1, poor + 1)
    catalog.update_household(secretary, added, catalog.HouseholdInput(head_name="新户", formerly_poor=False))
    assert _roster(village.id) == (count + 1, poor)
    # moved to another village (as a merge or a group's move does): both rosters are counted again
    sibling_before = _roster(sibling.id) or (0, 0)
    household = db.session.get(Household, added.id)
    db.session.expire(household)  # the move is made on a household loaded afresh, as a later request would
    household.village_id = sibling.id
    db.session.commit()
    assert _roster(village.id) == (count, poor)
    assert _roster(sibling.id) == (sibling_before[0] + 1, sibling_before[1])
    assert rollups.verify() == []
    # and one removed (nothing removes households today; the rule holds if something does)
    db.session.expire(household)  # (as a later request would find it: nothing of it loaded)
    db.session.delete(household)
    db.session.commit()
    assert _roster(sibling.id) == sibling_before and rollups.verify() == []


def test_a_changed_roster_is_found_and_rebuilt(world):
    db.session.execute(text("UPDATE village_rosters SET households = households + 5"))
    db.session.execute(text("DELETE FROM village_rosters WHERE village_id = :v"), {"v": world.other_village.id})
    problems = rollups.verify()
    assert any(p.startswith(f"roster village {world.village.id}:") for p in problems)
    assert any(p.startswith(f"roster village {world.other_village.id}:") for p in problems)
    rollups.rebuild()
    assert rollups.verify() == [] and _roster(world.other_village.id) == (1, 0)
