"""One journey per role through the real pages in headless Chromium, on the demo data.

The journeys run in file order: the secretary reviews what the accountant submitted.
"""

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from coopapp.extensions import db
from coopapp.ledger.operations import current_period
from coopapp.models import Area, Household

from .conftest import login

INCOME_NOTE = "浏览器测试：蜂蜜销售"
PAYOUT_NOTE = "浏览器测试：分红"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _enter(page, kind: str, amount: str, note: str, household: bool = False) -> str:
    """Fill the new-entry form, save, then submit the saved entry for review."""
    page.goto("/entries/new")
    page.select_option("#kind", label=kind)
    page.fill("#amount", amount)
    if household:
        options = page.locator("#household_id option").all()
        page.select_option("#household_id", value=options[1].get_attribute("value"))
    page.fill("#note", note)
    page.click("form.grid-form button[type=submit]")
    page.wait_for_load_state()
    assert re.search(r"/entries/\d+$", page.url), page.inner_text("main")
    url = page.url
    page.get_by_role("button", name="提交审核").click()
    page.wait_for_load_state()
    return url


def test_accountant_enters_income_and_payout_on_a_phone(new_page):
    page = new_page(**PHONE)
    login(page, "zhongdong.accountant")
    income = _enter(page, "销售收入", "1,234.50", INCOME_NOTE)
    payout = _enter(page, "分红", "800", PAYOUT_NOTE, household=True)
    for url, kind, amount in ((income, "销售收入", "1,234.50"), (payout, "分红", "800.00")):
        page.goto(url)
        facts = page.inner_text("dl.facts")
        assert kind in facts and amount in facts
        assert page.inner_text(".badge") == "待审核"
    assert page.locator("dl.facts").inner_text().count("—") < 3  # the payout names its household


def test_secretary_returns_approves_closes_and_publishes(new_page):
    page = new_page()
    login(page, "zhongdong.secretary")

    page.goto("/review")
    row = page.locator("table.data tbody tr", has_text=INCOME_NOTE)
    row.locator("input[name=reason]").fill("请附上销售单据")
    row.get_by_role("button", name="退回").click()
    page.wait_for_load_state()
    assert "已退回" in page.inner_text("main")
    page.locator("table.data tbody tr", has_text=PAYOUT_NOTE).get_by_role("button", name="通过").click()
    page.wait_for_load_state()
    assert "已审核通过" in page.inner_text("main")
    assert INCOME_NOTE not in page.inner_text("main") and PAYOUT_NOTE not in page.inner_text("main")

    # Months close in order: the page offers the earliest open month with entries (the demo closed
    # 2024 and 2025; its pending work is this month's, so that one has nothing pending).
    page.goto("/months")
    closed = set(page.locator("ul.chips li").all_inner_texts())
    period = page.input_value("#period")
    assert period not in closed and period < current_period(), period
    page.get_by_role("button", name="结账").click()
    page.wait_for_load_state()
    assert f"将结账 {period}：本月" in page.inner_text("#consequence")  # asked first; nothing closed yet
    page.get_by_role("button", name="确定").click()
    page.wait_for_load_state()
    assert f"{period} 已结账" in page.inner_text("main")
    assert period in page.locator("ul.chips").inner_text()

    page.goto("/distributions/new")
    page.fill("#pool", "3万")
    page.select_option("#basis", label="按股份")
    page.get_by_role("button", name="生成预览").click()
    page.wait_for_load_state()
    assert re.search(r"/distributions/\d+$", page.url), page.inner_text("main")
    assert page.inner_text("#lines-total") == "30,000.00"
    # The plan's buttons ask in a dialog (static/confirm.js), with the numbers; OK acts at once.
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="审批方案").click()
    page.wait_for_load_state()
    assert "审批后方案不能再修改" in asked[-1]
    page.get_by_role("button", name="公布并记入台账").click()
    page.wait_for_load_state()
    assert re.search(r"将生成 \d+ 条分红记录，合计 [\d,]+\.\d\d 元", asked[-1]), asked
    assert page.locator("table.plan-lines a").count() > 0  # one ledger entry per household line


def test_reviewer_compares_sorts_drills_down_and_exports(new_page):
    page = new_page()
    login(page, "county.reviewer")
    page.goto("/areas")
    assert page.locator("table").count() > 0
    header = page.locator("th a.sort").nth(1)
    header.click()
    page.wait_for_load_state()
    assert "sort=" in page.url
    assert page.locator("th[aria-sort]").count() == 1

    page.get_by_role("link", name="中洞村").first.click()
    page.wait_for_load_state()
    assert "/villages/" in page.url and "中洞村" in page.inner_text("h1")

    # Back up to 中洞村's town: its comparison table is the one to export.
    page.locator("nav a", has_text="↑").first.click()
    page.wait_for_load_state()
    assert "/areas" in page.url
    with page.expect_download() as info:
        page.get_by_role("link", name="导出 Excel").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as fh:
        workbook = load_workbook(io.BytesIO(fh.read()), read_only=True)
    cells = [str(c) for row in workbook.active.iter_rows(values_only=True) for c in row if c is not None]
    assert "中洞村" in cells


def test_villager_reads_the_public_page_with_a_masked_name(new_page, live_app):
    with live_app.app_context():
        village = db.session.scalar(select(Area).where(Area.name == "中洞村"))
        household = db.session.scalars(select(Household).where(Household.village_id == village.id)).first()
        token, head_name = household.public_token, household.head_name
        db.session.remove()
    page = new_page(**PHONE)
    page.goto(f"/s/{token}")
    text = page.inner_text("main")
    assert "农户收益公开" in text
    assert head_name not in text
    assert head_name[0] + "*" in text


@pytest.fixture(autouse=True)
def _no_db(request):
    """Browser tests must not use the per-test `db` fixture: the live server holds the demo data."""
    assert "db" not in request.fixturenames and "world" not in request.fixturenames
