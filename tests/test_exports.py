"""Exports of the ledger and the household roster: the list's filters, the user's scope, masking,
real numeric cells, and the round trip export → import giving back the same ledger and roster."""

import io
import re
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select

from coopapp.extensions import db as _db
from coopapp.ledger import operations as ledger
from coopapp.models import Household, LedgerEntry, Membership, Project
from coopapp.reporting import exports
from coopapp.villages import catalog

from .builders import PERIOD, M, add_user, approved_entry, csv_rows, entry_input, hidden_fields, id_number, run_import

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_rows(content: bytes) -> list[tuple]:
    """Every row of the first sheet, as openpyxl reads them (numbers stay numbers)."""
    book = load_workbook(io.BytesIO(content))
    return [tuple(r) for r in book.worksheets[0].iter_rows(values_only=True)]


def by_header(rows: list[tuple], header_row: int) -> list[dict]:
    header = rows[header_row]
    return [dict(zip(header, r, strict=True)) for r in rows[header_row + 1 :]]


def _ledger(world):
    """Three approved entries (one with a quantity, one a household payout), a draft and a foreign entry."""
    hh = world.households
    approved = [
        approved_entry(
            world,
            entry_date=M.replace(day=5),
            kind="sales",
            amount_fen=123_450,
            quantity=Decimal(800),
            unit="斤",
            note="蜂蜜销售",
        ),
        approved_entry(world, kind="dividend", amount_fen=30_050, household_id=hh[0].id, note="分红"),
        approved_entry(world, entry_date=M.replace(day=9), kind="cost", amount_fen=1_000_000, note="饲料, 运费"),
    ]
    draft = ledger.create_entry(world.users["accountant"], entry_input(world.project, note="草稿不导出"))
    foreign = ledger.create_entry(world.users["other_accountant"], entry_input(world.other_project, note="八维"))
    _db.session.commit()
    return approved, draft, foreign


def test_ledger_xlsx_has_the_import_headers_numeric_cells_and_a_total(db, world, client, auth):
    approved, _draft, _foreign = _ledger(world)
    auth.login("acc")
    resp = client.get("/entries/export.xlsx?status=approved")
    assert resp.status_code == 200 and resp.mimetype == XLSX
    assert "attachment" in resp.headers["Content-Disposition"] and "no-store" in resp.headers["Cache-Control"]
    rows = sheet_rows(resp.data)
    assert "中洞村" in rows[0][0] and "已审核" in rows[0][0]
    assert list(rows[1]) == exports.LEDGER_HEADER
    data = by_header(rows, 1)
    total = data.pop()
    assert total["类别"] == "合计" and total["金额（元）"] == pytest.approx(11535.00)
    assert [d["编号"] for d in data] == [e.id for e in approved]
    sale = data[0]
    assert sale["日期"] == datetime(M.year, M.month, 5) and sale["月份"] == PERIOD
    assert (sale["类别"], sale["数量"], sale["单位"]) == ("销售收入", 400, "千克")
    assert isinstance(sale["金额（元）"], float) and sale["金额（元）"] == pytest.approx(1234.5)
    assert (sale["摘要"], sale["状态"], sale["项目"]) == ("蜂蜜销售", "已审核", "中华蜂养殖")
    assert data[1]["户主"] == "张三丰" and data[1]["日期"] is None
    assert all(isinstance(d["金额（元）"], int | float) for d in data)
    book = load_workbook(io.BytesIO(resp.data))
    assert book.worksheets[0].cell(row=3, column=8).number_format == "#,##0.00;[Red]-#,##0.00"


