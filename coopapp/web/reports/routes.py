"""The reviewer's comparison of villages, its exports, and the drill-down to a village's
dashboard and a project's months."""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from coopapp import charts
from coopapp.access.scope import can, home_village
from coopapp.core.vocabulary import KINDS, PROJECT_TYPES
from coopapp.disclosure import operations as disclosure
from coopapp.errors import Invalid
from coopapp.reporting import chart_data, comparison, dashboard, groups
from coopapp.reporting.metric_table import COMPARE_METRICS, compared_metric
from coopapp.villages import catalog, targets
from coopapp.villages.areas import retired_codes
from coopapp.villages.forms import YearTargetForm
from coopapp.web.common import show_field_errors, year_arg, year_choices
from coopapp.web.reports import exports

bp = Blueprint("reports", __name__)


@bp.before_request
@login_required
def _login_first():
    """Every report needs a logged-in user."""


def _compared() -> dict:
    """The comparison the query asks for (?area, year, town, type, weak, sort, dir)."""
    area = catalog.get_area(request.args.get("area"), current_user)
    f, problems = comparison.filters_from(request.args, year_arg(), strict=False)
    for message in problems:
        flash(message, "warning")
    data = comparison.comparison(current_user, area, f)
    retired = retired_codes([code for code, _name in data["town_choices"]])
    data["town_choices"] = [(code, name) for code, name in data["town_choices"] if code not in retired]
    return data


def _kept(data: dict) -> dict:
    """The filters every link of the page keeps (empty ones left out)."""
    f = data["filters"]
    return {
        k: v
        for k, v in {
            "area": data["area"].code,
            "year": f.year,
            "town": f.town,
            "type": f.project_type,
            "weak": request.args.get("weak") if f.weak_below_fen is not None else None,
        }.items()
        if v
    }


@bp.get("/dashboard")
def dashboard_home():
    """A village user's own village dashboard, a group leader's own group's; everyone else's comparison."""
    area = current_user.area
    if area.level == "group":
        return redirect(url_for("reports.village", code=area.parent.code, group=area.code))
    village = home_village(current_user)
    if village is None:
        return redirect(url_for("reports.areas"))
    return redirect(url_for("reports.village", code=village.code))


@bp.get("/areas")
def areas():
    """The villages under an area (the user's scope by default) side by side for a year."""
    data = _compared()
    area = data["area"]
    up = area.parent if area.parent is not None and can(current_user, "view", area.parent) else None
    return render_template(
        "reports/areas.html", c=data, years=year_choices(), up=up, kept=_kept(data), chart=_ranking_chart(data)
    )


def _ranking_chart(data: dict) -> dict | None:
    """The comparison page's ranking chart: the sorted figure when the chart draws it (村集体收入
    otherwise), of the town shown or the area; none under a project-type filter (the chart has none)."""
    f = data["filters"]
    if f.project_type or not data["rows"]:
        return None
    metric = f.sort if f.sort in COMPARE_METRICS else "collective_income"
    where = data["town"] or data["area"]
    src = url_for("charts.compare", fmt="png", area=where.code, year=f.year, metric=metric)
    return {"src": src, "label": compared_metric(metric).label}


def _export_title(data: dict) -> str:
    f = data["filters"]
    parts = [data["town"].name if data["town"] else data["area"].name, _("%(y)s 年各村对比", y=f.year)]
    if f.project_type:
        parts.append(PROJECT_TYPES.label(f.project_type))
    return " · ".join(parts) + _("（只统计已审核的记录）")


@bp.get("/areas/export.<any(csv, xlsx):fmt>")
def export(fmt: str):
    """The comparison table as CSV or XLSX, with the page's filters and order."""
    data = _compared()
    name = f"compare-{data['area'].code}-{data['year']}.{fmt}"
    if fmt == "csv":
        body, mimetype = exports.csv_bytes(data["rows"]), "text/csv; charset=utf-8"
    else:
        body = exports.xlsx_bytes(data["rows"], _export_title(data))
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"}
    return Response(body, mimetype=mimetype, headers=headers)


