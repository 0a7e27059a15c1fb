"""Benefit metrics: households benefited, coverage, total, mean and median, the formerly poor
households separately, and growth — equal to a direct computation from the raw ledger."""

import re
from decimal import Decimal as D
from fractions import Fraction
from math import floor
from statistics import median

import pytest
from sqlalchemy import select

from coopapp.core.vocabulary import PAYOUT_KINDS
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import Household, LedgerEntry, Project
from coopapp.reporting import comparison, metrics

from .builders import add_user, body, built_once, entry_input, id_number, login

YEAR = ledger.today().year - 1
LAST = YEAR - 1
OWN, SIBLING, OTHER = "441323110201", "441323110202", "441323107203"


def _pay(acc, sec, project, household, amount_fen, period, kind="dividend"):
    entry = ledger.create_entry(
        acc, entry_input(project, kind=kind, amount_fen=amount_fen, household_id=household.id, period=period)
    )
    ledger.submit_entry(acc, entry)
    ledger.approve_entry(sec, entry)
    return entry


def _reverse(acc, sec, entry, period=None):
    reversal = ledger.reverse_entry(acc, entry, "重复发放", period)
    ledger.approve_entry(sec, reversal)
    return reversal


def _household(village, name, serial, poor=False):
    h = Household(village_id=village.id, head_name=name, members=2, id_number=id_number(serial), formerly_poor=poor)
    db.session.add(h)
    return h


@pytest.fixture()
def payouts(world):
    """中洞村: 5 households (2 formerly poor), 4 benefited this year, 2 last year.
    甘溪村 (same town): 2 households (1 formerly poor), both benefited. 八维村: one payout.
    (Built once per run.)"""
    ids = built_once("benefit_payouts", lambda: _payouts(world), on_top=True)
    out = {name: db.session.get(LedgerEntry, entry_id) for name, entry_id in ids.items() if name != "households"}
    out["households"] = tuple(db.session.get(Household, hid) for hid in ids["households"])
    return out


def _payouts(world) -> dict:
    h0, h1, h2 = world.households  # h0 is formerly poor
    h3 = _household(world.village, "陈七", 20, poor=True)
    h4 = _household(world.village, "周八", 21)  # never paid
    s1 = _household(world.sibling_village, "吴九", 22, poor=True)
    s2 = _household(world.sibling_village, "郑十", 23)
    sibling_project = Project(name="甘溪茶园", type="tea", village_id=world.sibling_village.id)
    db.session.add(sibling_project)
    acc3, sec3 = (
        add_user("acc3", "accountant", world.sibling_village),
        add_user("sec3", "secretary", world.sibling_village),
    )
    db.session.commit()
    acc, sec, p = world.users["accountant"], world.users["secretary"], world.project
    e = {
        "h0_div": _pay(acc, sec, p, h0, 500_00, f"{YEAR}-03"),
        "h0_wage": _pay(acc, sec, p, h0, 100_00, f"{YEAR}-05", kind="wage"),
        "h1": _pay(acc, sec, p, h1, 200_00, f"{YEAR}-03"),
        "h2": _pay(acc, sec, p, h2, 300_01, f"{YEAR}-04", kind="rent"),
        "h3": _pay(acc, sec, p, h3, 150_00, f"{YEAR}-06", kind="welfare_job"),
        "h0_last": _pay(acc, sec, p, h0, 400_00, f"{LAST}-10"),
        "h1_last": _pay(acc, sec, p, h1, 100_00, f"{LAST}-11"),
        "s1": _pay(acc3, sec3, sibling_project, s1, 100_00, f"{YEAR}-02"),
        "s2": _pay(acc3, sec3, sibling_project, s2, 250_00, f"{YEAR}-02"),
    }
    other = world.other_household
    e["other"] = _pay(
        world.users["other_accountant"],
        world.users["other_secretary"],
        world.other_project,
        other,
        999_00,
        f"{YEAR}-01",
    )
    # Neither a draft nor a submitted payout counts.
    ledger.create_entry(
        acc, entry_input(p, kind="dividend", amount_fen=777_00, household_id=h4.id, period=f"{YEAR}-03")
    )
    pending = ledger.create_entry(
        acc, entry_input(p, kind="dividend", amount_fen=888_00, household_id=h4.id, period=f"{YEAR}-03")
    )
    ledger.submit_entry(acc, pending)
    db.session.commit()
    ids = {name: entry.id for name, entry in e.items()}
    ids["households"] = tuple(h.id for h in (h0, h1, h2, h3, h4, s1, s2))
    return ids


def _half_up(value: Fraction) -> int:
    return floor(value + Fraction(1, 2))