def test_ledger_csv_follows_the_list_filters_and_the_scope(db, world, client, auth):
    approved, draft, foreign = _ledger(world)
    auth.login("acc")
    resp = client.get("/entries/export.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = csv_rows(resp.data)
    assert rows[0] == exports.LEDGER_HEADER
    ids = [r[0] for r in rows[1:-1]]
    assert sorted(ids) == sorted(str(e.id) for e in [*approved, draft])  # every status, no foreign entry
    assert str(foreign.id) not in ids
    amounts = {r[0]: r[7] for r in rows[1:]}
    assert amounts[str(approved[0].id)] == "1234.50" and rows[-1][4] == "合计"
    assert any(r[9] == "饲料, 运费" for r in rows)  # a comma inside a note stays one cell
    # each filter narrows the file as it narrows the list
    for query, expected in [
        ("status=draft", [draft]),
        ("kind=cost", [approved[2]]),
        (f"period={PERIOD}&kind=dividend", [approved[1]]),
        (f"project={world.project.id}&status=approved", approved),
    ]:
        rows = csv_rows(client.get(f"/entries/export.csv?{query}").data)
        assert [r[0] for r in rows[1:-1]] == [str(e.id) for e in expected], query
        page = client.get(f"/entries?{query}").text
        for e in expected:
            assert f'href="/entries/{e.id}"' in page
    # another village's project is refused, on the list as on the export
    assert client.get(f"/entries/export.csv?project={world.other_project.id}").status_code == 403
    assert client.get(f"/entries?project={world.other_project.id}").status_code == 403
    auth.logout()
    auth.login("acc2")
    rows = csv_rows(client.get("/entries/export.csv").data)
    assert [r[0] for r in rows[1:-1]] == [str(foreign.id)]


def test_reviewers_get_masked_household_names(db, world, client, auth):
    _ledger(world)
    auth.login("county")
    rows = csv_rows(client.get("/entries/export.csv?kind=dividend").data)
    assert [r[8] for r in rows[1:-1]] == ["张*丰"]
    text = str(sheet_rows(client.get("/entries/export.xlsx").data))
    assert "张三丰" not in text and "张*丰" in text


def test_the_list_links_to_the_export_with_its_filters(db, world, client, auth):
    auth.login("acc")
    page = client.get(f"/entries?status=approved&period={PERIOD}&kind=sales").text
    links = re.findall(r'href="(/entries/export\.(?:csv|xlsx)[^"]*)"', page)
    assert len(links) == 2
    for link in links:
        assert "status=approved" in link and f"period={PERIOD}" in link and "kind=sales" in link
    assert f'<option value="{world.project.id}"' in page  # the project picker


def test_ledger_export_streams(db, world, client, auth):
    _ledger(world)
    table = exports.ledger_table(world.users["accountant"], exports.LedgerFilters(), "t")
    assert isinstance(table.rows, Iterator)  # rows are read as written, never a list of the whole ledger
    auth.login("acc")
    resp = client.get("/entries/export.csv")
    assert resp.is_streamed


def test_a_long_table_continues_on_a_second_sheet():
    rows = ([i, Decimal(i) / 100] for i in range(1, 8))
    table = exports.Table("标题", "台账", ["编号", "金额（元）"], rows, frozenset({1}))
    handle = exports.xlsx_file(table, max_rows=5)
    book = load_workbook(handle)
    first, second, third = book.worksheets
    assert [r[0] for r in first.iter_rows(min_row=3, values_only=True)] == [1, 2, 3]
    assert [r[0] for r in second.iter_rows(min_row=3, values_only=True)] == [4, 5, 6]
    assert list(next(second.iter_rows(min_row=2, max_row=2, values_only=True))) == ["编号", "金额（元）"]
    assert [r[0] for r in third.iter_rows(min_row=3, values_only=True)] == [7]
    assert (first.title, second.title) == ("台账", "台账（2）")


def _upload_ledger(client, project_id, content: bytes, name: str):
    data = {"project_id": str(project_id), "file": (io.BytesIO(content), name)}
    resp = client.post("/imports/ledger", data=data, content_type="multipart/form-data")
    assert resp.status_code == 200, resp.text
    fields = hidden_fields(resp.text)
    return client.post("/imports/ledger/confirm", data=fields)


def _facts(entries):
    return sorted(
        ((e.period, e.entry_date, e.kind, e.amount_fen, e.quantity, e.unit, e.household_id, e.note) for e in entries),
        key=repr,
    )


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_round_trip_export_then_import_gives_the_same_ledger(db, world, client, auth, uploads, fmt):
    approved, _draft, _foreign = _ledger(world)
    copy = Project(name="中洞村光伏", type="photovoltaic", village_id=world.village.id)
    db.session.add(copy)
    db.session.commit()
    auth.login("acc")
    resp = client.get(f"/entries/export.{fmt}?project={world.project.id}&status=approved")
    assert resp.status_code == 200
    resp = _upload_ledger(client, copy.id, resp.data, f"导出.{fmt}")
    assert resp.status_code == 302, resp.text
    imported = list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.project_id == copy.id)))
    assert len(imported) == 3
    assert _facts(imported) == _facts(approved)
    assert {e.status for e in imported} == {"draft"}


def test_round_trip_after_clearing_the_ledger(db, world, client, auth, uploads):
    """Export a project's approved ledger, start the project afresh, import: the same entries."""
    approved, _draft, _foreign = _ledger(world)
    before = _facts(approved)
    auth.login("acc")
    content = client.get(f"/entries/export.xlsx?project={world.project.id}&status=approved").data
    db.session.execute(delete(LedgerEntry))
    db.session.commit()
    assert _upload_ledger(client, world.project.id, content, "ledger.xlsx").status_code == 302
    assert _facts(db.session.scalars(select(LedgerEntry))) == before


# ---- the household roster -------------------------------------------------------


def _all_text(content: bytes, fmt: str) -> str:
    if fmt == "csv":
        return content.decode("utf-8-sig")
    return repr(sheet_rows(content))


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize(
    ("username", "query", "names", "identity"),
    [
        ("sec", "", True, True),  # may edit the households: sees them in full
        ("acc", "", True, False),  # the village's accountant: names, but masked ID numbers and phones
        ("town", "?village=441323110201", False, False),  # a reviewer: everything masked
    ],
)
def test_roster_is_masked_per_role(db, world, client, auth, fmt, username, query, names, identity):
    auth.login(username)
    resp = client.get(f"/village/households/export.{fmt}{query}")
    assert resp.status_code == 200
    text = _all_text(resp.data, fmt)
    hh = world.households
    for h in hh:
        assert (h.id_number in text) is identity and (h.phone in text) is identity
        assert (h.head_name in text) is names
    if not identity:
        assert "4413**********" in text and "138****0001" in text
    assert world.other_household.head_name not in text and world.other_household.id_number not in text


