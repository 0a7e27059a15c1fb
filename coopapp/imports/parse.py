"""The cells of a row as values: text compared, dates, months, amounts and quantities (stage 3's
parsers, which every importer shares), and the error a file as a whole cannot be read with.

Reading the file is `read`; finding its table is `table` (its header: `header`).
"""

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask_babel import gettext as _

from coopapp.core import periods
from coopapp.core.money import ParseError, parse_decimal, parse_yuan
from coopapp.core.text import digit_message, foreign_digit
from coopapp.imports.cells import excel_fen, typed_month
from coopapp.imports.xlsx import Figure

# re.ASCII: \d is 0–9 only (never ٢ or ²); the text is checked by `_digits` and NFKC'd first.
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$", re.ASCII)
_PERIOD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$", re.ASCII)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$", re.ASCII)
_QUANTITY = re.compile(r"^(\(?[-+−]?[\d.,]+\)?-?)\s*(\D*)$", re.ASCII)
_EXCEL_EPOCH = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)
_PLAIN_YUAN = re.compile(r"^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$", re.ASCII)
_SERIAL = re.compile(r"\d{5}(\.0+)?", re.ASCII)
_SIX_DIGITS = re.compile(r"\d{6}", re.ASCII)
_YEAR_MONTH = re.compile(r"(\d{4})(\d{2})", re.ASCII)


def _digits(value) -> str:
    """A cell's text, NFKC'd and stripped, after refusing a digit that is neither ASCII nor
    full-width (NFKC would turn "²" into "2")."""
    text = str(value)
    if not text.isascii():
        bad = foreign_digit(text)
        if bad is not None:
            raise ParseError(digit_message(bad))
        text = unicodedata.normalize("NFKC", text)
    return text.strip()


def cell_digits(value) -> str:
    """A text cell as the parsers read it: NFKC'd (full-width → ASCII) and stripped; ParseError for a
    digit that is neither ASCII nor full-width (a superscript ² or an Arabic-Indic ٢ is no number)."""
    return _digits(value)


class ImportFileError(Exception):
    """The file as a whole cannot be read (not CSV/XLSX, unreadable, no header)."""


def squash(value) -> str:
    """A cell as comparable text: NFKC (full-width → ASCII), no spaces, lower case."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", "", text).lower()


def cell_text(value) -> str:
    """A cell as the user sees it, for error reports."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d") if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class Memo:
    """A parser that remembers its results for cell values it has seen (dates, kinds and units repeat
    down a ledger); errors are not remembered, so each bad cell is reported in the current language."""

    def __init__(self, parse, limit: int = 8192):
        self.parse, self.limit, self.seen = parse, limit, {}

    def __call__(self, value):
        # A str (every CSV cell) is its own key; any other value is keyed with its type, so that
        # 1, 1.0 and True stay apart. A str never equals such a tuple, so they share one dict.
        key = value if value.__class__ is str else (type(value), value)
        try:
            return self.seen[key]
        except KeyError:
            result = self.parse(value)
            if len(self.seen) < self.limit:
                self.seen[key] = result
            return result


# ---- values ---------------------------------------------------------------------


def parse_date(value, date1904: bool = False) -> date:
    """An Excel date cell, 2025-03-05, 2025/3/5, 2025.3.5, 2025年3月5日, 20250305, or a number taken
    as Excel's serial day (of the workbook's date system: `date1904`) — each a day of the ledger's
    years (periods.is_ledger_date), else refused: a plain number (3.5, 2026.3) is not a date just
    because it is one."""
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, time | timedelta):
        raise ParseError(_("这是一个时间（%(t)s），不是日期（例：2025-03-05）。", t=str(value)))
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return _serial_day(value, date1904)
    else:
        text = _digits(value)
        if _SERIAL.fullmatch(text):
            return _serial_day(float(text), date1904)
        day = _date_text(text)
    problem = periods.date_problem(day)
    if problem is not None:
        raise ParseError(problem)
    return day


def _date_text(text: str) -> date:
    m = _DATE.match(text) or _COMPACT_DATE.match(text)
    if m is None:
        text = text.split(" ")[0]  # "2025-03-05 00:00:00" as CSV writes a datetime
        m = _DATE.match(text)
    if m is None:
        raise ParseError(_("日期格式不对（例：2025-03-05、2025/3/5、2025年3月5日）"))
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError as exc:
        raise ParseError(_("没有这一天")) from exc


