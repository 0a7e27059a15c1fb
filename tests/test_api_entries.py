"""The ledger through the API: an entry's whole life, and bad input that writes nothing."""

import pytest
from sqlalchemy import select

from coopapp.access import audit
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import LedgerEntry, MonthlySummary

from .builders import body, counts, entry_body, login, shift_period


def _entry(entry_id: int) -> LedgerEntry:
    db.session.rollback()
    return db.session.get(LedgerEntry, entry_id)


def test_create_submit_approve(app, world):
    acc, sec = login(app, "acc"), login(app, "sec")
    resp = acc.post(
        "/api/v1/entries",
        json=entry_body(world, kind="output", amount="1.2万", quantity="800", unit="斤", note="三月蜂蜜"),
    )
    assert resp.status_code == 201, resp.get_json()
    data = body(resp)
    assert data["status"] == "draft" and data["village"] == "441323110201"
    assert data["amount"] == "12000.00" and data["amount_fen"] == 1_200_000
    assert data["quantity"] == "400" and data["unit"] == "kg"  # stored in the base unit
    assert data["created_by"] == "acc" and data["reversed_by_id"] is None
    entry_id = data["id"]
    assert _entry(entry_id).amount_fen == 1_200_000

    resp = acc.post(f"/api/v1/entries/{entry_id}/submit")
    assert resp.status_code == 200 and body(resp)["status"] == "submitted"
    resp = sec.post(f"/api/v1/entries/{entry_id}/approve")
    assert resp.status_code == 200 and body(resp)["status"] == "approved"
    assert _entry(entry_id).status == "approved"
    assert db.session.query(db.func.sum(MonthlySummary.amount_fen)).scalar() == 1_200_000
    # approving twice is a conflict, not a second count
    assert sec.post(f"/api/v1/entries/{entry_id}/approve").status_code == 409
    assert db.session.query(db.func.sum(MonthlySummary.amount_fen)).scalar() == 1_200_000


def test_amount_as_json_number_and_date(app, world):
    acc = login(app, "acc")
    period = shift_period(-1)
    resp = acc.post("/api/v1/entries", json=entry_body(world, amount=1234.5, date=f"{period}-05"))
    assert resp.status_code == 201, resp.get_json()
    data = body(resp)
    assert data["amount_fen"] == 123_450 and data["amount"] == "1234.50" and data["date"] == f"{period}-05"


def test_return_with_reason_then_fix_and_resubmit(app, world):
    acc, sec = login(app, "acc"), login(app, "sec")
    entry_id = body(acc.post("/api/v1/entries", json=entry_body(world)))["id"]
    acc.post(f"/api/v1/entries/{entry_id}/submit")
    resp = sec.post(f"/api/v1/entries/{entry_id}/return", json={"reason": " "})
    assert resp.status_code == 422 and "reason" in body(resp)["error"]["fields"]
    assert _entry(entry_id).status == "submitted"
    resp = sec.post(f"/api/v1/entries/{entry_id}/return", json={"reason": "金额与发票不符"})
    assert resp.status_code == 200
    assert body(resp)["return_reason"] == "金额与发票不符"
    assert _entry(entry_id).status == "returned"
    # the accountant sees why, corrects and resubmits
    assert body(acc.get(f"/api/v1/entries/{entry_id}"))["return_reason"] == "金额与发票不符"
    resp = acc.client.put(f"/api/v1/entries/{entry_id}", json=entry_body(world, amount="99"), headers=acc.headers)
    assert resp.status_code == 200 and body(resp)["amount_fen"] == 9900
    assert acc.post(f"/api/v1/entries/{entry_id}/submit").status_code == 200
    assert sec.post(f"/api/v1/entries/{entry_id}/approve").status_code == 200
    assert _entry(entry_id).amount_fen == 9900 and _entry(entry_id).status == "approved"


def test_reverse_an_approved_entry(app, world):
    acc, sec = login(app, "acc"), login(app, "sec")
    entry_id = body(acc.post("/api/v1/entries", json=entry_body(world, amount="1000")))["id"]
    acc.post(f"/api/v1/entries/{entry_id}/submit")
    sec.post(f"/api/v1/entries/{entry_id}/approve")

    resp = acc.post(f"/api/v1/entries/{entry_id}/reverse", json={})
    assert resp.status_code == 422 and "reason" in body(resp)["error"]["fields"]
    resp = acc.post(f"/api/v1/entries/{entry_id}/reverse", json={"reason": "重复登记"})
    assert resp.status_code == 201
    reversal = body(resp)
    assert reversal["reverses_id"] == entry_id and reversal["amount"] == "-1000.00"
    assert reversal["amount_fen"] == -100_000 and reversal["status"] == "submitted"
    assert reversal["reversal_reason"] == "重复登记"
    assert body(acc.get(f"/api/v1/entries/{entry_id}"))["reversed_by_id"] == reversal["id"]
    listed = {e["id"]: e for e in body(acc.get("/api/v1/entries"))["items"]}
    assert listed[entry_id]["reversed_by_id"] == reversal["id"]
    # a second reversal is refused
    assert acc.post(f"/api/v1/entries/{entry_id}/reverse", json={"reason": "again"}).status_code == 409
    assert sec.post(f"/api/v1/entries/{reversal['id']}/approve").status_code == 200
    assert db.session.query(db.func.sum(MonthlySummary.amount_fen)).scalar() == 0
    # the original stays as it was: approved, unchanged
    original = _entry(entry_id)
    assert original.status == "approved" and original.amount_fen == 100_000


