"""The admin's cooperative pages: the list under the admin's scope, add, edit."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from coopapp.access.scope import authorize
from coopapp.errors import Invalid
from coopapp.villages import cooperatives, party_orgs
from coopapp.villages.forms import CooperativeForm
from coopapp.web.common import show_field_errors

bp = Blueprint("orgs", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _admins_only():
    """Every page needs a logged-in admin (403 for anyone else)."""
    authorize(current_user, "manage_orgs", current_user.area)


def _form(data: dict | None = None) -> CooperativeForm:
    form = CooperativeForm(data=data)
    form.party_org_id.choices = [("", "—")] + [
        (o.id, f"{o.area.name} · {o.name}") for o in party_orgs.party_orgs_for(current_user)
    ]
    return form


@bp.get("/cooperatives")
def cooperatives_list():
    """Every cooperative under the admin's scope."""
    return render_template("orgs/cooperatives.html", cooperatives=cooperatives.cooperatives_for(current_user))


def _save(form, save, template_args: dict):
    if form.validate_on_submit():
        try:
            coop = save(form.to_input())
        except Invalid as err:
            show_field_errors(form, err)
        else:
            flash(_("已保存：%(n)s。", n=coop.name), "success")
            return redirect(url_for("orgs.cooperatives_list"))
    page = render_template("orgs/cooperative_form.html", form=form, **template_args)
    return page, 422 if form.errors else 200


@bp.route("/cooperatives/new", methods=["GET", "POST"])
def new_cooperative():
    """Register a cooperative."""
    return _save(_form(), lambda data: cooperatives.create_cooperative(current_user, data), {"coop": None})


@bp.route("/cooperatives/<int:coop_id>/edit", methods=["GET", "POST"])
def edit_cooperative(coop_id: int):
    """Correct a cooperative's name, credit code, village or leading party organisation."""
    coop = cooperatives.get_cooperative(coop_id, current_user, "manage_orgs")
    data = {"name": coop.name, "credit_code": coop.credit_code, "village": coop.village.code}
    form = _form(None if request.method == "POST" else {**data, "party_org_id": coop.party_org_id})
    return _save(form, lambda data: cooperatives.update_cooperative(current_user, coop, data), {"coop": coop})
