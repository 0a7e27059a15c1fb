"""Public disclosure (村务公开): periods, the public page (approved only, masked names),
publishing a period's notice, and the disclosure calendar's overdue rule."""

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from coopapp.access import audit
from coopapp.disclosure import operations as disclosure
from coopapp.disclosure.operations import Period, due_period, parse_period
from coopapp.distributions import plans as distributions
from coopapp.distributions.plans import DeductionInput
from coopapp.errors import Conflict, Forbidden, Invalid
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import AuditEvent, Disclosure

from .builders import add_user, approved_entry, books_begun, entry_input, prev_period, published_plan

THIS_YEAR = ledger.today().year
LAST_YEAR = THIS_YEAR - 1


# ----- periods ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "first", "last"),
    [
        ("2025-09", "2025-09", 9, 9),
        ("2025Q3", "2025Q3", 7, 9),
        ("2025-q1", "2025Q1", 1, 3),
        (" 2024Q4 ", "2024Q4", 10, 12),
    ],
)
def test_parse_period_reads_months_and_quarters(app, text, code, first, last):
    with app.test_request_context():
        p = parse_period(text)
    assert (p.code, p.first_month, p.last_month) == (code, first, last)


@pytest.mark.parametrize("text", ["", "2025-13", "2025-9", "2025Q5", "Q3", "二〇二五年九月", "2025-09-01"])
def test_parse_period_refuses_anything_else_with_a_chinese_message(app, text):
    with app.test_request_context(), pytest.raises(Invalid) as err:
        parse_period(text)
    assert "期间不对" in err.value.message and "2025Q3" in err.value.fields["period"]


def test_period_arithmetic(app):
    assert Period(2025, 1, 3).previous().code == "2024Q4"
    assert Period(2025, 1, 1).previous().code == "2024-12"
    assert Period(2025, 7, 9).end == date(2025, 9, 30)
    assert [m.code for m in Period(2025, 4, 6).months] == ["2025-04", "2025-05", "2025-06"]


@pytest.mark.parametrize(
    ("today", "quarterly", "due"),
    [
        (date(2025, 11, 15), False, "2025-10"),  # October's deadline (11-10) has passed
        (date(2025, 11, 10), False, "2025-09"),  # the deadline day itself is still in time
        (date(2025, 11, 11), False, "2025-10"),
        (date(2025, 11, 15), True, "2025Q3"),
        (date(2025, 10, 10), True, "2025Q2"),
        (date(2025, 10, 11), True, "2025Q3"),
        (date(2026, 1, 5), False, "2025-11"),  # across the new year
        (date(2026, 1, 5), True, "2025Q3"),
    ],
)
def test_due_period_is_the_last_one_whose_grace_has_run_out(today, quarterly, due):
    assert due_period(today, 10, quarterly).code == due


# ----- the public page -------------------------------------------------------------------


def _entry(world, status: str, **kw):
    """An entry of the village's project left in `status` (draft, submitted, returned, approved)."""
    acc, sec = world.users["accountant"], world.users["secretary"]
    if status == "approved":
        return approved_entry(world, **kw)
    entry = ledger.create_entry(acc, entry_input(world.project, **kw))
    if status in ("submitted", "returned"):
        ledger.submit_entry(acc, entry)
    if status == "returned":
        ledger.return_entry(sec, entry, "请核对")
    return entry


def _published_plan(world):
    return published_plan(world, deductions=[DeductionInput("collective", percent_bp=1500)])


def test_public_page_shows_only_approved_entries_without_login(app, world, client):
    period = entry_input(world.project).period  # last month
    with app.test_request_context():
        _entry(world, "approved", kind="sales", amount_fen=111_111, period=period)
        _entry(world, "draft", kind="sales", amount_fen=222_222, period=period, note="草稿备注甲")
        _entry(world, "submitted", kind="cost", amount_fen=333_333, period=period, note="待审备注乙")
        _entry(world, "returned", kind="subsidy", amount_fen=444_444, period=period, note="退回备注丙")
    year = int(period[:4])
    for by in ("", "quarter"):
        resp = client.get(f"/p/{world.village.code}?year={year}&by={by}")
        assert resp.status_code == 200
        page = resp.get_data(as_text=True)
        assert "1,111.11" in page
        for hidden in ("2,222.22", "3,333.33", "4,444.44", "5,555.55", "草稿备注甲", "待审备注乙", "退回备注丙"):
            assert hidden not in page
        assert "村务公开" in page and world.village.name in page
    # another village's page shows none of it
    other = client.get(f"/p/{world.other_village.code}?year={year}").get_data(as_text=True)
    assert "1,111.11" not in other


