"""The forms of the ledger: an entry, a month to close."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from coopapp.core import periods
from coopapp.core.forms import (
    AmountField,
    IntField,
    LedgerDate,
    LedgerPeriod,
    QuantityField,
    choice_list,
    choices,
    period_text,
)
from coopapp.core.vocabulary import KINDS, PAYMENT_METHODS, UNITS
from coopapp.ledger.operations import EntryInput, date_month_problem


class EntryForm(FlaskForm):
    """A ledger entry as typed by the accountant (or posted to the API)."""

    project_id = SelectField(
        _l("项目"), coerce=int, validators=[InputRequired(_l("请选择项目。"))], validate_choice=False
    )
    period = StringField(
        _l("月份"),
        filters=[period_text],
        validators=[DataRequired(_l("请填写月份。")), LedgerPeriod()],
    )
    date = DateField(_l("日期"), validators=[Optional(), LedgerDate()], format="%Y-%m-%d")
    kind = SelectField(_l("类别"), choices=choices(KINDS), validators=[DataRequired(_l("请选择类别。"))])
    amount = AmountField(_l("金额（元）"), validators=[InputRequired(_l("请填写金额。"))])
    quantity = QuantityField(_l("数量"), validators=[Optional()])
    unit = SelectField(_l("单位"), choices=choice_list([("", "—")]) + choices(UNITS), validators=[Optional()])
    household_id = IntField(_l("农户"), validators=[Optional()])
    note = TextAreaField(_l("摘要"), validators=[Optional(), Length(max=500)])
    group = StringField(_l("村民小组"), validators=[Optional(), Length(max=100)])
    # spending kinds only (`ledger.spending` checks them against the county's list)
    category = StringField(_l("明细科目"), validators=[Optional(), Length(max=40)])
    payment_method = SelectField(
        _l("支付方式"), choices=choice_list([("", "—")]) + choices(PAYMENT_METHODS), validators=[Optional()]
    )
    payee = StringField(_l("收款人"), validators=[Optional(), Length(max=80)])

    def validate_date(self, field) -> None:
        """The date in the month typed, said beside the form's other faults (the operation asks again)."""
        if field.data is not None and periods.is_period(self.period.data):
            problem = date_month_problem(self.period.data, periods.period_of(field.data))
            if problem is not None:
                raise ValidationError(problem)

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
            group=self.group.data or None,
            category=self.category.data or None,
            payment_method=self.payment_method.data or None,
            payee=self.payee.data or None,
        )


class CloseMonthForm(FlaskForm):
    period = StringField(_l("月份"), filters=[period_text], validators=[DataRequired(), LedgerPeriod()])
