"""The import benchmark (bench/imports.py) at a tiny size, so that it cannot rot."""

from sqlalchemy import func, select

from bench.generate import Scale
from coopapp import create_app
from coopapp.access import audit
from coopapp.extensions import db
from coopapp.models import ImportBatch, LedgerEntry


def test_bench_imports_runs_at_a_tiny_size(tmp_path):
    from bench.imports import measure_imports
    from bench.run import generate_into

    url = f"sqlite:///{tmp_path / 'bench.sqlite'}"
    generate_into(url, Scale(2, 40, 200, 3))
    results = measure_imports(url, repeat=1, rows=300)
    assert [r["name"] for r in results] == ["import_csv", "import_xlsx"]
    for r in results:
        assert {"name", "median_ms", "p95_ms", "floor_ms", "ratio"} <= set(r)
        assert r["rows"] == 300 and r["median_ms"] > 0 and r["rows_per_s"] > 0
        assert 0 < r["start_rss_mb"] <= r["peak_rss_mb"]
    # The imports were real: two batches of 300 drafts, every one in the audit chain.
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        drafts = select(func.count()).select_from(LedgerEntry).where(LedgerEntry.status == "draft")
        assert db.session.scalar(drafts) == 600
        assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 2
        assert audit.verify() is None
        db.session.remove()


def test_a_childs_peak_memory_is_its_own_not_the_parents():
    """ru_maxrss of a child started by a large parent reports the parent's size (Linux keeps the
    old memory map's peak across exec); the import bench's figure must not."""
    import subprocess
    import sys

    from bench.imports import ROOT

    ballast = bytearray(300 * 1024 * 1024)
    ballast[::4096] = b"\x01" * len(ballast[::4096])  # touch every page: resident
    code = "from bench.imports import _peak_kib; print(_peak_kib() // 1024)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert int(done.stdout) < 150, done.stdout
    del ballast


def test_the_write_wait_line_runs_at_a_tiny_size(tmp_path):
    """bench/imports.py's `import_write_wait`: another village writes while the import runs."""
    from bench.imports import measure_write_wait
    from bench.run import TARGETS, generate_into

    url = f"sqlite:///{tmp_path / 'bench.sqlite'}"
    generate_into(url, Scale(2, 40, 200, 3))
    row = measure_write_wait(url, rows=3000)
    assert row["name"] == "import_write_wait" and row["rows"] == 3000
    assert row["writes"] >= 1 and row["errors"] == 0 and row["max_ms"] >= row["median_ms"] > 0
    assert "import_write_wait" in TARGETS and TARGETS["import_write_wait"][1](row) in (True, False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 1
        assert audit.verify() is None
        db.session.remove()
