"""Importing ledger files as accountants keep them: XLSX and CSV, all rows or none, never twice."""

import csv
import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from coopapp.access import audit
from coopapp.core.money import ParseError
from coopapp.imports import xlsx
from coopapp.imports.parse import parse_date, parse_period
from coopapp.ledger import operations as ledger
from coopapp.models import AuditEvent, ImportBatch, LedgerEntry

from .builders import PERIOD, M, hostile_xlsx, ledger_rows_xml, run_import, write_xlsx


def entries(db):
    return list(db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)))


def test_xlsx_with_every_date_amount_and_kind_variant(app, db, world, tmp_path):
    d = M.replace(day=5)
    serial = (d - date(1899, 12, 30)).days
    rows = [
        [datetime(d.year, d.month, d.day), "蜂蜜销售", "销售收入", "800斤", "1,234.50", None],
        [serial, "蜂蜜零售", "sales", 10, "１２３４", None],
        [f"{d.year}-{d.month:02d}-05", "集体分成", "村集体收入", None, "1.2万", None],
        [f"{d.year}/{d.month}/5", "饲料", "成本/支出", None, "12元", None],
        [f"{d.year}.{d.month}.5", "饲料运费", "支出", None, "￥12", None],
        [f"{d.year}年{d.month}月5日", "分红", "分红", None, 300.5, "张三丰"],
        [None, None, None, None, None, None],
        ["合计", None, None, None, 1234.5 + 1234 + 12000 + 12 + 12 + 300.5, None],
    ]
    path = write_xlsx(tmp_path / "台账.xlsx", rows)
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report
    assert report["errors"] == [] and report["warnings"] == []
    assert report["rows_ok"] == 6
    assert report["rows_skipped"] == 4  # blank, 合计, blank, signature
    assert report["total_fen"] == 123450 + 123400 + 1200000 + 1200 + 1200 + 30050
    assert report["imported"] is True
    got = entries(db)
    assert [e.kind for e in got] == ["sales", "sales", "collective_income", "cost", "cost", "dividend"]
    assert {e.status for e in got} == {"draft"}
    assert {e.entry_date for e in got} == {d}
    assert {e.import_batch_id for e in got} == {report["batch_id"]}
    assert (got[0].quantity, got[0].unit) == (Decimal(400), "kg")  # 800 斤
    assert (got[1].quantity, got[1].unit) == (Decimal(5), "kg")  # 10 in a 数量(斤) column
    assert got[5].household_id == world.households[0].id
    assert {e.created_by_id for e in got} == {world.users["accountant"].id}
    # One audit event, the batch's, vouches for the six entries (`audit.vouches`).
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import_batch.create")).one()
    _kind, leaves = audit.vouched(json.loads(event.data))
    assert [ident for ident, _leaf in leaves] == [e.id for e in got] and audit.verify() is None


def test_period_column_wan_header_and_english_headers(app, db, world, tmp_path):
    header = ["月份", "类别", "金额（万元）", "note"]
    rows = [
        [f"{M.year}年{M.month}月", "产值", "1.5", "一季度"],
        [PERIOD, "补贴", 0.25, ""],
        [f"{M.year}年{M.month}月", "补贴", "(0.1)", ""],  # a red entry (红字) without its reason: refused
    ]
    path = write_xlsx(tmp_path / "wan.xlsx", rows, header=header, signature=False)
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert code == 1
    assert [(e["row"], e["column"], e["value"]) for e in report["errors"]] == [(7, "note", "")]
    assert report["errors"][0]["message"] == "红字（负数）记录必须在备注中写明原因。"
    assert report["rows_ok"] == 2 and report["total_fen"] == 1_500_000 + 250_000
    # with its reason the red entry imports, in 万元 like the rest: −0.1万 is −1,000.00 yuan
    rows[2][3] = "退回多拨补贴"
    path = write_xlsx(tmp_path / "wan2.xlsx", rows, header=header, signature=False)
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report
    assert report["total_fen"] == 1_500_000 + 250_000 - 100_000
    assert [(e.period, e.entry_date, e.amount_fen) for e in entries(db)] == [
        (PERIOD, None, 1_500_000),
        (PERIOD, None, 250_000),
        (PERIOD, None, -100_000),
    ]