def test_public_page_masks_names_and_never_shows_id_numbers_or_phones(app, world, client):
    with app.test_request_context():
        _published_plan(world)
        # a payout entry with a household, corrected: the correction names the household masked
        payout = approved_entry(world, kind="dividend", amount_fen=50_000, household_id=world.households[2].id)
        reversal = ledger.reverse_entry(world.users["accountant"], payout, "户名登记错误")
        ledger.approve_entry(world.users["secretary"], reversal)
    page = client.get(f"/p/{world.village.code}").get_data(as_text=True)
    assert "张*丰" in page and "李*" in page and "王*" in page
    for household in world.households:
        assert household.head_name not in page
        assert household.id_number not in page and household.id_number[-8:] not in page
        assert household.phone not in page and household.phone[-4:] not in page
    assert world.other_household.head_name not in page


def test_public_page_shows_corrections_as_such_and_hides_unapproved_ones(app, world, client):
    with app.test_request_context():
        original = approved_entry(world, kind="sales", amount_fen=777_700)
        reversal = ledger.reverse_entry(world.users["accountant"], original, "重复登记")
        waiting = approved_entry(world, kind="cost", amount_fen=88_800)
        ledger.reverse_entry(world.users["accountant"], waiting, "尚未审核的更正")
    year = original.year
    page = client.get(f"/p/{world.village.code}?year={year}").get_data(as_text=True)
    assert "重复登记" not in page  # the reversal waits for review: not public yet
    with app.test_request_context():
        ledger.approve_entry(world.users["secretary"], db.session.get(type(reversal), reversal.id))
    page = client.get(f"/p/{world.village.code}?year={year}").get_data(as_text=True)
    assert "重复登记" in page and "7,777.00" in page and '<span class="neg">−7,777.00</span>' in page
    assert "尚未审核的更正" not in page


def test_public_page_is_404_for_an_unknown_code_or_a_town(world, client):
    assert client.get("/p/441323999999").status_code == 404
    assert client.get(f"/p/{world.town_a.code}").status_code == 404


def test_reversed_plan_is_shown_as_reversed_with_its_reason(app, world, client):
    with app.test_request_context():
        plan = _published_plan(world)
        distributions.reverse_plan(world.users["secretary"], plan, "股份名单有误")
    page = client.get(f"/p/{world.village.code}").get_data(as_text=True)
    assert "已整体冲销" in page and "股份名单有误" in page


# ----- publishing a notice ---------------------------------------------------------------


def test_secretary_publishes_a_period_once_and_it_is_audited(app, world):
    sec = world.users["secretary"]
    with app.test_request_context():
        done = disclosure.publish_notice(sec, world.village, parse_period(f"{LAST_YEAR}Q3"))
        assert done.period == f"{LAST_YEAR}Q3" and done.published_by_id == sec.id
        with pytest.raises(Conflict) as err:
            disclosure.publish_notice(sec, world.village, parse_period(f"{LAST_YEAR}Q3"))
        assert "已经公布过" in err.value.message
        with pytest.raises(Forbidden):
            disclosure.publish_notice(world.users["accountant"], world.village, parse_period(f"{LAST_YEAR}-08"))
        with pytest.raises(Forbidden):
            disclosure.publish_notice(world.users["other_secretary"], world.village, parse_period(f"{LAST_YEAR}-08"))
        with pytest.raises(Invalid):
            disclosure.publish_notice(sec, world.village, parse_period(f"{THIS_YEAR + 1}-01"))
        assert db.session.scalar(select(func.count()).select_from(Disclosure)) == 1
        actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "disclosure")))
        assert actions == ["disclosure.publish"]
        assert audit.verify() is None
        # a row changed behind the app's back is caught by the audit chain
        db.session.execute(Disclosure.__table__.update().values(period=f"{LAST_YEAR}Q2"))
        db.session.commit()
        assert "disclosure" in audit.verify().message


def test_publish_form_on_the_notice_page(app, world, client, auth):
    auth.login("sec")
    code = world.village.code
    page = client.get(f"/villages/{code}/notice?period={LAST_YEAR}-09").get_data(as_text=True)
    assert "登记：本期公开栏已公布" in page
    resp = client.post(f"/villages/{code}/notice/publish", data={"period": f"{LAST_YEAR}-09"})
    assert resp.status_code == 302 and f"period={LAST_YEAR}-09" in resp.location
    page = client.get(resp.location).get_data(as_text=True)
    assert "已登记公布" in page and "本期已于" in page and "登记：本期公开栏已公布" not in page
    again = client.post(f"/villages/{code}/notice/publish", data={"period": f"{LAST_YEAR}-09"}, follow_redirects=True)
    assert "已经公布过" in again.get_data(as_text=True)
    bad = client.post(f"/villages/{code}/notice/publish", data={"period": "九月"}, follow_redirects=True)
    assert "期间不对" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Disclosure)) == 1


