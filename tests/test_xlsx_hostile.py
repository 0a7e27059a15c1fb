"""Hostile workbooks (issue 16, item 16): a few kilobytes must not stall the server. Rows and
columns stop at Excel's limits, blank runs cost nothing, and the shared strings, the parts read
whole, the cells and the seconds of an import are bounded; past a bound the import stops with a
message and writes nothing.

The reader runs in a child process held to a few hundred MB and a minute (`read_confined`), so a
regression fails here instead of hanging the run or the machine; the imports run as the command
line runs them, under a timer."""

import os

import pytest
from sqlalchemy import func, select

from coopapp.imports import xlsx
from coopapp.models import AuditEvent, Household, ImportBatch, LedgerEntry

from .builders import M, hostile_xlsx, ledger_rows_xml, read_confined, run_import, run_roster, within

DAY = M.replace(day=3).isoformat()
HEADER = (1, {"A1": "日期", "B1": "类别", "C1": "金额"})


def entry_row(number: int, amount: int = 100) -> tuple:
    return (number, {f"A{number}": DAY, f"B{number}": "销售收入", f"C{number}": amount})


def counts(db) -> tuple:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (LedgerEntry, ImportBatch, AuditEvent, Household)
    )


def refused(app, db, world, path, needle: str, seconds: int = 20) -> dict:
    before = counts(db)
    with within(seconds):
        code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 1, report
    assert report["imported"] is False
    messages = [e["message"] for e in report["errors"]]
    assert any(needle in m and "没有写入任何数据" in m for m in messages), messages
    assert counts(db) == before
    return report


# --- the reader, confined ----------------------------------------------------------------------


@pytest.mark.parametrize("fast", [True, False])
def test_a_row_past_excels_last_row_is_refused_at_once(tmp_path, fast):
    """r="2000000000" after one good row walked two billion blank rows (≥ 29 minutes of CPU)."""
    path = hostile_xlsx(tmp_path / "行.xlsx", ledger_rows_xml([HEADER, entry_row(2)]) + '<row r="2000000000"/>')
    assert path.stat().st_size < 5 * 1024
    last = hostile_xlsx(tmp_path / "末行.xlsx", ledger_rows_xml([HEADER, entry_row(xlsx.MAX_ROW)]))
    past = hostile_xlsx(tmp_path / "超行.xlsx", ledger_rows_xml([HEADER, entry_row(xlsx.MAX_ROW + 1)]))
    far, at_last, past_last = read_confined([path, last, past], fast=fast, seconds=20)
    assert (far["limit"], far["rows"]) == ("row", 2) and far["seconds"] < 5
    assert (at_last["limit"], at_last["rows"], at_last["last"]) == (None, 2, 1_048_576) and at_last["seconds"] < 5
    assert past_last["limit"] == "row"


@pytest.mark.parametrize("fast", [True, False])
def test_a_column_past_xfd_is_refused_at_once(tmp_path, fast):
    """A reference like AAAAAAA3 built a row of hundreds of millions of cells (2.8 GB in 25 s)."""
    paths = []
    for reference in ("AAAAAAA3", "XFE3", "ZZZ3"):
        rows = ledger_rows_xml([HEADER, entry_row(2)]) + f'<row r="3"><c r="{reference}"><v>1</v></c></row>'
        paths.append(hostile_xlsx(tmp_path / f"{reference}.xlsx", rows))
    # Cells without a reference count on from the last one: past XFD too.
    unnamed = '<row r="1">' + "<c><v>1</v></c>" * (xlsx.MAX_COLUMN + 1) + "</row>"
    paths.append(hostile_xlsx(tmp_path / "无引用.xlsx", unnamed))
    last = ledger_rows_xml([HEADER]) + '<row r="2"><c r="XFD2"><v>1</v></c></row>'
    paths.append(hostile_xlsx(tmp_path / "XFD.xlsx", last))
    *past, at_xfd = read_confined(paths, fast=fast, seconds=20)
    assert [got["limit"] for got in past] == ["column"] * 4 and max(got["seconds"] for got in past) < 5
    assert (at_xfd["limit"], at_xfd["rows"], at_xfd["width"]) == (None, 2, 3)  # (XFD2 is past READ_COLUMNS)