def test_english_headers(app, db, world, tmp_path):
    header = ["Date", "Note", "Kind", "Quantity", "Unit", "Amount (yuan)", "Household"]
    rows = [
        [M.replace(day=2), "honey", "sales", "30", "kg", "300", None],
        [M.replace(day=3), "power", "output", "120度", None, "96.00", None],
        [M.replace(day=4), "wage", "务工", None, None, "150", "李四"],
    ]
    path = write_xlsx(tmp_path / "en.xlsx", rows, header=header)
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report
    got = entries(db)
    assert [(e.quantity, e.unit) for e in got] == [(Decimal(30), "kg"), (Decimal(120), "kWh"), (None, None)]
    assert got[2].household_id == world.households[1].id


def _csv_text(d: date) -> str:
    return (
        "中洞村蜂蜜销售台账\r\n"
        ",,,,\r\n"
        "日期,摘要,类别,数量,单位,金额(元),户主\r\n"
        f'{d.year}/{d.month}/{d.day},蜂蜜销售,销售收入,100,斤,"2,000.00",\r\n'
        f"{d.year}年{d.month}月{d.day}日,收购蜂蜜,收购,50,千克,-,王五\r\n"
        f"{d.year}.{d.month}.{d.day},收购蜂蜜,收购,50,千克,500,王五\r\n"
        "小计,,,,,2500,\r\n"
        "制表：李会计,,,,,,\r\n"
    )


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_csv_encodings(app, db, world, tmp_path, encoding):
    path = tmp_path / f"台账-{encoding}.csv"
    path.write_bytes(_csv_text(M.replace(day=9)).encode(encoding))
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    # Row 5's amount "-" is not a number: the whole file is refused, and the report says where.
    assert code == 1
    assert report["errors"] == [
        {"row": 5, "column": "金额(元)", "value": "-", "message": report["errors"][0]["message"]}
    ]
    assert "金额" in report["errors"][0]["message"]
    assert report["imported"] is False and report["batch_id"] is None
    assert entries(db) == []
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0
    # fixed, the file imports (the 小计 still matches the rows above it)
    path.write_bytes(_csv_text(M.replace(day=9)).replace(",-,", ",0.5万,").encode(encoding))
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report  # the 小计 (2,500) is now wrong: a warning, not an error
    assert [(w["row"], w["value"]) for w in report["warnings"]] == [(7, "2500")]
    assert report["total_fen"] == 200_000 + 500_000 + 50_000
    got = entries(db)
    assert [(e.kind, e.quantity, e.household_id) for e in got] == [
        ("sales", Decimal(50), None),
        ("purchase", Decimal(50), world.households[2].id),
        ("purchase", Decimal(50), world.households[2].id),
    ]


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_csv_quoting_is_excels_whatever_the_first_rows_look_like(app, db, world, tmp_path, delimiter):
    """Excel quotes a cell with "…" and doubles a " inside it. The sniffer used to guess the
    quoting from the first 4 KB: a note with a line break and a "" made it drop the doubling (the
    row split in two), and a note written in '…' made it take ' for the quote (the ' vanished)."""
    d = f"{M.year}/{M.month}/{M.day}"
    rows = [
        ["日期", "摘要", "类别", "金额（元）"],
        [d, '他说"蜂蜜好"\n第二行', "销售收入", "1,000.00"],
        [d, "'好'", "销售收入", "200"],
        [d, "'见附件'", "成本", "30"],
        [d, "'=A1+B1", "成本", "5"],  # a guarded formula: the ' goes
    ]
    path = tmp_path / "quoted.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report
    assert [(e.note, e.amount_fen) for e in entries(db)] == [
        ('他说"蜂蜜好"\n第二行', 100_000),
        ("'好'", 20_000),
        ("'见附件'", 3_000),
        ("=A1+B1", 500),
    ]


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_a_comma_inside_single_quotes_is_not_taken_for_the_delimiter(app, db, world, tmp_path, delimiter):
    d = f"{M.year}/{M.month}/{M.day}"
    lines = ["日期;摘要;类别;金额", f"{d};他说,'好',啊;销售收入;100", f"{d};ok;销售收入;200"]
    path = tmp_path / "semicolons.csv"
    path.write_text("\r\n".join(lines).replace(";", delimiter) + "\r\n", encoding="utf-8")
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report
    assert [(e.note, e.amount_fen) for e in entries(db)] == [("他说,'好',啊", 10_000), ("ok", 20_000)]


