"""County settings (县级设置): the document's rules, saving them (who may, audited, what changed),
and `audit verify` over the stored row."""

import json

import pytest
from sqlalchemy import func, select, text

from coopapp.access import audit
from coopapp.errors import Conflict, Forbidden, Invalid, NotFound
from coopapp.extensions import db
from coopapp.models import Area, AuditEvent, CountySettings, User
from coopapp.settings import DEFAULTS, Tier, county_code, for_area, from_document, to_document
from coopapp.settings.operations import can_manage_settings, save_settings, settings_county

from .builders import add_user, statements

TIER = {"kinds": ["cost"], "above_fen": 1_000_000, "approvers": ["town_accountant"]}


def _events() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


# ---- the document's rules ---------------------------------------------------


def test_an_empty_document_is_the_defaults_and_a_document_reads_back():
    assert from_document({}) == DEFAULTS
    document = {
        "categories": ["办公费", " 维修费 ", "办公费"],
        "banned_categories": ["招待费"],
        "non_productive_cap_fen": 5_000_000,
        "tiers": [TIER, {"kinds": ["cost"], "above_fen": 0, "up_to_fen": 1_000_000}],
        "voucher_required_above_fen": 20_000,
        "cash_warning_above_fen": 100_000,
        "plan_town_approval_above_fen": None,
    }
    settings = from_document(document)
    assert settings.categories == ("办公费", "维修费")  # trimmed, each once
    assert settings.tier_for("cost", 1_200_000) == Tier(("cost",), 1_000_000, None, ("town_accountant",))
    assert settings.tier_for("cost", -1_200_000).above_fen == 1_000_000  # a red amount by its size
    assert settings.tier_for("cost", 1_000_000).up_to_fen == 1_000_000  # the top of a band is inside it
    assert settings.tier_for("sales", 1_200_000) is None
    assert from_document(to_document(settings)) == settings


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ([], "settings"),
        ({"colour": "red"}, "settings"),
        ({"categories": "办公费"}, "categories"),
        ({"categories": ["办公费", ""]}, "categories"),
        ({"categories": ["办公费", 3]}, "categories"),
        ({"banned_categories": ["  "]}, "banned_categories"),
        ({"categories": [f"科目{i}" for i in range(201)]}, "categories"),
        ({"non_productive_cap_fen": -1}, "non_productive_cap_fen"),
        ({"voucher_required_above_fen": "200"}, "voucher_required_above_fen"),
        ({"cash_warning_above_fen": 1.5}, "cash_warning_above_fen"),
        ({"cash_warning_above_fen": True}, "cash_warning_above_fen"),
        ({"plan_town_approval_above_fen": 10**16}, "plan_town_approval_above_fen"),
        ({"tiers": {"kinds": ["cost"]}}, "tiers"),
        ({"tiers": [TIER] * 101}, "tiers"),
        ({"tiers": ["cost"]}, "tiers"),
        ({"tiers": [{"kinds": ["bribes"], "above_fen": 0}]}, "tiers"),
        ({"tiers": [{"kinds": [], "above_fen": 0}]}, "tiers"),
        ({"tiers": [{"kinds": ["cost"], "above_fen": -100}]}, "tiers"),
        ({"tiers": [{"kinds": ["cost"], "above_fen": 500, "up_to_fen": 500}]}, "tiers"),
        ({"tiers": [{"kinds": ["cost"], "above_fen": 500, "up_to_fen": 100}]}, "tiers"),
        ({"tiers": [{"kinds": ["cost"], "above_fen": 0, "approvers": ["mayor"]}]}, "tiers"),
        ({"tiers": [{"kinds": ["cost"], "above_fen": 0, "approvers": []}]}, "tiers"),
        # overlapping bands of one kind: open-ended, nested and touching inside
        ({"tiers": [TIER, {"kinds": ["sales", "cost"], "above_fen": 2_000_000}]}, "tiers"),
        ({"tiers": [{"kinds": ["cost"], "above_fen": 0, "up_to_fen": 1_000_001}, TIER]}, "tiers"),
    ],
)
def test_every_bad_field_is_named(document, field):
    with pytest.raises(Invalid) as err:
        from_document(document)
    assert field in err.value.fields, err.value.fields


def test_bands_that_only_touch_or_are_of_other_kinds_do_not_overlap():
    settings = from_document(
        {
            "tiers": [
                {"kinds": ["cost"], "above_fen": 0, "up_to_fen": 1_000_000},
                TIER,
                {"kinds": ["sales"], "above_fen": 0},
            ]
        }
    )
    assert len(settings.tiers) == 3


def test_a_tier_on_operating_expense_holds_for_cost_and_the_other_way():
    """成本 (`cost`, as old rows and clients write it) is 经营支出: a rule on either holds for both."""
    for kinds in (["operating_expense"], ["cost"]):
        settings = from_document({"tiers": [{**TIER, "kinds": kinds}]})
        for kind in ("cost", "operating_expense"):
            assert settings.tier_for(kind, 2_000_000) is not None, (kinds, kind)
        assert settings.tier_for("admin_expense", 2_000_000) is None
    with pytest.raises(Invalid) as err:  # two bands of 经营支出 overlap whichever code each names
        from_document({"tiers": [TIER, {**TIER, "kinds": ["operating_expense"], "above_fen": 2_000_000}]})
    assert "区间重叠（经营支出（成本））" in err.value.fields["tiers"]


# ---- saving -----------------------------------------------------------------


