"""The admin's user pages: the list (by area), add, change, deactivate / activate, reset a password,
and a sheet of users uploaded with a preview. One-time passwords are shown once, printable."""

from pathlib import Path

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from coopapp.access import accounts
from coopapp.access import users as people
from coopapp.access.history import object_history
from coopapp.access.scope import authorize
from coopapp.core.vocabulary import ROLES
from coopapp.errors import Invalid
from coopapp.imports import batches
from coopapp.imports.storage import sweep_abandoned
from coopapp.imports.users import import_users
from coopapp.villages import catalog
from coopapp.web.common import require_action_form, show_field_errors
from coopapp.web.form_stash import restore_into
from coopapp.web.imports.forms import KeptUploadForm, UsersUploadForm
from coopapp.web.imports.reading import CHOICE, kept_path, preview_forms, settle_upload, upload_gone
from coopapp.web.users.forms import UserEditForm, UserNewForm

bp = Blueprint("users", __name__, url_prefix="/admin/users")
PREVIEW_ROWS = 2000


@bp.before_request
@login_required
def _admins_only():
    """Every page needs a logged-in admin (403 for anyone else)."""
    authorize(current_user, "manage_users", current_user.area)


def _me():
    return current_user._get_current_object()


@bp.get("")
def user_list():
    """The users in the admin's scope; `?area=CODE` narrows it to one town or village."""
    code = (request.args.get("area") or "").strip()
    under = catalog.get_area(code, _me(), "manage_users") if code else None
    return render_template("users/list.html", rows=people.list_users(_me(), under), area=under, code=code)


def _shown(account) -> dict:
    return {
        "username": account.username,
        "display_name": account.display_name,
        "role": ROLES.label(account.role),
        "area": f"{account.area.code} {account.area.name}",
    }


def _one_time_page(rows: list, created: bool):
    """One-time passwords, shown once on a page that prints and that no cache keeps."""
    response = make_response(render_template("users/one_time.html", users=rows, created=created))
    response.headers["Cache-Control"] = "no-store"
    return response


def _one_time(account, password: str, created: bool):
    return _one_time_page([(_shown(account), password)], created)


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Add one user; the page that follows shows their one-time password once."""
    form = UserNewForm()
    form.fill_roles(_me())
    restore_into(form, current_user.get_id())  # a form kept when the last session ended mid-form
    if form.validate_on_submit():
        data = people.UserInput(
            form.username.data, form.display_name.data, form.role.data, form.area.data, form.phone.data
        )
        try:
            account, password = people.create_user(_me(), data)
        except Invalid as err:
            show_field_errors(form, err)
        else:
            return _one_time(account, password, created=True)
    return render_template("users/form.html", form=form, account=None), 422 if form.errors else 200


@bp.route("/<username>/edit", methods=["GET", "POST"])
def edit(username: str):
    """Change a user's name, role, scope or phone (a role or scope change ends their other access)."""
    account = people.get_user(_me(), username)
    form = UserEditForm(
        data={
            "display_name": account.display_name,
            "role": account.role,
            "area": account.area.code,
            "phone": account.phone,
        }
    )
    form.fill_roles(_me())
    restore_into(form, current_user.get_id())  # a form kept when the last session ended mid-form
    if form.validate_on_submit():
        changes = {name: form[name].data or "" for name in ("display_name", "role", "area", "phone")}
        try:
            people.update_user(_me(), account, changes)
        except Invalid as err:
            show_field_errors(form, err)
        else:
            flash(_("已保存：%(u)s。", u=account.username), "success")
            return redirect(url_for("users.user_list"))
    history = object_history(account)
    page = render_template("users/form.html", form=form, account=account, history=history)
    return page, 422 if form.errors else 200


def _switch(username: str, active: bool):
    require_action_form()
    account = people.get_user(_me(), username)
    try:
        people.update_user(_me(), account, {"active": active})
    except Invalid as err:
        flash(err.message, "error")
    else:
        done = _("已启用：%(u)s。", u=account.username) if active else _("已停用：%(u)s。", u=account.username)
        flash(done, "success")
    return redirect(url_for("users.edit", username=account.username))


