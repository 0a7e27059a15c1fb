"""The spending side (issue 18 item 2): the spending kinds of the 2023 rules, their category (明细科目,
from the county's list; a banned one refused at submit), payment method and payee; the income
statement (收益及收益分配表) every page sums by; the comparison's `spending` and `net_income`."""

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from coopapp import settings
from coopapp.access import audit
from coopapp.core.income_statement import statement
from coopapp.core.vocabulary import (
    EXPENSE_LINES,
    INCOME_STATEMENT,
    KINDS,
    PAYOUT_KINDS,
    SPENDING_KINDS,
    STATEMENT_LINES,
)
from coopapp.disclosure import operations as disclosure
from coopapp.errors import Invalid
from coopapp.extensions import db
from coopapp.imports import batches
from coopapp.ledger import operations as ledger
from coopapp.ledger import rollups, spending
from coopapp.models import CountySettings, ImportBatch, LedgerEntry
from coopapp.reporting import comparison

from .builders import (
    M,
    approved_entry,
    body,
    counts,
    entry_body,
    entry_form,
    entry_input,
    login,
    run_import,
    write_xlsx,
)
from .test_exports import by_header, sheet_rows

NEW_KINDS = ("operating_expense", "admin_expense", "welfare_expense", "other_expense")
NOT_FOR_INCOME = (
    "只有支出类记录（经营支出（成本）、经营支出、管理费用、公益支出、其他支出）才填写明细科目、支付方式和收款人。"
)
BANNED = "村级不得开支招待费：请改为其他明细科目或作废此记录。"


def _entries() -> list[LedgerEntry]:
    db.session.rollback()
    return list(db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)))


def _set_county(world, **document) -> None:
    db.session.add(CountySettings(county_id=world.county.id, data=json.dumps(document)))
    db.session.commit()
    settings.forget()


# ---- the vocabulary and the statement ---------------------------------------------------------


def test_every_kind_has_its_line_and_the_statement_sums_with_the_sign():
    assert set(INCOME_STATEMENT) == set(KINDS) and set(SPENDING_KINDS) < set(KINDS)
    assert {INCOME_STATEMENT[k] for k in PAYOUT_KINDS} == {"distribution"} and INCOME_STATEMENT["output"] is None
    assert INCOME_STATEMENT["cost"] == INCOME_STATEMENT["operating_expense"] == "operating_expense"
    assert set(INCOME_STATEMENT.values()) - {None} == set(STATEMENT_LINES)
    # 支出 is one set of kinds: those that carry a category are those on the statement's spending lines
    assert {k for k, line in INCOME_STATEMENT.items() if line in EXPENSE_LINES} == set(SPENDING_KINDS)
    sums = statement(
        [
            ("sales", 1_000_000),
            ("sales", -150_000),  # a red return
            ("collective_income", 200_000),
            ("subsidy", 50_000),
            ("output", 9_999_999),  # production value: on no line
            ("cost", 100_000),
            ("operating_expense", 20_000),
            ("operating_expense", -20_000),  # a reversal
            ("admin_expense", 30_000),
            ("welfare_expense", 40_000),
            ("other_expense", 5_000),
            ("dividend", 300_000),
            ("wage", 70_000),
        ]
    )
    assert sums["lines"]["operating_income"] == 850_000 and sums["lines"]["operating_expense"] == 100_000
    assert sums["income_fen"] == 1_100_000 and sums["expense_fen"] == 175_000
    assert sums["net_income_fen"] == 925_000 and sums["distribution_fen"] == 370_000


# ---- the form, the API, the rules -------------------------------------------------------------


def test_the_form_records_each_spending_kind_with_its_category_method_and_payee(world, client, auth):
    auth.login("acc")
    page = client.get("/entries/new").get_data(as_text=True)
    # the fields are in the page without script (the script only hides them for other kinds)
    assert 'name="category"' in page and 'name="payment_method"' in page and 'name="payee"' in page
    assert "办公费" in page and 'value="cost"' not in page  # a new entry is written 经营支出, not 成本
    for kind in NEW_KINDS:
        form = entry_form(world, kind=kind, amount="800", category="维修费", payment_method="wechat", payee="李师傅")
        resp = client.post("/entries/new", data=form)
        assert resp.status_code == 302, resp.get_data(as_text=True)
    got = _entries()
    assert [(e.kind, e.category, e.payment_method, e.payee) for e in got] == [
        (k, "维修费", "wechat", "李师傅") for k in NEW_KINDS
    ]
    page = client.get(f"/entries/{got[1].id}").get_data(as_text=True)
    assert "管理费用" in page and "维修费" in page and "微信" in page and "李师傅" in page
    listed = client.get("/entries").get_data(as_text=True)
    assert "维修费 · 微信 · 收款人：李师傅" in listed


