"""One journey per role through the real pages in headless Chromium, on the demo data.

The journeys run in file order: the secretary reviews what the accountant submitted. The last one
(issue 18) follows a large repair through the secretary and the town's agency accountant on phones.
"""

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from coopapp.extensions import db
from coopapp.ledger.operations import current_period
from coopapp.models import Area, Household, LedgerEntry, User, Voucher

from .conftest import login
from .test_phone_layout import _shown

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
    page.get_by_role("button", name="结账", exact=True).click()  # not 申请反结账
    page.wait_for_load_state()
    assert f"将结账 {period}：本月" in page.inner_text("#consequence")  # asked first; nothing closed yet
    page.get_by_role("button", name="确定").click()
    page.wait_for_load_state()
    assert f"{period} 已结账" in page.inner_text("main")
    assert period in page.locator("ul.chips").inner_text()

    page.goto("/distributions/new")
    page.fill("#pool", "8000")  # under the demo county's 10,000 yuan: the secretary alone publishes (issue 18 item 7)
    page.select_option("#basis", label="按股份")
    page.get_by_role("button", name="生成预览").click()
    page.wait_for_load_state()
    assert re.search(r"/distributions/\d+$", page.url), page.inner_text("main")
    assert page.inner_text("#lines-total") == "8,000.00"
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


REPAIR_NOTE = "浏览器测试：修理抽水泵"
REPAIR_PAYEE = "高潭镇永安农机维修部"
ZHONGDONG = "441323110201"
REPAIR_PROJECT = "中洞红色研学接待"
# The project's year-to-date spending on 中洞村's page (its project card).
PROJECT_SPENDING = f"table.data tbody tr:has(a:text-is('{REPAIR_PROJECT}')) td[data-label='支出（元）']"


