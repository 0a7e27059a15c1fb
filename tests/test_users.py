"""Users: display names shown as 登记人/审核人, the role registry, delegation to a town's admin,
and the administration operations (create with a one-time password, change, deactivate, reset)."""

import pytest
from sqlalchemy import func, select, text
from werkzeug.security import check_password_hash

from coopapp import create_app
from coopapp.access import accounts, audit, users
from coopapp.access.history import object_history
from coopapp.access.scope import ROLE_ACTIONS, area_clause, can
from coopapp.access.users import UserInput
from coopapp.core.vocabulary import ROLES
from coopapp.errors import Forbidden, Invalid, NotFound, Unauthorized
from coopapp.extensions import db
from coopapp.models import ApiToken, Area, AuditEvent, LedgerEntry, User

from .builders import PASSWORD, add_user, approved_entry, insert_old_areas


def _events() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.fixture()
def town_admin(world) -> User:
    """高潭镇's admin (中洞村 and 甘溪村 are under it; 八维村 is not)."""
    user = add_user("gaotan.admin", "admin", world.town_a)
    db.session.commit()
    return user


# ---- display names ----------------------------------------------------------------------


def test_the_entry_page_and_the_history_show_display_names(world, auth, client):
    acc, sec = world.users["accountant"], world.users["secretary"]
    users.update_user(None, acc, {"display_name": "李会计"})
    users.update_user(None, sec, {"display_name": "王书记"})
    entry = approved_entry(world)
    auth.login("acc")
    page = client.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert "李会计" in page and "王书记" in page
    history = object_history(entry)
    assert {e.who for e in history} <= {"李会计", "王书记"}


def test_the_snapshot_vouches_for_the_new_fields(world):
    user, _ = users.create_user(None, UserInput("new.acc", "张三", "会计", world.village.code, "138 0000 0000"))
    assert audit.verify() is None
    db.session.execute(text("UPDATE users SET phone = '13900000000' WHERE id = :i"), {"i": user.id})
    db.session.commit()
    db.session.expire_all()
    assert audit.verify() is not None


def test_the_migration_adopts_the_users_already_there(empty_database):
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade(revision="d7f4b8c3e504")  # before the areas joined the chain: their migration adopts them
        with db.engine.begin() as conn:
            insert_old_areas(conn)
            conn.execute(
                text(
                    "INSERT INTO users (id, username, password_hash, role, area_id, active, created_at) "
                    "VALUES (1, 'old', 'x', 'admin', 1, :t, '2025-01-01')"
                ),
                {"t": True},
            )
        upgrade()
        try:
            assert audit.verify() is None
            adopted = db.session.query(AuditEvent).filter_by(action="user.adopt").one()
            assert adopted.object_id == 1
            assert db.session.get(User, 1).display_name == "" and not db.session.get(User, 1).must_change_password
        finally:
            db.session.remove()
            db.engine.dispose()


# ---- roles ------------------------------------------------------------------------------


def test_every_role_has_its_actions_in_the_one_place():
    assert set(ROLES) == set(ROLE_ACTIONS)


@pytest.mark.parametrize(
    ("written", "code"),
    [("会计", "accountant"), ("村会计", "accountant"), ("书记", "secretary"), ("支部书记", "secretary")]
    + [("村书记", "secretary"), ("审核员", "reviewer"), ("管理员", "admin"), (" Admin ", "admin"), ("x", None)],
)
def test_roles_by_code_or_chinese_name(written, code):
    assert users.role_code(written) == code


# ---- delegation -------------------------------------------------------------------------


def test_a_town_admin_manages_only_that_town(world, town_admin):
    assert can(town_admin, "manage_users", world.village)
    assert can(town_admin, "manage_orgs", world.sibling_village)
    assert not can(town_admin, "manage_users", world.other_village)
    assert not can(town_admin, "manage_areas", world.county)
    seen = set(db.session.scalars(select(Area.code).where(area_clause(town_admin))))
    assert world.village.code in seen and world.other_village.code not in seen
    listed = {row.username for row in users.list_users(town_admin)}
    assert "acc" in listed and "acc2" not in listed and "admin" not in listed
    with pytest.raises(NotFound):
        users.get_user(town_admin, "acc2")


