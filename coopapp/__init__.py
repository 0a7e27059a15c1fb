"""合作社经济台账 — the cooperative-economy tracker (Flask application factory)."""

import os
from pathlib import Path

from flask import Flask, has_request_context, session
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS, INSTANCE_DIR, ProductionConfig
from coopapp.extensions import babel, csrf, db, login_manager, migrate

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app. `test_config` overrides settings (used by the tests)."""
    env = "test" if test_config else os.environ.get("COOP_ENV", "development")
    config_class = CONFIGS[env]
    if hasattr(config_class, "check"):
        config_class.check()
    elif env != "test" and not config_class.from_environment()["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A shared database means a shared deployment: the development key is not good enough.
        ProductionConfig.check_secret()
    app = Flask(__name__, template_folder=str(TEMPLATES), instance_path=str(INSTANCE_DIR))
    app.config.from_object(config_class)
    app.config.update(config_class.from_environment())
    if test_config:
        app.config.update(test_config)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    # Statement parameters (ID numbers, phones) stay out of SQL logs and error messages.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
        "hide_parameters": True,
    }
    app.json.ensure_ascii = False  # 中文 and 𠮷 as themselves in API responses
    INSTANCE_DIR.mkdir(exist_ok=True)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        # The client address (the login throttle counts by it) and scheme as the proxies saw them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    register_extensions(app)
    register_blueprints(app)
    register_errors(app)
    register_cli(app)
    register_security_headers(app)
    return app


def select_locale() -> str:
    """The language chosen with the switch (zh_CN unless the user picked English)."""
    lang = session.get("lang") if has_request_context() else None
    return lang if lang in ("zh_CN", "en") else "zh_CN"


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)

    from coopapp import models  # noqa: F401  (register the mappers)

    @login_manager.user_loader
    def _load_user(user_id: str):
        """The session's user, while its server-side session has not ended and the user is active."""
        from coopapp.access.sessions import SESSION_KEY, session_user

        key = session.get(SESSION_KEY)
        if not isinstance(key, str) or not key or not (user_id.isascii() and user_id.isdigit()) or len(user_id) > 12:
            return None
        return session_user(int(user_id), key)

    @login_manager.request_loader
    def _load_user_from_token(req):
        """`Authorization: Bearer TOKEN` (API clients without a session cookie)."""
        header = req.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        from coopapp.access.accounts import user_for_token

        return user_for_token(header[len("Bearer ") :].strip())


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite: enforce foreign keys, WAL for concurrent readers, wait on locks."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.close()


def register_blueprints(app: Flask) -> None:
    from coopapp.api import bp as api_bp
    from coopapp.web import register_web

    register_web(app)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    csrf.exempt(api_bp)


def register_errors(app: Flask) -> None:
    from coopapp.web.errors import register_error_handlers

    register_error_handlers(app)


def register_cli(app: Flask) -> None:
    from coopapp.cli import coop

    app.cli.add_command(coop)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response
