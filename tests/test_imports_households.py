"""Importing a village's household roster: checksums, duplicates, groups, all rows or none."""

from sqlalchemy import func, select

from coopapp.models import Household

from .builders import household_count, id_number, run_roster, write_roster


def test_roster_imports_with_group_by_code_or_name(app, db, world, tmp_path):
    before = household_count()
    rows = [
        ["陈一", 4, "中洞一组", id_number(101), "13800001111", "是"],
        ["陈二", "3人", world.group.code, id_number(102), None, "否"],
        ["陈三", 2, None, None, None, None],
    ]
    path = write_roster(tmp_path / "花名册.xlsx", rows)
    code, report = run_roster(app, path, "--village", world.village.code)
    assert code == 0, report
    assert (report["rows_ok"], report["rows_skipped"]) == (3, 1)
    assert household_count() == before + 3
    chen1 = db.session.scalar(select(Household).where(Household.head_name == "陈一"))
    assert (chen1.members, chen1.group_id, chen1.formerly_poor, chen1.phone) == (4, world.group.id, True, "13800001111")


def test_bad_roster_rows_write_nothing(app, db, world, tmp_path):
    before = household_count()
    bad_checksum = id_number(103)[:-1] + ("0" if id_number(103)[-1] != "0" else "1")
    rows = [
        ["陈一", 4, "中洞一组", id_number(101), None, "是"],
        ["陈二", 3, "八维一组", id_number(102), None, None],  # not a group of this village
        ["陈三", 2, None, bad_checksum, None, None],  # wrong check digit
        ["陈四", 2, None, id_number(101), None, None],  # same ID as row 4
        ["陈五", 2, None, id_number(1), None, None],  # already registered (张三丰)
        ["陈六", "两", None, None, None, "也许"],
        [None, 2, None, None, None, None],
    ]
    path = write_roster(tmp_path / "bad.xlsx", rows)
    code, report = run_roster(app, path, "--village", world.village.code, "--dry-run")
    assert code == 1
    found = {(e["row"], e["column"]) for e in report["errors"]}
    assert {(5, "村民小组"), (6, "身份证号码"), (7, "身份证号码"), (8, "身份证号码")} <= found
    assert {(9, "人口"), (9, "脱贫户"), (10, "户主姓名")} <= found
    assert 4 not in {e["row"] for e in report["errors"]}
    assert "第 4 行" in next(e["message"] for e in report["errors"] if e["row"] == 7)
    code, report = run_roster(app, path, "--village", world.village.code)
    assert code == 1 and report["imported"] is False
    assert household_count() == before


def test_roster_twice_is_refused_and_csv_gbk_works(app, db, world, tmp_path):
    path = tmp_path / "roster.csv"
    text = "户主,人口,组\r\n陈一,4,中洞一组\r\n陈二,3,\r\n\r\n合计,7,\r\n"
    path.write_bytes(text.encode("gbk"))
    assert run_roster(app, path, "--village", world.village.code)[0] == 0
    code, report = run_roster(app, path, "--village", world.village.code)
    assert code == 1 and "导入过" in report["errors"][0]["message"]
    assert db.session.scalar(select(func.count()).where(Household.head_name.in_(["陈一", "陈二"]))) == 2


def test_roster_members_that_are_not_a_small_number_are_named_not_crashed(app, db, world, tmp_path):
    before = db.session.scalar(select(func.count()).select_from(Household))
    for members in ("²", "①", "99999999999999999999"):
        path = write_roster(tmp_path / f"roster-{len(members)}.xlsx", [("陈新", members, None, None, None, "否")])
        code, report = run_roster(app, path, "--village", world.village.code)
        assert code != 0 and report["errors"], (members, report)
        assert report["errors"][0]["column"] in ("人口", "家庭人口")
    path = write_roster(tmp_path / "roster-60.xlsx", [("陈新", "60", None, None, None, "否")])
    code, report = run_roster(app, path, "--village", world.village.code)
    assert code != 0 and "50" in report["errors"][0]["message"]
    assert db.session.scalar(select(func.count()).select_from(Household)) == before
