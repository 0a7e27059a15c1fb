"""Distribution plan pages: the list, the new-plan form, the preview and its actions."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from coopapp.access.scope import can, home_village
from coopapp.core.forms import ReasonForm
from coopapp.distributions import consequences, permissions
from coopapp.distributions import plans as distributions
from coopapp.distributions.permissions import plan_actions
from coopapp.distributions.rows import plan_list_rows, plan_view
from coopapp.errors import Conflict, Invalid
from coopapp.ledger import operations as ledger
from coopapp.models import Area, Distribution
from coopapp.villages import catalog
from coopapp.villages.privacy import page_privacy
from coopapp.web.common import (
    back_to,
    household_name,
    require_action_form,
    require_confirmation,
    save_form,
    show_field_errors,
)
from coopapp.web.display import local_time
from coopapp.web.distributions.forms import DistributionPageForm, initial_data

bp = Blueprint("distributions", __name__, url_prefix="/distributions")


@bp.before_request
@login_required
def _login_first():
    """Every plan page needs a logged-in user."""


def _village() -> Area | None:
    """`?village=CODE` (checked for 'view'), else the user's own village; None: everything in scope."""
    code = request.args.get("village")
    return catalog.get_village(code, current_user) if code else home_village(current_user)


@bp.get("")
def plans():
    village = _village()
    rows = plan_list_rows(distributions.plans_for(current_user, village))
    can_draft = village is not None and can(current_user, "distribute", village)
    return render_template("distributions/list.html", village=village, plans=rows, can_draft=can_draft)


def _render_form(form: DistributionPageForm, village: Area, households, status: int = 200):
    names = {h.id: household_name(h, village) for h in households}
    return render_template("distributions/form.html", form=form, village=village, names=names), status


@bp.route("/new", methods=["GET", "POST"])
def new_plan():
    village = catalog.get_village(None, current_user, "distribute")
    households = catalog.households_for(current_user, village)
    data = None if request.method == "POST" else initial_data(households, ledger.current_period())
    form = DistributionPageForm(data=data).fill_choices(catalog.projects_for(current_user, village))

    def draft():
        data = form.to_input()
        distributions.check_welfare_jobs(current_user, data, current_app.config.get("WELFARE_JOBS_MIN_BP"))
        return distributions.draft_plan(current_user, data)

    return save_form(
        form,
        draft,
        lambda status: _render_form(form, village, households, status),
        _("已生成分配预览（草稿），请核对每户金额后审批。"),
        lambda plan: url_for("distributions.plan", plan_id=plan.id),
    )


def render_plan(plan: Distribution, reason_form: ReasonForm | None = None, status: int = 200):
    """The preview: pool, deductions in order, the rest, every household's line and the total."""
    view = plan_view(plan, page_privacy(current_user, plan.village))
    actions = plan_actions(current_user, plan)
    sentences = {
        "approve": consequences.approve_consequence,
        "delete": consequences.delete_consequence,
        "publish": consequences.publish_consequence,
        "reverse": consequences.reverse_consequence,
    }
    return render_template(
        "distributions/plan.html",
        plan=view,
        notice_ends=local_time(view["notice_ends"]),
        actions=actions,
        awaits_town=permissions.awaits_town(plan),
        confirms={action: say(plan) for action, say in sentences.items() if actions[action]},
        reason_form=reason_form or ReasonForm(formdata=None),
    ), status


@bp.get("/<int:plan_id>")
def plan(plan_id: int):
    return render_plan(distributions.get_plan(plan_id, current_user))


def _act(plan_id: int, operation, done: str, confirm: tuple | None = None):
    """A one-button action on a plan: a refusal is flashed on the plan's page. `confirm`: (its
    predicate, its heading, its consequence) — an action that cannot be undone asks first, once
    the predicate allows it."""
    plan = distributions.get_plan(plan_id, current_user, "distribute")
    require_action_form()
    if confirm is not None:
        refusal, heading, consequence = confirm
        if refusal(current_user, plan) is None:
            require_confirmation(heading, consequence(plan), url_for("distributions.plan", plan_id=plan_id))
    try:
        operation(current_user, plan)
    except (Conflict, Invalid) as err:
        flash(" ".join([err.message, *err.fields.values()]), "error")
    else:
        flash(done, "success")
    return redirect(url_for("distributions.plan", plan_id=plan_id))


