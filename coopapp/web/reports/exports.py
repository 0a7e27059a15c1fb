"""The comparison table as CSV (UTF-8 with BOM, for Excel) and XLSX (real numbers, formats).

Both files hold the rows the page shows, in its order, with the same columns: money as yuan
with two decimals, ratios as percentages with one decimal, flags as 是 / blank.
"""

import csv
import io
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from coopapp.core.money import yuan_decimal
from coopapp.core.text import xml_text
from coopapp.core.vocabulary import CAPACITY_UNITS, PROJECT_TYPES
from coopapp.reporting import metric_table
from coopapp.reporting.exports import MONEY_FORMAT, csv_text, keep_as_text
from coopapp.reporting.metric_table import COUNT, METRICS, MONEY, PER_UNIT, RATIO


def _figure(name: str) -> tuple:
    """A metric's column: its header, row key and kind, from `metric_table`."""
    metric = METRICS[name]
    return metric.header, metric.key, metric.kind


# (header, row key, kind): kind is a metric's (money, per_unit, ratio, count) or text, flag, type, unit
COLUMNS = (
    (_l("村代码"), "code", "text"),
    (_l("村"), "name", "text"),
    (_l("镇"), "town", "text"),
    _figure("collective_income"),
    _figure("collective_income_growth"),
    _figure("collective_income_target"),
    _figure("attainment"),
    _figure("output_value"),
    _figure("output_value_growth"),
    (_l("同类项目"), "peer_type", "type"),
    _figure("yield"),
    (_l("规模单位"), "yield_unit", "unit"),
    _figure("peer_median"),
    _figure("households_benefited"),
    _figure("households"),
    _figure("coverage"),
    _figure("benefit_per_household"),
    _figure("spending"),
    _figure("net_income"),
    _figure("party_branches_per_group"),
    _figure("party_group_coverage"),
    _figure("coops_led"),
    (_l("薄弱村"), "weak", "flag"),
    (_l("单位产值异常"), "outlier", "flag"),
)
_TENTH = Decimal("0.1")


def _value(row: dict, key: str, kind: str):
    """A cell's value: Decimal yuan, Decimal percent, int, str, or None (empty)."""
    value = row.get(key)
    if value is None:
        return None
    match kind:
        case metric_table.MONEY | metric_table.PER_UNIT:
            return yuan_decimal(value)
        case metric_table.RATIO:
            return (Decimal(value) * 100).quantize(_TENTH, ROUND_HALF_UP)
        case "flag":
            return _("是") if value else None
        case "type":
            return PROJECT_TYPES.label(value)
        case "unit":
            return CAPACITY_UNITS.label(value)
        case _:
            return value


def table(rows: list[dict]) -> tuple[list[str], list[list]]:
    """The header and the cells of every row."""
    header = [str(h) for h, _k, _t in COLUMNS]
    return header, [[_value(r, key, kind) for _h, key, kind in COLUMNS] for r in rows]


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return csv_text(value) if isinstance(value, str) else value


def csv_bytes(rows: list[dict]) -> bytes:
    """UTF-8 with a BOM (so Excel reads the Chinese), numbers as plain decimals."""
    header, cells = table(rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for line in cells:
        writer.writerow([_csv_cell(v) for v in line])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


_FORMATS = {MONEY: MONEY_FORMAT, PER_UNIT: MONEY_FORMAT, RATIO: "0.0", COUNT: "#,##0"}


def xlsx_bytes(rows: list[dict], title: str) -> bytes:
    """One sheet: a title row, the header (frozen), numeric cells with number formats."""
    header, cells = table(rows)
    book = Workbook()
    sheet = book.active
    sheet.title = _("各村对比")
    sheet.append([xml_text(title)])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(header)
    fill = PatternFill("solid", fgColor="F0F2F4")
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for line in cells:  # a stored control character (an area's name) must not break the file
        sheet.append([xml_text(v) if isinstance(v, str) else v for v in line])
    for index, (_h, _key, kind) in enumerate(COLUMNS, start=1):
        letter = sheet.cell(row=2, column=index).column_letter
        sheet.column_dimensions[letter].width = 16 if kind in _FORMATS else 12
        if kind in _FORMATS:
            for (cell,) in sheet.iter_rows(min_row=3, min_col=index, max_col=index):
                cell.number_format = _FORMATS[kind]
    for row in sheet.iter_rows():
        for cell in row:
            keep_as_text(cell)  # a name typed as "=…" is text, not a formula
    sheet.column_dimensions["A"].width = 15
    sheet.freeze_panes = "C3"  # the header and the village's code and name stay in view
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
