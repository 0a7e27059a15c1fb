"""National codes: area codes (统计用区划代码), ID numbers (GB 11643) and credit codes (GB 32100)."""

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from coopapp.core.text import DigitError, ascii_digits
from coopapp.errors import Invalid

_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


# The canonical length of each level's code: the county's 6 digits, a town's 9, a village's 12
# (NBS), a village group's 15 (its village's code and a 3-digit number of the county's own).
AREA_CODE_LEVELS = {6: "county", 9: "town", 12: "village", 15: "group"}
AREA_CODE_LENGTH = {level: n for n, level in AREA_CODE_LEVELS.items()}


def _code_text(value) -> str:
    """The digits of a code cell: an int or an integral float/Decimal (Excel turned the code
    into a number) is read by its value; text is trimmed, a trailing ".0" dropped."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        try:
            number = Decimal(value)
        except (InvalidOperation, ValueError):
            return str(value)
        return str(int(number)) if number == number.to_integral_value() else str(value)
    text = str(value or "").strip().replace(" ", "")
    if re.fullmatch(r"[0-9]+\.0*", text):
        text = text.split(".")[0]
    return text


def canonical_area_code(value, field: str = "code") -> str:
    """The canonical code of an area: 6, 9, 12 or 15 digits.

    The zero-padded 12-digit forms NBS tables use for a county or a town are accepted and
    shortened (441323000000 → 441323, 441323110000 → 441323110). Raises `Invalid` naming
    `field` for letters, a wrong length or a number shown in scientific notation.
    """
    try:
        text = ascii_digits(_code_text(value), _("区域代码"))
    except DigitError as exc:
        raise Invalid(str(exc), {field: str(exc)}) from None
    if re.fullmatch(r"[0-9]+(\.[0-9]+)?[eE][+-]?[0-9]+", text):
        raise Invalid(
            _("区域代码被显示成了科学计数法：%(c)s，请把该列设为文本后重新填写。", c=text),
            {field: _("区域代码被显示成了科学计数法：%(c)s", c=text)},
        )
    if not text.isascii() or not text.isdigit():
        message = _("区域代码只能是数字：%(c)s", c=text) if text else _("请填写区域代码。")
        raise Invalid(message, {field: message})
    if len(text) == 12 and text.endswith("000"):
        text = text[:6] if text.endswith("000000") else text[:9]
    if len(text) not in AREA_CODE_LEVELS:
        message = _("区域代码应为 6、9、12 或 15 位数字：%(c)s（%(n)s 位）", c=text, n=len(text))
        raise Invalid(message, {field: message})
    return text


def area_level(code: str) -> str:
    """The level a canonical code implies: county, town, village or group."""
    return AREA_CODE_LEVELS[len(code)]


def parent_area_code(code: str) -> str | None:
    """The canonical code of the area a canonical code lies in (None for a county)."""
    return {9: code[:6], 12: code[:9], 15: code[:12]}.get(len(code))


def id_number_check_digit(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def valid_id_number(value: str) -> bool:
    """An 18-character resident ID number with a correct check character."""
    value = (value or "").strip().upper()
    if not re.fullmatch(r"[0-9]{17}[0-9X]", value):
        return False
    return id_number_check_digit(value[:17]) == value[17]


def credit_code_check_char(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def clean_credit_code(value: str | None) -> str:
    """A credit code as typed or copied from the licence: full-width characters made ASCII,
    spaces and hyphens (9344 1323 MA4W…) dropped, upper case."""
    text = unicodedata.normalize("NFKC", value or "")
    return re.sub(r"[\s\-]+", "", text).upper()


def credit_code_problem(value: str) -> str | None:
    """What is wrong with a cleaned credit code (`clean_credit_code`), in words, or None."""
    if len(value) != 18:
        return _("统一社会信用代码应为 18 位，这里是 %(n)s 位。", n=len(value))
    wrong = sorted({c for c in value if c not in _USCC_CHARS})
    if wrong:
        return _("统一社会信用代码不能含有“%(c)s”（代码中没有 I、O、Z、S、V 这几个字母）。", c="、".join(wrong))
    if credit_code_check_char(value[:17]) != value[17]:
        return _("统一社会信用代码的校验码不符：有一位抄错了，请对照营业执照逐位核对。")
    return None


def valid_credit_code(value: str) -> bool:
    """An 18-character unified social credit code with a correct check character."""
    value = (value or "").strip().upper()
    if len(value) != 18 or any(c not in _USCC_CHARS for c in value):
        return False
    return credit_code_check_char(value[:17]) == value[17]


def mask_id_number(value: str | None) -> str:
    """441323199001011234 → 4413**********1234."""
    if not value:
        return ""
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str:
    """13812345678 → 138****5678."""
    if not value:
        return ""
    return value[:3] + "*" * max(len(value) - 7, 0) + value[-4:] if len(value) > 7 else "***"


def mask_name(value: str | None) -> str:
    """张三丰 → 张*丰, 张三 → 张*, 欧阳小明 → 欧**明."""
    if not value:
        return ""
    if len(value) == 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]
