"""Work comes to the user (issue 17 item 5): each role's home lists its to-dos with counts that match
the database, each linking to the page where the work is done, and never another village's work."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from coopapp.disclosure import due
from coopapp.disclosure import operations as disclosure
from coopapp.distributions import objections
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.ledger import queries
from coopapp.models import Disclosure, LedgerEntry, LoginFailure, Objection
from coopapp.models.base import utcnow
from coopapp.reporting.todos import todos_for

from .builders import add_user, books_begun, built_once, entry_input, publish, session_login, shift_period

CLOSABLE, BUSY, CLOSED = shift_period(-3), shift_period(-2), shift_period(-4)


def _made(world, user, project, period, status, reason="", amount_fen=100_00):
    """An entry of `project` brought to `status` through the services by `user` (and the village's secretary)."""
    entry = ledger.create_entry(user, entry_input(project, period=period, amount_fen=amount_fen))
    if status == "draft":
        return entry
    ledger.submit_entry(user, entry)
    secretary = world.users["secretary" if project is world.project else "other_secretary"]
    if status == "approved":
        ledger.approve_entry(secretary, entry)
    elif status == "returned":
        ledger.return_entry(secretary, entry, reason)
    return entry


@pytest.fixture()
def busy(world):
    """Both villages with work waiting: returned entries, drafts, reviews, an objection, months
    (built once per run)."""
    first, latest = built_once("home_todos_busy", lambda: _busy(world), on_top=True)
    return world, db.session.get(LedgerEntry, first), db.session.get(LedgerEntry, latest)


def _busy(world) -> tuple:
    acc, sec = world.users["accountant"], world.users["secretary"]
    other_acc = world.users["other_accountant"]
    for period in (CLOSABLE, BUSY, CLOSED, ledger.current_period()):
        _made(world, acc, world.project, period, "approved")
    ledger.close_month(sec, world.village, CLOSED)
    _made(world, acc, world.project, BUSY, "submitted")
    _made(world, acc, world.project, BUSY, "submitted")
    first = _made(world, acc, world.project, shift_period(-1), "returned", "金额写错了")
    latest = _made(world, acc, world.project, shift_period(-1), "returned", "缺少原始凭证")
    _made(world, acc, world.project, shift_period(-1), "draft")
    plan = publish(world)  # last month: approved payouts
    objections.raise_objection(world.households[0], plan.id, "我家的股份没有算全")
    # 八维村's own work, which 中洞村's people never see.
    _made(world, other_acc, world.other_project, CLOSABLE, "approved")
    _made(world, other_acc, world.other_project, BUSY, "submitted")
    _made(world, other_acc, world.other_project, BUSY, "returned", "八维村的退回原因")
    _made(world, other_acc, world.other_project, BUSY, "draft")
    db.session.commit()
    return first.id, latest.id


def _count(*where) -> int:
    return db.session.scalar(select(func.count()).select_from(LedgerEntry).where(*where))


def _todo_links(page: str) -> dict[str, str]:
    """to-do id → the link of its head."""
    return dict(re.findall(r'id="todo-([a-z-]+)">\s*<a class="todo-head" href="([^"]+)"', page))


def test_the_accountants_returned_entries_and_drafts(busy, client):
    world, first, latest = busy
    acc = world.users["accountant"]
    t = todos_for(acc)
    assert t.returned == _count(LedgerEntry.created_by_id == acc.id, LedgerEntry.status == "returned") == 2
    assert [r.id for r in t.returned_rows] == [latest.id, first.id]  # the latest return first
    assert [r.reason for r in t.returned_rows] == ["缺少原始凭证", "金额写错了"]
    assert t.drafts == _count(LedgerEntry.created_by_id == acc.id, LedgerEntry.status == "draft") == 1
    session_login(client, acc)
    page = client.get("/").get_data(as_text=True)
    assert "缺少原始凭证" in page and "金额写错了" in page and page.index("缺少原始凭证") < page.index("金额写错了")
    assert "八维村的退回原因" not in page
    assert (
        'id="unsynced-drafts" data-offline-todo hidden' in page and "data-offline-count" in page
    )  # offline.js fills it
    links = _todo_links(page)
    assert links == {"returned": "/entries?status=returned", "drafts": "/entries?status=draft"}
    listed = client.get(links["returned"]).get_data(as_text=True)
    assert f'href="/entries/{latest.id}"' in listed and f'href="/entries/{first.id}"' in listed
    assert client.get(f"/entries/{latest.id}").status_code == 200  # each returned entry links to its page
    assert f'href="/entries/{latest.id}"' in page


def test_the_secretarys_reviews_objections_months_and_notices(busy, client):
    world, _first, _latest = busy
    sec = world.users["secretary"]
    t = todos_for(sec)
    waiting = (LedgerEntry.status == "submitted", LedgerEntry.village_id == world.village.id)
    assert t.waiting.count == _count(*waiting) == 2
    oldest_first = list(db.session.scalars(select(LedgerEntry.id).where(*waiting).order_by(LedgerEntry.id)))
    assert [e.id for e in t.waiting.oldest] == oldest_first
    assert (
        t.objections
        == 1
        == db.session.scalar(select(func.count()).select_from(Objection).where(Objection.status == "open"))
    )
    # Months with entries, all reviewed, not closed, before this one: only CLOSABLE (BUSY waits for
    # review, CLOSED is closed, last month holds returned entries, this month is still under way).
    assert [m.period for m in t.closable_rows] == [CLOSABLE] and t.closable == 1
    assert [(n.village_code, n.overdue) for n in t.notices][:1] == [(world.village.code, True)]
    session_login(client, sec)
    page = client.get("/").get_data(as_text=True)
    links = _todo_links(page)
    first_notice = t.notices[0]
    assert links == {
        "review": "/review",
        "objections": "/village/objections",
        "months": "/months",
        "notices": f"/villages/{world.village.code}/notice?{next(iter(first_notice.query))}={first_notice.period.code}",
    }
    for link in links.values():
        assert client.get(link).status_code == 200, link
    entry_page = client.get(f"/entries/{oldest_first[0]}").get_data(as_text=True)  # listed oldest first
    assert f'href="/entries/{oldest_first[0]}"' in page and "审核通过" in entry_page and "退回" in entry_page
    assert "我家的股份没有算全" in client.get(links["objections"]).get_data(as_text=True)
    # The month closes as the to-do says, and leaves the list.
    ledger.close_month(sec, world.village, CLOSABLE)
    assert todos_for(sec).closable == 0


def test_the_other_village_sees_only_its_own(busy):
    world, _first, _latest = busy
    t = todos_for(world.users["other_secretary"])
    assert (t.waiting.count, t.objections, [m.period for m in t.closable_rows]) == (1, 0, [CLOSABLE])
    a = todos_for(world.users["other_accountant"])
    assert (a.returned, [r.reason for r in a.returned_rows], a.drafts) == (1, ["八维村的退回原因"], 1)


def test_a_month_waiting_for_a_plan_is_not_ready(busy):
    world, _first, _latest = busy
    from coopapp.distributions import plans

    from .builders import plan_input

    plans.draft_plan(world.users["secretary"], plan_input(world, period=CLOSABLE))
    assert todos_for(world.users["secretary"]).closable == 0  # close_month would refuse it too


def test_notices_due_by_the_calendar(world):
    """The secretary's notices by the calendar's rule, on a fixed day: 5 April of last year, a
    quarterly village: the fourth quarter before is overdue, the first quarter due by 10 April."""
    sec = world.users["secretary"]
    year = ledger.today().year - 1
    today = date(year, 4, 5)
    assert due.notices_due(sec, today=today) == []  # the village's books had not begun
    books_begun(world.village, f"{year - 1}-06")
    due_list = due.notices_due(sec, today=today)
    assert [(n.period.code, n.overdue, n.days_overdue) for n in due_list] == [
        (f"{year - 1}Q4", True, (today - date(year, 1, 10)).days),
        (f"{year}Q1", False, 0),
    ]
    assert due_list[1].deadline == date(year, 4, 10)
    disclosure.publish_notice(sec, world.village, disclosure.parse_period(f"{year - 1}Q4"))
    assert [n.period.code for n in due.notices_due(sec, today=today)] == [f"{year}Q1"]
    disclosure.publish_notice(sec, world.village, disclosure.parse_period(f"{year}-01"))
    disclosure.publish_notice(sec, world.village, disclosure.parse_period(f"{year}-02"))
    disclosure.publish_notice(sec, world.village, disclosure.parse_period(f"{year}-03"))
    assert due.notices_due(sec, today=today) == []  # three months make the quarter


def test_reviewers_see_the_overdue_disclosures_of_their_area(world, client):
    sibling = world.sibling_village
    for village in (world.village, world.other_village, sibling):
        books_begun(village, f"{ledger.today().year - 2}-01")
    today = ledger.today()
    grace = disclosure.DEFAULT_GRACE_DAYS
    for period in {disclosure.due_period(today, grace, True).code, disclosure.due_period(today, grace, False).code}:
        db.session.add(
            Disclosure(
                village_id=sibling.id, period=period, published_at=utcnow(), published_by_id=world.users["admin"].id
            )
        )
    db.session.commit()
    county, town = todos_for(world.users["county_reviewer"]), todos_for(world.users["town_reviewer"])
    assert county.overdue == 2 and {r.village.code for r in county.overdue_rows} == {
        world.village.code,
        world.other_village.code,
    }
    assert town.overdue == 1 and [r.village.code for r in town.overdue_rows] == [world.village.code]
    session_login(client, world.users["town_reviewer"])
    page = client.get("/").get_data(as_text=True)
    assert _todo_links(page) == {"overdue": "/disclosure/calendar"}
    assert world.village.name in page and world.other_village.name not in page  # 八维村 is not in 高潭镇
    assert client.get("/disclosure/calendar").status_code == 200
    assert (
        f'href="/villages/{world.village.code}"' in page
        and client.get(f"/villages/{world.village.code}").status_code == 200
    )


def test_the_admins_held_back_users_and_users_of_retired_areas(world, client):
    later = utcnow() + timedelta(minutes=10)
    db.session.add(LoginFailure(key=f"user:{world.users['accountant'].id}", count=5, blocked_until=later))
    db.session.add(
        LoginFailure(key=f"user:{world.users['secretary'].id}", count=5, blocked_until=utcnow() - timedelta(minutes=1))
    )
    world.sibling_village.retired = True
    add_user("ganxi.acc", "accountant", world.sibling_village)
    db.session.commit()
    t = todos_for(world.users["admin"])
    assert (t.held_back, t.in_retired_areas) == (1, 1)
    town_admin = add_user("duozhu.admin", "admin", world.town_b)  # 多祝镇: neither user is there
    db.session.commit()
    assert (todos_for(town_admin).held_back, todos_for(town_admin).in_retired_areas) == (0, 0)
    session_login(client, world.users["admin"])
    page = client.get("/").get_data(as_text=True)
    assert _todo_links(page) == {"held-back": "/admin/users", "retired": "/admin/users"}
    assert client.get("/admin/users").status_code == 200


def test_nothing_to_do_says_so(world, client):
    session_login(client, world.users["other_accountant"])
    page = client.get("/").get_data(as_text=True)
    assert 'id="nothing-to-do"' in page


def test_the_counts_are_a_fixed_number_of_queries(busy):
    """However many villages: more villages in the county add no query to any home (no per-village loop)."""
    from coopapp.villages import catalog

    from .builders import statements

    world, _first, _latest = busy

    def queries_of(user) -> int:
        db.session.expire_all()
        with statements() as seen:
            todos_for(user)
        return len(seen)

    users = [world.users[k] for k in ("county_reviewer", "town_reviewer", "secretary", "accountant", "admin")]
    before = [queries_of(u) for u in users]
    began = f"{ledger.today().year - 2}-01"
    for n in range(3, 9):
        for village in (
            catalog.add_area(f"44132311030{n}", f"新村{n}", "village", world.town_a),
            catalog.add_area(f"44132310730{n}", f"新村B{n}", "village", world.town_b),
        ):
            db.session.flush()
            books_begun(village, began)
    for village in (world.village, world.other_village, world.sibling_village):
        books_begun(village, began)
    assert [queries_of(u) for u in users] == before
    assert todos_for(world.users["county_reviewer"]).overdue == 15  # every village, none published
    assert queries.awaiting_review(world.users["county_reviewer"]).count == 3
