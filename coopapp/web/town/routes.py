"""The town's queue (镇审核): what waits for the town accountant across the town's villages — entries
above a county tier awaiting the town, requests to reopen a closed month (反结账), large distribution
plans — and the town's decisions on the reopening requests. Approving and returning an entry go through
the review routes (`review.approve`, `review.return_entry`), whose predicates know the town's stage."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from coopapp.access.scope import authorize
from coopapp.core.forms import ReasonForm
from coopapp.distributions import consequences
from coopapp.distributions import plans as distributions
from coopapp.errors import Conflict, Invalid
from coopapp.ledger import operations as ledger
from coopapp.ledger import queries, reopening, warnings
from coopapp.ledger.permissions import entry_actions
from coopapp.vouchers.operations import vouchers_of
from coopapp.web.common import back_to, require_action_form

bp = Blueprint("town", __name__, url_prefix="/town")


@bp.before_request
@login_required
def _login_first():
    """Every page of the town's queue needs a logged-in user."""


@bp.get("")
def queue():
    user = current_user._get_current_object()
    authorize(user, "town_review", user.area)
    queue = ledger.review_queue(user, "awaiting_town", limit=300)
    rows = queue.rows
    this_month = ledger.current_period()
    closed = queries.closed_by_village({e.village_id for e in rows})
    actions = {e.id: entry_actions(user, e, this_month, closed.get(e.village_id, ())) for e in rows}
    plans = distributions.awaiting_town(user)
    return render_template(
        "town/queue.html",
        entries=rows,
        waiting=queue.count,
        actions=actions,
        # Entry id → its original vouchers (原始凭证), one query; the template shows their thumbnails.
        vouchers=vouchers_of([e.id for e in rows]),
        warned=warnings.of_entries([e.id for e in rows]),
        reopenings=reopening.pending_for(user),
        plans=plans,
        # 镇审批通过 asks in a dialog with the plan's numbers (the server's page without JavaScript)
        plan_confirms={p.id: consequences.town_approve_consequence(p) for p in plans},
        reason_form=ReasonForm(formdata=None),
    )


@bp.post("/reopenings/<int:reopening_id>/approve")
def approve_reopening(reopening_id: int):
    request_row = reopening.get_reopening(reopening_id, current_user)
    require_action_form()
    try:
        reopening.approve_reopening(current_user, request_row)
    except Conflict as err:
        flash(err.message, "error")
    else:
        flash(_("已同意反结账：%(v)s %(p)s 重新开放。", v=request_row.village.name, p=request_row.period), "success")
    return redirect(back_to(url_for("town.queue")))


@bp.post("/reopenings/<int:reopening_id>/refuse")
def refuse_reopening(reopening_id: int):
    request_row = reopening.get_reopening(reopening_id, current_user)
    form = ReasonForm()
    try:
        if not form.validate_on_submit():
            raise Invalid(_("请填写原因。"), {"reason": _("请填写原因。")})
        reopening.refuse_reopening(current_user, request_row, form.reason.data)
    except (Conflict, Invalid) as err:
        flash(" ".join([err.message, *err.fields.values()]), "error")
    else:
        flash(_("已不同意 %(v)s %(p)s 的反结账申请。", v=request_row.village.name, p=request_row.period), "success")
    return redirect(back_to(url_for("town.queue")))
