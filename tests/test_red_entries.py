"""Red entries (红字冲减): a return, a refund or an adjustment of income or output, typed as a
negative amount (and quantity) with its reason in the note. One sign rule (`ledger.signs`) for the
form, the API and the imports; reviewed like any entry; counted with its sign in every summary;
shown as such on pages, exports, the notice and the public page. Payout kinds stay positive."""

import csv
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from coopapp.access import audit
from coopapp.core.money import ParseError, parse_decimal, parse_yuan
from coopapp.core.vocabulary import KINDS, PAYOUT_KINDS, RED_ENTRY_KINDS
from coopapp.extensions import db
from coopapp.imports import batches
from coopapp.imports.parse import parse_amount, parse_quantity
from coopapp.ledger import operations as ledger
from coopapp.ledger import rollups
from coopapp.ledger.signs import sign_problems
from coopapp.models import ImportBatch, LedgerEntry, MonthlySummary, ProjectYearSummary
from coopapp.reporting import comparison

from .builders import (
    PERIOD,
    M,
    approved_entry,
    body,
    counts,
    csv_rows,
    entry_body,
    entry_form,
    login,
    run_import,
    write_xlsx,
)
from .test_exports import by_header, sheet_rows

NOTE_RULE = "红字（负数）记录必须在备注中写明原因。"
POSITIVE_RULE = "金额必须大于零；更正已审核的记录请用“冲销”。"
SAME_SIGN = "数量与金额的正负应一致：红字（负数）记录的数量和金额都填负数。"
NOT_ZERO = "金额不能为零。"
RED_1500 = '<span class="neg">−1,500.00</span>'


def _entries() -> list[LedgerEntry]:
    db.session.rollback()
    return list(db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)))


# ---- the notations ---------------------------------------------------------------------------

NOTATIONS = ["-1500", "−1500", "－1500", "(1,500.00)", "（1,500.00）", "1500-", "1,500.00-", "-1,500.00元", "-0.15万"]


@pytest.mark.parametrize("text", [*NOTATIONS, "￥-1,500", "(1,500元)", "- 1500"])
def test_every_notation_of_a_negative_amount_is_read(text):
    assert parse_yuan(text) == -150_000
    assert parse_amount(text) == -150_000


@pytest.mark.parametrize("text", ["(-5)", "--5", "-5-", "−(5)", "-", "()", "(5", "5)", "+-5"])
def test_two_signs_or_a_lone_one_are_refused_not_guessed(text):
    with pytest.raises(ParseError):
        parse_yuan(text)
    with pytest.raises(ParseError):
        parse_amount(text)


@pytest.mark.parametrize(
    ("text", "quantity", "unit"),
    [
        ("-50", "-50", ""),
        ("−50斤", "-50", "斤"),
        ("－50", "-50", ""),
        ("(50)", "-50", ""),
        ("（50）千克", "-50", "千克"),
    ]
    + [("50-", "-50", ""), ("-0", "0", "")],
)
def test_a_quantity_is_negative_in_the_same_notations(text, quantity, unit):
    assert parse_quantity(text) == (Decimal(quantity), unit)
    if not unit:
        assert parse_decimal(text) == Decimal(quantity)  # the form's quantity field


def test_a_negative_number_cell_is_read_as_is():
    assert parse_amount(-1500.0) == -150_000 and parse_amount(-0.01) == -1
    assert parse_quantity(-50.0) == (Decimal(-50), "")


# ---- the rule --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "amount", "quantity", "note", "problems"),
    [
        ("sales", -150_000, Decimal(-50), "退货", {}),
        ("output", -1, None, "产值调减", {}),
        ("collective_income", -100, None, "多计分成", {}),
        ("subsidy", -100, Decimal(0), "退回多拨补贴", {}),  # a zero quantity goes with either sign
        ("sales", -150_000, Decimal(0), "价格折让", {}),
        ("sales", -150_000, None, "  ", {"note": NOTE_RULE}),
        ("sales", -150_000, Decimal(50), "退货", {"quantity": SAME_SIGN}),
        ("sales", 150_000, Decimal(-50), "", {"quantity": SAME_SIGN}),
        ("sales", 0, None, "", {"amount": NOT_ZERO}),
        ("output", 0, Decimal(-5), "x", {"amount": NOT_ZERO}),
        ("dividend", -100, None, "退回", {"amount": POSITIVE_RULE}),
        ("cost", -100, None, "退款", {"amount": POSITIVE_RULE}),
        ("wage", 0, None, "", {"amount": POSITIVE_RULE}),
        ("purchase", 100, Decimal(-3), "", {"quantity": "数量不能为负数。"}),
        ("sales", 100, Decimal(3), "", {}),
    ],
)
def test_the_sign_rule(db, kind, amount, quantity, note, problems):
    assert sign_problems(kind, amount, quantity, note) == problems


