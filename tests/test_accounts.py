"""Passwords, API tokens stored hashed, `coop user add` (the login throttle: test_login_throttle.py)."""

from datetime import timedelta

import pytest
from werkzeug.security import check_password_hash

from coopapp.access import accounts, users
from coopapp.errors import Invalid
from coopapp.extensions import db
from coopapp.models import ApiToken, User
from coopapp.models.base import utcnow

from .builders import PASSWORD


def test_correct_password_authenticates(world):
    assert accounts.authenticate("acc", PASSWORD).username == "acc"


@pytest.mark.parametrize("password", ["short1", "onlyletters", "1234567890", ""])
def test_weak_passwords_refused(world, password):
    with pytest.raises(Invalid) as err:
        users.add_user("newbie", password, "accountant", world.village.code)
    assert "password" in err.value.fields


def test_village_roles_need_a_village(world):
    with pytest.raises(Invalid) as err:
        users.add_user("newbie", "good-pass-1", "secretary", world.town_a.code)
    assert "area" in err.value.fields


def test_tokens_are_stored_hashed_expire_and_revoke(world):
    user = world.users["accountant"]
    token = accounts.issue_token(user)
    row = db.session.query(ApiToken).one()
    assert token not in row.token_hash and len(row.token_hash) == 64
    assert accounts.user_for_token(token).id == user.id
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert accounts.user_for_token(token) is None
    token2 = accounts.issue_token(user)
    accounts.revoke_token(user, token2)
    assert accounts.user_for_token(token2) is None


def test_cli_user_add_reads_the_password_from_stdin(app, world):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["coop", "user", "add", "gaotan.reviewer", "--role", "reviewer", "--area", world.town_a.code],
        input="good-pass-1\ngood-pass-1\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.query(User).filter_by(username="gaotan.reviewer").one()
    assert user.role == "reviewer" and user.area_id == world.town_a.id
    assert check_password_hash(user.password_hash, "good-pass-1") and "good-pass-1" not in user.password_hash


def test_cli_user_add_reports_bad_input(app, world):
    result = app.test_cli_runner().invoke(
        args=["coop", "user", "add", "x", "--role", "accountant", "--area", "999"], input="good-pass-1\ngood-pass-1\n"
    )
    assert result.exit_code == 1 and "999" in result.output
    assert db.session.query(User).filter_by(username="x").count() == 0