def test_a_category_is_refused_on_income_and_outside_the_county_list(world, client, auth):
    auth.login("acc")
    before = counts()
    resp = client.post("/entries/new", data=entry_form(world, kind="sales", category="办公费"))
    assert resp.status_code == 422 and NOT_FOR_INCOME in resp.get_data(as_text=True)
    resp = client.post("/entries/new", data=entry_form(world, kind="admin_expense", category="礼品费"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "明细科目“礼品费”不在本县的科目表中" in html and "办公费、水电费" in html
    assert counts() == before


def test_the_api_takes_and_shows_the_spending_fields(app, world):
    acc = login(app, "acc")
    for kind in ("cost", *NEW_KINDS):
        resp = acc.post(
            "/api/v1/entries",
            json=entry_body(world, kind=kind, amount="120", category="办公费", payment_method="cash", payee="文具店"),
        )
        assert resp.status_code == 201, resp.get_json()
        data = body(resp)
        assert (data["kind"], data["category"], data["payment_method"], data["payee"]) == (
            kind,
            "办公费",
            "cash",
            "文具店",
        )
    plain = body(acc.post("/api/v1/entries", json=entry_body(world)))
    assert (plain["category"], plain["payment_method"], plain["payee"]) == (None, None, None)
    before = counts()
    resp = acc.post("/api/v1/entries", json=entry_body(world, kind="subsidy", payee="某人"))
    assert resp.status_code == 422 and body(resp)["error"]["fields"]["payee"] == NOT_FOR_INCOME
    resp = acc.post("/api/v1/entries", json=entry_body(world, kind="welfare_expense", amount="-50", note="退款"))
    assert resp.status_code == 422 and "amount" in body(resp)["error"]["fields"]  # spending stays positive
    resp = acc.post("/api/v1/entries", json=entry_body(world, kind="other_expense", payment_method="bitcoin"))
    assert resp.status_code == 422 and "payment_method" in body(resp)["error"]["fields"]
    assert counts() == before


def test_a_banned_category_is_kept_as_a_draft_but_refused_at_submit(app, world, client, auth):
    acc = world.users["accountant"]
    entry = ledger.create_entry(
        acc, entry_input(world.project, kind="admin_expense", amount_fen=50_000, category="招待费")
    )
    db.session.commit()
    with pytest.raises(Invalid) as refused:
        ledger.submit_entry(acc, entry)
    assert refused.value.message == BANNED and refused.value.fields == {"category": BANNED}
    db.session.rollback()
    assert db.session.get(LedgerEntry, entry.id).status == "draft"
    # the API says the same; the page shows why there is no submit button
    api = login(app, "acc")
    resp = api.post(f"/api/v1/entries/{entry.id}/submit")
    assert resp.status_code == 422 and body(resp)["error"]["message"] == BANNED
    auth.login("acc")
    page = client.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert BANNED in page and "提交审核" not in page
    # a county that bans nothing lets it through
    _set_county(world, banned_categories=[])
    ledger.submit_entry(acc, db.session.get(LedgerEntry, entry.id))
    assert db.session.get(LedgerEntry, entry.id).status == "submitted"


def test_the_yearly_cap_of_non_productive_spending_only_warns(world, client, auth):
    _set_county(world, non_productive_cap_fen=100_000)
    approved_entry(world, kind="admin_expense", amount_fen=60_000, category="办公费")
    approved_entry(world, kind="other_expense", amount_fen=30_000)
    approved_entry(world, kind="operating_expense", amount_fen=500_000)  # productive: not counted
    assert spending.non_productive_total(world.village.id, M.year) == 90_000
    acc = world.users["accountant"]
    draft = ledger.create_entry(acc, entry_input(world.project, kind="admin_expense", amount_fen=20_000))
    assert spending.exceeds_cap(draft) == {"cap_fen": 100_000, "total_fen": 110_000}
    small = ledger.create_entry(acc, entry_input(world.project, kind="admin_expense", amount_fen=5_000))
    assert spending.exceeds_cap(small) is None
    db.session.commit()
    auth.login("acc")
    page = client.get(f"/entries/{draft.id}").get_data(as_text=True)
    assert "超过县定上限 1,000.00 元" in page and "提交审核" in page  # a warning (预警), not a block
    ledger.submit_entry(acc, db.session.get(LedgerEntry, draft.id))


def test_the_spending_fields_are_audited_only_when_set(world):
    plain = approved_entry(world, kind="cost", amount_fen=10_000)
    paid = approved_entry(world, kind="welfare_expense", amount_fen=10_000, payment_method="bank", payee="  路灯厂 ")
    assert not {"category", "payment_method", "payee"} & set(plain.audit_snapshot())
    assert paid.audit_snapshot()["payee"] == "路灯厂" and paid.audit_snapshot()["payment_method"] == "bank"
    assert "category" not in paid.audit_snapshot()
    db.session.commit()
    assert audit.verify() is None


# ---- files ----------------------------------------------------------------------------------

HEADER = ["日期", "摘要", "类别", "明细科目", "支付方式", "收款人", "金额（元）"]


def test_the_import_reads_the_new_kinds_categories_and_payment_methods(app, world, tmp_path):
    d = M.replace(day=5)
    head = world.households[0].head_name
    rows = [
        [d, "买打印纸", "管理费用", "办公费", "现金", "文具店", "120.00"],
        [d, "修水泵", "经营支出", "维修费", "转账", "李师傅", "800.00"],
        [d, "路灯电费", "公益支出", "水电费", "微信支付", None, "60.50"],
        [d, "杂项", "其他支出", None, "支付宝", None, "10.00"],
        [d, "饲料", "成本", None, None, None, "300.00"],  # 成本 as old files write it: no category
        [d, "分红", "分红", None, "银行", head, "500.00"],  # 收款人 of a payout is its household
        [d, "蜂蜜", "销售收入", None, None, None, "2,000.00"],
    ]
    path = write_xlsx(tmp_path / "支出.xlsx", rows, header=HEADER)
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 1 and [(e["row"], e["column"]) for e in report["errors"]] == [(10, "支付方式")]
    assert NOT_FOR_INCOME in report["errors"][0]["message"]  # the dividend's 银行: a payout is not spending
    rows[5][4] = None
    path = write_xlsx(tmp_path / "支出.xlsx", rows, header=HEADER)
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report
    got = _entries()
    assert [(e.kind, e.category, e.payment_method, e.payee, e.amount_fen) for e in got] == [
        ("admin_expense", "办公费", "cash", "文具店", 12_000),
        ("operating_expense", "维修费", "bank", "李师傅", 80_000),
        ("welfare_expense", "水电费", "wechat", None, 6_050),
        ("other_expense", None, "alipay", None, 1_000),
        ("cost", None, None, None, 30_000),
        ("dividend", None, None, None, 50_000),
        ("sales", None, None, None, 200_000),
    ]
    assert got[5].household_id == world.households[0].id
    assert audit.verify() is None  # the bulk writer's events match each entry's snapshot
    batches.submit_batch(world.users["accountant"], db.session.get(ImportBatch, report["batch_id"]))
    for entry in _entries():
        ledger.approve_entry(world.users["secretary"], entry)
    assert rollups.verify() == []


def test_bad_spending_cells_are_refused_under_their_columns_and_nothing_is_written(app, world, tmp_path):
    d = M.replace(day=5)
    rows = [
        [d, "礼品", "管理费用", "礼品费", None, None, "100"],
        [d, "比特币", "其他支出", None, "比特币", None, "100"],
        [d, "蜂蜜", "销售收入", "办公费", None, None, "100"],
    ]
    path = write_xlsx(tmp_path / "坏支出.xlsx", rows, header=HEADER)
    before = counts()
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 1 and report["imported"] is False
    assert [(e["row"], e["column"], e["value"]) for e in report["errors"]] == [
        (5, "明细科目", "礼品费"),
        (6, "支付方式", "比特币"),
        (7, "明细科目", "办公费"),
    ]
    assert "未知支付方式（可用：现金、银行转账、微信、支付宝、其他）。" == report["errors"][1]["message"]
    assert counts() == before


def test_an_export_with_spending_fields_imports_back_to_the_same_rows(app, world, client, auth, tmp_path):
    approved_entry(
        world, kind="admin_expense", amount_fen=12_000, category="办公费", payment_method="cash", payee="文具店"
    )
    approved_entry(world, kind="cost", amount_fen=30_000)
    approved_entry(world, kind="sales", amount_fen=200_000)
    db.session.commit()
    auth.login("acc")
    content = client.get("/entries/export.xlsx?status=approved").data
    data = by_header(sheet_rows(content), 1)
    office = [d for d in data if d["明细科目"] == "办公费"][0]
    assert (office["类别"], office["支付方式"], office["收款人"]) == ("管理费用", "现金", "文具店")
    path = tmp_path / "export.xlsx"
    path.write_bytes(content)
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report
    got = _entries()
    fields = [(e.kind, e.category, e.payment_method, e.payee, e.amount_fen) for e in got]
    assert fields[3:] == fields[:3]


# ---- the statement on the pages and in the comparison ----------------------------------------


@pytest.fixture()
def year_book(world):
    """Last month, approved: sales 10,000.00 and a return of −1,000.00; operating spending 2,000.00,
    administrative 500.00; a dividend of 3,000.00 to a household; output 50,000.00."""
    approved_entry(world, kind="sales", amount_fen=1_000_000)
    approved_entry(world, kind="sales", amount_fen=-100_000, note="退货")
    approved_entry(world, kind="operating_expense", amount_fen=200_000, category="维修费")
    approved_entry(world, kind="admin_expense", amount_fen=50_000, category="办公费")
    approved_entry(world, kind="dividend", amount_fen=300_000, household_id=world.households[0].id)
    approved_entry(world, kind="output", amount_fen=5_000_000)
    db.session.commit()
    return world


def test_the_public_page_counts_dividends_as_distribution_not_spending(year_book, client, auth):
    world = year_book
    figures = disclosure.period_figures(world.village, disclosure.Period(M.year, 1, 12))
    assert figures["income_total_fen"] == 900_000 and figures["expense_total_fen"] == 250_000
    assert figures["net_income_fen"] == 650_000 and figures["payouts_fen"] == 300_000
    page = client.get(f"/p/{world.village.code}?year={M.year}").get_data(as_text=True)
    assert "收益分配" in page and "本期收益" in page
    assert "2,500.00" in page and "6,500.00" in page and "3,000.00" in page
    assert "5,500.00" not in page  # today's 支出 counted the dividend: 2,000 + 500 + 3,000
    auth.login("sec")
    notice = client.get(f"/villages/{world.village.code}/notice?period={M.strftime('%Y-%m')}").get_data(as_text=True)
    assert "管理费用" in notice and "2,500.00" in notice and "6,500.00" in notice and "5,500.00" not in notice


def test_the_comparison_metrics_spending_and_net_income(app, year_book):
    world = year_book
    (row,) = [
        r for r in comparison.compare(world.users["county_reviewer"], world.county, M.year) if r["name"] == "中洞村"
    ]
    assert row["spending_fen"] == 250_000 and row["net_income_fen"] == 650_000
    data = body(login(app, "county").get(f"/api/v1/compare?year={M.year}&metric=net_income"))
    (api_row,) = [r for r in data["rows"] if r["name"] == "中洞村"]
    assert api_row["spending"] == "2500.00" and api_row["net_income"] == "6500.00"
    assert rollups.verify() == []


def test_rollup_verify_notices_a_spending_summary_that_drifted(year_book):
    from coopapp.models import ProjectYearSummary

    row = db.session.scalars(select(ProjectYearSummary).where(ProjectYearSummary.kind == "admin_expense")).one()
    row.amount_fen += 1
    db.session.flush()
    problems = rollups.verify()
    assert any(p.startswith("statement ") for p in problems)
    db.session.rollback()


def test_the_reports_spending_column_covers_every_spending_kind(year_book):
    from coopapp.reporting import dashboard, metrics

    world = year_book
    months = dashboard.project_months(world.project, M.year)
    assert months["totals"]["cost_fen"] == 250_000 and months["totals"]["payouts_fen"] == 300_000
    (project,) = [p for p in metrics.project_rows(world.village, M.year) if p["id"] == world.project.id]
    assert project["cost_fen"] == 250_000
    assert Decimal(project["sales_fen"]) == 900_000