def test_the_red_kinds_are_income_and_output_and_every_other_kind_stays_positive(db):
    assert set(RED_ENTRY_KINDS) == {"output", "sales", "collective_income", "subsidy"}
    for kind in KINDS:
        problems = sign_problems(kind, -100, None, "原因")
        assert problems == ({} if kind in RED_ENTRY_KINDS else {"amount": POSITIVE_RULE}), kind
    assert not set(RED_ENTRY_KINDS) & {*PAYOUT_KINDS, "cost"}


# ---- the form and the API --------------------------------------------------------------------


def test_the_entry_form_saves_a_red_entry_and_refuses_one_without_its_reason(world, client, auth):
    auth.login("acc")
    before = counts()
    red = {"amount": "(1,500.00)", "quantity": "-50", "unit": "kg"}
    resp = client.post("/entries/new", data=entry_form(world, **red))
    assert resp.status_code == 422
    assert NOTE_RULE in resp.get_data(as_text=True)
    assert counts() == before
    resp = client.post("/entries/new", data=entry_form(world, amount="1,500", quantity="-50", unit="kg"))
    assert resp.status_code == 422 and SAME_SIGN in resp.get_data(as_text=True)
    resp = client.post("/entries/new", data=entry_form(world, kind="cost", amount="-1500", note="退款"))
    assert resp.status_code == 422 and POSITIVE_RULE in resp.get_data(as_text=True)
    assert counts() == before

    resp = client.post("/entries/new", data=entry_form(world, note="蜂蜜结晶退货 50 千克", **red))
    assert resp.status_code == 302
    (entry,) = _entries()
    assert (entry.kind, entry.amount_fen, entry.quantity, entry.unit) == ("sales", -150_000, Decimal(-50), "kg")
    assert entry.note == "蜂蜜结晶退货 50 千克" and entry.status == "draft"
    assert entry.is_red and entry.reverses_id is None  # an ordinary entry of its kind, not a reversal
    page = client.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert RED_1500 in page and '<span class="neg">−50</span>' in page and 'class="tag red"' in page
    listing = client.get("/entries").get_data(as_text=True)
    assert RED_1500 in listing and "红字" in listing
    # the edit form shows the amount back as it is stored, and saves it unchanged
    edit = client.get(f"/entries/{entry.id}/edit").get_data(as_text=True)
    assert 'value="-1500.00"' in edit


def test_the_api_takes_a_red_entry_and_refuses_what_the_rule_refuses(app, world):
    acc = login(app, "acc")
    resp = acc.post("/api/v1/entries", json=entry_body(world, amount="-1500", quantity="-50", unit="kg", note="退货"))
    assert resp.status_code == 201, resp.get_json()
    data = body(resp)
    assert (data["amount"], data["amount_fen"], data["quantity"], data["kind"]) == (
        "-1500.00",
        -150_000,
        "-50",
        "sales",
    )
    before = counts()
    household = world.households[0].id
    for overrides, field, message in [
        ({"amount": "-1500"}, "note", NOTE_RULE),
        ({"amount": -1500, "note": " "}, "note", NOTE_RULE),  # a JSON number; a blank note is none
        (
            {"amount": "(1,500.00)", "kind": "dividend", "household_id": household, "note": "退回"},
            "amount",
            POSITIVE_RULE,
        ),
        ({"amount": "-1500", "kind": "cost", "note": "退款"}, "amount", POSITIVE_RULE),
        ({"amount": "1500", "quantity": "-50", "unit": "kg"}, "quantity", SAME_SIGN),
        ({"amount": "-1500", "quantity": "50", "unit": "kg", "note": "退货"}, "quantity", SAME_SIGN),
        ({"amount": "0"}, "amount", NOT_ZERO),
    ]:
        resp = acc.post("/api/v1/entries", json=entry_body(world, **overrides))
        assert resp.status_code == 422, overrides
        assert body(resp)["error"]["fields"][field] == message, overrides
    # editing a red draft goes through the same rule
    resp = acc.client.put(
        f"/api/v1/entries/{data['id']}", json=entry_body(world, amount="-1500", note=""), headers=acc.headers
    )
    assert resp.status_code == 422 and body(resp)["error"]["fields"]["note"] == NOTE_RULE
    assert counts() == before


