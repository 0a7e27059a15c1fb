"""The XLSX reader's fast path (a regular expression over the sheet's bytes) against expat with
callbacks (the reader as it was, kept for everything unusual) and against openpyxl's read-only
mode: the same rows, cell for cell and type for type, whatever the shape of the XML and wherever
the 64 KB pieces happen to split it."""

import zipfile
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from coopapp.imports import xlsx
from coopapp.imports.xlsx import XlsxError, iter_rows

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
X14AC = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"
# Cell styles of the hand-written workbooks: 0 general, 1 a date, 2 a date and time, 3 a time, 4 "0.00",
# 5 a duration ([h]:mm:ss), 6 the built-in duration (46), 7 a built-in date of Chinese Excel (31).
STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN}"><numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/>
<numFmt numFmtId="165" formatCode="0.00"/>
<numFmt numFmtId="166" formatCode="[h]:mm:ss;@"/></numFmts>
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="1"><fill><patternFill patternType="none"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="8"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="20" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="46" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="31" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"""
SHARED = ["张三", "a & b <c>", " 前后空格 ", "", "line\nbreak"]


def _shared_strings(strings) -> str:
    items = "".join(f'<si><t xml:space="preserve">{_escape(s)}</t></si>' for s in strings)
    # A rich-text string with a phonetic guide, as Japanese and some Chinese Excel files have.
    items += '<si><r><t>富</t></r><r><rPr><b/></rPr><t>文本</t></r><rPh sb="0" eb="1"><t>フ</t></rPh></si>'
    return f'<sst xmlns="{MAIN}" count="{len(strings) + 1}" uniqueCount="{len(strings) + 1}">{items}</sst>'


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_sheet(path, sheet_xml: str | bytes, *, date1904: bool = False, shared=SHARED):
    """A workbook around hand-written sheet XML (bytes as they are; str as UTF-8)."""
    pr = '<workbookPr date1904="1"/>' if date1904 else "<workbookPr/>"
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}">{pr}'
            '<sheets><sheet name="台账" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId3" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": STYLES,
        "xl/sharedStrings.xml": _shared_strings(shared),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data if isinstance(data, bytes) else data.encode())
    return path


def sheet(rows: str, *, prolog: str = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n') -> str:
    return (
        f'{prolog}<worksheet xmlns="{MAIN}" xmlns:r="{REL}" xmlns:x14ac="{X14AC}" xmlns:x="{MAIN}">'
        f'<sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
        f'<sheetData>{rows}</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
        f'header="0.3" footer="0.3"/></worksheet>'
    )


def read(path, fast: bool = True, read_bytes: int | None = None) -> list:
    """All rows, or the XlsxError raised (its message aside: only that one is raised is compared)."""
    saved = xlsx.FAST, xlsx.READ_BYTES
    xlsx.FAST = fast
    xlsx.READ_BYTES = read_bytes or saved[1]
    try:
        return [(n, [(type(c), c) for c in cells]) for n, cells in iter_rows(path, 1 << 30)]
    except XlsxError:
        return ["XlsxError"]
    finally:
        xlsx.FAST, xlsx.READ_BYTES = saved


def counted(path) -> tuple[int, int]:
    """(rows the fast path read, rows it left to expat) in reading `path`."""
    readers = []
    original = xlsx._Reader.__init__

    def init(self, book):
        original(self, book)
        readers.append(self)

    xlsx._Reader.__init__ = init
    try:
        list(iter_rows(path, 1 << 30))
    finally:
        xlsx._Reader.__init__ = original
    return readers[0].fast_rows, readers[0].expat_rows


def openpyxl_rows(path) -> list:
    wb = load_workbook(path, read_only=True, data_only=True)
    rows = [(n, tuple(r)) for n, r in enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1)]
    wb.close()
    return rows


def trimmed(rows) -> list:
    """Rows without trailing empty cells, and without empty rows (openpyxl pads rows to the sheet's
    <dimension> and yields a row for each gap, where the reader gives each row its own length and
    leaves the gaps out). The reader leaves out the cells past xlsx.READ_COLUMNS (the deviation
    tests/test_xlsx_hostile.py::test_a_far_cell_does_not_widen_its_row checks)."""
    out = []
    for number, cells in rows:
        cells = [(type(c), c) for c in cells[: xlsx.READ_COLUMNS]]
        while cells and cells[-1][1] is None:
            cells.pop()
        if cells:
            out.append((number, cells))
    return out


def as_openpyxl(value):
    """A cell as openpyxl reads it. The reader's documented deviations: a formula's number or a
    fraction under a fixed-decimals format is a Figure (a float that knows its format and formula),
    and a formula never calculated is NO_VALUE (empty text) where openpyxl has None."""
    if isinstance(value, xlsx.Figure):
        return float(value)
    return None if value is xlsx.NO_VALUE else value


def assert_same_everywhere(path, *, openpyxl: bool = True) -> list:
    """The fast reader gives what expat alone gives, in pieces of any size, and what openpyxl gives."""
    expected = read(path, fast=False)
    assert read(path) == expected
    for size in (1, 7, 64, 333):
        assert read(path, read_bytes=size) == expected, size
    if openpyxl and expected != ["XlsxError"]:
        ours = trimmed((n, tuple(as_openpyxl(c) for _t, c in cells)) for n, cells in expected)
        assert ours == trimmed(openpyxl_rows(path))
    return expected


# --- workbooks openpyxl writes ---------------------------------------------------------------


def _values() -> list[list]:
    return [
        ["中洞村中华蜂养殖项目收支台账"],
        [],
        ["日期", "金额", "数量", "布尔", "公式", "备注"],
        [datetime(2025, 3, 5), 1234.5, 12, True, "=B4*2", "a & <b> &amp; \"引号\" 'apos'"],
        [date(2025, 3, 6), -0.25, -7, False, "=SUM(B4:B5)", "  前后空格  "],
        [datetime(2025, 3, 7, 13, 45, 30), 1.5e-10, 123456789012, None, None, "多行\n文本\r\n第三行"],
        [time(12, 30), 6.02e23, 0, None, '=B4&"元"', "制表符\t和 Ω ✓ 𝄞"],
        [None, None, None, None, None, "只有最后一格"],
        [datetime(1900, 1, 1), datetime(1900, 3, 1), 0.1 + 0.2, 2**53, -(2**63), "张三丰"],
    ]


@pytest.mark.parametrize("write_only", [False, True])
def test_openpyxl_workbooks_read_the_same_as_expat_and_openpyxl(tmp_path, write_only):
    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet("台账") if write_only else wb.active
    for values in _values():
        ws.append(values)
    if not write_only:
        ws["H12"] = "远处的格子"
        ws["A14"] = 45721
        ws["A14"].number_format = 'yyyy"年"m"月"d"日"'
        ws["B14"] = 0.1
        ws["B14"].number_format = "0.00%"
        ws["C14"] = CellRichText(["红", TextBlock(InlineFont(b=True), "粗")])
        ws["D14"] = 0.75
        ws["D14"].number_format = "h:mm:ss"
        ws["AB15"] = "第 28 列"
        ws["ZZ16"] = 1
    path = tmp_path / f"openpyxl-{write_only}.xlsx"
    wb.save(path)
    rows = dict(assert_same_everywhere(path))
    assert rows[4][0] == (datetime, datetime(2025, 3, 5)) and rows[4][2] == (int, 12)
    assert rows[6][2] == (int, 123456789012) and rows[7][0] == (time, time(12, 30))
    assert rows[5][5] == (str, "  前后空格  ") and rows.get(2, []) == []  # (a gap, or an empty <row>)
    fast, slow = counted(path)
    assert slow == (1 if not write_only else 0)  # (the rich text is expat's)
    assert fast + slow == zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").count(b"<row ")


def test_the_bench_workbook_is_read_fast(tmp_path):
    from bench.imports import write_xlsx

    path = write_xlsx(tmp_path / "bench.xlsx", 500, ["张三", "李四"], date(2025, 11, 1))
    rows = assert_same_everywhere(path)
    assert counted(path) == (len(rows), 0)


# --- sheets written by hand ---------------------------------------------------------------------

SHEETS = {
    "excel": (
        '<row r="1" spans="1:6" x14ac:dyDescent="0.25"><c r="A1" s="1"><v>45721</v></c><c r="B1" t="s"><v>0</v></c>'
        '<c r="C1" t="s"><v>1</v></c><c r="D1" s="4"><v>1234.5</v></c><c r="E1" s="2"><v>45721.5</v></c>'
        '<c r="F1" s="3"><v>0.75</v></c><c r="G1" t="s"><v>5</v></c></row>'
        '<row r="2" spans="1:6" ht="20" customHeight="1"><c r="A2" s="1"/><c r="B2" t="s"><v>2</v></c>'
        '<c r="C2" t="s"><v>3</v></c><c r="D2"><f>D1*2</f><v>2469</v></c>'
        '<c r="E2"><f t="shared" ref="E2:E3" si="0">D1+1</f><v>1235.5</v></c><c r="F2" s="4"/></row>'
        '<row r="3"><c r="E3"><f t="shared" si="0"/><v>2470</v></c><c r="F3" t="str"><f>"a"&amp;"b"</f><v>ab</v></c>'
        '<c r="G3" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="H3" t="b"><v>1</v></c><c r="I3" t="b"><v>0</v></c></row>'
        '<row r="5"><c r="A5"><f>NA()</f></c><c r="B5"><f>1+1</f><v></v></c><c r="C5" t="s"><v>4</v></c></row>'
        '<row r="6" hidden="1"/>'
        '<row r="8"><c r="XFD8"><v>-1.5E-3</v></c></row>'
    ),
    "inline": (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>纯文本</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t xml:space="preserve">  空格  </t></is></c>'
        '<c r="C1" t="inlineStr"><is><t>&amp;&lt;&gt;&quot;&apos;&#20013;&#x6587;&#x1D11E;</t></is></c>'
        '<c r="D1" t="inlineStr"><is><t></t></is></c><c r="E1" t="inlineStr"><is><t/></is></c>'
        '<c r="F1" t="inlineStr"><is><r><t>富</t></r><r><rPr><b/></rPr><t>文本</t></r></is></c>'
        '<c r="G1" t="inlineStr"><is><t>注音</t><rPh sb="0" eb="1"><t>ちゅう</t></rPh></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>line1\r\nline2\rline3&#13;</t></is></c>'
        '<c r="B2" t="inlineStr"><is><t>tab\there</t></is></c><c r="C2" t="inlineStr"><is/></c>'
        '<c r="D2" t="inlineStr"><is><t><![CDATA[<raw> & text]]></t></is></c></row>'
    ),
    "no_references": (
        '<row><c t="inlineStr"><is><t>a</t></is></c><c><v>1</v></c><c s="1"><v>45000</v></c></row>'
        '<row><c r="C2"><v>3</v></c><c><v>4</v></c></row>'
        '<row r="5"><c><v>5</v></c></row><row><c t="s"><v>0</v></c></row>'
    ),
    "attribute_order": (
        '<row spans="1:2" r="3"><c s="1" r="A3"><v>45000</v></c><c t="s" s="0" r="B3"><v>0</v></c></row>'
        "<row r='4'><c r='A4' t='s'><v>1</v></c><c r=\"B4\"  s = \"1\" ><v>45001</v></c></row>"
        '<row r="5" ><c r="A5" /><c r="B5" ><v>2</v></c></row>'
    ),
    "odd_values": (
        '<row r="1"><c r="A1"><v>007</v></c><c r="B1"><v> 12 </v></c><c r="C1"><v>1_000</v></c>'
        '<c r="D1"><v>-0</v></c><c r="E1"><v>1e3</v></c><c r="F1"><v>.5</v></c><c r="G1"><v>+3</v></c>'
        '<c r="H1"><v>&#49;&#50;</v></c><c r="I1" s="1"><v>0</v></c><c r="J1" s="1"><v>60</v></c>'
        '<c r="K1" s="1"><v>59.999999</v></c><c r="L1" s="2"><v>1.0000001</v></c></row>'
        '<row r="2"><c r="A2" t="d"><v>2025-03-05T12:30:00Z</v></c><c r="B2" t="str"><v>  </v></c>'
        '<c r="C2" t="str"><v></v></c><c r="D2" t="inlineStr"><v>v in inline</v></c><c r="E2" t="n"><v>2</v></c>'
        '<c r="F2" t="weird"><v>text</v></c><c r="G2" t="b"><v>true</v></c><c r="H2" t="s"><v>-1</v></c></row>'
    ),
    "columns": (
        '<row r="1"><c r="C1"><v>3</v></c><c r="A1"><v>1</v></c></row>'
        '<row r="2"><c r="A2"><v>1</v></c><c r="A2"><v>2</v></c></row>'
        '<row r="3"><c r="B3"><v>2</v></c><c r="D3"/><c r="AA3"><v>27</v></c><c r="AAA3"><v>703</v></c></row>'
        '<row r="3"><c r="A3" t="str"><v>again</v></c></row><row r="2"><c r="A2" t="str"><v>back</v></c></row>'
    ),
    "prefixed": (
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>前缀</x:t></x:is></x:c><x:c r="B1"><x:v>2</x:v></x:c></x:row>'
        '<row r="2"><c r="A2"><v>3</v></c></row>'
    ),
    "comments_and_whitespace": (
        '\n  <row r="1">\n    <c r="A1">\n      <v>1</v>\n    </c>\n    <c r="B1"><v>2</v></c>\n  </row>\n'
        '<!-- a comment between rows, </row> inside --><row r="2"><c r="A2"><v>2</v></c></row>'
        '<row r="3"><c r="A3"><!-- in a cell --><v>3</v></c></row><?pi here?><row r="4"><c r="A4"><v>4</v></c></row>\n'
    ),
    "ext_in_cell": (
        '<row r="1"><c r="A1"><v>1</v><extLst><ext uri="x"><y/></ext></extLst></c><c r="B1"><v>2</v></c></row>'
        '<row r="2"><c r="A2"><v>2</v></c></row>'
    ),
    "formulas_and_formats": (
        '<row r="1"><c r="A1" s="4"><v>1234.5</v></c><c r="B1" s="4"><v>12</v></c><c r="C1"><f>A1*3</f><v>3703.5</v></c>'
        '<c r="D1" s="4"><f>A1/3</f><v>411.5</v></c><c r="E1"><f>A1+1</f></c><c r="F1"><f>A1+2</f><v/></c>'
        '<c r="G1" t="str"><f>""</f><v></v></c><c r="H1" s="4"><f>B1</f></c><c r="I1"><v>0.5</v></c></row>'
        '<row r="2"><c r="A2" s="4"><v>1234.5</v></c><c r="B2" s="4"><f t="shared" ref="B2:B3" si="0">A2*2</f>'
        '<v>2469.25</v></c></row><row r="3"><c r="B3" s="4"><f t="shared" si="0"/><v>2469.75</v></c></row>'
    ),
    "empty": "",
    "only_empty_rows": '<row r="3"/><row r="7" spans="1:1"/>',
}


@pytest.mark.filterwarnings("ignore:Unknown extension:UserWarning")  # (openpyxl on <extLst>)
@pytest.mark.parametrize("name", sorted(SHEETS))
def test_hand_written_sheets(tmp_path, name):
    path = write_sheet(tmp_path / f"{name}.xlsx", sheet(SHEETS[name]))
    rows = assert_same_everywhere(path, openpyxl=name not in ("odd_values", "columns"))
    assert rows != ["XlsxError"]
    if name in ("excel", "only_empty_rows"):  # (formulas, shared strings, spans, self-closing cells and rows)
        assert counted(path)[1] == 0


def test_figures_and_uncalculated_formulas_are_the_same_fast_or_slow(tmp_path):
    path = write_sheet(tmp_path / "f.xlsx", sheet(SHEETS["formulas_and_formats"]))

    def marks(fast: bool) -> list:
        saved, xlsx.FAST = xlsx.FAST, fast
        try:
            return [
                [(c.decimals, c.formula) if isinstance(c, xlsx.Figure) else c is xlsx.NO_VALUE for c in cells]
                for _n, cells in iter_rows(path, 1 << 30)
            ]
        finally:
            xlsx.FAST = saved

    assert marks(True) == marks(False)
    assert marks(True)[0] == [(2, False), False, (None, True), (2, True), True, True, False, True, False]
    assert counted(path)[1] == 0  # (all read by the fast path)


def test_1904_dates(tmp_path):
    path = write_sheet(
        tmp_path / "1904.xlsx",
        sheet('<row r="1"><c r="A1" s="1"><v>0</v></c><c r="B1" s="1"><v>1</v></c></row>'),
        date1904=True,
    )
    rows = assert_same_everywhere(path)
    assert rows[0][1][1] == (datetime, datetime(1904, 1, 2))


def test_durations_are_timedeltas_as_openpyxl_reads_them(tmp_path):
    """[h]:mm:ss cells were read as a time of day (or a date past 24 hours); openpyxl gives timedelta."""
    xml = sheet(
        '<row r="1"><c r="A1" s="5"><v>1.5</v></c><c r="B1" s="6"><v>0.0104166666666667</v></c>'
        '<c r="C1" s="5" t="inlineStr"><is><t>2</t></is></c><c r="D1" s="6"><v>3</v></c></row>'
    )
    rows = assert_same_everywhere(write_sheet(tmp_path / "durations.xlsx", xml))
    assert rows == [
        (
            1,
            [
                (timedelta, timedelta(days=1.5)),
                (timedelta, timedelta(minutes=15)),
                (str, "2"),
                (timedelta, timedelta(days=3)),
            ],
        )
    ]


def test_chinese_builtin_date_formats_are_dates(tmp_path):
    """numFmtId 27–36 and 50–58 are dates in Chinese Excel (31 is yyyy"年"m"月"d"日"), written without
    their format code; openpyxl does not know them and gives the number: the reader keeps the date."""
    path = write_sheet(tmp_path / "cjk.xlsx", sheet('<row r="1"><c r="A1" s="7"><v>45721</v></c></row>'))
    assert read(path) == read(path, fast=False) == [(1, [(datetime, datetime(2025, 3, 5))])]
    assert openpyxl_rows(path) == [(1, (45721,))]


def test_sheet_xml_unlike_excel_goes_to_expat(tmp_path):
    cases = {
        "doctype": sheet(
            '<row r="1"><c r="A1" t="inlineStr"><is><t>&ent;</t></is></c></row>',
            prolog='<!DOCTYPE worksheet [<!ENTITY ent "实体">]>',
        ),
        "latin1": sheet(
            '<row r="1"><c r="A1" t="inlineStr"><is><t>caf\xe9</t></is></c></row>',
            prolog='<?xml version="1.0" encoding="ISO-8859-1"?>',
        ).encode("latin-1"),
        "utf16": sheet(
            '<row r="1"><c r="A1" t="inlineStr"><is><t>十六</t></is></c></row>',
            prolog='<?xml version="1.0" encoding="UTF-16"?>',
        ).encode("utf-16"),
        "bom": b"\xef\xbb\xbf" + sheet('<row r="1"><c r="A1"><v>1</v></c></row>').encode(),
        "comment_before": sheet('<row r="1"><c r="A1"><v>1</v></c></row>').replace(
            "<sheetData>", "<!-- <sheetData> --><sheetData>"
        ),
        "prefixed_sheetdata": sheet('<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>')
        .replace("<sheetData>", f'<x:sheetData xmlns:x="{MAIN}">')
        .replace("</sheetData>", "</x:sheetData>"),
        "self_closing_sheetdata": sheet("").replace("<sheetData></sheetData>", "<sheetData/>"),
    }
    for name, xml in cases.items():
        path = write_sheet(tmp_path / f"{name}.xlsx", xml)
        rows = assert_same_everywhere(path, openpyxl=name not in ("latin1", "utf16", "doctype", "prefixed_sheetdata"))
        assert rows != ["XlsxError"], name


BROKEN = {
    "truncated": sheet('<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><v>2</v></c></row>')[:-60],
    "no_sheetdata_end": sheet('<row r="1"><c r="A1"><v>1</v></c></row>').split("</sheetData>")[0],
    "bad_entity": sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>&nbsp;</t></is></c></row>'),
    "bare_ampersand": sheet('<row r="1"><c r="A1" t="str"><v>a & b</v></c></row>'),
    "bad_char_reference": sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>&#1;</t></is></c></row>'),
    "control_character": sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>a\x01b</t></is></c></row>'),
    "control_in_number": sheet('<row r="1"><c r="A1"><v>1\x1f</v></c></row>'),
    "control_in_formula": sheet('<row r="1"><c r="A1"><f>A2\x0b</f><v>1</v></c></row>'),
    "bad_entity_in_formula": sheet('<row r="1"><c r="A1"><f>A2&bogus;</f><v>1</v></c></row>'),
    "invalid_utf8": sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>\udcff</t></is></c></row>').encode(
        "utf-8", "surrogateescape"
    ),
    "invalid_utf8_in_formula": sheet('<row r="1"><c r="A1"><f>\udcff</f><v>1</v></c></row>').encode(
        "utf-8", "surrogateescape"
    ),
    "cdata_end_in_text": sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>a]]>b</t></is></c></row>'),
    "duplicate_attribute": sheet('<row r="1"><c r="A1" s="1" s="2"><v>1</v></c></row>'),
    "duplicate_r": sheet('<row r="1" r="2"><c r="A1"><v>1</v></c></row>'),
    "mismatched_tag": sheet('<row r="1"><c r="A1"><v>1</v></c></rows>'),
    "unclosed_row": sheet('<row r="1"><c r="A1"><v>1</v></c><row r="2"></row>'),
    "attribute_without_value": sheet('<row r="1" hidden><c r="A1"><v>1</v></c></row>'),
    "text_number": sheet('<row r="1"><c r="A1"><v>一</v></c></row>'),
    "fullwidth_digits": sheet('<row r="1"><c r="A1"><v>１２</v></c></row>'),
    "shared_index_too_big": sheet('<row r="1"><c r="A1" t="s"><v>99</v></c></row>'),
    "date_too_far": sheet('<row r="1"><c r="A1" s="1"><v>1e10</v></c></row>'),
    "row_number_text": sheet('<row r="x"><c r="A1"><v>1</v></c></row>'),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_or_odd_sheets_fail_or_read_as_expat_reads_them(tmp_path, name):
    path = write_sheet(tmp_path / f"{name}.xlsx", BROKEN[name])
    rows = assert_same_everywhere(path, openpyxl=False)
    if name == "date_too_far":  # no date can hold it (Excel shows ####): the number, as calamine reads it
        assert rows == [(1, [(float, 1e10)])]
    elif name not in ("fullwidth_digits", "attribute_without_value"):
        assert rows == ["XlsxError"], rows
    else:  # int("１２") is 12; (an attribute without value is not XML)
        assert rows == (["XlsxError"] if name == "attribute_without_value" else [(1, [(int, 12)])])


def test_the_expanded_size_is_capped(tmp_path):
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 5000))
    path = write_sheet(tmp_path / "big.xlsx", sheet(rows))
    size = len(zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml"))
    assert len(list(iter_rows(path, size))) == 4999
    with pytest.raises(XlsxError, match="expands past"):
        list(iter_rows(path, size - 1))


def test_rows_cut_anywhere_by_the_pieces_read(tmp_path, monkeypatch):
    """Every cut position of a sheet: a piece of 7 bytes, then pieces of 64, start everywhere."""
    body = SHEETS["excel"] + SHEETS["inline"].replace('r="1"', 'r="11"').replace('r="2"', 'r="12"')
    path = write_sheet(tmp_path / "cuts.xlsx", sheet(body))
    expected = read(path, fast=False)
    for size in (2, 3, 5, 7, 11, 13, 64, 65, 100, 257, 4096):
        assert read(path, read_bytes=size) == expected, size


# --- random sheets ---------------------------------------------------------------------------------

_CELLS = st.sampled_from(
    [
        '<c r="{c}{r}"><v>{n}</v></c>',
        '<c r="{c}{r}" s="4"><v>{f}</v></c>',
        '<c r="{c}{r}" s="1"><v>{d}</v></c>',
        '<c r="{c}{r}" s="3" t="n"><v>0.{a}</v></c>',
        '<c r="{c}{r}" t="s"><v>{s}</v></c>',
        '<c r="{c}{r}" t="inlineStr"><is><t>{text}</t></is></c>',
        '<c r="{c}{r}" t="inlineStr"><is><t xml:space="preserve"> {text} </t></is></c>',
        '<c r="{c}{r}" t="inlineStr"><is><r><t>{text}</t></r><r><t>!</t></r></is></c>',
        '<c r="{c}{r}" t="str"><f>"x"&amp;"{text}"</f><v>x{text}</v></c>',
        '<c r="{c}{r}"><f t="shared" si="0"/><v>{n}</v></c>',
        '<c r="{c}{r}" t="b"><v>{b}</v></c>',
        '<c r="{c}{r}" t="e"><v>#N/A</v></c>',
        '<c r="{c}{r}" s="2"/>',
        '<c r="{c}{r}"><v></v></c>',
        "<c><v>{n}</v></c>",
        '<x:c r="{c}{r}"><x:v>{n}</x:v></x:c>',
        '<c r="{c}{r}"><!-- note --><v>{n}</v></c>',
        '<c r="{c}{r}" t="inlineStr"><is><t><![CDATA[{text}]]></t></is></c>',
    ]
)
_TEXTS = st.text(alphabet=st.sampled_from("ab 中文&<>\"'\t\n\r𝄞"), max_size=8).map(
    lambda t: t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
)
_ROWS = st.lists(
    st.tuples(
        st.sampled_from(["", ' spans="1:9"', ' hidden="1"', "/", "skip", "norow"]),
        st.lists(st.tuples(_CELLS, st.integers(0, 30), _TEXTS, st.integers(-(10**6), 10**6)), max_size=9),
    ),
    max_size=25,
)


def _random_sheet(rows) -> str:
    out, number = [], 0
    for attrs, cells in rows:
        number += 2 if attrs == "skip" else 1
        head = "<row>" if attrs == "norow" else f'<row r="{number}"{"" if attrs == "skip" else attrs}>'
        if attrs == "/":
            out.append(f'<row r="{number}"/>')
            continue
        column = 0
        parts = []
        for template, step, text, n in cells:
            column += step % 3 + 1
            letters = ""
            k = column
            while k:
                k, rem = divmod(k - 1, 26)
                letters = chr(65 + rem) + letters
            parts.append(
                template.format(
                    c=letters, r=number, n=n, a=abs(n), f=n / 7, d=abs(n) % 80000, s=abs(n) % 6, text=text, b=n % 2
                )
            )
        out.append(head + "".join(parts) + "</row>")
    return sheet("".join(out))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=_ROWS, size=st.sampled_from([3, 7, 64, 200, 65536]))
def test_random_sheets_read_as_expat_reads_them(tmp_path, rows, size):
    path = write_sheet(tmp_path / "random.xlsx", _random_sheet(rows))
    expected = read(path, fast=False)
    assert expected != ["XlsxError"]
    assert read(path, read_bytes=size) == expected
    assert read(path) == expected


def test_a_long_sheet_with_a_few_odd_rows_stays_fast(tmp_path):
    rows = []
    for n in range(1, 3001):
        if n % 100 == 0:
            rows.append(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><r><t>富{n}</t></r></is></c></row>')
        else:
            rows.append(f'<row r="{n}"><c r="A{n}" s="1"><v>{45000 + n}</v></c><c r="B{n}"><v>{n}.5</v></c></row>')
    path = write_sheet(tmp_path / "odd.xlsx", sheet("".join(rows)))
    assert_same_everywhere(path, openpyxl=False)
    assert counted(path) == (2970, 30)
    assert read(path)[99] == (100, [(str, "富100")])
    assert read(path)[0][1][0] == (datetime, datetime(1899, 12, 30) + timedelta(days=45001))


def test_the_xlsx_reader_reads_times_and_datetimes_as_openpyxl_does(tmp_path):
    """A time-only cell came back as 1899-12-31 12:30, datetimes with a stray microsecond."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B1"] = 0.5208333333333334, 45566.520833333336
    ws["A1"].number_format, ws["B1"].number_format = "h:mm", "yyyy-mm-dd h:mm"
    path = tmp_path / "times.xlsx"
    wb.save(path)
    ours = next(row for _n, row in iter_rows(path, 10 * 1024 * 1024))
    theirs = next(openpyxl.load_workbook(path, read_only=True).active.iter_rows(values_only=True))
    assert ours[0] == theirs[0] == time(12, 30)
    assert ours[1] == theirs[1] == datetime(2024, 10, 1, 12, 30)


