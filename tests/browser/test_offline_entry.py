"""Offline entry for real (issue 17): the network is cut where the service worker cannot miss it.

Playwright's `set_offline` does not reach a service worker's requests (microsoft/playwright#2311),
so every request the page and its service worker make is aborted (`context.route`). Two entries
saved with no network and the page reloaded offline (the form still opens); with the network
back, exactly two drafts. Then the connection drops after the server got a send: still exactly
two. An unsent entry is not shown to, nor sent under, the next user of the same browser, and
goes out when its writer logs in again.
"""

import io

from PIL import Image
from sqlalchemy import select

from coopapp.extensions import db
from coopapp.models import LedgerEntry
from coopapp.vouchers.operations import vouchers_of

from .conftest import login

ACCOUNTANT = "zhongdong.accountant"
OTHER = "bawei.accountant"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
QUEUE_ROWS = "#offline-queue tbody tr"
CACHED = """async () => {
  const cache = await caches.open("coop-pages");
  return !!(navigator.serviceWorker.controller && await cache.match("/entries/new")
            && await cache.match("/entries") && await cache.match("/offline/choices.json"));
}"""


def _until(page, script: str) -> None:
    """Poll an async `script` (page.evaluate awaits its promise; wait_for_function would not)."""
    for _ in range(100):
        if page.evaluate(script):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"still false after 10 s: {script}")


def _kept_for_offline(page) -> None:
    """The service worker active and the form, the list and the choices kept (a page loaded while
    the worker was activating stays uncontrolled: the next load is controlled)."""
    page.goto("/entries")
    page.evaluate("async () => { await navigator.serviceWorker.ready; return true; }")
    page.reload()
    _until(page, CACHED)


def _drafts(live_app, tag: str) -> list[tuple[str, str]]:
    """(status, note) of the entries whose note starts with `tag`."""
    with live_app.app_context():
        db.session.remove()
        rows = db.session.execute(
            select(LedgerEntry.status, LedgerEntry.note)
            .where(LedgerEntry.note.startswith(tag))
            .order_by(LedgerEntry.id)
        ).all()
        db.session.remove()
        return [tuple(r) for r in rows]


CUT: list[tuple[str, bool]] = []  # (path, made by the service worker) of every request aborted


def _cut(route):
    CUT.append((route.request.url.split("/", 3)[-1], route.request.service_worker is not None))
    route.abort()


def _save_offline(page, note: str, queued: int) -> None:
    page.goto("/entries/new")
    page.select_option("#kind", "sales")
    page.fill("#amount", "12.50")
    page.fill("#note", note)
    page.click("form[data-offline-entry] button[type=submit]")
    page.wait_for_url("**/entries#offline-saved")
    page.locator(QUEUE_ROWS).nth(queued - 1).wait_for()
    assert page.locator(QUEUE_ROWS).count() == queued
    assert "待同步" in page.inner_text("#offline-queue")


QUEUE_SIZE = """() => new Promise((resolve) => {
  const open = indexedDB.open("coop-offline");
  open.onsuccess = () => {
    const count = open.result.transaction("queue").objectStore("queue").count();
    count.onsuccess = () => { open.result.close(); resolve(count.result); };
  };
})"""


def _synced(page) -> None:
    """A page load sends the queue; wait until it is empty."""
    page.goto("/entries")
    _until(page, f"async () => (await ({QUEUE_SIZE})()) === 0")
    page.locator("#offline-queue").wait_for(state="hidden")


