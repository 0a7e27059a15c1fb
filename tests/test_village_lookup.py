"""`catalog.get_village`: the one way a page or an API route loads a village by its code (or the
user's own) and checks that the user may act on it."""

import pytest

from coopapp.errors import Forbidden, NotFound
from coopapp.villages import catalog

USERS = {"acc": "accountant", "sec": "secretary", "town": "town_reviewer", "county": "county_reviewer"}


@pytest.mark.parametrize(
    ("who", "code", "action", "found"),
    [
        ("acc", None, "create_entry", "village"),  # no code: the user's own village
        ("sec", None, "close_month", "village"),
        ("town", "441323110201", "view", "village"),
        ("county", "441323107203", "view", "other_village"),
        ("acc", None, "close_month", Forbidden),  # the accountant may not close the month
        ("town", None, "view", Forbidden),  # a reviewer works for no village
        ("acc", "441323110202", "view", Forbidden),  # a sibling village
        ("town", "441323107203", "view", Forbidden),  # a village of another town
        ("county", "441323999999", "view", NotFound),
        ("county", "441323110", "view", NotFound),  # a town is no village
        ("county", "441323110201001", "view", NotFound),  # nor is a group
    ],
)
def test_get_village(world, who, code, action, found):
    user = world.users[USERS[who]]
    if isinstance(found, str):
        assert catalog.get_village(code, user, action) == getattr(world, found)
    else:
        with pytest.raises(found):
            catalog.get_village(code, user, action)


def test_a_village_page_given_a_towns_code_is_not_found(world, client, auth):
    """?village= on the village pages names a village: a town's code was shown as an empty village."""
    auth.login("town")
    assert client.get("/village/projects?village=441323110201").status_code == 200
    assert client.get("/village/projects?village=441323110").status_code == 404
    assert client.get("/village/households?village=441323110").status_code == 404
