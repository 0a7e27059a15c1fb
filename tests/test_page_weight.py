"""Page weight (issue 17): every main page's first load on a phone stays within 150 KB — the page
and what it makes the browser fetch (bench/weight.py counts it the same way for the bench)."""

import pytest

from bench.weight import TARGET_BYTES, first_load
from coopapp.distributions import objections

from .builders import approved_entry, publish, session_login, shift_period
from .test_home_todos import _made


@pytest.fixture()
def lived_in(world):
    """The world with a few months of entries, work waiting in every list and a published plan."""
    acc = world.users["accountant"]
    for months_back in range(1, 7):
        for kind in ("sales", "output", "cost", "collective_income"):
            approved_entry(world, period=shift_period(-months_back), kind=kind, amount_fen=12_345_67)
    for status in ("submitted", "submitted", "returned", "draft"):
        _made(world, acc, world.project, shift_period(-1), status, "金额写错了")
    plan = publish(world)
    objections.raise_objection(world.households[0], plan.id, "我家的股份没有算全")
    return world


def test_first_loads_stay_within_the_target(lived_in, app):
    world = lived_in
    household = world.households[0]
    pages = {
        "accountant": ["/", "/entries"],
        "secretary": ["/", "/review", f"/village/households/{household.id}/statement"],
        "county_reviewer": ["/", "/areas", "/disclosure/calendar"],
        "admin": ["/"],
        None: [f"/p/{world.village.code}", f"/s/{household.public_token}", "/p/"],
    }
    weights = {}
    for role, paths in pages.items():
        client = app.test_client()
        if role is not None:
            session_login(client, world.users[role])
        for path in paths:
            load = first_load(client, path)
            assert "/static/app.css" in load["assets"], path  # the assets are found and counted
            weights[(role, path)] = load["total"]
    over = {page: size for page, size in weights.items() if size > TARGET_BYTES}
    assert not over, over
    assert min(weights.values()) > 10_000  # the stylesheet alone is ~18 KB: nothing was missed


def test_what_a_page_references_is_counted(world, app):
    """A stylesheet, a script and an image each count once, and a missing one fails loudly."""
    client = app.test_client()
    session_login(client, world.users["secretary"])
    load = first_load(client, f"/villages/{world.village.code}")  # the dashboard: its charts are images
    charts = [url for url in load["assets"] if url.startswith("/charts/")]
    assert charts and all(load["assets"][url] > 200 for url in charts)
    assert load["total"] == load["html"] + sum(load["assets"].values())


@pytest.mark.no_database
def test_a_missing_or_foreign_asset_fails_loudly():
    from flask import Flask

    site = Flask(__name__)
    site.add_url_rule("/gone", "gone", lambda: '<link rel="stylesheet" href="/missing.css">')
    site.add_url_rule("/cdn", "cdn", lambda: '<script src="https://cdn.example/x.js"></script>')
    site.add_url_rule("/ok", "ok", lambda: '<img src="/a.css" loading="lazy"><link rel="icon" href="a.css">')
    site.add_url_rule("/a.css", "css", lambda: ("body{background:url(/ok)}", 200, {"Content-Type": "text/css"}))
    client = site.test_client()
    with pytest.raises(AssertionError, match="missing.css: 404"):
        first_load(client, "/gone")
    with pytest.raises(AssertionError, match="another host"):
        first_load(client, "/cdn")
    load = first_load(client, "/ok")
    assert list(load["assets"]) == ["/a.css", "/ok"]  # each once; what the stylesheet names too


@pytest.mark.no_database
def test_a_lazy_picture_in_a_closed_fold_is_not_a_first_load():
    """Chromium fetches a lazy image inside a closed <details> only when it is opened (the comparison
    page's ranking chart): not counted; open, or not lazy, it is — its <picture>'s source too."""
    from flask import Flask

    site = Flask(__name__)
    picture = '<picture><source srcset="/p.png?size=phone"><img src="/p.png" loading="lazy"></picture>'
    site.add_url_rule("/closed", "closed", lambda: f"<details><summary>图</summary>{picture}</details>")
    site.add_url_rule("/open", "open", lambda: f"<details open>{picture}</details>")
    site.add_url_rule("/eager", "eager", lambda: '<details><img src="/p.png"></details>')
    site.add_url_rule("/p.png", "png", lambda: ("PNG", 200, {"Content-Type": "image/png"}))
    client = site.test_client()
    assert first_load(client, "/closed")["assets"] == {}
    assert set(first_load(client, "/open")["assets"]) == {"/p.png?size=phone", "/p.png"}
    assert set(first_load(client, "/eager")["assets"]) == {"/p.png"}
