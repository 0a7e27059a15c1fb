"""The form of a distribution plan (the page's and the API's body), with its rows."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from coopapp.core.forms import (
    AmountField,
    IntField,
    LedgerPeriod,
    PercentField,
    QuantityField,
    RowForm,
    choice_list,
    choices,
    period_text,
)
from coopapp.core.limits import MAX_ID
from coopapp.core.vocabulary import BASES, DEDUCTION_KINDS
from coopapp.distributions.plans import DEFAULT_NOTICE_DAYS, MAX_NOTICE_DAYS, MIN_NOTICE_DAYS, DeductionInput, PlanInput

MAX_DEDUCTIONS = 10
MAX_LISTED_HOUSEHOLDS = 5000

_MILLI = Decimal("0.001")


class DeductionRowForm(RowForm):
    """One deduction: its kind and either a percentage of what is left or a sum in yuan."""

    kind = SelectField(
        _l("扣除项"),
        choices=choice_list([("", "—")]) + choices(DEDUCTION_KINDS),
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


class ListedHouseholdForm(RowForm):
    """One household of a fixed list and its weight (blank: not in the list)."""

    household_id = IntField(_l("农户"), validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
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
        filters=[period_text],
        validators=[DataRequired(_l("请填写月份。")), LedgerPeriod()],
    )
    pool = AmountField(_l("分配总额（元）"), validators=[InputRequired(_l("请填写分配总额。"))])
    basis = SelectField(_l("分配方式"), choices=choices(BASES), validators=[DataRequired(_l("请选择分配方式。"))])
    notice_days = IntField(
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
