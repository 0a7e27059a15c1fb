"""On the Huidong demo (loaded once): every number of the comparison equals the raw ledger's,
and the comparison's queries neither touch the ledger nor grow with the number of villages."""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from coopapp.models import Area, LedgerEntry, Project, User
from coopapp.reporting import comparison

from .builders import demo_loaded, statements

PASSWORD = "demo-pass-2025"
YEARS = (2024, 2025, 2026)


def _raw(db) -> tuple[dict, dict]:
    """From approved ledger rows: (village, year, kind) → fen and (project, year) → output fen."""
    by_village: dict = defaultdict(int)
    by_project: dict = defaultdict(int)
    q = select(
        LedgerEntry.village_id, LedgerEntry.project_id, LedgerEntry.period, LedgerEntry.kind, LedgerEntry.amount_fen
    )
    for village_id, project_id, period, kind, amount in db.session.execute(q.where(LedgerEntry.status == "approved")):
        year = int(period[:4])
        by_village[(village_id, year, kind)] += int(amount)
        if kind == "output":
            by_project[(project_id, year)] += int(amount)
    return by_village, by_project


def _raw_yields(projects: list[Project], by_project: dict, year: int) -> dict[tuple[int, str], int]:
    """(village, "type/unit") → yield in fen per unit, rounded half up, from the raw ledger."""
    sums: dict = defaultdict(lambda: [0, Decimal(0)])
    for p in projects:
        if p.capacity and p.capacity_unit:
            pair = sums[(p.village_id, f"{p.type}/{p.capacity_unit}")]
            pair[0] += by_project[(p.id, year)]
            pair[1] += Decimal(p.capacity)
    return {k: int((Decimal(o) / c).to_integral_value(ROUND_HALF_UP)) for k, (o, c) in sums.items()}


def test_demo_comparison_equals_the_ledger_and_stays_on_the_summaries(db, client):
    assert demo_loaded(PASSWORD) is True
    reviewer = db.session.scalar(select(User).where(User.username == "county.reviewer"))
    county = reviewer.area
    villages = {v.code: v for v in db.session.scalars(select(Area).where(Area.level == "village"))}
    projects = list(db.session.scalars(select(Project)))
    targets = defaultdict(int)  # (village, year) → the sum of its projects' income targets
    for p in projects:
        for t in p.targets:
            targets[(p.village_id, t.year)] += t.collective_income_fen or 0
    by_village, by_project = _raw(db)

    checked = 0
    for year in YEARS:
        rows = comparison.comparison(reviewer, county, comparison.Filters(year=year))["rows"]
        assert len(rows) == len(villages) == 26
        yields = _raw_yields(projects, by_project, year)
        for row in rows:
            vid = villages[row["code"]].id
            income = by_village[(vid, year, "collective_income")]
            assert row["collective_income_fen"] == income, (year, row["name"])
            assert row["output_value_fen"] == by_village[(vid, year, "output")], (year, row["name"])
            assert row["collective_income_last_year_fen"] == by_village[(vid, year - 1, "collective_income")]
            target = targets[(vid, year)]
            expected = Decimal(income) / target if target else None
            assert row["attainment"] == expected, (year, row["name"])
            assert row["weak"] == (income < 100_000 * 100)
            for y in row["yields"]:
                if y["yield_fen_per_unit"] is not None:
                    assert y["yield_fen_per_unit"] == yields[(vid, y["peer_group"])], (year, row["name"], y)
                    checked += 1
    assert checked > 60
    # the story of the brief: 中洞村's bees, 八维村's PV, each in its peer group
    rows = {r["code"]: r for r in comparison.comparison(reviewer, county, comparison.Filters(year=2025))["rows"]}
    assert rows["441323110201"]["peer_group"] == "beekeeping/hive"
    assert rows["441323107203"]["project_types"] and rows["441323107203"]["collective_income_fen"] > 0

    # three villages or twenty-six: the same queries, none of them on the ledger
    gaotan = db.session.scalar(select(Area).where(Area.code == "441323110"))
    counts = []
    for area in (gaotan, county):
        db.session.expire_all()
        assert reviewer.area.path and area.path
        with statements() as seen:
            comparison.comparison(reviewer, area, comparison.Filters(year=2025))
        counts.append(len(seen))
    assert counts[0] == counts[1]
    client.post("/login", data={"username": "county.reviewer", "password": PASSWORD})
    with statements() as seen:
        for url in ("/areas?year=2025", "/areas?year=2025&type=beekeeping&sort=yield", "/areas/export.xlsx?year=2025"):
            assert client.get(url).status_code == 200, url
        assert client.get("/api/v1/compare?year=2025&metric=yield").status_code == 200
    assert not [s for s in seen if "ledger_entries" in s]