# ---- review, summaries, rollup verify --------------------------------------------------------


def _sales_sums() -> tuple:
    db.session.rollback()
    monthly = db.session.execute(
        select(func.sum(MonthlySummary.amount_fen), func.sum(MonthlySummary.quantity)).where(
            MonthlySummary.kind == "sales"
        )
    ).one()
    yearly = db.session.scalar(
        select(func.sum(ProjectYearSummary.amount_fen)).where(ProjectYearSummary.kind == "sales")
    )
    return int(monthly[0]), Decimal(monthly[1]), int(yearly)


def test_a_red_entry_is_reviewed_like_any_and_counts_with_its_sign(app, world, client, auth):
    acc, sec = login(app, "acc"), login(app, "sec")
    approved_entry(world, kind="sales", amount_fen=500_000, quantity=Decimal(200), unit="kg", note="蜂蜜")
    resp = acc.post(
        "/api/v1/entries", json=entry_body(world, amount="(1,500.00)", quantity="-50", unit="kg", note="退货")
    )
    red_id = body(resp)["id"]
    assert body(acc.post(f"/api/v1/entries/{red_id}/submit"))["status"] == "submitted"
    resp = sec.post(f"/api/v1/entries/{red_id}/return", json={"reason": "请写明退货单号"})
    assert body(resp)["status"] == "returned" and body(resp)["return_reason"] == "请写明退货单号"
    assert _sales_sums() == (500_000, Decimal(200), 500_000)  # not counted before approval
    corrected = entry_body(world, amount="-1,200.00", quantity="-40", unit="kg", note="退货，单号 T-017")
    assert acc.client.put(f"/api/v1/entries/{red_id}", json=corrected, headers=acc.headers).status_code == 200
    acc.post(f"/api/v1/entries/{red_id}/submit")
    # the secretary's queue shows it as a red entry
    auth.login("sec")
    queue = client.get("/review").get_data(as_text=True)
    assert '<span class="neg">−1,200.00</span>' in queue and 'class="tag red"' in queue and "T-017" in queue
    assert body(sec.post(f"/api/v1/entries/{red_id}/approve"))["status"] == "approved"
    assert _sales_sums() == (380_000, Decimal(160), 380_000)
    assert rollups.verify() == []
    rollups.rebuild()
    db.session.commit()
    assert _sales_sums() == (380_000, Decimal(160), 380_000) and rollups.verify() == []

    # not a reversal, but an approved entry like any: a mistaken one is reversed by its positive negation
    resp = acc.post(f"/api/v1/entries/{red_id}/reverse", json={"reason": "退货未发生"})
    reversal = body(resp)
    assert resp.status_code == 201 and (reversal["amount"], reversal["quantity"]) == ("1200.00", "40")
    sec.post(f"/api/v1/entries/{reversal['id']}/approve")
    assert _sales_sums() == (500_000, Decimal(200), 500_000)
    result = app.test_cli_runner().invoke(args=["coop", "rollup", "verify"])
    assert result.exit_code == 0 and "ok" in result.output
    assert audit.verify() is None  # the negative amounts and quantities as audited are as stored


# ---- imports ---------------------------------------------------------------------------------


def test_a_sheet_with_a_red_row_imports_to_the_exact_rows_and_fen(app, db, world, tmp_path):
    d = M.replace(day=5)
    rows = [
        [d, "蜂蜜销售", "销售收入", "800斤", "12,000.00", None],
        [d, "蜂蜜零售", "销售收入", "100斤", "1,500.00", None],
        [d, "蜂王浆", "销售收入", None, "3,300.50", None],
        [d, "退货：蜂蜜结晶", "销售收入", "-100斤", "(1,500.00)", None],
        ["合计", None, None, None, "15,300.50", None],
    ]
    path = write_xlsx(tmp_path / "红字.xlsx", rows)
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report
    assert report["errors"] == [] and report["warnings"] == []  # the 合计 row agrees, red row included
    assert report["rows_ok"] == 4 and report["total_fen"] == 1_530_050
    got = _entries()
    assert [(e.kind, e.amount_fen, e.quantity) for e in got] == [
        ("sales", 1_200_000, Decimal(400)),
        ("sales", 150_000, Decimal(50)),
        ("sales", 330_050, None),
        ("sales", -150_000, Decimal(-50)),
    ]
    assert got[3].note == "退货：蜂蜜结晶" and got[3].is_red
    # submitted as one batch and approved, they count to the fen
    batch = db.session.get(ImportBatch, report["batch_id"])
    batches.submit_batch(world.users["accountant"], batch)
    for entry in _entries():
        ledger.approve_entry(world.users["secretary"], entry)
    assert _sales_sums() == (1_530_050, Decimal(400), 1_530_050)
    assert rollups.verify() == []