@pytest.mark.parametrize("fast", [True, False])
def test_a_blank_run_costs_nothing(tmp_path, fast):
    """From row 2 to row 1,000,000: three rows read, no row or cell made for the gap."""
    rows = [HEADER, entry_row(2), entry_row(1_000_000)]
    got = read_confined(hostile_xlsx(tmp_path / "跳行.xlsx", ledger_rows_xml(rows)), fast=fast, memory_mb=160)
    assert (got["limit"], got["rows"], got["last"]) == (None, 3, 1_000_000) and got["seconds"] < 2


@pytest.mark.parametrize("fast", [True, False])
def test_a_far_cell_does_not_widen_its_row(tmp_path, fast):
    """Each row one cell at XFD (~35 bytes) made a row of 16,384 cells: now the cells past
    READ_COLUMNS are left out, and such rows cost what their bytes cost."""
    rows = "".join(f'<row r="{n}"><c r="XFD{n}"><v>1</v></c></row>' for n in range(1, 20_001))
    path = hostile_xlsx(tmp_path / "宽.xlsx", rows)
    assert path.stat().st_size < 256 * 1024
    got = read_confined(path, fast=fast, memory_mb=160, seconds=20)
    assert (got["limit"], got["rows"], got["width"]) == (None, 20_000, 0) and got["seconds"] < 5
    # A cell beside the limit is kept, the one past it left out; a dense row past it is cut there.
    edge = xlsx.READ_COLUMNS
    near = {f"{xlsx_letters(edge)}1": "最后一列", f"{xlsx_letters(edge + 1)}1": "之外", "XFD1": "远处"}
    dense = {f"{xlsx_letters(c)}2": c for c in range(1, edge + 40)}
    got = read_confined(hostile_xlsx(tmp_path / "边.xlsx", ledger_rows_xml([(1, near), (2, dense)])), fast=fast)
    assert (got["limit"], got["rows"], got["width"]) == (None, 2, edge)


