"""Form fields and helpers every domain's forms share: one validation path for pages and the JSON API.

The API builds a form with `api_form(Form, payload)`, which feeds the JSON body
through the same `process_formdata` parsing as an HTML post.
"""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtf_translations
from werkzeug.datastructures import MultiDict
from wtforms import (
    Form,
    IntegerField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from coopapp.core import periods
from coopapp.core.money import ParseError, fen_to_decimal_string, parse_decimal, parse_yuan
from coopapp.core.text import ascii_digits, parse_int
from coopapp.core.vocabulary import Vocabulary


class ParsedTextField(StringField):
    """A text field whose `.data` is `parse(text)` (None when blank); it shows back what was typed, else `show(data)`."""

    parse = staticmethod(parse_decimal)
    show = staticmethod(str)

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        self.data = None
        if self.raw is None or str(self.raw).strip() == "":
            return
        try:
            self.data = self.parse(self.raw)
        except ParseError as exc:
            raise ValueError(str(exc)) from exc

    def _value(self):
        return getattr(self, "raw", None) or ("" if self.data is None else self.show(self.data))


class AmountField(ParsedTextField):
    """Yuan as people type it (1,234.50 · 1.2万 · １２３); `.data` is integer fen."""

    parse = staticmethod(parse_yuan)
    show = staticmethod(fen_to_decimal_string)


class QuantityField(ParsedTextField):
    """A decimal quantity with thousands separators or full-width digits allowed."""

    parse = staticmethod(parse_decimal)
    show = staticmethod(str)


class IntField(IntegerField):
    """An integer typed as ASCII or full-width digits; any other digit ("²", "٢") is an error of the field."""

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] in (None, ""):
            return
        text = str(valuelist[0])
        try:
            text = ascii_digits(text)
        except ValueError as exc:
            self.data = None
            raise ValueError(str(exc)) from exc
        number = parse_int(text)
        if number is None:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))
        self.data = number


class RecordIdField(IntField):
    """A record's number as the pages show it: "#20079" or "20079"."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0] not in (None, ""):
            valuelist = [str(valuelist[0]).strip().lstrip("#＃").strip()]
        super().process_formdata(valuelist)


def optional_int(value) -> int | None:
    """A select's value as an id, or None when nothing is chosen (blank, or "None" as a page renders it).
    ValueError (the select's "not a valid choice") for anything but ASCII or full-width digits."""
    if value in (None, "", "None"):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = parse_int(str(value))
    if number is None:
        raise ValueError(str(value))
    return number


def period_text(value):
    """A month field's text as typed: trimmed, full-width digits made ASCII (a DigitError, which
    the field shows, for any other digit), and a month written another usual way made "YYYY-MM"
    (2026.1, 2026年1月, 11月: `periods.typed_period`)."""
    if value is None:
        return value
    return periods.typed_period(ascii_digits(str(value).strip()), periods.china_today())


class LedgerPeriod(Regexp):
    """A ledger month: "YYYY-MM" in ASCII digits, a year from 2000 to next year. A Regexp, so
    the OpenAPI document shows its pattern."""

    def __init__(self, message=None):
        super().__init__(periods.PATTERN, message=message or _l("月份写法不对：例如 2026-11、2026年11月 或 11月。"))

    def __call__(self, form, field):
        super().__call__(form, field)
        problem = periods.period_problem(field.data)
        if problem is not None:
            raise ValidationError(problem)


class LedgerDate:
    """A date in the ledger's years (2000 to next year)."""

    def __call__(self, form, field):
        problem = periods.date_problem(field.data)
        if problem is not None:
            raise ValidationError(problem)


def choice_list(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def choices(vocabulary: Vocabulary) -> list[SelectChoice]:
    """Select choices for a vocabulary's codes, labelled."""
    return choice_list((term.code, term.label) for term in vocabulary.terms)


class ReasonForm(FlaskForm):
    """The reason a secretary returns, or an accountant reverses, an entry."""

    reason = TextAreaField(_l("原因"), validators=[DataRequired(_l("请填写原因。")), Length(max=500)])


class ActionForm(FlaskForm):
    """An empty form: only the CSRF token of a one-button action."""


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


_CENT = Decimal("0.01")


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


class RowForm(Form):
    """A row inside a FieldList: no CSRF token of its own, WTForms' messages translated like FlaskForm's."""

    class Meta:
        def get_translations(self, form):
            return wtf_translations
