"""Warnings (预警): each rule raised on the entry it concerns, shown to reviewers, blocking nothing."""

import json

import pytest
from sqlalchemy import select

from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.ledger import warnings
from coopapp.models import CountySettings, LedgerWarning
from tests.builders import approved_entry, entry_input, session_login, shift_period, town_accountant


def set_rules(world, **document) -> None:
    """The county's settings document, stored as the settings page would store it."""
    db.session.add(CountySettings(county_id=world.county.id, data=json.dumps(document)))
    db.session.commit()


def rules_of(entry) -> set[str]:
    return set(db.session.scalars(select(LedgerWarning.rule).where(LedgerWarning.entry_id == entry.id)))


def submitted(world, **kw):
    acc = world.users["accountant"]
    entry = ledger.create_entry(acc, entry_input(world.project, **kw))
    return ledger.submit_entry(acc, entry)


def test_the_same_amount_paid_to_a_household_twice_in_a_month_is_warned(world):
    household = world.households[0]
    first = submitted(world, kind="dividend", amount_fen=50_000, household_id=household.id)
    assert rules_of(first) == set()
    second = submitted(world, kind="wage", amount_fen=50_000, household_id=household.id)
    assert rules_of(second) == {"duplicate_payment"}
    (warning,) = db.session.scalars(select(LedgerWarning).where(LedgerWarning.entry_id == second.id))
    assert f"#{first.id}" in warnings.message(warning) and "500.00" in warnings.message(warning)
    other_amount = submitted(world, kind="dividend", amount_fen=50_001, household_id=household.id)
    other_home = submitted(world, kind="dividend", amount_fen=50_000, household_id=world.households[1].id)
    assert rules_of(other_amount) == rules_of(other_home) == set()


def test_a_warning_blocks_nothing_and_the_entry_counts_when_approved(world):
    household = world.households[0]
    submitted(world, kind="dividend", amount_fen=50_000, household_id=household.id)
    second = submitted(world, kind="dividend", amount_fen=50_000, household_id=household.id)
    ledger.approve_entry(world.users["secretary"], second)
    assert second.status == "approved" and rules_of(second) == {"duplicate_payment"}


def test_cash_above_the_county_amount_is_warned(world):
    set_rules(world, cash_warning_above_fen=100_000)
    cash = submitted(world, kind="operating_expense", amount_fen=100_001, payment_method="cash", payee="李师傅")
    bank = submitted(world, kind="operating_expense", amount_fen=500_000, payment_method="bank")
    small = submitted(world, kind="operating_expense", amount_fen=100_000, payment_method="cash")
    assert rules_of(cash) == {"cash_over"} and rules_of(bank) == rules_of(small) == set()


def test_no_cash_rule_without_the_setting(world):
    assert rules_of(submitted(world, kind="operating_expense", amount_fen=9_000_000, payment_method="cash")) == set()


def test_payments_just_under_an_approval_tier_close_together_are_warned(world):
    set_rules(world, tiers=[{"kinds": ["operating_expense"], "above_fen": 1_000_000}])
    day = ledger.today().replace(day=1)
    first = submitted(world, kind="operating_expense", amount_fen=950_000, period=shift_period(0), entry_date=day)
    assert rules_of(first) == set()  # one payment under the tier is just a payment
    second = submitted(world, kind="operating_expense", amount_fen=900_000, period=shift_period(0), entry_date=day)
    assert rules_of(second) == {"split_payment"}
    (warning,) = db.session.scalars(select(LedgerWarning).where(LedgerWarning.entry_id == second.id))
    assert "10,000.00" in warnings.message(warning) and "18,500.00" in warnings.message(warning)
    far_below = submitted(world, kind="operating_expense", amount_fen=500_000, period=shift_period(0), entry_date=day)
    other_kind = submitted(world, kind="admin_expense", amount_fen=950_000, period=shift_period(0), entry_date=day)
    assert rules_of(far_below) == rules_of(other_kind) == set()


def test_non_productive_spending_past_the_yearly_cap_is_warned(world):
    set_rules(world, non_productive_cap_fen=500_000)
    approved_entry(world, kind="admin_expense", amount_fen=400_000, category="办公费")
    under = submitted(world, kind="admin_expense", amount_fen=100_000, category="办公费")
    assert rules_of(under) == set()  # 5,000.00 is the cap itself: not past it
    over = submitted(world, kind="other_expense", amount_fen=100_001)
    assert rules_of(over) == {"cap_exceeded"}
    operating = submitted(world, kind="operating_expense", amount_fen=9_000_000)
    assert rules_of(operating) == set()  # productive spending has no cap


def test_a_banned_category_is_warned_on_the_draft_and_refused_at_submit(world):
    acc = world.users["accountant"]
    draft = ledger.create_entry(
        acc, entry_input(world.project, kind="admin_expense", amount_fen=30_000, category="招待费")
    )
    assert rules_of(draft) == {"banned_category"}
    with pytest.raises(Exception) as refused:
        ledger.submit_entry(acc, draft)
    assert "招待费" in str(refused.value)


