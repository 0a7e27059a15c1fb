"""The reviewer's comparison of villages and the drill-down to a village's projects."""

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ... import charts
from ...errors import NotFound
from ...services import catalog, chart_data, metrics
from ...services.scope import authorize, can
from ..common import year_arg, year_choices

bp = Blueprint("reports", __name__)


@bp.before_request
@login_required
def _login_first():
    """Every report needs a logged-in user."""


@bp.get("/areas")
def areas():
    """The villages under an area (the user's scope by default) side by side for a year."""
    code = request.args.get("area")
    area = catalog.area_by_code(code) if code else current_user.area
    authorize(current_user, "view", area)
    year = year_arg()
    rows = metrics.compare(current_user, area, year, "collective_income")
    towns = metrics.town_rows(current_user, area, year) if area.level == "county" else []
    up = area.parent if area.parent is not None and can(current_user, "view", area.parent) else None
    return render_template(
        "reports/areas.html", area=area, year=year, years=year_choices(), rows=rows, towns=towns, up=up
    )


@bp.get("/villages/<code>")
def village(code: str):
    """A village's year: headline numbers and one row per project."""
    area = catalog.area_by_code(code)
    if area.level != "village":
        raise NotFound(_("区域不存在：%(c)s", c=code))
    authorize(current_user, "view", area)
    year = year_arg()
    summary = metrics.village_summary(area, year)
    project_charts = {
        d["project_id"]: charts.describe("output", d) for d in chart_data.village_project_outputs(area, year)
    }
    return render_template(
        "reports/village.html",
        village=area,
        year=year,
        years=year_choices(),
        summary=summary,
        project_charts=project_charts,
    )
