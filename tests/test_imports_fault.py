"""A failure in the middle of an import leaves the database exactly as it was."""

import csv

import pytest
from sqlalchemy import func, select

from coopapp.access import audit
from coopapp.imports import bulk, write
from coopapp.imports.households import import_households
from coopapp.imports.ledger import import_ledger
from coopapp.models import AuditEvent, AuditHead, Household, ImportBatch, LedgerEntry, MonthlySummary

from .builders import M, approved_entry, id_number, run_import

ROWS = 250  # with chunks of 100: the fault strikes after one chunk is written, mid-file


class Injected(RuntimeError):
    """The fault the tests inject."""


def snapshot(db) -> dict:
    """Everything an import could touch: row counts, the audit chain's head, the summaries' totals."""
    db.session.expire_all()
    head = db.session.get(AuditHead, 1)
    totals = db.session.execute(select(func.count(), func.coalesce(func.sum(MonthlySummary.amount_fen), 0))).one()
    return {
        "entries": db.session.scalar(select(func.count()).select_from(LedgerEntry)),
        "batches": db.session.scalar(select(func.count()).select_from(ImportBatch)),
        "events": db.session.scalar(select(func.count()).select_from(AuditEvent)),
        "households": db.session.scalar(select(func.count()).select_from(Household)),
        "head": None if head is None else (head.seq, head.hash),
        "summaries": tuple(totals),
    }


def ledger_csv(path, rows: int = ROWS):
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["中洞村收支台账"])
        out.writerow(["日期", "摘要", "类别", "数量(斤)", "金额（元）", "户主"])
        for n in range(rows):
            out.writerow(
                [M.replace(day=1 + n % 28).isoformat(), f"第{n}笔", "销售收入", f"{n + 1}斤", f"{n + 1}.50", ""]
            )
        out.writerow(["合计", "", "", "", f"{sum(n + 1.5 for n in range(rows)):.2f}", ""])
    return path


def fail_on_call(monkeypatch, owner, name: str, call: int) -> list:
    """Make owner.name raise Injected on its `call`-th call (earlier calls run for real)."""
    real, calls = getattr(owner, name), []

    def faulty(*args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            raise Injected("injected fault")
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, faulty)
    return calls


@pytest.fixture()
def small_chunks(monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK", 100)
    monkeypatch.setattr(write, "CHUNK", 100)


@pytest.mark.parametrize(
    ("owner", "name"),
    [
        (bulk, "write_chunk"),  # the second chunk of entries fails before it is written
        (audit, "record"),  # every entry is written, the batch's audit event (which vouches for them) fails
        (bulk.RawRows, "insert"),  # the driver fails on the third INSERT
    ],
)
def test_fault_mid_import_leaves_the_database_as_before(
    app, db, world, tmp_path, small_chunks, monkeypatch, owner, name
):
    approved_entry(world)  # something in the ledger, the summaries and the chain already
    path = ledger_csv(tmp_path / "台账.csv")
    before = snapshot(db)
    assert before["entries"] == 1 and before["summaries"][0] >= 1
    calls = fail_on_call(monkeypatch, owner, name, {"insert": 3, "record": 1}.get(name, 2))
    user, project = world.users["accountant"], world.project
    with pytest.raises(Injected):
        import_ledger(user, project, path, path.name)
    assert len(calls) >= (1 if name == "record" else 2)  # the fault struck after real writes in the same transaction
    assert snapshot(db) == before
    assert audit.verify() is None
    # Nothing of the failed attempt remains: the same file now imports, whole.
    monkeypatch.undo()
    code, result = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, result
    after = snapshot(db)
    assert after["entries"] == before["entries"] + ROWS
    assert after["events"] == before["events"] + 1  # the batch's own, which vouches for its entries
    assert audit.verify() is None


def test_fault_on_the_command_line_reports_and_writes_nothing(app, db, world, tmp_path, small_chunks, monkeypatch):
    path = ledger_csv(tmp_path / "台账.csv")
    before = snapshot(db)
    fail_on_call(monkeypatch, bulk, "write_chunk", 2)
    result = app.test_cli_runner().invoke(
        args=["coop", "import", "ledger", str(path), "--project", str(world.project.id), "--json"]
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, Injected)
    assert snapshot(db) == before
    assert audit.verify() is None


def test_fault_mid_household_import_leaves_the_database_as_before(app, db, world, tmp_path, monkeypatch):
    from openpyxl import Workbook

    monkeypatch.setattr(write, "CHUNK", 10)
    wb = Workbook()
    wb.active.append(["户主姓名", "人口", "身份证号码"])
    for n in range(35):
        wb.active.append([f"测试{n}", 3, id_number(500 + n)])
    path = tmp_path / "花名册.xlsx"
    wb.save(path)
    before = snapshot(db)
    fail_on_call(monkeypatch, audit, "record_many", 3)
    with pytest.raises(Injected):
        import_households(world.users["secretary"], world.village, path, path.name)
    assert snapshot(db) == before
    assert audit.verify() is None


def test_bad_row_after_written_chunks_writes_nothing(app, db, world, tmp_path, small_chunks):
    """Chunks already written when a bad row turns up are undone with the rest."""
    path = ledger_csv(tmp_path / "台账.csv")
    text = path.read_text(encoding="utf-8-sig").splitlines()
    text[2 + 230] = text[2 + 230].replace("销售收入", "卖蜂蜜")  # spreadsheet row 233, after two chunks
    path.write_text("\n".join(text) + "\n", encoding="utf-8-sig")
    before = snapshot(db)
    code, result = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 1
    assert [(e["row"], e["column"], e["value"]) for e in result["errors"]] == [(233, "类别", "卖蜂蜜")]
    assert result["rows_ok"] == ROWS - 1 and result["imported"] is False
    assert snapshot(db) == before
    assert audit.verify() is None
