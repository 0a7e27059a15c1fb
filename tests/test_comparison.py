"""The county / town comparison on constructed data: yields, peer groups and the outlier rule,
the weak flag and its threshold, sorting, filters, exports, access and bad input.

The figures are written straight into the summary tables (what the comparison reads);
test_comparison_demo.py proves on the demo that they equal the raw ledger's.
"""

import csv
import io
import re
from decimal import Decimal

import openpyxl
import pytest

from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import Household, Project
from coopapp.reporting import comparison
from coopapp.villages import catalog

from .builders import add_user, approved_entry, approved_summary, body, entry_input, login, statements, year_targets

YEAR = ledger.today().year - 1
OWN, SIBLING, OTHER = "441323110201", "441323110202", "441323107203"
TOWN_A, TOWN_B = "441323110", "441323107"


def summary(project: Project, kind: str, yuan: int, month: int = 6, year: int = YEAR) -> None:
    """An approved month's total in the summary tables (`builders.approved_summary`), June of YEAR by default."""
    approved_summary(project, kind, yuan * 100, year, month)


def hives(village, hive_count, name="中蜂养殖", income_target=None) -> Project:
    project = Project(
        name=name,
        type="beekeeping",
        village_id=village.id,
        capacity=None if hive_count is None else Decimal(hive_count),
        capacity_unit=None if hive_count is None else "hive",
    )
    db.session.add(project)
    if income_target is not None:
        year_targets(project, income_fen=income_target)
    db.session.flush()
    return project


@pytest.fixture()
def peers(world):
    """Six beekeeping villages (yuan per hive: 500, 520, 480, 510, 490 and a 10× 5,000), a
    beekeeping project without capacity in 甘溪村, and 八维村's PV array."""
    add = catalog.add_area
    v1 = add("441323110203", "一村", "village", world.town_a)
    v2 = add("441323110204", "二村", "village", world.town_a)
    v3 = add("441323107204", "三村", "village", world.town_b)
    v4 = add("441323107205", "四村", "village", world.town_b)
    v5 = add("441323107206", "五村", "village", world.town_b)
    db.session.flush()
    summary(world.project, "output", 1_500_000)  # 3,000 hives → 500 per hive
    summary(world.project, "collective_income", 30_000)
    for village, output, income in ((v1, 52_000, 120_000), (v2, 48_000, 0), (v3, 51_000, 0), (v4, 49_000, 0)):
        p = hives(village, 100)
        summary(p, "output", output)
        if income:
            summary(p, "collective_income", income)
    outlier = hives(v5, 100, income_target=10_000_000)
    summary(outlier, "output", 500_000)  # 5,000 per hive: a 万元 typed as 元?
    summary(outlier, "collective_income", 150_000)
    no_capacity = hives(world.sibling_village, None, name="甘溪蜂场")
    summary(no_capacity, "output", 80_000)
    summary(world.other_project, "output", 60_000)
    summary(world.other_project, "collective_income", 50_000)
    db.session.commit()
    return {"v1": v1, "v2": v2, "v3": v3, "v4": v4, "v5": v5, "no_capacity": no_capacity}


def _rows(app, user="county", query="") -> dict[str, dict]:
    data = body(login(app, user).get(f"/api/v1/compare?year={YEAR}{query}"))
    return {r["code"]: r for r in data["rows"]}


def test_outlier_is_the_ten_times_yield(app, peers):
    rows = _rows(app)
    assert rows["441323107206"]["outlier"] is True and rows["441323107206"]["outlier_types"] == ["beekeeping"]
    assert [code for code, r in rows.items() if r["outlier"]] == ["441323107206"]
    own = rows[OWN]
    assert own["peer_group"] == "beekeeping/hive" and own["yield_unit"] == "hive"
    assert own["yield_fen_per_unit"] == 50_000 and own["yield_per_unit"] == "500.00"
    assert own["peer_median_per_unit"] == "505.00" and own["peer_villages"] == 6  # median of 480…520, 5000
    assert rows["441323107206"]["yield_per_unit"] == "5000.00"
    # no capacity: a type, no yield, never an outlier
    sibling = rows[SIBLING]
    assert sibling["peer_type"] == "beekeeping" and sibling["yield_per_unit"] is None and sibling["outlier"] is False
    # a group of one (PV) judges nothing
    assert rows[OTHER]["peer_group"] == "photovoltaic/kW" and rows[OTHER]["outlier"] is False
    assert rows[OTHER]["yield_per_unit"] == "600.00"  # 60,000 yuan / 100 kW


