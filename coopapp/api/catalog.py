"""Areas, projects and households."""

from flask import jsonify, request
from flask_babel import gettext as _

from coopapp.api.areas import area_json
from coopapp.api.common import bp, json_body, require_role_for, target_village, user, valid_form, village_arg
from coopapp.api.serializers import household_json, project_json, project_target_json
from coopapp.errors import BadRequest
from coopapp.models import LEVELS
from coopapp.villages import catalog, targets
from coopapp.villages.forms import HouseholdForm, ProjectForm, ProjectTargetForm
from coopapp.villages.privacy import household_privacy

# What a POST body may leave out: the route fills it in before the form sees the body.
PROJECT_DEFAULTS = {"active": True}
HOUSEHOLD_DEFAULTS = {"members": 1}


@bp.get("/areas")
def list_areas():
    """[{code, name, level, parent, published_name, retired, merged_into}] inside the caller's scope; ?parent=CODE, ?level=LEVEL."""
    level = request.args.get("level") or None
    if level is not None and level not in LEVELS:
        raise BadRequest(_("未知级别：%(l)s", l=level), {"level": _("可选：%(all)s", all=", ".join(LEVELS))})
    areas = catalog.list_areas(user(), request.args.get("parent") or None, level)
    return jsonify([area_json(a) for a in areas])


@bp.get("/projects")
def list_projects():
    """Projects in the caller's scope, optionally one village's."""
    me = user()
    projects = catalog.projects_for(me, village_arg(me))
    return jsonify([project_json(p) for p in projects])


@bp.post("/projects")
def create_project():
    """The secretary adds a project to a village (default: their own) → 201."""
    me = require_role_for("manage_village")
    payload = json_body()
    village = target_village(me, payload, "manage_village")
    form = valid_form(ProjectForm, {**PROJECT_DEFAULTS, **payload})
    project = catalog.create_project(me, village, form.to_input(village.code))
    return jsonify(project_json(project)), 201


@bp.put("/projects/<int:project_id>/targets/<int:year>")
def set_project_target(project_id: int, year: int):
    """The village secretary (or an admin) sets a project's targets for one year → the year's targets."""
    me = require_role_for("set_targets")
    project = catalog.get_project(project_id, me, "set_targets")
    form = valid_form(ProjectTargetForm, json_body())
    target = targets.set_target(me, project, year, form.output.data, form.collective_income.data)
    return jsonify(project_target_json(year, target))


@bp.get("/households")
def list_households():
    """Households in scope (?village=CODE, ?q=name), masked per `household_privacy`: names outside the
    caller's own village, ID numbers and phones for all but its secretary."""
    me = user()
    households = catalog.households_for(me, village_arg(me), request.args.get("q"))
    return jsonify([household_json(h, household_privacy(me, h.village)) for h in households])


@bp.post("/households")
def create_household():
    """The secretary registers a household in a village (default: their own) → 201."""
    me = require_role_for("manage_village")
    payload = json_body()
    village = target_village(me, payload, "manage_village")
    form = valid_form(HouseholdForm, {**HOUSEHOLD_DEFAULTS, **payload})
    household = catalog.create_household(me, village, form.to_input())
    return jsonify(household_json(household, household_privacy(me, village))), 201
