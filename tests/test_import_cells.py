"""Issue 16's cells: a file imports what the accountant sees in Excel, or is refused (or stopped for a
question) naming the row — dates and the 1904 date system, plain numbers in a 日期 column, months
typed as numbers, months without a day, ISO and time cells, formulas without a value, a formula's
third decimal, a format that hides the fen, and numbers that lost digits.

Workbooks openpyxl cannot write (a formula's cached value, a conditional format redefining a
built-in number format, t="d" cells, the 1904 system's serials under chosen styles) are written
by hand (`book`)."""

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from coopapp.core.money import ParseError
from coopapp.imports import cells as cell_rules
from coopapp.imports import xlsx
from coopapp.imports.parse import parse_date, parse_period
from coopapp.imports.xlsx import iter_rows
from coopapp.models import Household, LedgerEntry

from .builders import hostile_xlsx, run_import, run_roster

pytestmark = pytest.mark.filterwarnings(
    "ignore:Workbook contains no default style:UserWarning"
)  # (openpyxl, on `book`)
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# Cell styles: 0 General, 1 a date (14), 2 "#,##0", 3 "#,##0.00", 4 "0.00", 5 "0.0" (custom), 6 a time (20).
# A conditional format (<dxfs>) redefines built-in format 14 as "0.00": it must change nothing.
STYLES = f"""<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="0.0"/></numFmts>
<cellXfs count="7"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="3"/><xf numFmtId="4"/>
<xf numFmtId="2"/><xf numFmtId="164"/><xf numFmtId="20"/></cellXfs>
<dxfs count="1"><dxf><numFmt numFmtId="14" formatCode="0.00"/><fill><patternFill bgColor="FFFF0000"/></fill></dxf></dxfs>
</styleSheet>"""
GENERAL, DATE, WHOLE, YUAN, TWO, ONE, TIME = range(7)
HEADER = ("日期", "类别", "金额", "摘要")


def c(ref: str, value=None, *, s: int | None = None, t: str | None = None, f: str | None = None) -> str:
    """One cell as Excel writes it: a number, a date serial, an inline string (t="inlineStr"), a
    formula `f` with its cached value (or none: value None)."""
    attrs = f' s="{s}"' if s else ""
    if isinstance(value, str) and t is None:
        return f'<c r="{ref}" t="inlineStr"{attrs}><is><t>{value}</t></is></c>'
    attrs += f' t="{t}"' if t else ""
    inner = f"<f>{f}</f>" if f else ""
    inner += f"<v>{value}</v>" if value is not None else ""
    return f'<c r="{ref}"{attrs}>{inner}</c>'


def book(path, rows, *, header=HEADER, date1904=False, title="蜂蜜收支台账"):
    """A workbook written by hand: a title row, the header on row 2, then `rows` of cell XML
    (row 3 on), with STYLES and, if asked, the 1904 date system."""
    xml = [f'<row r="1">{c("A1", title)}</row>' if title else ""]
    xml.append('<row r="2">' + "".join(c(f"{chr(65 + i)}2", name) for i, name in enumerate(header)) + "</row>")
    xml += [f'<row r="{n}">{cells}</row>' for n, cells in enumerate(rows, start=3)]
    pr = '<workbookPr date1904="1"/>' if date1904 else ""
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}">{pr}<sheets><sheet name="台账" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/styles" Target="styles.xml"/></Relationships>'
        ),
        "xl/styles.xml": STYLES,
    }
    return hostile_xlsx(path, "".join(xml), parts=parts)


def ledger(app, world, path, *args):
    return run_import(app, "ledger", path, "--project", world.project.id, *args)


def entries(db) -> list[tuple]:
    q = select(LedgerEntry.period, LedgerEntry.entry_date, LedgerEntry.amount_fen, LedgerEntry.note)
    return sorted(db.session.execute(q.order_by(LedgerEntry.id)).all())


def problems(report, key="errors") -> list[tuple]:
    return [(p["row"], p["column"], p["message"]) for p in report[key]]


def row(n: int, *cells: str) -> str:
    return "".join(cells)


# ---- 3. dates: <numFmts> only, the 1904 system everywhere, plain numbers are no dates ---------------


