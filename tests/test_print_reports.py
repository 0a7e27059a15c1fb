"""The printed annual report (A4) and the 公开栏 notice sheet (A3): print HTML, access, and
their PDFs through headless Chromium (rendered to PNG in /tmp/h2-shots to be looked at)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from flask import current_app

from coopapp.distributions.plans import DeductionInput
from coopapp.ledger import operations as ledger

from .builders import approved_entry, built_world, entry_input, published_plan

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SHOTS = Path("/tmp/h2-shots")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PRINT_CSS = Path(__file__).resolve().parent.parent / "coopapp" / "static" / "print.css"


def _village_year(world) -> tuple:
    """中洞村 with a year of approved figures, a published plan, a correction and an unapproved entry."""
    last = entry_input(world.project).period
    year = int(last[:4])
    acc, sec = world.users["accountant"], world.users["secretary"]
    with current_app.test_request_context():
        for month in range(1, int(last[5:]) + 1):
            period = f"{year}-{month:02d}"
            approved_entry(world, period=period, kind="output", amount_fen=9_000_000 + month * 10_000)
            approved_entry(world, period=period, kind="sales", amount_fen=6_000_000 + month * 5_000)
            approved_entry(world, period=period, kind="cost", amount_fen=1_500_000)
        approved_entry(world, period=last, kind="collective_income", amount_fen=880_000)
        wrong = approved_entry(world, period=last, kind="subsidy", amount_fen=123_400)
        reversal = ledger.reverse_entry(acc, wrong, "补贴重复登记")
        ledger.approve_entry(sec, reversal)
        waiting = ledger.create_entry(acc, entry_input(world.project, period=last, kind="sales", amount_fen=999_999))
        ledger.submit_entry(acc, waiting)
        published_plan(world, deductions=[DeductionInput("collective", percent_bp=1500)])
    return year, last


@pytest.fixture()
def village_year(db):
    """中洞村 with a year of approved figures, a published plan, a correction and an unapproved entry
    (built once per run)."""
    world, (year, last) = built_world("print_reports", _village_year)
    return world, year, last


def _quarter_of(period: str) -> str:
    return f"{period[:4]}Q{(int(period[5:]) - 1) // 3 + 1}"


# ----- the print pages --------------------------------------------------------------------


def test_annual_report_print_page(village_year, client, auth):
    world, year, last = village_year
    auth.login("sec")
    resp = client.get(f"/villages/{world.village.code}/annual-report?year={year}")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert f"{world.village.name} {year} 年度经济报告" in page
    assert 'href="/static/print.css"' in page and "<style" not in page  # the CSP forbids inline styles
    # figures, the project against target and last year, households benefited
    assert "中华蜂养殖" in page and "目标完成率" in page and "上年同期" in page and "受益户 / 总户数" in page
    # the charts are the existing chart URLs
    assert f'src="/charts/village/{world.village.code}/benefit.png?year={year}"' in page
    assert f'src="/charts/project/{world.project.id}/output.png?year={year}"' in page
    # distributions with masked names; the correction shown as original, reversal and reason
    assert "张*丰" in page and "李*" in page and "张三丰" not in page
    assert "补贴重复登记" in page and "1,234.00" in page and '<span class="neg">−1,234.00</span>' in page
    # the submitted entry does not count, and the report says so
    assert "9,999.99" not in page and "1 条记录待审核" in page
    assert "size: A4" in PRINT_CSS.read_text(encoding="utf-8")


def test_notice_sheet_month_and_quarter(village_year, client, auth):
    world, year, last = village_year
    auth.login("sec")
    month_page = client.get(f"/villages/{world.village.code}/notice?period={last}").get_data(as_text=True)
    assert "村务公开栏" in month_page and "财务收支公开" in month_page
    assert 'class="notice"' in month_page
    assert "补贴重复登记" in month_page and "收入合计" in month_page and "支出合计" in month_page
    # the QR code: an inline SVG (no style attribute) pointing at the public page
    assert '<svg viewBox="0 0 ' in month_page and "style=" not in month_page
    assert f'data-public-url="http://localhost/p/{world.village.code}"' in month_page
    assert "签字" in month_page and "公布日期" in month_page
    quarter = _quarter_of(last)
    quarter_page = client.get(f"/villages/{world.village.code}/notice?quarter={quarter}").get_data(as_text=True)
    assert "季度" in quarter_page and "收入合计" in quarter_page
    css = PRINT_CSS.read_text(encoding="utf-8")
    assert re.search(r"@page notice \{ size: A3", css) and "page: notice" in css


def test_notice_sheet_refuses_a_bad_period_with_a_chinese_message(world, client, auth):
    auth.login("sec")
    for query in ("period=2025-13", "quarter=2025Q5", "quarter=2025-09"):
        resp = client.get(f"/villages/{world.village.code}/notice?{query}")
        assert resp.status_code == 400
        body = resp.get_data(as_text=True)
        assert "2025Q3" in body


@pytest.mark.parametrize(
    ("username", "status"),
    [("sec", 200), ("acc", 200), ("town", 200), ("county", 200), ("sec2", 403), ("acc2", 403), ("admin", 200)],
)
@pytest.mark.parametrize("page", ["annual-report", "notice", "annual-report.pdf?x=", "notice.pdf?x="])
def test_print_pages_keep_to_the_scope(world, client, auth, app, monkeypatch, username, status, page):
    monkeypatch.setitem(app.config, "PDF_CHROMIUM", "")  # no Chromium run for an access check
    auth.login(username)
    resp = client.get(f"/villages/{world.village.code}/{page}")
    expected = 302 if status == 200 and ".pdf" in page else status
    assert resp.status_code == expected


def test_print_pages_need_a_login_and_a_village(world, client, auth):
    assert client.get(f"/villages/{world.village.code}/annual-report").status_code == 302
    assert client.get(f"/villages/{world.village.code}/notice").status_code == 302
    auth.login("county")
    assert client.get(f"/villages/{world.town_a.code}/annual-report").status_code == 404
    assert client.get("/villages/441323999999/notice").status_code == 404


def test_pdf_without_chromium_sends_the_user_to_print_by_hand(village_year, client, auth, app, monkeypatch):
    world, year, last = village_year
    monkeypatch.setitem(app.config, "PDF_CHROMIUM", "/nonexistent/chromium")
    auth.login("sec")
    for pdf, page in (
        (f"annual-report.pdf?year={year}", f"/villages/{world.village.code}/annual-report?year={year}"),
        (f"notice.pdf?period={last}", f"/villages/{world.village.code}/notice?period={last}"),
    ):
        resp = client.get(f"/villages/{world.village.code}/{pdf}")
        assert resp.status_code == 302 and resp.location == page
        shown = client.get(resp.location).get_data(as_text=True)
        assert "本机无法生成 PDF" in shown and "另存为 PDF" in shown


# ----- PDFs with the real Chromium --------------------------------------------------------

POPPLER = all(shutil.which(tool) for tool in ("pdftoppm", "pdfinfo", "pdftotext"))
# On a laptop without them these tests skip; in CI (which installs both) they run, and fail if missing.
needs_chromium = pytest.mark.skipif(
    (CHROMIUM is None or not POPPLER) and not IN_CI,
    reason="no Chromium or poppler-utils on this machine (CI installs them)",
)


def _pdf_pages(body: bytes, name: str) -> tuple[str, str]:
    """Save the PDF, render its pages to PNG in /tmp/h2-shots, return (pdfinfo, pdftotext)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.pdf"
    path.write_bytes(body)
    for old in SHOTS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(SHOTS / name)], check=True, timeout=120)
    assert list(SHOTS.glob(f"{name}-*.png"))
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return info, text