# The queue of each review stage (ledger.permissions.REVIEW_STAGES): the secretary's, then the town's.
REVIEW_QUEUES = (("review_entry", "review.queue"), ("town_review", "town.queue"))


def _review_queue(village) -> str | None:
    """The endpoint of the review queue where the user reviews the village's entries, if any."""
    return next((queue for action, queue in REVIEW_QUEUES if can(current_user, action, village)), None)


@bp.get("/villages/<code>")
def village(code: str):
    """The village dashboard: year to date against target and last year, benefit, entries
    waiting for review, and each project's charts with their numbers; with ?group=CODE, the books of
    one of its village groups (组账村代记)."""
    area, group = catalog.get_village_or_group(code, request.args.get("group"), current_user)
    year = year_arg()
    if group is not None:
        return render_template(
            "reports/group.html",
            village=area,
            group=group,
            year=year,
            years=year_choices(),
            board=groups.group_board(group, year),
            kinds=KINDS,
            up=area if can(current_user, "view", area) else None,
        )
    board = dashboard.village_dashboard(current_user, area, year, dashboard.through_month(year))
    output_charts = {
        d["project_id"]: charts.describe("output", d) for d in chart_data.village_project_outputs(area, year)
    }
    yield_charts = {
        p.id: charts.describe("yield", chart_data.project_yield(p)) for p in catalog.projects_for(current_user, area)
    }
    return render_template(
        "reports/village.html",
        village=area,
        year=year,
        years=year_choices(),
        board=board,
        summary=board["summary"],
        project_charts=output_charts,
        yield_charts=yield_charts,
        benefit_chart=charts.describe("benefit", chart_data.village_benefit(area, year)),
        groups=disclosure.groups_with_books(area),
        review_queue=_review_queue(area),
        up=area.parent if area.parent is not None and can(current_user, "view", area.parent) else None,
    )


def _target_form(item, year: int, formdata=None) -> YearTargetForm | None:
    """The project page's target form for who may set targets: the page's year and its targets."""
    if not can(current_user, "set_targets", item.village):
        return None
    current = item.target_for(year)
    data = {"year": year}
    if current is not None:
        data |= {"output": current.output_fen, "collective_income": current.collective_income_fen}
    form = YearTargetForm(formdata=formdata, data=data, prefix="target")
    form.year.choices = [(y, str(y)) for y in targets.target_years(item)]
    return form


def _project_page(item, year: int, target_form=None, status: int = 200):
    page = render_template(
        "reports/project.html",
        project=item,
        year=year,
        years=year_choices(),
        months=dashboard.project_months(item, year),
        output_chart=charts.describe("output", chart_data.project_output(item, year)),
        yield_chart=charts.describe("yield", chart_data.project_yield(item)),
        target_form=target_form or _target_form(item, year),
    )
    return page, status


@bp.get("/projects/<int:project_id>")
def project(project_id: int):
    """A project's year month by month, with its output and yield charts."""
    item = catalog.get_project(project_id, current_user)
    return _project_page(item, year_arg())


@bp.post("/projects/<int:project_id>/targets")
def set_project_target(project_id: int):
    """The secretary (or an admin) sets the targets of the year picked, from the first year on."""
    item = catalog.get_project(project_id, current_user, "set_targets")
    year = year_arg()
    form = _target_form(item, year, request.form)
    if form.validate():
        try:
            targets.set_target(current_user, item, form.year.data, form.output.data, form.collective_income.data)
        except Invalid as err:
            show_field_errors(form, err)
        else:
            flash(_("已保存 %(y)s 年的目标。", y=form.year.data), "success")
            return redirect(url_for("reports.project", project_id=item.id, year=form.year.data))
    return _project_page(item, year, form, 422)
