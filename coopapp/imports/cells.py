"""What a cell means where a number is not plainly what the accountant typed or sees.

- A month typed as a number: 2026.1 and 2026.10 are one number to Excel (`typed_month`).
- A month without a day in a 日期 column: 2025年9月, 2025-09, 2025/9, or 9月 under a title that
  gives the year (`month_only`, `title_year`).
- A formula's amount with a third decimal, or an amount under a format that hides the fen: what
  Excel shows (`excel_fen`).
- A number that lost digits: more than 15 digits typed into a number cell (`lost_digits`).

Each takes a cell's value (and what the reader knows of it: `xlsx.Figure`, `xlsx.NO_VALUE`) and
says what it means, or raises ParseError with the user's words.
"""

import re
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _

from coopapp.core import periods
from coopapp.core.money import ParseError
from coopapp.imports.xlsx import NO_VALUE, Figure

# Digits Excel keeps of a number: past 15, the rest became zeros when it was typed.
EXCEL_DIGITS = 15
_MONTH_ONLY = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$", re.ASCII)
_MONTH_NO_YEAR = re.compile(r"^(\d{1,2})\s*月(份)?$", re.ASCII)
_FULL_WIDTH_DIGITS = {0xFF10 + i: str(i) for i in range(10)}
_TITLE_YEAR = re.compile(r"(?<![0-9])([0-9]{4})\s*年(?!\s*[0-9]{1,2}\s*[-/.月]\s*[0-9]{1,2}\s*日)")


def uncalculated_message() -> str:
    """What is said of a formula cell without a value (see xlsx.NO_VALUE)."""
    return _("公式没有计算结果：请在 Excel 中打开并保存后再导入。")


def is_uncalculated(value) -> bool:
    """Is the cell a formula a program wrote and nothing calculated?"""
    return value is NO_VALUE


# ---- months typed as numbers ---------------------------------------------------------------


class AmbiguousMonth(ParseError):
    """A month typed as a number that reads as January or October (2026.1 is also 2026.10)."""

    def __init__(self, year: int):
        super().__init__(_("%(y)s.1 可能是 %(y)s 年 1 月，也可能是 %(y)s 年 10 月。", y=year))
        self.year = year


# What a month typed as a number says about how its column writes months (see `settle_month`).
PADDED, TWO_DIGITS, ONE_DIGIT = "padded", "two_digits", "one_digit"


def typed_month(value: float) -> tuple[str, str]:
    """A month typed as a number (2026.3, 2026.11, 2026.05) → ("2026-03", how it is written:
    ONE_DIGIT, TWO_DIGITS or PADDED). AmbiguousMonth for 2026.1 (January, or October typed 2026.10),
    ParseError for anything that is not a month."""
    text = f"{value:.2f}"  # (a formula's binary noise rounded off: what Excel shows)
    whole, _point, fraction = text.partition(".")
    if not (whole.isdigit() and len(whole) == 4) or fraction in ("00", ""):
        raise ParseError(_("月份格式不对（例：2025-09 或 2025年9月）"))
    year = int(whole)
    if fraction == "10":
        raise AmbiguousMonth(year)
    if fraction[1] == "0":  # 2026.3: one digit (30 is no month)
        month, written = int(fraction[0]), ONE_DIGIT
    else:
        month, written = int(fraction), PADDED if fraction[0] == "0" else TWO_DIGITS
    if not 1 <= month <= 12:
        raise ParseError(_("月份格式不对（例：2025-09 或 2025年9月）"))
    return periods.period(year, month), written


def shown_month(value) -> str | None:
    """How a number format settles year.1: "1" when it shows one decimal (2026.1), "10" when it
    shows two (2026.10); None for General and formats without decimals (Excel shows 2026.1 either way)."""
    decimals = value.decimals if value.__class__ is Figure else None
    if decimals == 1:
        return "1"
    if decimals is not None and decimals >= 2:
        return "10"
    return None


def settle_month(seen: set[str]) -> str | None:
    """How the other months typed as numbers in the column settle year.1 ("10": October), if they do.

    The rule: a column that pads months (2026.01 … 2026.09) writes January as .01, so .1 is
    October; a column whose other months all have two digits (2026.11, 2026.12) and none one digit
    (2026.3) writes months with two decimals, so .1 is .10, October. One-digit months (2026.3) leave
    it open (that writer types January 2026.1 and October 2026.10, which Excel shows alike)."""
    if PADDED in seen or (TWO_DIGITS in seen and ONE_DIGIT not in seen):
        return "10"
    return None


def month_options(year: int) -> list[tuple[str, str]]:
    """The readings of year.1 a question offers (the answer covers the whole column)."""
    return [
        ("1", _("1 月（%(y)s.1 是 %(y)s 年 1 月）", y=year)),
        ("10", _("10 月（%(y)s.1 是 %(y)s.10，%(y)s 年 10 月）", y=year)),
    ]


