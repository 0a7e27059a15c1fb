"""The benchmark: a synthetic county, then the reads and writes the users wait for.

    python -m bench.run                    # full scale: 300 villages, 60,000 households, 2M entries
    python -m bench.run --entries 200000   # `make bench-quick`

The generated SQLite database is kept in bench/.cache/ (keyed by scale and seed) and each
run works on a copy, so a second run skips the generation. With BENCH_POSTGRES_URL set
(a database the bench may wipe), the same is measured on PostgreSQL too; BENCH_POSTGRES_REUSE=1
keeps a database generated at the same size by an earlier run (the writes of a run stay in it). Prints a table
and writes bench/results.json: {"scale": {...}, "results": [{"name", "median_ms", "p95_ms",
"floor_ms", "ratio"}, ...]}.
"""

import argparse
import hashlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / "bench" / ".cache"


def timed(fn, repeat: int) -> list[float]:
    """Milliseconds of `repeat` calls of `fn` (after one warm-up call)."""
    fn()
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def interleaved(fns: dict, repeat: int, every: dict | None = None) -> dict[str, list[float]]:
    """Milliseconds of each of `fns` over `repeat` rounds that call them in turn (after one warm-up
    call each), so that a ratio between two of them compares calls made under the same conditions
    of a shared machine, not one phase against a later, busier or quieter one. `every`: call that
    one only every n-th round (a slow measurement)."""
    every = every or {}
    for fn in fns.values():
        fn()
    out: dict[str, list[float]] = {name: [] for name in fns}
    for round_ in range(repeat):
        for name, fn in fns.items():
            if round_ % every.get(name, 1):
                continue
            start = time.perf_counter()
            fn()
            out[name].append((time.perf_counter() - start) * 1000)
    return out


def stats(name: str, samples: list[float], floor: list[float] | None = None, ratio=None) -> dict:
    """One result row: median and 95th percentile, the floor's median, the ratio to it."""
    ordered = sorted(samples)
    median = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    floor_ms = statistics.median(floor) if floor else None
    if ratio is None and floor_ms:
        ratio = median / floor_ms
    return {
        "name": name,
        "median_ms": round(median, 3),
        "p95_ms": round(p95, 3),
        "floor_ms": None if floor_ms is None else round(floor_ms, 3),
        "ratio": None if ratio is None else round(ratio, 2),
    }


# name → (target text, check(result) → bool); the targets of issue 6 item 3 (full scale, SQLite).
TARGETS = {
    "compare": ("≤ 50 ms and ≤ 2× floor", lambda r: r["median_ms"] <= 50 and r["ratio"] <= 2),
    "compare_raw_scan": ("summary ≥ 10× faster", lambda r: r["ratio"] >= 10),
    "compare_cached": ("(same answer, served from cache)", None),
    "village_dashboard": ("≤ 50 ms", lambda r: r["median_ms"] <= 50),
    "home_reviewer": ("≤ 50 ms (the county's to-dos)", lambda r: r["median_ms"] <= 50),
    "chart_uncached": ("≤ 1.3× floor", lambda r: r["ratio"] <= 1.3),
    "chart_cached": ("(in-process; see load_chart_cached)", None),
    "load_chart_cached": ("≥ 500 req/s, 0 errors (gunicorn)", lambda r: r["rps"] >= 500 and r["errors"] == 0),
    "load_mixed": ("0 errors (gunicorn)", lambda r: r["errors"] == 0),
    "import_csv": ("≥ 30,000 rows/s, ≤ 300 MB", lambda r: r["rows_per_s"] >= 30_000 and r["peak_rss_mb"] <= 300),
    "import_xlsx": ("≥ 30,000 rows/s, ≤ 300 MB", lambda r: r["rows_per_s"] >= 30_000 and r["peak_rss_mb"] <= 300),
    "import_write_wait": (
        "≤ 2 s, 0 failed (another village's write during the import)",
        lambda r: r["max_ms"] <= 2000 and r["errors"] == 0,
    ),
    "approve": ("≤ 20 ms", lambda r: r["median_ms"] <= 20),
    # issue 17: each main page's first load on a phone (bench/weight.py), at any scale
    "page_weight": ("≤ 150 KB first load, each main page", lambda r: r["max_bytes"] <= 150_000),
}


def table(results: list[dict]) -> str:
    """The results as a fixed-width table with the targets beside them."""
    lines = [f"{'name':<18} {'median ms':>10} {'p95 ms':>9} {'floor ms':>9} {'ratio':>7}  target"]
    for r in results:
        target, check = TARGETS.get(r["name"], ("", None))
        mark = "" if check is None else (" ✓" if check(r) else " ✗")
        floor = "" if r["floor_ms"] is None else f"{r['floor_ms']:.2f}"
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}"
        if "rps" in r:
            target = f"{r['rps']:.0f} req/s, {r['errors']} errors; {target}"
        if "writes" in r:
            target = f"max {r['max_ms']:,.0f} ms, {r['writes']} writes, {r['errors']} failed; {target}"
        if "pages" in r:
            sizes = ", ".join(f"{page} {size / 1000:.1f}" for page, size in r["pages"].items())
            target = f"KB: {sizes}; {target}"
        if "rows_per_s" in r:
            target = f"{r['rows_per_s']:,.0f} rows/s, {r['peak_rss_mb']:.0f} MB; {target}"
        lines.append(
            f"{r['name']:<18} {r['median_ms']:>10.2f} {r['p95_ms']:>9.2f} {floor:>9} {ratio:>7}  {target}{mark}"
        )
    return "\n".join(lines)


