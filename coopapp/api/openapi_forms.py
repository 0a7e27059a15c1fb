"""JSON schemas of request bodies, read from the WTForms forms that validate them.

`schema_from_form(FormClass)` turns a form's fields and validators into a JSON schema:
StringField, TextAreaField, PasswordField → string; SelectField → its choices' `enum` (or an
integer when it coerces to int without fixed choices); IntegerField → integer; DateField →
date; BooleanField → boolean; AmountField, QuantityField, PercentField → a string or a number
as people type them; FieldList(FormField(Row)) → an array of Row's schema (`maxItems` from
`max_entries`). Validators: DataRequired / InputRequired → required (and `minLength` 1 on
text), Length → `minLength` / `maxLength`, Regexp → `pattern`, NumberRange → `minimum` /
`maximum`, Optional → not required. A field or validator it does not know raises TypeError, so
a new kind of limit cannot slip past the document unseen.

`body_schema` adds what the API does around the form (`api.common.valid_form`): record ids fit
the INTEGER keys, and the fields a route fills in when absent are not required.
`request_schemas` gives the document the body of every route, from the form it validates with.
"""

import re

from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from coopapp.access.forms import LoginForm, PasswordChangeForm, UserChangeForm, UserForm
from coopapp.api.catalog import HOUSEHOLD_DEFAULTS, PROJECT_DEFAULTS
from coopapp.api.common import MAX_ID, is_record_id
from coopapp.api.distributions import LISTED_WEIGHT
from coopapp.core.forms import (
    AmountField,
    LedgerDate,
    LedgerPeriod,
    PercentField,
    QuantityField,
    ReasonForm,
    optional_int,
)
from coopapp.core.units import ALIASES
from coopapp.distributions.forms import DistributionForm
from coopapp.ledger.forms import CloseMonthForm, EntryForm
from coopapp.villages.forms import CooperativeForm, HouseholdForm, ProjectForm, ProjectTargetForm
from coopapp.villages.party_org_forms import PartyOrgChangeForm, PartyOrgForm, UpgradeForm
from coopapp.villages.party_orgs import MAX_GROUPS

VILLAGE_CODE = {"type": "string", "pattern": r"^[0-9]{12}$", "examples": ["441323110201"]}
# What people type for money: "1,234.50", "1.2万", "１２３" — or a JSON number.
AMOUNT_IN = {"type": ["string", "number"], "examples": ["1500.00", "1.2万"]}
QUANTITY_IN = {"type": ["string", "number"], "examples": ["800", "12.5"]}
PERCENT_IN = {"type": ["string", "number"], "examples": ["15", "12.5%"]}
# Checked before their parent classes (they are StringFields).
_TYPED_TEXT = ((AmountField, AMOUNT_IN), (QuantityField, QUANTITY_IN), (PercentField, PERCENT_IN))
_TEXT = (StringField, TextAreaField, PasswordField)


def _unbound_fields(form_class) -> list:
    """(name, unbound field) of a form class in declaration order, as WTForms binds them."""
    fields = []
    for name in dir(form_class):
        if not name.startswith("_"):
            unbound = getattr(form_class, name)
            if hasattr(unbound, "_formfield"):
                fields.append((name, unbound))
    fields.sort(key=lambda pair: (pair[1].creation_counter, pair[0]))
    return fields


def _choice_values(choices) -> list:
    values = []
    for choice in choices:
        if isinstance(choice, SelectChoice):
            values.append(choice.value)
        elif isinstance(choice, tuple):
            values.append(choice[0])
        elif isinstance(choice, str):
            values.append(choice)
        else:
            raise TypeError(f"choice {choice!r}: fixed (value, label) choices only")
    return values


def _pattern(rule: Regexp) -> str:
    """A Regexp as a JSON-schema pattern (which searches, where WTForms' `re.match` anchors the start)."""
    if rule.regex.flags & ~re.UNICODE:
        raise TypeError(f"Regexp flags of {rule.regex.pattern!r} have no JSON-schema pattern")
    pattern = rule.regex.pattern
    return pattern if pattern.startswith("^") else f"^(?:{pattern})"


