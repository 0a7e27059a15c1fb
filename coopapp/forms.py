"""WTForms shared by the pages and the JSON API: one validation path for both.

The API builds a form with `api_form(Form, payload)`, which feeds the JSON body
through the same `process_formdata` parsing as an HTML post.
"""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtf_translations
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from .models import BASES, CAPACITY_UNITS, DEDUCTION_KINDS, KINDS, PROJECT_TYPES
from .services.catalog import HouseholdInput, ProjectInput
from .services.distributions import (
    DEFAULT_NOTICE_DAYS,
    MAX_NOTICE_DAYS,
    MIN_NOTICE_DAYS,
    DeductionInput,
    PlanInput,
)
from .services.ledger import EntryInput
from .services.money import ParseError, fen_to_decimal_string, parse_decimal, parse_yuan

KIND_LABELS = {
    "output": _l("产值"),
    "sales": _l("销售收入"),
    "cost": _l("成本"),
    "collective_income": _l("村集体收入"),
    "dividend": _l("分红"),
    "wage": _l("务工"),
    "purchase": _l("收购"),
    "rent": _l("租金"),
    "welfare_job": _l("公益岗位"),
    "subsidy": _l("补贴"),
}
UNIT_LABELS = {
    "kg": _l("千克"),
    "jin": _l("斤"),
    "hive": _l("箱"),
    "kWh": _l("千瓦时"),
    "du": _l("度"),
    "visit": _l("人次"),
}
PROJECT_TYPE_LABELS = {
    "beekeeping": _l("养蜂"),
    "photovoltaic": _l("光伏"),
    "tourism": _l("旅游"),
    "planting": _l("种植"),
    "livestock": _l("养殖"),
    "other": _l("其他"),
}
CAPACITY_UNIT_LABELS = {"hive": _l("箱"), "kW": _l("千瓦"), "mu": _l("亩"), "head": _l("头"), "room": _l("间")}
STATUS_LABELS = {
    "draft": _l("草稿"),
    "submitted": _l("待审核"),
    "approved": _l("已审核"),
    "returned": _l("已退回"),
    "void": _l("已作废"),
}
PERIOD_RE = r"^\d{4}-(0[1-9]|1[0-2])$"


class AmountField(StringField):
    """Yuan as people type it (1,234.50 · 1.2万 · １２３); `.data` is integer fen."""

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        self.data = None
        if self.raw is None or str(self.raw).strip() == "":
            return
        try:
            self.data = parse_yuan(self.raw)
        except ParseError as exc:
            raise ValueError(str(exc)) from exc

    def _value(self):
        return getattr(self, "raw", None) or ("" if self.data is None else fen_to_decimal_string(self.data))


class QuantityField(StringField):
    """A decimal quantity with thousands separators or full-width digits allowed."""

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        self.data = None
        if self.raw is None or str(self.raw).strip() == "":
            return
        try:
            self.data = parse_decimal(self.raw)
        except ParseError as exc:
            raise ValueError(str(exc)) from exc

    def _value(self):
        return getattr(self, "raw", None) or ("" if self.data is None else str(self.data))


def choice_list(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def _choices(labels: dict, codes) -> list[SelectChoice]:
    return choice_list((code, labels[code]) for code in codes)


class EntryForm(FlaskForm):
    """A ledger entry as typed by the accountant (or posted to the API)."""

    project_id = SelectField(
        _l("项目"), coerce=int, validators=[InputRequired(_l("请选择项目。"))], validate_choice=False
    )
    period = StringField(
        _l("月份"),
        validators=[DataRequired(_l("请填写月份。")), Regexp(PERIOD_RE, message=_l("月份格式应为 YYYY-MM。"))],
    )
    date = DateField(_l("日期"), validators=[Optional()], format="%Y-%m-%d")
    kind = SelectField(_l("类别"), choices=_choices(KIND_LABELS, KINDS), validators=[DataRequired(_l("请选择类别。"))])
    amount = AmountField(_l("金额（元）"), validators=[InputRequired(_l("请填写金额。"))])
    quantity = QuantityField(_l("数量"), validators=[Optional()])
    unit = SelectField(_l("单位"), choices=choice_list([("", "—"), *UNIT_LABELS.items()]), validators=[Optional()])
    household_id = IntegerField(_l("农户"), validators=[Optional()])
    note = TextAreaField(_l("摘要"), validators=[Optional(), Length(max=500)])

    def to_input(self) -> EntryInput:
        return EntryInput(
            project_id=self.project_id.data,
            period=self.period.data.strip(),
            kind=self.kind.data,
            amount_fen=self.amount.data,
            entry_date=self.date.data,
            quantity=self.quantity.data,
            unit=self.unit.data or None,
            household_id=self.household_id.data,
            note=self.note.data or "",
        )


class ReasonForm(FlaskForm):
    """The reason a secretary returns, or an accountant reverses, an entry."""

    reason = TextAreaField(_l("原因"), validators=[DataRequired(_l("请填写原因。")), Length(max=500)])


class CloseMonthForm(FlaskForm):
    period = StringField(
        _l("月份"), validators=[DataRequired(), Regexp(PERIOD_RE, message=_l("月份格式应为 YYYY-MM。"))]
    )


class ActionForm(FlaskForm):
    """An empty form: only the CSRF token of a one-button action."""


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请填写用户名。")), Length(max=80)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请填写密码。"))])


