"""Helpers for the API tests (no tests here): clients per user, float-free JSON, periods."""

import json

from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import AuditEvent, LedgerEntry

from .conftest import ApiClient


def login(app, username: str) -> ApiClient:
    """A fresh client holding a Bearer token for `username`."""
    return ApiClient(app.test_client()).as_user(username)


def _no_float(text: str):
    raise AssertionError(f"float in API JSON: {text}")


def body(resp):
    """The response's JSON, failing the test if any number in it is a float."""
    return json.loads(resp.get_data(as_text=True), parse_float=_no_float)


def shift_period(months: int) -> str:
    """This month moved by `months` (−1 = last month), as YYYY-MM."""
    today = ledger.today()
    index = today.year * 12 + today.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def entry_body(world, **overrides) -> dict:
    """A valid POST /entries body for the world's project, last month."""
    values = {"project_id": world.project.id, "period": shift_period(-1), "kind": "sales", "amount": "1234.50"}
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not ...}


def counts() -> tuple[int, int]:
    """(ledger rows, audit events): what a refused request must leave unchanged."""
    db.session.rollback()
    return db.session.query(LedgerEntry).count(), db.session.query(AuditEvent).count()