def _select(kwargs: dict, required: bool) -> dict:
    coerce = kwargs.get("coerce", str)
    choices = kwargs.get("choices")
    if choices is not None and kwargs.get("validate_choice", True):
        if callable(choices) or isinstance(choices, dict):
            raise TypeError("SelectField: a list of choices only")
        values = [coerce(v) for v in _choice_values(choices)]
        return {"enum": [v for v in values if not (required and v == "")]}
    if coerce is int:
        return {"type": "integer"}
    if coerce is optional_int:
        return {"type": ["integer", "null"]}
    if coerce is str:
        return {"type": "string"}
    raise TypeError(f"SelectField coerce {coerce!r}: int, optional_int or str only")


def _field(unbound) -> tuple[dict, bool]:
    """A field's schema and whether the form requires it."""
    cls, kwargs = unbound.field_class, unbound.kwargs
    if issubclass(cls, FieldList):
        return _list(unbound), False
    validators = list(kwargs.get("validators") or ())
    optional = any(isinstance(v, Optional) for v in validators)
    required = any(isinstance(v, DataRequired | InputRequired) for v in validators)
    if issubclass(cls, SelectField):  # a fixed list of choices must be answered unless Optional
        required = required or (
            kwargs.get("choices") is not None and kwargs.get("validate_choice", True) and not optional
        )
    schema = _base_schema(cls, kwargs, required)
    for rule in validators:
        _apply_rule(schema, rule, cls)
    return schema, required


def _base_schema(cls, kwargs: dict, required: bool) -> dict:
    """The schema of a field's type, before its validators' limits."""
    typed = next((schema for kind, schema in _TYPED_TEXT if issubclass(cls, kind)), None)
    if typed is not None:
        return dict(typed)
    if issubclass(cls, _TEXT):
        return {"type": "string"}
    if issubclass(cls, SelectField):
        return _select(kwargs, required)
    if issubclass(cls, IntegerField):
        return {"type": "integer"}
    if issubclass(cls, DateField):
        if kwargs.get("format", "%Y-%m-%d") not in ("%Y-%m-%d", ["%Y-%m-%d"]):
            raise TypeError(f"DateField format {kwargs['format']!r}: ISO dates only")
        return {"type": "string", "format": "date"}
    if issubclass(cls, BooleanField):
        return {"type": "boolean"}
    raise TypeError(f"no JSON schema for {cls.__name__}")


def _apply_rule(schema: dict, rule, cls) -> None:
    """Add one validator's limit to `schema` (a validator the document cannot state raises)."""
    text = schema.get("type") == "string"
    if isinstance(rule, Optional | InputRequired | DataRequired):
        if text and not isinstance(rule, Optional):
            schema["minLength"] = max(schema.get("minLength", 0), 1)
    elif isinstance(rule, Length) and text:
        if rule.min > 0:
            schema["minLength"] = max(schema.get("minLength", 0), rule.min)
        if rule.max >= 0:
            schema["maxLength"] = rule.max
    elif isinstance(rule, Regexp) and text:
        schema["pattern"] = _pattern(rule)
        if isinstance(rule, LedgerPeriod):
            schema["description"] = "YYYY-MM, a year from 2000 to next year"
    elif isinstance(rule, LedgerDate):
        schema["description"] = "a date from 2000 to next year"
    elif isinstance(rule, NumberRange) and schema.get("type") == "integer":
        if rule.min is not None:
            schema["minimum"] = rule.min
        if rule.max is not None:
            schema["maximum"] = rule.max
    elif isinstance(rule, NumberRange) and issubclass(cls, AmountField) and (rule.min, rule.max) == (0, None):
        schema["minimum"] = 0  # (a JSON number; a typed amount as text is checked by the form)
        schema["description"] = "not negative"
    else:
        raise TypeError(f"no JSON schema for {type(rule).__name__} on {cls.__name__}")