def test_a_1904_workbook_whose_conditional_format_redefines_format_14_imports_its_dates(app, db, world, tmp_path):
    serial_1904 = (date(2025, 3, 5) - date(1904, 1, 1)).days  # 44,807: 2029-03-06 in the 1900 system
    path = book(
        tmp_path / "mac.xlsx",
        [
            c("A3", serial_1904, s=DATE) + c("B3", "销售收入") + c("C3", 100) + c("D3", "日期格"),
            c("A4", serial_1904 + 1) + c("B4", "销售收入") + c("C4", 100) + c("D4", "常规格的序号"),
        ],
        date1904=True,
    )
    assert next(iter(iter_rows(path, 1 << 30)))  # (readable)
    rows = dict(iter_rows(path, 1 << 30))
    assert rows[3][0] == datetime(2025, 3, 5)  # the dxf's "0.00" did not make it a number
    code, report = ledger(app, world, path)
    assert code == 0, report
    assert [(p, d) for p, d, _a, _n in entries(db)] == [("2025-03", date(2025, 3, 5)), ("2025-03", date(2025, 3, 6))]


def test_number_formats_come_from_numfmts_and_builtins_only(tmp_path):
    path = book(tmp_path / "fmt.xlsx", [c("A3", 45721, s=DATE) + c("B3", 2.5, s=WHOLE) + c("C3", 2.5, s=ONE)])
    cells = dict(iter_rows(path, 1 << 30))[3]
    assert cells[0] == datetime(2025, 3, 5)
    assert (cells[1].decimals, cells[2].decimals) == (0, 1) and not cells[1].formula
    theirs = next(load_workbook(path, read_only=True).active.iter_rows(min_row=3, values_only=True))
    assert tuple(cells) == theirs[:3]


@pytest.mark.parametrize("typed", [3.5, 3.12, 2026.3, 1, 99999])
def test_a_plain_number_in_the_date_column_is_no_date(app, db, world, tmp_path, typed):
    path = book(tmp_path / "n.xlsx", [c("A3", typed) + c("B3", "销售收入") + c("C3", 100)])
    code, report = ledger(app, world, path)
    assert code == 1 and entries(db) == []
    [(number, column, message)] = problems(report)
    assert (number, column) == (3, "日期") and "不是日期" in message


def test_parse_date_keeps_to_the_ledger_years_and_the_workbook_date_system(app):
    assert parse_date(45721) == date(2025, 3, 5)
    assert parse_date(45721 - 1462, date1904=True) == date(2025, 3, 5)
    assert parse_period(45721 - 1462, date1904=True) == "2025-03"  # (a serial in a 月份 column)
    for bad in (3.5, "1999-12-31", datetime(1900, 1, 3), date(2200, 1, 1)):
        with pytest.raises(ParseError):
            parse_date(bad)


# ---- 4. months typed as numbers ------------------------------------------------------------------

MONTH_HEADER = ("月份", "类别", "金额", "摘要")


def months(path, values, styles=None):
    styles = styles or [GENERAL] * len(values)
    rows = [
        c(f"A{n}", v, s=st) + c(f"B{n}", "销售收入") + c(f"C{n}", 100) + c(f"D{n}", f"第{n}行")
        for n, (v, st) in enumerate(zip(values, styles, strict=True), start=3)
    ]
    return book(path, rows, header=MONTH_HEADER)


def test_a_month_typed_2025_1_is_a_question_and_its_answer_reads_the_column(app, db, world, tmp_path):
    path = months(tmp_path / "m.xlsx", [2025.3, 2025.1, 2025.1])
    code, report = ledger(app, world, path)
    assert code == 1 and entries(db) == [] and report["errors"] == []
    [question] = report["questions"]
    assert question["key"] == "month:A" and question["row"] == 4 and question["value"] == "2025.1"
    assert [o["value"] for o in question["options"]] == ["1", "10"]
    code, report = ledger(app, world, path, "--answer", "month:A=10")
    assert code == 0, report
    assert [p for p, *_ in entries(db)] == ["2025-03", "2025-10", "2025-10"]