def test_small_peer_group_flags_nothing(app, peers):
    # 高潭镇 alone: 中洞村, 一村, 二村 have yields — fewer than five villages
    rows = _rows(app, query=f"&area={TOWN_A}")
    assert set(rows) == {OWN, SIBLING, "441323110203", "441323110204"}
    assert not any(r["outlier"] for r in rows.values())


def test_peer_rule_keeps_near_equal_yields():
    # PV arrays yield nearly the same: a 9% difference is not an outlier, a 10× one is
    values = [Decimal(v) for v in (1000, 1010, 1005, 990, 1100)]
    stats = comparison.peer_stats(values)
    assert not any(comparison.is_outlier(v, stats) for v in values)
    stats = comparison.peer_stats([*values, Decimal(10_000)])
    assert comparison.is_outlier(Decimal(10_000), stats) and not comparison.is_outlier(Decimal(1100), stats)
    assert comparison.peer_stats(values[:4])["low"] is None  # fewer than five: no band


def test_weak_flag_and_threshold(app, peers, client, auth):
    rows = _rows(app)
    weak = {code for code, r in rows.items() if r["weak"]}
    assert "441323110203" not in weak and "441323107206" not in weak  # 120,000 and 150,000 yuan
    assert {OWN, OTHER, SIBLING} <= weak  # 30,000 / 50,000 / nothing
    strict = _rows(app, query="&weak=130000")
    assert strict["441323110203"]["weak"] is True and strict["441323107206"]["weak"] is False
    assert body(login(app, "county").get(f"/api/v1/compare?year={YEAR}&weak=abc")).get("error")
    auth.login("county")
    page = client.get(f"/areas?year={YEAR}&weak=130000").get_data(as_text=True)
    row = re.search(r"一村</a>(.*?)</tr>", page, re.S).group(1)
    assert "薄弱村" in row and "130,000.00" in page
    page = client.get(f"/areas?year={YEAR}&weak=lots").get_data(as_text=True)
    assert "薄弱村标准无效" in page  # a clear message, the default threshold used


def test_attainment_against_the_sum_of_targets(app, peers):
    rows = _rows(app, query="&metric=attainment")
    assert rows["441323107206"]["attainment"] == "1.5"  # 150,000 / 100,000
    assert rows[OWN]["attainment"] == "0.3"  # 30,000 / 100,000 (the world's project target)
    assert rows["441323110203"]["attainment"] is None  # no targets: "—"
    ranked = body(login(app, "county").get(f"/api/v1/compare?year={YEAR}&metric=attainment"))["rows"]
    assert [r["code"] for r in ranked[:2]] == [OTHER, "441323107206"]  # 八维村: 50,000 / 30,000 first
    assert ranked[-1]["attainment"] is None


def test_api_ranks_by_yield_and_refuses_unknown_metric(app, peers):
    ranked = body(login(app, "county").get(f"/api/v1/compare?year={YEAR}&metric=yield"))["rows"]
    assert ranked[0]["code"] == "441323107206" and ranked[0]["rank"] == 1
    assert ranked[-1]["yield_per_unit"] is None  # no yield sorts last
    for key in ("yield_per_unit", "attainment", "outlier", "peer_group", "peer_median_per_unit", "weak", "yields"):
        assert key in ranked[0]
    resp = login(app, "county").get(f"/api/v1/compare?year={YEAR}&metric=happiness")
    assert resp.status_code == 400 and "metric" in body(resp)["error"]["fields"]
    resp = login(app, "county").get(f"/api/v1/compare?year={YEAR}&type=mining")
    assert resp.status_code == 400
    county = login(app, "county")
    for metric in ("yield", "attainment"):
        chart = county.get(f"/charts/compare.png?year={YEAR}&metric={metric}")
        assert chart.status_code == 200 and chart.data.startswith(b"\x89PNG"), metric
    assert county.get(f"/charts/compare.png?year={YEAR}&metric=happiness").status_code == 400


def _page_order(html: str) -> list[str]:
    return re.findall(r'href="/villages/(\d{12})\?year=', html)


