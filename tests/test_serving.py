"""Production serving: gunicorn.conf.py, the connection pool from the environment, gunicorn itself."""

import http.client
import os
from pathlib import Path

import pytest
from gunicorn.app.base import Application

from bench.load import serve
from config import POOL_SETTINGS, Config, engine_options
from coopapp import create_app
from coopapp.extensions import db

CONFIG_FILE = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
PG_URL = "postgresql+psycopg://coop:pw@db.example:5432/coop"
STATEMENT_KEY = "Qm9ndXMtc3RhdGVtZW50LWtleS1mb3ItdGhlLWxvZw"  # a /s/<token> key the access log must not show
ENV_NAMES = [
    "GUNICORN_BIND",
    "GUNICORN_WORKERS",
    "WEB_CONCURRENCY",
    "GUNICORN_THREADS",
    "GUNICORN_TIMEOUT",
    "GUNICORN_LOG_LEVEL",
    *POOL_SETTINGS,
]


class ConfigProbe(Application):
    """gunicorn's own loading of a config file (validation included), without an app or argv."""

    def __init__(self, path: Path):
        self.path = str(path)
        super().__init__()

    def init(self, parser, opts, args):
        return None

    def load_config(self):
        self.load_config_from_file(self.path)

    def load(self):
        raise AssertionError("not serving")


@pytest.fixture()
def clean_env(monkeypatch):
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_gunicorn_config_defaults(clean_env):
    cfg = ConfigProbe(CONFIG_FILE).cfg
    assert cfg.bind == ["127.0.0.1:8000"]
    assert cfg.workers == min(2 * (os.cpu_count() or 1) + 1, 8)
    assert cfg.worker_class_str == "gthread"
    assert cfg.threads == 4
    assert cfg.timeout == 60
    assert cfg.graceful_timeout == 30
    assert cfg.preload_app is True
    assert cfg.control_socket_disable is True
    assert cfg.pidfile is None
    handlers = cfg.logconfig_dict["handlers"]
    assert {h["stream"] for h in handlers.values()} == {"ext://sys.stdout"}
    # The access log names the path only: no query string (a search for a name), no referrer.
    assert "%(U)s" in cfg.access_log_format
    assert "%(r)s" not in cfg.access_log_format and "%(q)s" not in cfg.access_log_format
    assert "%(f)s" not in cfg.access_log_format


def test_gunicorn_config_comes_from_the_environment(clean_env):
    clean_env.setenv("GUNICORN_BIND", "0.0.0.0:9000")
    clean_env.setenv("GUNICORN_WORKERS", "3")
    clean_env.setenv("GUNICORN_THREADS", "2")
    clean_env.setenv("GUNICORN_TIMEOUT", "120")
    clean_env.setenv("GUNICORN_LOG_LEVEL", "warning")
    cfg = ConfigProbe(CONFIG_FILE).cfg
    assert cfg.bind == ["0.0.0.0:9000"]
    assert (cfg.workers, cfg.threads, cfg.timeout, cfg.loglevel) == (3, 2, 120, "warning")


def test_web_concurrency_is_read_when_gunicorn_workers_is_not(clean_env):
    clean_env.setenv("WEB_CONCURRENCY", "6")
    assert ConfigProbe(CONFIG_FILE).cfg.workers == 6


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_bad_worker_count_stops_the_start_with_its_name(clean_env, capsys, value):
    clean_env.setenv("GUNICORN_WORKERS", value)
    with pytest.raises(SystemExit):
        ConfigProbe(CONFIG_FILE)
    assert "GUNICORN_WORKERS must be a whole number" in capsys.readouterr().err


def test_postgres_pool_defaults(clean_env):
    assert engine_options(PG_URL) == {
        "pool_pre_ping": True,
        "pool_size": 5,
        "max_overflow": 5,
        "pool_recycle": 1800,
        "pool_timeout": 10,
    }


def test_sqlite_keeps_its_own_pool(clean_env):
    clean_env.setenv("DB_POOL_SIZE", "9")
    assert engine_options("sqlite:////tmp/x.sqlite") == {"pool_pre_ping": True}


def test_the_engine_gets_the_pool_from_the_environment(clean_env):
    clean_env.setenv("DATABASE_URL", PG_URL)
    clean_env.setenv("DB_POOL_SIZE", "7")
    clean_env.setenv("DB_MAX_OVERFLOW", "3")
    clean_env.setenv("DB_POOL_RECYCLE", "600")
    clean_env.setenv("DB_POOL_TIMEOUT", "4")
    assert Config.from_environment()["SQLALCHEMY_ENGINE_OPTIONS"] == {
        "pool_pre_ping": True,
        "pool_size": 7,
        "max_overflow": 3,
        "pool_recycle": 600,
        "pool_timeout": 4,
    }
    # The engine the app builds (no connection is opened to build it).
    application = create_app({"TESTING": True})
    with application.app_context():
        engine = db.engine
        assert engine.url.drivername == "postgresql+psycopg"
        pool = engine.pool
        assert (pool.size(), pool._max_overflow, pool._recycle, pool._timeout) == (7, 3, 600, 4)
        assert pool._pre_ping is True
        engine.dispose()