def test_a_month_number_format_settles_2025_1(app, db, world, tmp_path):
    path = months(tmp_path / "m.xlsx", [2025.1, 2025.1, 2025.1], [TWO, ONE, GENERAL])
    code, report = ledger(app, world, path)
    assert code == 1 and [q["row"] for q in report["questions"]] == [5]  # General: Excel shows 2025.1 either way
    path = months(tmp_path / "m2.xlsx", [2025.1, 2025.1], [TWO, ONE])
    code, report = ledger(app, world, path)
    assert code == 0, report
    assert sorted(p for p, *_ in entries(db)) == ["2025-01", "2025-10"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([2025.1, 2025.11, 2025.12], ["2025-10", "2025-11", "2025-12"]),  # two-digit months: .1 is .10
        ([2025.05, 2025.1], ["2025-05", "2025-10"]),  # padded months: January would be .01
        ([2025.3, 2025.12], ["2025-03", "2025-12"]),  # nothing ambiguous
    ],
)
def test_the_other_months_of_the_column_settle_2025_1(app, db, world, tmp_path, values, expected):
    code, report = ledger(app, world, months(tmp_path / "m.xlsx", values))
    assert code == 0, report
    assert sorted(p for p, *_ in entries(db)) == expected
    if "2025-10" in expected:
        assert [w["row"] for w in report["warnings"]] == [3 + values.index(2025.1)]


def test_one_digit_months_leave_2025_1_open(app, db, world, tmp_path):
    code, report = ledger(app, world, months(tmp_path / "m.xlsx", [2025.1, 2025.2, 2025.11]))
    assert code == 1 and [q["key"] for q in report["questions"]] == ["month:A"]


def test_typed_month_rules(app):
    assert cell_rules.typed_month(2025.3) == ("2025-03", cell_rules.ONE_DIGIT)
    assert cell_rules.typed_month(2025.11) == ("2025-11", cell_rules.TWO_DIGITS)
    assert cell_rules.typed_month(2025.09) == ("2025-09", cell_rules.PADDED)
    with pytest.raises(cell_rules.AmbiguousMonth):
        cell_rules.typed_month(2025.1)
    for bad in (2025.0, 2025.13, 2025.00, 25.3):
        with pytest.raises(ParseError):
            cell_rules.typed_month(bad)
    assert parse_period("2025.10") == "2025-10" and parse_period("2025.1") == "2025-01"  # text is what it says


# ---- 8. months without a day in the 日期 column ---------------------------------------------------


def _openpyxl_book(path, title, header, rows):
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path


def test_month_only_dates_are_the_month(app, db, world, tmp_path):
    rows = [["2025年9月", "销售收入", 1, "a"], ["2025-09", "销售收入", 2, "b"], ["2025/9", "销售收入", 3, "c"]]
    rows.append(["9月", "销售收入", 4, "d"])
    path = _openpyxl_book(tmp_path / "m.xlsx", "2025年蜂蜜台账", HEADER, rows)
    code, report = ledger(app, world, path)
    assert code == 0, report
    assert entries(db) == [("2025-09", None, fen, n) for fen, n in ((100, "a"), (200, "b"), (300, "c"), (400, "d"))]


def test_a_month_without_its_year_takes_the_year_column_or_is_refused(app, db, world, tmp_path):
    header = ("年份", "日期", "类别", "金额")
    path = _openpyxl_book(tmp_path / "y.xlsx", "蜂蜜台账", header, [[2025, "9月", "销售收入", 1]])
    code, report = ledger(app, world, path)
    assert code == 0, report
    assert [p for p, *_ in entries(db)] == ["2025-09"]
    path = _openpyxl_book(tmp_path / "n.xlsx", "蜂蜜台账", HEADER, [["9月", "销售收入", 1]])
    code, report = ledger(app, world, path)
    assert code == 1 and problems(report)[0][:2] == (3, "日期") and "年份" in problems(report)[0][2]


def test_a_month_column_written_9月_takes_the_title_or_year_column(app, db, world, tmp_path):
    rows = [["9月", "销售收入", 1], ["2025年10月", "销售收入", 2]]
    code, report = ledger(app, world, _openpyxl_book(tmp_path / "t.xlsx", "2025年台账", MONTH_HEADER[:3], rows))
    assert code == 0, report
    header = ("年份", "月份", "类别", "金额")
    path = _openpyxl_book(
        tmp_path / "y.xlsx", None, header, [[2024, "9月", "销售收入", 1], ["明年", "9月", "销售收入", 1]]
    )
    code, report = ledger(app, world, path, "--dry-run")
    assert code == 1 and [(r, col) for r, col, _m in problems(report)] == [(3, "年份")]
    assert sorted(p for p, *_ in entries(db)) == ["2025-09", "2025-10"]