def _list(unbound) -> dict:
    """FieldList(FormField(Row), max_entries=n): an array of Row's schema."""
    (inner,) = unbound.args[:1] or (unbound.kwargs.get("unbound_field"),)
    if not issubclass(inner.field_class, FormField):
        raise TypeError("FieldList of FormField rows only")
    schema = {"type": "array", "items": schema_from_form(inner.args[0])}
    if unbound.kwargs.get("min_entries"):
        schema["minItems"] = unbound.kwargs["min_entries"]
    if unbound.kwargs.get("max_entries") is not None:
        schema["maxItems"] = unbound.kwargs["max_entries"]
    return schema


def schema_from_form(form_class) -> dict:
    """The JSON schema (an object) of the fields and limits of `form_class` (see module docstring)."""
    properties, required = {}, []
    for name, unbound in _unbound_fields(form_class):
        properties[name], needed = _field(unbound)
        if needed:
            required.append(name)
    return {"type": "object", "properties": properties, "required": required}


def _with_record_ids(schema: dict) -> dict:
    """Record ids (`…_id`, see `api.common.is_record_id`) between 1 and MAX_ID, in rows too."""
    for name, prop in schema["properties"].items():
        if prop.get("type") == "array":
            _with_record_ids(prop["items"])
        elif is_record_id(name) and "integer" in (prop.get("type") or ()):
            prop.setdefault("minimum", 1)
            prop.setdefault("maximum", MAX_ID)
    return schema


def body_schema(form_class, defaults: dict | None = None) -> dict:
    """The body the API validates with `form_class`: its schema, record ids in range, and the
    fields the route fills in when absent (`defaults`) not required, with their default."""
    schema = _with_record_ids(schema_from_form(form_class))
    for name, value in (defaults or {}).items():
        schema["properties"][name]["default"] = value
    schema["required"] = [name for name in schema["required"] if name not in (defaults or {})]
    return schema


# ---- the API's bodies -------------------------------------------------------


def _with_village(body: dict) -> dict:
    """A body that may name the village it writes to (`api.common.target_village`), not a form field."""
    village = {**VILLAGE_CODE, "description": "default: the caller's own village"}
    return {**body, "properties": {"village": village, **body["properties"]}}


def _describe(schema: dict, **descriptions: str) -> None:
    """Say what a property means to a client, beside the limits its form gave it."""
    for name, text in descriptions.items():
        schema["properties"][name]["description"] = text


def _row_needs(body: dict, rows: str, name: str) -> None:
    """A field the row form's `validate()` asks of every filled row (the API sends no blank rows)."""
    items = body["properties"][rows]["items"]
    items["required"].append(name)
    prop = items["properties"][name]
    if "enum" in prop:
        prop["enum"] = [value for value in prop["enum"] if value != ""]