def test_nobody_gives_more_than_their_own_scope_or_a_role_above_their_own(world, town_admin):
    before = _events()
    with pytest.raises(Invalid) as err:
        users.create_user(town_admin, UserInput("x.acc", "某人", "accountant", world.other_village.code))
    assert "管辖范围" in err.value.fields["area"]
    with pytest.raises(Invalid) as err:
        users.create_user(town_admin, UserInput("x.admin", "某人", "admin", world.county.code))
    assert "area" in err.value.fields
    acc = world.users["accountant"]
    with pytest.raises(Forbidden):
        users.update_user(acc, world.users["secretary"], {"role": "admin"})
    with pytest.raises(Forbidden):  # the town admin may not touch the county admin
        users.update_user(town_admin, world.users["admin"], {"area": world.village.code})
    with pytest.raises(Forbidden):
        users.reset_password(town_admin, world.users["other_accountant"])
    assert _events() == before
    user, otp = users.create_user(town_admin, UserInput("x.rev", "赵审核", "审核员", world.town_a.code))
    assert user.role == "reviewer" and otp


# ---- the operations ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (UserInput("acc", "重名", "accountant", "441323110201"), "username", "已存在"),
        (UserInput("new", "   ", "accountant", "441323110201"), "display_name", "空格"),
        (UserInput("new", "某人", "队长", "441323110201"), "role", "未知角色"),
        (UserInput("new", "某人", "secretary", "441323110"), "area", "必须是一个村"),
        (UserInput("new", "某人", "town_accountant", "441323110201"), "area", "必须是一个镇"),
        (UserInput("new", "某人", "reviewer", "441323999"), "area", "不存在"),
        (UserInput("new", "某人", "reviewer", "441323110", "phone?"), "phone", "格式"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(world, data, field, words):
    before = (_events(), db.session.scalar(select(func.count()).select_from(User)))
    with pytest.raises(Invalid) as err:
        users.create_user(world.users["admin"], data)
    assert words in err.value.fields[field]
    assert (_events(), db.session.scalar(select(func.count()).select_from(User))) == before


def test_a_town_accountant_is_made_for_a_town(world):
    user, _otp = users.create_user(
        world.users["admin"], UserInput("gt.town", "镇代理会计", "镇三资代理会计", "441323110")
    )
    assert (user.role, user.area_id) == ("town_accountant", world.town_a.id)


def test_a_new_user_gets_a_one_time_password_and_must_change_it(world):
    user, otp = users.create_user(
        world.users["admin"], UserInput("li.kuaiji", "李会计", "村会计", world.village.code, "0752-8888888")
    )
    assert user.must_change_password and user.phone == "0752-8888888" and user.display_name == "李会计"
    assert accounts.authenticate("li.kuaiji", otp).id == user.id
    accounts.change_password(user, otp, "my-own-pass-1")
    assert not user.must_change_password


def test_deactivation_keeps_the_records_and_ends_tokens(world, api):
    acc = world.users["accountant"]
    entry = approved_entry(world)
    api.as_user("acc")
    users.deactivate_user(world.users["admin"], acc)
    assert api.get("/api/v1/entries").status_code == 401
    assert db.session.get(LedgerEntry, entry.id).created_by_id == acc.id
    with pytest.raises(Unauthorized):
        accounts.authenticate("acc", PASSWORD)
    users.activate_user(world.users["admin"], acc)
    assert accounts.authenticate("acc", PASSWORD).id == acc.id


def test_a_role_or_scope_change_ends_tokens_and_a_name_change_does_not(world):
    sec = world.users["secretary"]
    accounts.issue_token(sec)
    users.update_user(world.users["admin"], sec, {"display_name": "王书记", "phone": "13800000000"})
    assert db.session.scalar(select(func.count()).where(ApiToken.revoked_at.is_(None))) == 1
    users.update_user(world.users["admin"], sec, {"area": world.sibling_village.code})
    assert db.session.scalar(select(func.count()).where(ApiToken.revoked_at.is_(None))) == 0
    assert sec.area_id == world.sibling_village.id
    assert audit.verify() is None


def test_an_admin_does_not_demote_or_deactivate_themselves(world):
    admin = world.users["admin"]
    with pytest.raises(Invalid):
        users.update_user(admin, admin, {"active": False})
    with pytest.raises(Invalid):
        users.reset_password(admin, admin)
    users.update_user(admin, admin, {"display_name": "县管理员"})


def test_a_reset_gives_a_one_time_password_and_ends_tokens(world):
    acc = world.users["accountant"]
    accounts.issue_token(acc)
    otp = users.reset_password(world.users["admin"], acc)
    assert acc.must_change_password and check_password_hash(acc.password_hash, otp)
    assert db.session.scalar(select(func.count()).where(ApiToken.revoked_at.is_(None))) == 0
    with pytest.raises(Unauthorized):
        accounts.authenticate("acc", PASSWORD)
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq.desc()).limit(1)).all()
    assert actions == ["user.reset_password"]


