"""The village dashboard (year to date against target and last year, waiting entries, charts)
and the project page of the drill-down."""

import re

import pytest

from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import Project
from coopapp.reporting import dashboard

from .builders import TOWN_TIER, approved_entry, county_settings, entry_input, town_accountant

TODAY = ledger.today()
THIS, LAST = TODAY.year, TODAY.year - 1
MONTH = TODAY.month
OWN = "441323110201"


def _period(year: int, month: int) -> str:
    return f"{year}-{month:02d}"


@pytest.fixture()
def board(world):
    """This year to date: 40,000 income, 600,000 output; the same months last year: 32,000 and
    500,000; last year after this month: 99,000 more income (not in the comparison); one
    entry waiting for review."""
    approved_entry(world, kind="collective_income", amount_fen=4_000_000, period=_period(THIS, MONTH))
    approved_entry(world, kind="output", amount_fen=60_000_000, period=_period(THIS, 1))
    approved_entry(world, kind="collective_income", amount_fen=3_200_000, period=_period(LAST, MONTH))
    approved_entry(world, kind="output", amount_fen=50_000_000, period=_period(LAST, 1))
    if MONTH < 12:
        approved_entry(world, kind="collective_income", amount_fen=9_900_000, period=_period(LAST, MONTH + 1))
    acc = world.users["accountant"]
    waiting = ledger.create_entry(acc, entry_input(world.project, kind="sales", period=_period(THIS, MONTH)))
    ledger.submit_entry(acc, waiting)
    ledger.create_entry(acc, entry_input(world.project, kind="sales", period=_period(THIS, MONTH)))  # a draft
    return world


def test_year_to_date_against_target_and_last_year(board):
    data = dashboard.village_dashboard(board.users["secretary"], board.village, THIS, dashboard.through_month(THIS))
    ci, ov = data["collective_income"], data["output_value"]
    assert data["through_month"] == MONTH
    assert ci["ytd_fen"] == 4_000_000 and ci["last_year_fen"] == 3_200_000 and ci["target_fen"] == 10_000_000
    assert str(ci["attainment"]) == "0.4" and str(ci["growth"]) == "0.25"
    assert ov["ytd_fen"] == 60_000_000 and ov["last_year_fen"] == 50_000_000 and ov["target_fen"] == 150_000_000
    assert data["waiting"] == 1  # the submitted one, not the draft
    past = dashboard.village_dashboard(board.users["secretary"], board.village, LAST, dashboard.through_month(LAST))
    assert past["through_month"] == 12
    assert past["collective_income"]["ytd_fen"] == 3_200_000 + (9_900_000 if MONTH < 12 else 0)
    assert dashboard.through_month(THIS + 1) == 0


def test_secretary_lands_on_the_dashboard(board, client, auth):
    auth.login("sec")
    assert 'href="/dashboard"' in client.get("/").get_data(as_text=True)  # the home's nav: 统计
    resp = client.get("/dashboard")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/villages/{OWN}")
    page = client.get(f"/villages/{OWN}").get_data(as_text=True)
    assert f'href="/villages/{OWN}"' in page or 'href="/dashboard"' in page  # the nav's 统计
    assert "有 1 条记录待审核" in page and 'href="/review"' in page
    assert f"1–{MONTH} 月" in page or MONTH == 12
    ytd = re.search(r"<table class=\"data narrow ytd\">(.*?)</table>", page, re.S).group(1)
    assert "40,000.00" in ytd and "32,000.00" in ytd and "+25.0%" in ytd and "100,000.00" in ytd and "40.0%" in ytd
    assert "600,000.00" in ytd and "500,000.00" in ytd and "1,500,000.00" in ytd
    pid = board.project.id
    for src in (
        f"/charts/project/{pid}/output.png?year={THIS}",
        f"/charts/project/{pid}/yield.png",
        f"/charts/village/{OWN}/benefit.png?year={THIS}",
    ):
        assert src in page, src
        assert client.get(src).status_code == 200
    assert page.count("<details>") >= 3  # each chart's numbers beside it
    assert f'href="/projects/{pid}?year={THIS}"' in page


def test_reviewer_sees_the_count_without_the_review_link(board, client, auth):
    auth.login("county")
    page = client.get(f"/villages/{OWN}?year={THIS}").get_data(as_text=True)
    assert "有 1 条记录待审核" in page and 'href="/review"' not in page
    assert client.get("/dashboard").headers["Location"].endswith("/areas")


def test_an_entry_awaiting_the_town_is_still_waiting_and_the_town_goes_to_its_own_queue(board, client, auth):
    """The secretary's approval of an entry above the town's tier leaves it 待镇审核: it does not count
    yet, so the village page still says it waits; the town accountant's link is the town's queue."""
    town_accountant(board)
    county_settings(board, tiers=[TOWN_TIER])
    above = approved_entry(board, kind="cost", amount_fen=2_000_000, period=_period(THIS, MONTH))
    assert above.status == "awaiting_town"
    for user in ("secretary", "county_reviewer"):
        data = dashboard.village_dashboard(board.users[user], board.village, THIS, MONTH)
        assert data["waiting"] == 2  # the submitted one and the one awaiting the town
    auth.login("tacc")
    page = client.get(f"/villages/{OWN}?year={THIS}").get_data(as_text=True)
    notice = re.search(r'<p class="flash flash-warning waiting">(.*?)</p>', page, re.S).group(1)
    assert "有 2 条记录待审核" in notice and 'href="/town"' in notice


def test_village_without_households_and_projects(world, client, auth):
    auth.login("county")
    resp = client.get(f"/villages/{world.sibling_village.code}?year={THIS}")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "还没有登记农户" in page and "还没有项目" in page
    assert "没有待审核的记录" in page


def test_project_page_months_and_charts(board, client, auth):
    auth.login("sec")
    pid = board.project.id
    page = client.get(f"/projects/{pid}?year={THIS}").get_data(as_text=True)
    months = re.search(r"<tbody>(.*?)</tbody>", page[page.index("各月数据") :], re.S).group(1)
    assert months.count("<tr>") == 12 and "600,000.00" in months and "40,000.00" in months
    assert f"/charts/project/{pid}/output.png?year={THIS}" in page and f"/charts/project/{pid}/yield.png" in page
    assert "200.00" in page  # 600,000 yuan / 3,000 hives
    empty = client.get(f"/projects/{pid}?year=2003").get_data(as_text=True)
    assert "2003 年这个项目还没有已审核的数据" in empty


def test_project_without_capacity_and_access(world, client, auth):
    bare = Project(name="村集体物业", type="other", village_id=world.village.id)
    db.session.add(bare)
    db.session.commit()
    auth.login("sec")
    page = client.get(f"/projects/{bare.id}?year={THIS}").get_data(as_text=True)
    assert "未填写（无法计算单位产值）" in page and "—" in page
    assert client.get(f"/projects/{world.other_project.id}").status_code == 403
    assert client.get("/projects/999999").status_code == 404
    auth.logout()
    auth.login("sec2")
    assert client.get(f"/villages/{OWN}").status_code == 403


def test_the_village_page_links_up_only_where_the_user_may_go(client, auth, world):
    """A secretary's scope is the village: no link to the town table that would answer 403."""
    auth.login("sec")
    html = client.get(f"/villages/{world.village.code}").get_data(as_text=True)
    assert f"area={world.town_a.code}" not in html
    auth.logout()
    auth.login("county")
    html = client.get(f"/villages/{world.village.code}").get_data(as_text=True)
    assert f"area={world.town_a.code}" in html