class ProjectForm(FlaskForm):
    name = StringField(_l("项目名称"), validators=[DataRequired(_l("请填写项目名称。")), Length(max=200)])
    type = SelectField(_l("类型"), choices=_choices(PROJECT_TYPE_LABELS, PROJECT_TYPES))
    cooperative_id = SelectField(
        _l("所属"),
        coerce=lambda v: int(v) if v not in (None, "", "None") else None,
        validate_choice=False,
        validators=[Optional()],
    )
    capacity = QuantityField(_l("规模"), validators=[Optional()])
    capacity_unit = SelectField(
        _l("规模单位"),
        choices=choice_list([("", "—")]) + _choices(CAPACITY_UNIT_LABELS, CAPACITY_UNITS),
        validators=[Optional()],
    )
    target_output = AmountField(_l("年度产值目标（元）"), validators=[Optional()])
    target_collective_income = AmountField(_l("年度村集体收入目标（元）"), validators=[Optional()])
    active = BooleanField(_l("在用"), default=True)

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
        )


class HouseholdForm(FlaskForm):
    head_name = StringField(_l("户主姓名"), validators=[DataRequired(_l("请填写户主姓名。")), Length(max=50)])
    members = IntegerField(_l("家庭人口"), default=1, validators=[InputRequired(), NumberRange(min=1, max=50)])
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


def api_form(form_class, payload: dict | None):
    """Build `form_class` from a JSON body, through the same parsing as an HTML post."""
    pairs = MultiDict()
    for key, value in (payload or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                pairs.add(key, "y")
            continue
        if isinstance(value, float):
            value = Decimal(str(value))
        pairs.add(key, str(value))
    return form_class(formdata=pairs, meta={"csrf": False})


# ---- distribution plans (收益分配) ------------------------------------------

BASIS_LABELS = {"shares": _l("按股份"), "equal": _l("按户平均"), "fixed": _l("按名单")}
DEDUCTION_KIND_LABELS = {
    "maintenance": _l("运维费"),
    "land_rent": _l("土地租金"),
    "collective": _l("村集体留存"),
    "welfare_jobs": _l("公益岗位"),
    "other": _l("其他"),
}
PLAN_STATUS_LABELS = {
    "draft": _l("草稿"),
    "approved": _l("已审批"),
    "published": _l("已公布"),
    "reversed": _l("已冲销"),
}
MAX_DEDUCTIONS = 10
MAX_LISTED_HOUSEHOLDS = 5000
_CENT = Decimal("0.01")
_MILLI = Decimal("0.001")


class PercentField(StringField):
    """A percentage as typed ("15", "12.5", "15%"); `.data` is a Decimal of percent, at most two places."""

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        self.data = None
        text = str(self.raw or "").strip().rstrip("%％").strip()
        if text == "":
            return
        try:
            value = parse_decimal(text)
        except ParseError as exc:
            raise ValueError(_l("比例格式不对：“%(text)s”（例：15 表示 15%%）", text=str(self.raw))) from exc
        if value != value.quantize(_CENT):
            raise ValueError(_l("比例最多两位小数。"))
        self.data = value

    def _value(self):
        return getattr(self, "raw", None) or ("" if self.data is None else str(self.data))


class _RowForm(Form):
    """A row inside a FieldList: no CSRF token of its own, WTForms' messages translated like FlaskForm's."""

    class Meta:
        def get_translations(self, form):
            return wtf_translations


class DeductionRowForm(_RowForm):
    """One deduction: its kind and either a percentage of what is left or a sum in yuan."""

    kind = SelectField(
        _l("扣除项"),
        choices=choice_list([("", "—"), *((k, DEDUCTION_KIND_LABELS[k]) for k in DEDUCTION_KINDS)]),
        validators=[Optional()],
    )
    percent = PercentField(_l("比例（%）"), validators=[Optional()])
    amount = AmountField(_l("金额（元）"), validators=[Optional()])

    @property
    def filled(self) -> bool:
        """A row with nothing typed in it is ignored (the page offers spare rows)."""
        return bool(self.kind.data or self.percent.data is not None or self.amount.data is not None)

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators) or not self.filled:
            return not self.errors
        if not self.kind.data:
            self.kind.errors = [*self.kind.errors, _l("请选择扣除项。")]
        if self.percent.data is None and self.amount.data is None:
            self.percent.errors = [*self.percent.errors, _l("请填写比例或金额。")]
        elif self.percent.data is not None and self.amount.data is not None:
            self.percent.errors = [*self.percent.errors, _l("比例和金额请只填一项。")]
        elif self.percent.data is not None and not 0 < self.percent.data <= 100:
            self.percent.errors = [*self.percent.errors, _l("比例应大于 0、不超过 100。")]
        elif self.amount.data is not None and self.amount.data <= 0:
            self.amount.errors = [*self.amount.errors, _l("金额必须大于零。")]
        return not self.errors

    def to_input(self) -> DeductionInput:
        percent_bp = None if self.percent.data is None else int(self.percent.data * 100)
        return DeductionInput(kind=self.kind.data, percent_bp=percent_bp, fixed_fen=self.amount.data)


