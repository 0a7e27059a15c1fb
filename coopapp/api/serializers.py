"""Turn domain objects and service rows into JSON: money as yuan strings, never floats.

`jsonable` is the one generic rule: every int amount in fen gets a yuan-string twin, named
by `reporting.metric_table.yuan_twin` (`collective_income_fen` → `collective_income`),
Decimals become strings, dates ISO 8601 (timestamps are UTC, marked `Z`).
"""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from operator import itemgetter

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
_CENTS = tuple(f".{fen:02d}" for fen in range(100))  # the fen of a yuan string
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
        if len(value) >= _TABLE_ROWS:
            table = _table(value)
            if table is not None:
                return table
        return [_record(item) if type(item) is dict else jsonable(item) for item in value]
    return _jsonable(value)


# From how many dicts a list is tried as a table (`_table`); below it row by row costs less.
_TABLE_ROWS = 16
_NONE = type(None)
_PLAIN_TYPES = frozenset(_PLAIN)
_AMOUNT_TYPES = frozenset((int, _NONE))
_SCALAR_TYPES = frozenset((*_PLAIN, Decimal))


def _table(rows: list) -> list | None:
    """`jsonable` of a list of dicts with the same keys in the same order (a table's rows, such
    as the comparison's 300 rows × ~95 keys), worked out column by column: each column's types
    are looked at once, a column of plain values is kept as it is, and only the cells that change
    are converted. The same answer as row by row (`_record`), keys in the same order; None when
    the rows are not of one shape or an amount column holds anything but ints and None (whose
    twins then differ from row to row): the caller goes row by row."""
    first = rows[0]
    keys = tuple(first)
    if len(keys) < 2 or not all(type(row) is dict and tuple(row) == keys for row in rows):
        return None
    out_keys, out_columns = [], []
    for (key, twin), column in zip(_plan(first), zip(*map(itemgetter(*keys), rows), strict=True), strict=True):
        types = set(map(type, column))
        out_keys.append(key)
        if twin is not None:
            if not types <= _AMOUNT_TYPES:
                return None
            out_columns.append(column)
            out_keys.append(twin)
            # fen_to_decimal_string, inline (thousands of these per answer): whole yuan, then the
            # fen as one of 100 ready-made ".00"…".99" (twice as fast as %-formatting both).
            out_columns.append(
                [
                    None
                    if fen is None
                    else str(fen // 100) + _CENTS[fen % 100]
                    if fen >= 0
                    else fen_to_decimal_string(fen)
                    for fen in column
                ]
            )
        elif types <= _PLAIN_TYPES:
            out_columns.append(column)
        elif types <= _SCALAR_TYPES:
            out_columns.append(_decimal_column(column))
        elif types == {list}:
            out_columns.append(_nested(column))
        else:
            out_columns.append([item if type(item) in _PLAIN else jsonable(item) for item in column])
    return [dict(zip(out_keys, values, strict=True)) for values in zip(*out_columns, strict=True)]


def _decimal_column(column: tuple) -> list:
    """`decimal_string` of a column's Decimals (the rest kept), inline for the usual values
    (the comparison's ratios: thousands per answer); any other goes to `decimal_string`."""
    out = []
    append = out.append
    for item in column:
        if type(item) is Decimal:
            try:
                text = str(item.quantize(_RATIO_PLACES, ROUND_HALF_UP))
            except InvalidOperation:
                text = "E"
            if "E" in text or "." not in text:
                item = decimal_string(item)
            else:
                text = text.rstrip("0").rstrip(".")
                item = "0" if text == "-0" else text
        append(item)
    return out


def _nested(column: tuple) -> list:
    """`jsonable` of a column of lists (each row's yields): when they hold only dicts, all of
    them at once (as one table when they share a shape), then cut back into the rows' lists."""
    items = [item for cell in column for item in cell]
    if all(type(item) in _PLAIN_TYPES for item in items):  # lists of names (each row's project types)
        return [cell.copy() for cell in column]
    if not all(type(item) is dict for item in items):
        return [jsonable(cell) for cell in column]
    done, out, start = jsonable(items) if items else [], [], 0
    for cell in column:
        end = start + len(cell)
        out.append(done[start:end])
        start = end
    return out


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
                    out[twin] = str(item // 100) + _CENTS[item % 100]
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
            "group": entry.group.code if entry.group_id is not None else None,
            "period": entry.period,
            "date": entry.entry_date,
            "kind": entry.kind,
            "amount_fen": int(entry.amount_fen),
            "quantity": entry.quantity,
            "unit": entry.unit,
            "household_id": entry.household_id,
            "note": entry.note or "",
            "category": entry.category,
            "payment_method": entry.payment_method,
            "payee": entry.payee,
            "status": entry.status,
            "return_reason": entry.return_reason,
            "reverses_id": entry.reverses_id,
            "reversal_reason": entry.reversal_reason,
            "reversed_by_id": reversed_by_id,
            "created_by": entry.created_by.username if entry.created_by else None,
            "created_by_name": entry.created_by.shown_name if entry.created_by else None,
            "created_at": entry.created_at,
            "reviewed_at": entry.reviewed_at,
            "town_reviewed_by": entry.town_reviewed_by.username if entry.town_reviewed_by else None,
            "town_reviewed_at": entry.town_reviewed_at,
            "returned_by_town": entry.returned_by_town,
            "voucher_no": entry.voucher_no,
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
            "group": project.group.code if project.group_id is not None else None,
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