def test_sort_links_and_order(peers, client, auth):
    auth.login("county")
    page = client.get(f"/areas?year={YEAR}&sort=yield&dir=desc").get_data(as_text=True)
    order = _page_order(page)
    assert order[0] == "441323107206" and order[1] == OTHER  # 5,000 then 600 per unit
    assert order[-1] == SIBLING  # no yield: last in either direction
    assert _page_order(client.get(f"/areas?year={YEAR}&sort=yield&dir=asc").get_data(as_text=True))[-1] == SIBLING
    assert 'aria-sort="descending"' in page and "sort=yield&amp;dir=asc" in page  # the header flips the order
    by_name = _page_order(client.get(f"/areas?year={YEAR}&sort=name&dir=asc").get_data(as_text=True))
    assert len(by_name) == 8
    # an unknown sort key falls back to collective income, not an error
    fallback = client.get(f"/areas?year={YEAR}&sort=happiness")
    assert fallback.status_code == 200 and _page_order(fallback.get_data(as_text=True))[0] == "441323107206"
    # CSP-safe: links only (the site's own script files aside: the offline queue's)
    assert not re.search(r"<script(?![^>]*\bsrc=)", page) and "style=" not in page


def test_spending_and_net_income_are_columns_the_page_sorts_by(world, client, auth):
    """Issue 18's 支出 and 本年收益 (the API's `spending`, `net_income`) as columns of the page, sortable."""
    period = f"{ledger.today().year}-01"
    approved_entry(world, period=period, kind="sales", amount_fen=900_00)
    approved_entry(world, period=period, kind="cost", amount_fen=300_00)
    other = world.users["other_accountant"], world.users["other_secretary"]
    entry = ledger.create_entry(
        other[0], entry_input(world.other_project, period=period, kind="cost", amount_fen=50_00)
    )
    ledger.submit_entry(other[0], entry)
    ledger.approve_entry(other[1], entry)
    auth.login("county")
    page = client.get(f"/areas?year={ledger.today().year}&sort=spending&dir=desc").get_data(as_text=True)
    assert "支出（元）" in page and "本年收益（元）" in page and 'aria-sort="descending"' in page
    assert _page_order(page)[:2] == [OWN, OTHER]
    own = re.search(r"中洞村</a>(.*?)</tr>", page, re.S).group(1)
    assert "300.00" in own and "600.00" in own  # spending, and 900 − 300 of net income
    by_net = _page_order(
        client.get(f"/areas?year={ledger.today().year}&sort=net_income&dir=asc").get_data(as_text=True)
    )
    assert by_net[0] == OTHER  # −50.00 first
    # and the towns' subtotals: 多祝镇 (八维村, 441323107) before 高潭镇 (中洞村, 441323110)
    assert re.findall(r'town-spending">([^<]+)<', page) == ["50.00", "300.00"]
    net = [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r'town-net-income">(.*?)</td>', page)]
    assert net == ["−50.00", "600.00"]  # a negative amount in red, with the minus sign


def test_filters_town_and_project_type(app, peers, client, auth):
    assert set(_rows(app, query=f"&town={TOWN_B}")) == {OTHER, "441323107204", "441323107205", "441323107206"}
    assert set(_rows(app, query="&type=photovoltaic")) == {OTHER}
    bees = _rows(app, query="&type=beekeeping")
    assert OTHER not in bees and len(bees) == 7
    # the peer group is the whole area's: 五村 stays an outlier when only 多祝镇 is shown
    assert _rows(app, query=f"&town={TOWN_B}")["441323107206"]["outlier"] is True
    auth.login("county")
    page = client.get(f"/areas?year={YEAR}&type=beekeeping&town={TOWN_A}").get_data(as_text=True)
    assert set(_page_order(page)) == {OWN, SIBLING, "441323110203", "441323110204"}
    assert 'value="beekeeping" selected' in page and f'value="{TOWN_A}" selected' in page
    town = re.search(r"高潭镇</a></td>(.*?)</tr>", page, re.S).group(1)  # subtotal of the rows shown
    assert '<td class="num">4</td>' in town
    resp = client.get(f"/areas?year={YEAR}&town={OWN}")  # a village is not a town
    assert resp.status_code == 302


def test_no_capacity_and_no_households_show_a_dash(peers, client, auth):
    auth.login("county")
    page = client.get(f"/areas?year={YEAR}&type=beekeeping").get_data(as_text=True)
    sibling = re.search(r"甘溪村</a>(.*?)</tr>", page, re.S).group(1)
    assert "—" in sibling and "异常" not in sibling
    five = re.search(r"五村</a>(.*?)</tr>", page, re.S).group(1)
    assert "异常" in five
    assert "0 / 0" in five and "—" in five  # no households: coverage "—"
    assert "同类村不足 5 个时不判定" in page  # the rule, on the page


def test_year_without_data_says_so(world, client, auth):
    auth.login("county")
    resp = client.get("/areas?year=2003")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "2003 年还没有已审核的数据" in page
    assert "中洞村" in page  # the villages are still listed