def test_accountant_and_reviewer_cannot_publish(world, client, auth):
    for username in ("acc", "county"):
        auth.login(username)
        resp = client.post(f"/villages/{world.village.code}/notice/publish", data={"period": f"{LAST_YEAR}-09"})
        assert resp.status_code == 403
        page = client.get(f"/villages/{world.village.code}/notice?period={LAST_YEAR}-09").get_data(as_text=True)
        assert "登记：本期公开栏已公布" not in page
        auth.logout()
    assert db.session.scalar(select(func.count()).select_from(Disclosure)) == 0


# ----- the calendar ----------------------------------------------------------------------

TODAY = date(2025, 11, 15)  # grace 10 days: October is due (deadline 11-10), and 2025Q3 (10-10)


def _published(village, period: str, at: datetime, user) -> None:
    db.session.add(Disclosure(village_id=village.id, period=period, published_at=at, published_by_id=user.id))


@pytest.fixture()
def busy_world(app, world, monkeypatch):
    """中洞村 had 3 approved entries in 2025Q3 (monthly at 3), the others none that quarter
    (quarterly); every village's books began in 2025-01."""
    monkeypatch.setitem(app.config, "DISCLOSURE_MONTHLY_MIN_ENTRIES", 3)
    monkeypatch.setitem(app.config, "DISCLOSURE_GRACE_DAYS", 10)
    with app.test_request_context():
        for period in ("2025-07", "2025-08", "2025-08"):
            approved_entry(world, period=period)
        approved_entry(world, period="2025-10")  # not in the last complete quarter: does not count
        for village in (world.village, world.other_village, world.sibling_village):
            books_begun(village, "2025-01")
    return world


def _rows(user, **kw):
    return {r.village.code: r for r in disclosure.calendar(user, today=TODAY, **kw)}


def test_calendar_overdue_on_constructed_data(app, busy_world):
    w = busy_world
    sec = w.users["secretary"]
    with app.test_request_context():
        _published(w.village, "2025Q3", datetime(2025, 10, 8, 2), sec)  # quarterly, but 中洞 is monthly now
        for m in ("2025-07", "2025-08", "2025-09"):  # 甘溪 published every month: the quarter is covered
            _published(w.sibling_village, m, datetime(2025, int(m[5:]) + 1, 3, 2), sec)
        db.session.commit()
        rows = _rows(w.users["county_reviewer"])
        zhongdong, ganxi, bawei = rows[w.village.code], rows[w.sibling_village.code], rows[w.other_village.code]

        assert zhongdong.monthly and zhongdong.entries_last_quarter == 3
        assert zhongdong.due.code == "2025-10" and zhongdong.deadline == date(2025, 11, 10)
        assert zhongdong.overdue and zhongdong.days_overdue == 5
        assert zhongdong.last_period == "2025Q3" and zhongdong.last_published_at == datetime(2025, 10, 8, 2)

        assert not ganxi.monthly and ganxi.due.code == "2025Q3" and not ganxi.overdue
        assert ganxi.last_period == "2025-09"

        assert not bawei.monthly and bawei.overdue and bawei.days_overdue == 36
        assert bawei.last_period is None and bawei.last_published_at is None

        # overdue first, the longest overdue at the top
        assert [r.village.code for r in disclosure.calendar(w.users["county_reviewer"], today=TODAY)] == [
            w.other_village.code,
            w.village.code,
            w.sibling_village.code,
        ]

        disclosure.publish_notice(sec, w.village, parse_period("2025-10"))
        assert not _rows(w.users["county_reviewer"])[w.village.code].overdue


def test_calendar_quarter_published_covers_its_months_and_threshold_is_configurable(app, busy_world, monkeypatch):
    w = busy_world
    sec = w.users["secretary"]
    with app.test_request_context():
        _published(w.village, "2025Q4", datetime(2025, 11, 1, 2), sec)  # a quarter covers October
        db.session.commit()
        assert not _rows(w.users["county_reviewer"])[w.village.code].overdue
        monkeypatch.setitem(app.config, "DISCLOSURE_MONTHLY_MIN_ENTRIES", 4)
        row = _rows(w.users["county_reviewer"])[w.village.code]
        assert not row.monthly and row.due.code == "2025Q3" and row.overdue  # Q3 itself was never published
        monkeypatch.setitem(app.config, "DISCLOSURE_GRACE_DAYS", 60)  # Q3 not yet due: Q2 is, and unpublished
        row = _rows(w.users["county_reviewer"])[w.village.code]
        assert row.due.code == "2025Q2" and row.overdue


def test_calendar_keeps_to_the_scope(app, busy_world):
    w = busy_world
    with app.test_request_context():
        assert set(_rows(w.users["town_reviewer"])) == {w.village.code, w.sibling_village.code}
        assert set(_rows(w.users["other_secretary"])) == {w.other_village.code}
        assert set(_rows(w.users["county_reviewer"], under=w.town_b)) == {w.other_village.code}