def xlsx_letters(column: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def test_shared_strings_are_bounded_in_memory(tmp_path):
    """Many short strings (their Python objects cost more than their XML) and one huge string."""
    many = hostile_xlsx(tmp_path / "多.xlsx", ledger_rows_xml([HEADER]), shared=(f"{n:08d}" for n in range(300_000)))
    huge = hostile_xlsx(tmp_path / "长.xlsx", ledger_rows_xml([HEADER]), shared=[os.urandom(8 << 20).hex()])
    # Within the default budget (128 MB): 300,000 strings (~22 MB as Python holds them), 16 MB of text.
    assert [got["limit"] for got in read_confined([many, huge])] == [None, None]
    stopped = read_confined([many, huge], shared_bytes=4 << 20, memory_mb=160)
    assert [got["limit"] for got in stopped] == ["shared", "shared"]


def test_a_part_read_whole_is_bounded(tmp_path):
    styles = '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + " " * 4096
    path = hostile_xlsx(
        tmp_path / "样式.xlsx", ledger_rows_xml([HEADER]), parts={"xl/styles.xml": styles + "</styleSheet>"}
    )
    assert read_confined(path, part_bytes=4096)["limit"] == "part"
    assert read_confined(path)["limit"] is None


def test_the_time_budget_stops_a_slow_read(tmp_path, monkeypatch):
    rows = ledger_rows_xml([HEADER, *(entry_row(n) for n in range(2, 5000))])
    path = hostile_xlsx(tmp_path / "慢.xlsx", rows)
    clock = iter(range(0, 10**6, 10))  # ten seconds pass at every look at the clock
    monkeypatch.setattr(xlsx, "monotonic", lambda: next(clock))
    with pytest.raises(xlsx.XlsxLimit) as exc:
        list(xlsx.iter_rows(path, 1 << 30, xlsx.Budget(seconds=15)))
    assert exc.value.kind == "seconds"
    assert len(list(xlsx.iter_rows(path, 1 << 30, xlsx.Budget()))) == 4999  # no budget of seconds: no limit


# --- the imports: a message, nothing written ---------------------------------------------------


def test_the_command_line_refuses_hostile_workbooks_and_writes_nothing(app, db, world, tmp_path):
    good = [HEADER, entry_row(2), entry_row(3)]
    row = hostile_xlsx(tmp_path / "行.xlsx", ledger_rows_xml(good) + '<row r="2000000000"/>')
    report = refused(app, db, world, row, "1,048,576")
    assert "2000000000" in report["errors"][-1]["message"]
    column = hostile_xlsx(tmp_path / "列.xlsx", ledger_rows_xml(good) + '<row r="4"><c r="AAAAAAA4"><v>1</v></c></row>')
    refused(app, db, world, column, "XFD")
    before = counts(db)
    with within(20):
        code, report = run_roster(app, row, "--village", world.village.code)
    assert code == 1 and "1,048,576" in report["errors"][-1]["message"] and counts(db) == before


def test_a_ledger_with_a_far_cell_on_every_row_imports_at_once(app, db, world, tmp_path):
    """A mark at XFD beside each of 20,000 rows (16,384 cells apiece before): the rows are read
    to READ_COLUMNS, the far cells (outside the table) left out; the file imports."""
    rows = [(n, {**entry_row(n)[1], f"XFD{n}": "✓"}) for n in range(2, 20_002)]
    path = hostile_xlsx(
        tmp_path / "宽.xlsx", ledger_rows_xml([HEADER, *rows]) + '<row r="20002"><c r="XFD20002"><v>1</v></c></row>'
    )
    with within(60):
        code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report["errors"][:3]
    assert (report["rows_ok"], report["rows_skipped"], report["total_fen"]) == (20_000, 1, 20_000 * 10_000)


def test_a_ledger_with_a_blank_run_imports_at_once(app, db, world, tmp_path):
    path = hostile_xlsx(tmp_path / "跳行.xlsx", ledger_rows_xml([HEADER, entry_row(2), entry_row(1_000_000, 250)]))
    with within(20):
        code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report
    assert (report["rows_ok"], report["rows_skipped"], report["total_fen"]) == (2, 1_000_000 - 3, 35_000)


@pytest.mark.parametrize(
    ("setting", "value", "needle"),
    [
        ("IMPORT_MAX_SHARED_STRINGS_BYTES", 1 << 20, "文字超过 1.0 MB"),
        ("IMPORT_MAX_CELLS", 1000, "超过 1,000 个"),
        ("IMPORT_MAX_PART_BYTES", 200, "过大"),
    ],
)
def test_the_budget_comes_from_the_settings(app, db, world, tmp_path, monkeypatch, setting, value, needle):
    rows = [HEADER, *(entry_row(n) for n in range(2, 600))]
    shared = (f"{n:08d}" for n in range(60_000))
    path = hostile_xlsx(tmp_path / "台账.xlsx", ledger_rows_xml(rows), shared=shared)
    monkeypatch.setitem(app.config, setting, value)
    refused(app, db, world, path, needle)


def test_an_import_past_its_seconds_stops_and_writes_nothing(app, db, world, tmp_path, monkeypatch):
    path = hostile_xlsx(tmp_path / "慢.xlsx", ledger_rows_xml([HEADER, *(entry_row(n) for n in range(2, 3000))]))
    clock = iter(range(0, 10**6, 10))
    monkeypatch.setattr(xlsx, "monotonic", lambda: next(clock))
    monkeypatch.setitem(app.config, "IMPORT_MAX_SECONDS", 30)
    refused(app, db, world, path, "30 秒")
