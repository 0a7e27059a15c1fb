"""Hostile text stored through the forms and the API comes back verbatim and harmless.

Names, notes, reasons and objections holding `<script>`, quotes, SQL fragments and spreadsheet
formulas are stored exactly as typed, shown escaped on every page that shows them, exported
to CSV/XLSX as text (never a formula), and the database is intact afterwards.
"""

import csv
import io

import pytest
from markupsafe import escape
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from coopapp.access import audit as audit_service
from coopapp.extensions import db
from coopapp.ledger import rollups
from coopapp.models import Household, LedgerEntry, Objection, Project
from coopapp.villages import catalog

from .builders import approved_entry, entry_form, publish

SCRIPT = "<script>alert(1)</script>"
HOUSEHOLD_NAME = f"{SCRIPT}\"'"  # 28 characters: fits the 50 of a household's name
SQL_NAME = "'; DROP TABLE ledger_entries; --"
PROJECT_NAME = f'=HYPERLINK("http://evil.example","点我"){SCRIPT}'
API_PROJECT_NAME = "@SUM(1+1)'\"<b>粗</b>"
NOTE = f"{SCRIPT} \"双引号\" '单引号' '; DROP TABLE ledger_entries; --"
FORMULA_NOTES = ["=1+2", "+1+1", "-1+2", "@SUM(A1:A2)", "=cmd|' /C calc'!A0"]
RETURN_REASON = "<img src=x onerror=alert(1)>\"'"
REVERSE_REASON = "'); DELETE FROM audit_events; --"
OBJECTION = f'{SCRIPT}<a href="javascript:alert(1)">点</a>'
VILLAGE_NAME = "=cmd|' /C calc'!A0"
RAW = (SCRIPT, "<img src=x", "<b>粗</b>", '<a href="javascript:')


def _ok(resp, *codes):
    assert resp.status_code in (codes or (200, 201, 302)), (resp.status_code, resp.get_data(as_text=True)[:400])
    return resp


@pytest.fixture()
def stored(world, client, auth, app):
    """Every hostile text put in through the real forms and the API, as the users would."""
    auth.login("sec")
    _ok(client.post("/village/households/new", data={"head_name": HOUSEHOLD_NAME, "members": "2"}))
    _ok(client.post("/village/projects/new", data={"name": PROJECT_NAME, "type": "other"}))
    api = app.test_client()
    token = api.post("/api/v1/tokens", json={"username": "sec", "password": "pass-word-1"}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    _ok(api.post("/api/v1/households", json={"head_name": SQL_NAME, "members": 1}, headers=headers))
    _ok(api.post("/api/v1/projects", json={"name": API_PROJECT_NAME, "type": "other"}, headers=headers))
    hostile = db.session.scalar(select(Household).where(Household.head_name == HOUSEHOLD_NAME))
    auth.logout()

    auth.login("acc")
    form = entry_form(world, kind="wage", household_id=str(hostile.id), note=NOTE)
    _ok(client.post("/entries/new", data=form))
    for note in FORMULA_NOTES:
        _ok(client.post("/entries/new", data=entry_form(world, note=note)))
    acc_token = api.post("/api/v1/tokens", json={"username": "acc", "password": "pass-word-1"}).get_json()["token"]
    body = {
        "project_id": world.project.id,
        "period": form["period"],
        "kind": "sales",
        "amount": "1.00",
        "note": SQL_NAME,
    }
    _ok(api.post("/api/v1/entries", json=body, headers={"Authorization": f"Bearer {acc_token}"}))
    ids = db.session.scalars(select(LedgerEntry.id).order_by(LedgerEntry.id)).all()
    for entry_id in ids:
        _ok(client.post(f"/entries/{entry_id}/submit"))
    auth.logout()

    auth.login("sec")
    _ok(client.post(f"/entries/{ids[-1]}/return", data={"reason": RETURN_REASON}))
    for entry_id in ids[:-1]:
        _ok(client.post(f"/entries/{entry_id}/approve"))
    auth.logout()
    auth.login("acc")
    _ok(client.post(f"/entries/{ids[0]}/reverse", data={"reason": REVERSE_REASON}))
    auth.logout()

    plan = publish(world)
    _ok(
        client.post(f"/s/{world.households[0].public_token}", data={"distribution_id": str(plan.id), "text": OBJECTION})
    )
    village = catalog.add_area("441323110299", VILLAGE_NAME, "village", world.town_a)
    db.session.commit()
    approved_entry(world)  # one more approved entry, so the summaries have something
    return {"household": hostile.id, "entries": ids, "village": village.code, "plan": plan.id}


def test_stored_verbatim_and_the_database_intact(world, stored):
    db.session.expire_all()
    names = set(db.session.scalars(select(Household.head_name)))
    assert {HOUSEHOLD_NAME, SQL_NAME} <= names
    assert {PROJECT_NAME, API_PROJECT_NAME} <= set(db.session.scalars(select(Project.name)))
    notes = set(db.session.scalars(select(LedgerEntry.note)))
    assert {NOTE, SQL_NAME, *FORMULA_NOTES} <= notes
    assert RETURN_REASON in set(db.session.scalars(select(LedgerEntry.return_reason)))
    assert REVERSE_REASON in set(db.session.scalars(select(LedgerEntry.reversal_reason)))
    assert db.session.scalar(select(Objection.text)) == OBJECTION
    # the tables the SQL fragments name are all there, and the books still balance
    assert db.session.execute(text("SELECT COUNT(*) FROM ledger_entries")).scalar() >= len(stored["entries"])
    assert db.session.execute(text("SELECT COUNT(*) FROM audit_events")).scalar() > 0
    assert audit_service.verify() is None and rollups.verify() == []


def _pages(world, stored) -> dict[str, list[str]]:
    """user → pages that show the hostile texts."""
    entry, returned = stored["entries"][0], stored["entries"][-1]
    village = world.village.code
    own = [
        "/entries",
        f"/entries/{entry}",
        f"/entries/{returned}",
        f"/entries/{stored['entries'][1]}",
        "/village/households",
        f"/village/households/{stored['household']}",
        "/village/projects",
        f"/villages/{village}",
        "/distributions",
        f"/distributions/{stored['plan']}",
    ]
    return {
        "acc": [*own, f"/entries/{returned}/edit"],
        "sec": [*own, "/review", "/village/objections", "/months"],
        "county": ["/areas", f"/villages/{village}", f"/villages/{stored['village']}", f"/entries/{entry}"],
        None: [f"/s/{world.households[0].public_token}", f"/p/{village}"],
    }


def _assert_harmless(html: str, path: str) -> None:
    for raw in RAW:
        assert raw not in html, f"{raw!r} unescaped on {path}"
    assert "onerror=alert" not in html.replace("onerror=alert(1)&gt;", ""), path


@pytest.mark.parametrize("username", ["acc", "sec", "county", None])
def test_shown_escaped_on_every_page(world, stored, client, auth, username):
    if username:
        auth.login(username)
    shown: set[str] = set()
    for path in _pages(world, stored)[username]:
        resp = client.get(path)
        if path.startswith("/p/") and resp.status_code == 404:
            continue  # the public village page is optional while it is being built
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200, (path, resp.status_code)
        _assert_harmless(html, path)
        for value in (HOUSEHOLD_NAME, SQL_NAME, PROJECT_NAME, API_PROJECT_NAME, NOTE, RETURN_REASON, OBJECTION):
            if str(escape(value)) in html:
                shown.add(value)
        if VILLAGE_NAME in html or str(escape(VILLAGE_NAME)) in html:
            shown.add(VILLAGE_NAME)
    expected = {
        "acc": {HOUSEHOLD_NAME, PROJECT_NAME, API_PROJECT_NAME, NOTE, RETURN_REASON, SQL_NAME},
        "sec": {HOUSEHOLD_NAME, PROJECT_NAME, API_PROJECT_NAME, NOTE, RETURN_REASON, SQL_NAME, OBJECTION},
        "county": {PROJECT_NAME, NOTE, VILLAGE_NAME},
        None: set(),
    }[username]
    assert expected <= shown, f"not shown (escaped) anywhere: {expected - shown}"


def _csv_cells(resp) -> list[str]:
    assert resp.status_code == 200, resp.status_code
    return [cell for row in csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))) for cell in row]


