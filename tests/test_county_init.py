"""`coop init`: an empty database becomes a county with its first admin; anything else is refused."""

import pytest
from werkzeug.security import check_password_hash

from coopapp.access.audit import verify
from coopapp.extensions import db
from coopapp.models import Area, AuditEvent, User


def _init(app, *args, password="good-pass-1\ngood-pass-1\n"):
    return app.test_cli_runner().invoke(args=["coop", "init", *args], input=password)


def test_init_creates_the_county_and_its_admin(app, db):
    result = _init(app, "--county", "441323000000", "--name", "惠东县", "--admin", "clerk")
    assert result.exit_code == 0, result.output
    county = db.session.query(Area).one()
    assert (county.code, county.name, county.level, county.path, county.parent_id) == (
        "441323",
        "惠东县",
        "county",
        "/441323/",
        None,
    )
    admin = db.session.query(User).one()
    assert (admin.username, admin.role, admin.area_id) == ("clerk", "admin", county.id)
    assert check_password_hash(admin.password_hash, "good-pass-1")
    assert db.session.query(AuditEvent).filter_by(action="user.create").count() == 1
    assert verify() is None


def test_the_admin_can_log_in_after_init(app, db, client):
    assert _init(app, "--county", "441323", "--name", "惠东县", "--admin", "clerk").exit_code == 0
    page = client.post("/login", data={"username": "clerk", "password": "good-pass-1"}, follow_redirects=True)
    assert page.status_code == 200 and "退出" in page.get_data(as_text=True)


def test_init_refuses_a_database_that_is_not_empty(app, world):
    before = (db.session.query(Area).count(), db.session.query(User).count(), db.session.query(AuditEvent).count())
    result = _init(app, "--county", "441324", "--name", "另一县", "--admin", "clerk")
    assert result.exit_code == 1 and "不是空的" in result.output
    after = (db.session.query(Area).count(), db.session.query(User).count(), db.session.query(AuditEvent).count())
    assert after == before


@pytest.mark.parametrize(
    "code, reason",
    [("44132", "6、9、12 或 15"), ("44132X", "数字"), ("441323110", "县级"), ("441323110201", "县级")],
)
def test_init_refuses_a_bad_code_and_writes_nothing(app, db, code, reason):
    result = _init(app, "--county", code, "--name", "惠东县", "--admin", "clerk")
    assert result.exit_code == 1 and reason in result.output and "county" in result.output
    assert db.session.query(Area).count() == db.session.query(User).count() == 0


def test_init_refuses_a_weak_password_and_writes_nothing(app, db):
    result = _init(app, "--county", "441323", "--name", "惠东县", "--admin", "clerk", password="short\nshort\n")
    assert result.exit_code == 1 and "password" in result.output
    assert db.session.query(Area).count() == db.session.query(User).count() == 0


def test_init_asks_for_the_password_twice(app, db):
    result = _init(
        app, "--county", "441323", "--name", "惠东县", "--admin", "clerk", password="good-pass-1\nother-pass-2\n"
    )
    assert result.exit_code != 0
    assert db.session.query(Area).count() == 0
