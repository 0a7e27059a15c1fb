"""撤并村: the surviving village's year-on-year growth compares like with like (see
`coopapp.reporting.metrics._with_merged` for the rule), with real ledger entries."""

from datetime import date

import pytest

from coopapp.access.scope import village_ref
from coopapp.errors import Invalid
from coopapp.ledger import operations as ledger
from coopapp.reporting import metrics
from coopapp.reporting.metrics import village_rows
from coopapp.villages import areas

from .builders import VillageBook, approved_entry, statements, village_book

T = ledger.today().year
Y100 = 100_00  # one hundred yuan in fen


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
    assert own["collective_income_last_year_fen"] == 400_00 and own["counted_in"] is None


def _books(world):
    """中洞村 (the survivor) and 甘溪村 (merged into it) with their ledgers."""
    survivor = VillageBook(world.project, world.users["accountant"], world.users["secretary"])
    merged = village_book(world, world.sibling_village, "ganxi")
    return survivor, merged


def _income(rows, code):
    row = next(r for r in rows if r["code"] == code)
    return row["collective_income_fen"], row["collective_income_last_year_fen"], row["counted_in"]


def _town_income(world, year):
    town = next(
        t for t in metrics.town_rows(world.users["county_reviewer"], world.county, year) if t["code"] == "441323110"
    )
    return town["collective_income_fen"], town["collective_income_last_year_fen"], town["villages"]


@pytest.fixture()
def merged_last_year(world):
    """甘溪村 merged into 中洞村 on 30 June last year; both kept ledgers for the years before."""
    survivor, merged = _books(world)
    for year, amount in ((T - 3, 1), (T - 2, 2), (T - 1, 3), (T, 4)):
        survivor.approved(f"{year}-01", amount * Y100)
    for year, amount in ((T - 3, 10), (T - 2, 20)):
        merged.approved(f"{year}-01", amount * Y100)
    merged.approved(f"{T - 1}-03", 30 * Y100)  # before the merge
    merged.approved(f"{T - 1}-04", 5 * Y100, kind="output")
    areas.merge_village(world.users["admin"], world.sibling_village, world.village.code, date(T - 1, 6, 30))
    return world


def test_a_year_before_the_merge_keeps_the_two_villages_apart(merged_last_year):
    w = merged_last_year
    rows = village_rows([w.village, w.sibling_village], T - 2)
    assert _income(rows, w.village.code) == (2 * Y100, 1 * Y100, None)
    assert _income(rows, w.sibling_village.code) == (20 * Y100, 10 * Y100, None)
    assert _town_income(w, T - 2) == (22 * Y100, 11 * Y100, 2)


def test_the_merge_year_compares_both_villages_in_both_years(merged_last_year):
    w = merged_last_year
    rows = village_rows([w.village, w.sibling_village], T - 1)
    # 中洞村 stands for both: its own year plus 甘溪村's before the merge, against both last year.
    assert _income(rows, w.village.code) == (33 * Y100, 22 * Y100, None)
    survivor = next(r for r in rows if r["code"] == w.village.code)
    assert survivor["collective_income_growth"] == metrics.growth(33, 22)
    assert survivor["output_value_fen"] == 5 * Y100
    # 甘溪村's row keeps its own history, marked as counted in 中洞村; the town counts it once.
    assert _income(rows, w.sibling_village.code) == (30 * Y100, 20 * Y100, w.village.code)
    assert not next(r for r in rows if r["code"] == w.sibling_village.code)["weak"]
    assert _town_income(w, T - 1) == (33 * Y100, 22 * Y100, 1)


def test_the_year_after_the_merge_compares_with_both_villages_last_year(merged_last_year):
    w = merged_last_year
    rows = village_rows([w.village, w.sibling_village], T)
    assert _income(rows, w.village.code) == (4 * Y100, 33 * Y100, None)
    assert _income(rows, w.sibling_village.code) == (0, 30 * Y100, w.village.code)
    assert _town_income(w, T) == (4 * Y100, 33 * Y100, 1)


def test_the_survivor_alone_is_given_the_merged_village_in_one_more_query_at_most(merged_last_year):
    w = merged_last_year
    survivor, merged = village_ref(w.village), village_ref(w.sibling_village)
    with statements() as seen:
        row = village_rows([survivor], T - 1)[0]
    assert (row["collective_income_fen"], row["collective_income_last_year_fen"]) == (33 * Y100, 22 * Y100)
    assert len(seen) == 3  # the figures, the merges, the merged village's figures
    with statements() as seen:
        village_rows([survivor, merged], T - 1)
    assert len(seen) == 2  # the merged village's figures are already in hand


