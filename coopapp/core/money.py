"""Money and quantities at the edges: parse what people type, format what they read.

Inside the app money is always an integer number of fen (分); never a float.
"""

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from coopapp.core.text import foreign_digit

_WAN = Decimal(10_000)
_CENT = Decimal("0.01")
_NUMBER = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_MINUS = ("-", "\u2212")  # the hyphen-minus and the minus sign


class ParseError(ValueError):
    """Text that is not an amount or a quantity; the message is for the user."""


def _normalise(text: str) -> str:
    # A digit that is neither ASCII nor full-width (٢, ², ①) is refused first: NFKC would turn
    # "²" into "2". Then NFKC turns full-width digits, commas and brackets (１，２３４．５０（）) into ASCII.
    bad = foreign_digit(str(text))
    if bad is not None:
        raise ParseError(_l("含有不能识别的数字“%(c)s”：数字请用 0–9（半角或全角）。", c=bad))
    s = unicodedata.normalize("NFKC", str(text)).strip()
    for token in (" ", "\u00a0", ",", "¥", "￥", "RMB", "CNY"):
        s = s.replace(token, "")
    return s


def _split_sign(s: str) -> tuple[bool, str]:
    """A normalised number's sign and the rest: a leading minus (-, − U+2212; NFKC has made the
    full-width － and the small ﹣ a "-"), accounting parentheses (1,500.00), a trailing minus 1500-
    (as some accounting software exports), or a leading +. One notation at most: what is left must
    be a plain number, so "(-5)" or "--5" is refused, not read as 5."""
    if len(s) > 1 and s[0] == "(" and s[-1] == ")":
        return True, s[1:-1]
    if s[:1] in _MINUS:
        return True, s[1:]
    if s[:1] == "+":
        return False, s[1:]
    if len(s) > 1 and s[-1] in _MINUS:
        return True, s[:-1]
    return False, s


def parse_yuan(text, *, scale_wan: bool = False) -> int:
    """Parse a yuan amount into fen.

    Accepts 1,234.50 · １２３４ · 1.2万 · 12元 · ￥12, and a negative one (a red entry) as -5 · −5 ·
    －5 · (5) · 5- · -5元 · -0.15万 (`_split_sign`); `scale_wan` treats a bare number as 万元 (for
    headers such as 金额（万元）). More than two decimals of yuan is refused rather than silently
    rounded. Whether a negative amount is allowed is the ledger's rule, not the parser's.
    """
    if text is None or str(text).strip() == "":
        raise ParseError(_l("请填写金额"))
    negative, s = _split_sign(_normalise(text))
    if s.endswith("元"):
        s = s[:-1]
    multiplier = Decimal(1)
    if s.endswith("万元"):
        s, multiplier = s[:-2], _WAN
    elif s.endswith("万"):
        s, multiplier = s[:-1], _WAN
    elif scale_wan:
        multiplier = _WAN
    if not _NUMBER.match(s):
        raise ParseError(_l("金额格式不对：“%(text)s”（例：1,234.50 或 1.2万）", text=str(text)))
    try:
        yuan = Decimal(s) * multiplier
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
        raise ParseError(_l("金额格式不对")) from exc
    fen = yuan * 100
    if fen != fen.to_integral_value():
        raise ParseError(_l("金额最多精确到分（两位小数）：“%(text)s”", text=str(text)))
    if fen > Decimal(10) ** 15:
        raise ParseError(_l("金额过大：“%(text)s”", text=str(text)))
    return -int(fen) if negative else int(fen)


def fen_to_decimal_string(fen: int) -> str:
    """1500000 fen → "15000.00" (the API's money string)."""
    digits = str(abs(int(fen))).rjust(3, "0")  # string slicing: the API writes thousands of these
    return f"{'-' if fen < 0 else ''}{digits[:-2]}.{digits[-2:]}"


def plain_yuan(fen: int | None) -> str:
    """Fen as a plain yuan number for a form field: 10000000 → "100000", 12345 → "123.45"."""
    if fen is None:
        return ""
    text = fen_to_decimal_string(fen)
    return text[:-3] if text.endswith(".00") else text


def yuan_decimal(fen: int | None) -> Decimal | None:
    """1234550 fen → Decimal("12345.50"): yuan with two places, for a spreadsheet's numeric cell."""
    return None if fen is None else (Decimal(int(fen)) / 100).quantize(_CENT)


def format_yuan(fen: int | None) -> str:
    """1234550 fen → "12,345.50" for pages."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def format_wan(fen: int | None) -> str:
    """Large amounts the Chinese way: 1,500,000 元 → "150.00万"."""
    if fen is None:
        return ""
    if abs(fen) < 10_000 * 100:
        return format_yuan(fen)
    wan = (Decimal(int(fen)) / Decimal(1_000_000)).quantize(_CENT, ROUND_HALF_UP)
    return f"{wan:,}万"


def parse_decimal(text) -> Decimal:
    """Parse a plain quantity (full-width digits and thousands separators allowed); negative in the
    notations of an amount (`_split_sign`: -5 · −5 · (5) · 5-)."""
    negative, s = _split_sign(_normalise(text))
    sign = Decimal(-1) if negative else Decimal(1)
    if not _NUMBER.match(s):
        raise ParseError(_l("数量格式不对：“%(text)s”", text=str(text)))
    return sign * Decimal(s)


def median_fen(values: list[int]) -> int:
    """The median of ascending fen amounts; for an even count the mean of the two middle
    values rounded half up to the fen; 0 for no values (like the mean). Also given just the
    middle one or two values (what `town_medians` fetches)."""
    n = len(values)
    if not n:
        return 0
    if n % 2:
        return values[n // 2]
    a, b = values[n // 2 - 1], values[n // 2]
    return int((Decimal(a + b) / 2).to_integral_value(ROUND_HALF_UP))