def test_bad_rows_write_nothing_and_name_row_column_value(app, db, world, tmp_path):
    d = M.replace(day=5)
    rows = [
        [d, "好行", "销售收入", None, "100", None],
        [d, "坏类别", "卖蜂蜜", None, "100", None],
        ["2025-13-45", "坏日期", "销售收入", None, "100", None],
        [d, "坏金额", "销售收入", None, "一百", None],
        [d, "坏数量", "销售收入", "八百斤", "100", None],
        [d, "坏单位", "销售收入", "800吨", "100", None],
        [d, "无此户", "分红", None, "100", "张无忌"],
        [d, "分红无户", "分红", None, "100", None],
        [ledger.today().replace(day=1).replace(year=ledger.today().year + 1), "未来", "销售收入", None, "5", None],
        [d, "无金额", "销售收入", None, None, None],
    ]
    path = write_xlsx(tmp_path / "bad.xlsx", rows)
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 1
    found = {(e["row"], e["column"], e["value"]) for e in report["errors"]}
    assert (6, "类别", "卖蜂蜜") in found
    assert (7, "日期", "2025-13-45") in found
    assert (8, "金额（元）", "一百") in found
    assert (9, "数量(斤)", "八百斤") in found
    assert (10, "数量(斤)", "800吨") in found
    assert (11, "户主", "张无忌") in found
    assert (12, "户主", "") in found
    assert any(e["row"] == 13 and e["column"] == "日期" for e in report["errors"])
    blank = [e["message"] for e in report["errors"] if e["row"] == 14]
    assert blank == ["请填写金额"], "a blank amount is missing, not a bad number called “None”"
    assert all(e["message"] for e in report["errors"])
    assert 5 not in {e["row"] for e in report["errors"]}
    assert entries(db) == []
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "entry.create")) == 0


def test_closed_month_and_ambiguous_name_are_row_errors(app, db, world, tmp_path):
    from coopapp.models import Household

    db.session.add(Household(village_id=world.village.id, head_name="李四", members=1))
    db.session.commit()
    ledger.close_month(world.users["secretary"], world.village, PERIOD)
    rows = [[M.replace(day=5), "工资", "务工", None, "100", "李四"]]
    path = write_xlsx(tmp_path / "closed.xlsx", rows)
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 1
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(5, "户主")]
    assert "同名" in report["errors"][0]["message"]
    rows = [[M.replace(day=5), "蜂蜜", "销售收入", None, "100", None]]
    path = write_xlsx(tmp_path / "closed2.xlsx", rows)
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 1
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(5, "日期")]
    assert "结账" in report["errors"][0]["message"]


def test_totals_mismatch_is_a_warning(app, db, world, tmp_path):
    d = M.replace(day=5)
    rows = [
        [d, "a", "销售收入", None, "100", None],
        [d, "b", "销售收入", None, "200", None],
        ["小计", None, None, None, "300", None],
        [d, "c", "成本", None, "50", None],
        ["小计", None, None, None, "60", None],
        ["合 计", None, None, None, "999", None],
    ]
    path = write_xlsx(tmp_path / "totals.xlsx", rows)
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert code == 0
    assert [(w["row"], w["column"], w["value"]) for w in report["warnings"]] == [
        (9, "金额（元）", "60"),
        (10, "金额（元）", "999"),
    ]
    assert "350.00" in report["warnings"][1]["message"]
    assert report["rows_ok"] == 3 and report["rows_skipped"] == 5
    assert report["total_fen"] == 35_000
    assert report["imported"] is False
    assert entries(db) == []  # a dry run writes nothing


def test_same_file_twice_is_refused(app, db, world, tmp_path):
    rows = [[M.replace(day=5), "蜂蜜", "销售收入", None, "100", None]]
    path = write_xlsx(tmp_path / "once.xlsx", rows)
    assert run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")[0] == 0
    assert run_import(app, "ledger", path, "--project", world.project.id)[0] == 0
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 1
    assert report["errors"][0]["row"] is None and "导入过" in report["errors"][0]["message"]
    copy = tmp_path / "renamed.xlsx"
    copy.write_bytes(path.read_bytes())
    assert run_import(app, "ledger", copy, "--project", world.project.id, "--dry-run")[0] == 1
    assert len(entries(db)) == 1


def test_json_shape_and_plain_output(app, db, world, tmp_path):
    rows = [[M.replace(day=5), "蜂蜜", "销售收入", None, "100", None]]
    path = write_xlsx(tmp_path / "shape.xlsx", rows)
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert code == 0
    assert {"rows_ok", "rows_skipped", "errors", "warnings", "total_fen"} <= set(report)
    assert (report["rows_ok"], report["total_fen"], report["dry_run"]) == (1, 10_000, True)
    result = app.test_cli_runner().invoke(
        args=["coop", "import", "ledger", str(path), "--project", str(world.project.id), "--dry-run"]
    )
    assert result.exit_code == 0 and "would import" in result.output
    not_a_sheet = tmp_path / "notes.txt"
    not_a_sheet.write_text("hello")
    code, report = run_import(app, "ledger", not_a_sheet, "--project", world.project.id)
    assert code == 1 and report["errors"][0]["row"] is None
    no_header = tmp_path / "no-header.csv"
    no_header.write_text("a,b\n1,2\n", encoding="utf-8")
    code, report = run_import(app, "ledger", no_header, "--project", world.project.id)
    assert code == 1 and "表头" in report["errors"][0]["message"]


