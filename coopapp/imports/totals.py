"""Stage 2's totals check: a 小计 / 合计 / 总计 row of a ledger against the rows above it.

A total row is checked against the rows its formula counts — a SUBTOTAL (or AGGREGATE leaving
hidden rows out) the visible ones, a SUM every row of its range; a SUM over hidden rows that were
left out is a question (`hidden_sum`), not a guess. A difference is a warning. An .xls workbook
keeps no formula's text (xlrd reads only its value), so its totals are checked against the rows
read: the visible ones, unless hidden rows are included.
"""

from flask_babel import gettext as _

from coopapp.core.money import ParseError, format_yuan
from coopapp.imports.header import Header
from coopapp.imports.parse import cell_text, parse_amount
from coopapp.imports.report import ImportReport
from coopapp.imports.row_kinds import LEVELS
from coopapp.imports.workbook_sheets import counts_visible_only, hidden_rows_counted


class TotalsCheck:
    """Checks 小计 / 合计 / 总计 rows against the sum of the data rows since the previous total of their level."""

    LEVELS = LEVELS

    def __init__(self):
        # One running sum and count of rows without an amount, and the sum of the hidden rows read as
        # data (a SUBTOTAL leaves them out); each level remembers where they stood when it was last
        # closed (a total of a level closes the levels below it too).
        self.total, self.missing, self.hidden = 0, 0, 0
        self.marks = {1: (0, 0, 0), 2: (0, 0, 0), 3: (0, 0, 0)}

    def add(self, amount_fen: int | None) -> None:
        if amount_fen is None:
            self.missing += 1  # the levels open now cannot be checked
        else:
            self.total += amount_fen

    def close(self, label: str, visible_only: bool = False) -> tuple[int, bool]:
        """The sum for a total row of `label` (of the visible rows only, for a SUBTOTAL) and whether it
        can be checked; resets the levels it closes."""
        level = self.LEVELS.get(label, 0)
        if level == 0:
            return 0, False
        total, missing, hidden = self.marks[level]
        result = self.total - total - (self.hidden - hidden if visible_only else 0), self.missing == missing
        for lower in range(1, level + 1):
            self.marks[lower] = (self.total, self.missing, self.hidden)
        return result


def check_total(
    report: ImportReport, header: Header, number: int, cells: tuple, label: str, totals: TotalsCheck
) -> None:
    """Check a totals row's amount against the rows its formula counts (a SUBTOTAL: the visible ones);
    ask whether hidden rows are data when its SUM counts hidden rows that were left out."""
    reading, formula = report.reading, None
    if reading is not None and reading.sums:
        formula = reading.sums.get(number, {}).get(header.columns["amount"].index)
    expected, checkable = totals.close(label, formula is not None and counts_visible_only(formula))
    raw = header.value(cells, "amount")
    column = header.header_text("amount")
    if formula is not None and not reading.include_hidden:
        left_out = hidden_rows_counted(formula, reading.hidden_rows)
        if left_out:
            hidden_sum(report, number, column, cell_text(raw), left_out)
            return
    if raw is None or not checkable:
        return
    try:
        stated = parse_amount(raw, header.columns["amount"].unit)
    except ParseError as exc:
        report.warn(number, column, cell_text(raw), _("合计行金额无法识别：%(e)s", e=str(exc)))
        return
    if stated != expected:
        report.warn(
            number,
            column,
            cell_text(raw),
            _(
                "%(label)s %(stated)s 元与上方各行之和 %(sum)s 元不符。",
                label=label,
                stated=format_yuan(stated),
                sum=format_yuan(expected),
            ),
        )


def hidden_sum(report: ImportReport, number: int, column: str, value: str, left_out: list[int]) -> None:
    """A total whose SUM counts hidden rows left out: a question, until answered "exclude"."""
    rows = "、".join(str(n) for n in left_out[:10]) + ("…" if len(left_out) > 10 else "")
    if report.options.answer("hidden_sum") == "exclude":
        report.warn(
            number, column, value, _("合计公式包括隐藏的第 %(rows)s 行，这些行没有导入，合计未核对。", rows=rows)
        )
        return
    message = _("合计公式（SUM）包括隐藏的第 %(rows)s 行：隐藏的行是否导入？", rows=rows)
    options = [("include", _("导入隐藏的行")), ("exclude", _("不导入隐藏的行"))]
    report.ask("hidden_sum", number, column, value, message, options)
