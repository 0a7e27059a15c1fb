"""Retired and merged areas are hidden from pickers and refused where a user chooses an area."""

import pytest

from coopapp.access.users import add_user
from coopapp.disclosure import operations as disclosure
from coopapp.errors import Invalid
from coopapp.extensions import db
from coopapp.villages import areas, catalog
from coopapp.villages.areas import AreaInput
from coopapp.villages.catalog import HouseholdInput


def _merge_bawei_and_retire_its_town(world):
    """八维村 (the only village of town B) merges into 中洞村; town B is then retired."""
    admin = world.users["admin"]
    areas.merge_village(admin, world.other_village, world.village.code)
    areas.retire_area(admin, world.town_b)
    db.session.commit()


def test_create_household_refuses_a_retired_group(world):
    admin, sec = world.users["admin"], world.users["secretary"]
    closed = areas.create_area(admin, AreaInput(world.group.code[:-3] + "009", "中洞九组"))
    household = world.households[0]
    household.group_id = closed.id  # a household already in the group before it closed
    areas.retire_area(admin, closed)
    with pytest.raises(Invalid) as err:
        catalog.create_household(sec, world.village, HouseholdInput("陈九", 3, closed.code))
    assert err.value.fields == {"group_code": "村民小组已撤销：中洞九组，请选择本村其他小组。"}
    # The household already in it can still be edited without choosing another group.
    catalog.update_household(sec, household, HouseholdInput(household.head_name, 2, closed.code))
    assert household.members == 2 and household.group_id == closed.id


def test_a_user_cannot_be_added_to_a_retired_area(world):
    _merge_bawei_and_retire_its_town(world)
    with pytest.raises(Invalid) as err:
        add_user("bawei-acc", "pass-word-1", "accountant", world.other_village.code)
    assert err.value.fields["area"].startswith("区域已撤销：") and "八维村" in err.value.fields["area"]


def test_the_disclosure_calendar_leaves_out_a_merged_village(app, world):
    admin = world.users["admin"]
    areas.merge_village(admin, world.other_village, world.village.code)
    db.session.commit()
    with app.test_request_context():
        codes = {row.village.code for row in disclosure.calendar(world.users["county_reviewer"])}
    assert world.village.code in codes and world.other_village.code not in codes


def test_the_comparison_town_filter_leaves_out_a_retired_town(client, auth, world):
    auth.login("county")
    assert f'<option value="{world.town_b.code}"' in client.get("/areas").get_data(as_text=True)
    _merge_bawei_and_retire_its_town(world)
    page = client.get("/areas").get_data(as_text=True)
    assert f'<option value="{world.town_b.code}"' not in page
    assert "八维村" in page  # the merged village keeps its history in the table
