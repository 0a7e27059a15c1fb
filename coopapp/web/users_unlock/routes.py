"""`/admin/users/<username>/unlock`: whether failed logins hold the user back, and the button that
forgets them (an admin within their scope)."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from coopapp.access import accounts
from coopapp.access.scope import authorize
from coopapp.web.common import require_action_form

bp = Blueprint("user_unlock", __name__, url_prefix="/admin/users")


def _target(username: str):
    """The user, if the admin may manage users in their area (404 unknown, 403 outside the scope)."""
    user = accounts.user_by_name(username)
    authorize(current_user, "manage_users", user.area)
    return user


@bp.get("/<username>/unlock")
@login_required
def confirm(username: str):
    """The user's login state and the unlock button."""
    user = _target(username)
    return render_template("users/unlock.html", user=user, minutes=accounts.lock_minutes(user.username))


@bp.post("/<username>/unlock")
@login_required
def unlock(username: str):
    """Forget the user's failed logins; back to the page."""
    user = _target(username)
    require_action_form()
    accounts.unlock_user(current_user, user)
    flash(_("已解除 %(u)s 的登录限制。", u=user.username), "success")
    return redirect(url_for("user_unlock.confirm", username=user.username))
