"""The secretary's management of the village's projects and households."""

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from coopapp.access.history import object_history
from coopapp.access.scope import can
from coopapp.ledger.groups import retired_group_refusal
from coopapp.ledger.operations import today
from coopapp.models import Area, Household
from coopapp.reporting import exports
from coopapp.villages import catalog
from coopapp.villages.forms import HouseholdForm, ProjectForm
from coopapp.villages.privacy import page_privacy
from coopapp.web.common import page_arg, save_form
from coopapp.web.ledger.downloads import download
from coopapp.web.village import bp
from coopapp.web.village.forms import (
    fill_household_choices,
    fill_project_choices,
    household_form_data,
    project_form_data,
)

HOUSEHOLDS_PER_PAGE = 50


@bp.before_request
@login_required
def _login_first():
    """Every village page needs a logged-in user."""


def _village() -> Area:
    """`?village=CODE` for reviewers, else the user's own village; checked for 'view'."""
    return catalog.get_village(request.args.get("village"), current_user)


@bp.get("/projects")
def projects():
    village = _village()
    rows = catalog.projects_for(current_user, village)
    coop_names = {c.id: c.name for c in catalog.cooperatives_of(village)}
    can_manage = can(current_user, "manage_village", village)
    year = today().year
    targets = {p.id: p.target_for(year) for p in rows}
    return render_template(
        "village/projects.html",
        village=village,
        projects=rows,
        coop_names=coop_names,
        can_manage=can_manage,
        year=year,
        targets=targets,
    )


def _project_page(form, village, project=None, status=200):
    year = today().year
    other_years = [t for t in project.targets if t.year != year] if project else []
    history = object_history(project, related=project.targets) if project else None
    page = render_template(
        "village/project_form.html",
        form=form,
        village=village,
        project=project,
        year=year,
        other_years=other_years,
        history=history,
    )
    return page, status


@bp.route("/projects/new", methods=["GET", "POST"])
def new_project():
    village = catalog.get_village(None, current_user, "manage_village")
    form = fill_project_choices(ProjectForm(), catalog.cooperatives_of(village), _group_choices(village))
    return save_form(
        form,
        lambda: catalog.create_project(current_user, village, form.to_input(village.code)),
        lambda status: _project_page(form, village, status=status),
        _("已添加项目。"),
        url_for("village.projects"),
    )


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
def edit_project(project_id: int):
    project = catalog.get_project(project_id, current_user, "manage_village")
    data = None if request.method == "POST" else project_form_data(project, today().year)
    groups = _group_choices(project.village, project.group_id)
    form = fill_project_choices(ProjectForm(data=data), catalog.cooperatives_of(project.village), groups)
    return save_form(
        form,
        lambda: catalog.update_project(current_user, project, form.to_input(project.village.code)),
        lambda status: _project_page(form, project.village, project, status=status),
        _("已保存项目。"),
        url_for("village.projects"),
    )


def household_rows(village: Area, households: list[Household]) -> list[dict]:
    """Households as list rows, masked per `page_privacy` (ID numbers and phones always)."""
    privacy = page_privacy(current_user, village)
    group_names = {g.id: g.name for g in _groups(village)}
    return [
        {
            "id": h.id,
            "head_name": privacy.name(h.head_name),
            "members": h.members,
            "group": group_names.get(h.group_id, ""),
            "phone": privacy.phone(h.phone),
            "id_number": privacy.id_number(h.id_number),
            "formerly_poor": h.formerly_poor,
            "monitored": h.monitored,
        }
        for h in households
    ]


@bp.get("/households")
def households():
    village = _village()
    search = (request.args.get("q") or "").strip() or None
    page = catalog.page_households(current_user, village, search, page=page_arg(), per_page=HOUSEHOLDS_PER_PAGE)
    # what the pager's links keep: the reviewer's chosen village and the search
    kept = {"village": village.code if request.args.get("village") else None, "q": search}
    return render_template(
        "village/households.html",
        village=village,
        households=household_rows(village, page.items),
        page=page,
        kept={k: v for k, v in kept.items() if v},
        search=search or "",
        can_manage=can(current_user, "manage_village", village),
    )


@bp.get("/households/export.<any(csv, xlsx):fmt>")
def export_households(fmt: str):
    """The roster (the page's village and search) as CSV or XLSX: ID numbers and phones in full only
    for who may edit the households, names as the page shows them."""
    village = _village()
    search = (request.args.get("q") or "").strip() or None
    title = _("%(v)s 农户花名册（导出于 %(d)s）", v=village.name, d=today().isoformat())
    return download(exports.roster_table(current_user, village, search, title), fmt, f"households-{village.code}")


def _household_page(form, village, household=None, status=200):
    return render_template("village/household_form.html", form=form, village=village, household=household), status


def _groups(village: Area) -> list[Area]:
    return catalog.list_areas(current_user, parent_code=village.code, level="group")


def _group_choices(village: Area, keep_id: int | None = None) -> list[Area]:
    """The groups a household form offers: retired ones are hidden, except the household's own."""
    return [g for g in _groups(village) if retired_group_refusal(g, keep_id) is None]


@bp.route("/households/new", methods=["GET", "POST"])
def new_household():
    village = catalog.get_village(None, current_user, "manage_village")
    form = fill_household_choices(HouseholdForm(), _group_choices(village))
    return save_form(
        form,
        lambda: catalog.create_household(current_user, village, form.to_input()),
        lambda status: _household_page(form, village, status=status),
        _("已添加农户。"),
        url_for("village.households"),
    )


@bp.route("/households/<int:household_id>/edit", methods=["GET", "POST"])
def edit_household(household_id: int):
    household = catalog.get_household(household_id, current_user, "manage_village")
    data = None if request.method == "POST" else household_form_data(household)
    form = fill_household_choices(HouseholdForm(data=data), _group_choices(household.village, household.group_id))
    return save_form(
        form,
        lambda: catalog.update_household(current_user, household, form.to_input()),
        lambda status: _household_page(form, household.village, household, status=status),
        _("已保存农户信息。"),
        url_for("village.households"),
    )
