"""The secretary's review queue, approve / return (the town accountant's too), month closing and 反结账 requests."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from coopapp.core.forms import ReasonForm
from coopapp.core.vocabulary import WARNING_RULES
from coopapp.errors import Conflict, Invalid
from coopapp.extensions import db
from coopapp.imports import batches
from coopapp.ledger import operations as ledger
from coopapp.ledger import reopening, warnings
from coopapp.ledger.consequences import close_month_consequence
from coopapp.ledger.forms import CloseMonthForm
from coopapp.ledger.permissions import close_month_refusal, entry_actions, first_open_month
from coopapp.villages import catalog
from coopapp.vouchers.operations import vouchers_of
from coopapp.web.common import back_to, household_name, require_action_form, require_confirmation, show_field_errors
from coopapp.web.display import local_time
from coopapp.web.ledger.routes import render_entry

bp = Blueprint("review", __name__)
WARNINGS_SHOWN = 500


@bp.before_request
@login_required
def _login_first():
    """Every review page needs a logged-in user."""


@bp.get("/review")
def queue():
    village = catalog.get_village(None, current_user, "review_entry")
    queue = ledger.review_queue(current_user, "submitted", village=village)
    rows = queue.rows
    names = {e.id: household_name(e.household, village) for e in rows}
    this_month, closed = ledger.current_period(), set(ledger.closed_periods(village))
    user = current_user._get_current_object()  # asked six times a row: not through the proxy
    actions = {e.id: entry_actions(user, e, this_month, closed) for e in rows}
    return render_template(
        "review/queue.html",
        village=village,
        entries=rows,
        waiting=queue.count,
        names=names,
        actions=actions,
        vouchers=vouchers_of([e.id for e in rows]),
        warned=warnings.of_entries([e.id for e in rows]),
        batches=batches.batches_to_review(village),
        reason_form=ReasonForm(formdata=None),
    )


@bp.post("/entries/<int:entry_id>/approve")
def approve(entry_id: int):
    # The secretary, or the town accountant for an entry awaiting the town: `approve_refusal` decides.
    entry = ledger.get_entry(entry_id, current_user)
    require_action_form()
    by_town = entry.status == "awaiting_town"
    ledger.approve_entry(current_user, entry)
    if entry.status == "awaiting_town":
        flash(_("已审核 #%(id)s：金额达到县定审批标准，待镇审核后计入汇总。", id=entry.id), "success")
    else:
        flash(_("已审核通过 #%(id)s。", id=entry.id), "success")
    return redirect(back_to(url_for("town.queue" if by_town else "review.queue")))


@bp.post("/entries/<int:entry_id>/return")
def return_entry(entry_id: int):
    entry = ledger.get_entry(entry_id, current_user)
    form = ReasonForm()
    by_town = entry.status == "awaiting_town"
    if form.validate_on_submit():
        try:
            ledger.return_entry(current_user, entry, form.reason.data)
        except Invalid as err:
            show_field_errors(form, err)
        else:
            flash(_("已退回 #%(id)s。", id=entry.id), "success")
            return redirect(back_to(url_for("town.queue" if by_town else "review.queue")))
    return render_entry(entry, form, "return", status=422)


@bp.route("/months", methods=["GET", "POST"])
def months():
    village = catalog.get_village(None, current_user, "close_month")
    this_month = ledger.current_period()
    first = first_open_month(village.id, this_month)  # months close in order: this one before any later
    form = CloseMonthForm(period=first or this_month)
    if form.validate_on_submit():
        period = form.period.data.strip()
        refusal = close_month_refusal(current_user, village, period, this_month)
        if refusal is None:
            require_confirmation(
                _("结账 %(p)s", p=period), close_month_consequence(village, period), url_for("review.months")
            )
        try:
            ledger.close_month(current_user, village, period)
        except Invalid as err:
            show_field_errors(form, err)
        except Conflict as err:  # entries of the month still pending, an earlier month open
            flash(err.message, "error")
            return redirect(url_for("review.months"))
        else:
            flash(_("%(p)s 已结账。", p=period), "success")
            return redirect(url_for("review.months"))
    return _months_page(village, form, first, 422 if form.is_submitted() else 200)


def _months_page(village, form, first, status=200, reopen_form=None):
    closed = ledger.closed_periods(village)
    latest = closed[0] if closed else None
    return render_template(
        "review/months.html",
        village=village,
        form=form,
        closed=closed,
        first=first,
        latest=latest,
        can_reopen=latest is not None and reopening.request_refusal(current_user, village, latest) is None,
        reopen_form=reopen_form or ReasonForm(formdata=None),
        reopenings=reopening.history(village),
        local_time=local_time,
    ), status


@bp.post("/months/reopen")
def reopen_month():
    """The secretary asks the town to reopen the latest closed month (反结账), with a reason."""
    village = catalog.get_village(None, current_user, "close_month")
    latest = reopening.latest_closed(village.id)
    form = ReasonForm()
    try:
        if not form.validate_on_submit():
            raise Invalid(_("请填写原因。"), {"reason": _("请填写反结账的原因。")})
        reopening.request_reopening(current_user, village, latest or "", form.reason.data)
    except Invalid as err:
        show_field_errors(form, err)
        first = first_open_month(village.id, ledger.current_period())
        return _months_page(village, CloseMonthForm(period=first or ledger.current_period()), first, 422, form)
    except Conflict as err:
        flash(err.message, "error")
    else:
        flash(_("已提交 %(p)s 的反结账申请，待镇审批。", p=latest), "success")
    return redirect(url_for("review.months"))


@bp.get("/warnings")
def warning_list():
    """The warnings (预警) on the entries under an area (`?area=CODE`, default the user's own), newest first."""
    area = catalog.get_area(request.args.get("area") or None, current_user)
    rule = request.args.get("rule") or None
    if rule not in WARNING_RULES:
        rule = None
    rows = db.session.execute(warnings.warnings_query(current_user, area, rule=rule).limit(WARNINGS_SHOWN)).all()
    shown = [(w, e, v, warnings.message(w)) for w, e, v in rows]
    return render_template("review/warnings.html", area=area, rule=rule, rows=shown, limit=WARNINGS_SHOWN)
