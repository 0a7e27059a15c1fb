"""The secretary's queue of objections (异议) raised from households' public pages."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from coopapp.access.scope import can
from coopapp.core.vocabulary import OBJECTION_STATUSES
from coopapp.distributions import objections
from coopapp.errors import Invalid
from coopapp.villages import catalog
from coopapp.web.common import household_name
from coopapp.web.display import local_time
from coopapp.web.village import bp
from coopapp.web.village.forms import ObjectionAnswerForm


def _rows(village, items) -> list[dict]:
    amounts = objections.amounts_for(items)
    return [
        {
            "id": o.id,
            "household_id": o.household_id,
            "household": household_name(o.household, village),
            "plan_id": o.distribution_id,
            "plan": f"{o.distribution.project.name} · {o.distribution.period}",
            "amount_fen": amounts.get(o.id),
            "text": o.text,
            "created": local_time(o.created_at),
            "status": o.status,
            "status_label": OBJECTION_STATUSES.label(o.status),
            "answer": o.answer or "",
            "correction_entry_id": o.correction_entry_id,
            "answered": local_time(o.answered_at),
        }
        for o in items
    ]


@bp.get("/objections")
def objections_queue():
    return _queue_page()


def _queue_page(kept: dict | None = None, status: int = 200):
    """The queue; `kept`: an answer refused, as typed (objection id → its form's fields), shown again."""
    village = catalog.get_village(None, current_user)
    rows = _rows(village, objections.objections_for(current_user, village))
    return render_template(
        "village/objections.html",
        village=village,
        open_rows=[r for r in rows if r["status"] == "open"],
        answered_rows=[r for r in rows if r["status"] != "open"],
        can_answer=can(current_user, "distribute", village),
        kept=kept or {},
    ), status


@bp.post("/objections/<int:objection_id>/answer")
def answer_objection(objection_id: int):
    objection = objections.get_objection(objection_id, current_user, "distribute")
    form = ObjectionAnswerForm()
    typed = {objection.id: {name: request.form.get(name, "") for name in ("outcome", "answer", "correction_entry_id")}}
    if not form.validate_on_submit():
        messages = [m for errors in form.errors.values() for m in errors]
        flash(" ".join(str(m) for m in messages) or _("请改正标出的字段。"), "error")
        return _queue_page(typed, 422)  # (what was typed stays in its box)
    try:
        objections.answer_objection(
            current_user, objection, form.outcome.data, form.answer.data, form.correction_entry_id.data
        )
    except Invalid as err:
        flash(" ".join([err.message, *err.fields.values()]), "error")
        return _queue_page(typed, 422)
    flash(_("已答复异议 #%(id)s。", id=objection.id), "success")
    return redirect(url_for("village.objections_queue"))
