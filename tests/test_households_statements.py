"""Share changes, the household page and the yearly statement with its QR code."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from coopapp.access import audit
from coopapp.core.vocabulary import PAYOUT_KINDS
from coopapp.distributions.plans import shares_on
from coopapp.errors import Forbidden, Invalid
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import AuditEvent, HouseholdYearSummary, LedgerEntry, Membership
from coopapp.villages import catalog, statements

from .builders import approved_entry, built_once, credit_code, entry_input


def counts() -> tuple[int, int]:
    """Memberships and audit events: what a refused share change must not add."""
    return (
        db.session.scalar(select(func.count()).select_from(Membership)),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
    )


# ---- share changes ----------------------------------------------------------


def test_share_changes_by_date_pick_the_right_row(world):
    sec, coop, hh = world.users["secretary"], world.cooperative, world.households[2]
    today = ledger.today()
    first = today.replace(month=1, day=1) - timedelta(days=30)
    catalog.set_shares(sec, hh, coop.id, Decimal(4), first)
    catalog.set_shares(sec, hh, coop.id, Decimal("7.5"), today)

    assert hh.id not in shares_on(coop.id, first - timedelta(days=1))
    assert shares_on(coop.id, first)[hh.id] == Decimal(4)
    assert shares_on(coop.id, today - timedelta(days=1))[hh.id] == Decimal(4)
    assert shares_on(coop.id, today)[hh.id] == Decimal("7.5")
    # the others keep theirs
    assert shares_on(coop.id, today)[world.households[0].id] == Decimal(10)

    holdings = catalog.memberships_of(hh)
    assert [(m.since, m.shares) for m in holdings.history] == [(today, Decimal("7.5")), (first, Decimal(4))]
    assert [(c.id, s) for c, s in holdings.current] == [(coop.id, Decimal("7.5"))]
    events = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "membership")).all()
    assert events.count("membership.create") == 4  # two from the builders, two here
    assert audit.verify() is None


def test_withdrawing_all_shares_drops_the_household(world):
    sec, coop, hh = world.users["secretary"], world.cooperative, world.households[2]
    today = ledger.today()
    catalog.set_shares(sec, hh, coop.id, Decimal(3), today - timedelta(days=400))
    catalog.set_shares(sec, hh, coop.id, Decimal(0), today - timedelta(days=10))
    assert hh.id not in shares_on(coop.id, today)
    assert shares_on(coop.id, today - timedelta(days=11))[hh.id] == Decimal(3)


@pytest.mark.parametrize(
    "shares, days_ahead, field",
    [
        (Decimal(-1), 0, "shares"),
        (Decimal("-0.001"), 0, "shares"),
        (Decimal("1.0001"), 0, "shares"),
        (Decimal(5), 1, "since"),
    ],
)
def test_bad_share_changes_write_nothing(world, shares, days_ahead, field):
    sec, hh = world.users["secretary"], world.households[2]
    before = counts()
    with pytest.raises(Invalid) as err:
        catalog.set_shares(sec, hh, world.cooperative.id, shares, ledger.today() + timedelta(days=days_ahead))
    assert field in err.value.fields
    assert counts() == before


def test_second_change_on_the_same_day_is_refused(world):
    sec, hh, today = world.users["secretary"], world.households[2], ledger.today()
    catalog.set_shares(sec, hh, world.cooperative.id, Decimal(2), today)
    before = counts()
    with pytest.raises(Invalid) as err:
        catalog.set_shares(sec, hh, world.cooperative.id, Decimal(3), today)
    assert "since" in err.value.fields
    assert counts() == before


def test_cooperative_of_another_village_is_refused(world):
    foreign = catalog.add_cooperative("八维合作社", credit_code(2), world.other_village)
    db.session.commit()
    before = counts()
    with pytest.raises(Invalid) as err:
        catalog.set_shares(world.users["secretary"], world.households[2], foreign.id, Decimal(1), ledger.today())
    assert "cooperative_id" in err.value.fields
    assert counts() == before


@pytest.mark.parametrize("role", ["accountant", "other_secretary", "town_reviewer", "admin"])
def test_only_the_villages_secretary_changes_shares(world, role):
    before = counts()
    with pytest.raises(Forbidden):
        catalog.set_shares(world.users[role], world.households[2], world.cooperative.id, Decimal(1), ledger.today())
    assert counts() == before


def test_share_form_on_the_household_page(world, client, auth):
    hh = world.households[2]
    auth.login("sec")
    page = client.get(f"/village/households/{hh.id}").get_data(as_text=True)
    assert "变更股份" in page and world.cooperative.name in page
    today = ledger.today().isoformat()
    resp = client.post(
        f"/village/households/{hh.id}/shares",
        data={"cooperative_id": world.cooperative.id, "shares": "12", "since": today},
    )
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已记录股份变更" in page and today in page
    before = counts()
    bad = client.post(
        f"/village/households/{hh.id}/shares",
        data={"cooperative_id": world.cooperative.id, "shares": "-3", "since": today},
    )
    assert bad.status_code == 422 and "股份不能为负数" in bad.get_data(as_text=True)
    assert counts() == before


def test_household_list_links_to_the_household_page(world, client, auth):
    auth.login("acc")
    page = client.get("/village/households").get_data(as_text=True)
    assert f'href="/village/households/{world.households[0].id}"' in page


def test_household_page_for_a_reviewer_hides_the_share_form(world, client, auth):
    auth.login("town")
    resp = client.get(f"/village/households/{world.households[0].id}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "变更股份" not in html and "10" in html  # the current shares are shown


# ---- statements -------------------------------------------------------------


def _raw_total(household_id: int, year: int) -> int:
    """The household's approved payouts counted for `year`, straight from the ledger."""
    total = 0
    for entry in db.session.scalars(
        select(LedgerEntry).where(
            LedgerEntry.household_id == household_id,
            LedgerEntry.status == "approved",
            LedgerEntry.kind.in_(PAYOUT_KINDS),
        )
    ):
        year_of = entry.reverses.year if entry.reverses_id else entry.year
        if year_of == year:
            total += entry.amount_fen
    return total


