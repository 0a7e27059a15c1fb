"""The import's stages: the four importers (ledger, roster, areas, users) read their files through
the same first two stages (`read`, `table`) and skip the same rows by the same rule."""

import csv

import pytest
from openpyxl import Workbook

from coopapp.imports.areas import import_areas
from coopapp.imports.households import import_households
from coopapp.imports.ledger import import_ledger
from coopapp.imports.row_kinds import BLANK, SIGNATURE, TABLE_TOTAL, is_blank, is_signature, row_kind, total_label
from coopapp.imports.users import import_users

from .builders import M
from .test_import_fast_paths import ROW_SHAPES

# Each importer's header and one good data row; every file then has a blank row, a 小计 row and a
# signature row, which no importer takes as data.
FILES = {
    "ledger": (["日期", "摘要", "类别", "金额"], [M.replace(day=5), "蜂蜜", "销售收入", 100]),
    "households": (["户主姓名", "人口"], ["张新户", 3]),
    "areas": (["统计用区划代码", "城乡分类代码", "名称"], ["441323110203", "220", "义和村委会"]),
    "users": (["用户名", "姓名", "角色", "区域代码"], ["ganxi.acc", "李会计", "村会计", "441323110202"]),
}


def _rows(kind: str) -> list[list]:
    header, row = FILES[kind]
    total = ["小计", None, None, 100] if kind == "ledger" else ["小计"]
    return [["2026年名单"], header, row, [], total, ["制表人：李四", None, "审核：王五"]]


def _write(path, rows):
    if path.suffix == ".csv":
        with open(path, "w", encoding="utf-8", newline="") as fh:
            out = csv.writer(fh)
            for row in rows:
                out.writerow(["" if c is None else str(c) for c in row])
        return path
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def _import(kind: str, world, path):
    if kind == "ledger":
        return import_ledger(world.users["accountant"], world.project, path, path.name, dry_run=True)
    if kind == "households":
        return import_households(world.users["secretary"], world.village, path, path.name, dry_run=True)
    if kind == "areas":
        return import_areas(world.users["admin"], path, path.name, dry_run=True)
    return import_users(None, path, path.name, dry_run=True)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
@pytest.mark.parametrize("kind", list(FILES))
def test_every_import_skips_blank_total_and_signature_rows_alike(app, world, tmp_path, kind, suffix):
    path = _write(tmp_path / f"{kind}{suffix}", _rows(kind))
    with app.test_request_context():
        report = _import(kind, world, path)
    assert report.ok, report.as_dict()
    assert (report.rows_ok, report.rows_skipped) == (1, 3), report.as_dict()


ROWS = [
    (),
    ("", "  ", None),
    ("2026-03-05", "蜂蜜", "销售收入", "100"),
    ("合计", None, 100),
    ("本月合计：", "", "100"),
    ("会计：张三", "", "审核：李四"),
    ("会计", "张三", "审核", "李四"),
    ("会计", "销售收入"),
    ("制表人：李四", 100),
    (None, "经手人：王五"),
    ("1", "会计：张三"),
    ("汇总",),
]


@pytest.mark.parametrize("cells", ROWS + ROW_SHAPES)
def test_the_one_rule_agrees_with_the_checks_it_is_made_of(app, cells):
    """`row_kind` (the rule `table.rows_of` skips rows by) is the blank check, then the total label,
    then the signature check — for a CSV's text rows and a workbook's typed rows alike."""
    expected = BLANK if is_blank(cells) else total_label(cells) or (SIGNATURE if is_signature(cells) else None)
    assert row_kind(cells) == expected
    if all(isinstance(c, str) for c in cells):
        assert row_kind(cells, text=True) == expected
    assert row_kind(cells, table_total=True) == (
        expected if expected is not None and expected != SIGNATURE else TABLE_TOTAL
    )