def _serial_day(value, date1904: bool) -> date:
    """A number in a date column as Excel's serial day, when that is a day of the ledger's years."""
    try:
        day = excel_serial(value, date1904)
    except ParseError:
        day = None
    if not periods.is_ledger_date(day):
        raise ParseError(_("%(v)s 是一个数字，不是日期：请写成 2025-03-05 这样的日期。", v=cell_text(value))) from None
    return day


def excel_serial(value, date1904: bool = False) -> date:
    """An Excel serial day number as a date (of the 1900 date system, or of 1904's: Mac Excel's)."""
    number = float(value)
    if not 1 <= number < 2_958_466:
        raise ParseError(_("日期格式不对（例：2025-03-05、2025/3/5、2025年3月5日）"))
    return ((_EPOCH_1904 if date1904 else _EXCEL_EPOCH) + timedelta(days=int(number))).date()


def parse_period(value, date1904: bool = False) -> str:
    """2025年9月, 2025-09, 2025/9, 2025.9 or a date cell → "2025-09"; a number 2025.9 or 2025.09
    too, but 2025.1 (also 2025.10 to Excel) is AmbiguousMonth (see `cells.typed_month`)."""
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m")
    if isinstance(value, float):  # 2025.9 or 2025.09 typed into a number cell (2025.1: AmbiguousMonth)
        return typed_month(value)[0]
    text = _digits(value)
    m = _PERIOD.match(text)
    if m is None and _SIX_DIGITS.fullmatch(text):
        m = _YEAR_MONTH.match(text)
    if m is None:
        try:
            return parse_date(value, date1904).strftime("%Y-%m")
        except ParseError:
            raise ParseError(_("月份格式不对（例：2025-09 或 2025年9月）")) from None
    month = int(m.group(2))
    if not 1 <= month <= 12:
        raise ParseError(_("月份格式不对（例：2025-09 或 2025年9月）"))
    return periods.period(int(m.group(1)), month)


def number_text(value) -> str:
    """A numeric cell as text for the money parsers (floats rounded off Excel's binary noise; an
    empty cell is empty text, which the parsers refuse as missing, not as "None")."""
    if value is None:
        return ""
    if isinstance(value, float):
        return format(Decimal(repr(round(value, 6))), "f")
    return str(value)


def parse_amount(value, unit: str = "") -> int:
    """An amount cell in fen; a 万元 header scales bare numbers. A formula's result is taken as Excel
    shows it (`cells.excel_fen`); a third decimal typed is refused."""
    scale_wan = "万" in unit
    if not scale_wan:
        # The common cells ("1,234.50" · 1234.5 · "800") without Decimal; anything else takes the long way.
        if isinstance(value, str):
            m = _PLAIN_YUAN.match(value)
        elif isinstance(value, float):
            if 0 < value < 1e13:  # an Excel number: fen straight away when it has at most two decimals
                rounded = round(value, 6)
                if round(rounded, 2) == rounded:
                    return round(rounded * 100)
            m = _PLAIN_YUAN.match(repr(round(value, 6)))
        else:
            m = None
        if m is not None:
            whole, cents = m.groups()
            if len(whole) <= 17:
                whole = whole.replace(",", "")
                if len(whole) <= 13:
                    return int(whole) * 100 + (int(cents.ljust(2, "0")) if cents else 0)
    if value.__class__ is Figure and value.formula and not scale_wan:
        # A formula's result: what Excel shows (15 significant digits, then half up to the fen).
        value = format(Decimal(excel_fen(value, None)[0]).scaleb(-2), "f")
    try:
        return parse_yuan(number_text(value), scale_wan=scale_wan)
    except ParseError as exc:
        raise ParseError(str(exc)) from None


def parse_quantity(value) -> tuple[Decimal, str]:
    """A quantity cell, possibly with its unit typed after it: 800斤 → (800, "斤")."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Decimal(number_text(value)), ""
    text = _digits(value)
    m = _QUANTITY.match(text)
    if m is None:
        raise ParseError(_("数量格式不对：“%(text)s”", text=str(value)))
    try:
        return parse_decimal(m.group(1).replace("−", "-")), m.group(2).strip()
    except ParseError as exc:
        raise ParseError(str(exc)) from None
