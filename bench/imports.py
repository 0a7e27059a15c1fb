"""The import benchmark: a 200,000-row ledger file, CSV and XLSX, through `coop import ledger`.

    python -m bench.imports --url sqlite:///bench/.cache/county-….sqlite [--rows N] [--repeat N] [--write-wait]

`measure_write_wait(url)` imports one more XLSX file while another village's accountant keeps
writing (the `import_write_wait` line: how long such a write waits).

`measure_imports(url)` writes two files as a village accountant keeps them (title and unit
rows, Chinese headers, dates, amounts with thousands separators, quantities in 斤, payouts
to named households, monthly 小计 rows, a 合计 and a signature row) and imports each into a
project of the bench county at `url`, one child process per import so that the peak memory
(the child's VmHWM) is the import's own. The database must be one the bench may write
to (bench/run.py works on a copy).
"""

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROWS = 200_000
HEADER = ["日期", "摘要", "类别", "数量(斤)", "金额（元）", "户主"]
# (kind label, note, yuan range, quantity in 斤 or None, payout to a household)
KINDS = (
    ("销售收入", "蜂蜜销售", (200, 20_000), (50, 2_000), False),
    ("产值", "蜂蜜产值", (1_000, 50_000), (100, 4_000), False),
    ("成本", "饲料、药品", (50, 5_000), None, False),
    ("村集体收入", "集体分成", (500, 10_000), None, False),
    ("补贴", "养蜂补贴", (100, 3_000), None, False),
    ("分红", "股份分红", (100, 2_000), None, True),
    ("务工", "务工工资", (80, 300), None, True),
)


def ledger_rows(count: int, names: list[str], today: date, seed: int = 1):
    """`count` data rows over the twelve months before this one, with a 小计 after each month and a 合计."""
    rng = random.Random(seed)
    first = today.replace(day=1)
    months = []
    for back in range(12, 0, -1):
        y, m = divmod(first.year * 12 + first.month - 1 - back, 12)
        months.append(date(y, m + 1, 1))
    per_month, extra = divmod(count, len(months))
    total = 0
    for n, start in enumerate(months):
        days = ((start.replace(day=28) + timedelta(days=4)).replace(day=1) - start).days
        month_total = 0
        for _ in range(per_month + (1 if n < extra else 0)):
            label, note, (lo, hi), qty, payout = KINDS[rng.randrange(len(KINDS) if names else 5)]
            fen = rng.randint(lo * 100, hi * 100)
            quantity = f"{rng.randint(*qty)}斤" if qty else None
            yield [
                start.replace(day=rng.randint(1, days)),
                note,
                label,
                quantity,
                fen,
                rng.choice(names) if payout else None,
            ]
            month_total += fen
        yield ["小计", None, None, None, month_total, None]
        total += month_total
    yield ["合计", None, None, None, total, None]


def _yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


def write_csv(path: Path, count: int, names: list[str], today: date, tag: str = "") -> Path:
    """The rows as Excel on Chinese Windows saves them: UTF-8 with BOM, dates as 2025/3/5, "1,234.50"."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow([f"中洞村中华蜂养殖项目收支台账{tag}"])
        out.writerow(["单位：元"])
        out.writerow([])
        out.writerow(HEADER)
        for day, note, label, qty, fen, name in ledger_rows(count, names, today):
            when = day if isinstance(day, str) else f"{day.year}/{day.month}/{day.day}"
            out.writerow([when, note, label, qty or "", _yuan(fen), name or ""])
        out.writerow([])
        out.writerow(["制表人：李会计", "", "审核人：王书记"])
    return path


def write_xlsx(path: Path, count: int, names: list[str], today: date, tag: str = "") -> Path:
    """The rows as an XLSX workbook: date cells, numeric amounts in yuan (write-only mode, streamed)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("台账")
    ws.append([f"中洞村中华蜂养殖项目收支台账{tag}"])
    ws.append(["单位：元"])
    ws.append([])
    ws.append(HEADER)
    for day, note, label, qty, fen, name in ledger_rows(count, names, today):
        ws.append([day, note, label, qty, fen / 100, name])
    ws.append([])
    ws.append(["制表人：李会计", None, "审核人：王书记"])
    wb.save(path)
    return path


def bench_target(url: str) -> tuple[int, str, list[str]]:
    """The first village's first project, its accountant, and up to 50 household names unique in the village."""
    from collections import Counter

    from sqlalchemy import select

    from coopapp import create_app
    from coopapp.extensions import db
    from coopapp.imports.ledger import default_importer
    from coopapp.models import Area, Household, Project

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        village = db.session.scalars(select(Area).where(Area.level == "village").order_by(Area.id)).first()
        project = db.session.scalars(
            select(Project).where(Project.village_id == village.id, Project.active.is_(True)).order_by(Project.id)
        ).first()
        user = default_importer(project)
        counts = Counter(db.session.scalars(select(Household.head_name).where(Household.village_id == village.id)))
        names = sorted(name for name, n in counts.items() if n == 1)[:50]
        result = project.id, user.username, names
        db.session.remove()
    return result