@pytest.fixture()
def payouts(world):
    """Approved payouts of 张三丰 this year and last, one reversed; others that must not count
    (built once per run)."""
    ids = built_once("statement_payouts", lambda: _payouts(world), on_top=True)
    return {name: db.session.get(LedgerEntry, entry_id) for name, entry_id in ids.items()}


def _payouts(world) -> dict:
    today = ledger.today()
    this, last = today.strftime("%Y-%m"), f"{today.year - 1}-06"
    hh, other = world.households[0], world.households[1]
    a = approved_entry(world, kind="dividend", household_id=hh.id, amount_fen=100_00, period=this, note="分红一")
    b = approved_entry(world, kind="wage", household_id=hh.id, amount_fen=50_00, period=this, note="务工")
    c = approved_entry(world, kind="wage", household_id=hh.id, amount_fen=25_50, period=this)
    approved_entry(world, kind="dividend", household_id=hh.id, amount_fen=30_00, period=last)
    approved_entry(world, kind="rent", household_id=other.id, amount_fen=999_00, period=this)
    approved_entry(world, kind="sales", amount_fen=777_00, period=this)
    acc, sec = world.users["accountant"], world.users["secretary"]
    draft = ledger.create_entry(acc, ledger.EntryInput(world.project.id, this, "welfare_job", 1_00, household_id=hh.id))
    reversal = ledger.reverse_entry(acc, c, "重复登记")
    ledger.approve_entry(sec, reversal)
    return {"dividend": a.id, "wage": b.id, "reversed": c.id, "reversal": reversal.id, "draft": draft.id}


def test_statement_rows_and_totals_equal_the_ledger(world, payouts):
    hh, year = world.households[0], ledger.today().year
    st = statements.household_statement(hh, year)
    assert st.total_fen == _raw_total(hh.id, year) == 100_00 + 50_00
    assert st.last_year_total_fen == _raw_total(hh.id, year - 1) == 30_00
    summary = {
        y: fen
        for y, fen in db.session.execute(
            select(HouseholdYearSummary.year, HouseholdYearSummary.payout_fen).where(
                HouseholdYearSummary.household_id == hh.id
            )
        )
    }
    assert summary == {year: st.total_fen, year - 1: st.last_year_total_fen}
    assert statements.payout_totals(hh, [year, year - 1, year - 2]) == {year: 150_00, year - 1: 30_00, year - 2: 0}

    groups = {(g.project_id, g.kind): g for g in st.groups}
    assert set(groups) == {(world.project.id, "dividend"), (world.project.id, "wage")}
    assert [g.kind for g in st.groups] == ["dividend", "wage"]
    wage = groups[(world.project.id, "wage")]
    assert [(ln.amount_fen, ln.correction) for ln in wage.lines] == [(50_00, False), (25_50, False), (-25_50, True)]
    assert wage.total_fen == sum(ln.amount_fen for ln in wage.lines) == 50_00
    assert sum(g.total_fen for g in st.groups) == st.total_fen
    assert st.entry_count == 4
    ids = {ln.entry_id for g in st.groups for ln in g.lines}
    assert payouts["draft"].id not in ids