def test_csv_export(peers, client, auth):
    auth.login("county")
    resp = client.get(f"/areas/export.csv?year={YEAR}&sort=yield&dir=desc")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.data.startswith(b"\xef\xbb\xbf") and "attachment" in resp.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    header, first = lines[0], dict(zip(lines[0], lines[1], strict=True))
    assert header[:4] == ["村代码", "村", "镇", "村集体收入（元）"] and "单位产值（元/单位规模）" in header
    assert first["村代码"] == "441323107206" and first["村集体收入（元）"] == "150000.00"
    assert first["单位产值（元/单位规模）"] == "5000.00" and first["单位产值异常"] == "是"
    assert first["目标完成率（%）"] == "150.0" and first["产值（元）"] == "500000.00"
    assert len(lines) == 9


def test_xlsx_export_holds_the_api_numbers(app, peers, client, auth):
    auth.login("county")
    resp = client.get(f"/areas/export.xlsx?year={YEAR}")
    assert resp.status_code == 200 and resp.data[:2] == b"PK"
    sheet = openpyxl.load_workbook(io.BytesIO(resp.data)).active
    assert "各村对比" in sheet["A1"].value and sheet.freeze_panes == "C3"
    header = [c.value for c in sheet[2]]
    assert header[:3] == ["村代码", "村", "镇"]
    api = _rows(app)
    col = {name: i for i, name in enumerate(header)}
    seen = 0
    for line in sheet.iter_rows(min_row=3, values_only=True):
        row = api[line[col["村代码"]]]
        income = line[col["村集体收入（元）"]]
        assert isinstance(income, int | float) and Decimal(str(income)) == Decimal(row["collective_income"])
        assert Decimal(str(line[col["产值（元）"]])) == Decimal(row["output_value"])
        assert line[col["带动农户"]] == row["households_benefited"]
        if row["yield_per_unit"] is None:
            assert line[col["单位产值（元/单位规模）"]] is None
        else:
            assert Decimal(str(line[col["单位产值（元/单位规模）"]])) == Decimal(row["yield_per_unit"])
        seen += 1
    assert seen == len(api)
    cell = sheet.cell(row=3, column=col["村集体收入（元）"] + 1)
    assert cell.data_type == "n" and cell.number_format == "#,##0.00;[Red]-#,##0.00"


def test_access(world, client, auth):
    auth.login("town")
    for url in (f"/areas?area={TOWN_B}", f"/areas/export.csv?area={TOWN_B}", f"/areas/export.xlsx?area={TOWN_B}"):
        assert client.get(url).status_code == 403, url
    assert client.get(f"/areas?area={TOWN_A}&town={TOWN_B}").status_code == 403
    assert login(client.application, "town").get(f"/api/v1/compare?area={TOWN_B}").status_code == 403
    auth.logout()
    auth.login("acc")
    page = client.get("/areas").get_data(as_text=True)
    assert _page_order(page) == [OWN] and "八维村" not in page and "甘溪村" not in page
    assert client.get("/areas?area=441323").status_code == 403
    csv_text = client.get("/areas/export.csv").data.decode("utf-8-sig")
    assert "中洞村" in csv_text and "八维村" not in csv_text


def test_constant_queries_and_no_ledger(peers, world, client, auth):
    # more villages, households and projects do not add queries
    me = world.users["county_reviewer"]

    def run(area) -> list[str]:
        db.session.expire_all()
        assert me.area.path and area.path  # the inputs loaded before counting
        with statements() as seen:
            comparison.comparison(me, area, comparison.Filters(year=YEAR))
        return seen

    small = run(world.town_a)
    extra = catalog.add_area("441323107207", "六村", "village", world.town_b)
    db.session.flush()
    hives(extra, 50)
    db.session.add(Household(village_id=extra.id, head_name="孙一", members=1))
    db.session.commit()
    large = run(world.county)
    assert len(small) == len(large) <= 8
    auth.login("county")
    with statements() as seen:
        for url in (f"/areas?year={YEAR}", f"/areas/export.csv?year={YEAR}", f"/areas/export.xlsx?year={YEAR}"):
            assert client.get(url).status_code == 200
        assert login(client.application, "county").get(f"/api/v1/compare?year={YEAR}&metric=yield").status_code == 200
    assert any("project_year_summaries" in s for s in seen)
    assert not [s for s in seen if "ledger_entries" in s]


def test_another_towns_reviewer_is_refused(world, client, auth):
    add_user("town_b_reviewer", "reviewer", world.town_b)
    db.session.commit()
    auth.login("town_b_reviewer")
    assert client.get(f"/areas/export.xlsx?area={TOWN_A}").status_code == 403
    assert client.get(f"/areas?area={TOWN_A}").status_code == 403


