"""The settings page: every rule of the county with its meaning, saved by the county admin.

`GET|POST /settings` (`?area=CODE`: an admin above several counties names one). The form turns
what was typed into the settings document; `save_settings` checks it with `from_document` and
saves it, audited; an error of either shows beside its field, with everything typed kept. A page
saved over by someone else since it was opened (409) keeps what was typed over the version now
stored, so a second save stands (the history below shows what the other person changed).
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from coopapp.access.history import Change, object_history
from coopapp.access.scope import authorize
from coopapp.errors import Conflict, Invalid
from coopapp.settings import for_area
from coopapp.settings.forms import SettingsForm, field_label, page_field, value_text
from coopapp.settings.operations import (
    ACTION,
    changes_by_event,
    save_settings,
    settings_county,
    stored_row,
    version_of,
)
from coopapp.villages import catalog

bp = Blueprint("settings", __name__, url_prefix="/settings")


def _county():
    code = request.args.get("area")
    county = settings_county(current_user, catalog.get_area(code, current_user) if code else None)
    authorize(current_user, ACTION, county)
    return county


def _show_errors(form: SettingsForm, err: Invalid) -> None:
    for name, message in err.fields.items():
        field = form._fields.get(page_field(name))
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)
    if not err.fields:
        form.form_errors.append(err.message)


def _history(row) -> list:
    """The row's audit events, each with what it changed field by field (from the event's extra)."""
    if row is None:
        return []
    history, changed = object_history(row), changes_by_event(row)
    for ev in history:
        ev.changes = [
            Change(name, value_text(name, old), value_text(name, new), field_label(name))
            for name, (old, new) in changed.get(ev.seq, {}).items()
        ]
    return history


@bp.route("", methods=["GET", "POST"])
@login_required
def edit():
    """The county's settings, shown and changed by its admin."""
    county = _county()
    row = stored_row(county)
    if request.method == "POST":
        form = SettingsForm()
    else:
        form = SettingsForm.for_settings(for_area(county), version_of(row))
    status = 422
    if form.validate_on_submit():
        try:
            save_settings(current_user, county, form.to_document(), form.expected_version())
        except Invalid as err:  # shown beside its field, with everything typed kept
            _show_errors(form, err)
            status = err.status
        except Conflict as err:  # a stale page: what was typed stays, over the version now stored
            row = stored_row(county)
            form.version.data = str(version_of(row))
            form.form_errors.append(
                _("设置已被他人修改（见下方变更记录）。下面仍是您填写的内容：核对后再次保存即以此为准。")
            )
            status = err.status
        else:
            flash(_("县级设置已保存。"), "success")
            return redirect(url_for("settings.edit", **({"area": county.code} if request.args.get("area") else {})))
    history = _history(row)
    page = render_template("settings/edit.html", form=form, county=county, history=history)
    return page, status if form.errors or form.form_errors else 200