def test_roster_xlsx_has_the_import_headers_and_numbers(db, world, client, auth):
    auth.login("sec")
    page = client.get("/village/households").text
    assert 'href="/village/households/export.xlsx"' in page and 'href="/imports/households"' in page
    rows = sheet_rows(client.get("/village/households/export.xlsx").data)
    assert "中洞村" in rows[0][0]
    assert list(rows[1]) == exports.ROSTER_HEADER
    data = by_header(rows, 1)
    assert [d["户主"] for d in data] == ["张三丰", "李四", "王五"]
    assert data[0] == {
        "户主": "张三丰",
        "村民小组": "中洞一组",
        "家庭人口": 3,
        "电话": "13800000001",
        "身份证号码": id_number(1),
        "脱贫户": "是",
        "监测户": "否",
    }
    # the page's search narrows the export too
    rows = sheet_rows(client.get("/village/households/export.xlsx?q=李").data)
    assert [r[0] for r in rows[2:]] == ["李四"]


def test_roster_export_needs_the_village_in_scope(db, world, client, auth):
    auth.login("sec2")
    assert client.get("/village/households/export.csv?village=441323110201").status_code == 403
    rows = csv_rows(client.get("/village/households/export.csv").data)
    assert [r[0] for r in rows[1:]] == ["赵六"]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_roster_round_trip_into_a_fresh_village(db, world, client, auth, uploads, fmt):
    """The secretary's export, imported into a fresh village with the same groups, gives the same households."""
    auth.login("sec")
    content = client.get(f"/village/households/export.{fmt}").data

    def facts(village_id):
        q = select(Household).where(Household.village_id == village_id).order_by(Household.id)
        return [
            (h.head_name, h.members, h.group.name if h.group else None, h.phone, h.id_number)
            + (h.formerly_poor, h.monitored)
            for h in db.session.scalars(q)
        ]

    before = facts(world.village.id)
    fresh = catalog.add_area("441323110203", "新村", "village", world.town_a)
    db.session.flush()
    catalog.add_area("441323110203001", "中洞一组", "group", fresh)
    add_user("sec3", "secretary", fresh)
    # An ID number belongs to one household only: clear the original roster first.
    db.session.execute(delete(Membership))
    db.session.execute(delete(Household).where(Household.village_id == world.village.id))
    db.session.commit()
    auth.logout()
    auth.login("sec3")
    resp = client.post(
        "/imports/households",
        data={"file": (io.BytesIO(content), f"花名册.{fmt}")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200, resp.text
    fields = hidden_fields(resp.text)
    assert client.post("/imports/households/confirm", data=fields).status_code == 302
    assert facts(fresh.id) == before


def test_roster_csv_keeps_id_numbers_as_text_for_excel(db, world, client, auth):
    auth.login("sec")
    rows = csv_rows(client.get("/village/households/export.csv").data)
    assert rows[1][3:5] == ["\t13800000001", "\t" + id_number(1)]  # a leading tab: Excel keeps all 18 digits


def test_text_that_looks_like_a_formula_stays_text(db, world, client, auth):
    formula = '=HYPERLINK("http://evil.example","点我")'
    entry = approved_entry(world, note=formula)
    auth.login("acc")
    book = load_workbook(io.BytesIO(client.get("/entries/export.xlsx").data))
    cells = [c for row in book.worksheets[0].iter_rows() for c in row if c.value == formula]
    assert len(cells) == 1 and cells[0].data_type == "s"
    rows = csv_rows(client.get("/entries/export.csv").data)
    assert [r[9] for r in rows if r[0] == str(entry.id)] == ["'" + formula]


def test_the_csv_export_round_trip_keeps_notes_that_look_like_formulas(app, world, client, auth, tmp_path):
    """The CSV export guards = + - @ with a leading ' (so Excel shows text); the import drops it."""
    acc, sec = world.users["accountant"], world.users["secretary"]
    entry = ledger.create_entry(acc, entry_input(world.project, note="-退款 +运费"))
    ledger.submit_entry(acc, entry)
    ledger.approve_entry(sec, entry)
    _db.session.commit()
    auth.login("acc")
    exported = client.get(f"/entries/export.csv?project={world.project.id}")
    assert exported.status_code == 200 and "'-退款 +运费" in exported.get_data(as_text=True)
    path = tmp_path / "export.csv"
    path.write_bytes(exported.data)
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert code == 0, report
    from coopapp.imports.read import read_rows

    cells = [c for _n, row in read_rows(path, "export.csv") for c in row]
    assert "-退款 +运费" in cells and "'-退款 +运费" not in cells
