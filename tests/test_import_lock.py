"""No import holds a lock while it reads (issue 16, item 17): the file is read and checked first,
writing nothing; then one short transaction takes the village's lock, checks again what may have
changed meanwhile and writes. SQLite and PostgreSQL alike.

The import runs in a thread whose row iterator stops halfway through the file (on an Event) while
the test writes in its own session, then lets the import finish."""

import threading
import time
import tracemalloc

import pytest
from sqlalchemy import func, select

from coopapp.access import audit
from coopapp.extensions import db
from coopapp.imports import ledger as ledger_import
from coopapp.imports.ledger import import_ledger
from coopapp.imports.report import ImportReport
from coopapp.ledger import operations as ledger
from coopapp.models import Area, AuditEvent, ImportBatch, LedgerEntry, Project, User
from coopapp.villages import catalog

from .builders import PERIOD, M, entry_input, write_xlsx

ROWS = [(M.replace(day=1 + n % 20), f"第{n}笔", "销售收入", None, 100 + n, None) for n in range(60)]
PROMPT = 5  # seconds a write may take at most while an import reads (it takes milliseconds)


class PausedImport:
    """An import in a thread whose first file read pauses after `after` rows until `go` is set.

    `run(user, target)`: the import (ledger by default); `module`: the import's module, whose
    `open_table` (a `table.Table`) gives it its rows."""

    def __init__(self, app, monkeypatch, world, path, after=20, run=None, module=ledger_import):
        self.app, self.path = app, path
        self.user_id, self.project_id = world.users["accountant"].id, world.project.id
        self.run = run or (
            lambda user_id: import_ledger(
                db.session.get(User, user_id), db.session.get(Project, self.project_id), path, path.name
            )
        )
        self.reading, self.go = threading.Event(), threading.Event()
        self.report, self.errors = None, []
        opened = module.open_table
        paused = []

        def slow(rows):
            for n, row in enumerate(rows):
                if n == after:
                    self.reading.set()
                    assert self.go.wait(60), "the test never let the import go on"
                yield row

        def patched(*args, **kwargs):
            result = opened(*args, **kwargs)
            if paused:  # only the first import pauses
                return result
            paused.append(True)
            result.rows = slow(result.rows)
            return result

        monkeypatch.setattr(module, "open_table", patched)
        self.thread = threading.Thread(target=self._run)

    def _run(self):
        with self.app.app_context():
            try:
                self.report = self.run(self.user_id)
            except BaseException as exc:  # noqa: BLE001 - reported by finish()
                self.errors.append(exc)
            finally:
                db.session.remove()

    def __enter__(self):
        self.thread.start()
        assert self.reading.wait(30), "the import never started reading"
        return self

    def finish(self):
        self.go.set()
        self.thread.join(60)
        assert not self.thread.is_alive() and self.errors == []
        db.session.expire_all()
        return self.report

    def __exit__(self, *exc):
        self.go.set()
        self.thread.join(60)


def counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (LedgerEntry, ImportBatch, AuditEvent))


def timed(fn):
    start = time.monotonic()
    result = fn()
    return result, time.monotonic() - start


def test_writes_go_on_while_an_import_reads(app, db, world, tmp_path, monkeypatch):
    """Another village's audited write, and one into the importing village itself, commit at once
    while the import is halfway through its file; then the import finishes and the chain holds."""
    path = write_xlsx(tmp_path / "台账.xlsx", ROWS)
    acc, acc2 = world.users["accountant"], world.users["other_accountant"]
    with PausedImport(app, monkeypatch, world, path) as running:
        other, seconds = timed(lambda: ledger.create_entry(acc2, entry_input(world.other_project, amount_fen=777)))
        assert seconds < PROMPT
        own, seconds = timed(lambda: ledger.create_entry(acc, entry_input(world.project, amount_fen=888)))
        assert seconds < PROMPT
        assert running.thread.is_alive() and not running.go.is_set()  # (still reading)
        other_id, own_id = other.id, own.id
        report = running.finish()
    assert report.imported and report.rows_ok == len(ROWS), report.as_dict()
    batch = db.session.get(ImportBatch, report.batch_id)
    assert batch.rows == len(ROWS)
    assert db.session.scalar(select(func.count()).where(LedgerEntry.import_batch_id == batch.id)) == len(ROWS)
    assert db.session.get(LedgerEntry, other_id).amount_fen == 777
    assert db.session.get(LedgerEntry, own_id).amount_fen == 888
    assert audit.verify() is None


def _close_month(world):
    ledger.close_month(world.users["secretary"], world.village, PERIOD)


def _stop_project(world):
    project = world.project
    data = catalog.ProjectInput(name=project.name, type=project.type, active=False)
    catalog.update_project(world.users["secretary"], project, data)