def test_calendar_page_for_reviewers(app, world, client, auth):
    add_user("town.b", "reviewer", world.town_b)
    db.session.commit()
    for village in (world.village, world.other_village):
        books_begun(village, f"{LAST_YEAR}-01")
    auth.login("county")
    page = client.get("/disclosure/calendar").get_data(as_text=True)
    assert "村务公开日历" in page
    assert world.village.name in page and world.other_village.name in page
    assert "逾期" in page  # nobody has published anything
    auth.logout()
    auth.login("town.b")
    page = client.get("/disclosure/calendar").get_data(as_text=True)
    assert world.other_village.name in page and world.village.name not in page
    assert client.get(f"/disclosure/calendar?area={world.town_a.code}").status_code == 403
    auth.logout()
    assert client.get("/disclosure/calendar").status_code == 302  # to the login page


def test_a_notice_lists_the_plans_published_in_its_period_in_china_time(app, world):
    with app.test_request_context():
        plan = _published_plan(world)
        # 2025-09-30 17:30 UTC is 2025-10-01 01:30 in China: an October publication
        plan.published_at = datetime(2025, 9, 30, 17, 30)
        db.session.commit()
        october, september = parse_period("2025-10"), parse_period("2025-09")
        assert [p["id"] for p in disclosure.published_plans(world.village, october.start, october.end)] == [plan.id]
        assert disclosure.published_plans(world.village, september.start, september.end) == []
        q4 = parse_period("2025Q4")
        assert len(disclosure.published_plans(world.village, q4.start, q4.end)) == 1
        assert disclosure.published_plans(world.other_village, q4.start, q4.end) == []


def test_corrections_are_listed_in_the_period_they_were_posted(app, world):
    with app.test_request_context():
        original = approved_entry(world, kind="sales", amount_fen=10_000)
        reversal = ledger.reverse_entry(world.users["accountant"], original, "录错")
        ledger.approve_entry(world.users["secretary"], reversal)
        here = parse_period(reversal.period)
        (row,) = disclosure.corrections(world.village, here.first, here.last)
        assert (row["original_amount_fen"], row["amount_fen"], row["reason"]) == (10_000, -10_000, "录错")
        before = here.previous()
        assert disclosure.corrections(world.village, before.first, before.last) == []
        assert disclosure.corrections(world.other_village, here.first, here.last) == []


def test_a_notice_period_outside_the_ledger_years_is_a_clear_400(world, client, auth):
    auth.login("sec")
    village = world.village.code
    for query in ("period=0000-01", "period=9999-12", "quarter=9999Q4", "quarter=0000Q1"):
        resp = client.get(f"/villages/{village}/notice?{query}")
        assert resp.status_code == 400, (query, resp.status_code)
        assert "期间不对" in resp.get_data(as_text=True)
    resp = client.post(f"/villages/{village}/notice/publish", data={"period": "0000-01"})
    assert resp.status_code in (302, 400, 422)


def test_a_village_owes_no_notice_for_the_time_before_its_books_began(app, world):
    """A county moving in: its villages owe no notice for the quarters before they used the ledger —
    from the first month with approved entries on, they do."""
    with app.test_request_context():
        assert not _rows(world.users["county_reviewer"])[world.other_village.code].overdue  # no books yet
        books_begun(world.other_village, "2025-10")  # after 2025Q3, the quarter due on TODAY
        assert not _rows(world.users["county_reviewer"])[world.other_village.code].overdue
        books_begun(world.other_village, "2025-09")  # within it: owed, and overdue
        assert _rows(world.users["county_reviewer"])[world.other_village.code].overdue


def test_a_plan_is_on_the_notice_of_its_own_month_with_its_deductions(app, world):
    """Last month's plan published this month: last month's notice, whose figures count its payouts,
    lists it with what was taken off first; this month's lists it too, saying its money is last month's."""
    with app.test_request_context():
        plan = published_plan(world, period=prev_period(), basis="equal")  # last month's, published today
        own = parse_period(plan.period)
        [listed] = disclosure.published_plans(world.village, own.start, own.end)
        assert listed["id"] == plan.id and not listed["of_other_period"]
        # 30,000: 15% to the collective (4,500), then 1,000 maintenance — said before the split
        assert listed["deductions"] == [
            {"kind": "collective", "amount_fen": 450_000},
            {"kind": "maintenance", "amount_fen": 100_000},
        ]
        this_month = parse_period(ledger.current_period())
        [later] = disclosure.published_plans(world.village, this_month.start, this_month.end)
        assert later["id"] == plan.id and later["of_other_period"]
