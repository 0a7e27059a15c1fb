"""Public pages that work from WeChat: the entry page listing every village, PUBLIC_BASE_URL in
every printed link and QR code (never the request's Host header), the village group beside
masked names, and production refusing to start without PUBLIC_BASE_URL."""

import re

import pytest

from coopapp import create_app
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.villages import catalog
from coopapp.web.display import qr_svg

from .builders import publish

BASE = "https://coop.example.gov.cn"
FORGED = {"HTTP_HOST": "evil.example"}  # a forged Host header (the session cookie still goes along)


@pytest.fixture()
def public_base(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", BASE)
    return BASE


def _login_through(client, username: str) -> None:
    """Log in through the forged host too (the browser's cookie belongs to the address it used)."""
    resp = client.post("/login", data={"username": username, "password": "pass-word-1"}, environ_overrides=FORGED)
    assert resp.status_code == 302


def _qr_of(html: str) -> str:
    found = re.search(r"<svg.*?</svg>", html, re.S)
    assert found, "no QR code on the page"
    return found.group(0)


# ----- the public entry page ------------------------------------------------------------


def test_the_entry_page_lists_every_village_by_town_without_a_login(world, client):
    retired = catalog.add_area("441323110203", "撤销村", "village", world.town_a)
    retired.retired = True
    db.session.commit()
    resp = client.get("/p/")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "<script" not in html and '<form method="post" action="/logout' not in html
    town_a, town_b = html.index("高潭镇 <small>"), html.index("多祝镇 <small>")
    assert town_b < town_a  # towns in code order: 多祝镇 441323107 before 高潭镇 441323110
    for village in (world.village, world.sibling_village):
        link = f'href="/p/{village.code}"'
        assert link in html and town_a < html.index(link)
    assert town_b < html.index(f'href="/p/{world.other_village.code}"') < town_a
    assert "撤销村" not in html and "中洞一组" not in html  # no retired village, no group
    assert client.get("/p").status_code in (301, 308)  # without the slash: sent to the page


def test_the_entry_page_is_one_query_for_hundreds_of_villages(world, client):
    from .builders import statements

    for n in range(300):
        catalog.add_area(f"441323110{300 + n:03d}", f"测试{n}村", "village", world.town_a)
    db.session.commit()
    with statements() as seen:
        html = client.get("/p/").get_data(as_text=True)
    assert html.count('href="/p/441323') == 303
    assert len([s for s in seen if "areas" in s]) == 1
    assert len(html.encode()) < 60_000


def test_the_login_page_and_every_village_page_link_to_the_entry_page(world, client):
    assert 'href="/p/"' in client.get("/login").get_data(as_text=True)
    assert 'href="/p/"' in client.get(f"/p/{world.village.code}").get_data(as_text=True)


# ----- PUBLIC_BASE_URL in printed links and QR codes ------------------------------------------


def test_the_statement_qr_code_takes_its_host_from_public_base_url_not_the_host_header(world, client, public_base):
    hh, year = world.households[0], ledger.today().year
    _login_through(client, "sec")
    html = client.get(f"/village/households/{hh.id}/statement?year={year}", environ_overrides=FORGED).get_data(
        as_text=True
    )
    expected = f"{BASE}/s/{hh.public_token}?year={year}"
    assert f'data-public-url="{expected}"' in html
    assert "evil.example" not in html
    # The QR code encodes exactly that address (segno is deterministic: same text, same symbol).
    assert _qr_of(html) == str(qr_svg(expected))


def test_the_notice_qr_code_and_link_take_their_host_from_public_base_url(world, client, public_base):
    _login_through(client, "sec")
    period = ledger.current_period()
    html = client.get(f"/villages/{world.village.code}/notice?period={period}", environ_overrides=FORGED).get_data(
        as_text=True
    )
    expected = f"{BASE}/p/{world.village.code}"
    assert f'data-public-url="{expected}"' in html and f'href="{expected}"' in html
    assert "evil.example" not in html
    assert _qr_of(html) == str(qr_svg(expected, fit=True))


def test_without_public_base_url_development_uses_the_request_host(world, client, auth):
    hh, year = world.households[0], ledger.today().year
    auth.login("sec")
    html = client.get(f"/village/households/{hh.id}/statement?year={year}").get_data(as_text=True)
    assert f'data-public-url="http://localhost/s/{hh.public_token}?year={year}"' in html


@pytest.fixture()
def production_env(monkeypatch):
    monkeypatch.setenv("COOP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 32)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return monkeypatch


def test_production_refuses_to_start_without_public_base_url(production_env):
    production_env.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL must be set in production"):
        create_app()


@pytest.mark.parametrize("value", ["coop.example.gov.cn", "ftp://coop.example.gov.cn", "https://", "https://x/?a=1"])
def test_production_refuses_a_public_base_url_that_is_not_an_address(production_env, value):
    production_env.setenv("PUBLIC_BASE_URL", value)
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL must be the address villagers open"):
        create_app()


def test_production_with_public_base_url_prints_it_whatever_the_host_header(production_env):
    production_env.setenv("PUBLIC_BASE_URL", BASE + "/")
    app = create_app()
    assert app.config["PUBLIC_BASE_URL"] == BASE
    from coopapp.web.display import public_url

    with app.test_request_context("/", base_url="http://evil.example"):
        assert public_url("public.village", code="441323110201") == f"{BASE}/p/441323110201"


# ----- the village group beside masked names -------------------------------------------------


@pytest.fixture()
def two_wu(world):
    """Two households both masked as 吴*, in two village groups, both in a published plan."""
    second = catalog.add_area("441323110201002", "中洞二组", "group", world.village)
    db.session.flush()
    first_hh, second_hh = world.households[0], world.households[1]
    first_hh.head_name, second_hh.head_name = "吴一", "吴二"
    second_hh.group_id = second.id
    db.session.commit()
    publish(world)
    return world


def test_public_plan_lines_carry_the_village_group(two_wu, client):
    html = client.get(f"/p/{two_wu.village.code}").get_data(as_text=True)
    rows = re.findall(r"<tr><td>(吴\*)</td><td>([^<]*)</td>", html)
    assert sorted(rows) == [("吴*", "中洞一组"), ("吴*", "中洞二组")]
    assert "吴一" not in html and "吴二" not in html


def test_the_printed_notice_lists_the_village_group_beside_masked_names(two_wu, client, auth):
    auth.login("sec")
    period = ledger.current_period()
    html = client.get(f"/villages/{two_wu.village.code}/notice?period={period}").get_data(as_text=True)
    names = re.findall(r"<li><span>(吴\*) <small>([^<]*)</small></span>", html)
    assert sorted(names) == [("吴*", "中洞一组"), ("吴*", "中洞二组")]


def test_no_other_code_builds_a_full_address_from_the_request():
    """Printed links and QR codes go through display.public_url only: no `_external=True`, no
    request.host_url / url_root anywhere else (they carry whatever Host the request had)."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    found = [
        f"{path.relative_to(root)}: {needle}"
        for path in [*(root / "coopapp").rglob("*.py"), *(root / "templates").rglob("*.html")]
        if path.name != "display.py"
        for needle in ("_external", "host_url", "url_root")
        if needle in path.read_text(encoding="utf-8")
    ]
    assert found == []