@pytest.mark.parametrize("name,value", [("DB_POOL_SIZE", "0"), ("DB_MAX_OVERFLOW", "many"), ("DB_POOL_RECYCLE", "-5")])
def test_a_bad_pool_setting_is_refused_with_its_name(clean_env, name, value):
    clean_env.setenv(name, value)
    with pytest.raises(RuntimeError, match=name):
        engine_options(PG_URL)


def test_gunicorn_serves_the_app_and_leaves_no_control_socket(app, database_url, tmp_path):
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    home.mkdir()
    runtime.mkdir()
    env = {"HOME": str(home), "XDG_RUNTIME_DIR": str(runtime), "MPLCONFIGDIR": str(tmp_path / "mpl")}
    with serve(database_url, workers=2, threads=2, env=env, log_path=tmp_path / "gunicorn.log") as server:
        conn = http.client.HTTPConnection("127.0.0.1", int(server.base_url.rsplit(":", 1)[1]), timeout=10)
        conn.request("GET", "/login?q=%E5%BC%A0%E4%B8%89")
        resp = conn.getresponse()
        body = resp.read().decode()
        assert resp.status == 200
        assert 'name="csrf_token"' in body  # production: CSRF on
        assert "frame-ancestors 'none'" in resp.getheader("Content-Security-Policy")
        conn.request("GET", f"/s/{STATEMENT_KEY}?year=2025", headers={"Referer": f"http://x/s/{STATEMENT_KEY}"})
        conn.getresponse().read()
        conn.close()
        assert [p.name for p in runtime.iterdir()] == []
    assert server.process.returncode == 0
    assert not list(tmp_path.rglob("*.ctl"))
    assert not (home / ".gunicorn").exists()
    out = server.stdout()
    assert "Listening at: http://127.0.0.1:" in out and "gthread" in out
    assert '"GET /login HTTP/1.1" 200' in out  # the access log, on standard output, without the query
    assert "%E5%BC%A0" not in out and "张三" not in out
    assert '"GET /s/*** HTTP/1.1" 404' in out and STATEMENT_KEY not in out  # the household's key is masked


def test_production_without_a_secret_key_does_not_start(app, database_url, tmp_path):
    with pytest.raises(RuntimeError) as failure:
        with serve(database_url, env={"SECRET_KEY": ""}, log_path=tmp_path / "gunicorn.log"):
            pass
    assert "SECRET_KEY must be set" in str(failure.value)


def _config_module() -> dict:
    import runpy

    return runpy.run_path(str(CONFIG_FILE))


@pytest.mark.parametrize(
    ("logged", "shown"),
    [
        ("/s/AbC-_9xyz", "/s/***"),
        ("/s/AbC-_9xyz?year=2025", "/s/***?year=2025"),
        ("GET /s/AbC%2Fx HTTP/1.1", "GET /s/*** HTTP/1.1"),
        ("https://coop.example.gov.cn/s/AbC-_9xyz#plan-3", "https://coop.example.gov.cn/s/***#plan-3"),
        ("/p/441323110201", "/p/441323110201"),
        ("/static/app.css", "/static/app.css"),
    ],
)
def test_the_access_log_masks_the_key_of_a_statement_address(logged, shown):
    assert _config_module()["mask_secret_paths"](logged) == shown


def test_gunicorn_uses_the_masking_logger_for_every_access_log_field(clean_env):
    from datetime import timedelta
    from types import SimpleNamespace

    cfg = ConfigProbe(CONFIG_FILE).cfg
    assert cfg.logger_class.__name__ == "MaskingLogger"
    logger = cfg.logger_class(cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/s/{STATEMENT_KEY}?year=2025",
        "PATH_INFO": f"/s/{STATEMENT_KEY}",
        "QUERY_STRING": "year=2025",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"https://coop.example.gov.cn/s/{STATEMENT_KEY}",
    }
    resp = SimpleNamespace(status="200 OK", sent=10, headers=[])
    req = SimpleNamespace(headers=[("REFERER", f"https://coop.example.gov.cn/s/{STATEMENT_KEY}")])
    atoms = logger.atoms(resp, req, environ, timedelta(milliseconds=5))
    assert STATEMENT_KEY not in repr(atoms)
    assert atoms["U"] == "/s/***" and atoms["r"] == "GET /s/***?year=2025 HTTP/1.1"


def test_gunicorns_own_log_masks_statement_keys_too():
    import logging

    mask = _config_module()["MaskSecretPaths"]()
    record = logging.LogRecord(
        "gunicorn.error", logging.ERROR, __file__, 1, "Error handling request %s", (f"/s/{STATEMENT_KEY}",), None
    )
    assert mask.filter(record) and record.getMessage() == "Error handling request /s/***"
