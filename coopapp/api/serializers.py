"""Turn domain objects and service rows into JSON: money as yuan strings, never floats.

`jsonable` is the one generic rule: every int amount in fen gets a yuan-string twin, named
by `reporting.metric_table.yuan_twin` (`collective_income_fen` → `collective_income`),
Decimals become strings, dates ISO 8601 (timestamps are UTC, marked `Z`).
"""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from coopapp.core.money import fen_to_decimal_string
from coopapp.ledger.operations import today
from coopapp.models import Household, LedgerEntry, Project, ProjectTarget
from coopapp.reporting.metric_table import yuan_twin
from coopapp.villages.privacy import Privacy

_RATIO_PLACES = Decimal("0.000001")


def decimal_string(value: Decimal) -> str:
    """Decimal('400.000') → "400"; ratios are cut to six places, never to a float."""
    if type(value) is not Decimal:
        value = Decimal(value)
    # Quantizing a value with six places or fewer is exact; the zeros it adds are cut again.
    try:
        text = str(value.quantize(_RATIO_PLACES, ROUND_HALF_UP))
    except InvalidOperation:  # more digits than the context holds: nothing to cut
        text = format(value.normalize(), "f")
    else:
        if "E" in text:  # str() chose an exponent (a huge value): write it out in full
            text = format(value.quantize(_RATIO_PLACES, ROUND_HALF_UP).normalize(), "f")
        elif "." in text:
            text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


_TWINS: dict[str, str | None] = {}


def _twin_key(key: str) -> str | None:
    """The yuan twin of a fen key (`metric_table.yuan_twin`), remembered."""
    try:
        return _TWINS[key]
    except KeyError:
        pass
    twin = yuan_twin(key)
    if len(_TWINS) < 10_000:  # keys are the code's own names; the bound only guards against surprises
        _TWINS[key] = twin
    return twin


_PLAIN = (int, str, bool, type(None))
# A dict's keys (in order) → (key, its twin or None) for each: records of one shape (a table's
# rows) share one plan, so the twin rule is not worked out again for every row.
_PLANS: dict[tuple, tuple] = {}


def _plan(value: dict) -> tuple:
    keys = tuple(value)
    plan = _PLANS.get(keys)
    if plan is None:
        plan = tuple((k, _twin_key(k) if type(k) is str else None) for k in keys)
        plan = tuple((k, t if t not in value else None) for k, t in plan)
        if len(_PLANS) < 1_000:
            _PLANS[keys] = plan
    return plan


def jsonable(value):
    """A JSON-safe copy of `value` with the money twins added (see module docstring)."""
    kind = type(value)
    if kind is dict:
        return _record(value)
    if kind is list and value and type(value[0]) is dict:
        return [_record(item) if type(item) is dict else jsonable(item) for item in value]
    return _jsonable(value)


def _record(value: dict) -> dict:
    """`jsonable` of one dict (hot: the comparison's 300 rows × 65 keys go through here)."""
    out = {}
    for key, twin in _plan(value):
        item = value[key]
        kind = type(item)
        if kind is int:
            out[key] = item
            if twin is not None:
                if item >= 0:  # fen_to_decimal_string, inline: thousands of these per answer
                    digits = str(item).rjust(3, "0")
                    out[twin] = f"{digits[:-2]}.{digits[-2:]}"
                else:
                    out[twin] = fen_to_decimal_string(item)
        elif kind is str or kind is bool:
            out[key] = item
        elif item is None:
            out[key] = None
            if twin is not None:
                out[twin] = None
        elif kind is Decimal:
            out[key] = decimal_string(item)
        else:
            out[key] = jsonable(item)
            if twin is not None and isinstance(item, int) and not isinstance(item, bool):
                out[twin] = fen_to_decimal_string(item)  # an int subclass
    return out


def _jsonable(value):
    """`jsonable` of anything but a dict or a list of dicts."""
    if type(value) in (list, tuple):
        return [item if type(item) in _PLAIN else jsonable(item) for item in value]
    if isinstance(value, dict):
        return _record(dict(value))
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, Decimal):
        return decimal_string(value)
    if isinstance(value, float):  # never produced on purpose; keep it exact-looking, not a float
        return decimal_string(Decimal(str(value)))
    if isinstance(value, datetime):
        return value.isoformat() + ("Z" if value.tzinfo is None else "")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def entry_json(entry: LedgerEntry, reversed_by_id: int | None = None) -> dict:
    """A ledger entry as the API shows it."""
    return jsonable(
        {
            "id": entry.id,
            "project_id": entry.project_id,
            "village": entry.village.code,
            "period": entry.period,
            "date": entry.entry_date,
            "kind": entry.kind,
            "amount_fen": int(entry.amount_fen),
            "quantity": entry.quantity,
            "unit": entry.unit,
            "household_id": entry.household_id,
            "note": entry.note or "",
            "status": entry.status,
            "return_reason": entry.return_reason,
            "reverses_id": entry.reverses_id,
            "reversal_reason": entry.reversal_reason,
            "reversed_by_id": reversed_by_id,
            "created_by": entry.created_by.username if entry.created_by else None,
            "created_by_name": entry.created_by.shown_name if entry.created_by else None,
            "created_at": entry.created_at,
            "reviewed_at": entry.reviewed_at,
        }
    )


def project_target_json(year: int, target: ProjectTarget | None) -> dict:
    """A project's targets for `year` (None each when it has none)."""
    output, income = (target.output_fen, target.collective_income_fen) if target else (None, None)
    return jsonable({"year": year, "output_fen": output, "collective_income_fen": income})


def project_json(project: Project) -> dict:
    """A project with its capacity, this year's targets and every year's (`targets`)."""
    this_year = project.target_for(today().year)
    return jsonable(
        {
            "id": project.id,
            "name": project.name,
            "type": project.type,
            "village": project.village.code,
            "village_name": project.village.name,
            "cooperative_id": project.cooperative_id,
            "cooperative": project.cooperative.name if project.cooperative else None,
            "capacity": project.capacity,
            "capacity_unit": project.capacity_unit,
            "target_output_fen": this_year.output_fen if this_year else None,
            "target_collective_income_fen": this_year.collective_income_fen if this_year else None,
            "targets": [project_target_json(t.year, t) for t in project.targets],
            "active": bool(project.active),
        }
    )


def household_json(household: Household, privacy: Privacy) -> dict:
    """A household as `privacy` shows it; `masked` says whether its ID number and phone are masked."""
    return {
        "id": household.id,
        "village": household.village.code,
        "group": household.group.code if household.group else None,
        "head_name": privacy.name(household.head_name),
        "members": household.members,
        "phone": privacy.phone(household.phone) or None,
        "id_number": privacy.id_number(household.id_number) or None,
        "formerly_poor": bool(household.formerly_poor),
        "monitored": bool(household.monitored),
        "masked": not privacy.identity,
    }
