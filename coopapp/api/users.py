"""User administration (admins, inside their scope) and changing one's own password."""

from flask import jsonify, request
from flask_babel import gettext as _

from coopapp.access import accounts
from coopapp.access import users as people
from coopapp.access.forms import PasswordChangeForm, UserChangeForm, UserForm
from coopapp.api.common import bp, json_body, require_role_for, user, valid_form
from coopapp.core.vocabulary import ROLES
from coopapp.errors import Invalid
from coopapp.models import User
from coopapp.villages import catalog


def user_json(account: User) -> dict:
    """A user as the API answers it."""
    return {
        "username": account.username,
        "display_name": account.display_name or "",
        "role": account.role,
        "role_label": ROLES.label(account.role),
        "area": account.area.code,
        "phone": account.phone or "",
        "active": bool(account.active),
        "must_change_password": bool(account.must_change_password),
    }


TEXT_FIELDS = ("username", "display_name", "role", "area", "phone")


def _checked(payload: dict, form_class):
    """The form validated; 422 naming each field that is given but is not text."""
    wrong = {k: _("须为文本。") for k in TEXT_FIELDS if k in payload and not isinstance(payload[k], str | None)}
    if wrong:
        raise Invalid(_("请改正标出的字段。"), wrong)
    return valid_form(form_class, {k: v for k, v in payload.items() if k != "active"})


@bp.get("/users")
def list_users():
    """The users in the admin's scope (`?area=CODE`: under that area only)."""
    me = require_role_for("manage_users")
    under = catalog.get_area(request.args.get("area"), me, "manage_users") if request.args.get("area") else None
    return jsonify([row.as_dict() for row in people.list_users(me, under)])


@bp.post("/users")
def create_user():
    """{username, display_name?, role, area, phone?} → 201 the user and its `one_time_password`."""
    me = require_role_for("manage_users")
    form = _checked(json_body(), UserForm)
    data = people.UserInput(form.username.data, form.display_name.data, form.role.data, form.area.data, form.phone.data)
    account, one_time = people.create_user(me, data)
    return jsonify({**user_json(account), "one_time_password": one_time}), 201


@bp.patch("/users/<username>")
def change_user(username: str):
    """{display_name?, role?, area?, phone?, active?}: only the fields given change."""
    me = require_role_for("manage_users")
    payload = json_body()
    _checked(payload, UserChangeForm)
    account = people.get_user(me, username)
    people.update_user(me, account, payload)
    return jsonify(user_json(account))


@bp.post("/users/<username>/reset-password")
def reset_user_password(username: str):
    """A new one-time password for the user (shown once): {one_time_password}."""
    me = require_role_for("manage_users")
    account = people.get_user(me, username)
    return jsonify({"username": account.username, "one_time_password": people.reset_password(me, account)})


@bp.post("/password")
def change_password():
    """The caller replaces their own password {current_password, new_password}; every token of
    theirs is revoked (this one too): ask POST /tokens for a new one."""
    form = valid_form(PasswordChangeForm, json_body())
    accounts.change_password(user(), form.current_password.data, form.new_password.data)
    return jsonify({"changed": True, "tokens_revoked": True})