@bp.post("/<int:plan_id>/approve")
def approve(plan_id: int):
    confirm = (permissions.approve_refusal, _("审批方案 #%(id)s", id=plan_id), consequences.approve_consequence)
    return _act(plan_id, distributions.approve_plan, _("方案已审批，不能再修改。"), confirm)


@bp.post("/<int:plan_id>/town-approve")
def town_approve(plan_id: int):
    """The town accountant's approval of a large plan (`permissions.town_approve_refusal`)."""
    plan = distributions.get_plan(plan_id, current_user)
    require_action_form()
    if permissions.town_approve_refusal(current_user, plan) is None:
        back = back_to(url_for("distributions.plan", plan_id=plan_id))
        require_confirmation(_("镇审批通过方案 #%(id)s", id=plan_id), consequences.town_approve_consequence(plan), back)
    try:
        distributions.town_approve_plan(current_user, plan)
    except (Conflict, Invalid) as err:
        flash(" ".join([err.message, *err.fields.values()]), "error")
    else:
        flash(_("镇已审批方案 #%(id)s，村书记可以公布。", id=plan_id), "success")
    return redirect(back_to(url_for("distributions.plan", plan_id=plan_id)))


@bp.post("/<int:plan_id>/town-return")
def town_return(plan_id: int):
    """The town accountant sends a large plan back to the secretary, with a reason
    (`permissions.town_return_refusal`): a draft again."""
    plan = distributions.get_plan(plan_id, current_user)
    form = ReasonForm()
    try:
        if not form.validate_on_submit():
            raise Invalid(_("请填写退回原因。"), {"reason": _("请填写退回原因。")})
        distributions.town_return_plan(current_user, plan, form.reason.data)
    except (Conflict, Invalid) as err:
        flash(" ".join([err.message, *err.fields.values()]), "error")
    else:
        flash(_("已退回方案 #%(id)s：村书记可以删除后重新预览，或重新审批。", id=plan_id), "success")
    return redirect(back_to(url_for("distributions.plan", plan_id=plan_id)))


@bp.post("/<int:plan_id>/publish")
def publish(plan_id: int):
    confirm = (permissions.publish_refusal, _("公布方案 #%(id)s", id=plan_id), consequences.publish_consequence)
    return _act(plan_id, distributions.publish_plan, _("方案已公布，每户的分红已记入台账。"), confirm)


@bp.post("/<int:plan_id>/delete")
def delete(plan_id: int):
    plan = distributions.get_plan(plan_id, current_user, "distribute")
    require_action_form()
    if permissions.discard_refusal(current_user, plan) is None:  # asks first: a deleted plan is gone
        back = url_for("distributions.plan", plan_id=plan_id)
        require_confirmation(_("删除方案 #%(id)s", id=plan_id), consequences.delete_consequence(plan), back)
    try:
        distributions.discard_plan(current_user, plan)
    except Conflict as err:
        flash(err.message, "error")
        return redirect(url_for("distributions.plan", plan_id=plan_id))
    flash(_("草稿已删除。"), "success")
    return redirect(url_for("distributions.plans"))


@bp.post("/<int:plan_id>/reverse")
def reverse(plan_id: int):
    plan = distributions.get_plan(plan_id, current_user, "distribute")
    form = ReasonForm()
    if form.validate_on_submit():
        if permissions.reverse_refusal(current_user, plan) is None:
            heading = _("整体冲销方案 #%(id)s", id=plan.id)
            back = url_for("distributions.plan", plan_id=plan_id)
            require_confirmation(heading, consequences.reverse_consequence(plan), back)
        try:
            distributions.reverse_plan(current_user, plan, form.reason.data)
        except Conflict as err:
            flash(err.message, "error")
            return redirect(url_for("distributions.plan", plan_id=plan_id))
        except Invalid as err:
            show_field_errors(form, err)
        else:
            flash(_("方案已整体冲销，台账中已记入相反的记录。"), "success")
            return redirect(url_for("distributions.plan", plan_id=plan_id))
    return render_plan(plan, form, 422)
