"""The pages end to end: login, the entry form, review, month closing and the reports."""

import re

from sqlalchemy import func, select

from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import ClosedMonth, Household, LedgerEntry, Project

from .builders import approved_entry, entry_form, entry_input, prev_period


def _count(model=LedgerEntry) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _last_entry() -> LedgerEntry:
    return db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id.desc())).first()


def test_login_sends_each_role_to_its_home(world, client, auth):
    assert client.get("/").headers["Location"].endswith("/login")
    for username, item in [
        ("acc", "todo-returned"),
        ("sec", "todo-review"),
        ("county", "todo-overdue"),
        ("admin", "todo-held-back"),
    ]:
        resp = auth.login(username)
        assert resp.status_code == 302 and resp.headers["Location"] == "/"
        home = client.get("/")
        assert home.status_code == 200 and f'id="{item}"' in home.get_data(as_text=True)  # tests/test_home_todos.py
        auth.logout()
        assert client.get("/").headers["Location"].endswith("/login")


def test_wrong_password_shows_message_and_does_not_log_in(world, client, auth):
    resp = auth.login("acc", "wrong-password-9")
    assert resp.status_code == 422
    assert "用户名或密码错误" in resp.get_data(as_text=True)
    assert client.get("/entries").status_code == 302


def test_repeated_failures_lock_the_login(world, client, auth):
    for _ in range(3):
        auth.login("acc", "wrong-password-9")
    resp = auth.login("acc")  # right password, but locked
    assert resp.status_code == 422
    assert "登录失败次数过多" in resp.get_data(as_text=True)


def test_login_ignores_offsite_next(world, client):
    resp = client.post("/login?next=https://evil.example/x", data={"username": "acc", "password": "pass-word-1"})
    assert resp.headers["Location"] == "/"


def test_accountant_creates_entries_with_typed_amounts(world, client, auth):
    auth.login("acc")
    assert client.get("/entries/new").status_code == 200
    resp = client.post("/entries/new", data=entry_form(world, amount="1.2万", quantity="800", unit="jin"))
    assert resp.status_code == 302
    first = _last_entry()
    assert (first.amount_fen, first.status, first.quantity, first.unit) == (1_200_000, "draft", 400, "kg")
    resp = client.post("/entries/new", data=entry_form(world, amount="1,234.50"))
    assert resp.status_code == 302
    assert _last_entry().amount_fen == 123_450
    page = client.get("/entries").get_data(as_text=True)
    assert "12,000.00" in page and "1,234.50" in page and "草稿" in page


def test_bad_amount_is_shown_beside_the_field_and_nothing_is_written(world, client, auth):
    auth.login("acc")
    before = _count()
    resp = client.post("/entries/new", data=entry_form(world, amount="12abc"))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert re.search(r'id="amount-error">[^<]*金额格式不对', html)
    assert 'value="12abc"' in html  # what was typed is kept
    assert _count() == before
    # A date outside the month typed: said at once beside the bad amount, not on the next try.
    day = f"{int(prev_period()[:4]) - 1}-06-15"
    html = client.post("/entries/new", data=entry_form(world, amount="1.2.3", date=day)).get_data(as_text=True)
    assert re.search(r'id="amount-error">', html) and re.search(r'id="date-error">[^<]*日期不在所选月份内', html)


def test_domain_errors_land_beside_their_fields(world, client, auth):
    auth.login("acc")
    before = _count()
    resp = client.post("/entries/new", data=entry_form(world, kind="dividend", quantity="5"))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert re.search(r'id="household_id-error">[^<]*必须选择农户', html)
    assert re.search(r'id="unit-error">[^<]*请选择单位', html)
    assert _count() == before


def test_payout_with_household_from_select(world, client, auth):
    auth.login("acc")
    household = world.households[1]
    html = client.get("/entries/new").get_data(as_text=True)
    assert f'<option value="{household.id}">李四</option>' in html
    assert "赵六" not in html  # another village's household is not offered
    resp = client.post("/entries/new", data=entry_form(world, kind="wage", household_id=str(household.id)))
    assert resp.status_code == 302
    assert _last_entry().household_id == household.id