def test_a_zero_capacity_project_beside_a_measured_one(app, peers, world):
    """A village's first beekeeping project has 0 hives (allowed on the form), its second 100:
    the group's yield is the measured project's. This used to fail with a TypeError (a 500) when
    the unmeasured project came first."""
    village = catalog.add_area("441323107207", "六村", "village", world.town_b)
    db.session.flush()
    empty = hives(village, 0, name="空蜂场")
    summary(empty, "output", 7_000)
    measured = hives(village, 100)
    summary(measured, "output", 50_000)
    db.session.commit()
    assert empty.id < measured.id
    row = _rows(app)["441323107207"]
    assert row["peer_group"] == "beekeeping/hive" and row["yield_per_unit"] == "500.00"
    assert row["yields"] == [
        {
            "peer_group": "beekeeping/hive",
            "type": "beekeeping",
            "unit": "hive",
            "yield_fen_per_unit": 50_000,
            "yield_per_unit": "500.00",
            "outlier": False,
        }
    ]


def test_plain_rows_gives_the_driver_tuples_and_raises_as_sqlalchemy_does(app, db):
    """`models.base.plain_rows` (the comparison's fetches) skips SQLAlchemy's rows but not its
    errors: a failure while fetching (here a later row overflows, which SQLite only finds in
    the fetch) is a SQLAlchemy error, so the handlers that map a lost database to 503 see it."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from coopapp.models.base import plain_rows

    rows = plain_rows(text("SELECT column1, column2 FROM (VALUES (1, 'a'), (2, 'b')) AS v ORDER BY 1"))
    assert rows == [(1, "a"), (2, "b")] and type(rows[0]) is tuple
    overflow = text("SELECT abs(column1) FROM (VALUES (1), (-9223372036854775807 - 1)) AS v")
    with pytest.raises(DBAPIError):
        plain_rows(overflow)
    db.session.rollback()


def test_a_year_with_only_sales_is_not_a_year_without_data(world, client, auth):
    """Sales and costs (本年收益, 支出) are figures too: no "no approved data" banner above them."""
    summary(world.project, "sales", 8_500)
    db.session.commit()
    auth.login("county")
    page = client.get(f"/areas?year={YEAR}").get_data(as_text=True)
    assert "8,500.00" in page and "还没有已审核的数据" not in page


def test_a_retired_village_is_listed_only_in_years_it_has_figures(app, world, client, auth):
    """撤销 (not merged): its history stays in the years it has figures; otherwise it is neither a row,
    nor a village of its town, nor a weak one."""
    from coopapp.villages.areas import retire_area

    sibling = world.sibling_village  # 甘溪村, town A, no project
    retire_area(world.users["admin"], sibling)
    db.session.commit()
    f = comparison.Filters(year=YEAR)
    table = comparison.comparison(world.users["county_reviewer"], world.county, f)
    assert sibling.code not in [r["code"] for r in table["rows"]]
    town_a = next(t for t in table["towns"] if t["code"] == world.town_a.code)
    assert town_a["villages"] == 1  # 中洞村 alone
    pond = Project(village_id=sibling.id, name="旧鱼塘", type="other")  # its books from before it was retired
    db.session.add(pond)
    db.session.flush()
    summary(pond, "collective_income", 3_000, year=YEAR - 1)
    db.session.commit()
    last_year = comparison.comparison(world.users["county_reviewer"], world.county, comparison.Filters(year=YEAR - 1))
    assert sibling.code in [r["code"] for r in last_year["rows"]]


def test_the_page_offers_the_ranking_chart_of_its_sorted_figure(peers, client, auth):
    """The county's page: the chart of the figure it is sorted by (村集体收入 otherwise), drawn when opened."""
    auth.login("county")
    page = client.get(f"/areas?year={YEAR}&sort=output_value").get_data(as_text=True)
    src = re.search(r'<details class="card" id="compare-chart">.*?<img src="([^"]+)"', page, re.S).group(1)
    src = src.replace("&amp;", "&")
    assert "metric=output_value" in src and f"year={YEAR}" in src and "排名图：产值" in page
    chart = client.get(src)
    assert chart.status_code == 200 and chart.mimetype == "image/png"
    assert client.get(src + "&size=phone").status_code == 200
    page = client.get(f"/areas?year={YEAR}&sort=name").get_data(as_text=True)
    assert "metric=collective_income" in page  # a column the chart does not rank: 村集体收入
