"""Configuration classes, read from environment variables.

Importing this module never fails: values are read when a class is used by
``create_app``, and ``ProductionConfig.check`` refuses to start without a real
``SECRET_KEY``.
"""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSECURE_DEV_KEY = "dev-only-insecure-key"


def env_bool(name: str, default: bool) -> bool:
    """Parse a boolean environment variable strictly ("1/0", "true/false", "yes/no", "on/off")."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if raw is None or raw.strip() == "" else int(raw)


def instance_secret_key(instance_path) -> str:
    """The installation's own random key, kept in ``<instance>/secret_key``: created on first use
    (atomically, readable by its owner only), then read by every process of the installation
    (gunicorn's workers, the CLI, ``make run``), so sessions survive restarts."""
    import secrets
    import tempfile

    directory = Path(instance_path)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "secret_key"
    for _ in range(2):
        try:
            key = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            key = ""
        if len(key) >= 32:
            return key
        handle, temp = tempfile.mkstemp(dir=directory, prefix=".secret_key-")
        try:
            with os.fdopen(handle, "w", encoding="ascii") as out:
                out.write(secrets.token_hex(32) + "\n")
            os.chmod(temp, 0o600)
            try:
                os.link(temp, path)  # atomic: the first process wins, the others read its key
            except FileExistsError:
                if len(path.read_text(encoding="ascii").strip()) < 32:  # a damaged file: replace it
                    os.replace(temp, path)
                    temp = None
        finally:
            if temp is not None and os.path.exists(temp):
                os.unlink(temp)
    return path.read_text(encoding="ascii").strip()


def default_database_url() -> str:
    return "sqlite:///" + str(BASE_DIR / "instance" / "workflow.db")


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    TESTING = False

    def __init__(self) -> None:
        # No SECRET_KEY: create_app uses a random key kept in instance/secret_key (made once, mode
        # 0600), never a key written in the source; production refuses to start without one.
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or None
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or default_database_url()
        if self.SQLALCHEMY_DATABASE_URI.startswith("postgres://"):
            self.SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://" + self.SQLALCHEMY_DATABASE_URI[len("postgres://"):]
        elif self.SQLALCHEMY_DATABASE_URI.startswith("postgresql://"):
            self.SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://" + self.SQLALCHEMY_DATABASE_URI[len("postgresql://"):]
        self.TIMEZONE = os.environ.get("TIMEZONE", "Asia/Ho_Chi_Minh")
        self.WARNING_YELLOW_DAYS = env_int("WARNING_YELLOW_DAYS", 3)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        # A sign-in ends on the server after SESSION_HOURS (remember me off) or REMEMBER_DAYS
        # (the remember cookie's life too); workflow/services/users.py.
        self.SESSION_LIFETIME = timedelta(hours=env_int("SESSION_HOURS", 12))
        self.REMEMBER_COOKIE_DURATION = timedelta(days=env_int("REMEMBER_DAYS", 14))
        # No ping before every request: a pooled connection idle longer than this is tested
        # (SELECT 1) before use, a dead one replaced; 0 tests it every time (workflow/dbtuning.py).
        self.SQLALCHEMY_ENGINE_OPTIONS = {}
        self.DB_PING_AFTER_IDLE_SECONDS = float(os.environ.get("DB_PING_AFTER_IDLE_SECONDS") or 10)
        # Read answers kept per process per PostgreSQL snapshot (workflow/snapshots.py); 0 keeps none.
        self.SNAPSHOT_PIECES = int(os.environ.get("SNAPSHOT_PIECES") or 128)
        self.API_PER_PAGE_DEFAULT = 50
        self.API_PER_PAGE_MAX = 500
        self.MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 10 * 1024 * 1024)
        # Failed sign-ins: after this many for a user or from an address, /login answers 429.
        # The counters live in the application's database (workflow-db://, workflow/ratelimit.py),
        # so every worker and server shares them; redis://… works too.
        self.LOGIN_FAILURE_LIMIT = os.environ.get("LOGIN_FAILURE_LIMIT", "10 per 15 minutes")
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "workflow-db://")
        self.RATELIMIT_HEADERS_ENABLED = True
        # Reverse proxies in front of the application (nginx: 1). Their X-Forwarded-For/-Proto/
        # -Host/-Port headers are believed for that many hops only; 0 ignores them (workflow/proxy.py).
        proxies = (os.environ.get("TRUSTED_PROXIES") or "0").strip()
        if not proxies.isdecimal() or not 0 <= int(proxies) <= 5:
            raise ValueError(f"TRUSTED_PROXIES must be a whole number from 0 to 5, got {proxies!r}")
        self.TRUSTED_PROXIES = int(proxies)
        # Long document jobs: thread (in the web process), inline, or queue (a `flask run-jobs --loop`
        # worker takes them; production with several application processes).
        if os.environ.get("DOCUMENT_JOBS"):
            self.DOCUMENT_JOBS = os.environ["DOCUMENT_JOBS"].strip()
            if self.DOCUMENT_JOBS not in ("thread", "inline", "queue"):
                raise ValueError(f"DOCUMENT_JOBS must be thread, inline or queue, got {self.DOCUMENT_JOBS!r}")
        # SMTP for the daily reminder digests (no MAIL_SERVER: nothing is sent).
        self.MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
        self.MAIL_PORT = env_int("MAIL_PORT", 25)
        self.MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
        self.MAIL_SENDER = os.environ.get("MAIL_SENDER", "nhacviec@localhost")
        # Who signs generated documents per issuing body (YAML; empty: workflow/data/signers.yaml).
        self.DOCUMENT_SIGNERS_FILE = os.environ.get("DOCUMENT_SIGNERS_FILE", "")
        # Trust anchors for verifying signatures (issue 13): PEM or DER files, separated by ":" (the
        # national root certificate in production; a test CA in the tests).
        self.SIGNATURE_TRUST_ANCHORS = [p for p in os.environ.get("SIGNATURE_TRUST_ANCHORS", "").split(":") if p]
        # Collaboration on a task (issue 15): the largest attachment (under MAX_CONTENT_LENGTH),
        # how many days of history the notifications look back, and the address put in e-mails.
        self.ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 8 * 1024 * 1024)
        self.NOTIFICATION_DAYS = env_int("NOTIFICATION_DAYS", 30)
        self.PUBLIC_URL = os.environ.get("PUBLIC_URL", "")

    def check(self) -> None:
        """Refuse configurations that must not run; overridden per environment."""


class DevelopmentConfig(Config):
    ENV_NAME = "development"


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
        self.WTF_CSRF_ENABLED = True
        self.SECRET_KEY = "testing-secret-key"
        # Each test runs inside a transaction it rolls back; counters written on their own
        # connection would wait on it (SQLite) or outlive it. The database storage is tested on
        # its own (tests/test_security.py), through gunicorn's workers.
        self.RATELIMIT_STORAGE_URI = "memory://"


class ProductionConfig(Config):
    ENV_NAME = "production"

    def __init__(self) -> None:
        super().__init__()
        self.SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE

    def check(self) -> None:
        key = os.environ.get("SECRET_KEY", "")
        if not key or key == INSECURE_DEV_KEY or len(key) < 16:
            raise RuntimeError(
                "SECRET_KEY must be set to a long random value in production "
                "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def get_config(name: str | None = None) -> Config:
    """Instantiate the configuration named by ``name`` or ``APP_ENV`` (default development)."""
    name = name or os.environ.get("APP_ENV", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"Unknown APP_ENV {name!r}; expected one of {sorted(CONFIGS)}")
    config = CONFIGS[name]()
    config.check()
    return config
