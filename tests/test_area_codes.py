"""Area codes: the canonical form, the zero-padded 12-digit form, and Excel's numbers."""

from decimal import Decimal

import pytest

from coopapp.core.codes import area_level, canonical_area_code, parent_area_code
from coopapp.errors import Invalid


@pytest.mark.parametrize(
    "value, code",
    [
        ("441323", "441323"),
        ("441323000000", "441323"),
        ("441323110", "441323110"),
        ("441323110000", "441323110"),
        ("441323110201", "441323110201"),
        ("441323110201003", "441323110201003"),
        (" 441323110201 ", "441323110201"),
        (441323110201, "441323110201"),
        (441323000000, "441323"),
        (441323000000.0, "441323"),  # a cell Excel shows as 4.41323E+11 holds this value
        (4.41323110201e11, "441323110201"),
        (Decimal("441323110000"), "441323110"),
        ("441323110201.0", "441323110201"),
    ],
)
def test_canonical_area_code(value, code):
    assert canonical_area_code(value) == code


@pytest.mark.parametrize("value", ["", "44132", "4413231", "44132311020", "44132A110201", "四四一", "4.41323E+11", 1.5])
def test_bad_area_codes_are_refused_naming_the_field(value):
    with pytest.raises(Invalid) as err:
        canonical_area_code(value, field="parent_code")
    assert "parent_code" in err.value.fields


def test_scientific_display_is_named():
    with pytest.raises(Invalid, match="科学计数法"):
        canonical_area_code("4.41323E+11")


def test_level_and_parent_follow_from_the_code():
    assert [area_level(c) for c in ("441323", "441323110", "441323110201", "441323110201003")] == [
        "county",
        "town",
        "village",
        "group",
    ]
    assert parent_area_code("441323110201003") == "441323110201"
    assert parent_area_code("441323110201") == "441323110"
    assert parent_area_code("441323110") == "441323"
    assert parent_area_code("441323") is None


def test_cli_user_add_takes_a_zero_padded_town_code(app, world):
    from coopapp.extensions import db
    from coopapp.models import User

    result = app.test_cli_runner().invoke(
        args=["coop", "user", "add", "gaotan.rev", "--role", "reviewer", "--area", "441323110000"],
        input="good-pass-1\ngood-pass-1\n",
    )
    assert result.exit_code == 0, result.output
    assert db.session.query(User).filter_by(username="gaotan.rev").one().area_id == world.town_a.id


def test_cli_user_add_names_a_bad_code(app, world):
    result = app.test_cli_runner().invoke(
        args=["coop", "user", "add", "x", "--role", "reviewer", "--area", "44132311"],
        input="good-pass-1\ngood-pass-1\n",
    )
    assert result.exit_code == 1 and "area" in result.output and "6、9、12 或 15" in result.output


def test_api_and_pages_take_zero_padded_codes(app, world):
    from .test_api_support import body, login

    county = login(app, "county")
    padded = body(county.get("/api/v1/compare?area=441323110000&metric=collective_income"))
    plain = body(county.get("/api/v1/compare?area=441323110&metric=collective_income"))
    assert padded["area"] == plain["area"] == "441323110"
    assert county.get("/api/v1/compare?area=44132A&metric=collective_income").status_code == 404


def test_web_compare_takes_a_zero_padded_county_code(client, auth, world):
    auth.login("county")
    page = client.get("/areas?area=441323000000")
    assert page.status_code == 200 and "惠东县" in page.get_data(as_text=True)
