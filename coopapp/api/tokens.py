"""Bearer tokens: issue with a username and password, revoke the one in use."""

from flask import jsonify, request
from flask_babel import gettext as _

from coopapp.access import accounts
from coopapp.access.forms import LoginForm
from coopapp.api.common import Throttled, bp, json_body, user, valid_form
from coopapp.api.serializers import jsonable
from coopapp.errors import BadRequest


@bp.post("/tokens")
def create_token():
    """201 {token, expires_at}; 401 for bad credentials, 429 while the name is locked."""
    form = valid_form(LoginForm, json_body())
    minutes = accounts.lock_minutes(form.username.data)
    if minutes:
        raise Throttled(_("登录失败次数过多，请 %(m)s 分钟后再试。", m=minutes))
    account = accounts.authenticate(form.username.data, form.password.data)
    token = accounts.issue_token(account)
    return jsonify(jsonable({"token": token, "expires_at": accounts.token_expires_at(token)})), 201


@bp.delete("/tokens")
def revoke_token():
    """Revoke the bearer token this request was made with → 204."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise BadRequest(_("请求未使用 Bearer 令牌，没有可撤销的令牌。"))
    accounts.revoke_token(user(), header[len("Bearer ") :].strip())
    return "", 204
