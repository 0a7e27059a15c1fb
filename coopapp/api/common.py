"""Request hooks and parsing helpers shared by every API route."""

from decimal import Decimal

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import ValidationError, validate_csrf
from werkzeug.exceptions import UnsupportedMediaType

from coopapp.access import idempotency
from coopapp.access.scope import authorize, can
from coopapp.core import periods
from coopapp.core.forms import api_form
from coopapp.core.limits import MAX_BIG_ID, MAX_ID, MAX_QUANTITY
from coopapp.core.text import has_surrogate, parse_int
from coopapp.errors import BadRequest, Conflict, Invalid, NotFound, PasswordChangeRequired, Unauthorized
from coopapp.ledger.operations import today
from coopapp.models import Area, User
from coopapp.villages import catalog

bp = Blueprint("api", __name__)

# Ids in URLs beyond what their key holds are simply not found (ledger entries have BIGINT keys).
URL_ID_LIMITS = {"entry_id": MAX_BIG_ID}
# Endpoints reachable without logging in.
PUBLIC_ENDPOINTS = frozenset({"api.create_token", "api.openapi"})
# A page's script names the user whose page it is: a request it sends after another user has
# logged in on the same browser (a shared office PC) is refused, not done under their session.
PAGE_USER_HEADER = "X-Coop-User"
# The one POST that takes multipart/form-data (a voucher's file), only from a caller no cross-site
# form can be: one with a Bearer token, or the page's own script sending its CSRF token in a header.
MULTIPART_ENDPOINTS = frozenset({"api.attach_voucher"})
CSRF_HEADERS = ("X-CSRFToken", "X-CSRF-Token")
# What a user holding a one-time password may still do: choose their own, or drop the token.
BEFORE_A_NEW_PASSWORD = PUBLIC_ENDPOINTS | {"api.change_password", "api.revoke_token"}


@bp.before_request
def _require_login_and_json():
    """401 without a session or token; POST bodies must be JSON; ids the keys hold (a NUL in the
    URL is refused for the whole app by web.errors.register_error_handlers).

    The API is CSRF-exempt, so a cross-site HTML form must not be able to post to it
    with the session cookie: such a form can only send form or text content types — and
    multipart, which only MULTIPART_ENDPOINTS take, and only from `_not_cross_site` callers.
    """
    if request.endpoint not in PUBLIC_ENDPOINTS and not current_user.is_authenticated:
        raise Unauthorized(_("请先登录，或在请求头中提供有效的 Bearer 令牌。"))
    page_user = request.headers.get(PAGE_USER_HEADER)
    if page_user is not None and current_user.is_authenticated and page_user != current_user.get_id():
        raise Conflict(_("这个页面属于另一位用户，现在登录的是别人：请刷新页面。"))
    if request.endpoint not in BEFORE_A_NEW_PASSWORD and current_user.must_change_password:
        raise PasswordChangeRequired(_("请先修改一次性密码（POST /api/v1/password），再进行其他操作。"))
    if request.method == "POST" and not request.is_json:
        if request.endpoint not in MULTIPART_ENDPOINTS or request.mimetype != "multipart/form-data":
            raise UnsupportedMediaType(_("请求体必须是 JSON（Content-Type: application/json）。"))
        if not _not_cross_site():
            raise BadRequest(_("上传文件须带 Bearer 令牌，或页面的 CSRF 令牌（X-CSRFToken 请求头）。"))
    for name, value in (request.view_args or {}).items():
        if name.endswith("_id") and isinstance(value, int) and value > URL_ID_LIMITS.get(name, MAX_ID):
            raise NotFound(_("记录不存在：%(n)s", n=value))


def _not_cross_site() -> bool:
    """A Bearer token, or a valid CSRF token in a header: a cross-site form can send neither."""
    if request.headers.get("Authorization", "").startswith("Bearer "):
        return True
    token = next((request.headers[h] for h in CSRF_HEADERS if request.headers.get(h)), None)
    if token is None:
        return False
    try:
        validate_csrf(token)
    except ValidationError:
        return False
    return True


def json_body() -> dict:
    """The request's JSON object ({} for an empty body); 400 if it is not a JSON object.

    Also 400 for what the database or Python cannot take: a NUL character (PostgreSQL text
    cannot hold one) or nesting deeper than any body of this API (Python's parser would recurse).
    """
    if not request.get_data(cache=True).strip():
        return {}
    try:
        payload = request.get_json(silent=True)
    except RecursionError:
        payload = None
    if not isinstance(payload, dict):
        raise BadRequest(_("请求体不是有效的 JSON 对象。"))
    _check_json(payload)
    return payload


MAX_JSON_DEPTH = 8  # the deepest body (a plan's rows) is 3


