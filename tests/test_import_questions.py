"""The import's questions: what the user chose (sheet, hidden rows, answers) reaches every import, and a
report with a question writes nothing and exits 1."""

import pytest

from coopapp.imports.options import ReadOptions
from coopapp.imports.report import ImportReport

from .builders import M, run_import, write_xlsx


def test_options_round_trip_and_hand_made_text_is_ignored():
    options = ReadOptions("5月", True, {"month:B": "2026-01"})
    assert ReadOptions.from_json(options.to_json()) == options
    for junk in (None, "", "[]", "{", '{"sheet": 5, "include_hidden": "yes", "answers": [1]}', "x" * 5000):
        assert ReadOptions.from_json(junk) == ReadOptions()
    assert options.with_answers({"month:B": "2026-10"}).answer("month:B") == "2026-10"
    assert ReadOptions.from_cli("", False, ("a = b",)) == ReadOptions(None, False, {"a": "b"})
    with pytest.raises(ValueError):
        ReadOptions.from_cli(None, False, ("no-equals",))


def test_a_question_stops_the_import_and_is_in_the_report():
    report = ImportReport("ledger", "f.xlsx", False)
    assert report.ok
    report.ask("month:B", 4, "月份", "2026.1", "是 1 月还是 10 月？", [("2026-01", "1月"), ("2026-10", "10月")])
    report.ask("month:B", 5, "月份", "2026.1", "again", [])  # one question per key
    assert not report.ok and report.error_count == 0
    shape = report.as_dict()
    assert shape["questions"] == [
        {
            "key": "month:B",
            "row": 4,
            "column": "月份",
            "value": "2026.1",
            "message": "是 1 月还是 10 月？",
            "options": [{"value": "2026-01", "label": "1月"}, {"value": "2026-10", "label": "10月"}],
        }
    ]
    assert {"sheet", "sheets", "hidden_rows"} <= set(shape)


@pytest.mark.parametrize("kind", ["ledger", "households", "areas", "users"])
def test_every_import_command_takes_the_reading_options(app, db, world, tmp_path, kind):
    path = write_xlsx(tmp_path / "f.xlsx", [[M.replace(day=5), "蜂蜜", "销售收入", None, "100", None]])
    target = {"ledger": ["--project", world.project.id], "households": ["--village", world.village.code]}
    extra = [*target.get(kind, []), "--dry-run", "--sheet", "Sheet", "--include-hidden", "--answer", "k=v"]
    code, report = run_import(app, kind, path, *extra)  # the flags are taken (not a usage error, exit 2)
    assert code in (0, 1) and "questions" in report, report
    args = ["coop", "import", kind, str(path), *map(str, target.get(kind, [])), "--answer", "novalue"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 2 and "KEY=VALUE" in result.output
