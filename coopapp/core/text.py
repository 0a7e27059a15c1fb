"""Text at the edge: which digits are numbers, which characters a stored text may hold.

One rule for pages, the JSON API and imported files alike:

- digits: ASCII 0–9 and full-width ０–９ become numbers; any other character Unicode calls a
  digit (Arabic-Indic ٢, superscript ², circled ①, mathematical 𝟐 …) is refused with a message.
  The check comes *before* any NFKC normalisation, which would quietly turn "²" into "2".
- text: C0 control characters (a vertical tab pasted from Word, a form feed …), DEL and the C1
  controls are removed on the way in; a multi-line text keeps its tabs and line breaks (a
  vertical tab or form feed becomes a line break), a one-line text turns them into spaces.
  Lone UTF-16 surrogates and the noncharacters U+FFFE/U+FFFF are removed too.
"""

import re

from flask_babel import gettext as _

_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")

# What no stored text keeps: C0 controls but tab and line feed (carriage returns are folded
# first), DEL, C1 controls, lone surrogates and the two noncharacters XML refuses.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# A one-line text: tab, line feed, carriage return, vertical tab and form feed become a space.
_LINE_BREAKS = re.compile("\r\n|[\t\n\r\x0b\x0c]")
_MULTILINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c]")
# Characters XML 1.0 cannot hold at all (an XLSX cell would not open): what an export strips.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_INTEGER = re.compile(r"-?[0-9]{1,100}", re.ASCII)  # a runaway number is still a number; callers bound it


class DigitError(ValueError):
    """A digit that is not ASCII or full-width; the message is for the user."""


def foreign_digit(text: str) -> str | None:
    """The first character of `text` that Unicode counts as a digit but is neither ASCII 0–9 nor
    full-width ０–９ (٢, ², ①, 𝟐 …); None when there is none."""
    for ch in text:
        if ch.isdigit() and not ("0" <= ch <= "9" or "０" <= ch <= "９"):
            return ch
    return None


def digit_message(ch: str, field: str | None = None) -> str:
    """The message refusing the digit `ch` (in `field`, when named)."""
    if field:
        return _("%(f)s含有不能识别的数字“%(c)s”：数字请用 0–9（半角或全角）。", f=field, c=ch)
    return _("含有不能识别的数字“%(c)s”：数字请用 0–9（半角或全角）。", c=ch)


def ascii_digits(text: str, field: str | None = None) -> str:
    """`text` with its full-width digits made ASCII; DigitError (naming `field`) for any other
    Unicode digit. Everything else in `text` is left as it is."""
    text = str(text)
    if text.isascii():
        return text
    bad = foreign_digit(text)
    if bad is not None:
        raise DigitError(digit_message(bad, field))
    return text.translate(_FULL_WIDTH)


def parse_int(text) -> int | None:
    """An integer typed as ASCII or full-width digits (an optional leading minus, at most 100
    digits, spaces around allowed); None for anything else — "²", "٢٠٢٦", "1_000", "+5", "1e3"."""
    if not isinstance(text, str):
        return None
    if not text.isascii():
        if foreign_digit(text) is not None:
            return None
        text = text.translate(_FULL_WIDTH)
    text = text.strip()
    return int(text) if _INTEGER.fullmatch(text) else None


def to_int(text) -> int:
    """`parse_int` that raises ValueError instead of returning None (for Werkzeug's `type=`)."""
    number = parse_int(text)
    if number is None:
        raise ValueError(f"not an integer: {text!r}")
    return number


def clean_text(value, *, multiline: bool = False):
    """`value` without control characters (see the module's docstring); anything not a str is
    returned as it is."""
    if not isinstance(value, str) or value.isprintable():
        return value  # the common case: nothing to remove (isprintable is false for every control)
    if multiline:
        return _CONTROL.sub("", _MULTILINE_BREAKS.sub("\n", value))
    return _CONTROL.sub("", _LINE_BREAKS.sub(" ", value))


def unclean(value, *, multiline: bool = False) -> bool:
    """Does `value` hold a character `clean_text` would change?"""
    return isinstance(value, str) and clean_text(value, multiline=multiline) != value


def xml_text(value: str) -> str:
    """`value` without the characters XML 1.0 cannot hold (what an XLSX cell must not contain)."""
    return value if value.isprintable() else _XML_ILLEGAL.sub("", value)


def has_surrogate(value: str) -> bool:
    """A lone UTF-16 surrogate (JSON's "\\ud800"), which no database or file can store."""
    return _SURROGATE.search(value) is not None
