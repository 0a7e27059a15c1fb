"""The forms of a village's catalog: a project, a household."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from coopapp.core.codes import clean_credit_code
from coopapp.core.forms import AmountField, IntField, QuantityField, choice_list, choices, optional_int
from coopapp.core.vocabulary import CAPACITY_UNITS, PROJECT_TYPES
from coopapp.villages.catalog import HouseholdInput, ProjectInput
from coopapp.villages.cooperatives import CooperativeInput

# A target is checked with the form's other fields (every fault of the form shown at once); the
# operations check it again for callers without the form.
NOT_NEGATIVE = NumberRange(min=0, message=_l("目标不能为负数。"))


class ProjectForm(FlaskForm):
    name = StringField(_l("项目名称"), validators=[DataRequired(_l("请填写项目名称。")), Length(max=200)])
    type = SelectField(_l("类型"), choices=choices(PROJECT_TYPES))
    cooperative_id = SelectField(
        _l("所属"),
        coerce=optional_int,
        validate_choice=False,
        validators=[Optional()],
    )
    capacity = QuantityField(_l("规模"), validators=[Optional()])
    capacity_unit = SelectField(
        _l("规模单位"),
        choices=choice_list([("", "—")]) + choices(CAPACITY_UNITS),
        validators=[Optional()],
    )
    target_output = AmountField(_l("年度产值目标（元）"), validators=[Optional(), NOT_NEGATIVE])
    target_collective_income = AmountField(_l("年度村集体收入目标（元）"), validators=[Optional(), NOT_NEGATIVE])
    active = BooleanField(_l("在用"), default=True)
    # The village group whose project it is (its code or name); empty: the village's own.
    group = SelectField(_l("村民小组"), validate_choice=False, validators=[Optional()])

    def to_input(self, village_code: str | None = None) -> ProjectInput:
        return ProjectInput(
            name=self.name.data,
            type=self.type.data,
            village_code=village_code,
            cooperative_id=self.cooperative_id.data,
            capacity=self.capacity.data,
            capacity_unit=self.capacity_unit.data or None,
            target_output_fen=self.target_output.data,
            target_collective_income_fen=self.target_collective_income.data,
            active=bool(self.active.data),
            group=self.group.data or None,
        )


class ProjectTargetForm(FlaskForm):
    """One year's targets of a project (the year comes from the URL)."""

    output = AmountField(_l("年度产值目标（元）"), validators=[Optional(), NOT_NEGATIVE])
    collective_income = AmountField(_l("年度村集体收入目标（元）"), validators=[Optional(), NOT_NEGATIVE])


class YearTargetForm(ProjectTargetForm):
    """The project page's form: the targets of the year picked (the operation judges the year)."""

    year = SelectField(_l("年份"), coerce=int, validate_choice=False, validators=[InputRequired(_l("请选择年份。"))])


class CooperativeForm(FlaskForm):
    """A cooperative: name, 统一社会信用代码, village (code), leading party organisation."""

    name = StringField(_l("合作社名称"), validators=[DataRequired(_l("请填写合作社名称。")), Length(max=200)])
    # As typed or copied from the licence (grouped by spaces, full-width letters): cleaned first; the
    # domain then names what is wrong (`codes.credit_code_problem`: its length, a letter, the check).
    credit_code = StringField(
        _l("统一社会信用代码"),
        filters=[lambda value: None if value is None else clean_credit_code(value)],
        validators=[DataRequired(_l("请填写统一社会信用代码。")), Length(max=40)],
    )
    village = StringField(_l("村（村名或代码）"), validators=[DataRequired(_l("请填写村名或村代码。")), Length(max=50)])
    party_org_id = SelectField(_l("领办党组织"), coerce=optional_int, validate_choice=False, validators=[Optional()])

    def to_input(self) -> CooperativeInput:
        """The operation's input."""
        return CooperativeInput(self.name.data, self.credit_code.data, self.village.data, self.party_org_id.data)


class HouseholdForm(FlaskForm):
    head_name = StringField(_l("户主姓名"), validators=[DataRequired(_l("请填写户主姓名。")), Length(max=50)])
    members = IntField(_l("家庭人口"), default=1, validators=[InputRequired(), NumberRange(min=1, max=50)])
    group_code = SelectField(_l("村民小组"), validate_choice=False, validators=[Optional()])
    phone = StringField(_l("电话"), validators=[Optional(), Length(max=20)])
    id_number = StringField(
        _l("身份证号码"), validators=[Optional(), Length(min=18, max=18, message=_l("身份证号码应为 18 位。"))]
    )
    formerly_poor = BooleanField(_l("脱贫户"))
    monitored = BooleanField(_l("监测户"))

    def to_input(self) -> HouseholdInput:
        return HouseholdInput(
            head_name=self.head_name.data,
            members=self.members.data,
            group_code=self.group_code.data or None,
            phone=self.phone.data,
            id_number=self.id_number.data,
            formerly_poor=bool(self.formerly_poor.data),
            monitored=bool(self.monitored.data),
        )