def _camera_photo() -> bytes:
    """A small JPEG, as a phone's camera hands it to the page's camera input."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (96, 72), (180, 110, 60)).save(out, "JPEG")
    return out.getvalue()


def _yuan(text: str) -> int:
    """Whole yuan of a shown amount such as 12,000.00."""
    return int(round(float(text.replace(",", ""))))


def test_a_large_repair_goes_through_the_secretary_and_the_town_on_phones(new_page, live_app):
    """Issue 18's journey: a 12,000-yuan repair with a camera photo; the secretary's approval leaves
    it 待镇审核 (the demo county's tier: operating spending above 10,000 yuan); the town accountant
    approves it from the town's queue; then it counts and has its voucher number."""
    secretary = new_page(**PHONE)
    login(secretary, "zhongdong.secretary")
    secretary.goto(f"/villages/{ZHONGDONG}")
    spending_before = _yuan(secretary.inner_text(PROJECT_SPENDING))

    accountant = new_page(**PHONE)
    login(accountant, "zhongdong.accountant")
    accountant.goto("/entries/new")
    project = accountant.locator("#project_id option", has_text=REPAIR_PROJECT).first.get_attribute("value")
    accountant.select_option("#project_id", value=project)
    accountant.select_option("#kind", label="经营支出")
    accountant.fill("#amount", "12,000")
    accountant.select_option("#category", label="维修费")
    accountant.select_option("#payment_method", label="银行转账")
    accountant.fill("#payee", REPAIR_PAYEE)
    accountant.fill("#note", REPAIR_NOTE)
    _shown(accountant, "repair-form", category="#category", payee="#payee", save="form.grid-form button[type=submit]")
    accountant.click("form.grid-form button[type=submit]")
    accountant.wait_for_load_state()
    assert re.search(r"/entries/\d+$", accountant.url), accountant.inner_text("main")
    entry_url, entry_id = accountant.url, int(accountant.url.rsplit("/", 1)[1])
    facts = accountant.inner_text("dl.facts")
    assert all(s in facts for s in ("经营支出", "12,000.00", "维修费", "银行转账", REPAIR_PAYEE)), facts

    # The photo "from the camera": the entry page's camera input (accept=image/*, capture).
    photo = {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": _camera_photo()}
    accountant.set_input_files("#voucher-camera", files=[photo])
    accountant.locator("form:has(#voucher-camera) button[type=submit]").click()
    accountant.wait_for_load_state()
    assert "凭证已上传" in accountant.inner_text("main")
    assert accountant.locator(".voucher-grid img").count() == 1
    _shown(
        accountant,
        "repair-draft",
        amount="dl.facts dd.num",
        thumbnail=".voucher-grid img",
        submit="main button:text-is('提交审核')",
    )
    accountant.get_by_role("button", name="提交审核").click()
    accountant.wait_for_load_state()
    assert accountant.inner_text(".badge") == "待审核"

    # The secretary approves from the review queue: it then waits for the town.
    secretary.goto("/review")
    row = secretary.locator("table.data tbody tr", has_text=REPAIR_NOTE)
    assert "12,000.00" in row.inner_text() and row.locator(".queue-thumbs img").count() == 1
    _shown(
        secretary,
        "repair-review",
        amount=f"tr:has-text('{REPAIR_NOTE}') td[data-label='金额（元）']",
        thumbnail=f"tr:has-text('{REPAIR_NOTE}') .queue-thumbs img",
        approve=f"tr:has-text('{REPAIR_NOTE}') button:text-is('通过')",
    )
    row.get_by_role("button", name="通过").click()
    secretary.wait_for_load_state()
    secretary.goto(entry_url)
    assert secretary.inner_text(".badge") == "待镇审核"
    assert "凭证号" not in secretary.inner_text("dl.facts")  # given at the last approval
    secretary.goto(f"/villages/{ZHONGDONG}")
    assert _yuan(secretary.inner_text(PROJECT_SPENDING)) == spending_before  # not counted yet

    # The town accountant finds it in the town's queue, looks at the photo, approves it there.
    town = new_page(**PHONE)
    login(town, "gaotan.town")
    town.goto("/town")
    row = town.locator(f"#entry-{entry_id}")
    assert "中洞村" in row.inner_text() and "12,000.00" in row.inner_text()
    assert row.locator("td.queue-thumbs img").count() == 1  # the town sees the receipt in its queue
    _shown(
        town,
        "repair-town-queue",
        amount=f"#entry-{entry_id} td[data-label='金额（元）']",
        approve=f"#entry-{entry_id} button:text-is('镇审核通过')",
    )
    row.locator("a", has_text=str(entry_id)).click()
    town.wait_for_load_state()
    thumbnail = town.locator(".voucher-grid img")
    thumbnail.scroll_into_view_if_needed()
    assert thumbnail.evaluate("e => e.decode().then(() => e.naturalWidth)") > 0  # the photo itself, served
    _shown(
        town,
        "repair-town-entry",
        amount="dl.facts dd.num",
        thumbnail=".voucher-grid img",
        approve="main button:text-is('镇审核通过')",
    )
    town.go_back()
    town.locator(f"#entry-{entry_id}").get_by_role("button", name="镇审核通过").click()
    town.wait_for_load_state()
    assert "/town" in town.url and town.locator(f"#entry-{entry_id}").count() == 0

    # It counts: the project's spending on the village page, and the entry has its voucher number.
    secretary.goto(f"/villages/{ZHONGDONG}")
    assert _yuan(secretary.inner_text(PROJECT_SPENDING)) == spending_before + 12_000
    accountant.goto(entry_url)
    assert accountant.inner_text(".badge") == "已审核"
    facts = accountant.inner_text("dl.facts")
    assert re.search(r"凭证号\s+\d+", facts) and "高潭镇三资代理会计" in facts, facts

    with live_app.app_context():
        entry = db.session.get(LedgerEntry, entry_id)
        users = {u.id: u.username for u in db.session.scalars(select(User))}
        vouchers = db.session.scalars(select(Voucher).where(Voucher.entry_id == entry_id)).all()
        assert (entry.status, entry.kind, entry.amount_fen) == ("approved", "operating_expense", 1_200_000)
        assert (entry.category, entry.payment_method, entry.payee) == ("维修费", "bank", REPAIR_PAYEE)
        assert users[entry.reviewed_by_id] == "zhongdong.secretary"
        assert users[entry.town_reviewed_by_id] == "gaotan.town"
        assert entry.voucher_no is not None and str(entry.voucher_no) in facts
        assert [(v.content_type, v.thumb_sha256 is not None) for v in vouchers] == [("image/jpeg", True)]
        db.session.remove()


@pytest.fixture(autouse=True)
def _no_db(request):
    """Browser tests must not use the per-test `db` fixture: the live server holds the demo data."""
    assert "db" not in request.fixturenames and "world" not in request.fixturenames
