"""Defects a review of the county-scale, import and disclosure work found, each with the test
that would have caught it."""

from datetime import datetime, time

from sqlalchemy import func, select

from coopapp.access import audit
from coopapp.extensions import db as _db
from coopapp.imports.xlsx import iter_rows
from coopapp.ledger import operations as ledger
from coopapp.models import Household, LedgerEntry

from .builders import entry_input
from .test_api_support import body, login
from .test_imports import run as run_import
from .test_imports_households import run as run_roster
from .test_imports_households import write_roster


def test_a_quantity_of_minus_zero_is_stored_and_audited_as_zero(app, world):
    """ "-0" passed the "not negative" check, was stored as 0 but audited as "-0": verify failed."""
    client = login(app, "acc")
    data = {
        "project_id": world.project.id,
        "period": ledger.current_period(),
        "kind": "output",
        "amount": "100",
        "quantity": "-0",
        "unit": "kg",
    }
    resp = client.post("/api/v1/entries", json=data)
    assert resp.status_code == 201, body(resp)
    assert _db.session.scalar(select(LedgerEntry.quantity)) == 0
    assert audit.verify() is None


def test_a_minus_zero_quantity_in_an_import_keeps_the_chain_whole(app, db, world, tmp_path):
    path = tmp_path / "minus-zero.csv"
    day = ledger.today().replace(day=1)
    path.write_text(f"日期,类别,数量,单位,金额\n{day.isoformat()},产值,-0,斤,100\n", encoding="utf-8")
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report
    assert audit.verify() is None


def test_a_notice_period_outside_the_ledger_years_is_a_clear_400(world, client, auth):
    auth.login("sec")
    village = world.village.code
    for query in ("period=0000-01", "period=9999-12", "quarter=9999Q4", "quarter=0000Q1"):
        resp = client.get(f"/villages/{village}/notice?{query}")
        assert resp.status_code == 400, (query, resp.status_code)
        assert "期间不对" in resp.get_data(as_text=True)
    resp = client.post(f"/villages/{village}/notice/publish", data={"period": "0000-01"})
    assert resp.status_code in (302, 400, 422)


def test_roster_members_that_are_not_a_small_number_are_named_not_crashed(app, db, world, tmp_path):
    before = _db.session.scalar(select(func.count()).select_from(Household))
    for members in ("²", "①", "99999999999999999999"):
        path = write_roster(tmp_path / f"roster-{len(members)}.xlsx", [("陈新", members, None, None, None, "否")])
        code, report = run_roster(app, path, "--village", world.village.code)
        assert code != 0 and report["errors"], (members, report)
        assert report["errors"][0]["column"] in ("人口", "家庭人口")
    path = write_roster(tmp_path / "roster-60.xlsx", [("陈新", "60", None, None, None, "否")])
    code, report = run_roster(app, path, "--village", world.village.code)
    assert code != 0 and "50" in report["errors"][0]["message"]
    assert _db.session.scalar(select(func.count()).select_from(Household)) == before


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
    from coopapp.imports.parse import read_rows

    cells = [c for _n, row in read_rows(path, "export.csv") for c in row]
    assert "-退款 +运费" in cells and "'-退款 +运费" not in cells


def test_the_xlsx_reader_reads_times_and_datetimes_as_openpyxl_does(tmp_path):
    """A time-only cell came back as 1899-12-31 12:30, datetimes with a stray microsecond."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B1"] = 0.5208333333333334, 45566.520833333336
    ws["A1"].number_format, ws["B1"].number_format = "h:mm", "yyyy-mm-dd h:mm"
    path = tmp_path / "times.xlsx"
    wb.save(path)
    ours = next(row for _n, row in iter_rows(path, 10 * 1024 * 1024))
    theirs = next(openpyxl.load_workbook(path, read_only=True).active.iter_rows(values_only=True))
    assert ours[0] == theirs[0] == time(12, 30)
    assert ours[1] == theirs[1] == datetime(2024, 10, 1, 12, 30)


def test_a_password_change_ends_the_other_sessions(app, world, auth, client):
    other = app.test_client()
    assert other.post("/login", data={"username": "acc", "password": "pass-word-1"}).status_code == 302
    assert other.get("/entries").status_code == 200
    auth.login("acc")
    form = {"current_password": "pass-word-1", "new_password": "new-pass-2027", "confirm": "new-pass-2027"}
    assert client.post("/password", data=form).status_code == 302
    assert client.get("/entries").status_code == 200  # this session goes on
    assert other.get("/entries").status_code == 302  # the other one was logged out
    assert "/login" in other.get("/entries").headers["Location"]