def test_full_review_cycle_through_the_pages(world, client, auth):
    auth.login("acc")
    client.post("/entries/new", data=entry_form(world, kind="collective_income", amount="2.5万"))
    entry = _last_entry()
    assert client.post(f"/entries/{entry.id}/submit").status_code == 302
    db.session.refresh(entry)
    assert entry.status == "submitted"
    auth.logout()

    auth.login("sec")
    queue = client.get("/review").get_data(as_text=True)
    assert f"/entries/{entry.id}/approve" in queue and "25,000.00" in queue
    resp = client.post(f"/entries/{entry.id}/return", data={"reason": ""})
    assert resp.status_code == 422 and "请填写原因" in resp.get_data(as_text=True)
    db.session.refresh(entry)
    assert entry.status == "submitted"
    client.post(f"/entries/{entry.id}/return", data={"reason": "发票金额不符"})
    db.session.refresh(entry)
    assert (entry.status, entry.return_reason) == ("returned", "发票金额不符")
    auth.logout()

    auth.login("acc")
    page = client.get("/entries").get_data(as_text=True)
    assert "发票金额不符" in page and "已退回" in page
    edit = client.get(f"/entries/{entry.id}/edit").get_data(as_text=True)
    assert 'value="25000.00"' in edit
    client.post(f"/entries/{entry.id}/edit", data=entry_form(world, kind="collective_income", amount="2.4万"))
    client.post(f"/entries/{entry.id}/submit")
    db.session.refresh(entry)
    assert (entry.status, entry.amount_fen) == ("submitted", 2_400_000)
    auth.logout()

    auth.login("sec")
    assert client.post(f"/entries/{entry.id}/approve").status_code == 302
    db.session.refresh(entry)
    assert entry.status == "approved"
    asked = client.post("/months", data={"period": entry.period})  # the confirmation page first
    assert asked.status_code == 200 and f"将结账 {entry.period}：本月 1 条已审核记录" in asked.get_data(as_text=True)
    assert db.session.scalar(select(ClosedMonth.period)) is None
    assert client.post("/months", data={"period": entry.period, "confirmed": "1"}).status_code == 302
    assert db.session.scalar(select(ClosedMonth.period)) == entry.period
    assert entry.period in client.get("/months").get_data(as_text=True)
    auth.logout()

    auth.login("county")
    year = entry.period[:4]
    table = client.get(f"/areas?year={year}").get_data(as_text=True)
    assert "中洞村" in table and "24,000.00" in table
    assert f"/villages/{world.village.code}?year={year}" in table
    village = client.get(f"/villages/{world.village.code}?year={year}").get_data(as_text=True)
    assert "中华蜂养殖" in village and "24,000.00" in village


def test_county_table_sums_towns_and_drills_down(world, client, auth):
    approved_entry(world, kind="collective_income", amount_fen=30_000_00)
    approved_entry(world, kind="dividend", amount_fen=500_00, household_id=world.households[0].id)
    other = ledger.create_entry(
        world.users["other_accountant"], entry_input(world.other_project, kind="output", amount_fen=7_000_00)
    )
    ledger.submit_entry(world.users["other_accountant"], other)
    ledger.approve_entry(world.users["other_secretary"], other)
    year = other.period[:4]
    auth.login("county")
    html = client.get(f"/areas?year={year}").get_data(as_text=True)
    town_a = re.search(r"高潭镇</a></td>(.*?)</tr>", html, re.S).group(1)
    assert "30,000.00" in town_a and "1 / 3" in town_a and "33.3%" in town_a
    town_b = re.search(r"多祝镇</a></td>(.*?)</tr>", html, re.S).group(1)
    assert "7,000.00" in town_b and "30,000.00" not in town_b
    town_page = client.get(f"/areas?area={world.town_b.code}&year={year}").get_data(as_text=True)
    assert "八维村" in town_page and "中洞村" not in town_page
    village = client.get(f"/villages/{world.other_village.code}?year={year}").get_data(as_text=True)
    assert "八维村光伏电站" in village and "7,000.00" in village