def test_month_only_cells_refuse_digits_that_are_not_numbers(app, db, world, tmp_path):
    rows = [["²⁰²⁵-⁰⁹", "销售收入", 1], ["٢٠٢٥年9月", "销售收入", 1]]
    for header in (HEADER[:3], MONTH_HEADER[:3]):
        code, report = ledger(app, world, _openpyxl_book(tmp_path / "d.xlsx", None, header, rows), "--dry-run")
        assert code == 1 and [r for r, *_x in problems(report)] == [2, 3]


def test_title_years(app):
    assert cell_rules.title_year(("2025年蜂蜜台账", None)) == {2025}
    assert cell_rules.title_year(("制表日期：2025年3月5日",)) == set()
    assert cell_rules.title_year(("1990年",)) == set() and cell_rules.title_year(("２０２５年台账",)) == {2025}
    assert cell_rules.title_year(("²⁰²⁵年台账",)) == set()


# ---- 9. ISO and time cells -----------------------------------------------------------------------


def test_iso_and_time_cells_read_as_openpyxl_reads_them(app, db, world, tmp_path):
    path = book(
        tmp_path / "iso.xlsx",
        [
            c("A3", "2025-03-05T00:00:00", t="d") + c("B3", "销售收入") + c("C3", 100) + c("D3", "10:30:00", t="d"),
            c("A4", "2025-03-06", t="d") + c("B4", "销售收入") + c("C4", 100) + c("D4", 0.4375, s=TIME),
            c("A5", "10:30:00", t="d") + c("B5", "销售收入") + c("C5", 100),
            c("A6", 0.4375, s=TIME) + c("B6", "销售收入") + c("C6", 100),
        ],
    )
    ours = [cells for _n, cells in iter_rows(path, 1 << 30)][2:]
    theirs = list(load_workbook(path, read_only=True).active.iter_rows(min_row=3, values_only=True))
    assert [tuple(r) for r in ours] == [r[: len(o)] for r, o in zip(theirs, ours, strict=True)]
    assert ours[0][3] == time(10, 30) and ours[1][0] == date(2025, 3, 6)
    code, report = ledger(app, world, path)
    assert code == 1
    assert [(r, col) for r, col, _m in problems(report)] == [(5, "日期"), (6, "日期")]
    assert all("时间" in m for *_x, m in problems(report))
    code, report = ledger(
        app,
        world,
        book(
            tmp_path / "ok.xlsx",
            [c("A3", "2025-03-05T00:00:00", t="d") + c("B3", "销售收入") + c("C3", 100) + c("D3", 0.4375, s=TIME)],
        ),
    )
    assert code == 0, report
    assert entries(db) == [("2025-03", date(2025, 3, 5), 10000, "10:30:00")]


# ---- 12. formulas without a value ------------------------------------------------------------------


def test_a_formula_never_calculated_is_named_where_it_is_read(app, db, world, tmp_path):
    rows = [
        c("A3", 45721, s=DATE) + c("B3", "销售收入") + c("C3", None, f="E3*2") + c("E3", 50),
        c("A4", 45721, s=DATE) + c("B4", "销售收入") + c("C4", 100) + c("F4", None, f="E3+1"),  # unread: harmless
        c("A5", 45721, s=DATE) + c("B5", "销售收入") + c("C5", 100) + '<c r="D5"><f>"备"&amp;"注"</f><v></v></c>',
    ]
    code, report = ledger(app, world, book(tmp_path / "f.xlsx", rows))
    assert code == 1 and entries(db) == []
    assert problems(report) == [
        (3, "金额", "公式没有计算结果：请在 Excel 中打开并保存后再导入。"),
        (5, "摘要", "公式没有计算结果：请在 Excel 中打开并保存后再导入。"),
    ]
    wb = Workbook()
    ws = wb.active
    ws.append(["日期", "类别", "金额", "备用"])
    ws.append([date(2025, 3, 5), "销售收入", 100, "=C2*2"])  # (openpyxl writes <f>C2*2</f><v/>)
    wb.save(tmp_path / "program.xlsx")
    code, report = ledger(app, world, tmp_path / "program.xlsx")
    assert code == 0, report
    ws["C2"] = "=1+1"
    wb.save(tmp_path / "program.xlsx")
    code, report = ledger(app, world, tmp_path / "program.xlsx", "--dry-run")
    assert code == 1 and problems(report) == [(2, "金额", "公式没有计算结果：请在 Excel 中打开并保存后再导入。")]