def _peak_kib() -> int:
    """This process's peak resident memory in KiB. /proc's VmHWM belongs to the process's own
    memory map; ru_maxrss also carries the parent's size at the fork (Linux folds the old map's
    peak into it at exec), which would make the import look as large as the bench driver."""
    import resource

    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _lock_window() -> list[float]:
    """Note when the import's writing transaction takes the village's lock (on SQLite: the database's
    write lock) and when it has committed: the window in which another village's write waits."""
    from sqlalchemy import event

    from coopapp.extensions import db
    from coopapp.imports import ledger

    times: list[tuple[float, float]] = []  # (wall clock, this process's CPU time) at the lock and at the commit
    real = ledger.lock_village

    def timed(village_id):
        times[:] = [(time.perf_counter(), time.process_time())]
        return real(village_id)

    def committed(_session):
        if len(times) == 1:
            times.append((time.perf_counter(), time.process_time()))

    ledger.lock_village = timed
    event.listen(db.session, "after_commit", committed)
    return times


def _child(url: str, path: str, project_id: int, username: str) -> None:
    """Run one import as `coop import ledger` does and print its seconds, rows and peak memory as JSON."""
    from sqlalchemy import select

    from coopapp import create_app
    from coopapp.extensions import db
    from coopapp.imports.ledger import import_ledger
    from coopapp.models import Project, User

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        project = db.session.get(Project, project_id)
        user = db.session.scalars(select(User).where(User.username == username)).one()
        window = _lock_window()
        rss_before = _peak_kib()
        start, cpu = time.perf_counter(), time.process_time()
        report = import_ledger(user, project, Path(path), Path(path).name)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = _peak_kib()
    out = {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "lock_s": None if len(window) != 2 else round(window[1][0] - window[0][0], 3),
        "lock_cpu_s": None if len(window) != 2 else round(window[1][1] - window[0][1], 3),
        "rows_ok": report.rows_ok,
        "imported": report.imported,
        "errors": [e.as_dict() for e in report.errors[:5]],
        "peak_rss_mb": round(peak / 1024, 1),
        "start_rss_mb": round(rss_before / 1024, 1),
    }
    print(json.dumps(out, ensure_ascii=False))


def import_in_child(url: str, path: Path, project_id: int, username: str) -> dict:
    """One import in a fresh Python process; its report line as a dict."""
    cmd = [sys.executable, "-m", "bench.imports", "--child", url, str(path), str(project_id), username]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"import child failed: {done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if not result["imported"]:
        raise RuntimeError(f"the bench file did not import: {result['errors']}")
    return result