def _from_ledger(village_ids: list[int], year: int) -> dict:
    """The benefit figures computed straight from the approved ledger rows, without the summaries."""
    entries = db.session.scalars(
        select(LedgerEntry).where(
            LedgerEntry.village_id.in_(village_ids),
            LedgerEntry.status == "approved",
            LedgerEntry.kind.in_(PAYOUT_KINDS),
            LedgerEntry.household_id.is_not(None),
        )
    ).all()
    paid: dict[int, int] = {}
    for entry in entries:
        counted_period = (
            entry.reverses.period if entry.reverses_id else entry.period
        )  # a reversal counts in its original's year
        if int(counted_period[:4]) == year:
            paid[entry.household_id] = paid.get(entry.household_id, 0) + entry.amount_fen
    roster = db.session.scalars(select(Household).where(Household.village_id.in_(village_ids))).all()
    out = {}
    for prefix, members in (("", roster), ("formerly_poor_", [h for h in roster if h.formerly_poor])):
        values = sorted(paid[h.id] for h in members if paid.get(h.id, 0) > 0)
        counted = "formerly_poor_benefited" if prefix else "households_benefited"
        out[f"{prefix}households"] = len(members)
        out[counted] = len(values)
        out[f"{prefix}coverage"] = (
            D(len(values)) / D(len(members)) if members else None
        )  # as exact as Decimal division goes
        out[f"{prefix}benefit_total_fen"] = sum(values)
        out[f"{prefix}benefit_mean_fen"] = sum(values) // len(values) if values else 0
        out[f"{prefix}benefit_median_fen"] = _half_up(median(Fraction(v) for v in values)) if values else 0
    return out


def _growth(now: int, before: int):
    return Fraction(now - before, before) if before else None


def _assert_matches_ledger(row: dict, village_ids: list[int], year: int = YEAR) -> None:
    now, before = _from_ledger(village_ids, year), _from_ledger(village_ids, year - 1)
    for key, expected in now.items():
        assert row[key] == expected, key
    for counted, total in (
        ("households_benefited", "benefit_total"),
        ("formerly_poor_benefited", "formerly_poor_benefit_total"),
    ):
        assert row[f"{counted}_last_year"] == before[counted]
        assert row[f"{total}_last_year_fen"] == before[f"{total}_fen"]
        assert row[f"{counted}_growth"] == _growth(now[counted], before[counted])
        assert row[f"{total}_growth"] == _growth(now[f"{total}_fen"], before[f"{total}_fen"])


def _row(rows: list[dict], code: str) -> dict:
    return next(r for r in rows if r["code"] == code)


def test_village_figures_even_count(world, payouts):
    s = metrics.village_summary(world.village, YEAR)
    assert (s["households"], s["households_benefited"], s["coverage"]) == (5, 4, D("0.8"))
    assert s["benefit_total_fen"] == 1_250_01
    assert s["benefit_mean_fen"] == s["benefit_per_household_fen"] == 312_50  # 125001 // 4, rounded down
    # payouts 150.00, 200.00, 300.01, 600.00: (200.00 + 300.01) / 2 = 250.005 → 250.01 (half up)
    assert s["benefit_median_fen"] == 250_01
    assert (s["formerly_poor_households"], s["formerly_poor_benefited"], s["formerly_poor_coverage"]) == (2, 2, 1)
    assert s["formerly_poor_benefit_total_fen"] == 750_00
    assert s["formerly_poor_benefit_mean_fen"] == s["formerly_poor_benefit_median_fen"] == 375_00
    assert (s["households_benefited_last_year"], s["benefit_total_last_year_fen"]) == (2, 500_00)
    assert s["households_benefited_growth"] == 1
    assert s["benefit_total_growth"] == D("1.50002")
    assert (s["formerly_poor_benefited_last_year"], s["formerly_poor_benefit_total_last_year_fen"]) == (1, 400_00)
    assert s["formerly_poor_benefited_growth"] == 1 and s["formerly_poor_benefit_total_growth"] == D("0.875")
    _assert_matches_ledger(s, [world.village.id])
    for village in (world.sibling_village, world.other_village):
        _assert_matches_ledger(metrics.village_summary(village, YEAR), [village.id])


