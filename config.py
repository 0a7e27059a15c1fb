"""Configuration classes. Secrets come only from the environment."""

import os
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs name the old driver; psycopg 3 is what we install.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://") :]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    return f"sqlite:///{INSTANCE_DIR / 'coop.sqlite'}"


# PostgreSQL connection pool of each app process (each gunicorn worker has its own):
# environment variable → (engine option, default). Keep pool_size at least the worker's threads.
POOL_SETTINGS = {
    "DB_POOL_SIZE": ("pool_size", 5),
    "DB_MAX_OVERFLOW": ("max_overflow", 5),
    "DB_POOL_RECYCLE": ("pool_recycle", 1800),
    "DB_POOL_TIMEOUT": ("pool_timeout", 10),
}


def engine_options(url: str) -> dict:
    """SQLAlchemy engine options for `url`: pre-ping always; on PostgreSQL a pool sized from the environment.

    SQLite keeps SQLAlchemy's own pool (WAL and the busy timeout are set on every connection
    in coopapp/__init__.py).
    """
    options: dict = {"pool_pre_ping": True}
    if not url.startswith("postgresql"):
        return options
    for variable, (option, default) in POOL_SETTINGS.items():
        raw = os.environ.get(variable, "").strip()
        if not raw:
            options[option] = default
            continue
        try:
            value = int(raw)
        except ValueError:
            value = -1
        if value < 0 or (option == "pool_size" and value == 0):
            raise RuntimeError(f"{variable} must be a whole number (pool_size at least 1), not {raw!r}.")
        options[option] = value
    return options


def public_base_url(raw: str) -> str:
    """PUBLIC_BASE_URL checked: `https://host[:port][/prefix]`, no trailing slash; raises with what is wrong.

    Every QR code and printed link starts with it, never with the Host header of the request
    that printed it (that address is whatever the secretary happened to type, or a forged one).
    """
    value = raw.strip().rstrip("/")
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
    ):
        raise RuntimeError(
            f"PUBLIC_BASE_URL must be the address villagers open, such as https://coop.example.gov.cn "
            f"(scheme and host, optionally a path prefix; no query), not {raw!r}."
        )
    return value


# Settings an environment variable of the same name may set (numbers).
_NUMBER_SETTINGS = (
    "WELFARE_JOBS_MIN_BP",
    "WEAK_VILLAGE_THRESHOLD_FEN",
    "IMPORT_MAX_BYTES",
    "IMPORT_UPLOAD_MAX_AGE_HOURS",
    "IMPORT_MAX_SECONDS",
    "IMPORT_WEB_MAX_SECONDS",
    "IMPORT_MAX_CELLS",
    "IMPORT_MAX_SHARED_STRINGS_BYTES",
    "IMPORT_MAX_PART_BYTES",
    "IMPORT_MAX_XLS_BYTES",
    "DISCLOSURE_MONTHLY_MIN_ENTRIES",
    "DISCLOSURE_GRACE_DAYS",
    "TRUSTED_PROXIES",
    "VOUCHER_MAX_BYTES",
    "VOUCHER_MAX_PIXELS",
)


class Config:
    """Defaults shared by every environment."""

    SECRET_KEY = "dev-only-not-secret"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    # Login throttling (coopapp/access/throttle.py): after this many failures of a name (or of a
    # browser holding the user's device cookie), and of a client address, each further failure
    # waits LOGIN_DELAY_SECONDS, doubling up to LOGIN_DELAY_MAX_SECONDS; counters are forgotten
    # after LOGIN_FORGET_SECONDS without a failure.
    LOGIN_MAX_FAILURES = 5
    LOGIN_MAX_FAILURES_PER_CLIENT = 20
    LOGIN_DELAY_SECONDS = 30
    LOGIN_DELAY_MAX_SECONDS = 15 * 60
    LOGIN_FORGET_SECONDS = 24 * 3600
    # Reverse proxies in front of the app (nginx: 1): their X-Forwarded-For / -Proto are believed.
    # 0 ignores the headers, so a client cannot choose the address its failed logins count under.
    TRUSTED_PROXIES = 0
    API_TOKEN_DAYS = 30
    # How passwords are hashed (werkzeug's method string): scrypt, werkzeug's default. Only the
    # tests lower it, so that hundreds of logins and new users do not cost minutes.
    PASSWORD_HASH_METHOD = "scrypt"
    WEAK_VILLAGE_THRESHOLD_FEN = 100_000 * 100
    # The least share of a photovoltaic plan's pool for public-welfare jobs, in basis points
    # (2000 = 20%); None: no such rule.
    WELFARE_JOBS_MIN_BP: int | None = None
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    # Original vouchers (原始凭证): where their files live (None: instance/vouchers; a directory several
    # app servers may share), the largest file, the most pixels an image may announce (checked
    # before it is decoded).
    VOUCHER_DIR: str | None = None
    VOUCHER_MAX_BYTES = 10 * 1024 * 1024
    VOUCHER_MAX_PIXELS = 50_000_000
    # The address every QR code and printed link starts with (https://coop.example.gov.cn).
    # None: the address of the request (development only; production refuses to start without it).
    PUBLIC_BASE_URL: str | None = None

    @classmethod
    def from_environment(cls) -> dict:
        """Settings read from the environment when the app is created (not at import)."""
        url = _database_url()
        settings = {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url)}
        if os.environ.get("SECRET_KEY"):
            settings["SECRET_KEY"] = os.environ["SECRET_KEY"]
        for name in _NUMBER_SETTINGS:
            if os.environ.get(name):
                try:
                    settings[name] = float(os.environ[name]) if name.endswith("_HOURS") else int(os.environ[name])
                except ValueError:
                    raise RuntimeError(f"{name} must be a number, not {os.environ[name]!r}") from None
        if os.environ.get("PUBLIC_BASE_URL", "").strip():
            settings["PUBLIC_BASE_URL"] = public_base_url(os.environ["PUBLIC_BASE_URL"])
        if os.environ.get("VOUCHER_DIR", "").strip():
            settings["VOUCHER_DIR"] = os.environ["VOUCHER_DIR"].strip()
        if "PDF_CHROMIUM" in os.environ:
            settings["PDF_CHROMIUM"] = os.environ["PDF_CHROMIUM"]
        return settings


class DevelopmentConfig(Config):
    """`make run`: the local SQLite database under instance/."""


class TestConfig(Config):
    """pytest: the database comes from TEST_DATABASE_URL (SQLite by default)."""

    TESTING = True
    SECRET_KEY = "test-secret"
    WTF_CSRF_ENABLED = False
    LOGIN_MAX_FAILURES = 3
    LOGIN_MAX_FAILURES_PER_CLIENT = 6
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


class ProductionConfig(Config):
    """A shared deployment: refuses to start without a real SECRET_KEY and a PUBLIC_BASE_URL."""

    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"

    @classmethod
    def check(cls) -> None:
        """Raise if the secret or the public address is missing, or the secret is a known placeholder."""
        cls.check_secret()
        if not os.environ.get("PUBLIC_BASE_URL", "").strip():
            raise RuntimeError(
                "PUBLIC_BASE_URL must be set in production: the address villagers open, such as "
                "https://coop.example.gov.cn. Every QR code and printed link starts with it."
            )
        public_base_url(os.environ["PUBLIC_BASE_URL"])

    @classmethod
    def check_secret(cls) -> None:
        """Raise if the secret is missing or is a known placeholder."""
        key = os.environ.get("SECRET_KEY", "")
        if len(key) < 16 or key in {"dev-only-not-secret", "change-me", "secret"}:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 16 characters "
                "in production (e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}
