"""The OpenAPI 3.1 document of /api/v1, next to the routes it describes.

`GET /api/v1/openapi.json` serves it without a login. Request bodies are read from the forms
that validate them (`api.openapi_forms.request_schemas`); responses are written here.
Enumerations come from the same constants the forms and services check, so the document
cannot drift from them; tests/test_openapi.py fails when a route of the blueprint is missing
here, and tests/test_api_fuzz.py fuzzes every operation against it with schemathesis.
"""

import re

from flask import jsonify

from coopapp.api.common import URL_ID_LIMITS, bp
from coopapp.api.entries import MAX_PER_PAGE
from coopapp.api.openapi_forms import VILLAGE_CODE, request_schemas
from coopapp.api.settings import ANSWER as SETTINGS_ANSWER
from coopapp.api.settings import DOCUMENT as SETTINGS_DOCUMENT
from coopapp.core import periods
from coopapp.core.limits import MAX_ID
from coopapp.core.vocabulary import (
    BASES,
    DEDUCTION_KINDS,
    KINDS,
    PARTY_ORG_KINDS,
    PLAN_STATUSES,
    PROJECT_TYPES,
    STATUSES,
    WARNING_RULES,
)
from coopapp.models import LEVELS
from coopapp.reporting.comparison import SORT_KEYS
from coopapp.reporting.metric_table import COMPARE_METRICS

MAX_ENTRY_ID = URL_ID_LIMITS["entry_id"]

# ---- building blocks -------------------------------------------------------


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _null(schema: dict) -> dict:
    """`schema` or null."""
    return {"anyOf": [schema, {"type": "null"}]}


STRING, INTEGER, BOOLEAN = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
YUAN = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "description": "元，两位小数的字符串（yuan as a string）"}
FEN = {"type": "integer", "description": "分（fen）"}
DECIMAL = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "description": "a decimal as a string, never a float"}
PERIOD = {"type": "string", "pattern": periods.PATTERN, "examples": ["2025-03"]}
DATE = {"type": "string", "format": "date"}
TIMESTAMP = {"type": "string", "format": "date-time"}
AREA_CODE = {"type": "string", "pattern": r"^[0-9]{6,15}$", "examples": ["441323110201"]}


def _object(properties: dict, required=(), **extra) -> dict:
    return {"type": "object", "properties": properties, "required": list(required), **extra}


def _money(*names: str, nullable: bool = False) -> dict:
    """The `name_fen` integer and its `name` yuan-string twin, for each name."""
    out = {}
    for name in names:
        out[f"{name}_fen"] = _null(FEN) if nullable else FEN
        out[name] = _null(YUAN) if nullable else YUAN
    return out


# ---- schemas ---------------------------------------------------------------

_TYPES = {"str": STRING, "int": INTEGER, "bool": BOOLEAN, "dec": DECIMAL, "date": DATE, "time": TIMESTAMP}


def _typed(spec: str) -> dict:
    """Response properties from words `name:type` (str, int, bool, dec, date, time); `type?` allows null."""
    out = {}
    for word in spec.split():
        name, kind = word.split(":")
        schema = _TYPES[kind.rstrip("?")]
        out[name] = _null(schema) if kind.endswith("?") else schema
    return out


