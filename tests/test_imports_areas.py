"""`coop import areas`: the NBS table and a groups sheet, XLSX or CSV; all or nothing; a state, not events."""

import json

import pytest

from coopapp.access import audit
from coopapp.extensions import db
from coopapp.imports.areas import import_areas
from coopapp.models import Area, AuditEvent

from .builders import GROUPS, NBS, write_area_xlsx


def write_csv(path, rows, encoding="utf-8"):
    path.write_bytes("\n".join(",".join(r) for r in rows).encode(encoding))
    return path


def _cli(app, path, *extra):
    result = app.test_cli_runner().invoke(args=["coop", "import", "areas", str(path), "--json", *extra])
    return result.exit_code, json.loads(result.output.strip().splitlines()[-1])


def _area(code) -> Area | None:
    return db.session.query(Area).filter_by(code=code).one_or_none()


def test_the_nbs_table_with_a_title_row_and_numeric_codes(app, world, tmp_path):
    path = write_area_xlsx(
        tmp_path / "统计用区划代码.xlsx", NBS, title="2023年统计用区划代码（惠东县）", numeric_codes=True
    )
    code, report = _cli(app, path)
    assert code == 0, report
    # 4 places added; 高潭镇 and 中洞村 were there and get their published names (not a rename).
    assert report["imported"] and report["errors"] == []
    assert (report["changed"], report["added"], report["renamed"], report["published"]) == (6, 4, 0, 2)
    yihe = _area("441323110203")
    assert (yihe.name, yihe.published_name, yihe.level, yihe.parent_id) == (
        "义和村",
        "义和村委会",
        "village",
        world.town_a.id,
    )
    assert _area("441323110204").name == "北门社区"
    assert _area("441323113").level == "town" and _area("441323113201").parent.code == "441323113"
    assert _area("441323110201").name == "中洞村"  # shown name unchanged; the published name is kept
    assert _area("441323110201").published_name == "中洞村委会"
    assert audit.verify() is None


def test_importing_the_same_list_again_changes_nothing(app, world, tmp_path):
    path = write_area_xlsx(tmp_path / "nbs.xlsx", NBS)
    assert _cli(app, path)[0] == 0
    events = db.session.query(AuditEvent).count()
    code, report = _cli(app, path)
    assert code == 0 and report["changed"] == 0 and report["errors"] == []
    assert db.session.query(AuditEvent).count() == events


def test_a_renamed_place_is_renamed_and_audited(app, world, tmp_path):
    assert _cli(app, write_area_xlsx(tmp_path / "a.xlsx", NBS))[0] == 0
    renames = db.session.query(AuditEvent).filter_by(action="area.rename").count()
    renamed = [r if r[0] != "441323110203" else (r[0], r[1], "新义和村委会") for r in NBS]
    code, report = _cli(app, write_area_xlsx(tmp_path / "b.xlsx", renamed))
    assert code == 0 and report["changed"] == 1 and report["renamed"] == 1
    assert _area("441323110203").name == "新义和村"
    assert db.session.query(AuditEvent).filter_by(action="area.rename").count() == renames + 1
    assert audit.verify() is None


def test_groups_sheet_as_gbk_csv(app, world, tmp_path):
    assert _cli(app, write_area_xlsx(tmp_path / "nbs.xlsx", NBS))[0] == 0
    code, report = _cli(app, write_csv(tmp_path / "groups.csv", GROUPS, encoding="gbk"))
    assert code == 0 and report["changed"] == 2
    group = _area("441323110203001")
    assert (group.level, group.name, group.parent.code, group.published_name) == (
        "group",
        "义和一组",
        "441323110203",
        None,
    )


def test_english_headers_with_parent_code(app, world, tmp_path):
    rows = [("code", "name", "parent code", "level"), ("441323110201002", "中洞二组", "441323110201", "group")]
    code, report = _cli(app, write_csv(tmp_path / "g.csv", rows))
    assert code == 0 and report["changed"] == 1


