"""Initial data and choices for the village's project and household forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from coopapp.core.forms import QuantityField, RecordIdField, choice_list
from coopapp.models import Area, Cooperative, Household, Project
from coopapp.villages.forms import HouseholdForm, ProjectForm


def fill_project_choices(form: ProjectForm, cooperatives: list[Cooperative], groups: list[Area] = ()) -> ProjectForm:
    form.cooperative_id.choices = choice_list([("", _l("村集体")), *((c.id, c.name) for c in cooperatives)])
    form.group.choices = choice_list([("", _l("（本村，不属于村民小组）")), *((g.code, g.name) for g in groups)])
    form.has_groups = bool(groups)
    return form


def fill_household_choices(form: HouseholdForm, groups: list[Area]) -> HouseholdForm:
    form.group_code.choices = choice_list([("", "—"), *((g.code, g.name) for g in groups)])
    return form


def project_form_data(project: Project, year: int) -> dict:
    """The project form's initial data; the targets are `year`'s (this year's)."""
    target = project.target_for(year)
    return {
        "name": project.name,
        "type": project.type,
        "cooperative_id": project.cooperative_id,
        "capacity": project.capacity,
        "capacity_unit": project.capacity_unit,
        "target_output": target.output_fen if target else None,
        "target_collective_income": target.collective_income_fen if target else None,
        "active": project.active,
        "group": project.group.code if project.group_id is not None else "",
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


class SharesForm(FlaskForm):
    """A change of a household's shares (股份) in one of the village's cooperatives."""

    cooperative_id = SelectField(_l("合作社"), coerce=int, validators=[InputRequired(_l("请选择合作社。"))])
    shares = QuantityField(_l("股份"), validators=[InputRequired(_l("请填写股份数。"))])
    since = DateField(_l("变更日期"), format="%Y-%m-%d", validators=[InputRequired(_l("请填写变更日期。"))])


def fill_shares_choices(form: SharesForm, cooperatives: list[Cooperative]) -> SharesForm:
    form.cooperative_id.choices = choice_list((c.id, c.name) for c in cooperatives)
    return form


class ObjectionAnswerForm(FlaskForm):
    """The secretary's answer to an objection: resolved (with an optional correction entry) or rejected."""

    outcome = SelectField(_l("处理结果"), choices=choice_list([("resolved", _l("已解决")), ("rejected", _l("驳回"))]))
    answer = TextAreaField(_l("答复"), validators=[DataRequired(_l("请填写答复或理由。")), Length(max=1000)])
    correction_entry_id = RecordIdField(
        _l("更正记录编号"), validators=[Optional(), NumberRange(min=1, message=_l("请填写记录编号。"))]
    )