# ---- 13. a formula's third decimal, a format that hides the fen ---------------------------------


def test_a_formula_with_a_third_decimal_takes_what_excel_shows(app, db, world, tmp_path):
    stored = "2577.8249999999998"  # 85.5 × 30.15 as Excel writes the double in <v> (17 digits)
    assert float(stored) == 85.5 * 30.15 and round(float(stored), 2) == 2577.82  # (Python's round: too low)
    rows = [
        c("A3", 45721, s=DATE) + c("B3", "销售收入") + c("C3", stored, t="n", s=YUAN, f="85.5*30.15"),
        c("A4", 45721, s=DATE) + c("B4", "销售收入") + c("C4", "-" + stored, t="n", f="-85.5*30.15"),
        c("A5", 45721, s=DATE) + c("B5", "销售收入") + c("C5", "0.30000000000000004", t="n", s=YUAN, f="0.1+0.2"),
    ]
    code, report = ledger(app, world, book(tmp_path / "f.xlsx", rows[:1] + rows[2:]))
    assert code == 0, report
    assert sorted(a for _p, _d, a, _n in entries(db)) == [30, 257783]
    assert [(w["row"], w["column"]) for w in report["warnings"]] == [(3, "金额")]
    assert "2,577.83" in report["warnings"][0]["message"]
    typed = [c("A3", 45721, s=DATE) + c("B3", "销售收入") + c("C3", "2577.825", t="n", s=YUAN)]
    code, report = ledger(app, world, book(tmp_path / "t.xlsx", typed), "--dry-run")
    assert code == 1 and problems(report)[0][:2] == (3, "金额")  # a typed third decimal is an error, as before


def test_excel_fen_rounds_as_excel_does(app):
    assert cell_rules.excel_fen(85.5 * 30.15, 2) == (257783, 257783, True)
    assert cell_rules.excel_fen(2577.83, 0) == (257783, 257800, False)
    assert cell_rules.excel_fen(1.005, None) == (101, 101, True)  # the double 1.00499999999999989…
    assert cell_rules.excel_fen(-2.675, 2) == (-268, -268, True)


def test_a_format_that_hides_the_fen_is_a_question(app, db, world, tmp_path):
    rows = [
        c("A3", 45721, s=DATE) + c("B3", "销售收入") + c("C3", 2577.83, s=WHOLE),
        c("A4", 45721, s=DATE) + c("B4", "销售收入") + c("C4", 1200, s=WHOLE),  # nothing hidden
    ]
    path = book(tmp_path / "w.xlsx", rows)
    code, report = ledger(app, world, path)
    assert code == 1 and entries(db) == [] and report["errors"] == []
    [question] = report["questions"]
    assert (question["key"], question["row"], question["column"]) == ("fen_format:C", 3, "金额")
    assert [o["value"] for o in question["options"]] == ["stored", "shown"]
    code, report = ledger(app, world, path, "--answer", "fen_format:C=shown", "--dry-run")
    assert code == 0 and report["total_fen"] == 257800 + 120000
    code, report = ledger(app, world, path, "--answer", "fen_format:C=stored")
    assert code == 0 and sorted(a for *_x, a, _n in entries(db)) == [120000, 257783]


