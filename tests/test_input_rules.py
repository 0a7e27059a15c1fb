"""One normalisation at the edge (issue 16, item 18), for pages, the API and files alike:
only ASCII and full-width digits are numbers, months and ledger dates lie in 2000 … next year,
control characters never reach a stored text (and a stored one never breaks an export), a lone
surrogate or a non-integer hidden id is a 400, and `coop data verify` finds what is already stored."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from coopapp.core import periods
from coopapp.core.money import ParseError, parse_decimal, parse_yuan
from coopapp.core.text import DigitError, ascii_digits, clean_text, parse_int, xml_text
from coopapp.extensions import db as _db
from coopapp.imports.parse import parse_date, parse_period, parse_quantity
from coopapp.ledger import operations as ledger
from coopapp.models import Disclosure, Household, LedgerEntry

from .builders import (
    M,
    approved_entry,
    counts,
    entry_body,
    entry_form,
    entry_input,
    plan_body,
    run_import,
    run_roster,
    write_roster,
    write_xlsx,
)

NEXT_YEAR = ledger.today().year + 1
FOREIGN = ["٢", "²", "①", "𝟐", "२", "߂"]  # Arabic-Indic, superscript, circled, mathematical, Devanagari, N'Ko


# ---- the one rule, in core ---------------------------------------------------------------------


@pytest.mark.parametrize("ch", FOREIGN)
def test_only_ascii_and_full_width_digits_are_numbers(ch):
    with pytest.raises(DigitError, match="数字请用 0–9"):
        ascii_digits(f"20{ch}6", "月份")
    assert parse_int(ch) is None and parse_int(f"1{ch}") is None
    for parse in (parse_yuan, parse_decimal):
        with pytest.raises(ParseError, match=ch):
            parse(f"1{ch}")
    assert ascii_digits("２０２６-03") == "2026-03" and parse_int("２０２６") == 2026 and parse_int(" 12 ") == 12
    assert parse_yuan("１２３") == 12300 and parse_yuan("1.2万") == 1_200_000
    assert parse_int("1_000") is None and parse_int("+5") is None and parse_int("1e3") is None


@pytest.mark.parametrize("text", ["0٢٠٢-11", "٢٠٢٦-03", "2026-0²", "0000-01", "1999-12", f"{NEXT_YEAR + 1}-01"])
def test_a_month_is_ascii_digits_from_2000_to_next_year(text):
    assert not periods.is_period(text) and periods.parse_period(text) is None
    assert periods.period_problem(text)


def test_the_ledger_years_end_next_year():
    assert periods.is_period("2000-01") and periods.is_period(f"{NEXT_YEAR}-12")
    assert periods.is_ledger_date(date(2000, 1, 1)) and not periods.is_ledger_date(date(1999, 12, 31))
    assert not periods.is_ledger_date(date(NEXT_YEAR + 1, 1, 1))


@pytest.mark.parametrize("ch", ["٢", "²"])
def test_file_cells_with_other_digits_are_refused(ch):
    for parse in (parse_date, parse_period, parse_quantity):
        with pytest.raises(ParseError, match="数字请用 0–9"):
            parse(f"202{ch}-03-05" if parse is parse_date else f"202{ch}-03")
    assert parse_period("２０２５年９月") == "2025-09"


def test_control_characters_are_removed_one_line_or_several():
    assert clean_text("张\x0b三\t\r\n") == "张 三  "
    assert clean_text("第一行\x0b第二行\r\n第三\t行\x07\x1f\x7f\x85", multiline=True) == "第一行\n第二行\n第三\t行"
    assert clean_text("a\ud800b", multiline=True) == "ab"
    assert clean_text("普通文字 abc") == "普通文字 abc" and clean_text(None) is None
    assert xml_text("a\x0bb\tc\nd\x00") == "ab\tc\nd"


# ---- pages and API ----------------------------------------------------------------------------


@pytest.mark.parametrize("period", ["0٢٠٢-11", "0000-01", "1999-12"])
def test_the_entry_page_refuses_such_a_month(world, client, auth, period):
    auth.login("acc")
    resp = client.post("/entries/new", data=entry_form(world, period=period))
    assert resp.status_code == 422, resp.status_code
    assert 'id="period-error"' in resp.text
    assert _db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 0


def test_the_entry_page_takes_full_width_digits(world, client, auth):
    auth.login("acc")
    period = entry_form(world)["period"]
    wide = period.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    resp = client.post("/entries/new", data=entry_form(world, period=wide, amount="１２３"))
    assert resp.status_code == 302, resp.text[:500]
    entry = _db.session.scalars(select(LedgerEntry)).one()
    assert (entry.period, entry.amount_fen) == (period, 12300)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"period": "0٢٠٢-11"}, "period"),
        ({"period": "0000-01"}, "period"),
        ({"amount": "٢٠٠"}, "amount"),
        ({"amount": "2²"}, "amount"),
        ({"quantity": "٣", "unit": "kg"}, "quantity"),
        ({"household_id": "٢"}, "household_id"),
    ],
)
def test_the_api_refuses_other_digits_and_years_naming_the_field(api, world, override, field):
    client = api.as_user("acc")  # (issuing its token is an audit event of its own)
    before = counts()
    resp = client.post("/api/v1/entries", json=entry_body(world, **override))
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert field in resp.get_json()["error"]["fields"]
    assert counts() == before


@pytest.mark.parametrize("period", ["0000-01", "0٢٠٢-11"])
def test_a_plan_for_a_month_outside_the_ledger_years_is_refused(api, world, period):
    client = api.as_user("sec")
    before = counts()
    resp = client.post("/api/v1/distributions", json=plan_body(world, period=period))
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert "period" in resp.get_json()["error"]["fields"]
    assert counts() == before


@pytest.mark.parametrize("query", ["year=²", "year=٢٠٢٦", "year=0"])
def test_a_chart_or_report_year_in_other_digits_is_a_400(api, world, client, auth, query):
    auth.login("sec")
    assert client.get(f"/charts/project/{world.project.id}/output.svg?{query}").status_code == 400
    assert api.as_user("sec").get(f"/api/v1/villages/{world.village.code}/summary?{query}").status_code == 400


def test_a_vertical_tab_from_word_never_reaches_the_ledger(api, world):
    resp = api.as_user("acc").post("/api/v1/entries", json=entry_body(world, note="购蜂箱\x0b20 个\x07"))
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert _db.session.scalars(select(LedgerEntry.note)).one() == "购蜂箱\n20 个"


def test_a_control_character_in_a_name_typed_on_a_page_is_removed(world, client, auth):
    auth.login("sec")
    resp = client.post(
        f"/village/households/new?village={world.village.code}", data={"head_name": "张\x0b三\x1b", "members": "3"}
    )
    assert resp.status_code == 302, resp.text[:500]
    assert _db.session.scalar(select(Household.head_name).where(Household.head_name.like("张%三"))) == "张 三"


def test_a_stored_control_character_does_not_break_the_xlsx_export(world, client, auth):
    entry = approved_entry(world, note="好")
    _db.session.commit()
    # as a row written before the rule holds it (behind the ORM's back)
    _db.session.execute(update(LedgerEntry).where(LedgerEntry.id == entry.id).values(note="蜂蜜\x0b销售\x01"))
    _db.session.commit()
    auth.login("acc")
    resp = client.get("/entries/export.xlsx?status=approved")
    assert resp.status_code == 200
    sheet = load_workbook(io.BytesIO(resp.data)).worksheets[0]
    assert "蜂蜜销售" in [c for row in sheet.iter_rows(values_only=True) for c in row]
    # and the approved entry can still be reversed (the reversal's reason and note are clean)
    auth.logout()
    auth.login("acc")
    resp = client.post(f"/entries/{entry.id}/reverse", data={"reason": "写错\x0b了"})
    assert resp.status_code in (302, 303), resp.status_code
    reversal = _db.session.scalars(select(LedgerEntry).where(LedgerEntry.reverses_id == entry.id)).one()
    assert reversal.reversal_reason == "写错\n了"


def test_a_lone_surrogate_in_json_is_a_400(api, world):
    api.as_user("acc")
    before = counts()
    body = entry_body(world)
    raw = "{" + ", ".join(f'"{k}": "{v}"' for k, v in body.items() if k != "project_id")
    raw += f', "project_id": {world.project.id}, "note": "\\ud800"}}'
    resp = api.client.post("/api/v1/entries", data=raw, headers={**api.headers, "Content-Type": "application/json"})
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert "代理项" in resp.get_json()["error"]["message"]
    assert counts() == before


def test_a_non_integer_hidden_project_id_is_a_400(world, client, auth):
    auth.login("acc")
    data = {"sha": "0" * 64, "suffix": ".xlsx", "file_name": "台账.xlsx", "project_id": "abc"}
    resp = client.post("/imports/ledger/confirm", data=data)
    assert resp.status_code == 400
    assert "项目编号无效" in resp.text
    resp = client.post("/imports/ledger/confirm", data={**data, "project_id": "٢"})
    assert resp.status_code == 400


# ---- files ---------------------------------------------------------------------------------------


def test_a_ledger_file_with_other_digits_imports_nothing(app, world, tmp_path):
    d = M.replace(day=5)
    rows = [
        [f"{d.year}-{d.month:02d}-05", "蜂蜜销售", "销售收入", None, "１２３４", None],
        [f"{d.year}-{d.month:02d}-05", "蜂蜜零售", "销售收入", None, "1٢٣", None],
        ["٢٠٢٥-03-05", "饲料", "成本", None, "12", None],
        [f"{d.year}-{d.month:02d}-05", "饲料", "成本", "²斤", "12", None],
    ]
    code, report = run_import(app, "ledger", write_xlsx(tmp_path / "a.xlsx", rows), "--project", world.project.id)
    assert code == 1 and report["imported"] is False
    found = {(e["row"], e["column"]) for e in report["errors"]}
    assert {(6, "金额（元）"), (7, "日期"), (8, "数量(斤)")} <= found, report["errors"]
    assert all("数字请用 0–9" in e["message"] for e in report["errors"]), report["errors"]
    csv = tmp_path / "b.csv"  # a CSV can carry the vertical tab an XLSX cell cannot
    csv.write_text(
        f"日期,摘要,类别,金额（元）\n{d.isoformat()},蜂蜜销售\x0b二号\x07,销售收入,１２３４\n", encoding="utf-8"
    )
    code, report = run_import(app, "ledger", csv, "--project", world.project.id)
    assert code == 0, report
    assert _db.session.scalars(select(LedgerEntry)).one().note == "蜂蜜销售\n二号"


def test_a_roster_with_other_digits_names_the_cell(app, world, tmp_path):
    rows = [["陈一", "３", None, None, None, None], ["陈二", "٣", None, None, None, None]]
    rows += [["陈三", 2, None, None, "１３８٠٠１３８０００", None]]
    code, report = run_roster(app, write_roster(tmp_path / "r.xlsx", rows), "--village", world.village.code)
    assert code == 1
    found = {(e["row"], e["column"]) for e in report["errors"]}
    assert found == {(5, "人口"), (6, "联系电话")}, report["errors"]


# ---- what is already stored ---------------------------------------------------------------------


def test_data_verify_lists_every_stored_value_that_breaks_the_rules(app, world):
    runner = app.test_cli_runner()
    entries = [ledger.create_entry(world.users["accountant"], entry_input(world.project)) for _ in range(4)]
    # A notice published for a quarter (公开栏, quarterly) is stored "2025Q3": a good value.
    sec = world.users["secretary"]
    notices = [Disclosure(village_id=world.village.id, period=p, published_by_id=sec.id) for p in ("2025Q3", "2025-08")]
    _db.session.add_all(notices)
    _db.session.commit()
    result = runner.invoke(args=["coop", "data", "verify"])
    assert result.exit_code == 0, result.output
    ids = [e.id for e in entries]
    _db.session.execute(update(LedgerEntry).where(LedgerEntry.id == ids[0]).values(period="0٢٠٢-11"))
    _db.session.execute(update(LedgerEntry).where(LedgerEntry.id == ids[1]).values(period="0000-01"))
    _db.session.execute(update(LedgerEntry).where(LedgerEntry.id == ids[2]).values(note="a\x0bb"))
    _db.session.execute(update(LedgerEntry).where(LedgerEntry.id == ids[3]).values(entry_date=date(1999, 1, 2)))
    _db.session.execute(update(Household).where(Household.id == world.households[0].id).values(head_name="李\x0c四"))
    _db.session.execute(update(Disclosure).where(Disclosure.id == notices[0].id).values(period="2025Q5"))
    _db.session.commit()
    result = runner.invoke(args=["coop", "data", "verify"])
    assert result.exit_code == 1, result.output
    lines = [
        line for line in result.output.splitlines() if line.startswith(("ledger_entries", "households", "disclosures"))
    ]
    assert len(lines) == 6, result.output
    assert f"disclosures #{notices[0].id} period: '2025Q5'" in result.output
    assert f"ledger_entries #{ids[0]} period: '0٢٠٢-11'" in result.output
    assert f"ledger_entries #{ids[1]} period: '0000-01'" in result.output
    assert f"ledger_entries #{ids[2]} note: 'a\\x0bb' (control characters)" in result.output
    assert f"ledger_entries #{ids[3]} entry_date" in result.output
    assert f"households #{world.households[0].id} head_name" in result.output
    assert "6 stored values" in result.output
