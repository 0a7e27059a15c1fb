"""A ledger row's 日期, 月份 and 金额 cells as the accountant sees them in Excel, and the questions
they raise (see `cells` for the rules): a month without a day, a month typed as a number that
reads two ways, a formula's third decimal, a format that hides the fen.

One `LedgerCells` per import: it keeps the parsers' memos, what the column's other months say,
and the rows that wait for it.
"""

from collections.abc import Callable
from datetime import date

from flask_babel import gettext as _

from coopapp.core import periods
from coopapp.core.money import ParseError
from coopapp.core.periods import period_of
from coopapp.imports.cells import (
    AmbiguousMonth,
    NeedsYear,
    column_letter,
    excel_fen,
    fen_options,
    month_only,
    month_options,
    row_year,
    settle_month,
    shown_month,
    typed_month,
)
from coopapp.imports.header import Header
from coopapp.imports.parse import Memo, cell_digits, cell_text, parse_amount, parse_date, parse_period
from coopapp.imports.report import ImportReport
from coopapp.imports.xlsx import Figure

# Rows whose rounded formula amount is warned one by one; the rest are counted in one warning.
LISTED_ROUNDINGS = 20


class LedgerCells:
    """Reads the date, month and amount cells of one import's rows. `bad(number, column name, value,
    message)` reports a bad cell."""

    def __init__(self, report: ImportReport, header: Header, bad: Callable):
        self.report, self.header, self.bad = report, header, bad
        date1904, year = report.date1904, header.year

        def day_and_month(raw) -> tuple[date | None, str]:
            if raw.__class__ is str:
                month = month_only(cell_digits(raw), year)
                if month is not None:
                    return None, month
            day = parse_date(raw, date1904)
            return day, period_of(day)

        self.dates, self.periods = Memo(day_and_month), Memo(self._period_of)
        self.title_year = year
        self.amount_unit = header.columns["amount"].unit
        self.wan = "万" in self.amount_unit
        # What the column's months typed as numbers say (cells.settle_month); its month settled.
        self.months_seen: set[str] = set()
        self.month_choice: str | None = None
        self.pending: list[tuple[int, list, object]] = []
        self.rounded = 0
        letter = {name: column_letter(col.index) for name, col in header.columns.items()}
        self.month_key = f"month:{letter.get('period', '')}"
        self.fen_key = f"fen_format:{letter['amount']}"

    def _period_of(self, raw) -> str:
        if raw.__class__ is str:
            month = month_only(cell_digits(raw), self.title_year)  # (9月 under a title naming the year)
            if month is not None:
                return month
        elif isinstance(raw, float):
            month, written = typed_month(raw)
            self.months_seen.add(written)
            return month
        return parse_period(raw, self.report.date1904)

    def date(self, number: int, raw, raw_year) -> tuple[date | None, str | None]:
        """A 日期 cell's date and month; (None, the month) for a month without a day; (None, None)
        with the problem reported."""
        try:
            return self.dates(raw)
        except NeedsYear as exc:
            return None, self._with_year(number, "date", raw, exc, raw_year)
        except ParseError as exc:
            self.bad(number, "date", raw, exc)
        return None, None

    def _with_year(self, number: int, name: str, raw, exc: NeedsYear, raw_year) -> str | None:
        """The month of a cell that gave none of its year (9月), in the row's 年份; None, reported, without one."""
        if raw_year is None:
            self.bad(number, name, raw, exc)
            return None
        year = row_year(raw_year)
        if year is None:
            message = _("年份应为 %(a)s 至 %(b)s 年之间的年份。", a=periods.FIRST_YEAR, b=periods.last_year())
            self.bad(number, "year", raw_year, message)
            return None
        return periods.period(year, exc.month)

    def period(self, number: int, raw, raw_year) -> tuple[str | None, bool]:
        """A 月份 cell's month, and whether the row must wait for the rest of the column (a month
        typed year.1 that neither an answer, nor its number format, nor the column so far settles)."""
        try:
            return self.periods(raw), False
        except NeedsYear as exc:
            return self._with_year(number, "period", raw, exc, raw_year), False
        except AmbiguousMonth as exc:
            choice = self.report.options.answer(self.month_key)
            if choice not in ("1", "10"):
                choice = shown_month(raw) or self.month_choice
            if choice is None:
                return None, True
            return periods.period(exc.year, int(choice)), False
        except ParseError as exc:
            self.bad(number, "period", raw, exc)
        return None, False

    def amount(self, number: int, raw) -> int | None:
        """A 金额 cell in fen, as Excel shows it: a formula's third decimal rounded half up (warned),
        a format that hides the fen asked about; None with the problem reported."""
        try:
            amount = parse_amount(raw, self.amount_unit)
        except ParseError as exc:
            self.bad(number, "amount", raw, exc)
            return None
        if raw.__class__ is not Figure or self.wan:
            return amount
        stored, shown, past_fen = excel_fen(raw, raw.decimals)
        column = self.header.header_text("amount")
        if shown != stored:
            answer = self.report.options.answer(self.fen_key)
            if answer == "shown":
                return shown
            if answer != "stored":
                message = _(
                    "金额列的数字格式不显示分：单元格中是 %(v)s，Excel 显示为 %(s)s。请选择按哪一个导入（整列相同）。",
                    v=f"{stored / 100:,.2f}",
                    s=f"{shown / 100:,.{raw.decimals}f}",
                )
                self.report.ask(self.fen_key, number, column, cell_text(raw), message, fen_options(stored, shown))
        if past_fen and raw.formula:
            self.rounded += 1
            if self.rounded <= LISTED_ROUNDINGS:
                message = _(
                    "公式结果有第三位小数，按 Excel 显示的 %(v)s 元导入（四舍五入到分）。", v=f"{stored / 100:,.2f}"
                )
                self.report.warn(number, column, repr(float(raw)), message)
        return stored

    def wait(self, number: int, values: list, raw) -> None:
        """Keep a row (`raw` its month cell) whose month waits for the rest of its column."""
        self.pending.append((number, values, raw))

    def settle(self) -> list[tuple[int, list]]:
        """At the end of the file: the rows that waited for their month, now that the column settles
        it (`month_choice` set); none, with a question asked, when it does not."""
        if self.rounded > LISTED_ROUNDINGS:
            message = _(
                "另有 %(n)s 行公式结果有第三位小数，已按 Excel 显示的数值导入。", n=self.rounded - LISTED_ROUNDINGS
            )
            self.report.warn(None, self.header.header_text("amount"), None, message)
        if not self.pending:
            return []
        number, _values, raw = self.pending[0]
        column = self.header.header_text("period")
        year = int(raw)
        choice = settle_month(self.months_seen)
        if choice is None:
            message = _(
                "月份 %(v)s 可能是 %(y)s 年 1 月，也可能是 %(y)s 年 10 月（Excel 把 %(y)s.10 存成 %(y)s.1）："
                "请选择本列的读法，或把该列设为文本后重新填写。",
                v=cell_text(raw),
                y=year,
            )
            self.report.ask(self.month_key, number, column, cell_text(raw), message, month_options(year))
            return []
        self.month_choice = choice
        message = _("本列其他月份写作两位（如 %(y)s.11、%(y)s.01），%(y)s.1 按 %(y)s 年 10 月导入。", y=year)
        self.report.warn(number, column, cell_text(raw), message)
        pending, self.pending = self.pending, []
        return [(number, values) for number, values, _raw in pending]