def test_the_reader_says_which_numbers_are_formulas_and_their_decimals(tmp_path):
    path = book(
        tmp_path / "r.xlsx",
        [c("A3", 1.5) + c("B3", 1.5, s=YUAN) + c("C3", 1.5, f="1+0.5") + c("D3", 2, f="1+1") + c("E3", 3, s=WHOLE)],
    )
    cells = dict(iter_rows(path, 1 << 30))[3]
    assert [type(v) for v in cells] == [float, xlsx.Figure, xlsx.Figure, int, int]
    assert (cells[1].decimals, cells[1].formula, cells[2].decimals, cells[2].formula) == (2, False, None, True)
    assert xlsx.format_decimals("#,##0.00_);[Red](#,##0.00)") == 2
    assert xlsx.format_decimals('"¥"#,##0') == 0 and xlsx.format_decimals("0.0%") is None
    assert xlsx.format_decimals("General") is None and xlsx.format_decimals("G/通用格式") is None


# ---- 14. numbers that lost digits -----------------------------------------------------------------


def test_an_id_number_typed_as_a_number_is_refused(app, db, world, tmp_path):
    from .builders import id_number, write_roster

    good = next(n for n in map(id_number, range(900, 999)) if n[-1].isdigit())
    rows = [
        ("甲", 3, None, int(good), 13800138000, "否"),  # an int: a program wrote all 18 digits
        ("乙", 3, None, float(good), None, "否"),  # what Excel keeps: 15 significant digits
        ("丙", 3, None, good, 13800138001, "否"),  # text, and a phone as a number: fine
    ]
    path = write_roster(tmp_path / "r.xlsx", rows)
    before = db.session.scalar(select(Household.id).order_by(Household.id.desc()))
    code, report = run_roster(app, path, "--village", world.village.code)
    assert code == 1
    assert [(r, col) for r, col, _m in problems(report)] == [(4, "身份证号码"), (5, "身份证号码")]
    assert all("请把该列设为文本格式后重新填写" in m for *_x, m in problems(report))
    assert db.session.scalar(select(Household.id).order_by(Household.id.desc())) == before
    code, report = run_roster(app, write_roster(tmp_path / "ok.xlsx", rows[2:]), "--village", world.village.code)
    assert code == 0, report


def test_lost_digits(app):
    assert cell_rules.lost_digits(110101199003077777) and cell_rules.lost_digits(1.10101199003078e17)
    assert not cell_rules.lost_digits(441323110001001) and not cell_rules.lost_digits(13800138000)
    assert not cell_rules.lost_digits("110101199003077777") and not cell_rules.lost_digits(Decimal(1))


def test_long_numbers_in_the_users_and_areas_imports(app, db, world, tmp_path):
    import json

    from .builders import GROUPS, write_area_xlsx

    def cli(kind, path):
        result = app.test_cli_runner().invoke(args=["coop", "import", kind, str(path), "--json", "--dry-run"])
        return result.exit_code, json.loads(result.output.strip().splitlines()[-1])

    wb = Workbook()
    ws = wb.active
    ws.append(["用户名", "姓名", "角色", "区域代码", "手机"])
    ws.append(["ganxi.acc", "李会计", "村会计", 441323110202, 13800138000])  # 12 and 11 digits: read by value
    ws.append(["ganxi.sec", "王书记", "支部书记", 441323110202, 1.38001380001e16])
    wb.save(tmp_path / "users.xlsx")
    code, report = cli("users", tmp_path / "users.xlsx")
    assert code == 1 and [(r, col) for r, col, _m in problems(report)] == [(3, "手机")]
    groups = [GROUPS[0], (44132311020300111, "义和一组", "441323110203", "村民小组")]  # 17 digits as a number
    code, report = cli("areas", write_area_xlsx(tmp_path / "areas.xlsx", groups))
    assert code == 1 and [(r, col) for r, col, _m in problems(report)] == [(2, "代码")]
    assert "请把该列设为文本格式后重新填写" in problems(report)[0][2]


def test_rounded_formulas_are_warned_one_by_one_then_counted(app, db, world, tmp_path):
    rows = [
        c(f"A{n}", 45721, s=DATE) + c(f"B{n}", "销售收入") + c(f"C{n}", "2577.8249999999998", t="n", f="85.5*30.15")
        for n in range(3, 28)
    ]
    code, report = ledger(app, world, book(tmp_path / "many.xlsx", rows), "--dry-run")
    assert code == 0 and report["total_fen"] == 25 * 257783
    assert [w["row"] for w in report["warnings"]] == [*range(3, 23), None]
    assert "另有 5 行" in report["warnings"][-1]["message"]
