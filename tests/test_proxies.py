"""TRUSTED_PROXIES: the client address the login throttle counts by, behind nginx or not."""

import pytest

from config import Config
from coopapp import create_app
from coopapp.extensions import db
from coopapp.models import LoginFailure


@pytest.fixture()
def app_with(database_url, db):
    made = []

    def make(proxies: int):
        application = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TRUSTED_PROXIES": proxies})
        made.append(application)
        return application

    yield make
    for application in made:
        with application.app_context():
            db.engine.dispose()


def _guess(application, forwarded_for: str):
    return application.test_client().post(
        "/login",
        data={"username": "acc", "password": "wrong-pass-1"},
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )


def _client_keys() -> set[str]:
    db.session.expire_all()
    return {row.key for row in db.session.query(LoginFailure) if row.key.startswith("client:")}


def test_without_trusted_proxies_x_forwarded_for_is_ignored(app_with, world):
    application = app_with(0)
    for i in range(3):
        assert _guess(application, f"203.0.113.{i}").status_code == 422
    assert _client_keys() == {"client:127.0.0.1"}  # a guesser cannot pick a fresh address per try


def test_behind_one_trusted_proxy_its_x_forwarded_for_is_the_client(app_with, world):
    application = app_with(1)
    for i in range(3):
        _guess(application, f"198.51.100.9, 203.0.113.{i}")  # the forged first hop is not believed
    assert _client_keys() == {f"client:203.0.113.{i}" for i in range(3)}


def test_trusted_proxies_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    assert Config.from_environment()["TRUSTED_PROXIES"] == 1
    monkeypatch.setenv("TRUSTED_PROXIES", "one")
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES"):
        Config.from_environment()
    assert Config.TRUSTED_PROXIES == 0
