"""Distribution plans (收益分配): preview (draft), approve, the town's approval (or return) of a large
plan, publish, reverse, delete a draft.

The body of POST /distributions goes through the pages' DistributionForm: nested
`deductions: [{kind, percent|amount}]` and `households: [{household_id, weight}]`
are flattened into the form's row fields (`deductions-0-kind` …) first.
"""

from flask import current_app, jsonify
from flask_babel import gettext as _

from coopapp.api.common import bp, json_body, require_role_for, user, valid_form, village_arg
from coopapp.api.serializers import jsonable
from coopapp.core.forms import ReasonForm, api_form
from coopapp.distributions import plans as distributions
from coopapp.distributions.forms import MAX_DEDUCTIONS, MAX_LISTED_HOUSEHOLDS, DistributionForm
from coopapp.distributions.rows import plan_list_rows, plan_view
from coopapp.errors import Invalid
from coopapp.models import Distribution
from coopapp.villages.privacy import household_privacy

ONE = "/distributions/<int:plan_id>"  # beyond the INTEGER key: 404 (common.URL_ID_LIMITS)
_ROWS = {"deductions": MAX_DEDUCTIONS, "households": MAX_LISTED_HOUSEHOLDS}
LISTED_WEIGHT = 1  # the weight of a listed household the body gives none


def _flatten(payload: dict) -> dict:
    """Nested row lists as the form's flat row fields; 422 naming a list that is not a list of objects."""
    flat = {k: v for k, v in payload.items() if k not in _ROWS}
    for name, limit in _ROWS.items():
        rows = payload.get(name)
        if rows is None:
            continue
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise Invalid(_("请改正标出的字段。"), {name: _("应为对象的列表。")})
        if len(rows) > limit:
            raise Invalid(_("请改正标出的字段。"), {name: _("最多 %(n)s 项。", n=limit)})
        for index, row in enumerate(rows):
            if name == "households" and row.get("weight") is None:
                row = {**row, "weight": LISTED_WEIGHT}  # one part
            for key, value in row.items():
                if isinstance(value, dict | list):
                    raise Invalid(_("请改正标出的字段。"), {name: _("第 %(n)s 项格式不对。", n=index + 1)})
                flat[f"{name}-{index}-{key}"] = value
    return flat


def _plan_form(payload: dict) -> DistributionForm:
    """The plan form fed with the body and validated; 422 naming every bad field."""
    form = api_form(DistributionForm, _flatten(payload))
    if not form.validate():
        raise Invalid(_("请改正标出的字段。"), form.field_errors())
    return form


def _plan_response(plan: Distribution, status: int = 200):
    me = user()
    return jsonify(jsonable(plan_view(plan, household_privacy(me, plan.village)))), status


@bp.get("/distributions")
def list_plans():
    """Plans in the caller's scope, newest first (?village=CODE)."""
    me = user()
    village = village_arg(me)
    return jsonify(jsonable({"items": plan_list_rows(distributions.plans_for(me, village))}))


@bp.post("/distributions")
def draft_plan():
    """The secretary previews a plan: it is saved as a draft with every household's line → 201."""
    me = require_role_for("distribute")
    data = _plan_form(json_body()).to_input()
    distributions.check_welfare_jobs(me, data, current_app.config.get("WELFARE_JOBS_MIN_BP"))
    return _plan_response(distributions.draft_plan(me, data), 201)


@bp.get(ONE)
def get_plan(plan_id: int):
    """One plan with its deductions and lines (names masked per `household_privacy`)."""
    return _plan_response(distributions.get_plan(plan_id, user()))


@bp.post(f"{ONE}/approve")
def approve_plan(plan_id: int):
    """Draft → approved: the plan can no longer change."""
    me = require_role_for("distribute")
    plan = distributions.get_plan(plan_id, me, "distribute")
    return _plan_response(distributions.approve_plan(me, plan))


@bp.post(f"{ONE}/town-approve")
def town_approve_plan(plan_id: int):
    """The town accountant approves a plan the secretary approved, when its pool is above the county's
    `plan_town_approval_above_fen`: it may then be published (`permissions.town_approve_refusal`)."""
    me = require_role_for("town_review")
    plan = distributions.get_plan(plan_id, me)
    return _plan_response(distributions.town_approve_plan(me, plan))


@bp.post(f"{ONE}/town-return")
def town_return_plan(plan_id: int):
    """The town accountant sends a plan waiting for it back to the secretary with {reason}: a draft
    again (`permissions.town_return_refusal`)."""
    me = require_role_for("town_review")
    plan = distributions.get_plan(plan_id, me)
    form = valid_form(ReasonForm, json_body())
    return _plan_response(distributions.town_return_plan(me, plan, form.reason.data))


@bp.post(f"{ONE}/publish")
def publish_plan(plan_id: int):
    """Approved → published: one dividend entry per line and the collective's share, at once."""
    me = require_role_for("distribute")
    plan = distributions.get_plan(plan_id, me, "distribute")
    return _plan_response(distributions.publish_plan(me, plan))


@bp.post(f"{ONE}/reverse")
def reverse_plan(plan_id: int):
    """Published → reversed as a whole, with {reason}: every posted entry gets its negation."""
    me = require_role_for("distribute")
    plan = distributions.get_plan(plan_id, me, "distribute")
    form = valid_form(ReasonForm, json_body())
    return _plan_response(distributions.reverse_plan(me, plan, form.reason.data))


@bp.delete(ONE)
def delete_plan(plan_id: int):
    """Delete a draft → 204."""
    me = require_role_for("distribute")
    plan = distributions.get_plan(plan_id, me, "distribute")
    distributions.discard_plan(me, plan)
    return "", 204
