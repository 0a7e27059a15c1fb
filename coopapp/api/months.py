"""Months (月结) through the API: a village's closed months, closing one, and reopening the latest
(反结账) — the secretary asks with a reason, the town accountant approves or refuses.

    GET  /api/v1/months[?village=CODE]           the village's closed months and requests
    POST /api/v1/months/close {period, village?}  close a month (the secretary)
    POST /api/v1/months/reopen {reason, village?} ask the town to reopen the latest closed month
    GET  /api/v1/reopenings                       the requests awaiting the town, in the caller's scope
    POST /api/v1/reopenings/ID/approve            the town reopens the month
    POST /api/v1/reopenings/ID/refuse {reason}    the town refuses, with its reason

The same operations, refusals and messages as the 月结 page and the town's queue.
"""

from flask import jsonify
from flask_babel import gettext as _

from coopapp.access.scope import authorize, home_village
from coopapp.api.common import bp, json_body, require_role_for, target_village, user, valid_form, village_arg
from coopapp.api.serializers import jsonable
from coopapp.core.forms import ReasonForm
from coopapp.errors import BadRequest
from coopapp.ledger import operations as ledger
from coopapp.ledger import reopening
from coopapp.ledger.forms import CloseMonthForm
from coopapp.ledger.permissions import first_open_month
from coopapp.models import Area, MonthReopening


def reopening_json(row: MonthReopening) -> dict:
    """A request to reopen a month, as the API gives it (through `jsonable`)."""
    return {
        "id": row.id,
        "village": row.village.code,
        "village_name": row.village.name,
        "period": row.period,
        "reason": row.reason,
        "status": row.status,
        "requested_by": row.requested_by.username if row.requested_by else None,
        "requested_at": row.requested_at,
        "decided_by": row.decided_by.username if row.decided_by else None,
        "decided_at": row.decided_at,
        "answer": row.answer,
    }


def months_json(village: Area) -> dict:
    """The village's months: closed (newest first), the one to close next, and its requests to reopen."""
    this_month = ledger.current_period()
    return {
        "village": village.code,
        "village_name": village.name,
        "this_month": this_month,
        "closed": ledger.closed_periods(village),
        "close_next": first_open_month(village.id, this_month),
        "reopenings": [reopening_json(r) for r in reopening.history(village)],
    }


@bp.get("/months")
def list_months():
    """The village's (`?village=CODE`, default the caller's own) closed months and reopening requests."""
    me = user()
    village = village_arg(me) or home_village(me)
    if village is None:
        raise BadRequest(_("请用 ?village=村代码 指定村。"), {"village": _("请填写村的 12 位代码。")})
    authorize(me, "view", village)
    return jsonify(jsonable(months_json(village)))


@bp.post("/months/close")
def close_month():
    """The secretary closes {period} of the village (`village`, default their own): refused (409) while
    entries of it await review or an earlier month with entries is open."""
    me = require_role_for("close_month")
    payload = json_body()
    village = target_village(me, payload, "close_month")
    form = valid_form(CloseMonthForm, {k: v for k, v in payload.items() if k != "village"})
    ledger.close_month(me, village, form.period.data.strip())
    return jsonify(jsonable(months_json(village)))


@bp.post("/months/reopen")
def request_reopening():
    """The secretary asks the town to reopen the village's latest closed month, with {reason} → 201."""
    me = require_role_for("close_month")
    payload = json_body()
    village = target_village(me, payload, "close_month")
    form = valid_form(ReasonForm, {k: v for k, v in payload.items() if k != "village"})
    latest = reopening.latest_closed(village.id)
    row = reopening.request_reopening(me, village, latest or "", form.reason.data)
    return jsonify(jsonable(reopening_json(row))), 201


@bp.get("/reopenings")
def list_reopenings():
    """The requests awaiting the town in the caller's scope, oldest first."""
    return jsonify(jsonable({"items": [reopening_json(r) for r in reopening.pending_for(user())]}))


@bp.post("/reopenings/<int:reopening_id>/approve")
def approve_reopening(reopening_id: int):
    """The town accountant approves: the month is open again."""
    me = require_role_for("town_review")
    row = reopening.get_reopening(reopening_id, me)
    return jsonify(jsonable(reopening_json(reopening.approve_reopening(me, row))))


@bp.post("/reopenings/<int:reopening_id>/refuse")
def refuse_reopening(reopening_id: int):
    """The town accountant refuses, with {reason}: the month stays closed."""
    me = require_role_for("town_review")
    row = reopening.get_reopening(reopening_id, me)
    form = valid_form(ReasonForm, json_body())
    return jsonify(jsonable(reopening_json(reopening.refuse_reopening(me, row, form.reason.data))))