def test_closing_a_month_with_pending_entries_is_refused(world, client, auth):
    entry = ledger.create_entry(world.users["accountant"], entry_input(world.project))
    auth.login("sec")
    resp = client.post("/months", data={"period": entry.period}, follow_redirects=True)
    assert "未处理" in resp.get_data(as_text=True)
    assert _count(ClosedMonth) == 0
    resp = client.post("/months", data={"period": "2999-01"})
    assert resp.status_code == 422 and 'id="period-error"' in resp.get_data(as_text=True)
    assert _count(ClosedMonth) == 0


def test_reverse_an_approved_entry(world, client, auth):
    entry = approved_entry(world, amount_fen=500_00)
    auth.login("acc")
    page = client.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert f"/entries/{entry.id}/reverse" in page
    resp = client.post(f"/entries/{entry.id}/reverse", data={"reason": ""})
    assert resp.status_code == 422 and _count() == 1
    resp = client.post(f"/entries/{entry.id}/reverse", data={"reason": "重复登记"})
    assert resp.status_code == 302
    reversal = _last_entry()
    assert (reversal.reverses_id, reversal.amount_fen, reversal.status) == (entry.id, -500_00, "submitted")
    original = client.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert f"/entries/{reversal.id}" in original
    assert "重复登记" in client.get(f"/entries/{reversal.id}").get_data(as_text=True)


def test_approved_entry_cannot_be_edited_through_the_form(world, client, auth):
    entry = approved_entry(world, amount_fen=500_00)
    auth.login("acc")
    assert client.get(f"/entries/{entry.id}/edit").status_code == 302
    resp = client.post(f"/entries/{entry.id}/edit", data=entry_form(world, amount="1"))
    assert resp.status_code == 409 and "已审核的记录不能修改；如有错误，请作冲销" in resp.get_data(as_text=True)
    db.session.refresh(entry)
    assert entry.amount_fen == 500_00


def test_void_own_draft(world, client, auth):
    entry = ledger.create_entry(world.users["accountant"], entry_input(world.project))
    auth.login("acc")
    asked = client.post(f"/entries/{entry.id}/void")
    assert "作废后此记录不再计入汇总" in asked.get_data(as_text=True)
    db.session.refresh(entry)
    assert entry.status == "draft"
    client.post(f"/entries/{entry.id}/void", data={"confirmed": "1"})
    db.session.refresh(entry)
    assert entry.status == "void"


def test_secretary_manages_projects_and_households(world, client, auth):
    auth.login("sec")
    resp = client.post(
        "/village/projects/new",
        data={
            "name": "中洞民宿",
            "type": "tourism",
            "cooperative_id": "",
            "capacity": "12",
            "capacity_unit": "room",
            "target_output": "30万",
            "active": "y",
        },
    )
    assert resp.status_code == 302
    project = db.session.scalar(select(Project).where(Project.name == "中洞民宿"))
    assert (project.village_id, project.target_for(ledger.today().year).output_fen, project.capacity_unit) == (
        world.village.id,
        30_000_000,
        "room",
    )
    resp = client.post(f"/village/projects/{project.id}/edit", data={"name": "中洞民宿二期", "type": "tourism"})
    assert resp.status_code == 302
    db.session.refresh(project)
    assert project.name == "中洞民宿二期" and project.active is False
    assert "中洞民宿二期" in client.get("/village/projects").get_data(as_text=True)

    resp = client.post(
        "/village/households/new",
        data={"head_name": "陈七", "members": "4", "group_code": world.group.code, "id_number": "123"},
    )
    assert resp.status_code == 422 and "18 位" in resp.get_data(as_text=True)
    resp = client.post(
        "/village/households/new",
        data={"head_name": "陈七", "members": "4", "group_code": world.group.code, "phone": "13900001111"},
    )
    assert resp.status_code == 302
    household = db.session.scalar(select(Household).where(Household.head_name == "陈七"))
    assert (household.group_id, household.phone) == (world.group.id, "13900001111")
    resp = client.post(
        f"/village/households/{household.id}/edit", data={"head_name": "陈七", "members": "5", "phone": "12x"}
    )
    assert resp.status_code == 422 and "7–15 位数字" in resp.get_data(as_text=True)
    db.session.refresh(household)
    assert household.members == 4


