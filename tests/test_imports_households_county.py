"""A whole county's households in one file: `coop import households FILE --county`, a 村 column."""

from sqlalchemy import func, select

from coopapp.access import audit
from coopapp.models import AuditEvent, Household
from coopapp.villages import catalog

from .builders import household_count, id_number, run_roster, write_roster

HEADER = ("村", "户主姓名", "人口", "村民小组", "身份证号码")


def test_one_file_for_the_county_by_village_code_or_name(app, db, world, tmp_path):
    before = household_count()
    rows = [
        [world.village.code, "陈一", 4, "中洞一组", id_number(201)],
        ["八维村", "陈二", 3, None, id_number(202)],
        ["甘溪村", "陈三", 2, None, None],
    ]
    code, report = run_roster(app, write_roster(tmp_path / "全县花名册.xlsx", rows, HEADER), "--county")
    assert code == 0, report
    assert report["rows_ok"] == 3 and household_count() == before + 3
    by_name = {h.head_name: h for h in db.session.scalars(select(Household).where(Household.head_name.like("陈%")))}
    assert by_name["陈一"].village_id == world.village.id and by_name["陈一"].group_id == world.group.id
    assert by_name["陈二"].village_id == world.other_village.id
    assert by_name["陈三"].village_id == world.sibling_village.id
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "household.create").order_by(AuditEvent.seq)
    ).all()
    assert events[-1].actor_id == world.users["admin"].id  # the county import is the admin's
    assert audit.verify() is None


def test_an_unknown_or_ambiguous_village_and_a_foreign_group_are_named_and_nothing_written(app, db, world, tmp_path):
    twin = catalog.add_area("441323107299", "中洞村", "village", world.town_b)  # another 中洞村, in 多祝镇
    db.session.flush()
    audit.record(None, "area.create", twin)
    db.session.commit()
    before = (household_count(), db.session.scalar(select(func.count()).select_from(AuditEvent)))
    rows = [
        ["中洞村", "陈一", 4, None, None],  # two villages of that name
        ["不存在村", "陈二", 3, None, None],
        [world.other_village.code, "陈三", 2, "中洞一组", None],  # 中洞一组 is not 八维村's
        [world.village.code, "陈四", 2, "中洞一组", None],  # fine
    ]
    code, report = run_roster(app, write_roster(tmp_path / "全县花名册.xlsx", rows, HEADER), "--county", "--dry-run")
    assert code != 0
    errors = {(e["row"], e["column"]): e["message"] for e in report["errors"]}
    assert "村代码" in errors[(4, "村")] and "没有这个村" in errors[(5, "村")]
    assert "不属于本村" in errors[(6, "村民小组")]
    assert len(errors) == 3
    code, report = run_roster(app, write_roster(tmp_path / "全县花名册2.xlsx", rows, HEADER), "--county")
    assert code != 0
    assert (household_count(), db.session.scalar(select(func.count()).select_from(AuditEvent))) == before


def test_the_county_file_needs_a_village_column_and_one_mode(app, db, world, tmp_path):
    path = write_roster(tmp_path / "花名册.xlsx", [["陈一", 4, None, None, None, None]])
    code, report = run_roster(app, path, "--county")
    assert code != 0 and "村" in report["errors"][0]["message"]
    result = app.test_cli_runner().invoke(
        args=["coop", "import", "households", str(path), "--county", "--village", world.village.code]
    )
    assert result.exit_code != 0 and "either" in result.output


def test_a_retired_village_is_named_as_retired(app, db, world, tmp_path):
    """Not "no such village": the row says it was retired (or, merged, which village to write)."""
    from coopapp.villages.areas import retire_area

    retire_area(world.users["admin"], world.sibling_village)
    db.session.commit()
    rows = [["甘溪村", "陈三", 2, None, None], [world.sibling_village.code, "陈四", 2, None, None]]
    code, report = run_roster(app, write_roster(tmp_path / "全县花名册.xlsx", rows, HEADER), "--county", "--dry-run")
    assert code != 0
    assert [e["message"] for e in report["errors"]] == [
        f"甘溪村（{world.sibling_village.code}）已撤销，不能再登记农户。"
    ] * 2
