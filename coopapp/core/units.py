"""Units of quantity: what accountants type, and the base unit stored (the units themselves are
`vocabulary.UNITS`)."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from coopapp.core.money import ParseError
from coopapp.core.vocabulary import UNITS

# A unit as typed, lower-cased (斤, 公斤, kwh, visits…) → its code.
ALIASES = {text.lower(): code for text, code in UNITS.written().items()}
_BY_CODE = {unit.code: unit for unit in UNITS.terms}
_NAMES = "、".join(UNITS.names.values())


def unit_code(text: str) -> str:
    """Resolve a unit as typed (斤, 度, kWh, kg…) to its code."""
    code = ALIASES.get(str(text).strip().lower())
    if code is None:
        raise ParseError(_l("未知单位：“%(text)s”（可用：%(units)s）", text=str(text), units=_NAMES))
    return code


def to_base(quantity: Decimal, unit: str) -> tuple[Decimal, str]:
    """Convert to the base unit: 800 斤 → (400 kg)."""
    unit = _BY_CODE[unit_code(unit)]
    return (Decimal(quantity) * unit.factor, unit.base)
