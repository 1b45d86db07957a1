"""Configuration: importing never fails; production refuses a missing or weak SECRET_KEY."""
import importlib

import pytest


def test_import_config_without_environment(monkeypatch):
    for name in ["SECRET_KEY", "DATABASE_URL", "TIMEZONE", "APP_ENV"]:
        monkeypatch.delenv(name, raising=False)
    config = importlib.reload(importlib.import_module("config"))
    dev = config.get_config("development")
    assert dev.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///") and dev.TIMEZONE == "Asia/Ho_Chi_Minh"


def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch):
    import config

    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        config.get_config("production")
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(RuntimeError):
        config.get_config("production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    prod = config.get_config("production")
    assert prod.SESSION_COOKIE_SECURE is True and prod.SESSION_COOKIE_HTTPONLY is True


def test_database_url_and_booleans(monkeypatch):
    import config

    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@127.0.0.1/db")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "0")
    cfg = config.get_config("development")
    assert cfg.SQLALCHEMY_DATABASE_URI.startswith("postgresql+psycopg://") and cfg.SESSION_COOKIE_SECURE is False
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "maybe")
    with pytest.raises(ValueError):
        config.get_config("development")
