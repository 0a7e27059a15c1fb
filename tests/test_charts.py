"""Chart endpoints: valid PNG and SVG for real and empty data, ETag/304, access and errors."""

import io
import xml.etree.ElementTree as ET
from decimal import Decimal

import matplotlib.image
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text
from sqlalchemy import event

from coopapp import charts
from coopapp.charts import base, compare, fonts
from coopapp.charts.cache import CACHE
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import Project
from coopapp.reporting import chart_data

from .builders import approved_entry, entry_input
from .conftest import IN_CI


@pytest.fixture(autouse=True)
def empty_chart_cache():
    """Ids and the audit sequence restart with each test's fresh tables: start cold."""
    CACHE.clear()
    yield
    CACHE.clear()


@pytest.fixture()
def data(world):
    """Approved output for the bees, PV output in kWh for Bawei, payouts to two households."""
    approved_entry(world, kind="output", amount_fen=12_000_000, quantity=Decimal(800), unit="kg")
    approved_entry(world, kind="dividend", household_id=world.households[0].id, amount_fen=150_000)
    approved_entry(world, kind="dividend", household_id=world.households[1].id, amount_fen=90_000)
    acc2, sec2 = world.users["other_accountant"], world.users["other_secretary"]
    pv = ledger.create_entry(
        acc2, entry_input(world.other_project, kind="output", amount_fen=500_000, quantity=Decimal(9000), unit="kWh")
    )
    ledger.submit_entry(acc2, pv)
    ledger.approve_entry(sec2, pv)
    return world


def chart_urls(world, year: int) -> list[str]:
    return [
        f"/charts/project/{world.project.id}/output.png?year={year}",
        f"/charts/project/{world.project.id}/output.svg?year={year}",
        f"/charts/project/{world.project.id}/yield.png",
        f"/charts/project/{world.other_project.id}/yield.svg",
        f"/charts/village/{world.village.code}/benefit.png?year={year}",
        f"/charts/village/{world.village.code}/benefit.svg?year={year}",
        f"/charts/compare.png?area={world.county.code}&year={year}&metric=collective_income",
        f"/charts/compare.svg?area={world.county.code}&year={year}&metric=output_value&by=town",
    ]


def assert_png(body: bytes) -> None:
    assert body.startswith(b"\x89PNG\r\n\x1a\n")
    pixels = matplotlib.image.imread(io.BytesIO(body), format="png")
    height, width = pixels.shape[:2]
    assert width >= 800 and height >= 400
    assert pixels.std() > 0.01  # not a blank image


def assert_svg(body: bytes) -> ET.Element:
    root = ET.fromstring(body)
    assert root.tag.endswith("svg")
    assert len(body) > 2000
    return root


def assert_image(resp) -> None:
    assert resp.status_code == 200, resp.data[:300]
    if resp.mimetype == "image/png":
        assert_png(resp.data)
    else:
        assert resp.mimetype == "image/svg+xml"
        assert_svg(resp.data)


def svg_text(resp_or_body) -> str:
    """An SVG chart's words: matplotlib draws glyphs as paths and keeps each text in a comment.

    Without a CJK font every chart only says "CJK font missing" (test_charts_fonts fails in CI).
    """
    if fonts.chart_font() is None and not IN_CI:
        pytest.skip("no CJK font here: charts say 'CJK font missing' instead of their Chinese text")
    body = resp_or_body if isinstance(resp_or_body, bytes) else resp_or_body.data
    return body.decode()


def test_every_chart_renders_real_data(data, client, auth):
    year = int(entry_input(data.project).period[:4])
    auth.login("county")
    for url in chart_urls(data, year):
        assert_image(client.get(url))


def test_every_chart_renders_a_year_without_data(world, client, auth):
    auth.login("county")
    for url in chart_urls(world, 2019):
        resp = client.get(url)
        assert_image(resp)
    output = client.get(f"/charts/project/{world.project.id}/output.svg?year=2019")
    assert "2019 年和 2018 年都没有已审核的产值数据" in svg_text(output)
    benefit = client.get(f"/charts/village/{world.village.code}/benefit.svg?year=2019")
    assert "2019 年没有已审核的农户收益" in svg_text(benefit)
    ranking = client.get(f"/charts/compare.svg?area={world.county.code}&year=2019")
    assert "2019 年没有村集体收入数据" in svg_text(ranking)


def test_empty_states_say_why(world, client, auth):
    no_capacity = Project(name="红色研学接待", type="tourism", village_id=world.village.id)
    db.session.add(no_capacity)
    db.session.commit()
    auth.login("county")
    resp = client.get(f"/charts/project/{no_capacity.id}/yield.svg")
    assert_image(resp)
    assert "项目没有规模，无法计算单位产出" in svg_text(resp)
    resp = client.get(f"/charts/project/{world.project.id}/yield.svg")
    assert "项目还没有已审核的产值，无法计算单位产出" in svg_text(resp)
    resp = client.get(f"/charts/village/{world.sibling_village.code}/benefit.svg")
    assert_image(resp)
    assert "本村还没有登记农户" in svg_text(resp)


