"""Household ID numbers and phones never reach the logs: every request that touches households,
with the app logging at DEBUG, and even with SQL statement logging switched on."""

import io
import logging

from sqlalchemy import select

from coopapp.extensions import db
from coopapp.models import Household

from .builders import id_number

NEW_ID, NEW_PHONE = id_number(77, "19750505"), "13912345678"
EDIT_ID, EDIT_PHONE = id_number(78, "19760606"), "13787654321"
ROSTER_ID, ROSTER_PHONE = id_number(79, "19770707"), "13600001111"
API_ID, API_PHONE = id_number(80, "19780808"), "13522223333"


def _household_journey(world, client, auth, app) -> None:
    """Create, edit, view, search, export, import and read through the API: everything with households."""
    auth.login("sec")
    form = {"head_name": "新农户", "members": "3", "phone": NEW_PHONE, "id_number": NEW_ID}
    assert client.post("/village/households/new", data=form).status_code == 302
    household = db.session.scalar(select(Household).where(Household.head_name == "新农户"))
    hid = household.id
    form = {"head_name": "新农户", "members": "4", "phone": EDIT_PHONE, "id_number": EDIT_ID}
    assert client.post(f"/village/households/{hid}/edit", data=form).status_code == 302
    # a bad ID number is refused: the message must not be logged with the number either
    bad = {**form, "id_number": EDIT_ID[:-1] + ("0" if EDIT_ID[-1] != "0" else "1")}
    assert client.post(f"/village/households/{hid}/edit", data=bad).status_code in (200, 422)
    for path in (
        f"/village/households/{hid}",
        f"/village/households/{hid}/edit",
        f"/village/households/{hid}/statement",
        "/village/households",
        f"/village/households?q={EDIT_PHONE}",
        "/village/households/export.csv",
        "/village/households/export.xlsx",
    ):
        assert client.get(path).status_code == 200, path
    roster = f"户主,人口,电话,身份证号\n花名册户,2,{ROSTER_PHONE},{ROSTER_ID}\n".encode()
    resp = client.post(
        "/imports/households",
        data={"file": (io.BytesIO(roster), "花名册.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200, resp.status_code
    # the reviewers and the foreign village look too (masked or refused)
    for username in ("town", "acc2"):
        auth.logout()
        auth.login(username)
        client.get(f"/village/households/{hid}")
        client.get(f"/village/households?village={world.village.code}")
    api = app.test_client()
    token = api.post("/api/v1/tokens", json={"username": "sec", "password": "pass-word-1"}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    body = {"head_name": "接口户", "members": 2, "phone": API_PHONE, "id_number": API_ID}
    assert api.post("/api/v1/households", json=body, headers=headers).status_code == 201
    assert api.get("/api/v1/households", headers=headers).status_code == 200


def _secrets(world) -> list[str]:
    values = [NEW_ID, NEW_PHONE, EDIT_ID, EDIT_PHONE, ROSTER_ID, ROSTER_PHONE, API_ID, API_PHONE]
    for household in (*world.households, world.other_household):
        values += [v for v in (household.id_number, household.phone) if v]
    return values


def _logged_text(caplog) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


def _assert_clean(caplog, world) -> None:
    text = _logged_text(caplog)
    found = [value for value in _secrets(world) if value in text]
    assert not found, f"ID numbers or phones in the log: {found}"


def test_nothing_personal_in_the_app_log_at_debug(world, client, auth, app, uploads, caplog):
    caplog.set_level(logging.DEBUG)
    _household_journey(world, client, auth, app)
    _assert_clean(caplog, world)


def test_nothing_personal_even_with_sql_logging_switched_on(world, client, auth, app, uploads, caplog):
    """An operator switching SQL logging on to debug (SQLALCHEMY_ECHO) sees statements, not the values."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    _household_journey(world, client, auth, app)
    assert any("INSERT INTO households" in r.getMessage() for r in caplog.records)  # the logging did run
    _assert_clean(caplog, world)