@needs_chromium
def test_annual_report_pdf_is_a4_with_chinese_text_and_charts(village_year, client, auth):
    world, year, last = village_year
    auth.login("sec")
    resp = client.get(f"/villages/{world.village.code}/annual-report.pdf?year={year}")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.data.startswith(b"%PDF")
    assert f"annual-{world.village.code}-{year}.pdf" in resp.headers["Content-Disposition"]
    info, text = _pdf_pages(resp.data, "annual")
    assert "(A4)" in info
    squeezed = re.sub(r"\s+", "", text)
    assert f"{world.village.name}{year}年度经济报告" in squeezed
    assert "补贴重复登记" in squeezed and "张*丰" in squeezed and "张三丰" not in squeezed
    assert "下载PDF" not in squeezed  # the toolbar never prints
    # the three charts (benefit, output, yield) are inside the PDF, not links to the app
    images = subprocess.run(
        ["pdfimages", "-list", str(SHOTS / "annual.pdf")], check=True, capture_output=True, text=True
    ).stdout
    assert len([line for line in images.splitlines()[2:] if " image " in line]) == 3


@needs_chromium
def test_notice_pdf_is_a3_with_chinese_text(village_year, client, auth):
    world, year, last = village_year
    auth.login("sec")
    resp = client.get(f"/villages/{world.village.code}/notice.pdf?quarter={_quarter_of(last)}")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    info, text = _pdf_pages(resp.data, "notice")
    assert "(A3)" in info
    squeezed = re.sub(r"\s+", "", text)
    assert "村务公开栏" in squeezed and "收入合计" in squeezed and "扫码查看本村村务公开" in squeezed
    assert f"/p/{world.village.code}" in squeezed


def test_pdf_renders_are_limited_and_the_rest_are_told_to_retry(village_year, client, auth, app, monkeypatch):
    """A burst of PDF requests cannot tie up every worker: past MAX_RENDERS at once, a clear message."""
    from coopapp.web.disclosure import pdf

    world, year, _last = village_year
    monkeypatch.setitem(app.config, "PDF_CHROMIUM", "/bin/true")  # found, but never reached
    monkeypatch.setattr(pdf, "_SLOTS", pdf.threading.BoundedSemaphore(1))
    monkeypatch.setattr(pdf, "WAIT_SECONDS", 0.05)
    assert pdf._SLOTS.acquire(timeout=1)  # another request is rendering (and stays at it)
    auth.login("sec")
    resp = client.get(f"/villages/{world.village.code}/annual-report.pdf?year={year}")
    assert resp.status_code == 302
    assert "正在生成的 PDF 太多" in client.get(resp.location).get_data(as_text=True)


@needs_chromium
def test_a_long_plan_starts_on_the_notices_first_page(world, client, auth):
    """A plan of 90 households is longer than what is left of page 1: it breaks between its lines
    instead of leaving page 1 half empty and starting on page 2."""
    from decimal import Decimal

    from coopapp.extensions import db
    from coopapp.models import Household

    homes = [Household(village_id=world.village.id, head_name=f"陈{n:02d}", members=2) for n in range(90)]
    db.session.add_all(homes)
    db.session.commit()
    fixed = [(home.id, Decimal(1)) for home in homes]
    plan = published_plan(world, basis="fixed", fixed=fixed, deductions=[])
    auth.login("sec")
    resp = client.get(f"/villages/{world.village.code}/notice.pdf?period={plan.period}")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    _info, text = _pdf_pages(resp.data, "long-plan")
    pages = [re.sub(r"\s+", "", page) for page in text.split("\f")]
    assert len(pages) >= 2 and "中华蜂养殖·" in pages[0] and "陈" in pages[0]  # the plan begins on page 1
