"""撤并村: the surviving village's year-on-year growth compares like with like."""

from coopapp.ledger import operations as ledger
from coopapp.reporting.metrics import village_rows
from coopapp.villages import areas

from .builders import approved_entry


def test_the_survivor_counts_the_merged_village_last_year(world):
    this_year = ledger.today().year
    approved_entry(world, period=f"{this_year - 1}-06", kind="collective_income", amount_fen=400_00)
    before = village_rows([world.sibling_village], this_year)[0]
    assert before["collective_income_last_year_fen"] == 0
    areas.merge_village(world.users["admin"], world.village, world.sibling_village.code)
    after = village_rows([world.sibling_village], this_year)[0]
    assert after["collective_income_last_year_fen"] == 400_00
    assert after["collective_income_fen"] == 0 and after["collective_income_growth"] == -1
    # The merged village keeps its own history.
    own = village_rows([world.village], this_year)[0]
    assert own["collective_income_last_year_fen"] == 400_00