def test_offline_entries_become_exactly_one_draft_each(new_page, live_app):
    page = new_page(**PHONE)
    context = page.context
    login(page, ACCOUNTANT)
    _kept_for_offline(page)

    # 1. No network at all: two entries saved, the form reloaded offline, then the network back.
    context.route("**/*", _cut)
    _save_offline(page, "离线甲-1", 1)
    _save_offline(page, "离线甲-2", 2)
    page.goto("/entries/new")
    page.reload()
    assert page.locator("form[data-offline-entry] #amount").is_visible()  # the form still opens
    assert _drafts(live_app, "离线甲") == []
    assert ("entries/new", True) in CUT  # the cut reached the service worker's own requests too
    context.unroute("**/*", _cut)
    _synced(page)
    assert _drafts(live_app, "离线甲") == [("draft", "离线甲-1"), ("draft", "离线甲-2")]

    # 2. The connection drops once after the server received a send: still exactly two.
    context.route("**/*", _cut)
    _save_offline(page, "离线乙-1", 1)
    _save_offline(page, "离线乙-2", 2)
    context.unroute("**/*", _cut)
    dropped = []

    def drop_the_first_answer(route):
        if route.request.method == "POST" and not dropped:
            route.fetch()  # the server creates the draft ...
            dropped.append(route.request.headers.get("idempotency-key"))
            route.abort()  # ... and its answer is lost on the way back
        else:
            route.continue_()

    context.route("**/api/v1/entries", drop_the_first_answer)
    page.goto("/entries")
    for _ in range(100):
        if dropped:
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(300)
    assert dropped and page.locator(QUEUE_ROWS).count() == 2  # nothing confirmed, nothing lost
    assert _drafts(live_app, "离线乙") == [("draft", "离线乙-1")]
    _synced(page)  # the next page load sends both again, with their keys
    assert _drafts(live_app, "离线乙") == [("draft", "离线乙-1"), ("draft", "离线乙-2")]
    context.unroute("**/api/v1/entries", drop_the_first_answer)

    # 3. An unsent entry belongs to its writer: the next user of this browser neither sees nor sends it.
    posts = []

    def no_api(route):
        if route.request.method == "POST":
            posts.append(route.request.headers.get("x-coop-user"))
            route.abort()
        else:
            route.continue_()

    context.route("**/*", _cut)
    _save_offline(page, "离线丙-1", 1)
    context.unroute("**/*", _cut)
    context.route("**/api/v1/entries", no_api)
    page.goto("/entries")
    warnings = []
    page.once("dialog", lambda dialog: (warnings.append(dialog.message), dialog.accept()))
    page.locator("form[data-logout] button").click()
    page.wait_for_url("**/login**")
    assert warnings and "1 条离线记录没有发送" in warnings[0]
    mine = len(posts)
    login(page, OTHER)
    page.goto("/entries")
    _until(page, CACHED)
    assert page.locator("#offline-queue").is_hidden() and page.locator(QUEUE_ROWS).count() == 0
    choices = page.evaluate("async () => (await (await caches.match('/offline/choices.json')).json()).households")
    his = set(choices)  # household ids: his village's, not hers
    page.goto("/entries/new")
    assert len(posts) == mine  # nothing sent under the other user's session
    page.locator("form[data-logout] button").click()  # no unsent entries of hers: no warning
    page.wait_for_url("**/login**")
    assert _drafts(live_app, "离线丙") == []

    context.unroute("**/api/v1/entries", no_api)
    login(page, ACCOUNTANT)
    _synced(page)
    assert _drafts(live_app, "离线丙") == [("draft", "离线丙-1")]
    mine_now = page.evaluate("async () => (await (await caches.match('/offline/choices.json')).json()).households")
    assert his and set(mine_now) and set(mine_now).isdisjoint(his)  # each saw only their own village's


def test_a_refused_offline_entry_comes_back_to_fix(new_page, live_app):
    """The server refuses a queued entry (a payout with no household): it stays as 需修改 with the
    reason, opens in the form filled in, and once fixed goes out as one draft."""
    page = new_page(**PHONE)
    login(page, ACCOUNTANT)
    _kept_for_offline(page)
    page.context.route("**/*", _cut)
    page.goto("/entries/new")
    page.select_option("#kind", "dividend")
    page.fill("#amount", "300")
    page.fill("#note", "离线丁-1")
    page.click("form[data-offline-entry] button[type=submit]")
    page.wait_for_url("**/entries#offline-saved")
    page.context.unroute("**/*", _cut)
    page.goto("/entries")  # sent, and refused
    page.locator("#offline-queue .badge-returned").wait_for()
    assert "需修改" in page.inner_text("#offline-queue") and _drafts(live_app, "离线丁") == []
    page.goto("/")  # the accountant's home counts it among the to-dos
    page.locator("#unsynced-drafts:not([hidden])").wait_for()
    assert page.inner_text("#unsynced-drafts [data-offline-count]") == "1"
    page.goto("/entries")
    page.locator("#offline-queue .badge-returned").wait_for()
    page.locator("#offline-queue a", has_text="修改").click()
    page.wait_for_function("() => document.querySelector('#note').value === '离线丁-1'")
    assert page.input_value("#kind") == "dividend" and page.input_value("#amount") == "300"
    assert page.locator("form[data-offline-entry] small.error").count() >= 1  # the reason beside the field
    page.select_option("#household_id", index=1)
    page.click("form[data-offline-entry] button[type=submit]")
    page.wait_for_url("**/entries#offline-saved")
    _until(page, f"async () => (await ({QUEUE_SIZE})()) === 0")
    assert _drafts(live_app, "离线丁") == [("draft", "离线丁-1")]