@pytest.mark.parametrize(
    ("meanwhile", "needle"),
    [(_close_month, f"导入期间 {PERIOD} 已结账"), (_stop_project, "导入期间项目已停用")],
    ids=["month closed", "project stopped"],
)
def test_what_changed_while_reading_is_checked_again_under_the_lock(
    app, db, world, tmp_path, monkeypatch, meanwhile, needle
):
    path = write_xlsx(tmp_path / "台账.xlsx", ROWS)
    before = counts()
    with PausedImport(app, monkeypatch, world, path) as running:
        _result, seconds = timed(lambda: meanwhile(world))
        assert seconds < PROMPT
        during = counts()
        report = running.finish()
    assert not report.imported and report.batch_id is None
    messages = [e["message"] for e in report.as_dict()["errors"]]
    assert any(needle in m and "请重新导入" in m for m in messages), messages
    assert counts() == during and during[:2] == before[:2]  # nothing of the file written
    assert audit.verify() is None


def test_the_same_file_imported_meanwhile_is_refused(app, db, world, tmp_path, monkeypatch):
    path = write_xlsx(tmp_path / "台账.xlsx", ROWS)
    acc = world.users["accountant"]
    with PausedImport(app, monkeypatch, world, path) as running:
        first, seconds = timed(lambda: import_ledger(acc, world.project, path, path.name))
        assert first.imported and seconds < PROMPT * 2
        during = counts()
        report = running.finish()
    assert not report.imported
    assert any("不能重复导入" in e.message for e in report.errors), report.as_dict()
    assert counts() == during
    assert audit.verify() is None


def test_the_checked_rows_are_kept_compactly(app, db, world, tmp_path):
    """The checking pass keeps each good row as a plain tuple (repeated values shared), not an ORM
    object: 20,000 rows in a few MB (200,000: ~40 MB; the bench's peak RSS for its 200k-row CSV
    import went from 144 to ~200 MB)."""
    lines = ["日期,摘要,类别,数量,金额"]
    lines += [
        f"{M.replace(day=1 + n % 20)},蜂蜜销售,销售收入,{n % 50 + 1}斤,{100 + n}.{n % 100:02d}" for n in range(20_000)
    ]
    path = tmp_path / "台账.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ImportReport("ledger", path.name, False)
    tracemalloc.start()
    try:
        checked = ledger_import._check(world.users["accountant"], world.project, path, report)
        kept = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert report.ok and len(checked.drafts) == 20_000 and all(type(d) is tuple for d in checked.drafts)
    assert checked.periods == {PERIOD}
    assert kept < 20_000 * 300, kept  # bytes still held per row kept (measured: ~200, so 200k rows ≈ 40 MB)
    assert counts()[:2] == (0, 0)  # the checking pass wrote nothing


def test_a_household_renamed_while_reading_is_checked_again(app, db, world, tmp_path, monkeypatch):
    home = world.households[0]
    rows = [*ROWS, (M.replace(day=9), "分红", "分红", None, 50, home.head_name)]
    path = write_xlsx(tmp_path / "台账.xlsx", rows)
    with PausedImport(app, monkeypatch, world, path) as running:
        data = catalog.HouseholdInput(
            head_name="张三",
            members=home.members,
            group_code=home.group.code,
            phone=home.phone,
            id_number=home.id_number,
            formerly_poor=home.formerly_poor,
            monitored=home.monitored,
        )
        catalog.update_household(world.users["secretary"], home, data)
        during = counts()
        report = running.finish()
    assert not report.imported
    assert any("导入期间本村的农户有变动" in e.message for e in report.errors), report.as_dict()
    assert counts() == during
    assert audit.verify() is None


def test_a_roster_reads_without_a_lock_and_checks_id_numbers_again(app, db, world, tmp_path, monkeypatch):
    """A village's roster import pauses while reading; the secretary registers a household by hand
    meanwhile (at once), with an ID number the file also holds: the import refuses, writes nothing."""
    from coopapp.imports import households as roster_import

    from .builders import id_number, write_roster

    rows = [(f"户主{n}", 3, None, id_number(20 + n), None, "否") for n in range(40)]
    path = write_roster(tmp_path / "花名册.xlsx", rows)
    sec = world.users["secretary"]

    def run(_user_id):
        return roster_import.import_households(
            db.session.get(User, sec.id), db.session.get(Area, world.village.id), path, path.name
        )

    with PausedImport(app, monkeypatch, world, path, run=run, module=roster_import) as running:
        _home, seconds = timed(
            lambda: catalog.create_household(
                sec, world.village, catalog.HouseholdInput("手工登记", id_number=id_number(25))
            )
        )
        assert seconds < PROMPT
        during = counts()
        report = running.finish()
    assert not report.imported
    assert any("导入期间有身份证号码已登记在另一户" in e.message for e in report.errors), report.as_dict()
    assert counts() == during
    assert audit.verify() is None