def test_reversal_posted_later_counts_in_the_originals_year(world):
    """An entry of a closed month last year, reversed this year: the statement follows the rollups."""
    today = ledger.today()
    hh, last_period = world.households[0], f"{today.year - 1}-03"
    entry = approved_entry(world, kind="dividend", household_id=hh.id, amount_fen=40_00, period=last_period)
    ledger.close_month(world.users["secretary"], world.village, last_period)
    reversal = ledger.reverse_entry(world.users["accountant"], entry, "错户")
    ledger.approve_entry(world.users["secretary"], reversal)
    assert reversal.period == today.strftime("%Y-%m")
    this_year = statements.household_statement(hh, today.year)
    assert this_year.total_fen == 0 and this_year.groups == []
    last_year = statements.household_statement(hh, today.year - 1)
    assert last_year.total_fen == 0 == _raw_total(hh.id, today.year - 1)
    assert [ln.amount_fen for g in last_year.groups for ln in g.lines] == [40_00, -40_00]


def test_statement_page_shows_payouts_totals_and_the_qr_code(world, payouts, client, auth):
    hh, year = world.households[0], ledger.today().year
    auth.login("sec")
    resp = client.get(f"/village/households/{hh.id}/statement?year={year}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "张三丰" in html and "150.00" in html and "30.00" in html and '<span class="neg">−25.50</span>' in html
    assert "分红一" in html and "更正" in html
    public_url = f"http://localhost/s/{hh.public_token}?year={year}"
    assert f'data-public-url="{public_url}"' in html and public_url in html
    assert '<svg width="' in html and 'class="qr"' in html
    # the CSP allows no inline style or script; the new-QR button's dialog is a script file (static/confirm.js)
    assert "style=" not in html and re.findall(r"<script[^>]*>", html) == [
        '<script src="/static/offline.js" defer>',
        '<script src="/static/confirm.js" defer>',
    ]
    assert hh.id_number not in html and hh.phone not in html


def test_statement_page_for_a_reviewer_has_a_masked_name_and_no_qr_code(world, payouts, client, auth):
    auth.login("county")
    html = client.get(f"/village/households/{world.households[0].id}/statement").get_data(as_text=True)
    assert "张*丰" in html and "张三丰" not in html
    assert "<svg" not in html and world.households[0].public_token not in html
    assert "150.00" in html


def test_print_css_fits_a4_and_hides_navigation(app):
    css = (app.static_folder and open(f"{app.static_folder}/app.css", encoding="utf-8").read()) or ""
    assert "@page { size: A4; margin: 12mm; }" in css
    assert "@media print" in css and ".topbar" in css.split("@media print", 1)[1]


# ---- the public page -------------------------------------------------------


def test_public_page_masks_the_name_and_shows_no_id_or_phone(world, payouts, client):
    hh = world.households[0]
    resp = client.get(f"/s/{hh.public_token}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert resp.headers["X-Robots-Tag"].startswith("noindex")
    assert "张*丰" in html and "张三丰" not in html
    for secret in (hh.id_number, hh.phone, hh.id_number[-4:], hh.phone[-4:], "身份证", "电话"):
        assert secret not in html, secret
    assert "150.00" in html and "30.00" in html and "分红" in html
    assert "style=" not in html and "<script" not in html


def test_public_page_for_a_past_year(world, payouts, client):
    hh, last = world.households[0], ledger.today().year - 1
    html = client.get(f"/s/{hh.public_token}?year={last}").get_data(as_text=True)
    assert f"{last} 年收益明细" in html and "30.00" in html and "150.00" not in html


@pytest.mark.parametrize("token", ["nope", "x" * 43, "x" * 500])
def test_unknown_token_is_404(world, client, token):
    resp = client.get(f"/s/{token}")
    assert resp.status_code == 404
    assert resp.headers["X-Robots-Tag"].startswith("noindex")
    assert "张" not in resp.get_data(as_text=True)


# ---- a new QR code when the old one is lost ------------------------------------


def test_reissued_public_link_retires_the_old_one(world, payouts, client, auth):
    hh, year = world.households[0], ledger.today().year
    old = hh.public_token
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    auth.login("sec")
    page = client.get(f"/village/households/{hh.id}/statement?year={year}").get_data(as_text=True)
    assert "换新二维码" in page
    asked = client.post(f"/village/households/{hh.id}/public-link?year={year}", data={})
    assert "将为张三丰户换新二维码" in asked.get_data(as_text=True)
    db.session.refresh(hh)
    assert hh.public_token == old
    resp = client.post(f"/village/households/{hh.id}/public-link?year={year}", data={"confirmed": "1"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/statement?year={year}")
    db.session.refresh(hh)
    assert hh.public_token != old and len(hh.public_token) == len(old)
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已换新二维码" in page and hh.public_token in page and old not in page
    assert client.get(f"/s/{old}").status_code == 404
    assert client.get(f"/s/{hh.public_token}").status_code == 200
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert (event.action, event.object_id) == ("household.public_link", hh.id)
    assert old not in event.data and hh.public_token not in event.data, "the key stays out of the audit chain"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events + 1
    assert audit.verify() is None


@pytest.mark.parametrize("role", ["accountant", "county_reviewer", "town_reviewer"])
def test_only_the_villages_secretary_reissues_a_public_link(world, role):
    hh = world.households[0]
    old = hh.public_token
    with pytest.raises(Forbidden):
        catalog.reissue_public_link(world.users[role], hh)
    db.session.refresh(hh)
    assert hh.public_token == old


def test_the_accountant_sees_the_qr_code_but_no_reissue_button(world, client, auth):
    auth.login("acc")
    html = client.get(f"/village/households/{world.households[0].id}/statement").get_data(as_text=True)
    assert world.households[0].public_token in html and "换新二维码" not in html


# ---- payouts carry a household of the project's village ------------------------


@pytest.mark.parametrize("kind", PAYOUT_KINDS)
def test_payouts_need_a_household_of_the_projects_village(world, kind):
    acc = world.users["accountant"]
    before = db.session.scalar(select(func.count()).select_from(LedgerEntry))
    for household_id in (None, world.other_household.id, 10**6):
        with pytest.raises(Invalid) as err:
            ledger.create_entry(acc, entry_input(world.project, kind=kind, household_id=household_id))
        assert "household_id" in err.value.fields
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == before
    entry = ledger.create_entry(acc, entry_input(world.project, kind=kind, household_id=world.households[1].id))
    assert entry.household_id == world.households[1].id


def test_payout_with_a_foreign_household_is_refused_by_the_api(world, api):
    api.as_user("acc")
    body = {
        "project_id": world.project.id,
        "period": ledger.today().strftime("%Y-%m"),
        "kind": "dividend",
        "amount": "10",
        "household_id": world.other_household.id,
    }
    resp = api.post("/api/v1/entries", json=body)
    assert resp.status_code == 422
    assert "household_id" in resp.get_json()["error"]["fields"]


def test_a_busy_year_shows_monthly_totals_to_stay_on_one_page(world, payouts, client, auth):
    """More than COMPACT_AFTER_LINES lines: each project and kind shows its totals per month instead."""
    hh, today = world.households[0], ledger.today()
    year = today.year
    assert not statements.household_statement(hh, year).compact  # the fixture's few lines stay itemised
    periods = [f"{year}-{m:02d}" for m in range(1, today.month + 1)]
    for i in range(statements.COMPACT_AFTER_LINES):
        approved_entry(world, kind="wage", household_id=hh.id, amount_fen=10_00 + i, period=periods[i % len(periods)])
    st = statements.household_statement(hh, year)
    assert st.compact and st.entry_count > statements.COMPACT_AFTER_LINES
    for group in st.groups:
        assert sum(m.amount_fen for m in group.months) == group.total_fen
        assert [m.period for m in group.months] == sorted({ln.period for ln in group.lines})
    wage = next(g for g in st.groups if g.kind == "wage")
    this_month = next(m for m in wage.months if m.period == today.strftime("%Y-%m"))
    assert this_month.corrected  # the fixture's reversal is in this month
    assert this_month.month == today.month

    auth.login("sec")
    html = client.get(f"/village/households/{hh.id}/statement?year={year}").get_data(as_text=True)
    assert "按项目、类别和月份合计显示" in html and 'class="month-totals"' in html
    assert "分红一" not in html  # no per-entry notes
    assert f'data-total-fen="{st.total_fen}"' in html
    public = client.get(f"/s/{hh.public_token}?year={year}").get_data(as_text=True)
    assert 'class="month-totals"' in public
