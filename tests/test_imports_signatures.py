"""Signature rows (会计：张三 审核：李四 …) are skipped by every importer, wherever their cells fall."""

import json

import pytest
from openpyxl import Workbook

from coopapp.imports.row_kinds import is_signature

from .builders import GROUPS, NBS, M, household_count, run_import, run_roster, write_area_xlsx, write_roster, write_xlsx

# 会计：张三 · 审核：李四 · 负责人：王五, the last under the 金额 column (the fifth of LEDGER_HEADER).
SIGNED_UNDER_AMOUNT = ["会计：张三", None, "审核：李四", None, "负责人：王五", None]


@pytest.mark.parametrize(
    "cells",
    [
        ("会计：张三", None, "审核：李四", "", "负责人：王五"),
        ("会计：张三   审核：李四   负责人：王五",),
        ("制表人", "王书记", None, "审核", "李四"),  # a role cell, then its name cell
        ("会计: 张三", None, None, None, "负责人:"),  # ASCII colons; a name left blank
        ("出纳：", "记账：赵六", "复核：钱七", "审批：孙八", "填表人：周九", "报账员：吴十"),
        ("经手人：李会计", "制表日期：2025年3月31日"),
        ("ｃｈｅｃｋｅｄ ｂｙ： Li",),
    ],
)
def test_signature_rows(cells):
    assert is_signature(cells)


@pytest.mark.parametrize(
    "cells",
    [
        ("2025/5/5", "蜂蜜", "销售收入", "800斤", "1,234.50", ""),
        ("会计", "张三", 100),  # a number: a data row's
        ("制表：张三", "", "", "", "", "", "100", ""),
        ("蜂蜜", "张三"),
        ("会计", "销售收入"),  # a note and a kind: an incomplete data row, to be reported
        ("会计：张三", "销售收入 800"),
        (),
        (None, " "),
    ],
)
def test_rows_that_are_not_signatures(cells):
    assert not is_signature(cells)


def test_a_signature_row_with_a_name_under_the_amount_column_is_skipped(app, db, world, tmp_path):
    d = M.replace(day=5)
    rows = [[d, "蜂蜜销售", "销售收入", None, 100, None], [], SIGNED_UNDER_AMOUNT, ["制表人", None, "李会计"]]
    path = write_xlsx(tmp_path / "台账.xlsx", rows, signature=False)
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report
    assert (report["rows_ok"], report["rows_skipped"], report["errors"]) == (1, 3, [])


def test_a_signature_row_in_a_csv_ledger_is_skipped(app, db, world, tmp_path):
    path = tmp_path / "台账.csv"
    path.write_text(
        f"日期,摘要,类别,数量,金额,户主\n{M.replace(day=5)},蜂蜜,销售收入,,100,\n会计：张三,,审核：李四,,负责人：王五,\n"
    )
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report
    assert (report["rows_ok"], report["rows_skipped"]) == (1, 1)


def test_a_roster_signature_under_the_members_column_is_skipped(app, db, world, tmp_path):
    book_rows = [("甲一", 3), (None, "负责人：王书记")]
    path = write_roster(tmp_path / "花名册2.xlsx", book_rows, header=("户主姓名", "人口"))
    before = household_count()
    code, report = run_roster(app, path, "--village", world.village.code)
    assert code == 0, report
    assert report["rows_ok"] == 1 and household_count() == before + 1


def test_area_and_user_lists_skip_their_signature_rows(app, db, world, tmp_path):
    nbs = write_area_xlsx(tmp_path / "nbs.xlsx", [*NBS, ("制表人：李会计", None, "审核：王书记")])
    assert app.test_cli_runner().invoke(args=["coop", "import", "areas", str(nbs)]).exit_code == 0
    path = write_area_xlsx(tmp_path / "组.xlsx", [*GROUPS, ("制表人：李会计", None, "审核：王书记")])
    result = app.test_cli_runner().invoke(args=["coop", "import", "areas", str(path), "--json"])
    report = json.loads(result.output.strip().splitlines()[-1])
    assert result.exit_code == 0, report
    assert (report["changed"], report["errors"]) == (2, [])
    book = Workbook()
    sheet = book.active
    sheet.append(["用户名", "姓名", "角色", "区域代码", "手机"])
    sheet.append(["ganxi.acc", "李会计", "村会计", world.village.code, ""])
    sheet.append(["制表人：王书记", None, None, "审核：李四"])
    book.save(tmp_path / "users.xlsx")
    result = app.test_cli_runner().invoke(
        args=["coop", "import", "users", str(tmp_path / "users.xlsx"), "--json", "--dry-run"]
    )
    report = json.loads(result.output.strip().splitlines()[-1])
    assert result.exit_code == 0, report
    assert (report["rows_ok"], report["rows_skipped"]) == (1, 1)