def test_every_notation_of_a_red_amount_imports_from_csv_and_xlsx(app, db, world, tmp_path):
    d = f"{M.year}-{M.month:02d}-05"
    path = tmp_path / "红字.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["日期", "摘要", "类别", "数量(斤)", "金额（元）", "户主"])
        for i, text in enumerate(NOTATIONS):
            writer.writerow([d, f"退货 {i}", "销售收入", "-100" if i % 2 else "（100）", text, ""])
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report
    assert report["total_fen"] == -150_000 * len(NOTATIONS)
    got = _entries()
    assert [(e.amount_fen, e.quantity) for e in got] == [(-150_000, Decimal(-50))] * len(NOTATIONS)

    # a workbook: the notations as text, a negative number cell, one under a red number format
    rows = [[M.replace(day=6), f"退款 {i}", "补贴", None, text, None] for i, text in enumerate(NOTATIONS)]
    rows += [[M.replace(day=6), "退回补贴", "补贴", None, -1500, None]]
    rows += [[M.replace(day=6), "退回补贴", "补贴", None, -1500.25, None]]
    path = write_xlsx(tmp_path / "红字.xlsx", rows)
    book = load_workbook(path)
    book.active.cell(row=5 + len(NOTATIONS) + 1, column=5).number_format = "#,##0.00_);[Red](#,##0.00)"
    book.save(path)
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report
    got = _entries()[len(NOTATIONS) :]
    assert [e.amount_fen for e in got] == [-150_000] * (len(NOTATIONS) + 1) + [-150_025]
    assert {e.kind for e in got} == {"subsidy"}


def test_a_red_row_without_its_reason_or_on_a_payout_is_refused_and_nothing_is_written(app, db, world, tmp_path):
    d = M.replace(day=5)
    rows = [
        [d, "蜂蜜销售", "销售收入", None, "1,000.00", None],
        [d, None, "销售收入", None, "(1,500.00)", None],  # row 6: no reason
        [d, "退回分红", "分红", None, "-300", "张三丰"],  # row 7: a red dividend
        [d, "退货", "销售收入", "50斤", "-500", None],  # row 8: the signs differ
        [d, "退款", "成本", None, "−80", None],  # row 9: cost stays positive
    ]
    path = write_xlsx(tmp_path / "坏红字.xlsx", rows)
    before = counts()
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 1 and report["imported"] is False
    assert [(e["row"], e["column"], e["value"], e["message"]) for e in report["errors"]] == [
        (6, "摘要", "", NOTE_RULE),
        (7, "金额（元）", "-300", POSITIVE_RULE),
        (8, "数量(斤)", "50斤", SAME_SIGN),
        (9, "金额（元）", "−80", POSITIVE_RULE),
    ]
    assert counts() == before


# ---- counted and shown with its sign ---------------------------------------------------------


@pytest.fixture()
def red_book(world):
    """Last month, approved: sales 5,000.00 and a return of −1,500.00 (−50 kg); collective income
    10,000.00 and an adjustment of −200.00; and only a red output adjustment of −300.00."""
    approved_entry(world, kind="sales", amount_fen=500_000, quantity=Decimal(200), unit="kg", note="蜂蜜")
    approved_entry(world, kind="sales", amount_fen=-150_000, quantity=Decimal(-50), unit="kg", note="退货：蜂蜜结晶")
    approved_entry(world, kind="collective_income", amount_fen=1_000_000, note="分成")
    approved_entry(world, kind="collective_income", amount_fen=-20_000, note="多计分成调减")
    approved_entry(world, kind="output", amount_fen=-30_000, note="产值调减")
    db.session.commit()
    assert rollups.verify() == []
    return world


