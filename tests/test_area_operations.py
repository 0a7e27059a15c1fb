"""Admin operations on the area tree: add, rename, move a group, retire, merge a village."""

import pytest

from coopapp.access import audit
from coopapp.errors import Forbidden, Invalid
from coopapp.extensions import db
from coopapp.models import Area, AuditEvent, Household
from coopapp.villages import areas
from coopapp.villages.areas import AreaInput


def _count(action: str) -> int:
    return db.session.query(AuditEvent).filter_by(action=action).count()


@pytest.mark.parametrize(
    "published, shown",
    [
        ("义和村委会", "义和村"),
        ("北门社区居委会", "北门社区"),
        ("中洞村民委员会", "中洞村"),
        ("高潭镇", "高潭镇"),
        ("平山街道办事处", "平山街道"),
        ("村委会", "村委会"),
    ],
)
def test_shown_name(published, shown):
    assert areas.shown_name(published) == shown


def test_admin_adds_a_village_and_a_group(world):
    admin = world.users["admin"]
    village = areas.create_area(admin, AreaInput("441323110203", "新村", published_name="新村村委会"))
    group = areas.create_area(admin, AreaInput("441323110203001", "一组", "村民小组", "441323110203"))
    assert (village.level, village.parent_id, village.path) == (
        "village",
        world.town_a.id,
        "/441323/441323110/441323110203/",
    )
    assert village.published_name == "新村村委会" and not village.retired
    assert (group.level, group.parent_id) == ("group", village.id)
    town = areas.create_area(admin, AreaInput("441323113000", "新镇"))  # the 12-digit form of a town
    assert (town.code, town.level, town.parent_id) == ("441323113", "town", world.county.id)
    assert audit.verify() is None


@pytest.mark.parametrize(
    "data, field",
    [
        (AreaInput("44132311020", "坏"), "code"),
        (AreaInput("4413231102AB", "坏"), "code"),
        (AreaInput("441323110201", "重复"), "code"),
        (AreaInput("441323199201", "无镇村"), "parent"),
        (AreaInput("441323110203", "错层级", level="group"), "level"),
        (AreaInput("441323110203", "错上级", parent_code="441323107"), "parent"),
        (AreaInput("441323110203", "  "), "name"),
        (AreaInput("441323", "县"), "code"),
    ],
)
def test_bad_areas_are_refused_naming_the_field(world, data, field):
    before = (db.session.query(Area).count(), db.session.query(AuditEvent).count())
    with pytest.raises(Invalid) as err:
        areas.create_area(world.users["admin"], data)
    assert field in err.value.fields
    db.session.rollback()
    assert (db.session.query(Area).count(), db.session.query(AuditEvent).count()) == before


def test_only_admins_manage_areas(world):
    for role in ("county_reviewer", "secretary", "accountant"):
        with pytest.raises(Forbidden):
            areas.create_area(world.users[role], AreaInput("441323110203", "新村"))
    with pytest.raises(Forbidden):
        areas.rename_area(world.users["secretary"], world.village, "改名村")


def test_rename_is_audited(world):
    areas.rename_area(world.users["admin"], world.other_village, "八维新村")
    assert world.other_village.name == "八维新村" and _count("area.rename") == 1
    areas.rename_area(world.users["admin"], world.other_village, "八维新村")  # no change, no event
    assert _count("area.rename") == 1 and audit.verify() is None


def test_move_a_group_with_its_households(world):
    group = world.group
    areas.move_group(world.users["admin"], group, "441323110202")  # to 甘溪村
    assert group.parent_id == world.sibling_village.id and group.code == "441323110202001"
    assert group.path == "/441323/441323110/441323110202/441323110202001/"
    homes = db.session.query(Household).filter_by(group_id=group.id).all()
    assert homes and all(h.village_id == world.sibling_village.id for h in homes)
    assert audit.verify() is None


def test_move_refuses_a_village_and_a_retired_target(world):
    admin = world.users["admin"]
    with pytest.raises(Invalid):
        areas.move_group(admin, world.village, "441323110202")
    areas.retire_area(admin, world.sibling_village)
    with pytest.raises(Invalid) as err:
        areas.move_group(admin, world.group, "441323110202")
    assert "parent" in err.value.fields


def test_retire_needs_the_children_retired_first_and_then_refuses_new_groups(world):
    admin = world.users["admin"]
    with pytest.raises(Invalid) as err:
        areas.retire_area(admin, world.village)
    assert "retired" in err.value.fields
    areas.retire_area(admin, world.group)
    areas.retire_area(admin, world.village)
    assert world.village.retired and _count("area.retire") == 2
    with pytest.raises(Invalid) as err:
        areas.create_area(admin, AreaInput("441323110201002", "二组"))
    assert "parent" in err.value.fields and "撤销" in err.value.message
    assert audit.verify() is None


def test_merge_a_village_into_another(world):
    admin = world.users["admin"]
    village, survivor = world.village, world.sibling_village
    areas.merge_village(admin, village, "441323110202")
    assert village.retired and village.merged_into_id == survivor.id
    assert world.group.parent_id == survivor.id
    assert db.session.query(Household).filter_by(village_id=village.id).count() == 0
    assert db.session.query(Household).filter_by(village_id=survivor.id).count() == 3
    assert world.project.village_id == village.id  # its projects and ledger stay with it
    assert audit.verify() is None


def test_merge_refuses_itself_a_town_and_a_retired_survivor(world):
    admin = world.users["admin"]
    with pytest.raises(Invalid):
        areas.merge_village(admin, world.village, world.village.code)
    with pytest.raises(Invalid):
        areas.merge_village(admin, world.town_a, world.village.code)
    areas.retire_area(admin, world.sibling_village)
    with pytest.raises(Invalid) as err:
        areas.merge_village(admin, world.village, world.sibling_village.code)
    assert "merged_into" in err.value.fields
