"""`POST /api/v1/users/NAME/unlock`: an admin forgets a user's failed logins."""

from flask import jsonify

from coopapp.access import accounts
from coopapp.api.common import bp, json_body, user


@bp.post("/users/<username>/unlock")
def unlock_user(username: str):
    """200 {username, locked: false}; 403 outside the admin's scope, 404 for an unknown name."""
    json_body()  # an empty object, or nothing
    target = accounts.user_by_name(username)
    accounts.unlock_user(user(), target)
    return jsonify({"username": target.username, "locked": False})
