"""Units of quantity: what accountants type, and the base unit stored."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from coopapp.core.money import ParseError

# code → (base unit, factor to the base unit, label)
UNITS: dict[str, tuple[str, Decimal, str]] = {
    "kg": ("kg", Decimal(1), "千克"),
    "jin": ("kg", Decimal("0.5"), "斤"),
    "hive": ("hive", Decimal(1), "箱"),
    "kWh": ("kWh", Decimal(1), "千瓦时"),
    "du": ("kWh", Decimal(1), "度"),
    "visit": ("visit", Decimal(1), "人次"),
}
ALIASES = {
    "kg": "kg",
    "千克": "kg",
    "公斤": "kg",
    "jin": "jin",
    "斤": "jin",
    "hive": "hive",
    "箱": "hive",
    "kwh": "kWh",
    "千瓦时": "kWh",
    "du": "du",
    "度": "du",
    "visit": "visit",
    "visits": "visit",
    "人次": "visit",
}
BASE_LABELS = {"kg": "千克", "hive": "箱", "kWh": "千瓦时", "visit": "人次"}


def unit_code(text: str) -> str:
    """Resolve a unit as typed (斤, 度, kWh, kg…) to its code."""
    code = ALIASES.get(str(text).strip().lower()) or ALIASES.get(str(text).strip())
    if code is None:
        raise ParseError(_l("未知单位：“%(text)s”（可用：千克、斤、箱、千瓦时、度、人次）", text=str(text)))
    return code


def to_base(quantity: Decimal, unit: str) -> tuple[Decimal, str]:
    """Convert to the base unit: 800 斤 → (400 kg)."""
    base, factor, _label = UNITS[unit_code(unit)]
    return (Decimal(quantity) * factor, base)