ERROR = _object(
    {
        "error": _object(
            {
                "code": {"type": "string", "examples": ["invalid", "forbidden", "not_found"]},
                "message": {"type": "string", "description": "a message for people (中文 or English)"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
            ("code", "message", "fields"),
        )
    },
    ("error",),
)

AREA = _object(
    {
        "code": STRING,
        "name": STRING,
        "level": {"enum": list(LEVELS)},
        **_typed("parent:str? published_name:str? retired:bool merged_into:str? merged_on:date?"),
    },
    ("code", "name", "level", "parent", "published_name", "retired"),
)
AREA_INPUT = _object(
    {
        "code": {**AREA_CODE, "description": "6, 9, 12 or 15 digits; a county or town also zero-padded to 12"},
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
        "level": {"type": "string", "examples": ["village", "group", "村民小组"]},
        "parent": AREA_CODE,
        "published_name": {"type": "string", "maxLength": 100},
    },
    ("code", "name"),
)
AREA_CHANGE = _object(
    {
        "name": {"type": "string", "maxLength": 100},
        "parent": AREA_CODE,
        "retired": BOOLEAN,
        "merged_into": AREA_CODE,
        "merged_on": DATE,
    },
    description="rename; move a group to another village (parent); retire (retired: true); merge a village "
    "into another (merged_into, merged_on: the day, default today)",
)

COOPERATIVE = _object(
    {
        **_typed("id:int name:str village:str village_name:str party_org_id:int? party_org:str?"),
        "credit_code": {"type": "string", "pattern": "^[0-9A-HJ-NPQRTUWXY]{18}$", "description": "统一社会信用代码"},
    },
    ("id", "name", "credit_code", "village", "village_name", "party_org_id", "party_org"),
)
PARTY_ORG = _object(
    {
        **_typed("id:int name:str area:str area_name:str founded:date?"),
        "kind": {"enum": list(PARTY_ORG_KINDS)},
        "groups": {"type": "array", "items": AREA_CODE, "description": "the groups a joint branch covers"},
        "upgrades": {
            "type": "array",
            "items": _object(
                {"date": DATE, "from_kind": {"enum": list(PARTY_ORG_KINDS)}, "kind": {"enum": list(PARTY_ORG_KINDS)}},
                ("date", "from_kind", "kind"),
            ),
        },
    },
    ("id", "name", "kind", "area", "area_name", "groups", "founded", "upgrades"),
)
PROJECT_TARGET = _object(
    {"year": INTEGER, **_money("output", "collective_income", nullable=True)},
    ("year", "output_fen", "collective_income_fen"),
)
PROJECT = _object(
    {
        "targets": {"type": "array", "items": PROJECT_TARGET, "description": "every year's targets, oldest first"},
        **_typed("id:int name:str village:str village_name:str cooperative_id:int? cooperative:str?"),
        **_typed("capacity:dec? capacity_unit:str? active:bool"),
        **_typed("group:str?"),  # the village group's code (组账村代记)
        "type": {"enum": list(PROJECT_TYPES)},
        **_money("target_output", "target_collective_income", nullable=True),  # this year's
    },
    ("id", "name", "type", "village", "capacity", "target_output_fen", "target_collective_income_fen", "targets"),
)
HOUSEHOLD = _object(
    {
        **_typed(
            "id:int village:str group:str? head_name:str members:int phone:str? id_number:str? "
            "formerly_poor:bool monitored:bool"
        ),
        "masked": {
            **BOOLEAN,
            "description": "phone and ID number masked (for all but the village's secretary); "
            "head_name is masked too outside the caller's own village",
        },
    },
    ("id", "village", "head_name", "members", "masked"),
)
ENTRY = _object(
    {
        **_typed("id:int project_id:int village:str period:str date:date? quantity:dec? unit:str? household_id:int?"),
        **_typed("note:str return_reason:str? reverses_id:int? reversal_reason:str? reversed_by_id:int?"),
        **_typed("created_by:str? created_by_name:str? created_at:time reviewed_at:time? voucher_no:int?"),
        **_typed("town_reviewed_by:str? town_reviewed_at:time? returned_by_town:bool"),
        **_typed("group:str?"),  # the village group's code (组账村代记), null for the village's own books
        **_typed("category:str? payment_method:str? payee:str?"),
        "kind": {"enum": list(KINDS)},
        "status": {"enum": list(STATUSES)},
        **_money("amount"),
    },
    ("id", "project_id", "village", "period", "kind", "amount_fen", "amount", "status", "created_at"),
)
ENTRY_PAGE = _object(
    {"items": {"type": "array", "items": _ref("Entry")}, **_typed("page:int per_page:int total:int")},
    ("items", "page", "per_page", "total"),
)

WARNING = _object(
    {**_typed("id:int entry_id:int village:str message:str created_at:time"), "rule": {"enum": list(WARNING_RULES)}},
    ("id", "rule", "entry_id", "village", "message", "created_at"),
)
WARNING_PAGE = _object(
    {"items": {"type": "array", "items": _ref("Warning")}, **_typed("page:int per_page:int total:int")},
    ("items", "page", "per_page", "total"),
)

TOKEN = _object(_typed("token:str expires_at:time?"), ("token",))
USER = _object(
    _typed(
        "username:str display_name:str role:str role_label:str area:str phone:str active:bool must_change_password:bool"
    ),
    ("username", "display_name", "role", "area", "phone", "active"),
)
USER_ROW = _object(
    _typed("username:str display_name:str role:str area:str phone:str active:bool locked:bool"),
    ("username", "display_name", "role", "area", "phone", "active", "locked"),
)
NEW_USER = _object(
    {**USER["properties"], "one_time_password": {"type": "string", "description": "shown once: hand it over"}},
    (*USER["required"], "one_time_password"),
)
ONE_TIME_PASSWORD = _object(_typed("username:str one_time_password:str"), ("username", "one_time_password"))
PASSWORD_CHANGED = _object(_typed("changed:bool tokens_revoked:bool"), ("changed", "tokens_revoked"))

# Every `*_fen` of a metrics row is an integer (or null) with a yuan twin; growths and ratios are decimal strings.
_METRIC_PATTERNS = {
    "_fen$": _null(FEN),
    "_fen_per_unit$": _null(FEN),
    "_growth$": _null(DECIMAL),
    "(coverage|attainment)$": _null(DECIMAL),
}
_HEADLINE = {
    **_typed("code:str name:str town:str? households:int households_benefited:int weak:bool"),
    **_money("collective_income", "output_value", "benefit_total", "benefit_per_household", "spending", "net_income"),
}
_HEADLINE_REQUIRED = ("code", "name", "households", "households_benefited", "collective_income_fen", "output_value_fen")
PROJECT_YEAR = _object(
    {**_typed("id:int name:str type:str"), **_money("output_value", "collective_income")},
    ("id", "name"),
    patternProperties=_METRIC_PATTERNS,
)
VILLAGE_SUMMARY = _object(
    {**_HEADLINE, "year": INTEGER, "projects": {"type": "array", "items": _ref("ProjectYear")}},
    (*_HEADLINE_REQUIRED, "year", "projects"),
    patternProperties=_METRIC_PATTERNS,
)
_PARTY = {
    **{name: INTEGER for name in ("groups", "party_branches", "party_groups_covered", "coops_led")},
    **{f"party_orgs_{kind}": INTEGER for kind in PARTY_ORG_KINDS},
    "party_branches_per_group": _null(DECIMAL),
    "party_group_coverage": _null(DECIMAL),
}
COMPARE_ROW = _object(
    {**_HEADLINE, **_PARTY, "rank": {"type": "integer", "minimum": 1}, "outlier": BOOLEAN},
    (*_HEADLINE_REQUIRED, "rank"),
    patternProperties=_METRIC_PATTERNS,
)
COMPARISON = _object(
    {
        **_typed("area:str area_name:str year:int"),
        "metric": {"enum": list(COMPARE_METRICS)},
        **_money("weak_below"),
        "rows": {"type": "array", "items": _ref("CompareRow")},
    },
    ("area", "area_name", "year", "metric", "weak_below_fen", "rows"),
)

_PLAN_HEAD = {
    **_typed(
        "id:int project_id:int project:str village:str village_name:str period:str households:int created_at:time"
        " town_return_reason:str?"
    ),
    "status": {"enum": list(PLAN_STATUSES)},
    "basis": {"enum": list(BASES)},
    **_money("pool", "distributable"),
}
PLAN_SUMMARY = _object({**_PLAN_HEAD, **_typed("awaits_town:bool")}, (*_PLAN_HEAD, "awaits_town"))
PLAN_LIST = _object({"items": {"type": "array", "items": _ref("PlanSummary")}}, ("items",))
DEDUCTION = _object(
    {
        **_typed("position:int percent:dec? percent_bp:int?"),
        "kind": {"enum": list(DEDUCTION_KINDS)},
        **_money("fixed", nullable=True),
        **_money("amount", "remaining"),
    },
    ("kind", "amount_fen", "remaining_fen"),
)
PLAN_LINE = _object(
    {**_typed("household_id:int head_name:str shares:dec entry_id:int?"), **_money("amount")},
    ("household_id", "head_name", "shares", "amount_fen", "amount"),
)
PLAN = _object(
    {
        **_PLAN_HEAD,
        **_typed("note:str collective_entry_id:int? published_at:time? notice_days:int notice_ends:time?"),
        **_typed("reversal_reason:str? needs_town:bool town_approved_at:time? masked:bool"),
        **_money("deductions_total", "lines_total"),
        "deductions": {"type": "array", "items": DEDUCTION},
        "lines": {"type": "array", "items": PLAN_LINE},
    },
    (*_PLAN_HEAD, "deductions", "lines", "lines_total_fen", "masked"),
)


VOUCHER = _object(
    {
        "id": INTEGER,
        "entry_id": INTEGER,
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$", "description": "of the stored file"},
        "content_type": {"enum": ["image/jpeg", "image/png", "application/pdf"]},
        "size": INTEGER,
        **_typed("width:int? height:int? file_name:str url:str thumbnail_url:str? uploaded_by:str? uploaded_at:time"),
    },
    ("id", "sha256", "content_type", "size", "width", "height", "url", "thumbnail_url", "uploaded_by", "uploaded_at"),
)
VOUCHER_UPLOAD = _object(
    {"file": {"type": "string", "format": "binary", "description": "a photo (JPEG, PNG, HEIC) or a PDF"}},
    ("file",),
)

REOPENING = _object(
    {
        "id": INTEGER,
        "village": AREA_CODE,
        **_typed("village_name:str reason:str requested_by:str? requested_at:time decided_by:str? decided_at:time?"),
        "period": PERIOD,
        "status": {"enum": ["pending", "approved", "refused"]},
        "answer": _null({"type": "string", "description": "the town's reason when it refused"}),
    },
    ("id", "village", "period", "reason", "status", "requested_at"),
)
MONTHS = _object(
    {
        "village": AREA_CODE,
        "village_name": STRING,
        "this_month": PERIOD,
        "closed": {"type": "array", "items": PERIOD, "description": "closed months, newest first"},
        "close_next": _null({**PERIOD, "description": "the earliest open month with entries: it must close first"}),
        "reopenings": {"type": "array", "items": _ref("Reopening"), "description": "the latest 20, newest first"},
    },
    ("village", "this_month", "closed", "close_next", "reopenings"),
)

# The responses, written here.
SCHEMAS = {
    "Months": MONTHS,
    "Reopening": REOPENING,
    "ReopeningList": _object({"items": {"type": "array", "items": _ref("Reopening")}}, ("items",)),
    "Voucher": VOUCHER,
    "Error": ERROR,
    "Area": AREA,
    "AreaInput": AREA_INPUT,
    "AreaChange": AREA_CHANGE,
    "Project": PROJECT,
    "ProjectTarget": PROJECT_TARGET,
    "Cooperative": COOPERATIVE,
    "PartyOrg": PARTY_ORG,
    "Household": HOUSEHOLD,
    "Entry": ENTRY,
    "EntryPage": ENTRY_PAGE,
    "Warning": WARNING,
    "WarningPage": WARNING_PAGE,
    "Token": TOKEN,
    "User": USER,
    "UserRow": USER_ROW,
    "NewUser": NEW_USER,
    "OneTimePassword": ONE_TIME_PASSWORD,
    "PasswordChanged": PASSWORD_CHANGED,
    "Unlocked": _object({"username": STRING, "locked": {"type": "boolean"}}, ("username", "locked")),
    "ProjectYear": PROJECT_YEAR,
    "VillageSummary": VILLAGE_SUMMARY,
    "CompareRow": COMPARE_ROW,
    "Comparison": COMPARISON,
    "PlanSummary": PLAN_SUMMARY,
    "PlanList": PLAN_LIST,
    "Plan": PLAN,
    "Settings": SETTINGS_ANSWER,
    "SettingsDocument": SETTINGS_DOCUMENT,
}

ERRORS = {
    400: "malformed request: a bad query parameter, a body that is not a JSON object, a NUL character",
    401: "not logged in: no session and no valid Bearer token (or bad credentials)",
    403: "the caller's role or scope does not allow this (code `password_change_required`: a one-time "
    "password must first be replaced through POST /password)",
    404: "no such record or area",
    409: "the record is not in a state that allows this (e.g. already approved, month closed)",
    413: "the file is larger than the voucher size limit (10 MB by default)",
    415: "a POST body must be application/json (a voucher upload: multipart/form-data)",
    422: "invalid fields: `error.fields` names each one",
    429: "too many failed logins from this name or client: wait `Retry-After` seconds",
}

# ---- operations ------------------------------------------------------------

_READ, _WRITE, _STEP = (400, 403, 404), (400, 403, 404, 409, 415, 422), (400, 403, 404, 409, 415)
_ENTRY, _PLAN = _ref("Entry"), _ref("Plan")


def _list(name: str) -> dict:
    return {"type": "array", "items": _ref(name)}


def _binary(*types: str) -> dict:
    """A response of raw bytes in one of `types` (a voucher's file)."""
    return {"content": {t: {"schema": {"type": "string", "format": "binary"}} for t in types}}


_VOUCHER_FILE = _binary("image/jpeg", "image/png", "application/pdf")


# (method, path, operationId, success status, success body, error statuses, summary); the tag is the
# path's first segment. Every authenticated operation may also answer 401.
OPERATIONS = [
    ("get", "/openapi.json", "openapi", 200, {"type": "object"}, (), "This document (no login needed)"),
    ("post", "/tokens", "create_token", 201, _ref("Token"), (400, 401, 415, 422, 429), "Issue a Bearer token"),
    ("delete", "/tokens", "revoke_token", 204, None, (400,), "Revoke the Bearer token of this request"),
    (
        "post",
        "/password",
        "change_password",
        200,
        _ref("PasswordChanged"),
        (400, 415, 422),
        "Replace one's own password (revokes every token of the caller)",
    ),
    ("get", "/users", "list_users", 200, _list("UserRow"), _READ, "Users in the admin's scope"),
    ("post", "/users", "create_user", 201, _ref("NewUser"), _WRITE, "Add a user with a one-time password (admin)"),
    ("patch", "/users/{username}", "change_user", 200, _ref("User"), _WRITE, "Change, deactivate or activate (admin)"),
    (
        "post",
        "/users/{username}/reset-password",
        "reset_user_password",
        200,
        _ref("OneTimePassword"),
        (400, 403, 404, 415, 422),
        "Give a user a new one-time password (admin)",
    ),
    (
        "post",
        "/users/{username}/unlock",
        "unlock_user",
        200,
        _ref("Unlocked"),
        (400, 403, 404, 415),
        "Forget a user's failed logins: they may log in at once (admin)",
    ),
    ("get", "/areas", "list_areas", 200, _list("Area"), _READ, "Areas in the caller's scope"),
    ("post", "/areas", "create_area", 201, _ref("Area"), _WRITE, "Add a town, village or group (admin)"),
    ("patch", "/areas/{area_code}", "change_area", 200, _ref("Area"), _WRITE, "Rename, move a group, retire (admin)"),
    ("get", "/projects", "list_projects", 200, _list("Project"), _READ, "Projects in the caller's scope"),
    ("post", "/projects", "create_project", 201, _ref("Project"), _WRITE, "Add a project to a village (secretary)"),
    (
        "put",
        "/projects/{project_id}/targets/{year}",
        "set_project_target",
        200,
        _ref("ProjectTarget"),
        _WRITE,
        "Set a project's targets for one year (secretary)",
    ),
    ("get", "/cooperatives", "list_cooperatives", 200, _list("Cooperative"), _READ, "Cooperatives in scope"),
    ("post", "/cooperatives", "create_cooperative", 201, _ref("Cooperative"), _WRITE, "Register a cooperative (admin)"),
    ("get", "/party-orgs", "list_party_orgs", 200, _list("PartyOrg"), _READ, "Party organisations in scope"),
    ("post", "/party-orgs", "create_party_org", 201, _ref("PartyOrg"), _WRITE, "Register a party organisation (admin)"),
    (
        "patch",
        "/party-orgs/{org_id}",
        "change_party_org",
        200,
        _ref("PartyOrg"),
        _WRITE,
        "Correct a name, village or group, a joint branch's groups (admin)",
    ),
    (
        "post",
        "/party-orgs/{org_id}/upgrade",
        "upgrade_party_org",
        200,
        _ref("PartyOrg"),
        _WRITE,
        "Record an upgrade: a branch became a 党总支, … (admin)",
    ),
    ("get", "/households", "list_households", 200, _list("Household"), _READ, "Households, masked per role"),
    ("post", "/households", "create_household", 201, _ref("Household"), _WRITE, "Register a household (secretary)"),
    ("get", "/entries", "list_entries", 200, _ref("EntryPage"), _READ, "A page of entries in scope, newest first"),
    (
        "post",
        "/entries",
        "create_entry",
        201,
        _ENTRY,
        _WRITE,
        "Log a draft entry (accountant); red (negative) on income kinds, with a note",
    ),
    ("get", "/entries/{entry_id}", "get_entry", 200, _ENTRY, (403, 404), "One entry"),
    ("put", "/entries/{entry_id}", "update_entry", 200, _ENTRY, (400, 403, 404, 409, 422), "Correct a draft"),
    ("post", "/entries/{entry_id}/submit", "submit_entry", 200, _ENTRY, _STEP, "Draft or returned → submitted"),
    (
        "post",
        "/entries/{entry_id}/approve",
        "approve_entry",
        200,
        _ENTRY,
        _STEP,
        "Submitted → approved by the secretary, or → awaiting_town when the county's tier asks for the town; "
        "awaiting_town → approved by the town accountant",
    ),
    (
        "post",
        "/entries/{entry_id}/return",
        "return_entry",
        200,
        _ENTRY,
        (*_STEP, 422),
        "Submitted (the secretary) or awaiting_town (the town accountant) → returned",
    ),
    ("post", "/entries/{entry_id}/reverse", "reverse_entry", 201, _ENTRY, (*_STEP, 422), "Approved → its negation"),
    ("get", "/entries/{entry_id}/vouchers", "list_vouchers", 200, _list("Voucher"), _READ, "An entry's vouchers"),
    (
        "post",
        "/entries/{entry_id}/vouchers",
        "attach_voucher",
        201,
        _ref("Voucher"),
        (400, 403, 404, 409, 413, 415, 422),
        "Attach a photo or PDF to a draft or returned entry (multipart, field `file`; Bearer token or X-CSRFToken)",
    ),
    ("get", "/vouchers/{voucher_id}", "voucher_file", 200, _VOUCHER_FILE, (403, 404), "A voucher's file"),
    (
        "get",
        "/vouchers/{voucher_id}/thumbnail",
        "voucher_thumbnail",
        200,
        _binary("image/jpeg"),
        (403, 404),
        "A voucher's thumbnail (none for a PDF: 404)",
    ),
    ("delete", "/vouchers/{voucher_id}", "remove_voucher", 204, None, (403, 404, 409), "Remove a voucher (draft)"),
    (
        "get",
        "/warnings",
        "list_warnings",
        200,
        _ref("WarningPage"),
        _READ,
        "Warnings (预警) on the entries under an area, newest first",
    ),
    ("get", "/villages/{code}/summary", "village_summary", 200, _ref("VillageSummary"), _READ, "A village's year"),
    ("get", "/compare", "compare", 200, _ref("Comparison"), _READ, "Villages under an area ranked by a metric"),
    ("get", "/distributions", "list_plans", 200, _ref("PlanList"), _READ, "Plans in scope, newest first"),
    ("post", "/distributions", "draft_plan", 201, _PLAN, _WRITE, "Preview a plan, saved as a draft (secretary)"),
    ("get", "/distributions/{plan_id}", "get_plan", 200, _PLAN, (403, 404), "One plan with its lines"),
    ("delete", "/distributions/{plan_id}", "delete_plan", 204, None, (403, 404, 409), "Discard a draft"),
    ("post", "/distributions/{plan_id}/approve", "approve_plan", 200, _PLAN, _STEP, "Draft → approved"),
    (
        "post",
        "/distributions/{plan_id}/town-approve",
        "town_approve_plan",
        200,
        _PLAN,
        _STEP,
        "The town accountant approves a plan above the county's pool size (needs_town)",
    ),
    (
        "post",
        "/distributions/{plan_id}/town-return",
        "town_return_plan",
        200,
        _PLAN,
        (*_STEP, 422),
        "The town accountant sends such a plan back to the secretary with {reason}: a draft again",
    ),
    ("post", "/distributions/{plan_id}/publish", "publish_plan", 200, _PLAN, _STEP, "Approved → published"),
    ("post", "/distributions/{plan_id}/reverse", "reverse_plan", 200, _PLAN, (*_STEP, 422), "Published → reversed"),
    ("get", "/months", "list_months", 200, _ref("Months"), _READ, "A village's closed months (月结) and reopenings"),
    (
        "post",
        "/months/close",
        "close_month",
        200,
        _ref("Months"),
        _WRITE,
        "Close {period} (the secretary): 409 while its entries await review or an earlier month is open",
    ),
    (
        "post",
        "/months/reopen",
        "request_reopening",
        201,
        _ref("Reopening"),
        _WRITE,
        "Ask the town to reopen the latest closed month (反结账) with {reason}",
    ),
    ("get", "/reopenings", "list_reopenings", 200, _ref("ReopeningList"), _READ, "Requests awaiting the town"),
    (
        "post",
        "/reopenings/{reopening_id}/approve",
        "approve_reopening",
        200,
        _ref("Reopening"),
        _STEP,
        "The town accountant reopens the month",
    ),
    (
        "post",
        "/reopenings/{reopening_id}/refuse",
        "refuse_reopening",
        200,
        _ref("Reopening"),
        (*_STEP, 422),
        "The town accountant refuses with {reason}: the month stays closed",
    ),
    ("get", "/settings", "get_settings", 200, _ref("Settings"), _READ, "The county's settings (县级设置)"),
    ("put", "/settings", "put_settings", 200, _ref("Settings"), _WRITE, "Replace the county's settings (county admin)"),
]
PUBLIC = {"openapi", "create_token"}


def _query(name: str, schema: dict, description: str = "") -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


_YEAR = _query("year", {"type": "integer", "minimum": 2000, "maximum": 2100}, "default: this year")
_VILLAGE = _query("village", VILLAGE_CODE, "only this village (12-digit code)")
QUERIES = {
    "list_areas": [_query("parent", AREA_CODE, "children of this area"), _query("level", {"enum": list(LEVELS)})],
    "list_users": [_query("area", AREA_CODE, "only users under this area")],
    "list_projects": [_VILLAGE],
    "list_cooperatives": [_VILLAGE],
    "list_party_orgs": [_query("village", VILLAGE_CODE, "a village's, its groups' included")],
    "list_households": [_VILLAGE, _query("q", STRING, "part of the head's name")],
    "list_entries": [
        _query("status", {"enum": list(STATUSES)}),
        _query("period", PERIOD),
        _VILLAGE,
        _query("page", {"type": "integer", "minimum": 1, "maximum": 1_000_000}),
        _query("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}),
    ],
    "list_warnings": [
        _query("area", AREA_CODE, "default: the caller's scope"),
        _query("rule", {"enum": list(WARNING_RULES)}),
        _query("page", {"type": "integer", "minimum": 1, "maximum": 1_000_000}),
        _query("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}),
    ],
    "village_summary": [_YEAR],
    "compare": [
        _query("area", AREA_CODE, "default: the caller's scope"),
        _YEAR,
        _query("metric", {"enum": list(COMPARE_METRICS)}),
        _query("town", AREA_CODE),
        _query("type", {"enum": list(PROJECT_TYPES)}),
        _query("weak", {"type": "string", "examples": ["100000"]}, "the weak-village threshold in yuan"),
        _query("sort", {"enum": list(SORT_KEYS)}),
        _query("dir", {"enum": ["asc", "desc"]}),
    ],
    "list_plans": [_VILLAGE],
    "list_months": [_query("village", VILLAGE_CODE, "default: the caller's own village")],
    "get_settings": [_query("area", AREA_CODE, "the county of this area (default: the caller's)")],
    "put_settings": [_query("area", AREA_CODE, "the county of this area (default: the caller's)")],
}
HEADERS = {
    "create_entry": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
            "description": (
                "A key of the caller's choosing (a UUID) that makes the POST happen at most once: a repeat "
                "with the same body within 7 days gets the first response (status and body); the same key "
                "with another body is a 422; while the first request is in flight, a repeat is a 409. A "
                "request refused (4xx) leaves the key free. Keys are per user."
            ),
        }
    ],
}
PATH_PARAMETERS = {
    "entry_id": {"type": "integer", "minimum": 1, "maximum": MAX_ENTRY_ID},
    "plan_id": ID,
    "voucher_id": ID,
    "code": VILLAGE_CODE,
    "area_code": AREA_CODE,
    "project_id": ID,
    "org_id": ID,
    "reopening_id": ID,
    "year": {"type": "integer", "minimum": 2000, "maximum": 2100},
    "username": {"type": "string", "minLength": 1, "maxLength": 80},
}
# operationId → (body schema, required); a review step takes an empty JSON object.
BODIES = {
    "create_token": (_ref("TokenRequest"), True),
    "change_password": (_ref("PasswordChangeInput"), True),
    "create_user": (_ref("UserInput"), True),
    "change_user": (_ref("UserChange"), True),
    "reset_user_password": (_object({}), False),
    "create_area": (_ref("AreaInput"), True),
    "change_area": (_ref("AreaChange"), True),
    "create_project": (_ref("ProjectInput"), True),
    "set_project_target": (_ref("ProjectTargetInput"), True),
    "create_cooperative": (_ref("CooperativeInput"), True),
    "create_party_org": (_ref("PartyOrgInput"), True),
    "change_party_org": (_ref("PartyOrgChange"), True),
    "upgrade_party_org": (_ref("UpgradeInput"), True),
    "create_household": (_ref("HouseholdInput"), True),
    "create_entry": (_ref("EntryInput"), True),
    "update_entry": (_ref("EntryInput"), True),
    "unlock_user": (_object({}), False),
    "submit_entry": (_object({}), False),
    "approve_entry": (_object({}), False),
    "return_entry": (_ref("Reason"), True),
    "reverse_entry": (_ref("Reason"), True),
    "draft_plan": (_ref("PlanInput"), True),
    "approve_plan": (_object({}), False),
    "publish_plan": (_object({}), False),
    "reverse_plan": (_ref("Reason"), True),
    "town_return_plan": (_ref("Reason"), True),
    "put_settings": (_ref("SettingsDocument"), True),
    "close_month": (_ref("CloseMonthInput"), True),
    "request_reopening": (_ref("ReopenInput"), True),
    "approve_reopening": (_object({}), False),
    "refuse_reopening": (_ref("Reason"), True),
}


# operationId → its multipart/form-data body (the one upload).
MULTIPART_BODIES = {"attach_voucher": _ref("VoucherUpload")}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _operation(path: str, op_id: str, status: int, ok: dict | None, errors, summary: str) -> dict:
    """One operation: its success response, its errors (all of the one error shape) and its inputs."""
    public = op_id in PUBLIC
    body = {} if ok is None else ok if "content" in ok else _json(ok)
    responses = {str(status): {"description": "OK", **body}}
    for code in sorted({*errors, *(() if public else (401,))}):
        responses[str(code)] = {"$ref": f"#/components/responses/E{code}"}
    params = [
        {"name": name, "in": "path", "required": True, "schema": PATH_PARAMETERS[name]}
        for name in re.findall(r"{(\w+)}", path)
    ]
    op = {
        "operationId": op_id,
        "tags": [path.split("/")[1].removesuffix(".json")],
        "summary": summary,
        "parameters": params + QUERIES.get(op_id, []) + HEADERS.get(op_id, []),
        "responses": responses,
    }
    if op_id in BODIES:
        schema, required = BODIES[op_id]
        op["requestBody"] = {"required": required, **_json(schema)}
    if op_id in MULTIPART_BODIES:
        op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": MULTIPART_BODIES[op_id]}}}
    if public:
        op["security"] = []
    return op


def paths() -> dict:
    """OpenAPI `paths`: every operation of OPERATIONS under its path and method."""
    out: dict[str, dict] = {}
    for method, path, *rest in OPERATIONS:
        out.setdefault(path, {})[method] = _operation(path, *rest)
    return out


def document() -> dict:
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "合作社经济台账 API",
            "version": "1",
            "description": (
                "Money is a decimal string of yuan plus an integer `*_fen` twin, never a float. "
                'Errors are `{"error": {"code", "message", "fields"}}`. POST bodies must be JSON, '
                "except a voucher's upload (multipart/form-data)."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths(),
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "a token from POST /tokens"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session", "description": "the pages' login"},
            },
            "schemas": {**SCHEMAS, "VoucherUpload": VOUCHER_UPLOAD, **request_schemas()},
            "responses": {f"E{code}": {"description": text, **_json(_ref("Error"))} for code, text in ERRORS.items()},
        },
    }


@bp.get("/openapi.json")
def openapi():
    """This API described as OpenAPI 3.1 (public: it holds no data)."""
    return jsonify(document())