def test_spending_corrected_after_its_month_closed_is_warned(world):
    last_month = shift_period(-1)
    entry = approved_entry(world, kind="operating_expense", amount_fen=200_000, period=last_month)
    ledger.close_month(world.users["secretary"], world.village, last_month)
    reversal = ledger.reverse_entry(world.users["accountant"], entry, "发票金额写错")
    assert reversal.period == shift_period(0)
    assert rules_of(reversal) == {"closed_month_spending"}
    income = approved_entry(world, kind="sales", amount_fen=200_000, period=shift_period(0))
    assert rules_of(ledger.reverse_entry(world.users["accountant"], income, "重复登记")) == set()


def test_warnings_are_replaced_when_the_entry_changes(world):
    set_rules(world, cash_warning_above_fen=100_000)
    acc = world.users["accountant"]
    entry = submitted(world, kind="operating_expense", amount_fen=200_000, payment_method="cash")
    assert rules_of(entry) == {"cash_over"}
    ledger.return_entry(world.users["secretary"], entry, "请改为银行转账")
    ledger.update_entry(
        acc, entry, entry_input(world.project, kind="operating_expense", amount_fen=200_000, payment_method="bank")
    )
    ledger.submit_entry(acc, entry)
    assert rules_of(entry) == set()


def test_the_api_lists_the_warnings_under_an_area(world, api):
    household = world.households[0]
    submitted(world, kind="dividend", amount_fen=50_000, household_id=household.id)
    second = submitted(world, kind="dividend", amount_fen=50_000, household_id=household.id)
    resp = api.as_user("town").get(f"/api/v1/warnings?area={world.town_a.code}")
    assert resp.status_code == 200
    (row,) = resp.get_json()["items"]
    assert row["rule"] == "duplicate_payment" and row["entry_id"] == second.id
    assert row["village"] == world.village.code and set(row) == {
        "id",
        "rule",
        "entry_id",
        "village",
        "message",
        "created_at",
    }
    assert api.get(f"/api/v1/warnings?area={world.town_a.code}&rule=cash_over").get_json()["items"] == []
    assert api.get("/api/v1/warnings?rule=nonsense").status_code == 400
    assert api.get(f"/api/v1/warnings?area={world.town_b.code}").status_code == 403
    foreign = api.as_user("sec2").get("/api/v1/warnings").get_json()
    assert foreign["items"] == [] and foreign["total"] == 0


def test_reviewers_see_warnings_on_the_entry_the_queue_and_the_list(world, client):
    household = world.households[0]
    submitted(world, kind="dividend", amount_fen=50_000, household_id=household.id)
    second = submitted(world, kind="dividend", amount_fen=50_000, household_id=household.id)
    session_login(client, world.users["secretary"])
    for url in (
        f"/entries/{second.id}",
        "/review",
        "/warnings",
        f"/warnings?area={world.village.code}&rule=duplicate_payment",
    ):
        page = client.get(url).get_data(as_text=True)
        assert 'class="tag warn">重复支付' in page, url
    assert 'class="tag warn">重复支付' not in client.get("/warnings?rule=cash_over").get_data(as_text=True)


def test_the_town_and_county_reach_their_warnings_list_from_the_menu(world, client):
    """预警 is a town's and a county's list too: the town accountant's and the reviewers' menu leads to it,
    as the village secretary's does to the village's."""
    household = world.households[0]
    submitted(world, kind="dividend", amount_fen=50_000, household_id=household.id)
    submitted(world, kind="dividend", amount_fen=50_000, household_id=household.id)
    tacc = town_accountant(world)
    for user in (tacc, world.users["town_reviewer"], world.users["county_reviewer"], world.users["secretary"]):
        session_login(client, user)
        assert 'href="/warnings"' in client.get("/").get_data(as_text=True), user.username
        assert 'class="tag warn">重复支付' in client.get("/warnings").get_data(as_text=True), user.username


def test_the_towns_queue_shows_the_warnings_of_what_awaits_it(world, client):
    from tests.builders import TOWN_TIER, county_settings, town_accountant

    county_settings(world, tiers=[TOWN_TIER], cash_warning_above_fen=100_000)
    town = town_accountant(world)
    entry = submitted(world, kind="cost", amount_fen=1_200_000, payment_method="cash", category="维修费")
    ledger.approve_entry(world.users["secretary"], entry)
    assert entry.status == "awaiting_town" and rules_of(entry) == {"cash_over"}
    db.session.commit()
    session_login(client, town)
    page = client.get("/town").get_data(as_text=True)
    assert f'id="entry-{entry.id}"' in page and 'class="tag warn">大额现金支付' in page
    assert "维修费" in page  # the spending facts, from the queues' shared kind cell
