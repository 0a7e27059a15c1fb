"""A county's settings (县级设置): read by anyone logged in, replaced by the county admin.

`GET /api/v1/settings` → `{"county": CODE, "settings": {...}, "version": N}` (the caller's county,
or that of `?area=CODE`; version 0: nothing stored, the defaults). `PUT /api/v1/settings` with the
document as its body replaces it (a field left out gets its default); 422 names each bad field.
"""

from flask import jsonify, request

from coopapp.api.common import bp, json_body, user
from coopapp.core.vocabulary import KINDS
from coopapp.models import Area, User
from coopapp.settings import TIER_APPROVERS, for_area, to_document
from coopapp.settings.operations import save_settings, settings_county, stored_row, version_of
from coopapp.villages import catalog


def _county(me: User) -> Area:
    code = request.args.get("area")
    return settings_county(me, catalog.get_area(code, me) if code else None)


def settings_json(county: Area) -> dict:
    """The answer of both routes."""
    return {"county": county.code, "settings": to_document(for_area(county)), "version": version_of(stored_row(county))}


@bp.get("/settings")
def get_settings():
    """The settings of the caller's county (or of `?area=CODE` in the caller's scope)."""
    return jsonify(settings_json(_county(user())))


@bp.put("/settings")
def put_settings():
    """The county admin replaces the county's settings with the body's document."""
    me = user()
    county = _county(me)
    save_settings(me, county, json_body())
    return jsonify(settings_json(county))


# ---- the OpenAPI schemas (api/openapi.py puts them in the document) ----------------------

_FEN = {"type": "integer", "minimum": 0, "maximum": 10**15, "description": "分（fen）"}
_NULL_FEN = {"anyOf": [_FEN, {"type": "null"}], "description": "分（fen）; null: no such rule"}
_NAMES = {"type": "array", "maxItems": 200, "items": {"type": "string", "minLength": 1, "maxLength": 40}}
TIER = {
    "type": "object",
    "properties": {
        "kinds": {"type": "array", "minItems": 1, "items": {"enum": list(KINDS)}},
        "above_fen": _FEN,
        "up_to_fen": _NULL_FEN,
        "approvers": {"type": "array", "minItems": 1, "items": {"enum": list(TIER_APPROVERS)}},
    },
    "required": ["kinds", "above_fen"],
    "additionalProperties": False,
    "description": "entries of `kinds` with an amount in (above_fen, up_to_fen] need `approvers` after the "
    "secretary; two tiers of one kind must not overlap",
}
DOCUMENT = {
    "type": "object",
    "properties": {
        "categories": {**_NAMES, "description": "spending sub-categories (明细科目)"},
        "banned_categories": {**_NAMES, "description": "categories refused at submit"},
        "non_productive_cap_fen": _NULL_FEN,
        "tiers": {"type": "array", "maxItems": 100, "items": TIER},
        "voucher_required_above_fen": _NULL_FEN,
        "cash_warning_above_fen": _NULL_FEN,
        "plan_town_approval_above_fen": _NULL_FEN,
    },
    "additionalProperties": False,
    "description": "a county's settings; a field left out of a PUT gets its default",
}
ANSWER = {
    "type": "object",
    "properties": {
        "county": {"type": "string"},
        "settings": {**DOCUMENT, "required": list(DOCUMENT["properties"])},
        "version": {"type": "integer", "minimum": 0, "description": "0: nothing stored (the defaults)"},
    },
    "required": ["county", "settings", "version"],
}