# ---- months without a day in a 日期 column ------------------------------------------------


class NeedsYear(ParseError):
    """A month without its year (9月): the year comes from the title or a 年份 column."""

    def __init__(self, month: int):
        super().__init__(_("只有月份没有年份：请写成 2025年9月，或在标题中写明年份（例：2025年台账）。"))
        self.month = month


def month_only(text: str, year: int | None = None) -> str | None:
    """A 日期 cell that names a month but no day (2025年9月, 2025-09, 2025/9; 9月 with `year`)
    → "2025-09"; None when the text is not one. NeedsYear for 9月 without a year."""
    m = _MONTH_ONLY.match(text)
    if m is not None:
        year_typed, month = int(m.group(1)), int(m.group(2))
    else:
        m = _MONTH_NO_YEAR.match(text)
        if m is None:
            return None
        month = int(m.group(1))
        if not 1 <= month <= 12:
            return None
        if year is None:
            raise NeedsYear(month)
        year_typed = year
    if not 1 <= month <= 12:
        raise ParseError(_("月份格式不对（例：2025-09 或 2025年9月）"))
    return periods.period(year_typed, month)


def title_year(cells: tuple) -> set[int]:
    """The ledger years a title row names ("2025年蜂蜜台账", "2025年度", "2025年9月"; not a full date)."""
    years = set()
    for cell in cells:
        if isinstance(cell, str) and "年" in cell:
            text = cell.translate(_FULL_WIDTH_DIGITS)
            years.update(int(y) for y in _TITLE_YEAR.findall(text) if periods.is_ledger_year(int(y)))
    return years


def row_year(value) -> int | None:
    """A 年份 cell (2025, "2025", "2025年") as a ledger year, or None."""
    text = str(int(value)) if isinstance(value, int | float) and not isinstance(value, bool) else str(value)
    text = text.strip().removesuffix("年").removesuffix("度").strip()
    if text.isascii() and text.isdigit() and periods.is_ledger_year(int(text)):
        return int(text)
    return None


# ---- amounts as Excel shows them ------------------------------------------------------------

_FEN = Decimal("0.01")


def excel_fen(value: float, decimals: int | None) -> tuple[int, int, bool]:
    """A number as Excel holds and shows it, in fen: (the stored value — its double rounded to
    Excel's 15 significant digits, then half up to the fen —, what the number format shows — half
    up to its `decimals` when they are fewer than two —, whether the stored value had a digit past
    the fen)."""
    exact = Decimal(f"{value:.{EXCEL_DIGITS}g}")  # 2577.8249999999998 → 2577.825, as Excel does
    stored = exact.quantize(_FEN, rounding=ROUND_HALF_UP)
    shown = stored
    if decimals is not None and decimals < 2:
        shown = exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return int(stored * 100), int(shown * 100), stored != exact


def fen_options(stored: int, shown: int) -> list[tuple[str, str]]:
    """The readings of an amount column whose format hides the fen (the answer covers the column)."""
    return [
        ("stored", _("按单元格中的数值（如 %(v)s）", v=_yuan(stored))),
        ("shown", _("按显示的数值（如 %(v)s）", v=_yuan(shown))),
    ]


def _yuan(fen: int) -> str:
    return f"{Decimal(fen).scaleb(-2):,.2f}"


# ---- numbers that lost digits ---------------------------------------------------------------


def lost_digits(value) -> bool:
    """Is the cell a number of more than 15 digits (an ID number or a long code typed into a number
    cell: Excel kept 15 significant digits and made the rest zeros)? Text never is."""
    if value.__class__ is int:
        return len(str(abs(value))) > EXCEL_DIGITS
    if isinstance(value, float):
        return abs(value) >= 10**EXCEL_DIGITS
    return False


def lost_digits_message() -> str:
    """What is said of a number that lost digits."""
    return _("数字超过 15 位，Excel 已把后面的位数变成 0：请把该列设为文本格式后重新填写。")


# ---- a row's cells ---------------------------------------------------------------------------


def cell_problems(header, cells: tuple, long_numbers=()) -> list[tuple[str, object, str]]:
    """(column name, value, message) for each cell of a recognised column that cannot be read as the
    accountant sees it: a formula never calculated, or, in the `long_numbers` columns (ID numbers,
    phones, codes), a number that lost digits. Unread columns are not looked at."""
    problems = []
    for name, column in header.columns.items():
        value = cells[column.index] if column.index < len(cells) else None
        if value is NO_VALUE:
            problems.append((name, value, uncalculated_message()))
        elif name in long_numbers and lost_digits(value):
            problems.append((name, value, lost_digits_message()))
    return problems


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: a column as Excel names it (question keys: "month:B")."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