def test_importer_must_cover_the_project(app, db, world, tmp_path):
    rows = [[M.replace(day=5), "蜂蜜", "销售收入", None, "100", None]]
    path = write_xlsx(tmp_path / "scope.xlsx", rows)
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--as", "acc2")
    assert code == 1 and report["errors"]
    assert entries(db) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-05", date(2025, 3, 5)),
        ("2025/3/5", date(2025, 3, 5)),
        ("2025.3.5", date(2025, 3, 5)),
        ("2025年3月5日", date(2025, 3, 5)),
        ("２０２５年３月５日", date(2025, 3, 5)),
        ("20250305", date(2025, 3, 5)),
        (45721, date(2025, 3, 5)),
        ("45721", date(2025, 3, 5)),
        (datetime(2025, 3, 5, 0, 0), date(2025, 3, 5)),
        ("2025-03-05 00:00:00", date(2025, 3, 5)),
    ],
)
def test_parse_date(app, text, expected):
    with app.app_context():
        assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025年9月", "2025-09"),
        ("2025-09", "2025-09"),
        ("2025/9", "2025-09"),
        ("2025.09", "2025-09"),
        (datetime(2025, 9, 1), "2025-09"),
        ("202509", "2025-09"),
        ("2025-09-14", "2025-09"),
    ],
)
def test_parse_period(app, text, expected):
    with app.app_context():
        assert parse_period(text) == expected


@pytest.mark.parametrize("text", ["2025-02-30", "昨天", "2025-13"])
def test_parse_date_refuses(app, text):
    with app.app_context(), pytest.raises(ParseError):
        parse_date(text)


def _openpyxl_rows(path) -> list:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    rows = [(n, tuple(r)) for n, r in enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1)]
    wb.close()
    return rows


def _trimmed(rows) -> list:
    out = []
    for number, cells in rows:
        cells = [None if c is xlsx.NO_VALUE else c for c in cells]  # (openpyxl: None for a formula never calculated)
        while cells and cells[-1] is None:
            cells.pop()
        if cells:  # (openpyxl yields a row for each gap, the reader leaves them out)
            out.append((number, tuple(cells)))
    return out


