"""The long lists a phone user pages through, their filters, masked names and signed growth."""

import re
from decimal import Decimal

import pytest

from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import Household, LedgerEntry
from coopapp.web import signed_pct

from .builders import approved_entry, entry_input

ENTRY_LINK = re.compile(r'href="/entries/(\d+)"')


def add_entries(world, count: int, period: str, status: str = "draft", **kw) -> list[int]:
    """`count` entries of the world's project straight into the table; their ids, oldest first."""
    entries = [
        LedgerEntry(
            project_id=world.project.id,
            village_id=world.village.id,
            period=period,
            kind="sales",
            amount_fen=100_00 + i,
            status=status,
            created_by_id=world.users["accountant"].id,
            **kw,
        )
        for i in range(count)
    ]
    db.session.add_all(entries)
    db.session.commit()
    return [e.id for e in entries]


def listed_ids(html: str) -> list[int]:
    return [int(i) for i in ENTRY_LINK.findall(html)]


@pytest.fixture()
def period(world) -> str:
    """Last month: open, and not in the future."""
    return entry_input(world.project).period


def test_entry_list_pages_thirty_rows_newest_first(world, client, auth, period):
    ids = add_entries(world, 35, period)
    auth.login("acc")
    first = client.get("/entries").get_data(as_text=True)
    second = client.get("/entries?page=2").get_data(as_text=True)
    assert listed_ids(first) == sorted(ids, reverse=True)[:30]
    assert listed_ids(second) == sorted(ids, reverse=True)[30:]
    assert not set(listed_ids(first)) & set(listed_ids(second))
    assert "第 1 / 2 页 · 共 35 条" in first and "第 2 / 2 页 · 共 35 条" in second
    assert 'rel="next" href="/entries?page=2"' in first and 'rel="prev"' not in first
    assert 'rel="prev" href="/entries?page=1"' in second and 'rel="next"' not in second