def test_the_comparison_and_the_summaries_count_the_sign(app, red_book, client, auth):
    world = red_book
    (row,) = [
        r for r in comparison.compare(world.users["county_reviewer"], world.county, M.year) if r["name"] == "中洞村"
    ]
    assert row["collective_income_fen"] == 980_000 and row["output_value_fen"] == -30_000
    assert row["yield_fen_per_unit"] == -10  # −300.00 yuan over 3,000 hives: −0.10 yuan a hive
    data = body(login(app, "county").get(f"/api/v1/compare?year={M.year}"))
    (api_row,) = [r for r in data["rows"] if r["name"] == "中洞村"]
    assert api_row["output_value"] == "-300.00" and api_row["collective_income"] == "9800.00"
    auth.login("county")
    page = client.get(f"/areas?year={M.year}").get_data(as_text=True)
    assert '<span class="neg">−300.00</span>' in page
    rows = by_header(sheet_rows(client.get(f"/areas/export.xlsx?year={M.year}").data), 1)
    (sheet_row,) = [r for r in rows if "中洞村" in r.values()]
    assert -300 in sheet_row.values() and 9800 in sheet_row.values()
    village = client.get(f"/villages/{world.village.code}?year={M.year}")
    assert village.status_code == 200
    # the output chart draws a month below zero (no clipping at 0, no error)
    chart = client.get(f"/charts/project/{world.project.id}/output.png?year={M.year}")
    assert chart.status_code == 200 and chart.data.startswith(b"\x89PNG")
    chart = client.get(f"/charts/project/{world.project.id}/yield.png")
    assert chart.status_code == 200 and chart.data.startswith(b"\x89PNG")


def test_the_public_page_and_the_notice_list_red_entries_as_such(red_book, client, auth):
    world = red_book
    page = client.get(f"/p/{world.village.code}?year={M.year}").get_data(as_text=True)
    assert "红字冲减" in page and "退货：蜂蜜结晶" in page and "多计分成调减" in page and "产值调减" in page
    assert RED_1500 in page and '<span class="neg">−300.00</span>' in page
    assert "3,500.00" in page  # sales net of the return
    auth.login("sec")
    notice = client.get(f"/villages/{world.village.code}/notice?period={PERIOD}").get_data(as_text=True)
    assert "红字冲减" in notice and "退货：蜂蜜结晶" in notice and RED_1500 in notice and "3,500.00" in notice
    report = client.get(f"/villages/{world.village.code}/annual-report?year={M.year}").get_data(as_text=True)
    assert "红字冲减" in report and RED_1500 in report


def test_the_ledger_exports_write_the_negative_number(red_book, client, auth):
    auth.login("acc")
    rows = csv_rows(client.get("/entries/export.csv?status=approved").data)
    amounts = {r[9]: r[7] for r in rows[1:-1]}
    assert amounts["退货：蜂蜜结晶"] == "-1500.00" and amounts["产值调减"] == "-300.00"
    assert rows[-1][7] == "13000.00"  # 5,000 − 1,500 + 10,000 − 200 − 300
    data = by_header(sheet_rows(client.get("/entries/export.xlsx?status=approved").data), 1)
    red = [d for d in data if d["摘要"] == "退货：蜂蜜结晶"][0]
    assert red["金额（元）"] == -1500 and red["数量"] == -50 and red["类别"] == "销售收入"


def test_an_exported_ledger_with_red_entries_imports_back_to_the_same_fen(app, red_book, client, auth, tmp_path):
    auth.login("acc")
    path = tmp_path / "export.xlsx"
    path.write_bytes(client.get("/entries/export.xlsx?status=approved").data)
    book_total = db.session.scalar(select(func.sum(LedgerEntry.amount_fen)))
    code, report = run_import(app, "ledger", path, "--project", red_book.project.id, "--dry-run")
    assert code == 0, report
    assert report["total_fen"] == book_total == 1_300_000


def test_the_page_filters_show_a_negative_number_with_the_minus_sign_in_red():
    from markupsafe import Markup

    from coopapp.web import page_wan, page_yuan, pct, quantity, text_yuan

    assert page_yuan(-150_000) == Markup(RED_1500) and page_yuan(150_000) == "1,500.00"
    assert page_wan(-15_000_000) == Markup('<span class="neg">−15.00万</span>')
    assert quantity(Decimal("-50.000")) == Markup('<span class="neg">−50</span>') and quantity(Decimal(50)) == "50"
    assert text_yuan(-150_000) == "−1,500.00"  # for a title or an attribute: no markup
    assert pct(Decimal("-0.125")) == "−12.5%"
