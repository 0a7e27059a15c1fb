"""Issue 17 item 1: at 390 × 844 (touch, zh-CN) each page shows what its user came for.

One test per role, logged in once (its home, the to-dos, first): the page has no sideways scroll and every key element (each
amount, household, note, both review buttons, each problem of an import, the year total, the public
page's nine columns, the comparison's rank, village and chosen figure) lies within the screen's
width. Wide tables become cards there (`table.data.cards`, app.css); at 1280 px they stay tables.
Each page's screenshot goes to test-artifacts/phone-*.png. The charts' phone drawing keeps its
labels at 11 CSS px or more: tests/test_charts.py computes it for PHONE_SHOWN_PX, measured here.

Layout is the templates' and the stylesheet's, the same on both databases: these run in the SQLite run
(the journeys in test_journeys.py drive phones on both).
"""

import re

import pytest
from sqlalchemy import func, select

from coopapp.charts.base import PHONE_DPI, PHONE_SHOWN_PX, PHONE_WIDTH_IN
from coopapp.extensions import db
from coopapp.models import Area, Household, LedgerEntry

from ..builders import M, write_xlsx
from .conftest import ARTIFACTS, login

pytestmark = pytest.mark.sqlite_run

WIDTH = 390
PHONE = {"viewport": {"width": WIDTH, "height": 844}, "is_mobile": True, "has_touch": True}
AMOUNT = "td[data-label='金额（元）']"
PROBLEM = "td[data-label='问题']"
# A statement's amounts and subtotals, line by line or (a busy year) month by month.
LINES = "td[data-label='金额（元）'], .month-totals .num"
# The home page's to-dos (the page after login): each count, what it counts and its link.
# (A to-do the page hides — the entries kept offline, shown by offline.js when there are any — is not drawn.)
TODOS = {
    "count": ".todo:not([hidden]) .todo-head .todo-count",
    "title": ".todo:not([hidden]) .todo-head .todo-title",
    "go": ".todo:not([hidden]) .todo-head .todo-go",
}
SUBTOTALS = ".subtotal td.num, td.subtotal-cell"
BOXES = "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.right, r.width, e.outerHTML.slice(0, 80)]; })"