def _photo(size=(2400, 1800)) -> bytes:
    """A camera-sized JPEG (noise compresses badly: a few MB, as a phone's photo is)."""
    out = io.BytesIO()
    Image.effect_noise(size, 60).convert("RGB").save(out, format="JPEG", quality=95)
    return out.getvalue()


def test_a_repair_with_its_receipt_photo_taken_offline(new_page, live_app):
    """Issue 18: offline, a 12,000-yuan 维修费 paid by bank to a named payee, with the receipt's photo
    from the camera; online again, the draft has every field and the photo is its voucher (made
    smaller on the phone first). A "photo" the server refuses stays shown with its reason."""
    page = new_page(**PHONE)
    login(page, ACCOUNTANT)
    _kept_for_offline(page)
    page.context.route("**/*", _cut)
    page.goto("/entries/new")
    assert page.locator("#category").is_hidden()  # spending.js, from the worker's copy, hides them
    page.select_option("#kind", "operating_expense")
    page.fill("#amount", "12,000")
    page.select_option("#category", "维修费")
    page.select_option("#payment_method", "bank")
    page.fill("#payee", "张师傅")
    page.fill("#note", "离线戊-水泵维修")
    photo = _photo()
    assert len(photo) > 1_500_000
    page.set_input_files("#photo", {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": photo})
    page.click("form[data-offline-entry] button[type=submit]")
    page.wait_for_url("**/entries#offline-saved")
    page.locator(QUEUE_ROWS).first.wait_for()
    assert "1 张照片" in page.inner_text("#offline-queue") and "经营支出 · 维修费" in page.inner_text("#offline-queue")

    page.goto("/entries/new")  # a second one whose "photo" is not an image
    page.select_option("#kind", "admin_expense")
    page.fill("#amount", "80")
    page.fill("#note", "离线戊-办公用品")
    page.set_input_files("#photo", {"name": "scan.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo"})
    page.click("form[data-offline-entry] button[type=submit]")
    page.wait_for_url("**/entries#offline-saved")
    page.locator(QUEUE_ROWS).nth(1).wait_for()
    page.context.unroute("**/*", _cut)

    page.goto("/entries")  # sent: the repair leaves the queue with its photo, the other stays
    page.locator("#offline-queue .badge-returned").wait_for()
    _until(page, f"async () => (await ({QUEUE_SIZE})()) === 1")
    assert "照片未上传" in page.inner_text("#offline-queue") and "按内容看都不是" in page.inner_text("#offline-queue")
    with live_app.app_context():
        db.session.remove()
        repair = db.session.scalars(select(LedgerEntry).where(LedgerEntry.note == "离线戊-水泵维修")).one()
        fields = (repair.status, repair.kind, repair.amount_fen, repair.category, repair.payment_method, repair.payee)
        assert fields == ("draft", "operating_expense", 1_200_000, "维修费", "bank", "张师傅")
        (voucher,) = vouchers_of([repair.id])[repair.id]
        assert max(voucher.width, voucher.height) == 2000 and voucher.content_type == "image/jpeg"
        other = db.session.scalars(select(LedgerEntry).where(LedgerEntry.note == "离线戊-办公用品")).one()
        assert other.status == "draft" and vouchers_of([other.id])[other.id] == []
        db.session.remove()
    uploads = []
    page.on("request", lambda r: uploads.append(r.url) if r.method == "POST" and "/vouchers" in r.url else None)
    page.goto("/")  # the home counts it, and nothing is sent again
    page.locator("#unsynced-drafts:not([hidden])").wait_for()
    assert "1 张照片" in page.inner_text("#unsynced-drafts")
    page.wait_for_timeout(300)
    assert uploads == []