@bp.post("/<username>/deactivate")
def deactivate(username: str):
    """Stop the user logging in; what they recorded stays."""
    return _switch(username, False)


@bp.post("/<username>/activate")
def activate(username: str):
    """Let a deactivated user log in again."""
    return _switch(username, True)


@bp.post("/<username>/reset-password")
def reset_password(username: str):
    """A new one-time password, shown once."""
    require_action_form()
    account = people.get_user(_me(), username)
    try:
        password = people.reset_password(_me(), account)
    except Invalid as err:
        flash(err.message, "error")
        return redirect(url_for("users.edit", username=account.username))
    return _one_time(account, password, created=False)


@bp.route("/import", methods=["GET", "POST"])
def upload():
    """批量添加用户: upload a sheet, preview every row, then confirm."""
    form = UsersUploadForm()
    if not form.validate_on_submit():
        return render_template("users/import.html", form=form), 422 if form.is_submitted() else 200
    sweep_abandoned()
    file_name = Path(form.file.data.filename or "upload").name
    sha, path = batches.keep_upload(form.file.data.stream, file_name)
    report = import_users(_me(), path, file_name, dry_run=True, preview_limit=PREVIEW_ROWS)
    return _preview(report, sha, path, file_name)


def _preview(report, sha: str, path: Path, file_name: str):
    """The preview of a dry run, keeping the upload while it may be confirmed or read again."""
    settle_upload(report, path)
    fields = {"sha": sha, "suffix": path.suffix, "file_name": file_name}
    forms = preview_forms(report, KeptUploadForm, "users.reread_upload", **fields)
    return render_template("users/import_preview.html", report=report, **forms), 200 if report.ok else 422


@bp.post("/import/reread")
def reread_upload():
    """Read the kept user list again with the choice pressed on its preview."""
    form = KeptUploadForm(prefix=CHOICE)
    path = kept_path(form)
    if path is None:
        return upload_gone("users.upload")
    options = form.read_options()
    report = import_users(_me(), path, form.file_name.data, dry_run=True, preview_limit=PREVIEW_ROWS, options=options)
    return _preview(report, form.sha.data, path, form.file_name.data)


@bp.post("/import/confirm")
def confirm_upload():
    """Create the previewed users (all or none) and show their one-time passwords once."""
    form = KeptUploadForm()
    path = kept_path(form)
    if path is None:
        return upload_gone("users.upload")
    options = form.read_options()
    report = import_users(_me(), path, form.file_name.data, preview_limit=PREVIEW_ROWS, options=options)
    if not report.ok:
        return _preview(report, form.sha.data, path, form.file_name.data)
    path.unlink(missing_ok=True)
    created = {u.username: u for u in people.users_named([row["username"] for row in report.users])}
    rows = [(_shown(created[row["username"]]), row["one_time_password"]) for row in report.users]
    return _one_time_page(rows, created=True)


def _unlock_target(username: str):
    """The user to unlock: 404 when unknown, 403 outside the admin's scope (as `accounts.unlock_user`)."""
    user = accounts.user_by_name(username)
    authorize(current_user, "manage_users", user.area)
    return user


@bp.get("/<username>/unlock")
def unlock_confirm(username: str):
    """Whether failed logins hold the user back, and the button that forgets them."""
    user = _unlock_target(username)
    return render_template("users/unlock.html", user=user, minutes=accounts.lock_minutes(user.username))


@bp.post("/<username>/unlock")
def unlock(username: str):
    """Forget the user's failed logins; back to the page."""
    user = _unlock_target(username)
    require_action_form()
    accounts.unlock_user(current_user, user)
    flash(_("已解除 %(u)s 的登录限制。", u=user.username), "success")
    return redirect(url_for("users.unlock_confirm", username=user.username))