def test_the_county_admin_saves_audited_with_what_changed(world):
    admin = world.users["admin"]
    before = _events()
    row = save_settings(admin, world.county, {"tiers": [TIER], "voucher_required_above_fen": 20_000})
    assert row.version == 1 and row.updated_by_id == admin.id
    assert for_area(world.village).voucher_required_above_fen == 20_000  # the request's cache was dropped
    assert for_area(world.village).tier_for("cost", 1_000_001) is not None
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert _events() == before + 1
    assert (event.action, event.object_type, event.object_id) == ("county_settings.create", "county_settings", row.id)
    data = json.loads(event.data)
    assert data["snapshot"] == row.audit_snapshot()
    assert data["extra"]["changes"] == {
        "tiers": [[], [{**TIER, "up_to_fen": None}]],
        "voucher_required_above_fen": [None, 20_000],
    }

    row = save_settings(admin, world.county, {"tiers": [TIER], "voucher_required_above_fen": 30_000})
    assert row.version == 2
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert event.action == "county_settings.update"
    assert json.loads(event.data)["extra"]["changes"] == {"voucher_required_above_fen": [20_000, 30_000]}
    # The same settings again: nothing written.
    save_settings(admin, world.county, {"tiers": [TIER], "voucher_required_above_fen": 30_000})
    assert _events() == before + 2
    assert audit.verify() is None


def test_bad_input_writes_nothing(world):
    before = _events()
    with pytest.raises(Invalid) as err:
        save_settings(world.users["admin"], world.county, {"tiers": [TIER, TIER], "cash_warning_above_fen": -5})
    assert set(err.value.fields) == {"tiers", "cash_warning_above_fen"}
    db.session.rollback()
    assert _events() == before
    assert db.session.scalar(select(func.count()).select_from(CountySettings)) == 0


def test_a_stale_version_is_a_conflict(world):
    admin = world.users["admin"]
    save_settings(admin, world.county, {"cash_warning_above_fen": 100_000}, expected_version=0)
    with pytest.raises(Conflict):
        save_settings(admin, world.county, {"cash_warning_above_fen": 1}, expected_version=0)
    assert for_area(world.county).cash_warning_above_fen == 100_000


def test_only_an_admin_covering_the_county_may_save(world):
    town_admin = add_user("town.admin", "admin", world.town_a)
    db.session.commit()
    assert can_manage_settings(world.users["admin"], world.county)
    assert not can_manage_settings(town_admin, world.county)
    for name in ("county_reviewer", "secretary", "accountant", "town_reviewer"):
        assert not can_manage_settings(world.users[name], world.county)
        with pytest.raises(Forbidden):
            save_settings(world.users[name], world.county, {})
    with pytest.raises(Forbidden):
        save_settings(town_admin, world.county, {})
    with pytest.raises(NotFound):  # settings are a county's, never a town's
        save_settings(town_admin, world.town_a, {})
    assert db.session.scalar(select(func.count()).select_from(CountySettings)) == 0


def test_the_county_of_an_area_costs_one_query_and_of_a_county_none(world):
    db.session.expire_all()
    village, county = db.session.get(Area, world.village.id), db.session.get(Area, world.county.id)
    admin = db.session.get(User, world.users["admin"].id)
    assert admin.area is county
    with statements() as seen:
        assert settings_county(admin, village).id == world.county.id
    assert len(seen) == 1  # by the county's code, the first step of the village's path
    with statements() as seen:
        assert settings_county(admin, county) is county and settings_county(admin).id == world.county.id
    assert seen == []  # the admin's own area is the county
    assert county_code(village) == county_code(county) == "441323" and county_code(None) is None


def test_audit_verify_catches_a_settings_row_edited_by_sql(world):
    row = save_settings(world.users["admin"], world.county, {"cash_warning_above_fen": 100_000})
    assert audit.verify_rows() is None
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE county_settings SET data = replace(data, '100000', '1') WHERE id = :i"), {"i": row.id}
        )
    db.session.expire_all()
    problem = audit.verify_rows()
    assert problem is not None and f"county_settings {row.id}" in problem.message


def test_audit_verify_catches_a_settings_row_inserted_by_sql(world):
    with db.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO county_settings (county_id, data, updated_at, version) VALUES (:c, '{}', :t, 1)"),
            {"c": world.county.id, "t": "2026-01-01 00:00:00"},
        )
    problem = audit.verify_rows()
    assert problem is not None and "county_settings" in problem.message and "no audit event" in problem.message


# ---- the command line ---------------------------------------------------------


def test_the_cli_shows_and_sets_a_county_settings(app, world, tmp_path):
    runner = app.test_cli_runner()
    shown = runner.invoke(args=["coop", "settings", "show", "--county", "441323"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["version"] == 0
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"tiers": [TIER], "cash_warning_above_fen": 100_000}), encoding="utf-8")
    result = runner.invoke(args=["coop", "settings", "set", str(path), "--county", "441323"])
    assert result.exit_code == 0, result.output
    assert "version 1" in result.output
    db.session.expire_all()
    assert for_area(world.county).cash_warning_above_fen == 100_000
    # The output of `show` is taken back as it is.
    path.write_text(runner.invoke(args=["coop", "settings", "show", "--county", "441323"]).output, encoding="utf-8")
    assert runner.invoke(args=["coop", "settings", "set", str(path), "--county", "441323"]).exit_code == 0
    assert audit.verify() is None


def test_the_cli_names_bad_fields_and_writes_nothing(app, world, tmp_path):
    runner = app.test_cli_runner()
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"tiers": [TIER, TIER]}), encoding="utf-8")
    before = _events()
    result = runner.invoke(args=["coop", "settings", "set", str(path), "--county", "441323"])
    assert result.exit_code == 1 and "tiers" in result.output
    assert runner.invoke(args=["coop", "settings", "set", str(path), "--county", "441323110"]).exit_code == 1
    path.write_text("{not json", encoding="utf-8")
    assert runner.invoke(args=["coop", "settings", "set", str(path), "--county", "441323"]).exit_code == 1
    db.session.rollback()
    assert _events() == before