def request_schemas() -> dict:
    """The request bodies, read from the forms their routes validate with (on every call, so
    the document follows the forms), with what the routes add around them and examples."""
    project = _with_village(body_schema(ProjectForm, PROJECT_DEFAULTS))
    household = _with_village(body_schema(HouseholdForm, HOUSEHOLD_DEFAULTS))
    target = body_schema(ProjectTargetForm)
    target["examples"] = [{"output": "12万", "collective_income": "3.5万"}]
    coop = body_schema(CooperativeForm)
    _describe(
        coop,
        credit_code="GB 32100, check character verified",
        village="the village's code or name (a name several villages share is refused, listing their codes)",
    )
    party_org, party_org_change = body_schema(PartyOrgForm), body_schema(PartyOrgChangeForm)
    for schema in (party_org, party_org_change):
        # Beside the form: the groups a joint branch covers (the route reads them, the operation checks them).
        schema["properties"]["groups"] = {
            "type": "array",
            "items": {"type": "string", "maxLength": 20},
            "maxItems": MAX_GROUPS,
            "description": "joint_branch only: the codes of the village groups it covers (2 or more)",
        }
        _describe(schema, area="the code or name of the village or village group it is attached to")
    party_org["examples"] = [
        {"name": "中洞村党支部", "kind": "branch", "area": "441323110201", "founded": "2004-07-01"}
    ]
    party_org_change["description"] = "a field left out stays as it is; the kind changes by an upgrade"
    party_org_change["examples"] = [{"name": "中洞村党总支"}]
    upgrade = body_schema(UpgradeForm)
    upgrade["examples"] = [{"kind": "general_branch", "date": "2021-06-30"}]
    coop["examples"] = [{"name": "中洞养蜂专业合作社", "credit_code": "93441323MA4X0B2L6P", "village": "441323110201"}]
    _describe(household, id_number="GB 11643, checksum verified")
    entry = body_schema(EntryForm)
    # The API takes a unit as people write it (斤, 度, 千克) and maps it to the form's codes first.
    entry["properties"]["unit"]["enum"] = sorted({*entry["properties"]["unit"]["enum"], *ALIASES})
    _describe(
        entry,
        unit="a code or as written: 斤, 度, 千克…",
        category="spending kinds only: one of the county's categories (GET /api/v1/settings)",
        payee="spending kinds only",
    )
    plan = body_schema(DistributionForm)
    _row_needs(plan, "deductions", "kind")
    _row_needs(plan, "households", "household_id")
    plan["properties"]["households"]["items"]["properties"]["weight"]["default"] = LISTED_WEIGHT
    _describe(plan, households="basis `fixed`: the listed households and their weights (default 1)")
    _describe(plan["properties"]["deductions"]["items"], percent='percent of what is left, e.g. 15 or "12.5%"')
    reason, token = body_schema(ReasonForm), body_schema(LoginForm)
    close_month, reopen = _with_village(body_schema(CloseMonthForm)), _with_village(body_schema(ReasonForm))
    close_month["examples"] = [{"period": "2025-03", "village": "441323110201"}]
    reopen["examples"] = [{"reason": "漏记三月电费，须补登", "village": "441323110201"}]
    # Examples: shown by viewers, and the fuzz's first, valid call of each operation.
    entry["examples"] = [
        {
            "project_id": 1,
            "period": "2025-03",
            "kind": "output",
            "amount": "1.2万",
            "quantity": "800",
            "unit": "斤",
            "note": "三月蜂蜜",
        }
    ]
    project["examples"] = [{"name": "光伏电站二期", "type": "photovoltaic", "capacity": "120", "capacity_unit": "kW"}]
    household["examples"] = [{"head_name": "陈七", "members": 4, "phone": "13800000007", "formerly_poor": True}]
    plan["examples"] = [
        {
            "project_id": 1,
            "period": "2025-12",
            "pool": "30000",
            "basis": "equal",
            "deductions": [{"kind": "maintenance", "percent": "10"}],
        }
    ]
    reason["examples"] = [{"reason": "金额与发票不符"}]
    token["examples"] = [{"username": "zhongdong.accountant", "password": "…"}]
    password = body_schema(PasswordChangeForm)
    password["examples"] = [{"current_password": "kmtp-4827-xwha", "new_password": "my-own-pass-1"}]
    new_user = body_schema(UserForm)
    _describe(
        new_user,
        role="a code or its Chinese name: 会计, 书记, 审核员, 管理员…",
        area="the code or name of the area of the scope",
    )
    new_user["examples"] = [
        {"username": "ganxi.accountant", "display_name": "李会计", "role": "会计", "area": "441323110202"}
    ]
    change = body_schema(UserChangeForm)
    change["properties"]["active"] = {"type": "boolean", "description": "false deactivates, true re-activates"}
    change["examples"] = [{"display_name": "李会计", "phone": "138 0000 0000"}]
    return {
        "ProjectInput": project,
        "ProjectTargetInput": target,
        "CooperativeInput": coop,
        "PartyOrgInput": party_org,
        "PartyOrgChange": party_org_change,
        "UpgradeInput": upgrade,
        "HouseholdInput": household,
        "EntryInput": entry,
        "Reason": reason,
        "CloseMonthInput": close_month,
        "ReopenInput": reopen,
        "TokenRequest": token,
        "PasswordChangeInput": password,
        "UserInput": new_user,
        "UserChange": change,
        "PlanInput": plan,
    }
