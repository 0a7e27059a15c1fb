"""Turn domain objects and service rows into JSON: money as yuan strings, never floats.

`jsonable` is the one generic rule: every int under a key ending in `_fen` gets a
yuan-string twin without the suffix (`collective_income_fen` → `collective_income`),
Decimals become strings, dates ISO 8601 (timestamps are UTC, marked `Z`).
"""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ..models import Household, LedgerEntry, Project
from ..services.codes import mask_id_number, mask_name, mask_phone
from ..services.money import fen_to_decimal_string

_RATIO_PLACES = Decimal("0.000001")


def decimal_string(value: Decimal) -> str:
    """Decimal('400.000') → "400"; ratios are cut to six places, never to a float."""
    if type(value) is not Decimal:
        value = Decimal(value)
    # Quantizing a value with six places or fewer is exact, and normalize() strips the zeros again.
    try:
        value = value.quantize(_RATIO_PLACES, ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the context holds: nothing to cut
        pass
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


_TWINS: dict[str, str | None] = {}


def _twin_key(key: str) -> str | None:
    """The yuan twin of a fen key: `amount_fen` → `amount`, `yield_fen_per_unit` → `yield_per_unit`."""
    try:
        return _TWINS[key]
    except KeyError:
        pass
    twin = None
    if key.endswith("_fen"):
        twin = key[: -len("_fen")]
    elif "_fen_per_" in key:
        twin = key.replace("_fen_per_", "_per_", 1)
    if len(_TWINS) < 10_000:  # keys are the code's own names; the bound only guards against surprises
        _TWINS[key] = twin
    return twin


_PLAIN = (int, str, bool, type(None))


def jsonable(value):
    """A JSON-safe copy of `value` with the money twins added (see module docstring)."""
    kind = type(value)
    if kind is dict:
        out = {}
        for key, item in value.items():
            item_kind = type(item)
            out[key] = item if item_kind in _PLAIN else jsonable(item)
            twin = _twin_key(key) if type(key) is str else None
            if twin and twin not in value:
                if item is None:
                    out[twin] = None
                elif isinstance(item, int) and not isinstance(item, bool):
                    out[twin] = fen_to_decimal_string(item)
        return out
    if kind is list or kind is tuple:
        return [item if type(item) in _PLAIN else jsonable(item) for item in value]
    if isinstance(value, dict):
        return jsonable(dict(value))
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
            "created_at": entry.created_at,
            "reviewed_at": entry.reviewed_at,
        }
    )


def project_json(project: Project) -> dict:
    """A project with its capacity and annual targets."""
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
            "target_output_fen": project.target_output_fen,
            "target_collective_income_fen": project.target_collective_income_fen,
            "active": bool(project.active),
        }
    )


def household_json(household: Household, private: bool) -> dict:
    """A household; unless `private` (the caller may see the village's private data) masked."""
    name, phone, id_number = household.head_name, household.phone or "", household.id_number or ""
    if not private:
        name, phone, id_number = mask_name(name), mask_phone(phone), mask_id_number(id_number)
    return {
        "id": household.id,
        "village": household.village.code,
        "group": household.group.code if household.group else None,
        "head_name": name,
        "members": household.members,
        "phone": phone or None,
        "id_number": id_number or None,
        "formerly_poor": bool(household.formerly_poor),
        "monitored": bool(household.monitored),
        "masked": not private,
    }
