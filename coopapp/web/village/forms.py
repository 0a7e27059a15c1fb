"""Initial data and choices for the village's project and household forms."""

from flask_babel import lazy_gettext as _l

from ...forms import HouseholdForm, ProjectForm, choice_list
from ...models import Area, Cooperative, Household, Project


def fill_project_choices(form: ProjectForm, cooperatives: list[Cooperative]) -> ProjectForm:
    form.cooperative_id.choices = choice_list([("", _l("村集体")), *((c.id, c.name) for c in cooperatives)])
    return form


def fill_household_choices(form: HouseholdForm, groups: list[Area]) -> HouseholdForm:
    form.group_code.choices = choice_list([("", "—"), *((g.code, g.name) for g in groups)])
    return form


def project_form_data(project: Project) -> dict:
    return {
        "name": project.name,
        "type": project.type,
        "cooperative_id": project.cooperative_id,
        "capacity": project.capacity,
        "capacity_unit": project.capacity_unit,
        "target_output": project.target_output_fen,
        "target_collective_income": project.target_collective_income_fen,
        "active": project.active,
    }


def household_form_data(household: Household) -> dict:
    return {
        "head_name": household.head_name,
        "members": household.members,
        "group_code": household.group.code if household.group else "",
        "phone": household.phone,
        "id_number": household.id_number,
        "formerly_poor": household.formerly_poor,
        "monitored": household.monitored,
    }
