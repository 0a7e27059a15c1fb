"""A household's page (facts, shares, payout totals) and its printable yearly statement."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from coopapp.access.scope import can
from coopapp.errors import Invalid
from coopapp.ledger.operations import today
from coopapp.villages import catalog, statements
from coopapp.villages.consequences import reissue_consequence
from coopapp.web.common import (
    household_name,
    require_action_form,
    require_confirmation,
    show_field_errors,
    year_arg,
    year_choices,
)
from coopapp.web.display import public_url as display_url
from coopapp.web.display import qr_svg
from coopapp.web.village import bp
from coopapp.web.village.forms import SharesForm, fill_shares_choices
from coopapp.web.village.routes import household_rows


def _household_page(household, shares_form: SharesForm | None, status: int = 200):
    village = household.village
    this_year = today().year
    can_manage = can(current_user, "manage_village", village)
    if shares_form is None and can_manage:
        shares_form = fill_shares_choices(SharesForm(formdata=None, since=today()), catalog.cooperatives_of(village))
    return render_template(
        "village/household.html",
        village=village,
        household=household_rows(village, [household])[0],
        holdings=catalog.memberships_of(household),
        totals=statements.payout_totals(household, [this_year, this_year - 1]),
        this_year=this_year,
        last_year=this_year - 1,
        can_manage=can_manage,
        shares_form=shares_form if can_manage else None,
    ), status


@bp.get("/households/<int:household_id>")
def household(household_id: int):
    return _household_page(catalog.get_household(household_id, current_user, "view"), None)


@bp.post("/households/<int:household_id>/shares")
def change_shares(household_id: int):
    household = catalog.get_household(household_id, current_user, "manage_village")
    form = fill_shares_choices(SharesForm(), catalog.cooperatives_of(household.village))
    if form.validate_on_submit():
        try:
            catalog.set_shares(current_user, household, form.cooperative_id.data, form.shares.data, form.since.data)
        except Invalid as err:
            show_field_errors(form, err)
        else:
            flash(_("已记录股份变更。"), "success")
            return redirect(url_for("village.household", household_id=household.id))
    return _household_page(household, form, status=422)


@bp.get("/households/<int:household_id>/statement")
def statement(household_id: int):
    household = catalog.get_household(household_id, current_user, "view")
    year = year_arg()
    # The QR code is the household's key to its public page: only the village's own staff print it.
    public_url = None
    can_reissue = can(current_user, "manage_village", household.village)
    if can(current_user, "view_private", household.village):
        public_url = display_url("public.statement", token=household.public_token, year=year)
    return render_template(
        "village/statement.html",
        village=household.village,
        household=household,
        head_name=household_name(household, household.village),
        group_name=household.group.name if household.group else "",
        statement=statements.household_statement(household, year),
        years=year_choices(),
        public_url=public_url,
        qr=qr_svg(public_url) if public_url else None,
        can_reissue=can_reissue,
        reissue_confirm=reissue_consequence(household, household_name(household, household.village))
        if can_reissue
        else "",
        printed_on=today().isoformat(),
    )


@bp.post("/households/<int:household_id>/public-link")
def reissue_public_link(household_id: int):
    """A new QR code for the household's public page; the old one stops working."""
    household = catalog.get_household(household_id, current_user, "manage_village")
    require_action_form()
    back = url_for("village.statement", household_id=household.id, year=year_arg())
    name = household_name(household, household.village)
    require_confirmation(_("换新二维码"), reissue_consequence(household, name), back)
    catalog.reissue_public_link(current_user, household)
    flash(_("已换新二维码：旧二维码和旧链接已失效。请重新打印收益明细交给农户。"), "success")
    return redirect(url_for("village.statement", household_id=household.id, year=year_arg()))