def test_a_chain_of_merges_counts_in_the_village_that_stands_for_it_each_year(world):
    """甘溪村 → 中洞村 (two years ago), then 中洞村 → 八维村 (last year, another town)."""
    zhongdong, ganxi = _books(world)
    bawei = VillageBook(world.other_project, world.users["other_accountant"], world.users["other_secretary"])
    for book, amounts in ((ganxi, (1, 2)), (zhongdong, (10, 20, 30)), (bawei, (100, 200, 300, 400))):
        for year, amount in zip(range(T - 3, T + 1), amounts, strict=False):
            book.approved(f"{year}-01", amount * Y100)
    admin = world.users["admin"]
    areas.merge_village(admin, world.sibling_village, world.village.code, date(T - 2, 6, 1))
    areas.merge_village(admin, world.village, world.other_village.code, date(T - 1, 6, 1))
    everyone = [world.village, world.sibling_village, world.other_village]
    codes = (world.village.code, world.sibling_village.code, world.other_village.code)

    def incomes(year):
        rows = village_rows(everyone, year)
        return [_income(rows, code) for code in codes]

    assert incomes(T - 3) == [(10 * Y100, 0, None), (1 * Y100, 0, None), (100 * Y100, 0, None)]
    assert incomes(T - 2) == [
        (22 * Y100, 11 * Y100, None),
        (2 * Y100, 1 * Y100, codes[0]),
        (200 * Y100, 100 * Y100, None),
    ]
    assert incomes(T - 1) == [
        (30 * Y100, 20 * Y100, codes[2]),
        (0, 2 * Y100, codes[2]),
        (330 * Y100, 222 * Y100, None),
    ]
    assert incomes(T)[2] == (400 * Y100, 330 * Y100, None)
    # Town A's villages both count in 八维村 (town B) from last year on: no subtotal is counted twice.
    towns = {t["code"]: t for t in metrics.town_rows(world.users["county_reviewer"], world.county, T - 1)}
    assert "441323110" not in towns
    assert towns["441323107"]["collective_income_fen"] == 330 * Y100


def test_a_merge_date_in_the_future_or_before_2000_is_refused_and_one_before_the_records_is_not(world):
    """A county that loads its tree today records the 撤并 of years ago (the tree's own creation date
    is no bound), and the merged village's books may run past the merge."""
    survivor, merged = _books(world)
    survivor.approved(f"{T - 2}-01", Y100)
    merged.approved(f"{T - 1}-05", Y100)
    admin = world.users["admin"]
    with pytest.raises(Invalid) as err:
        areas.merge_village(admin, world.sibling_village, world.village.code, date(T + 1, 1, 1))
    assert "不能晚于今天" in err.value.fields["merged_on"]
    with pytest.raises(Invalid) as err:
        areas.merge_village(admin, world.sibling_village, world.village.code, date(1999, 12, 31))
    assert "2000-01-01" in err.value.fields["merged_on"]
    with pytest.raises(Invalid) as err:
        areas.merge_village(admin, world.sibling_village, world.village.code, "30.6.2025")
    assert "YYYY-MM-DD" in err.value.fields["merged_on"]
    village = areas.merge_village(admin, world.sibling_village, world.village.code, date(T - 3, 4, 30))
    assert village.merged_on == date(T - 3, 4, 30) and village.audit_snapshot()["merged_on"] == f"{T - 3}-04-30"


def test_a_village_cannot_be_merged_before_another_merged_into_it(world):
    survivor, merged = _books(world)
    for book in (survivor, merged):
        book.approved(f"{T - 3}-01", Y100)
    VillageBook(world.other_project, world.users["other_accountant"], world.users["other_secretary"]).approved(
        f"{T - 3}-01", Y100
    )
    admin = world.users["admin"]
    areas.merge_village(admin, world.sibling_village, world.village.code, date(T - 1, 6, 1))
    with pytest.raises(Invalid) as err:
        areas.merge_village(admin, world.village, world.other_village.code, date(T - 2, 6, 1))
    assert "merged_on" in err.value.fields


def test_a_merge_without_a_date_is_dated_today(world):
    village = areas.merge_village(world.users["admin"], world.sibling_village, world.village.code)
    assert village.merged_on == ledger.today()


def test_the_comparison_page_tags_a_village_counted_in_its_survivor(client, auth, merged_last_year):
    auth.login("county")
    page = client.get(f"/areas?year={T - 1}").get_data(as_text=True)
    assert "已并入" in page and merged_last_year.village.code in page
    assert "已并入" not in client.get(f"/areas?year={T - 2}").get_data(as_text=True)
