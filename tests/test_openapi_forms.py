"""Request bodies in the OpenAPI document come from the forms that validate them
(`api.openapi_forms.schema_from_form`): a limit changed in a form changes the document."""

import pytest
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    FormField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, Regexp

from coopapp.access.forms import LoginForm
from coopapp.api.common import MAX_ID
from coopapp.api.openapi import document
from coopapp.api.openapi_forms import AMOUNT_IN, PERCENT_IN, QUANTITY_IN, body_schema, schema_from_form
from coopapp.core.forms import AmountField, PercentField, QuantityField, ReasonForm, RowForm, choice_list, optional_int
from coopapp.distributions.forms import MAX_DEDUCTIONS, MAX_LISTED_HOUSEHOLDS, DistributionForm
from coopapp.ledger.forms import EntryForm
from coopapp.villages.forms import HouseholdForm, ProjectForm


class Row(RowForm):
    code = SelectField("c", choices=choice_list([("", "—"), ("a", "A"), ("b", "B")]), validators=[Optional()])
    share = PercentField("p", validators=[Optional()])


class Tiny(FlaskForm):
    title = StringField("t", validators=[DataRequired(), Length(max=20)])
    body = TextAreaField("b", validators=[Optional(), Length(min=2, max=300)])
    secret = PasswordField("s", validators=[InputRequired()])
    month = StringField("m", validators=[DataRequired(), Regexp(r"\d{4}-\d{2}")])
    kind = SelectField("k", choices=choice_list([("x", "X"), ("y", "Y")]))
    owner_id = SelectField("o", coerce=optional_int, validate_choice=False, validators=[Optional()])
    count = IntegerField("n", validators=[InputRequired(), NumberRange(min=1, max=9)])
    day = DateField("d", validators=[Optional()])
    done = BooleanField("x")
    price = AmountField("a", validators=[InputRequired()])
    weight = QuantityField("q", validators=[Optional()])
    rows = FieldList(FormField(Row), max_entries=3)


def test_every_field_type_and_limit_in_use():
    schema = schema_from_form(Tiny)
    assert schema["required"] == ["title", "secret", "month", "kind", "count", "price"]
    assert schema["properties"] == {
        "title": {"type": "string", "minLength": 1, "maxLength": 20},
        "body": {"type": "string", "minLength": 2, "maxLength": 300},
        "secret": {"type": "string", "minLength": 1},
        "month": {"type": "string", "minLength": 1, "pattern": r"^(?:\d{4}-\d{2})"},  # re.match anchors the start
        "kind": {"enum": ["x", "y"]},
        "owner_id": {"type": ["integer", "null"]},
        "count": {"type": "integer", "minimum": 1, "maximum": 9},
        "day": {"type": "string", "format": "date"},
        "done": {"type": "boolean"},
        "price": AMOUNT_IN,
        "weight": QUANTITY_IN,
        "rows": {
            "type": "array",
            "maxItems": 3,
            "items": {
                "type": "object",
                "properties": {"code": {"enum": ["", "a", "b"]}, "share": PERCENT_IN},
                "required": [],
            },
        },
    }
    api = body_schema(Tiny, {"count": 1})
    assert api["properties"]["owner_id"] == {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID}
    assert "count" not in api["required"] and api["properties"]["count"]["default"] == 1


def test_a_changed_limit_changes_the_schema():
    class Longer(Tiny):
        title = StringField("t", validators=[DataRequired(), Length(max=40)])
        count = IntegerField("n", validators=[Optional(), NumberRange(min=0)])

    schema = schema_from_form(Longer)
    assert schema["properties"]["title"]["maxLength"] == 40
    assert schema["properties"]["count"] == {"type": "integer", "minimum": 0}
    assert "count" not in schema["required"]

    class Target(Tiny):
        amount = AmountField("a", validators=[Optional(), NumberRange(min=0)])

    amount = schema_from_form(Target)["properties"]["amount"]
    assert amount["minimum"] == 0 and amount["description"] == "not negative"


@pytest.mark.parametrize(
    "field",
    [
        StringField("e", validators=[Email()]),  # a limit the document could not state
        DecimalField("d"),  # a field type it does not know
        StringField("r", validators=[Regexp("a", flags=2)]),  # re.IGNORECASE
        AmountField("a", validators=[NumberRange(min=1)]),  # only "not negative" is stated for money
        SelectField("s", coerce=float, validate_choice=False),
    ],
)
def test_what_it_cannot_describe_fails_loudly(field):
    form = type("Unknown", (FlaskForm,), {"field": field})
    with pytest.raises(TypeError):
        schema_from_form(form)


def test_the_document_reads_the_forms_the_routes_validate_with():
    schemas = document()["components"]["schemas"]
    forms = {
        "EntryInput": EntryForm,
        "ProjectInput": ProjectForm,
        "HouseholdInput": HouseholdForm,
        "PlanInput": DistributionForm,
        "Reason": ReasonForm,
        "TokenRequest": LoginForm,
    }
    for name, form in forms.items():
        documented, fields = schemas[name]["properties"], schema_from_form(form)["properties"]
        assert set(documented) - {"village"} == set(fields), name  # `village`: the route's, not the form's
        for field, schema in fields.items():
            for limit in ("maxLength", "minLength", "pattern", "maximum", "maxItems", "format"):
                if limit in schema:
                    assert documented[field][limit] == schema[limit], (name, field, limit)
    plan = schemas["PlanInput"]["properties"]
    assert plan["deductions"]["maxItems"] == MAX_DEDUCTIONS and plan["households"]["maxItems"] == MAX_LISTED_HOUSEHOLDS
    assert schemas["HouseholdInput"]["required"] == ["head_name"]  # the route gives `members` 1
    assert schemas["EntryInput"]["properties"]["household_id"]["maximum"] == MAX_ID


def test_a_limit_changed_in_a_form_changes_the_document(monkeypatch):
    before = document()["components"]["schemas"]["EntryInput"]["properties"]["note"]
    assert before == {"type": "string", "maxLength": 500}
    monkeypatch.setattr(EntryForm, "note", TextAreaField("摘要", validators=[Optional(), Length(max=80)]))
    after = document()["components"]["schemas"]["EntryInput"]["properties"]["note"]
    assert after == {"type": "string", "maxLength": 80}
