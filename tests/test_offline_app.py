"""The installable app's routes (issue 17): manifest, service worker, the entry form's choices, and the
pages' marks that static/offline.js reads. The offline journey itself is tests/browser/test_offline_entry.py."""

import re

from .builders import body, county_settings, entry_body


def test_the_manifest_names_the_app_and_its_icons(client):
    resp = client.get("/manifest.webmanifest")
    assert resp.status_code == 200 and resp.mimetype == "application/manifest+json"
    manifest = resp.get_json(force=True)
    assert manifest["name"] == "合作社经济台账" and manifest["start_url"] == "/entries"
    assert manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        png = client.get(icon["src"])
        assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n" and len(png.data) < 10_000


def test_the_service_worker_is_served_from_the_root_uncached(client):
    resp = client.get("/sw.js")
    assert resp.status_code == 200 and resp.mimetype == "text/javascript"
    assert resp.headers["Service-Worker-Allowed"] == "/" and resp.headers["Cache-Control"] == "no-cache"
    assert len(resp.data) < 8_000


def test_choices_are_the_accountants_own_village(client, auth, world):
    auth.login("acc")
    choices = client.get("/offline/choices.json").get_json()
    assert set(choices["projects"]) == {str(world.project.id)}
    assert str(world.other_household.id) not in choices["households"]
    assert {str(h.id) for h in world.households if h.village_id == world.village.id} <= set(choices["households"])
    assert choices["kinds"]["sales"] == "销售收入"
    auth.logout()
    auth.login("sec")
    assert client.get("/offline/choices.json").status_code == 403


def test_pages_name_their_user_and_the_accountant_gets_the_offline_form(client, auth, world):
    assert 'data-user=""' in client.get("/login").get_data(as_text=True)
    auth.login("acc")
    html = client.get("/entries").get_data(as_text=True)
    assert f'data-user="{world.users["accountant"].id}"' in html and 'data-offline-form="/entries/new"' in html
    assert 'id="offline-queue"' in html and "data-logout" in html and "/static/offline.js" in html
    assert "data-offline-entry" in client.get("/entries/new").get_data(as_text=True)
    entry = body(client.post("/api/v1/entries", json=entry_body(world)))
    assert "data-offline-entry" not in client.get(f"/entries/{entry['id']}/edit").get_data(as_text=True)
    auth.logout()
    auth.login("sec")
    html = client.get("/entries").get_data(as_text=True)
    assert "data-offline-form" not in html and 'id="offline-queue"' not in html


def test_a_page_of_another_user_cannot_write_under_this_session(client, auth, world):
    """A shared PC: the queue of the user whose page it is is never sent under someone else's session."""
    auth.login("acc")
    me = world.users["accountant"].id
    other = client.post("/api/v1/entries", json=entry_body(world), headers={"X-Coop-User": str(me + 1000)})
    assert other.status_code == 409
    mine = client.post("/api/v1/entries", json=entry_body(world), headers={"X-Coop-User": str(me)})
    assert mine.status_code == 201


def test_an_accountants_first_load_stays_small(client, auth, world):
    """Issue 17: a page's first load ≤ 150 KB on a phone, counting (uncompressed) what the app adds for
    offline use: the service worker, the shell it keeps, and the pages and choices it keeps."""
    auth.login("acc")
    for path in ("/entries", "/entries/new"):
        html = client.get(path).get_data(as_text=True)
        linked = set(re.findall(r'(?:href|src)="(/static/[^"]+|/manifest\.webmanifest)"', html))
        kept = {"/sw.js", "/entries", "/entries/new", "/offline/choices.json", "/static/icon-192.png"}
        total = len(html.encode()) + sum(len(client.get(url).data) for url in linked | kept - {path})
        assert total <= 150_000, (path, total)


def test_choices_carry_the_spending_fields_of_the_county(client, auth, world):
    """Issue 18: the offline form needs the county's category list (明细科目), the payment methods and
    the village's groups as the online form has them."""
    county_settings(world, categories=["维修费", "办公费", "种苗费"])
    auth.login("acc")
    choices = client.get("/offline/choices.json").get_json()
    assert choices["categories"] == ["维修费", "办公费", "种苗费"]
    assert choices["payment_methods"]["bank"] == "银行转账" and "operating_expense" in choices["spending_kinds"]
    assert choices["kinds"]["operating_expense"] == "经营支出"
    assert choices["groups"] == {world.group.code: "中洞一组"}
    html = client.get("/entries/new").get_data(as_text=True)
    assert '<option value="种苗费">' in html  # the cached form carries the same list