def test_reversals_reduce_the_figures_odd_count(world, payouts):
    acc, sec = world.users["accountant"], world.users["secretary"]
    _reverse(acc, sec, payouts["h3"])  # the formerly poor 陈七 loses his only payout
    # last year's payout reversed this year still counts against last year
    _reverse(acc, sec, payouts["h1_last"], period=f"{YEAR}-08")
    _reverse(acc, sec, payouts["h0_wage"])  # h0 keeps the dividend
    db.session.commit()
    s = metrics.village_summary(world.village, YEAR)
    # payouts 200.00, 300.01, 500.00: median is the middle one
    assert (s["households_benefited"], s["coverage"], s["benefit_total_fen"]) == (3, D("0.6"), 1_000_01)
    assert s["benefit_mean_fen"] == 333_33 and s["benefit_median_fen"] == 300_01
    assert (s["formerly_poor_benefited"], s["formerly_poor_coverage"]) == (1, D("0.5"))
    assert s["formerly_poor_benefit_total_fen"] == s["formerly_poor_benefit_median_fen"] == 500_00
    assert (s["households_benefited_last_year"], s["benefit_total_last_year_fen"]) == (1, 400_00)
    assert s["households_benefited_growth"] == 2
    _assert_matches_ledger(s, [world.village.id])
    last = metrics.village_summary(world.village, LAST)
    assert (last["households_benefited"], last["benefit_total_fen"], last["benefit_median_fen"]) == (1, 400_00, 400_00)
    assert last["households_benefited_growth"] is None  # nothing the year before
    _assert_matches_ledger(last, [world.village.id], LAST)


def test_no_payouts_give_zero_and_no_growth(world):
    s = metrics.village_summary(world.village, YEAR)
    assert (s["households"], s["households_benefited"], s["coverage"]) == (3, 0, 0)
    assert s["benefit_mean_fen"] == s["benefit_median_fen"] == s["formerly_poor_benefit_median_fen"] == 0
    assert s["benefit_total_growth"] is None and s["households_benefited_growth"] is None
    empty = metrics.village_summary(world.sibling_village, YEAR)
    assert empty["coverage"] is None and empty["formerly_poor_coverage"] is None


def test_median_rounding():
    assert metrics.median_fen([]) == 0
    assert metrics.median_fen([7]) == 7
    assert metrics.median_fen([1, 2]) == 2  # 1.5 → 2
    assert metrics.median_fen([1, 4]) == 3  # 2.5 → 3, half up
    assert metrics.median_fen([10, 20, 31]) == 20
    assert metrics.median_fen([10, 20, 31, 1000]) == 26  # 25.5 → 26


def test_town_figures_pool_the_villages(world, payouts):
    county = world.users["county_reviewer"]
    towns = metrics.town_rows(county, world.county, YEAR)
    a = _row(towns, world.town_a.code)
    assert (a["households"], a["households_benefited"]) == (7, 6)
    # all payouts of town A: 100, 150, 200, 250, 300.01, 600 → (200 + 250) / 2
    assert a["benefit_median_fen"] == 225_00
    assert a["formerly_poor_benefit_median_fen"] == 150_00  # 100, 150, 600
    assert a["benefit_mean_fen"] == a["benefit_per_household_fen"] == 1_600_01 // 6
    _assert_matches_ledger(a, [world.village.id, world.sibling_village.id])
    _assert_matches_ledger(_row(towns, world.town_b.code), [world.other_village.id])


def test_compare_ranks_by_the_new_metrics(world, payouts):
    county = world.users["county_reviewer"]
    by_median = comparison.compare(county, world.county, YEAR, "benefit_median")
    assert [(r["code"], r["benefit_median_fen"]) for r in by_median] == [
        (OTHER, 999_00),
        (OWN, 250_01),
        (SIBLING, 175_00),
    ]
    by_poor = comparison.compare(county, world.county, YEAR, "formerly_poor_coverage")
    assert [r["code"] for r in by_poor] == [OWN, SIBLING, OTHER]  # 八维村 has no formerly poor household: last
    assert by_poor[-1]["formerly_poor_coverage"] is None
    by_growth = comparison.compare(county, world.county, YEAR, "benefit_total_growth")
    assert by_growth[0]["code"] == OWN and by_growth[0]["rank"] == 1


def _floats(value) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_floats(v) for v in value.values())
    if isinstance(value, list):
        return any(_floats(v) for v in value)
    return False


def test_api_summary_and_compare_carry_the_figures(app, world, payouts):
    county = login(app, "county")
    s = body(county.get(f"/api/v1/villages/{OWN}/summary?year={YEAR}"))
    assert s["households_benefited"] == 4 and s["formerly_poor_benefited"] == 2 and s["formerly_poor_households"] == 2
    assert s["coverage"] == "0.8" and s["formerly_poor_coverage"] == "1"
    assert s["benefit_total_fen"] == 1_250_01 and s["benefit_total"] == "1250.01"
    assert s["benefit_mean_fen"] == 312_50 and s["benefit_mean"] == "312.50"
    assert s["benefit_median_fen"] == 250_01 and s["benefit_median"] == "250.01"
    assert s["benefit_per_household"] == "312.50"
    assert s["formerly_poor_benefit_total"] == "750.00" and s["formerly_poor_benefit_median"] == "375.00"
    assert s["formerly_poor_benefit_mean"] == "375.00"
    assert s["benefit_total_last_year"] == "500.00" and s["households_benefited_last_year"] == 2
    assert s["benefit_total_growth"] == "1.50002" and s["households_benefited_growth"] == "1"
    assert s["formerly_poor_benefit_total_growth"] == "0.875"
    assert not _floats(s)
    for metric in ("benefit_median", "benefit_mean", "formerly_poor_coverage", "benefit_total_growth"):
        data = body(county.get(f"/api/v1/compare?year={YEAR}&metric={metric}"))
        assert not _floats(data) and data["metric"] == metric
        own = _row(data["rows"], OWN)
        assert own["benefit_median"] == "250.01" and own["formerly_poor_coverage"] == "1"
    data = body(county.get(f"/api/v1/compare?year={YEAR}&metric=benefit_median"))
    assert [r["code"] for r in data["rows"]] == [OTHER, OWN, SIBLING]