def test_dry_run_writes_nothing(app, world, tmp_path):
    before = db.session.query(Area).count()
    code, report = _cli(app, write_area_xlsx(tmp_path / "nbs.xlsx", NBS), "--dry-run")
    assert code == 0 and report["changed"] == 6 and not report["imported"] and report["dry_run"]
    assert db.session.query(Area).count() == before


@pytest.mark.parametrize(
    "rows, row, reason",
    [
        ([("441323110205", "", "坏村"), ("4413231102X6", "", "字母村")], 3, "数字"),
        ([("44132311020", "", "短")], 2, "6、9、12 或 15"),
        ([("441323199201", "", "无镇村")], 2, "不存在"),
        ([("441323110205", "", "甲村"), ("441323110205", "", "乙村")], 3, "重复"),
        ([("441323110205", "", "")], 2, "名称"),
        ([("4.41323E+11", "", "科学")], 2, "科学计数法"),
    ],
)
def test_bad_rows_are_named_and_nothing_is_written(app, world, tmp_path, rows, row, reason):
    before = (db.session.query(Area).count(), db.session.query(AuditEvent).count())
    path = write_csv(tmp_path / "bad.csv", [NBS[0], *rows])
    code, report = _cli(app, path)
    assert code == 1 and not report["imported"] and report["changed"] == 0
    assert any(e["row"] == row and reason in e["message"] for e in report["errors"]), report["errors"]
    assert (db.session.query(Area).count(), db.session.query(AuditEvent).count()) == before


def test_level_inconsistent_with_the_code(app, world, tmp_path):
    rows = [("代码", "名称", "上级代码", "层级"), ("441323110201002", "二组", "441323110201", "村")]
    code, report = _cli(app, write_csv(tmp_path / "g.csv", rows))
    assert code == 1 and report["errors"][0]["column"] == "层级" and "层级" in report["errors"][0]["message"]


def test_a_group_of_a_retired_village_is_refused(app, world, tmp_path):
    from coopapp.villages.areas import retire_area

    retire_area(world.users["admin"], world.sibling_village)
    rows = [("代码", "名称", "上级代码", "层级"), ("441323110202001", "一组", "441323110202", "村民小组")]
    code, report = _cli(app, write_csv(tmp_path / "g.csv", rows))
    assert code == 1 and "撤销" in report["errors"][0]["message"]


def test_a_bad_row_among_good_ones_writes_nothing(app, world, tmp_path):
    rows = [*NBS, ("441323113", "", "重复的新庵镇")]
    code, report = _cli(app, write_csv(tmp_path / "nbs.csv", rows))
    assert code == 1 and _area("441323110203") is None


def test_only_an_admin_imports_areas(world, tmp_path):
    path = write_area_xlsx(tmp_path / "nbs.xlsx", NBS)
    report = import_areas(world.users["county_reviewer"], path, "nbs.xlsx")
    assert not report.imported and report.errors and _area("441323110203") is None


def test_every_problem_of_a_file_is_reported_in_one_round(app, world, tmp_path):
    """A bad code, a missing parent and an inconsistent level: all three at once, by row, nothing written."""
    before = (db.session.query(Area).count(), db.session.query(AuditEvent).count())
    rows = [
        ("代码", "名称", "上级代码", "层级"),
        ("4413231102X6", "字母村", "", ""),  # row 2: a bad code
        ("441323199201", "无镇村", "", ""),  # row 3: its town is nowhere
        ("441323110201002", "二组", "441323110201", "村"),  # row 4: a group, not a village
        ("441323110205", "", "", ""),  # row 5: no name, but its code is read…
        ("441323110205001", "新村一组", "", ""),  # row 6: …so its group is not blamed for a missing parent
    ]
    code, report = _cli(app, write_csv(tmp_path / "bad.csv", rows))
    assert code == 1 and not report["imported"]
    found = [(e["row"], e["column"]) for e in report["errors"]]
    assert found == [(2, "代码"), (3, "代码"), (4, "层级"), (5, "名称")], report["errors"]  # the file's own headers
    assert "不存在" in report["errors"][1]["message"]
    assert (db.session.query(Area).count(), db.session.query(AuditEvent).count()) == before


