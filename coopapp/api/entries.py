"""Ledger entries: list, log, and move them through review."""

from flask import jsonify, request
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from coopapp.api.common import (
    bp,
    int_arg,
    json_body,
    once_per_key,
    period_arg,
    require_role_for,
    user,
    valid_form,
    village_arg,
)
from coopapp.api.serializers import entry_json
from coopapp.core.forms import ReasonForm
from coopapp.core.money import ParseError
from coopapp.core.units import unit_code
from coopapp.core.vocabulary import STATUSES
from coopapp.errors import BadRequest
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.ledger.forms import EntryForm
from coopapp.ledger.permissions import reversal_of
from coopapp.models import LedgerEntry

MAX_PER_PAGE = 200
# Not `int(max=…)`: Werkzeug answers 405 instead of 404 to a DELETE or POST beyond the max;
# common.URL_ID_LIMITS makes an id beyond the BIGINT key a 404.
ONE = "/entries/<int:entry_id>"


def _entry_payload(payload: dict) -> dict:
    """Units may be given as people write them (斤, 度, 千克): map them to the form's codes."""
    unit = payload.get("unit")
    if isinstance(unit, str) and unit.strip():
        try:
            payload = {**payload, "unit": unit_code(unit)}
        except ParseError:
            pass  # the form names the field
    return payload


def _entry_response(entry: LedgerEntry, status: int = 200):
    reversal = reversal_of(entry)
    return jsonify(entry_json(entry, reversal.id if reversal else None)), status


@bp.get("/entries")
def list_entries():
    """A page of the entries in scope, newest first (?status, ?period, ?village, ?page, ?per_page)."""
    me = user()
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise BadRequest(_("未知状态：%(s)s", s=status), {"status": _("可选：%(all)s", all=", ".join(STATUSES))})
    village = village_arg(me)
    page, per_page = int_arg("page", 1, high=1_000_000), int_arg("per_page", 50, high=MAX_PER_PAGE)
    q = ledger.entries_query(me, village=village, status=status, period=period_arg()).options(
        selectinload(LedgerEntry.village), selectinload(LedgerEntry.group), selectinload(LedgerEntry.created_by)
    )
    result = db.paginate(q, page=page, per_page=per_page, max_per_page=MAX_PER_PAGE, error_out=False)
    reversed_by = ledger.reversal_ids([e.id for e in result.items])
    return jsonify(
        {
            "items": [entry_json(e, reversed_by.get(e.id)) for e in result.items],
            "page": page,
            "per_page": per_page,
            "total": result.total,
        }
    )


@bp.post("/entries")
def create_entry():
    """The accountant logs a draft entry → 201; with an `Idempotency-Key` header, at most once."""
    me = require_role_for("create_entry")
    payload = json_body()

    def create() -> tuple[dict, int]:
        form = valid_form(EntryForm, _entry_payload(payload))
        entry = ledger.create_entry(me, form.to_input())
        return entry_json(entry, None), 201

    return once_per_key(me, payload, create)


@bp.get(ONE)
def get_entry(entry_id: int):
    """One entry (404 unknown, 403 outside the scope)."""
    return _entry_response(ledger.get_entry(entry_id, user()))


@bp.put(ONE)
def update_entry(entry_id: int):
    """The author corrects a draft or returned entry (same body as POST)."""
    me = require_role_for("create_entry")
    entry = ledger.get_entry(entry_id, me)
    form = valid_form(EntryForm, _entry_payload(json_body()))
    return _entry_response(ledger.update_entry(me, entry, form.to_input()))


@bp.post(f"{ONE}/submit")
def submit_entry(entry_id: int):
    """Draft or returned → submitted."""
    me = user()
    return _entry_response(ledger.submit_entry(me, ledger.get_entry(entry_id, me)))


@bp.post(f"{ONE}/approve")
def approve_entry(entry_id: int):
    """Submitted → approved (the secretary), or → awaiting_town when the county's tier asks for the town;
    awaiting_town → approved (the town accountant). It counts in the summaries once approved."""
    me = user()
    return _entry_response(ledger.approve_entry(me, ledger.get_entry(entry_id, me)))


@bp.post(f"{ONE}/return")
def return_entry(entry_id: int):
    """Submitted (the secretary) or awaiting_town (the town accountant) → returned to its author with {reason}."""
    me = require_role_for("review_entry", "town_review")
    entry = ledger.get_entry(entry_id, me)
    form = valid_form(ReasonForm, json_body())
    return _entry_response(ledger.return_entry(me, entry, form.reason.data))


@bp.post(f"{ONE}/reverse")
def reverse_entry(entry_id: int):
    """Approved → a new negating entry with {reason}, submitted for review → 201."""
    me = require_role_for("reverse_entry")
    entry = ledger.get_entry(entry_id, me)
    form = valid_form(ReasonForm, json_body())
    return _entry_response(ledger.reverse_entry(me, entry, form.reason.data), 201)