def source_digest() -> str:
    """A digest of the schema's migrations and the generator: a cached database made by other code is not reused."""
    digest = hashlib.sha256()
    files = sorted((ROOT / "migrations" / "versions").glob("*.py"))
    for path in [*files, ROOT / "bench" / "generate.py", ROOT / "bench" / "entries.py"]:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:10]


def prepare_sqlite(scale, use_cache: bool, workdir: Path, timings: dict | None = None) -> str:
    """A copy of the generated database of this scale (generated into the cache when missing;
    the generation's seconds go into `timings["generate_s"]`)."""
    name = f"county-v{scale.villages}-h{scale.households}-e{scale.entries}-s{scale.seed}-{source_digest()}.sqlite"
    cached = CACHE_DIR / name
    target = workdir / name
    if use_cache and cached.exists():
        print(f"reusing {cached.relative_to(ROOT)}")
    else:
        build = cached if use_cache else target
        build.parent.mkdir(parents=True, exist_ok=True)
        build.unlink(missing_ok=True)
        start = time.perf_counter()
        generate_into(f"sqlite:///{build}", scale)
        if timings is not None:
            timings["generate_s"] = round(time.perf_counter() - start, 1)
        if not use_cache:
            return f"sqlite:///{target}"
    shutil.copyfile(cached, target)
    return f"sqlite:///{target}"


def generate_into(url: str, scale) -> None:
    """Migrate the empty database at `url` and generate the county into it."""
    from flask_migrate import upgrade

    from bench.generate import generate
    from coopapp import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        generate(scale)


def pg_entries(url: str) -> int | None:
    """How many ledger entries the bench's PostgreSQL database holds (None: no schema yet)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import ProgrammingError

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM ledger_entries")).scalar()
    except ProgrammingError:
        return None
    finally:
        engine.dispose()


def reset_postgres(url: str) -> None:
    """Empty the bench's PostgreSQL database (BENCH_POSTGRES_URL must name one it may wipe)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark; returns what it wrote to the results file."""
    from bench.generate import Scale

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=300)
    parser.add_argument("--households", type=int, default=60_000)
    parser.add_argument("--entries", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=30, help="timed calls per measurement")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    parser.add_argument("--no-cache", action="store_true", help="generate into a temporary database")
    parser.add_argument("--import-rows", type=int, default=200_000, help="rows of the CSV and XLSX import runs")
    parser.add_argument("--load-seconds", type=float, default=10.0, help="time limit of each gunicorn load run")
    parser.add_argument("--load-requests", type=int, default=5000, help="request limit of each gunicorn load run")
    args = parser.parse_args(argv)
    scale = Scale(args.villages, args.households, args.entries, args.seed)
    report = {"scale": {**scale.__dict__, "targets_apply": args.entries >= 2_000_000}, "results": []}
    from bench.imports import measure_imports, measure_write_wait
    from bench.load import measure_load
    from bench.measure import measure
    from bench.weight import measure_page_weight

    with tempfile.TemporaryDirectory(prefix="coop-bench-") as tmp:
        start = time.perf_counter()
        url = prepare_sqlite(scale, not args.no_cache, Path(tmp), report)
        print(f"SQLite database ready in {time.perf_counter() - start:.1f}s")
        report["results"] = measure(url, scale, args.repeat)
        report["results"].append(measure_page_weight(url))
        report["results"] += measure_load(url, scale, args.load_seconds, args.load_requests)
        report["results"] += measure_imports(url, rows=args.import_rows)
        report["results"].append(measure_write_wait(url, rows=args.import_rows))
        print(f"\nSQLite, {scale.villages} villages, {scale.households:,} households, {scale.entries:,} entries")
        print(table(report["results"]))
        pg_url = os.environ.get("BENCH_POSTGRES_URL")
        if pg_url:
            if os.environ.get("BENCH_POSTGRES_REUSE") and pg_entries(pg_url) == scale.entries:
                print("reusing the PostgreSQL database (BENCH_POSTGRES_REUSE)")
            else:
                reset_postgres(pg_url)
                start = time.perf_counter()
                generate_into(pg_url, scale)
                report["postgresql_generate_s"] = round(time.perf_counter() - start, 1)
                print(f"PostgreSQL database ready in {report['postgresql_generate_s']:.1f}s")
            report["postgresql"] = measure(pg_url, scale, args.repeat)
            report["postgresql"].append(measure_page_weight(pg_url))
            report["postgresql"] += measure_load(pg_url, scale, args.load_seconds, args.load_requests)
            report["postgresql"] += measure_imports(pg_url, rows=args.import_rows)
            report["postgresql"].append(measure_write_wait(pg_url, rows=args.import_rows))
            print("\nPostgreSQL")
            print(table(report["postgresql"]))
    if not report["scale"]["targets_apply"]:
        print("(the targets are for full scale: 2,000,000 entries)")
    write_json(args.out, report)
    return report


def write_json(path: str | Path, data) -> None:
    """Write a result file (indented, Chinese kept as is) and say where."""
    Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
