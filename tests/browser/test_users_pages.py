"""高潭镇's admin adds a town reviewer on a phone; the reviewer logs in with the one-time password,
is made to choose a new one, and then sees the town. The admin's pages stay inside 390 px."""

from .conftest import login

WIDTH = 390
PHONE = {"viewport": {"width": WIDTH, "height": 844}, "is_mobile": True, "has_touch": True}


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH + 1, "the page scrolls sideways"


def test_a_town_admin_adds_a_reviewer_who_must_choose_a_password(new_page):
    admin = new_page(**PHONE)
    login(admin, "gaotan.admin")
    admin.goto("/admin/users")
    _no_sideways_scroll(admin)
    listed = admin.inner_text("#users")
    assert "zhongdong.accountant" in listed and "bawei.accountant" not in listed  # 八维村 is another town's
    for cell in ("#users tbody tr td:nth-child(1) a", "#users tbody tr td:nth-child(2)"):  # the way in, the state
        box = admin.locator(cell).first.bounding_box()
        assert box and box["x"] + box["width"] <= WIDTH, f"{cell} off screen: {box}"
    admin.click("text=添加用户")
    admin.fill("#username", "gaotan.viewer")
    admin.fill("#display_name", "周审核")
    admin.select_option("#role", "reviewer")
    admin.fill("#area", "441323110")
    admin.fill("#phone", "138 0000 0000")
    admin.locator("main button[type=submit]:has-text('保存')").click()
    admin.wait_for_load_state()
    _no_sideways_scroll(admin)
    otp = admin.inner_text("#one-time-passwords .otp").strip()
    assert len(otp) >= 8 and admin.get_by_role("button", name="打印").is_visible()

    viewer = new_page(**PHONE)
    login(viewer, "gaotan.viewer", otp)
    assert viewer.url.endswith("/password"), viewer.url
    viewer.goto("/entries")
    assert viewer.url.endswith("/password")  # nothing else before a new password
    viewer.fill("#current_password", otp)
    viewer.fill("#new_password", "zhou-pass-2026")
    viewer.fill("#confirm", "zhou-pass-2026")
    viewer.locator("main button[type=submit]").click()
    viewer.wait_for_load_state()
    assert "/password" not in viewer.url
    assert "周审核" in viewer.inner_text("header")