def _shown(page, name: str, **key_elements: str) -> None:
    """Screenshot `name`; no sideways scroll; each selector of `key_elements` finds elements, all
    drawn (not hidden) within the screen's width."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"phone-{name}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("window.innerWidth"), (
        f"{name} scrolls sideways"
    )
    for what, selector in key_elements.items():
        boxes = page.locator(selector).evaluate_all(BOXES)
        assert boxes, f"{name}: no {what} ({selector})"
        for left, right, width, html in boxes:
            assert width > 0 and left >= 0 and right <= WIDTH + 0.5, f"{name}: {what} off screen {left}–{right}: {html}"


def test_accountant_sees_amounts_and_every_import_problem(new_page, tmp_path):
    page = new_page(**PHONE)
    login(page, "zhongdong.accountant")
    _shown(page, "home-accountant", **TODOS)  # the page after login: the to-dos
    page.goto("/entries")
    _shown(page, "ledger", amount=AMOUNT, status="main table .badge")

    rows = [
        [M.replace(day=5), "卖蜂蜜", "销售收入", None, "一百", "摘要写得很长很长很长很长很长很长很长很长很长很长"],
        [M.replace(day=6), "饲料", "不知道是什么类别", None, "200", None],
    ]
    page.goto("/imports/ledger")
    page.set_input_files("input[type=file]", str(write_xlsx(tmp_path / "有错的台账.xlsx", rows)))
    page.locator("main button[type=submit]").first.click()
    page.wait_for_load_state()
    errors = int(re.search(r"文件中有 (\d+) 处错误", page.inner_text("main")).group(1))
    assert errors >= 2 and page.locator(PROBLEM).count() == errors  # every problem listed
    _shown(page, "import-preview", problem=PROBLEM, row="td[data-label='行号']")


def test_secretary_reviews_reads_a_statement_and_previews_a_plan(new_page, live_app):
    household_id, year = _busiest_household(live_app)
    page = new_page(**PHONE)
    login(page, "zhongdong.secretary")
    _shown(page, "home-secretary", **TODOS)

    page.goto("/review")
    rows = page.locator("main table tbody tr").count()
    assert rows and page.get_by_role("button", name="通过").count() == rows
    _shown(
        page,
        "review-queue",
        amount=AMOUNT,
        household="td[data-label='农户']:not(:empty)",
        note="td[data-label='摘要']:not(:empty)",
        approve="main button:text-is('通过')",
        reason="main input[name=reason]",
        send_back="main button:text-is('退回')",
    )
    page.set_viewport_size({"width": 1280, "height": 800})  # a desktop keeps the table
    assert page.locator("main table thead").is_visible()
    assert page.locator("main table tbody tr").first.evaluate("e => getComputedStyle(e).display") == "table-row"
    page.set_viewport_size(PHONE["viewport"])

    page.goto(f"/village/households/{household_id}/statement?year={year}")
    assert f"{year} 年合计" in page.inner_text("tfoot")
    _shown(page, "statement", amount=LINES, subtotal=SUBTOTALS, total="tfoot th", year_total="[data-total-fen]")
    # A new QR code asks first (item 2): in a dialog (static/confirm.js), here dismissed: nothing sent…
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    qr = page.locator("figure.qr-box").get_attribute("data-public-url")
    page.get_by_role("button", name="换新二维码").click()
    assert asked and "户换新二维码" in asked[0]
    page.reload()
    assert page.locator("figure.qr-box").get_attribute("data-public-url") == qr
    # …and without JavaScript, on the server's confirmation page, which fits the phone.
    plain = new_page(**PHONE, java_script_enabled=False)
    login(plain, "zhongdong.secretary")
    plain.goto(f"/village/households/{household_id}/statement?year={year}")
    plain.get_by_role("button", name="换新二维码").click()
    plain.wait_for_load_state()
    assert "户换新二维码" in plain.inner_text("#consequence")
    _shown(plain, "confirm", sentence="#consequence", confirm="#confirm-yes", cancel="#confirm-no")
    plain.click("#confirm-no")  # 取消: back to the statement, the QR code unchanged
    plain.wait_for_load_state()
    assert f"/statement?year={year}" in plain.url
    assert plain.locator("figure.qr-box").get_attribute("data-public-url") == qr

    page.goto("/distributions/new")
    page.fill("#pool", "3万")
    page.select_option("#basis", label="按股份")
    page.select_option("#deductions-0-kind", label="村集体留存")
    page.fill("#deductions-0-percent", "15")
    page.get_by_role("button", name="生成预览").click()
    page.wait_for_load_state()
    assert re.search(r"/distributions/\d+$", page.url), page.inner_text("main")
    _shown(
        page,
        "distribution-preview",
        deduction=".plan-sums td:not(:empty)",
        line=".plan-lines td",
        total="#lines-total",
        distributable="#distributable",
        approve="main button:text-is('审批方案')",
    )
    page.get_by_role("button", name="删除方案").click()  # the journeys' secretary plans this month too
    page.wait_for_load_state()

    page.goto("/villages/441323110201")  # 中洞村's dashboard: its charts in their phone drawing
    charts = page.locator("figure.chart img")
    assert charts.count() >= 2
    for n in range(charts.count()):
        img = charts.nth(n)
        img.scroll_into_view_if_needed()
        img.evaluate("e => e.decode()")
        src, natural, shown = img.evaluate("e => [e.currentSrc, e.naturalWidth, e.getBoundingClientRect().width]")
        assert "size=phone" in src and natural == PHONE_WIDTH_IN * PHONE_DPI, (src, natural)
        assert shown >= PHONE_SHOWN_PX, shown  # tests/test_charts.py: labels ≥ 11 CSS px at this width
    _shown(page, "village-dashboard", chart="figure.chart img", project="td[data-label='产值（元）']")

    for path in (  # the secretary's other pages and the printable sheets: nothing scrolls sideways
        "/village/households",
        f"/village/households/{household_id}",
        "/village/projects",
        "/distributions",
        "/months",
        "/warnings",
        "/villages/441323110201/notice",
        "/villages/441323110201/annual-report",
    ):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, f"{path} scrolls sideways"


def test_a_villager_sees_every_amount_and_the_public_page_every_column(new_page, live_app):
    household_id, year = _busiest_household(live_app)
    with live_app.app_context():
        token = db.session.get(Household, household_id).public_token
        code = db.session.scalar(select(Area.code).where(Area.name == "中洞村"))
        db.session.remove()
    page = new_page(**PHONE)
    page.goto(f"/s/{token}?year={year}")
    assert f"{year} 年合计" in page.inner_text("tfoot")
    _shown(page, "public-statement", amount=LINES, subtotal=SUBTOTALS, year_total="[data-total-fen]")

    page.goto(f"/p/{code}")
    figures = page.locator("table.cards").first
    assert figures.locator("thead th").count() == 9
    for row in range(figures.locator("tbody tr").count()):
        assert figures.locator("tbody tr").nth(row).locator("td, th").count() == 9
    _shown(page, "public-village", cell="table.cards >> nth=0 >> tbody td, tbody th")


def test_reviewer_sees_rank_village_and_the_chosen_figure(new_page):
    page = new_page(**PHONE)
    login(page, "county.reviewer")
    _shown(page, "home-reviewer", **TODOS, village=".todo-items a")
    for sort, label in (("", "村集体收入（元）"), ("coverage", "覆盖率")):
        page.goto(f"/areas?sort={sort}&dir=desc" if sort else "/areas")
        assert page.inner_text("table.compare th.chosen") == label
        shares = page.locator("table.compare td.chosen").all_inner_texts()
        if sort == "coverage":
            assert all(s.endswith("%") for s in shares) and shares == sorted(shares, key=lambda s: -float(s[:-1]))
        _shown(
            page,
            f"comparison-{sort or 'default'}",
            rank="table.compare tbody td:first-child",
            village="table.compare td.sticky a",
            figure="table.compare td.chosen",
        )


def test_town_accountant_sees_the_queue_and_the_county_admin_the_settings(new_page):
    """Issue 18: the town's queue (the demo's 12,000-yuan repair waits there) and the county's settings."""
    page = new_page(**PHONE)
    login(page, "gaotan.town")
    _shown(page, "home-town", **TODOS)
    page.goto("/town")
    town_entries = "table.town-entries"
    _shown(
        page,
        "town-queue",
        amount=f"{town_entries} td[data-label='金额（元）']",
        village=f"{town_entries} td[data-label='村']",
        approve=f"{town_entries} button:text-is('镇审核通过')",
        reason=f"{town_entries} input[name=reason]",
        send_back=f"{town_entries} button:text-is('退回')",
    )
    page.goto("/warnings")
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, "/warnings scrolls sideways"

    admin = new_page(**PHONE)
    login(admin, "admin")
    admin.goto("/settings")
    _shown(
        admin,
        "settings",
        tier_above="input[name$='-above']",
        voucher="#voucher_required_above",
        save="main button:text-is('保存设置')",
    )


def _busiest_household(live_app) -> tuple[int, int]:
    """中洞村's household with the most approved payouts in one year, and that year."""
    with live_app.app_context():
        village = db.session.scalar(select(Area.id).where(Area.name == "中洞村"))
        year = func.substr(LedgerEntry.period, 1, 4)
        household_id, period_year = db.session.execute(
            select(LedgerEntry.household_id, year)
            .where(LedgerEntry.village_id == village, LedgerEntry.household_id.is_not(None))
            .where(LedgerEntry.status == "approved")
            .group_by(LedgerEntry.household_id, year)
            .order_by(func.count().desc(), LedgerEntry.household_id)
            .limit(1)
        ).one()
        db.session.remove()
    return household_id, int(period_year)
