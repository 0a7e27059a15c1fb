"""Months close in order (issue 18 item 8): a month cannot close while an earlier month holding an
entry (any but a voided one) is open; a month with no entries never blocks. One predicate
(`close_month_refusal`) for the operation, the 月结 page and the to-dos."""

from html import unescape

import pytest
from sqlalchemy import func, select

from coopapp.errors import Conflict
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.ledger.permissions import close_month_refusal
from coopapp.models import AuditEvent, ClosedMonth
from coopapp.reporting.todos import todos_for

from .builders import approved_entry, entry_input, shift_period

EARLY, LATE = shift_period(-3), shift_period(-2)


def _closed() -> list[str]:
    db.session.rollback()
    return sorted(db.session.scalars(select(ClosedMonth.period)))


def _audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def _refused(world, period: str) -> str:
    """Closing `period` is refused by the operation with the order's message; nothing is written."""
    before = (_closed(), _audit_count())
    with pytest.raises(Conflict) as err:
        ledger.close_month(world.users["secretary"], world.village, period)
    assert (_closed(), _audit_count()) == before
    return err.value.message


def test_a_later_month_waits_for_the_earlier_one(world):
    approved_entry(world, period=EARLY)
    approved_entry(world, period=LATE)
    db.session.commit()
    assert _refused(world, LATE) == f"请先结账 {EARLY}：月份须按顺序结账。"
    sec = world.users["secretary"]
    ledger.close_month(sec, world.village, EARLY)
    ledger.close_month(sec, world.village, LATE)
    db.session.commit()
    assert _closed() == [EARLY, LATE]


def test_the_earliest_open_month_is_named(world):
    """Three months open: closing the last names the first, not the one just before it."""
    for months in (-4, -3, -2):
        approved_entry(world, period=shift_period(months))
    db.session.commit()
    assert _refused(world, LATE) == f"请先结账 {shift_period(-4)}：月份须按顺序结账。"


@pytest.mark.parametrize("status", ["draft", "submitted", "returned"])
def test_an_earlier_month_of_unsettled_entries_blocks_too(world, status):
    """Entries not approved yet are the month's books as well: the month must be settled and closed first."""
    acc, sec = world.users["accountant"], world.users["secretary"]
    entry = ledger.create_entry(acc, entry_input(world.project, period=EARLY))
    if status != "draft":
        ledger.submit_entry(acc, entry)
    if status == "returned":
        ledger.return_entry(sec, entry, "缺少发票")
    approved_entry(world, period=LATE)
    db.session.commit()
    assert _refused(world, LATE) == f"请先结账 {EARLY}：月份须按顺序结账。"


def test_months_without_entries_and_voided_entries_never_block(world):
    acc = world.users["accountant"]
    voided = ledger.create_entry(acc, entry_input(world.project, period=shift_period(-4)))
    ledger.void_entry(acc, voided)
    approved_entry(world, period=LATE)  # EARLY and the months before hold no entry
    db.session.commit()
    ledger.close_month(world.users["secretary"], world.village, LATE)
    db.session.commit()
    assert _closed() == [LATE]


def test_another_villages_open_month_does_not_block(world):
    other_acc, other_sec = world.users["other_accountant"], world.users["other_secretary"]
    entry = ledger.create_entry(other_acc, entry_input(world.other_project, period=EARLY))
    ledger.submit_entry(other_acc, entry)
    ledger.approve_entry(other_sec, entry)
    approved_entry(world, period=LATE)
    db.session.commit()
    ledger.close_month(world.users["secretary"], world.village, LATE)
    db.session.commit()
    assert _closed() == [LATE]


def test_an_earlier_month_closed_out_of_order_before_the_rule_still_counts_as_closed(world):
    """Months closed before the rule (out of order) stay closed; the next month names the earliest still open."""
    sec = world.users["secretary"]
    for months in (-4, -3, -2):
        approved_entry(world, period=shift_period(months))
    db.session.add(ClosedMonth(village_id=world.village.id, period=EARLY, closed_by_id=sec.id))
    db.session.commit()
    assert _refused(world, LATE) == f"请先结账 {shift_period(-4)}：月份须按顺序结账。"
    ledger.close_month(sec, world.village, shift_period(-4))
    ledger.close_month(sec, world.village, LATE)
    db.session.commit()
    assert _closed() == [shift_period(-4), EARLY, LATE]


def test_the_months_page_names_the_month_to_close_first_and_refuses_out_of_order(world, client, auth):
    approved_entry(world, period=EARLY)
    approved_entry(world, period=LATE)
    db.session.commit()
    auth.login("sec")
    html = unescape(client.get("/months").get_data(as_text=True))
    assert f"按顺序：先结 {EARLY}" in html and f'value="{EARLY}"' in html  # the form offers it
    before = _audit_count()
    resp = client.post("/months", data={"period": LATE, "confirmed": "1"}, follow_redirects=True)
    html = unescape(resp.get_data(as_text=True))
    assert f"请先结账 {EARLY}：月份须按顺序结账。" in html and 'id="consequence"' not in html
    assert (_closed(), _audit_count()) == ([], before)
    resp = client.post("/months", data={"period": EARLY}, follow_redirects=False)
    assert resp.status_code == 200 and 'id="consequence"' in resp.get_data(as_text=True)  # asked first
    assert client.post("/months", data={"period": EARLY, "confirmed": "1"}).status_code == 302
    html = unescape(client.get("/months").get_data(as_text=True))
    assert f"按顺序：先结 {LATE}" in html  # the next one in order
    assert client.post("/months", data={"period": LATE, "confirmed": "1"}).status_code == 302
    assert _closed() == [EARLY, LATE]
    assert 'id="close-first"' not in client.get("/months").get_data(as_text=True)


def test_the_todos_mark_the_later_months_as_waiting(world, client, auth):
    sec = world.users["secretary"]
    approved_entry(world, period=EARLY)
    approved_entry(world, period=LATE)
    db.session.commit()
    t = todos_for(sec)
    assert t.closable == 2
    assert [(m.period, m.first, m.waiting) for m in t.closable_rows] == [(EARLY, EARLY, False), (LATE, EARLY, True)]
    # the to-do agrees with the predicate
    for m in t.closable_rows:
        assert (close_month_refusal(sec, world.village, m.period, ledger.current_period()) is None) == (not m.waiting)
    auth.login("sec")
    html = unescape(client.get("/").get_data(as_text=True))
    assert f'{LATE} <span class="hint">按顺序：先结 {EARLY}</span>' in html
    assert f"按顺序：先结 {LATE}" not in html


def test_a_month_not_ready_holds_the_later_ready_ones_back(world):
    """An earlier month with a draft is not ready itself, and the ready month after it waits for it."""
    sec = world.users["secretary"]
    ledger.create_entry(world.users["accountant"], entry_input(world.project, period=EARLY))
    approved_entry(world, period=LATE)
    db.session.commit()
    t = todos_for(sec)
    assert [(m.period, m.first) for m in t.closable_rows] == [(LATE, EARLY)]
    refusal = close_month_refusal(sec, world.village, LATE, ledger.current_period())
    assert refusal is not None and refusal.message == f"请先结账 {EARLY}：月份须按顺序结账。"