def test_xlsx_reader_gives_what_openpyxl_gives(tmp_path):
    """The streaming reader (coopapp/imports/xlsx.py) against openpyxl's read-only mode, cell for cell."""
    import zipfile

    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    from coopapp.imports.xlsx import iter_rows

    wb = Workbook()
    ws = wb.active
    ws.append(["中洞村收支台账"])
    ws.merge_cells("A1:E1")
    ws.append([])
    ws.append(["日期", "金额", "布尔", "公式", "富文本"])
    ws.append([datetime(2025, 3, 5), 1234.5, True, "=B4*2", CellRichText(["红", TextBlock(InlineFont(b=True), "粗")])])
    ws.append([date(2025, 3, 6), 12, False, None, "a & <b>"])
    ws["G8"] = "远处的格子"
    ws["A9"] = 45721
    ws["A9"].number_format = 'yyyy"年"m"月"d"日"'
    ws["B9"] = 0.1
    ws["B9"].number_format = "0.00%"
    ws["C9"] = -5
    ws["C9"].number_format = "#,##0.00_);[Red](#,##0.00)"
    path = write_xlsx(tmp_path / "台账.xlsx", [[M, "蜂蜜", "销售收入", "800斤", 1234.5, "张三丰"]])
    variants = [path, tmp_path / "杂.xlsx"]
    wb.save(variants[1])
    # The same workbook with the sheet's elements prefixed (x:row, x:c …), as some programs write it.
    prefixed = tmp_path / "前缀.xlsx"
    with zipfile.ZipFile(variants[1]) as src, zipfile.ZipFile(prefixed, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                text = text.replace('xmlns="http://schemas', 'xmlns:x="http://schemas', 1)
                for tag in ("worksheet", "sheetData", "row", "c", "v", "is", "t", "f", "r"):
                    text = text.replace(f"<{tag}>", f"<x:{tag}>").replace(f"<{tag} ", f"<x:{tag} ")
                    text = text.replace(f"</{tag}>", f"</x:{tag}>")
                data = text.encode()
            out.writestr(item, data)
    with zipfile.ZipFile(prefixed) as archive:
        assert b"<x:c " in archive.read("xl/worksheets/sheet1.xml")
    for variant in variants:
        expected = _trimmed(_openpyxl_rows(variant))
        assert _trimmed(iter_rows(variant, 1 << 30)) == expected
    assert _trimmed(iter_rows(prefixed, 1 << 30)) == _trimmed(_openpyxl_rows(variants[1]))
    got = dict(_trimmed(iter_rows(variants[1], 1 << 30)))
    assert got[9][0] == datetime(2025, 3, 5) and got[8][6] == "远处的格子" and 2 not in got


def test_a_minus_zero_quantity_in_an_import_keeps_the_chain_whole(app, db, world, tmp_path):
    path = tmp_path / "minus-zero.csv"
    day = ledger.today().replace(day=1)
    path.write_text(f"日期,类别,数量,单位,金额\n{day.isoformat()},产值,-0,斤,100\n", encoding="utf-8")
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report
    assert audit.verify() is None


def test_a_kind_pasted_with_a_line_break_still_matches(app, db, world, tmp_path):
    """Excel writes the carriage return of a pasted 类别 as _x000D_: decoded, it is whitespace."""
    day = M.replace(day=3).isoformat()
    rows = [
        (1, {"A1": "日期", "B1": "类别", "C1": "金额_x000D_"}),
        (2, {"A2": day, "B2": "销售收入_x000D_", "C2": 100}),
    ]
    path = hostile_xlsx(tmp_path / "换行.xlsx", ledger_rows_xml(rows))
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert code == 0, report
    assert (report["rows_ok"], report["total_fen"], report["errors"]) == (1, 10000, [])


def test_a_header_repeated_further_down_is_skipped(app, db, world, tmp_path):
    """Months pasted one under another, each with its header: the repeats are not rows."""
    from .builders import LEDGER_HEADER

    d = M.replace(day=5)
    rows = [
        [d, "a", "销售收入", None, "100", None],
        [],
        LEDGER_HEADER,
        [d, "b", "销售收入", None, "200", None],
    ]
    path = write_xlsx(tmp_path / "months.xlsx", rows)
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report
    assert report["errors"] == [] and report["rows_ok"] == 2 and report["total_fen"] == 30_000
    assert [e.note for e in entries(db)] == ["a", "b"]


def test_a_header_further_down_with_its_columns_elsewhere_is_refused(app, db, world, tmp_path):
    """Read with the first header's columns, the rows under it would be imported wrong: refused, named."""
    d = M.replace(day=5)
    moved = ["日期", "类别", "摘要", "数量(斤)", "金额（元）", "户主"]
    rows = [[d, "a", "销售收入", None, "100", None], moved, [d, "销售收入", "b", None, "200", None]]
    path = write_xlsx(tmp_path / "moved.xlsx", rows)
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 1 and not report["imported"]
    message = report["errors"][0]["message"]
    assert "第 6 行又是一个表头" in message and "第 4 行" in message and "日期、类别、摘要" in message
    assert entries(db) == []


def test_totals_named_by_their_month_are_total_rows(app, db, world, tmp_path):
    """11月小计 (in the 摘要 column, as many write it), 1-12月合计: total rows, checked, not data."""
    d = M.replace(day=5)
    rows = [
        [d, "a", "销售收入", None, "100", None],
        [d, "b", "销售收入", None, "200", None],
        [None, "11月小计", None, None, "300", None],
        [d, "c", "成本", None, "50", None],
        [None, "12 月 小计", None, None, "50", None],
        [None, "1-12月合计", None, None, "350", None],
    ]
    path = write_xlsx(tmp_path / "named.xlsx", rows)
    code, report = run_import(app, "ledger", path, "--project", world.project.id, "--dry-run")
    assert code == 0, report
    assert report["errors"] == [] and report["warnings"] == []
    assert report["rows_ok"] == 3 and report["rows_skipped"] == 5 and report["total_fen"] == 35_000
    rows[-1][4] = "999"
    code, report = run_import(app, "ledger", write_xlsx(tmp_path / "off.xlsx", rows), "--project", world.project.id)
    assert [(w["row"], w["value"]) for w in report["warnings"]] == [(10, "999")]  # checked like 合计