class ListedHouseholdForm(_RowForm):
    """One household of a fixed list and its weight (blank: not in the list)."""

    household_id = IntegerField(_l("农户"), validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    weight = QuantityField(_l("权重"), validators=[Optional()])

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators) or self.weight.data is None:
            return not self.errors
        if self.household_id.data is None:
            self.household_id.errors = [*self.household_id.errors, _l("请选择农户。")]
        if self.weight.data < 0:
            self.weight.errors = [*self.weight.errors, _l("权重不能为负数。")]
        elif self.weight.data != self.weight.data.quantize(_MILLI):
            self.weight.errors = [*self.weight.errors, _l("权重最多三位小数。")]
        return not self.errors


class DistributionForm(FlaskForm):
    """A distribution plan as the secretary states it (the page's form and the API's body)."""

    project_id = SelectField(
        _l("项目"), coerce=int, validators=[InputRequired(_l("请选择项目。"))], validate_choice=False
    )
    period = StringField(
        _l("月份"),
        validators=[DataRequired(_l("请填写月份。")), Regexp(PERIOD_RE, message=_l("月份格式应为 YYYY-MM。"))],
    )
    pool = AmountField(_l("分配总额（元）"), validators=[InputRequired(_l("请填写分配总额。"))])
    basis = SelectField(
        _l("分配方式"), choices=_choices(BASIS_LABELS, BASES), validators=[DataRequired(_l("请选择分配方式。"))]
    )
    notice_days = IntegerField(
        _l("公示期（天）"),
        default=DEFAULT_NOTICE_DAYS,
        validators=[
            Optional(),
            NumberRange(
                min=MIN_NOTICE_DAYS,
                max=MAX_NOTICE_DAYS,
                message=_l("公示期应为 %(a)s–%(b)s 天。", a=MIN_NOTICE_DAYS, b=MAX_NOTICE_DAYS),
            ),
        ],
    )
    note = TextAreaField(_l("说明"), validators=[Optional(), Length(max=500)])
    deductions = FieldList(FormField(DeductionRowForm), max_entries=MAX_DEDUCTIONS)
    households = FieldList(FormField(ListedHouseholdForm), max_entries=MAX_LISTED_HOUSEHOLDS)

    def validate_pool(self, field):
        if field.data is not None and field.data <= 0:
            raise ValidationError(_l("分配总额必须大于零。"))

    def field_errors(self) -> dict[str, str]:
        """One message per field; a row's message says which row ("第 2 项：…")."""
        out = {}
        for name, errors in self.errors.items():
            if name in ("deductions", "households"):
                for position, row in enumerate(errors, start=1):
                    messages = [str(m[0]) for m in row.values() if m] if isinstance(row, dict) else [str(row)]
                    if messages:
                        out[name] = str(_l("第 %(n)s 项：%(m)s", n=position, m=messages[0]))
                        break
            elif errors:
                out[name or "form"] = str(errors[0])
        return out

    def to_input(self) -> PlanInput:
        deductions = [row.form.to_input() for row in self.deductions if row.form.filled]
        fixed = []
        if self.basis.data == "fixed":
            fixed = [
                (row.form.household_id.data, row.form.weight.data)
                for row in self.households
                if row.form.weight.data is not None
            ]
        return PlanInput(
            project_id=self.project_id.data,
            period=self.period.data.strip(),
            pool_fen=self.pool.data,
            basis=self.basis.data,
            deductions=deductions,
            fixed=fixed,
            note=self.note.data or "",
            notice_days=DEFAULT_NOTICE_DAYS if self.notice_days.data is None else self.notice_days.data,
        )