# ---- the command line -------------------------------------------------------------------


def _cli(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["coop", "user", *args], input=input)


def test_cli_add_set_deactivate_activate_reset_and_list(app, world):
    result = _cli(
        app, "add", "ganxi.acc", "--role", "村会计", "--area", world.sibling_village.code,
        "--display-name", "李会计", "--phone", "138 0000 0001", input="good-pass-1\ngood-pass-1\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "ganxi.acc"))
    assert (user.role, user.display_name, user.phone) == ("accountant", "李会计", "138 0000 0001")
    assert not user.must_change_password
    assert _cli(app, "set", "ganxi.acc", "--role", "书记").exit_code == 0
    assert _cli(app, "deactivate", "ganxi.acc").exit_code == 0
    db.session.expire_all()
    assert user.role == "secretary" and not user.active
    assert _cli(app, "activate", "ganxi.acc").exit_code == 0
    result = _cli(app, "reset-password", "ganxi.acc")
    otp = result.output.rsplit(" ", 1)[1].strip()
    assert accounts.authenticate("ganxi.acc", otp).must_change_password
    import json

    rows = json.loads(_cli(app, "list", "--area", world.town_a.code, "--json").output)
    mine = next(r for r in rows if r["username"] == "ganxi.acc")
    assert mine == {
        "username": "ganxi.acc", "display_name": "李会计", "role": "secretary", "area": world.sibling_village.code,
        "phone": "138 0000 0001", "active": True, "locked": False,
    }  # fmt: skip
    assert "acc2" not in {r["username"] for r in rows}
    assert "ganxi.acc" in _cli(app, "list").output


def test_cli_refusals_name_the_field(app, world):
    result = _cli(app, "set", "acc", "--display-name", "   ")
    assert result.exit_code == 1 and "display_name" in result.output
    result = _cli(app, "set", "nobody", "--phone", "123")
    assert result.exit_code == 1 and "nobody" in result.output
    result = _cli(app, "add", "x", "--role", "队长", "--area", world.village.code, input="good-pass-1\ngood-pass-1\n")
    assert result.exit_code == 1 and "role" in result.output


def test_command_line_imports_run_as_the_widest_admin(world, town_admin):
    from coopapp.imports.areas import default_importer

    users.update_user(None, world.users["admin"], {"active": False})
    county_admin = add_user("county.admin2", "admin", world.county)  # created after the town's admin
    db.session.commit()
    assert default_importer().id == county_admin.id
