"""Back after a form's post, in a real browser: the page that answered the post (a confirmation page)
took a plain address in the history (static/settle.js), so Back opens a page instead of Chrome's
"Confirm Form Resubmission" (ERR_CACHE_MISS)."""

from .conftest import login


def test_back_after_confirming_opens_the_page_it_was_asked_from(new_page):
    page = new_page()
    login(page, "zhongdong.secretary")
    page.goto("/months")
    # Without the dialog (a browser without JavaScript's confirm): the server's confirmation page.
    page.evaluate("document.querySelectorAll('form[data-confirm]').forEach(f => f.removeAttribute('data-confirm'))")
    page.locator("form:has(#period) button[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.locator("#consequence").count() == 1
    page.locator("#confirm-yes").click()
    page.wait_for_load_state()
    page.go_back()  # raised net::ERR_CACHE_MISS before
    page.wait_for_load_state()
    assert page.url.endswith("/months") and page.locator("h1").first.inner_text().startswith("月结")
