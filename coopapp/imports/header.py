"""Stage 2's header: the row of a table whose cells name its columns, and the columns it names.

A header is the first row near the top of the sheet with at least two names an importer knows
(its aliases: 日期, 类别, 金额 … for the ledger, 户主, 人口 … for a roster); the rows above it are
the title and unit rows, whose one year, if they name one, dates a 日期 written 9月.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask_babel import gettext as _

from coopapp.imports.cells import cell_problems, title_year
from coopapp.imports.parse import ImportFileError, cell_text, squash

# How far down the header may sit under title and unit rows.
HEADER_SEARCH_ROWS = 30
_BRACKETED = re.compile(r"^(.*?)\((.*)\)$")


# What a report calls a column the file does not have (e.g. 户主 for a payout row).
COLUMN_NAMES = {
    "date": "日期",
    "period": "月份",
    "note": "摘要",
    "kind": "类别",
    "quantity": "数量",
    "unit": "单位",
    "amount": "金额",
    "household": "户主",
    "category": "明细科目",
    "payment_method": "支付方式",
    "payee": "收款人",
    "head_name": "户主",
    "members": "人口",
    "group": "村民小组",
    "phone": "电话",
    "id_number": "身份证号码",
    "formerly_poor": "脱贫户",
    "monitored": "监测户",
}


@dataclass
class Column:
    """A recognised column: the field it fills, its header as written, a unit found in the header."""

    index: int
    field: str
    header: str
    unit: str = ""


@dataclass
class Header:
    """The header row's number and its recognised columns; `year`: the one year the title rows
    above it name ("2025年蜂蜜台账"), if they name exactly one."""

    row: int
    columns: dict[str, Column] = field(default_factory=dict)
    year: int | None = None

    def has(self, name: str) -> bool:
        return name in self.columns

    def value(self, cells: tuple, name: str):
        col = self.columns.get(name)
        if col is None or col.index >= len(cells):
            return None
        value = cells[col.index]
        return None if isinstance(value, str) and not value.strip() else value

    def values(self, cells: tuple) -> dict:
        """Every recognised column's value in the row (None for a blank or missing cell), in one pass."""
        out, count = {}, len(cells)
        for name, col in self.columns.items():
            value = cells[col.index] if col.index < count else None
            if value.__class__ is str and not value.strip():
                value = None
            out[name] = value
        return out

    def header_text(self, name: str) -> str:
        col = self.columns.get(name)
        return col.header if col else COLUMN_NAMES.get(name, name)


def match_header(cells: tuple, aliases: dict[str, str], hidden=None) -> dict[str, Column]:
    """The recognised columns of a row: the first occurrence of each field wins, except that a
    visible column wins over a hidden one (`hidden(index)`: is the column hidden?), e.g. a new 金额
    beside the old one the accountant hid."""
    found: dict[str, Column] = {}
    hidden_found: set[str] = set()
    for index, cell in enumerate(cells):
        if not isinstance(cell, str) or not cell.strip():
            continue
        text = squash(cell)
        unit = ""
        name = aliases.get(text)
        if name is None:
            bracketed = _BRACKETED.match(text)
            if bracketed:
                name, unit = aliases.get(bracketed.group(1)), bracketed.group(2)
        if name is None or name in found and name not in hidden_found:
            continue
        is_hidden = hidden is not None and hidden(index)
        if name not in found or not is_hidden:
            found[name] = Column(index, name, str(cell).strip(), unit)
            if is_hidden:
                hidden_found.add(name)
            else:
                hidden_found.discard(name)
    return found


class NoHeader(ImportFileError):
    """No row near the top of the sheet is a header the importer knows."""


def find_header(rows: Iterator[tuple[int, tuple]], aliases: dict[str, str], report=None) -> Header:
    """Consume title, unit and blank rows up to the header: the first row with ≥ 2 recognised names
    (a visible column wins over a hidden one with the same name: see `match_header`; the hidden
    columns are the report's `reading`'s). The title rows' year, when they name exactly one, is the
    header's `year`."""
    years: set[int] = set()
    for number, cells in rows:
        reading = getattr(report, "reading", None)
        hidden = reading.column_hidden if reading is not None and reading.hidden_columns else None
        columns = match_header(cells, aliases, hidden)
        if len(columns) >= 2:
            return Header(number, columns, years.pop() if len(years) == 1 else None)
        years |= title_year(cells)
        if number >= HEADER_SEARCH_ROWS:
            break
    raise NoHeader(
        _("在前 %(n)s 行中找不到表头（至少要有两个可识别的列名，例如 日期、类别、金额）。", n=HEADER_SEARCH_ROWS)
    )


def unreadable(report, header: Header, number: int, cells: tuple, long_numbers=()) -> bool:
    """Report the cells of the row's recognised columns that cannot be read as Excel shows them (a
    formula never calculated; in `long_numbers` columns a number that lost digits: see
    `cells.cell_problems`); True if there were any."""
    problems = cell_problems(header, cells, long_numbers)
    for name, value, message in problems:
        report.error(number, header.header_text(name), cell_text(value), message)
    return bool(problems)
