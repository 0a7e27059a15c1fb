"""Logins in a real browser: guesses from another browser do not keep the secretary out of her own
(the device cookie), and a copy of her session cookie stops working when she logs out."""

from sqlalchemy import delete

from coopapp.extensions import db
from coopapp.models import LoginFailure

from .conftest import DEMO_PASSWORD, login

SECRETARY = "zhongdong.secretary"


def _try(page, password: str) -> str:
    page.goto("/login")
    page.fill("#username", SECRETARY)
    page.fill("#password", password)
    page.locator("form:has(#password) button[type=submit]").click()
    page.wait_for_load_state()
    return page.inner_text("main")


def test_guesses_from_elsewhere_do_not_keep_the_secretary_out(new_page, live_app):
    mine, guesser = new_page(), new_page()
    try:
        login(mine, SECRETARY)
        copy = new_page()
        copy.context.add_cookies(mine.context.cookies())
        copy.goto("/review")
        assert "/login" not in copy.url  # the copy works while her session lasts
        mine.locator("form[action='/logout'] button").click()
        mine.wait_for_load_state()
        copy.goto("/review")
        assert "/login" in copy.url  # ... and not after she logged out
        for n in range(8):
            text = _try(guesser, f"guess-{n:04d}")
        assert "登录失败次数过多" in text and "后再试" in text
        assert "登录失败次数过多" in _try(guesser, DEMO_PASSWORD)  # held back, even with her password
        login(mine, SECRETARY)  # her own browser goes in
        mine.goto("/review")
        assert "/login" not in mine.url
    finally:
        with live_app.app_context():  # the other journeys log in from this address too
            db.session.execute(delete(LoginFailure))
            db.session.commit()
