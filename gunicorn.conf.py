"""gunicorn settings for `make serve` (production): `gunicorn -c gunicorn.conf.py wsgi:app`.

Everything a deployment changes comes from the environment:

    GUNICORN_BIND       address to listen on             (127.0.0.1:8000; behind nginx keep it on loopback)
    GUNICORN_WORKERS    worker processes                 (2 × cores + 1, at most 8; WEB_CONCURRENCY is read too)
    GUNICORN_THREADS    threads per worker (gthread)     (4; keep DB_POOL_SIZE at least this)
    GUNICORN_TIMEOUT    seconds before a silent worker is restarted   (60; a web import's time budget
                        ends 15 s before it — IMPORT_WEB_MAX_SECONDS, see coopapp/imports/limits.py)
    GUNICORN_LOG_LEVEL  debug, info, warning, error      (info)

The database is the app's own setting (DATABASE_URL, pool sizes DB_POOL_*; see config.py).
Logs (the access log and gunicorn's own) go to standard output. The access log leaves out
query strings and the referrer, where a search for a name could otherwise be recorded, and
masks the key in a household's statement address (/s/<token> → /s/***): the printed QR code's
link is the household's only key, so it must not sit in every log file (the link still works).
"""

import logging
import os
import re

from gunicorn.glogging import Logger


def _int_from_env(*names: str, default: int, low: int = 1) -> int:
    """The first of `names` set in the environment, as a whole number ≥ `low`; else `default`."""
    for name in names:
        raw = os.environ.get(name, "").strip()
        if raw:
            if not raw.isdigit() or int(raw) < low:
                raise RuntimeError(f"{name} must be a whole number of at least {low}, not {raw!r}.")
            return int(raw)
    return default


def default_workers() -> int:
    """2 × cores + 1, capped at 8: each worker holds the app, matplotlib and its own DB pool."""
    return min(2 * (os.cpu_count() or 1) + 1, 8)


bind = [os.environ.get("GUNICORN_BIND", "").strip() or "127.0.0.1:8000"]
workers = _int_from_env("GUNICORN_WORKERS", "WEB_CONCURRENCY", default=default_workers())
# Threads let a worker wait on the database for one request while serving another.
worker_class = "gthread"
threads = _int_from_env("GUNICORN_THREADS", default=4)
timeout = _int_from_env("GUNICORN_TIMEOUT", default=60)
graceful_timeout = 30
keepalive = 5

# Load the app once in the master: a missing SECRET_KEY or a bad setting stops the start with
# its message instead of a loop of failing workers; the workers share the loaded code.
preload_app = True

# gunicorn ≥ 25.1 opens a control socket ($XDG_RUNTIME_DIR or ~/.gunicorn/gunicorn.ctl) by
# default; nothing here uses gunicornc, so no socket file is created.
control_socket_disable = True
pidfile = None
# Worker heartbeats in memory rather than on disk, where a slow disk would stall them.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# A household's statement address /s/<token>: the token is the household's key (see the docstring).
SECRET_PATH = re.compile(r"/s/[^/?#\s\"]+")


def mask_secret_paths(text: str) -> str:
    """`text` with the key of every household statement address replaced: /s/AbC…?year=2025 → /s/***?year=2025."""
    return SECRET_PATH.sub("/s/***", text)


class MaskingLogger(Logger):
    """gunicorn's logger whose access-log fields (path, request line, referrer, headers) never hold a statement key."""

    def atoms(self, resp, req, environ, request_time):
        """gunicorn's access-log fields with every statement key masked."""
        found = super().atoms(resp, req, environ, request_time)
        return {name: mask_secret_paths(value) if isinstance(value, str) else value for name, value in found.items()}


class MaskSecretPaths(logging.Filter):
    """gunicorn's own log ("Error handling request /s/…") without statement keys either."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the formatted message; the record is always kept."""
        record.msg, record.args = mask_secret_paths(record.getMessage()), None
        return True


logger_class = MaskingLogger
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info").strip() or "info"
access_log_format = '%(h)s %({x-forwarded-for}i)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "WARNING", "handlers": ["stdout"]},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "generic",
            "stream": "ext://sys.stdout",
            "filters": ["mask_secret_paths"],
        },
        "access": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stdout"},
    },
    "filters": {"mask_secret_paths": {"()": MaskSecretPaths}},
    "formatters": {
        "generic": {"format": "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s"},
        "access": {"format": "%(message)s"},
    },
}


def post_fork(server, worker):
    """Each worker opens its own database connections: drop any the master's pool holds."""
    if not server.cfg.preload_app:
        return
    from coopapp.extensions import db

    app = server.app.wsgi()
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
