"""The admin's cooperative and party-organisation pages: lists under the admin's scope, add,
edit a cooperative, record a party organisation's upgrade."""

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import StringField
from wtforms.validators import Length, Optional

from coopapp.access.history import object_history
from coopapp.access.scope import authorize
from coopapp.core.vocabulary import PARTY_ORG_KINDS
from coopapp.errors import Invalid
from coopapp.villages import cooperatives, party_orgs
from coopapp.villages.forms import CooperativeForm
from coopapp.villages.party_org_forms import PartyOrgChangeForm, PartyOrgForm, UpgradeForm
from coopapp.web.common import show_field_errors
from coopapp.web.form_stash import restore_into

bp = Blueprint("orgs", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _admins_only():
    """Every page needs a logged-in admin (403 for anyone else)."""
    authorize(current_user, "manage_orgs", current_user.area)


def _form(data: dict | None = None) -> CooperativeForm:
    form = CooperativeForm(data=data)
    form.party_org_id.choices = [("", "—")] + [(o.id, _org_label(o)) for o in party_orgs.party_orgs_for(current_user)]
    return form


def _org_label(org) -> str:
    """An organisation as a choice: its village (and group: 社前村民小组 is in many villages) and its name."""
    area = org.area
    where = f"{area.parent.name} {area.name}" if area.level == "group" and area.parent is not None else area.name
    return f"{where} · {org.name}"


@bp.get("/cooperatives")
def cooperatives_list():
    """Every cooperative under the admin's scope."""
    return render_template("orgs/cooperatives.html", cooperatives=cooperatives.cooperatives_for(current_user))


def _save(form, save, template_args: dict):
    restore_into(form, current_user.get_id())  # a form kept when the last session ended mid-form
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
    args = {"coop": coop, "history": object_history(coop)}
    return _save(form, lambda data: cooperatives.update_cooperative(current_user, coop, data), args)


class GroupCodes:
    """A page form's field for a joint branch's groups: codes separated by commas or spaces."""

    groups = StringField(
        _l("覆盖的村民小组（联合党支部，名称或代码，以逗号分隔）"), validators=[Optional(), Length(max=1000)]
    )

    def group_codes(self) -> list[str]:
        """The codes written in `groups`."""
        return [code for code in re.split(r"[\s,，、;；]+", self.groups.data or "") if code]


class PartyOrgPageForm(GroupCodes, PartyOrgForm):
    """The page's form for a new organisation."""


class PartyOrgEditPageForm(GroupCodes, PartyOrgChangeForm):
    """The page's form for a correction: name, village or group, a joint branch's groups."""


@bp.get("/party-orgs")
def party_orgs_list():
    """Every party organisation under the admin's scope, with its kind and history."""
    kinds = {term.code: term.label for term in PARTY_ORG_KINDS.terms}
    rows = [
        {
            "org": o,
            "kind": kinds.get(o.kind, o.kind),
            "groups": "、".join(g.name for g in o.groups),
            "history": [(u.upgraded_on, kinds.get(u.to_kind, u.to_kind)) for u in o.upgrades],
        }
        for o in party_orgs.party_orgs_for(current_user)
    ]
    return render_template("orgs/party_orgs.html", rows=rows)


@bp.route("/party-orgs/new", methods=["GET", "POST"])
def new_party_org():
    """Register a party organisation of a village or group."""
    form = PartyOrgPageForm()
    if form.validate_on_submit():
        try:
            org = party_orgs.create_party_org(current_user, form.to_input(form.group_codes()))
        except Invalid as err:
            show_field_errors(form, err)
        else:
            flash(_("已保存：%(n)s。", n=org.name), "success")
            return redirect(url_for("orgs.party_orgs_list"))
    return render_template("orgs/party_org_form.html", form=form), 422 if form.errors else 200


@bp.route("/party-orgs/<int:org_id>/edit", methods=["GET", "POST"])
def edit_party_org(org_id: int):
    """Correct an organisation's name, its village or group, a joint branch's groups."""
    org = party_orgs.get_party_org(org_id, current_user, "manage_orgs")
    joint = org.kind == "joint_branch"
    data = {"name": org.name, "area": org.area.code, "groups": ", ".join(g.code for g in org.groups)}
    form = PartyOrgEditPageForm(data=None if request.method == "POST" else data)
    if form.validate_on_submit():
        try:
            party_orgs.update_party_org(
                current_user,
                org,
                form.name.data or "",
                form.area.data or "",
                form.group_codes() if joint else None,
            )
        except Invalid as err:
            show_field_errors(form, err)
        else:
            flash(_("已保存：%(n)s。", n=org.name), "success")
            return redirect(url_for("orgs.party_orgs_list"))
    args = {"form": form, "org": org, "joint": joint, "history": object_history(org)}
    return render_template("orgs/party_org_edit.html", **args), 422 if form.errors else 200


@bp.route("/party-orgs/<int:org_id>/upgrade", methods=["GET", "POST"])
def upgrade_party_org(org_id: int):
    """Record that the organisation became another kind on a date."""
    org = party_orgs.get_party_org(org_id, current_user, "manage_orgs")
    form = UpgradeForm()
    if form.validate_on_submit():
        try:
            party_orgs.upgrade_party_org(current_user, org, form.kind.data, form.date.data)
        except Invalid as err:
            show_field_errors(form, err)
        else:
            flash(_("已保存：%(n)s。", n=org.name), "success")
            return redirect(url_for("orgs.party_orgs_list"))
    history = object_history(org)
    return render_template("orgs/upgrade_form.html", form=form, org=org, history=history), 422 if form.errors else 200
