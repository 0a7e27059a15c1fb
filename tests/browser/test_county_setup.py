"""Issues 14 and 15's journey: a real county moves into an EMPTY database, on a phone.

`coop init` makes the county and its admin; the admin imports the county's NBS table and its
village groups through 导入区划表, adds a party branch of a group and a cooperative led by it, and
bulk-creates 义和村's accountant and secretary and 高潭镇's reviewer from a sheet (one-time
passwords, printed), then logs out. Each of them logs in with the one-time password and is made
to choose a new one; the secretary adds a project with this year's targets; the accountant logs
an entry and submits it; guesses at the secretary's password from another browser do not keep
her out of her own; she approves it; the town reviewer sees it in the comparison; the comparison
(统计) shows the county's villages with the party metrics. A 390×844 touch viewport in
Chinese; the buttons and cells used on each page lie within the screen's width; a screenshot of
each page goes to test-artifacts/.

This journey needs its own empty database (the package's live server holds the demo), served
from a thread like `live_server`.
"""

import threading

import pytest
from openpyxl import Workbook
from werkzeug.serving import make_server

from coopapp import create_app

from ..builders import credit_code
from .conftest import ARTIFACTS

PASSWORD = "county-pass-2026"
USERS = [
    ("用户名", "姓名", "角色", "区域代码", "手机"),
    ("yihe-acc", "黄会计", "会计", "441323110203", "13800000001"),
    ("yihe-sec", "李书记", "书记", "441323110203", "13800000002"),
    ("gaotan-rev", "周审核", "审核员", "441323110000", ""),
]
WIDTH = 390
PHONE = {"viewport": {"width": WIDTH, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}

NBS = [
    ("统计用区划代码", "城乡分类代码", "名称"),
    (441323000000, None, "惠东县"),
    (441323110000, None, "高潭镇"),
    (441323110201, "220", "中洞村委会"),
    (441323110203, "220", "义和村委会"),
    (441323113000, None, "新庵镇"),
    (441323113201, "220", "新庵村委会"),
]
GROUPS = [
    ("代码", "名称", "上级代码", "层级"),
    ("441323110203001", "义和一组", "441323110203", "村民小组"),
    ("441323110203002", "义和二组", "441323110203", "村民小组"),
    ("441323110201001", "中洞一组", "441323110201", "村民小组"),
]


def _xlsx(path, rows, title=None):
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


@pytest.fixture()
def county_server(empty_database, tmp_path):
    """An app on a brand-new migrated database, served from a thread: (app, base URL). Its kept
    uploads go to a folder of its own: the SQLite and PostgreSQL halves of `make test` run side
    by side, and the other half's sweep of abandoned uploads must not take this one's."""
    from flask_migrate import upgrade

    from coopapp.extensions import db

    config = {"SQLALCHEMY_DATABASE_URI": empty_database, "WTF_CSRF_ENABLED": True}
    app = create_app({**config, "IMPORT_UPLOAD_DIR": str(tmp_path / "uploads")})
    with app.app_context():
        upgrade()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.daemon_threads = False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _cli(app, *args):
    result = app.test_cli_runner().invoke(args=list(args), input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    return result.output


def _within_screen(page, *selectors):
    """Each selector's first element lies within the viewport's width, and the page does not scroll sideways."""
    for selector in selectors:
        box = page.locator(selector).first.bounding_box()
        assert box is not None, f"{selector} not shown"
        assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH + 1, f"{selector} off screen: {box}"
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH + 1, "the page scrolls sideways"


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"county-setup-{name}.png"), full_page=True)