def test_excel_escapes_are_decoded_in_every_kind_of_text(tmp_path):
    """Excel writes a character XML cannot hold, or a literal "_x", as `_xHHHH_` (ST_Xstring), in
    shared strings, inline strings and formula results alike; openpyxl leaves them as written (a
    documented deviation: python-calamine decodes them as here)."""
    shared = [
        "销售收入_x000D_\n",
        "_x005F_x0041_",
        "a_x0041_b_x004a_",
        "_xD83D__xDE00_",
        "控制_x0001_符",
        "_x0041",
        "_xD83D_",
    ]
    rows = (
        "".join(f'<row r="{n + 1}"><c r="A{n + 1}" t="s"><v>{n}</v></c></row>' for n in range(len(shared)))
        + '<row r="9"><c r="B9" t="inlineStr"><is><t>销售收入_x000D_</t></is></c>'
        + '<c r="C9" t="str"><f>A1</f><v>x_x005F_y</v></c><c r="D9" t="e"><v>#N/A</v></c></row>'
    )
    path = write_sheet(tmp_path / "转义.xlsx", sheet(rows), shared=shared)
    got = [[value for _type, value in cells] for _n, cells in assert_same_everywhere(path, openpyxl=False)]
    assert [row[0] for row in got[:7]] == ["销售收入\r\n", "_x0041_", "aAbJ", "😀", "控制符", "_x0041", "\ufffd"]
    assert got[7] == [None, "销售收入\r", "x_y", "#N/A"]
    assert xlsx.unescape("plain") == "plain"
