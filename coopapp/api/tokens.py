"""Bearer tokens: issue with a username and password, revoke the one in use."""

from flask import jsonify, request
from flask_babel import gettext as _

from coopapp.access import accounts, throttle
from coopapp.access.forms import LoginForm
from coopapp.api.common import bp, json_body, user, valid_form
from coopapp.api.serializers import jsonable
from coopapp.errors import BadRequest


@bp.post("/tokens")
def create_token():
    """201 {token, expires_at}; 401 for bad credentials, 429 (with Retry-After) while failed logins
    hold this name or client back. Sets the device cookie, as the login page does."""
    form = valid_form(LoginForm, json_body())
    account = accounts.authenticate(form.username.data, form.password.data)
    token = accounts.issue_token(account)
    response = jsonify(jsonable({"token": token, "expires_at": accounts.token_expires_at(token)}))
    return throttle.remember_device(response, account), 201


@bp.delete("/tokens")
def revoke_token():
    """Revoke the bearer token this request was made with → 204."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise BadRequest(_("请求未使用 Bearer 令牌，没有可撤销的令牌。"))
    accounts.revoke_token(user(), header[len("Bearer ") :].strip())
    return "", 204