def _login(page, username, password=PASSWORD):
    page.goto("/login")
    _within_screen(page, "#username", "#password", "form:has(#password) button[type=submit]")
    page.fill("#username", username)
    page.fill("#password", password)
    page.locator("form:has(#password) button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, page.inner_text("main")


def _submit(page, text):
    button = page.locator(f"main button[type=submit]:has-text('{text}')").first
    _within_screen(page, f"main button[type=submit]:has-text('{text}')")
    button.click()
    page.wait_for_load_state()


def test_a_county_moves_into_an_empty_database(browser, county_server, tmp_path):
    app, base = county_server
    assert "county 惠东县 initialised" in _cli(
        app, "coop", "init", "--county", "441323000000", "--name", "惠东县", "--admin", "clerk"
    )
    nbs = _xlsx(tmp_path / "统计用区划代码.xlsx", NBS, title="2023年统计用区划代码（惠东县）")
    groups = _xlsx(tmp_path / "村民小组.xlsx", GROUPS)

    context = browser.new_context(base_url=base, **PHONE)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        _login(page, "clerk")

        # 区域 → 导入区划表: the NBS table, previewed, then confirmed; then the groups sheet.
        page.goto("/admin/areas")
        _within_screen(page, "a:has-text('导入区划表')")
        page.click("a:has-text('导入区划表')")
        # The county's own row records its published name (coop init had none): not a rename.
        for path, added, published in ((nbs, 5, 1), (groups, 3, 0)):
            page.set_input_files("#file", str(path))
            _submit(page, "上传并预览")
            main = page.inner_text("main")
            assert f"新增 {added} 个，改名 0 个，记录公布名称 {published} 个" in main, main
            assert "441323110203" in main and "改名（原名" not in main
            _shot(page, f"preview-{path.stem}")
            _submit(page, "确认导入")
            assert f"已导入区划表：新增 {added} 个" in page.inner_text("main")
            if path is nbs:
                page.click("a:has-text('导入区划表')")
        tree = page.inner_text("main")
        assert "义和村" in tree and "义和村委会" in tree and "义和二组" in tree and "新庵镇" in tree
        _shot(page, "areas")

        # 党组织: a branch of 义和一组 (one of 义和村's two groups).
        page.goto("/admin/party-orgs/new")
        page.fill("#name", "义和一组党支部")
        page.select_option("#kind", "branch")
        page.fill("#area", "441323110203001")
        page.fill("#founded", "2019-07-01")
        _submit(page, "保存")
        assert "义和一组党支部" in page.inner_text("main"), page.inner_text("main")
        _shot(page, "party-orgs")

        # 合作社: led by that branch.
        page.goto("/admin/cooperatives/new")
        page.fill("#name", "惠东县义和种养专业合作社")
        page.fill("#credit_code", credit_code(7))
        page.fill("#village", "441323110203")
        page.select_option("#party_org_id", label="义和村 义和一组 · 义和一组党支部")  # (a group's: with its village)
        _submit(page, "保存")
        assert "惠东县义和种养专业合作社" in page.inner_text("main"), page.inner_text("main")
        _shot(page, "cooperatives")
        page.close()

        # 用户 → 批量添加: the sheet, previewed, confirmed; the one-time passwords shown once, printable.
        page = context.new_page()
        page.goto("/admin/users/import")
        page.set_input_files("#file", str(_xlsx(tmp_path / "用户.xlsx", USERS)))
        _submit(page, "上传并预览")
        assert "yihe-acc" in page.inner_text("main") and "gaotan-rev" in page.inner_text("main")
        page.click("#confirm-users")
        page.wait_for_load_state()
        rows = page.locator("#one-time-passwords li")
        otp = {
            rows.nth(i).locator(".username").inner_text(): rows.nth(i).locator(".otp").inner_text() for i in range(3)
        }
        assert sorted(otp) == ["gaotan-rev", "yihe-acc", "yihe-sec"] and all(len(p) >= 8 for p in otp.values())
        _within_screen(page, "#one-time-passwords .otp", "button:has-text('打印')")
        page.evaluate("window.print = () => { window.printed = true; }")
        page.get_by_role("button", name="打印").click()
        assert page.evaluate("window.printed === true"), "the 打印 button does nothing"
        _shot(page, "one-time-passwords")
        page.locator("form[action='/logout'] button").first.click()
        page.wait_for_load_state()
        page.close()

        def first_login(username):
            """Log in with the one-time password: nothing but a new password until it is chosen."""
            ctx = browser.new_context(base_url=base, **PHONE)
            ctx.set_default_timeout(10_000)
            pg = ctx.new_page()
            _login(pg, username, otp[username])
            assert pg.url.endswith("/password"), pg.url
            pg.goto("/entries")
            assert pg.url.endswith("/password"), pg.url
            _within_screen(pg, "#new_password", "main button[type=submit]")
            pg.fill("#current_password", otp[username])
            pg.fill("#new_password", PASSWORD)
            pg.fill("#confirm", PASSWORD)
            pg.locator("main button[type=submit]").click()
            pg.wait_for_load_state()
            assert "/password" not in pg.url, pg.inner_text("main")
            return ctx, pg

        # The village secretary adds the project with this year's targets.
        sec_context, page = first_login("yihe-sec")
        assert "李书记" in page.inner_text("header")
        page.goto("/village/projects/new")
        page.fill("#name", "义和百香果基地")
        page.select_option("#cooperative_id", label="惠东县义和种养专业合作社")
        page.fill("#target_output", "200000")
        page.fill("#target_collective_income", "30000")
        _submit(page, "保存")
        assert "义和百香果基地" in page.inner_text("main"), page.inner_text("main")
        _shot(page, "projects")
        page.close()

        # The accountant logs this month's collective income and submits it.
        acc_context, page = first_login("yihe-acc")
        page.goto("/entries/new")
        page.select_option("#kind", label="村集体收入")
        page.fill("#amount", "1234.50")
        page.fill("#note", "百香果收益")
        page.click("form.grid-form button[type=submit]")
        page.wait_for_load_state()
        page.get_by_role("button", name="提交审核").click()
        page.wait_for_load_state()
        acc_context.close()

        # Guesses at the secretary's password from another browser: that browser is held off…
        guesser = browser.new_context(base_url=base, **PHONE)
        try:
            pg = guesser.new_page()
            for n in range(8):
                pg.goto("/login")
                pg.fill("#username", "yihe-sec")
                pg.fill("#password", f"guess-{n}-wrong")
                pg.locator("form:has(#password) button[type=submit]").click()
                pg.wait_for_load_state()
            assert "/login" in pg.url and "请" in pg.inner_text("main") and "后再试" in pg.inner_text("main")
        finally:
            guesser.close()
        # …but not the secretary, in her own (she logged out and comes back): she approves the entry.
        page = sec_context.new_page()
        page.goto("/")
        page.locator("form[action='/logout'] button").first.click()
        page.wait_for_load_state()
        _login(page, "yihe-sec")
        page.goto("/review")
        row = page.locator("table.data tbody tr", has_text="百香果收益")
        # (On a phone the row is a card, 通过 on screen: tests/browser/test_phone_layout.py.)
        row.get_by_role("button", name="通过").click()
        page.wait_for_load_state()
        assert "已审核通过" in page.inner_text("main"), page.inner_text("main")
        sec_context.close()

        # The town reviewer sees it in the comparison of 高潭镇, and only 高潭镇's villages.
        rev_context, page = first_login("gaotan-rev")
        page.goto("/areas")
        row = page.locator("table.compare tbody tr:has(a:has-text('义和村'))")
        assert "1,234.50" in row.inner_text(), row.inner_text()
        names = page.locator("table.compare tbody td.sticky a").all_inner_texts()
        assert sorted(names) == ["中洞村", "义和村"], names
        _shot(page, "town-reviewer")
        rev_context.close()

        # 统计: the county's villages with the party metrics.
        page = context.new_page()
        context.clear_cookies()
        _login(page, "clerk")
        page.goto("/areas")
        row = page.locator("table.compare tbody tr:has(a:has-text('义和村'))")
        assert row.locator("td.party-branches").inner_text() == "1 / 2 · 50.0%"
        assert row.locator("td.party-coverage").inner_text() == "50.0%"
        assert row.locator("td.coops-led").inner_text() == "1"
        other = page.locator("table.compare tbody tr:has(a:has-text('中洞村'))")
        assert other.locator("td.party-branches").inner_text() == "0 / 1 · 0.0%"
        names = page.locator("table.compare tbody td.sticky a").all_inner_texts()
        assert sorted(names) == ["中洞村", "义和村", "新庵村"]
        _within_screen(page, "table.compare tbody td.sticky")
        _shot(page, "comparison")

        # 区域: move 义和二组 to 中洞村 and merge 新庵村 into 中洞村, picking from the lists on a phone.
        page.goto("/admin/areas/441323110203002/edit")
        _within_screen(page, "#parent")
        page.select_option("#parent", label="441323110201 中洞村")
        _submit(page, "保存")
        assert "已保存" in page.inner_text("main"), page.inner_text("main")
        page.goto("/admin/areas/441323113201/merge")
        _within_screen(page, "#merged_into", "#merged_on")
        assert "441323113201 新庵村" not in page.locator("#merged_into").inner_text()
        page.select_option("#merged_into", label="441323110201 中洞村")
        _shot(page, "merge")
        _submit(page, "撤并")
        assert "新庵村 已并入 441323110201 中洞村" in page.inner_text("main"), page.inner_text("main")
        page.goto("/admin/areas/441323113201/edit")
        assert "合并" in page.inner_text("main") and "并入村：— → 441323110201 中洞村" in page.inner_text("main")
    finally:
        context.close()