@pytest.mark.parametrize("page", ["99", "3", "99999999999999999999"])
def test_entry_page_past_the_end_is_an_empty_page_not_an_error(world, client, auth, period, page):
    add_entries(world, 35, period)
    auth.login("acc")
    resp = client.get(f"/entries?page={page}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert listed_ids(html) == [] and "这一页没有内容" in html
    assert 'href="/entries?page=2"' in html  # back to the last page


@pytest.mark.parametrize("page", ["0", "-3", "abc"])
def test_entry_page_below_one_or_not_a_number_is_the_first_page(world, client, auth, period, page):
    ids = add_entries(world, 35, period)
    auth.login("acc")
    html = client.get(f"/entries?page={page}").get_data(as_text=True)
    assert listed_ids(html) == sorted(ids, reverse=True)[:30]


def test_empty_entry_list_says_so_without_a_pager(world, client, auth):
    auth.login("acc")
    html = client.get("/entries").get_data(as_text=True)
    assert "没有记录。" in html and 'class="pager"' not in html


def test_pager_links_keep_the_status_and_period_filters(world, client, auth, period):
    year, month = period.split("-")
    older = f"{int(year) - 1}-{month}"
    wanted = add_entries(world, 32, period, status="submitted")
    add_entries(world, 5, older, status="submitted")
    add_entries(world, 5, period, status="draft")
    auth.login("sec")
    html = client.get(f"/entries?status=submitted&period={period}").get_data(as_text=True)
    assert "共 32 条" in html
    assert set(listed_ids(html)) <= set(wanted)
    assert f'href="/entries?page=2&amp;status=submitted&amp;period={period}"' in html
    # the status links keep the month, the month form keeps the status
    assert f'href="/entries?status=draft&amp;period={period}"' in html
    assert '<input type="hidden" name="status" value="submitted">' in html
    assert f'name="period" id="period" value="{period}"' in html
    second = client.get(f"/entries?status=submitted&period={period}&page=2").get_data(as_text=True)
    assert set(listed_ids(second)) <= set(wanted) and len(listed_ids(second)) == 2


def test_period_filter_alone_and_a_malformed_period_is_ignored(world, client, auth, period):
    year, month = period.split("-")
    older = f"{int(year) - 1}-{month}"
    recent = add_entries(world, 2, period)
    old = add_entries(world, 3, older)
    auth.login("acc")
    assert sorted(listed_ids(client.get(f"/entries?period={older}").get_data(as_text=True))) == old
    everything = client.get("/entries?period=2025-13").get_data(as_text=True)
    assert sorted(listed_ids(everything)) == sorted(old + recent)


def add_households(world, count: int) -> None:
    db.session.add_all(
        Household(village_id=world.village.id, head_name=f"黄户{i:02d}", members=2, phone=f"1390000{i:04d}")
        for i in range(count)
    )
    db.session.commit()


def household_names(html: str) -> list[str]:
    return re.findall(r"<tr>\s*<td>([^<]+)</td>", html)


def test_household_list_pages_fifty_rows_and_keeps_the_search(world, client, auth):
    add_households(world, 55)
    auth.login("sec")
    first = client.get("/village/households").get_data(as_text=True)
    second = client.get("/village/households?page=2").get_data(as_text=True)
    assert len(household_names(first)) == 50 and len(household_names(second)) == 8
    assert not set(household_names(first)) & set(household_names(second))
    assert "第 2 / 2 页 · 共 58 条" in second

    searched = client.get("/village/households?q=黄户").get_data(as_text=True)
    assert "共 55 条" in searched and "张三丰" not in searched
    assert 'href="/village/households?page=2&amp;q=%E9%BB%84%E6%88%B7"' in searched
    page2 = client.get("/village/households?q=黄户&page=2").get_data(as_text=True)
    assert household_names(page2) == [f"黄户{i:02d}" for i in range(50, 55)]
    assert 'value="黄户"' in page2


def test_household_page_past_the_end_is_empty_not_an_error(world, client, auth):
    auth.login("sec")
    resp = client.get("/village/households?page=5")
    assert resp.status_code == 200
    assert "这一页没有内容" in resp.get_data(as_text=True)


def test_reviewer_household_pager_keeps_the_village(world, client, auth):
    add_households(world, 55)
    auth.login("county")
    html = client.get(f"/village/households?village={world.village.code}").get_data(as_text=True)
    assert f'href="/village/households?page=2&amp;village={world.village.code}"' in html
    assert "黄**1" in html and "黄户" not in html


def test_household_names_in_entry_lists_are_masked_for_reviewers(world, client, auth):
    household = world.households[0]
    entry = approved_entry(world, kind="dividend", amount_fen=500_00, household_id=household.id)
    auth.login("acc")
    assert "张三丰" in client.get("/entries").get_data(as_text=True)
    auth.logout()
    auth.login("town")
    listing = client.get("/entries").get_data(as_text=True)
    assert f'href="/entries/{entry.id}"' in listing
    assert "张三丰" not in listing and "张*丰" in listing
    page = client.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert "张三丰" not in page and "张*丰" in page


def test_review_queue_shows_full_names_to_the_secretary(world, client, auth):
    acc = world.users["accountant"]
    entry = ledger.create_entry(acc, entry_input(world.project, kind="wage", household_id=world.households[1].id))
    ledger.submit_entry(acc, entry)
    auth.login("sec")
    assert "李四" in client.get("/review").get_data(as_text=True)


@pytest.mark.parametrize(
    "value, text",
    [
        (None, "—"),
        (Decimal("0.042"), "+4.2%"),
        (Decimal("-0.108"), "\u221210.8%"),
        (Decimal("0"), "0.0%"),
        (Decimal("-0.0001"), "0.0%"),
        (Decimal("1.5"), "+150.0%"),
    ],
)
def test_signed_pct(value, text):
    assert signed_pct(value) == text


def test_growth_is_shown_with_its_sign(world, client, auth):
    this_year = ledger.today().year
    approved_entry(world, kind="collective_income", amount_fen=100_00, period=f"{this_year - 1}-01")
    approved_entry(world, kind="collective_income", amount_fen=150_00, period=f"{this_year}-01")
    approved_entry(world, kind="output", amount_fen=200_00, period=f"{this_year - 1}-01")
    approved_entry(world, kind="output", amount_fen=100_00, period=f"{this_year}-01")
    auth.login("county")
    table = client.get(f"/areas?year={this_year}").get_data(as_text=True)
    row = re.search(r"中洞村</a>(.*?)</tr>", table, re.S).group(1)
    assert "+50.0%" in row and "\u221250.0%" in row
    village = client.get(f"/villages/{world.village.code}?year={this_year}").get_data(as_text=True)
    assert "+50.0%" in village and "\u221250.0%" in village


def test_pager_in_english(world, client, auth, period):
    add_entries(world, 31, period)
    client.post("/lang/en")
    auth.login("acc")
    html = client.get("/entries?page=2").get_data(as_text=True)
    assert "Page 2 of 2 · 31 in all" in html and "Previous" in html and "All months" not in html
    assert "Filter" in html and "第 2 / 2 页" not in html