def _check_json(payload: dict) -> None:
    """BadRequest for a NUL character anywhere in `payload` or nesting beyond MAX_JSON_DEPTH (no recursion)."""
    stack = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadRequest(_("请求体嵌套过深。"))
        if isinstance(value, dict):
            stack.extend((k, depth) for k in value)
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
        elif isinstance(value, str) and "\x00" in value:
            raise BadRequest(_("请求中含有不允许的空字符（NUL）。"))
        elif isinstance(value, str) and has_surrogate(value):  # "\ud800" in JSON: no text can hold it
            raise BadRequest(_("请求中含有无效的字符（单独的 UTF-16 代理项，如 \\ud800）。"))


def valid_form(form_class, payload: dict):
    """The form fed with `payload` and validated; 422 naming every bad field otherwise."""
    form = api_form(form_class, payload)
    valid = form.validate()
    fields = {name: str(messages[0]) for name, messages in form.errors.items() if messages}
    fields.update(_out_of_range(form))
    if not valid or fields:
        raise Invalid(_("请改正标出的字段。"), fields)
    return form


def once_per_key(me: User, payload: dict, create) -> Response:
    """`create()` → (body, status) as a JSON response; with an `Idempotency-Key` header, done at most
    once per key and user: a repeat gets the first response (access/idempotency.py)."""
    key = request.headers.get(idempotency.HEADER)
    if key is None:
        body, status = create()
        return Response(current_app.json.dumps(body), status, mimetype="application/json")
    marker = idempotency.claim(me.id, idempotency.check_key(key), idempotency.body_hash(payload))
    if isinstance(marker, idempotency.Stored):
        stored = marker
    else:

        def work() -> idempotency.Stored:
            body, status = create()
            return idempotency.Stored(status, current_app.json.dumps(body))

        stored = idempotency.run_once(marker, work)
    return Response(stored.body, stored.status, mimetype="application/json")


def is_record_id(name: str) -> bool:
    """Does a body field hold a record's id (`…_id`)? Then it is an integer from 1 to MAX_ID."""
    return name.endswith("_id")


def _out_of_range(form) -> dict[str, str]:
    """Numbers the columns cannot hold: refused here rather than failing in the database."""
    fields = {}
    for field in form:
        data = field.data
        if is_record_id(field.name) and isinstance(data, int) and not 0 < data <= MAX_ID:
            fields[field.name] = _("编号不存在：%(v)s", v=data)
        elif isinstance(data, Decimal) and abs(data) >= MAX_QUANTITY:
            fields[field.name] = _("数值过大。")
    return fields


def user() -> User:
    """The logged-in user (the real object behind Flask-Login's proxy)."""
    return current_user._get_current_object()


def require_role_for(action: str, *or_actions: str) -> User:
    """403 at once when the caller's role may never `action` (nor any of `or_actions`), before the body is read."""
    me = user()
    if not any(can(me, other, me.area) for other in or_actions):
        authorize(me, action, me.area)
    return me


def village_arg(me: User) -> Area | None:
    """The `?village=CODE` filter: None if absent, 404 unknown, 403 outside the scope, 400 not a village."""
    code = request.args.get("village")
    if not code:
        return None
    area = catalog.get_area(code, me)
    if area.level != "village":
        raise BadRequest(_("这不是村级代码：%(c)s", c=code), {"village": _("请填写村的 12 位代码。")})
    return area


def target_village(me: User, payload: dict, action: str) -> Area:
    """The village a POST writes to: body `village` (a code; 422 naming the field if no village
    has it) or the caller's own village."""
    code = payload.get("village")
    try:
        return catalog.get_village(None if code in (None, "") else str(code), me, action)
    except NotFound:
        raise Invalid(_("村代码不对。"), {"village": _("不存在这个村：%(c)s", c=code)}) from None


def int_arg(name: str, default: int, *, low: int = 1, high: int | None = None) -> int:
    """A positive integer query parameter; 400 naming it when malformed or out of range."""
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    value = parse_int(raw)
    if value is None:
        raise BadRequest(_("参数 %(n)s 应为整数（数字 0–9）。", n=name), {name: _("应为整数（数字 0–9）。")})
    if value < low or (high is not None and value > high):
        raise BadRequest(_("参数 %(n)s 超出范围。", n=name), {name: _("超出范围。")})
    return value


def year_arg() -> int:
    """`?year=YYYY`, this year by default."""
    return int_arg("year", today().year, low=2000, high=2100)


def period_arg() -> str | None:
    """`?period=YYYY-MM`, optional."""
    period = request.args.get("period") or None
    problem = None if period is None else periods.period_problem(period)
    if problem is not None:
        raise BadRequest(_("月份不对：%(m)s", m=problem), {"period": problem})
    return period
