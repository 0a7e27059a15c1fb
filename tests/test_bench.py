"""The benchmark's county generator and the bench script, at a tiny size (see bench/run.py)."""

import json

from bench.generate import COUNTY_CODE, main
from coopapp.cli import coop
from coopapp.core.codes import valid_credit_code, valid_id_number
from coopapp.models import Area, AuditHead, Household, LedgerEntry, Project

TINY = ["--villages", "3", "--households", "60", "--entries", "3000", "--seed", "7"]


def test_bench_generate_makes_a_county_that_verifies(app, db):
    runner = app.test_cli_runner()
    assert main(TINY) == 0
    assert db.session.query(LedgerEntry).count() == 3000
    assert db.session.query(LedgerEntry).filter(LedgerEntry.status != "approved").count() == 0
    assert db.session.query(Household).count() == 60
    assert db.session.query(Area).filter_by(level="village").count() == 3
    assert {p.type for p in db.session.query(Project)} >= {"beekeeping", "photovoltaic", "tourism"}
    assert all(valid_id_number(h.id_number) for h in db.session.query(Household))
    from coopapp.models import Cooperative

    assert all(valid_credit_code(c.credit_code) for c in db.session.query(Cooperative))
    assert db.session.get(AuditHead, 1).seq > 3000
    for command in (["rollup", "verify"], ["audit", "verify"]):
        check = runner.invoke(coop, command)
        assert check.exit_code == 0, check.output


def test_bench_generate_refuses_a_database_that_is_not_empty(app, db, capsys):
    assert main(TINY) == 0
    assert main(TINY) == 1
    assert "not empty" in capsys.readouterr().err
    assert db.session.query(Area).filter_by(code=COUNTY_CODE).count() == 1


def test_bench_script_runs_at_a_tiny_size(tmp_path, monkeypatch):
    from bench import run

    monkeypatch.delenv("BENCH_POSTGRES_URL", raising=False)
    out = tmp_path / "results.json"
    tiny = ["--villages", "2", "--households", "20", "--entries", "600"]
    run.main(
        [
            *tiny,
            "--repeat",
            "2",
            "--no-cache",
            "--out",
            str(out),
            "--load-seconds",
            "2",
            "--load-requests",
            "200",
            "--import-rows",
            "300",
        ]
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["scale"]["entries"] == 600
    names = [r["name"] for r in report["results"]]
    assert names == [
        "compare",
        "compare_raw_scan",
        "compare_cached",
        "village_summary",
        "village_dashboard",
        "home_reviewer",
        "review_queue",
        "chart_uncached",
        "chart_cached",
        "approve",
        "page_weight",
        "load_chart_cached",
        "load_mixed",
        "import_csv",
        "import_xlsx",
        "import_write_wait",
    ]
    for r in report["results"]:
        assert {"name", "median_ms", "p95_ms", "floor_ms", "ratio"} <= set(r)
        assert r["median_ms"] > 0
    weight = next(r for r in report["results"] if r["name"] == "page_weight")
    assert set(weight["pages"]) == {
        "home_accountant",
        "ledger",
        "home_secretary",
        "review_queue",
        "home_reviewer",
        "public_village",
        "statement",
    }
    assert 0 < weight["max_bytes"] == max(weight["pages"].values()) <= 150_000


def test_the_production_cli_ships_no_generator(app):
    result = app.test_cli_runner().invoke(coop, ["bench", "generate", *TINY])
    assert result.exit_code == 2 and "No such command" in result.output
