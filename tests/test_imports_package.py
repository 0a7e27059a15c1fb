"""Workbook parts where the package says they are (issue 16, item 10): `_rels/.rels` → the workbook,
its relationships → worksheets, shared strings and styles, wherever and however named; a package
with two part names equal ignoring case is refused."""

import zipfile
from xml.sax.saxutils import escape

import pytest

from coopapp.imports.limits import FileRefused, check_file
from coopapp.imports.package import duplicate_parts, resolve
from coopapp.imports.xlsx import iter_rows

from .builders import LEDGER_HEADER, M, run_import

NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
TYPES = '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def _rels(*relations) -> str:
    items = "".join(f'<Relationship Id="{i}" Type="{NS}/{kind}" Target="{target}"/>' for i, kind, target in relations)
    return (
        f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{items}</Relationships>'
    )


def _sheet_and_strings(rows) -> tuple[str, str]:
    """A worksheet whose text cells point into a shared strings table, and that table."""
    strings: list[str] = []
    out = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{chr(65 + c)}{r}"
            if isinstance(value, str):
                strings.append(value)
                cells.append(f'<c r="{ref}" t="s"><v>{len(strings) - 1}</v></c>')
            elif value is not None:
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        out.append(f'<row r="{r}">{"".join(cells)}</row>')
    sheet = f'<worksheet xmlns="{MAIN}"><sheetData>{"".join(out)}</sheetData></worksheet>'
    shared = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
    return sheet, f'<sst xmlns="{MAIN}" count="{len(strings)}">{shared}</sst>'


def _workbook(sheet_rid="rId1") -> str:
    return (
        f'<workbook xmlns="{MAIN}" xmlns:r="{NS}"><sheets>'
        f'<sheet name="台账" sheetId="1" r:id="{sheet_rid}"/></sheets></workbook>'
    )


def write_package(path, parts: dict[str, str]):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


ROWS = [LEDGER_HEADER, [f"{M.replace(day=5)}", "蜂蜜", "销售收入", None, 100, None]]


def _moved_package(path):
    """The workbook at book/main.xml, its sheet at /data/Sheet.xml (absolute), its strings at
    ../strings/SharedStrings.xml (relative, capital S): nothing where xl/ would put it."""
    sheet, strings = _sheet_and_strings(ROWS)
    return write_package(
        path,
        {
            "[Content_Types].xml": TYPES,
            "_rels/.rels": _rels(("rId1", "officeDocument", "book/main.xml")),
            "book/main.xml": _workbook(),
            "book/_rels/main.xml.rels": _rels(
                ("rId1", "worksheet", "/data/Sheet.xml"), ("rId2", "sharedStrings", "../strings/SharedStrings.xml")
            ),
            "data/Sheet.xml": sheet,
            "strings/SharedStrings.xml": strings,
        },
    )


def test_parts_are_found_by_the_package_relationships(tmp_path):
    path = _moved_package(tmp_path / "moved.xlsx")
    assert check_file(path, "moved.xlsx") == ".xlsx"
    assert [cells for _n, cells in iter_rows(path, 1 << 30)] == [tuple(ROWS[0]), tuple(ROWS[1][:5])]


def test_a_ledger_whose_parts_are_elsewhere_imports(app, db, world, tmp_path):
    path = _moved_package(tmp_path / "moved.xlsx")
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report
    assert (report["rows_ok"], report["total_fen"]) == (1, 10000)


def test_a_shared_strings_part_named_differently_in_case_is_the_one_the_relationship_names(tmp_path):
    sheet, strings = _sheet_and_strings(ROWS)
    parts = {
        "[Content_Types].xml": TYPES,
        "_rels/.rels": _rels(("rId1", "officeDocument", "/xl/workbook.xml")),
        "xl/workbook.xml": _workbook("rId7"),
        "xl/_rels/workbook.xml.rels": _rels(
            ("rId7", "worksheet", "worksheets/sheet1.xml"), ("rId8", "sharedStrings", "sharedStrings.xml")
        ),
        "xl/worksheets/sheet1.xml": sheet,
        "xl/SharedStrings.xml": strings,
    }
    path = write_package(tmp_path / "case.xlsx", parts)
    assert [cells for _n, cells in iter_rows(path, 1 << 30)][0] == tuple(ROWS[0])


def test_two_parts_equal_ignoring_case_are_refused(app, db, world, tmp_path):
    sheet, strings = _sheet_and_strings(ROWS)
    other, _strings = _sheet_and_strings(
        [LEDGER_HEADER, [f"{M.replace(day=5)}", "蜂蜜", "销售收入", None, 999999, None]]
    )
    parts = {
        "[Content_Types].xml": TYPES,
        "_rels/.rels": _rels(("rId1", "officeDocument", "xl/workbook.xml")),
        "xl/workbook.xml": _workbook(),
        "xl/_rels/workbook.xml.rels": _rels(
            ("rId1", "worksheet", "worksheets/sheet1.xml"), ("rId2", "sharedStrings", "sharedStrings.xml")
        ),
        "xl/worksheets/sheet1.xml": sheet,
        "xl/worksheets/Sheet1.xml": other,
        "xl/sharedStrings.xml": strings,
    }
    path = write_package(tmp_path / "spoof.xlsx", parts)
    with app.test_request_context(), pytest.raises(FileRefused, match="只差大小写"):
        check_file(path, "spoof.xlsx")
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 1 and report["rows_ok"] == 0
    assert "xl/worksheets/sheet1.xml 与 xl/worksheets/Sheet1.xml" in report["errors"][0]["message"]


def test_a_package_naming_no_workbook_is_not_a_workbook(app, tmp_path):
    path = write_package(tmp_path / "x.xlsx", {"_rels/.rels": _rels(("rId1", "officeDocument", "nowhere.xml"))})
    with app.test_request_context(), pytest.raises(FileRefused, match="不是 Excel 工作簿"):
        check_file(path, "x.xlsx")


def test_part_names():
    assert resolve("xl/workbook.xml", "worksheets/sheet1.xml") == "xl/worksheets/sheet1.xml"
    assert resolve("book/main.xml", "../data/s.xml") == "data/s.xml"
    assert resolve("xl/workbook.xml", "/xl/worksheets/sheet2.xml") == "xl/worksheets/sheet2.xml"
    assert resolve("", "xl/workbook.xml") == "xl/workbook.xml"
    assert duplicate_parts(["a/B.xml", "a/c.xml", "A/b.xml"]) == ("a/B.xml", "A/b.xml")
    assert duplicate_parts(["a.xml", "b.xml"]) is None


def test_zip_names_written_with_backslashes_are_read(tmp_path):
    """Some Windows tools write `xl\\workbook.xml`; Excel and PhpSpreadsheet read such a package."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["日期", "金额"])
    book.active.append(["2026-03-05", 12])
    plain, slashed = tmp_path / "plain.xlsx", tmp_path / "backslash.xlsx"
    book.save(plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(slashed, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename.replace("/", "\\"), source.read(info))
    check_file(slashed, "backslash.xlsx")
    assert list(iter_rows(slashed, 10**8)) == list(iter_rows(plain, 10**8))