def test_list_filters_and_pagination(app, world):
    acc = login(app, "acc")
    ids = [body(acc.post("/api/v1/entries", json=entry_body(world, amount=str(n))))["id"] for n in (1, 2, 3)]
    acc.post(f"/api/v1/entries/{ids[0]}/submit")
    page = body(acc.get("/api/v1/entries?per_page=2"))
    assert page["total"] == 3 and [e["id"] for e in page["items"]] == [ids[2], ids[1]]
    page2 = body(acc.get("/api/v1/entries?per_page=2&page=2"))
    assert [e["id"] for e in page2["items"]] == [ids[0]]
    submitted = body(acc.get("/api/v1/entries?status=submitted"))
    assert [e["id"] for e in submitted["items"]] == [ids[0]]
    assert body(acc.get(f"/api/v1/entries?period={shift_period(-1)}&village=441323110201"))["total"] == 3
    assert body(acc.get("/api/v1/entries?period=2001-01"))["total"] == 0
    for query, field in [
        ("per_page=201", "per_page"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("status=lost", "status"),
        ("period=2024-13", "period"),
    ]:
        resp = acc.get(f"/api/v1/entries?{query}")
        assert resp.status_code == 400, query
        assert field in body(resp)["error"]["fields"], query


def _closed_last_month(world) -> str:
    period = shift_period(-1)
    ledger.close_month(world.users["secretary"], world.village, period)
    return period


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "12abc"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"amount": "-5"}, "note"),  # a red entry (红字) of sales needs its reason
        ({"amount": "-5", "kind": "cost", "note": "退款"}, "amount"),  # cost stays positive
        ({"amount": "0"}, "amount"),
        ({"amount": "0", "kind": "cost"}, "amount"),
        ({"amount": ...}, "amount"),
        ({"period": "2024-13"}, "period"),
        ({"period": shift_period(1)}, "period"),  # a future month
        ({"period": "closed"}, "period"),  # replaced by the closed month below
        ({"date": "2024-02-30"}, "date"),
        ({"date": f"{shift_period(-2)}-01"}, "date"),  # not inside the period
        ({"kind": "bonus"}, "kind"),
        ({"kind": ...}, "kind"),
        ({"unit": "吨", "quantity": "5"}, "unit"),
        ({"quantity": "5"}, "unit"),  # a quantity needs its unit
        ({"quantity": "-5", "unit": "kg"}, "quantity"),
        ({"quantity": "lots", "unit": "kg"}, "quantity"),
        ({"household_id": "other"}, "household_id"),  # replaced by 八维村's household below
        ({"household_id": "x"}, "household_id"),
        ({"kind": "dividend"}, "household_id"),  # a payout names its household
        ({"project_id": 999_999}, "project_id"),
        ({"project_id": "abc"}, "project_id"),
        ({"note": "长" * 501}, "note"),
    ],
)
def test_bad_entry_names_the_field_and_writes_nothing(app, world, overrides, field):
    acc = login(app, "acc")
    if overrides.get("period") == "closed":
        overrides = {"period": _closed_last_month(world)}
    if overrides.get("household_id") == "other":
        overrides = {"household_id": world.other_household.id, "kind": "dividend"}
    before = counts()
    resp = acc.post("/api/v1/entries", json=entry_body(world, **overrides))
    assert resp.status_code in (400, 422), resp.get_json()
    error = body(resp)["error"]
    assert field in error["fields"], error
    assert error["code"] in ("invalid", "bad_request") and error["message"]
    assert counts() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"project_id": 2**40}, "project_id"),
        ({"household_id": 2**40, "kind": "dividend"}, "household_id"),
        ({"quantity": "9" * 22, "unit": "kg"}, "quantity"),
        ({"amount": "9" * 30}, "amount"),
    ],
)
def test_numbers_too_large_for_the_columns_are_422_not_500(app, world, overrides, field):
    acc = login(app, "acc")
    before = counts()
    resp = acc.post("/api/v1/entries", json=entry_body(world, **overrides))
    assert resp.status_code == 422 and field in body(resp)["error"]["fields"]
    assert counts() == before


@pytest.mark.parametrize("path", [f"/api/v1/entries/{2**70}", "/api/v1/entries?page=99999999999999999999"])
def test_huge_ids_and_pages_are_4xx_not_500(app, world, path):
    resp = login(app, "county").get(path)
    assert resp.status_code in (400, 404)
    assert "error" in body(resp)


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
    assert db.session.scalar(select(LedgerEntry.quantity)) == 0
    assert audit.verify() is None