def _init_county(app, name):
    result = app.test_cli_runner().invoke(
        args=["coop", "init", "--county", "441323", "--name", name, "--admin", "clerk"],
        input="good-pass-1\ngood-pass-1\n",
    )
    assert result.exit_code == 0, result.output


COUNTY_ROW = ("441323000000", "", "惠东县")


def test_the_county_row_records_its_published_name_and_is_no_rename(app, db, tmp_path):
    """After `coop init`, the county's own NBS row records the published name: 0 renamed, then 0 changes."""
    _init_county(app, "惠东县")
    rows = [NBS[0], COUNTY_ROW, ("441323110000", "", "高潭镇"), ("441323110201", "220", "中洞村委会")]
    code, report = _cli(app, write_area_xlsx(tmp_path / "nbs.xlsx", rows))
    assert code == 0, report
    assert (report["changed"], report["added"], report["renamed"], report["published"]) == (3, 2, 0, 1)
    county = _area("441323")
    assert (county.name, county.published_name) == ("惠东县", "惠东县")
    actions = [e.action for e in db.session.query(AuditEvent).filter_by(object_type="area").order_by(AuditEvent.seq)]
    assert actions == ["area.create", "area.published_name", "area.create", "area.create"]
    code, report = _cli(app, write_area_xlsx(tmp_path / "again.xlsx", rows))
    assert code == 0 and report["changed"] == 0
    assert audit.verify() is None


def test_a_county_typed_otherwise_is_renamed_and_the_preview_says_so(app, db, client, tmp_path):
    """The clerk typed 惠东 at `coop init`; the NBS says 惠东县: that is a rename, shown with the old name."""
    _init_county(app, "惠东")
    app.config["IMPORT_UPLOAD_DIR"] = str(tmp_path / "uploads")
    client.post("/login", data={"username": "clerk", "password": "good-pass-1"})
    path = write_area_xlsx(tmp_path / "nbs.xlsx", [NBS[0], COUNTY_ROW])
    with path.open("rb") as fh:
        resp = client.post("/admin/areas/import", data={"file": (fh, "nbs.xlsx")}, content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "改名 1 个" in page and "改名（原名 惠东）" in page
    code, report = _cli(app, path)
    assert code == 0 and (report["renamed"], report["published"]) == (1, 0)
    assert (_area("441323").name, _area("441323").published_name) == ("惠东县", "惠东县")
    assert audit.verify() is None


def test_towns_and_villages_pages_pasted_one_under_another(app, world, tmp_path):
    """As a clerk copies the NBS site: the county's towns page (code, name), then each town's villages
    page (code, 城乡分类代码, name), each with its header — every part read by its own header."""
    rows = [
        ("统计用区划代码", "名称"),
        ("441323110000", "高潭镇"),
        ("441323113000", "新庵镇"),
        (),
        ("统计用区划代码", "城乡分类代码", "名称"),
        ("441323110203", "220", "义和村委会"),
        (),
        ("统计用区划代码", "城乡分类代码", "名称"),
        ("441323113201", "220", "新庵村委会"),
    ]
    path = write_area_xlsx(tmp_path / "pasted.xlsx", rows, title="2023年统计用区划代码", numeric_codes=False)
    code, report = _cli(app, path)
    assert code == 0 and report["errors"] == [], report
    assert _area("441323110203").name == "义和村" and _area("441323113201").name == "新庵村"
    assert _area("441323113").name == "新庵镇"
    # The part with 城乡分类代码 is read by its own header (a name is never the 220 beside it) and said so.
    assert [(w["row"], w["value"]) for w in report["warnings"]] == [(6, "统计用区划代码、城乡分类代码、名称")]
    assert report["warnings"][0]["message"] == "这一行是新的表头：以下各行按它的列读取。"