def test_household_list_masks_id_numbers_and_phones_for_everyone(world, client, auth):
    full, phone = world.households[0].id_number, world.households[0].phone
    masked = full[:4] + "**********" + full[-4:]
    for username, path in [
        ("sec", "/village/households"),
        ("acc", "/village/households"),
        ("county", f"/village/households?village={world.village.code}"),
    ]:
        auth.login(username)
        page = client.get(path).get_data(as_text=True)
        assert full not in page and masked in page, username
        assert phone not in page and "138****0001" in page, username
        auth.logout()


def test_household_names_masked_in_lists_without_view_private(world, client, auth):
    auth.login("sec")
    assert "张三丰" in client.get("/village/households").get_data(as_text=True)
    auth.logout()
    auth.login("county")
    page = client.get(f"/village/households?village={world.village.code}").get_data(as_text=True)
    assert "张三丰" not in page and "张*丰" in page and "李*" in page


def test_secretary_edit_form_shows_the_full_id_number_and_phone(world, client, auth):
    household = world.households[0]
    auth.login("sec")
    form = client.get(f"/village/households/{household.id}/edit").get_data(as_text=True)
    assert f'value="{household.id_number}"' in form and f'value="{household.phone}"' in form


def test_user_text_is_escaped(world, client, auth):
    evil = "<script>alert(1)</script>"
    entry = ledger.create_entry(world.users["accountant"], entry_input(world.project, note=evil))
    world.households[0].head_name = evil
    world.project.name = evil
    db.session.commit()
    auth.login("acc")
    for path in (f"/entries/{entry.id}", "/entries", "/entries/new", "/village/households", "/village/projects"):
        html = client.get(path).get_data(as_text=True)
        assert evil not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path


def test_a_corrected_and_resubmitted_entry_no_longer_reads_as_returned(world, client, auth):
    """Returned: the reason as a warning and who returned it; resubmitted: the reason as last time's;
    approved: no reason, and the reviewer as 审核人."""
    from coopapp.ledger import operations as ledger

    from .builders import entry_input

    acc, sec = world.users["accountant"], world.users["secretary"]
    entry = ledger.submit_entry(acc, ledger.create_entry(acc, entry_input(world.project)))
    ledger.return_entry(sec, entry, "缺少发票")
    auth.login("acc")
    page = client.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert "退回原因：缺少发票" in page and "<dt>退回人</dt>" in page
    ledger.submit_entry(acc, entry)
    page = client.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert "上次退回的原因（已改正后重新提交）：缺少发票" in page and "退回原因：" not in page
    ledger.approve_entry(sec, entry)
    page = client.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert "缺少发票" not in page and "<dt>审核人</dt>" in page


def test_an_edit_page_left_open_while_the_entry_was_submitted(world, client, auth):
    """Saved from a stale tab: the entry is not changed, the page says why (submitted, not "not yours")
    and keeps what was typed."""
    from coopapp.extensions import db
    from coopapp.ledger import operations as ledger
    from coopapp.models import LedgerEntry

    from .builders import entry_form, entry_input

    acc = world.users["accountant"]
    entry = ledger.create_entry(acc, entry_input(world.project))
    auth.login("acc")
    assert client.get(f"/entries/{entry.id}/edit").status_code == 200
    ledger.submit_entry(acc, entry)  # from another tab
    resp = client.post(f"/entries/{entry.id}/edit", data={**entry_form(world), "amount": "99"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "已提交审核，不能再修改" in page and 'value="99"' in page
    assert db.session.get(LedgerEntry, entry.id).amount_fen == entry_input(world.project).amount_fen


def test_a_project_form_names_every_bad_field_at_once(world, client, auth):
    """规模 that is no number and a negative target: both beside their fields on the first try."""
    from coopapp.models import Project

    auth.login("sec")
    data = {"name": "错项目", "type": "other", "capacity": "三百x", "target_collective_income": "-5000", "active": "y"}
    resp = client.post("/village/projects/new", data=data)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "目标不能为负数" in page
    assert 'id="capacity-error"' in page and 'id="target_collective_income-error"' in page
    assert db.session.scalar(select(Project).where(Project.name == "错项目")) is None