def measure_imports(url: str, repeat: int = 1, rows: int = ROWS) -> list[dict]:
    """Import a `rows`-row CSV and XLSX `repeat` times each into the bench county at `url`.

    Returns two result rows in `bench.run.stats` format (`import_csv`, `import_xlsx`: the
    milliseconds of one import) with `rows`, `rows_per_s` and `peak_rss_mb` added.
    """
    from bench.run import stats
    from coopapp.ledger.operations import today

    project_id, username, names = bench_target(url)
    results = []
    with tempfile.TemporaryDirectory(prefix="coop-bench-import-") as tmp:
        for name, writer, suffix in (("import_csv", write_csv, ".csv"), ("import_xlsx", write_xlsx, ".xlsx")):
            samples, cpu, peaks, starts, locks = [], [], [], [], []
            for n in range(repeat):
                # Each run a different file (a repeated file would be refused as a duplicate).
                path = writer(Path(tmp) / f"台账-{n}{suffix}", rows, names, today(), tag=f"（{n + 1}）")
                result = import_in_child(url, path, project_id, username)
                assert result["rows_ok"] == rows, result
                samples.append(result["seconds"] * 1000)
                cpu.append(result["cpu_seconds"])
                peaks.append(result["peak_rss_mb"])
                starts.append(result["start_rss_mb"])
                locks.append((result.get("lock_s"), result.get("lock_cpu_s")))
                path.unlink()
            row = stats(name, samples)
            row["rows"] = rows
            row["rows_per_s"] = round(rows / (row["median_ms"] / 1000))
            # CPU seconds of the importing process: what the import costs when the machine is shared.
            row["rows_per_cpu_s"] = round(rows / sorted(cpu)[len(cpu) // 2])
            row["peak_rss_mb"] = max(peaks)
            row["start_rss_mb"] = max(starts)
            row["lock_s"], row["lock_cpu_s"] = max(locks, key=lambda x: x[0] or 0)
            results.append(row)
    return results


WRITE_EVERY = 0.05  # seconds between two writes of the other village while the import runs


def other_village(url: str, village_project_id: int) -> tuple[int, str]:
    """An active project of another village than the imported one's, and its accountant."""
    from sqlalchemy import select

    from coopapp import create_app
    from coopapp.extensions import db
    from coopapp.imports.ledger import default_importer
    from coopapp.models import Project

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        village_id = db.session.get(Project, village_project_id).village_id
        q = select(Project).where(Project.village_id != village_id, Project.active.is_(True)).order_by(Project.id)
        for project in db.session.scalars(q):
            user = default_importer(project)
            if user is not None:
                result = project.id, user.username
                break
        else:
            raise RuntimeError("the bench county has no second village with a project and an accountant")
        db.session.remove()
    return result


def measure_write_wait(url: str, rows: int = ROWS) -> dict:
    """How long another village's write waits while a `rows`-row XLSX ledger is imported.

    The import runs in a child process (as `coop import ledger`); this process creates an entry
    in another village's project through the domain operation (`ledger.create_entry`: audited,
    its own connection) every WRITE_EVERY seconds until the import ends. Returns a result row in
    `bench.run.stats` format (`import_write_wait`: the milliseconds of each write) with `max_ms`,
    `writes`, `errors` (writes that failed, e.g. "database is locked") and `import_s` added."""
    from sqlalchemy import select

    from bench.run import stats
    from coopapp import create_app
    from coopapp.core.periods import period_of
    from coopapp.extensions import db
    from coopapp.ledger import operations as ledger
    from coopapp.ledger.operations import today
    from coopapp.models import Project, User

    project_id, username, names = bench_target(url)
    other_project_id, other_username = other_village(url, project_id)
    waits, errors = [], 0
    with tempfile.TemporaryDirectory(prefix="coop-bench-wait-") as tmp:
        path = write_xlsx(Path(tmp) / "台账-并发.xlsx", rows, names, today(), tag="（并发）")
        cmd = [sys.executable, "-m", "bench.imports", "--child", url, str(path), str(project_id), username]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            q = select(User).where(User.username == other_username)
            start = time.perf_counter()
            child = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            while child.poll() is None:
                before = time.perf_counter()
                try:
                    user, project = db.session.scalars(q).one(), db.session.get(Project, other_project_id)
                    data = ledger.EntryInput(project.id, period_of(today()), "sales", 100, note="bench: write wait")
                    ledger.create_entry(user, data)
                except Exception:  # noqa: BLE001 - a failed write is what the bench counts
                    errors += 1
                    db.session.rollback()
                waits.append((time.perf_counter() - before) * 1000)
                time.sleep(WRITE_EVERY)
            out, err = child.communicate()
            import_s = time.perf_counter() - start
            db.session.remove()
    if child.returncode != 0:
        raise RuntimeError(f"import child failed: {err[-2000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    if not result["imported"]:
        raise RuntimeError(f"the bench file did not import: {result['errors']}")
    row = stats("import_write_wait", waits)
    row |= {"max_ms": round(max(waits), 1), "writes": len(waits), "errors": errors, "rows": rows}
    row["import_s"] = round(import_s, 2)
    row["lock_s"] = result.get("lock_s")  # how long the import's transaction held the write lock
    row["lock_cpu_s"] = result.get("lock_cpu_s")  # the importing process's CPU time in that window
    return row


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="the bench database (a copy the bench may write to)")
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--write-wait", action="store_true", help="also measure another village's write during an import"
    )
    parser.add_argument("--child", nargs=4, metavar=("URL", "FILE", "PROJECT", "USER"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        url, path, project_id, username = args.child
        _child(url, path, int(project_id), username)
        return []
    if not args.url:
        parser.error("--url is required")
    results = measure_imports(args.url, args.repeat, args.rows)
    if args.write_wait:
        wait = measure_write_wait(args.url, args.rows)
        print(
            f"{wait['name']:<12} {wait['rows']:>8,} rows  another village's write waited at most "
            f"{wait['max_ms'] / 1000:.2f} s (median {wait['median_ms']:.0f} ms, {wait['writes']} writes, "
            f"{wait['errors']} failed) during the {wait['import_s']:.1f} s import (lock held {wait['lock_s']} s, {wait['lock_cpu_s']} s of CPU)"
        )
    for r in results:
        print(
            f"{r['name']:<12} {r['rows']:>8,} rows  {r['median_ms'] / 1000:7.2f} s  "
            f"{r['rows_per_s']:>8,} rows/s ({r['rows_per_cpu_s']:,} per CPU second)  peak RSS {r['peak_rss_mb']:.0f} MB (at start {r['start_rss_mb']:.0f} MB), lock held {r['lock_s']} s ({r['lock_cpu_s']} s CPU)"
        )
    return results


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