def test_pages_show_the_figures(world, payouts, client, auth):
    auth.login("county")
    page = client.get(f"/villages/{OWN}?year={YEAR}").get_data(as_text=True)
    panel = page[page.index("农户受益") :]
    assert "4 / 5" in panel and "2 / 2" in panel
    assert "80.0%" in panel and "100.0%" in panel
    assert "1,250.01" in panel and "750.00" in panel
    assert "312.50" in panel and "250.01" in panel and "375.00" in panel
    assert "+150.0%" in panel and "+87.5%" in panel and "+100.0%" in panel
    table = client.get(f"/areas?year={YEAR}").get_data(as_text=True)
    town_a = re.search(r"高潭镇</a></td>(.*?)</tr>", table, re.S).group(1)
    assert "6 / 7" in town_a and "225.00" in town_a and "100.0%" in town_a
    own = re.search(r"中洞村</a>(.*?)</tr>", table, re.S).group(1)
    assert "312.50" in own and "250.01" in own and "100.0%" in own
    other = re.search(r"八维村</a>(.*?)</tr>", table, re.S).group(1)
    assert "999.00" in other and "—" in other  # no formerly poor household there


def test_pages_in_english(world, payouts, client, auth):
    auth.login("county")
    client.post("/lang/en")
    page = client.get(f"/villages/{OWN}?year={YEAR}").get_data(as_text=True)
    assert "Household benefit" in page and "Formerly poor" in page and "Median (yuan)" in page
    assert "农户受益" not in page and "中位数" not in page
    table = client.get(f"/areas?year={YEAR}").get_data(as_text=True)
    assert "Median (yuan)" in table and "Formerly poor coverage" in table


def test_a_changed_formerly_poor_flag_moves_the_household_between_the_figures(world, payouts):
    """The village's benefit summary is refreshed when a household's 脱贫户 flag changes."""
    from coopapp.ledger import rollups
    from coopapp.villages import catalog

    sec = world.users["secretary"]
    h1 = payouts["h1"].household  # paid 200.00 this year, not formerly poor
    before = metrics.village_summary(world.village, YEAR)
    catalog.update_household(
        sec, h1, catalog.HouseholdInput(head_name=h1.head_name, members=h1.members, formerly_poor=True)
    )
    db.session.commit()
    after = metrics.village_summary(world.village, YEAR)
    assert after["formerly_poor_benefited"] == before["formerly_poor_benefited"] + 1
    assert after["formerly_poor_benefit_total_fen"] == before["formerly_poor_benefit_total_fen"] + 200_00
    assert after["households_benefited"] == before["households_benefited"]
    _assert_matches_ledger(after, [world.village.id])
    assert rollups.verify() == []


def test_verify_finds_a_drifted_median(world, payouts):
    from coopapp.ledger import rollups
    from coopapp.models import VillageBenefitSummary

    row = db.session.scalars(select(VillageBenefitSummary).filter_by(village_id=world.village.id, year=YEAR)).one()
    row.benefit_median_fen += 1
    db.session.commit()
    problems = rollups.verify()
    assert len(problems) == 1 and problems[0].startswith("benefit")
    rollups.rebuild()
    db.session.commit()
    assert rollups.verify() == []


def test_the_compare_api_answer_follows_an_approval(app, world, payouts):
    """The API's cached answer is keyed by the data version: a new approval shows at once."""
    acc, sec = world.users["accountant"], world.users["secretary"]
    county = login(app, "county")
    url = f"/api/v1/compare?year={YEAR}&metric=benefit_total"
    before = _row(body(county.get(url))["rows"], OWN)["benefit_total_fen"]
    assert _row(body(county.get(url))["rows"], OWN)["benefit_total_fen"] == before  # served again
    _pay(acc, sec, payouts["h1"].project, world.households[2], 50_00, f"{YEAR}-05")
    db.session.commit()
    assert _row(body(county.get(url))["rows"], OWN)["benefit_total_fen"] == before + 50_00