def test_chart_data_reads_only_the_summary_tables(data, client, auth):
    year = int(entry_input(data.project).period[:4])
    auth.login("county")
    statements: list[str] = []

    def remember(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        for url in chart_urls(data, year):
            assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert any("monthly_summaries" in s for s in statements)
    assert any("household_year_summaries" in s for s in statements)
    assert not [s for s in statements if "ledger_entries" in s]


def test_the_numbers_follow_the_summaries(data):
    year = int(entry_input(data.project).period[:4])
    month = int(entry_input(data.project).period[5:])
    out = chart_data.project_output(data.project, year)
    assert out["months_fen"][month - 1] == 12_000_000 and out["total_fen"] == 12_000_000
    pv = chart_data.project_yield(data.other_project)
    assert pv["basis"] == "quantity" and pv["years"][-1]["yield"] == Decimal(90)  # 9,000 kWh / 100 kW
    bees = chart_data.project_yield(data.project)
    assert bees["basis"] == "value" and bees["years"][-1]["yield"] == Decimal(40)  # 120,000 元 / 3,000 箱
    benefit = chart_data.village_benefit(data.village, year)
    assert benefit["payouts"] == [(90_000, False), (150_000, True)]
    assert benefit["benefited"] == 2 and benefit["households"] == 3 and benefit["formerly_poor_benefited"] == 1


def test_alt_text_and_table(data, app):
    year = int(entry_input(data.project).period[:4])
    text = charts.describe("output", chart_data.project_output(data.project, year))
    assert "中华蜂养殖" in text.alt and "120,000.00" in text.alt
    assert len(text.columns) == 4 and len(text.rows) == 13
    assert text.rows[-1][1] == "120,000.00"
    benefit = charts.describe("benefit", chart_data.village_benefit(data.village, year))
    assert sum(int(r[3]) for r in benefit.rows) == 2 and "2 户 / 共 3 户" in benefit.alt


def test_village_page_shows_each_project_chart_with_its_table(data, client, auth):
    year = int(entry_input(data.project).period[:4])
    auth.login("sec")
    page = client.get(f"/villages/{data.village.code}?year={year}").get_data(as_text=True)
    src = f"/charts/project/{data.project.id}/output.png?year={year}"
    assert src in page and 'alt="中华蜂养殖' in page and "<details>" in page
    assert client.get(src).status_code == 200


def test_etag_and_304_without_rendering(data, client, auth, monkeypatch):
    year = int(entry_input(data.project).period[:4])
    auth.login("county")
    url = f"/charts/project/{data.project.id}/output.png?year={year}"
    first = client.get(url)
    tag = first.headers["ETag"]
    assert tag and first.headers["Cache-Control"] == "private, max-age=0, must-revalidate"

    def no_drawing(*_a, **_kw):
        raise AssertionError("drew a chart the cache or the browser already had")

    monkeypatch.setattr(charts, "chart_bytes", no_drawing)
    again = client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == tag
    cached = client.get(url)
    assert cached.status_code == 200 and cached.data == first.data
    monkeypatch.undo()
    # An approval changes the data version: a new ETag and a fresh picture.
    approved_entry(data, kind="output", amount_fen=1_000_000)
    changed = client.get(url, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    if fonts.chart_font() is not None:  # without one both are the "font missing" picture
        assert changed.data != first.data


@pytest.mark.parametrize(
    ("user", "path", "status"),
    [
        ("town", "/charts/compare.png?area=441323107", 403),  # the other town
        ("town", "/charts/compare.png?area=441323", 403),  # above the town reviewer's scope
        ("town", "/charts/village/441323107203/benefit.png", 403),
        ("sec2", "/charts/village/441323110201/benefit.svg", 403),
        ("town", "/charts/project/{other}/output.png", 403),
        ("county", "/charts/project/999999/output.png", 404),
        ("county", "/charts/project/999999/yield.svg", 404),
        ("county", "/charts/village/000000000000/benefit.png", 404),
        ("county", "/charts/village/441323110/benefit.png", 404),  # a town, not a village
        ("county", "/charts/compare.png?area=999", 404),
        ("county", "/charts/compare.png?metric=nope", 400),
        ("county", "/charts/compare.svg?by=province", 400),
        ("county", "/charts/project/{own}/output.png?year=1999", 400),
        ("county", "/charts/project/{own}/output.png?year=abc", 400),
        ("county", "/charts/village/441323110201/benefit.png?year=99999", 400),
        ("town", "/charts/compare.png?area=441323110", 200),
        ("sec", "/charts/project/{own}/yield.png", 200),
    ],
)
def test_access_and_bad_input(world, client, auth, user, path, status):
    auth.login(user)
    resp = client.get(path.format(own=world.project.id, other=world.other_project.id))
    assert resp.status_code == status
    # Refusals are images too (an <img> shows the reason), never cached.
    assert resp.mimetype in ("image/png", "image/svg+xml")
    if status != 200:
        assert resp.headers["Cache-Control"] == "no-store" and "ETag" not in resp.headers


def test_login_required(world, client):
    resp = client.get(f"/charts/project/{world.project.id}/output.png")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_without_a_cjk_font_the_chart_says_so_in_ascii(world, client, auth, monkeypatch):
    monkeypatch.setattr(base, "chart_font", lambda: None)
    auth.login("county")
    resp = client.get(f"/charts/project/{world.project.id}/output.svg")
    assert resp.status_code == 200
    assert "CJK font missing: run make fonts" in svg_text(resp)
    assert_png(client.get(f"/charts/project/{world.project.id}/output.png").data)


def test_a_long_ranking_shows_top_and_bottom_and_says_how_many_are_left_out(app):
    rows = [{"code": f"{i:03d}", "name": f"第{i}村", "value": (100 - i) * 10_000_00, "weak": i > 50} for i in range(70)]
    data = {
        "area": "惠东县",
        "year": 2025,
        "metric": "collective_income",
        "by": "village",
        "rows": rows,
        "weak_threshold_fen": 100_000_00,
    }
    shown, skipped = compare.shown_rows(data)
    assert len(shown) == compare.MAX_BARS and skipped == 30
    body = charts.chart_bytes("compare", data, "svg")
    assert "另 30 个" in svg_text(body) and "薄弱村标准" in svg_text(body)
    with app.test_request_context():
        assert len(charts.describe("compare", data).rows) == 70


def test_benefit_bands_hold_every_household(app):
    payouts = [(13_600, False), (500_000, True), (586_211, False), (5_277_500, True), (5_277_500, False)]
    data = {"payouts": payouts}
    from coopapp.charts.benefit import bins, counts

    edges = bins(data)
    assert edges[0] <= 13_600 and edges[-1] >= 5_277_500
    assert sum(a + b for a, b in counts(data, edges)) == len(payouts)
    assert bins({"payouts": [(30_000_00, True)] * 4})[0] <= 30_000_00


def test_chinese_amounts():
    assert base.chinese_amount(8000) == "8,000"
    assert base.chinese_amount(15000) == "1.5万"
    assert base.chinese_amount(184000, fixed=True) == "18.40万"
    assert base.chinese_amount(120_000_000) == "1.2亿"
    assert base.chinese_amount(-20000) == "−2万"


def test_phone_charts_keep_labels_at_11_css_px_on_a_390_px_screen(data, client, auth):
    """Under 720 px pages ask for ?size=phone: 800 × 720 px, its smallest text shown PHONE_SHOWN_PX
    wide (what tests/browser/test_phone_layout.py measures at 390 px) at least 11 CSS px, no text
    past the image's edges; the page size stays as it was."""
    year = int(entry_input(data.project).period[:4])
    loaded = {
        "output": chart_data.project_output(data.project, year),
        "yield": chart_data.project_yield(data.project),
        "benefit": chart_data.village_benefit(data.village, year),
    }
    for name, chart in loaded.items():
        with base.drawing("phone") as figure_of:
            fig = figure_of(lambda: charts.MODULES[name].draw(chart))  # noqa: B023 (drawn at once)
            canvas = FigureCanvasAgg(fig)
            canvas.draw()
            width_px = fig.get_figwidth() * fig.dpi
            texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
            smallest = min(t.get_fontsize() for t in texts) / 72 * fig.dpi * base.PHONE_SHOWN_PX / width_px
            assert smallest >= 11, (name, smallest)
            for t in texts:
                box = t.get_window_extent(canvas.get_renderer())
                assert box.x0 >= -1 and box.x1 <= width_px + 1, (name, t.get_text(), box)

    auth.login("sec")
    page = client.get(f"/villages/{data.village.code}?year={year}").get_data(as_text=True)
    src = f"/charts/project/{data.project.id}/output.png?year={year}"
    assert f'media="(max-width: 719px)" srcset="{src.replace("&", "&amp;")}&amp;size=phone"' in page
    phone = matplotlib.image.imread(io.BytesIO(client.get(f"{src}&size=phone").data), format="png")
    page_size = matplotlib.image.imread(io.BytesIO(client.get(src).data), format="png")
    assert phone.shape[:2] == (720, 800) and page_size.shape[:2] == (500, 800)
    assert client.get(f"{src}&size=huge").status_code == 400