def _assert_no_formula_in_csv(cells: list[str], expected: list[str]) -> None:
    for cell in cells:
        if cell[:1] in ("=", "+", "-", "@"):
            float(cell.replace(",", ""))  # only a number may start so (a negative amount)
    for value in expected:
        guarded = "'" + value if value[:1] in ("=", "+", "-", "@") else value
        assert guarded in cells, f"{value!r} not exported verbatim (as {guarded!r})"


def _assert_no_formula_in_xlsx(resp, expected: list[str]) -> None:
    assert resp.status_code == 200, resp.status_code
    book = load_workbook(io.BytesIO(resp.data))
    values = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula in {sheet.title}!{cell.coordinate}: {cell.value!r}"
                values.append(cell.value)
    for value in expected:
        assert value in values, f"{value!r} not exported verbatim"


def test_ledger_and_roster_exports_hold_text_never_formulas(world, stored, client, auth):
    auth.login("sec")
    notes = [NOTE, SQL_NAME, *FORMULA_NOTES]
    _assert_no_formula_in_csv(_csv_cells(client.get("/entries/export.csv")), notes)
    _assert_no_formula_in_xlsx(client.get("/entries/export.xlsx"), notes)
    names = [HOUSEHOLD_NAME, SQL_NAME]
    _assert_no_formula_in_csv(_csv_cells(client.get("/village/households/export.csv")), names)
    _assert_no_formula_in_xlsx(client.get("/village/households/export.xlsx"), names)


def test_comparison_exports_hold_text_never_formulas(world, stored, client, auth):
    """A village named like a formula: the county's comparison table exports it as text."""
    auth.login("county")
    _assert_no_formula_in_csv(_csv_cells(client.get("/areas/export.csv")), [VILLAGE_NAME])
    _assert_no_formula_in_xlsx(client.get("/areas/export.xlsx"), [VILLAGE_NAME])


def test_sql_fragments_in_filters_and_searches_are_just_text(world, stored, client, auth):
    auth.login("sec")
    for path in (
        "/village/households?q=' OR '1'='1",
        "/village/households?q=%25",
        "/entries?period=2024-01' OR 1=1 --&kind=sales'--&status=x'",
        "/areas?area=441323' OR '1'='1",
    ):
        resp = client.get(path)
        assert resp.status_code in (200, 403, 404), (path, resp.status_code)
        _assert_harmless(resp.get_data(as_text=True), path)
    html = client.get("/village/households?q=' OR '1'='1").get_data(as_text=True)
    assert "张三丰" not in html  # the search matched nothing, it did not match everything
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) >= len(stored["entries"])


def test_objection_text_reaches_the_public_page_harmlessly(world, stored, client):
    html = client.get(f"/s/{world.households[0].public_token}").get_data(as_text=True)
    _assert_harmless(html, "/s/")
    assert str(escape(OBJECTION)) in html  # the household sees its own objection, escaped
