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


def test_without_a_secret_key_the_installation_keeps_its_own_random_key(tmp_path, monkeypatch):
    """Finding 6: no SECRET_KEY used to mean the public "dev-only-insecure-key"."""
    import os
    import stat

    import config

    monkeypatch.delenv("SECRET_KEY", raising=False)
    assert config.get_config("development").SECRET_KEY is None  # create_app fills it from instance/
    first = config.instance_secret_key(tmp_path / "a")
    assert len(first) == 64 and first != config.INSECURE_DEV_KEY
    assert config.instance_secret_key(tmp_path / "a") == first  # kept across restarts
    assert config.instance_secret_key(tmp_path / "b") != first  # another installation, another key
    assert stat.S_IMODE(os.stat(tmp_path / "a" / "secret_key").st_mode) == 0o600
    (tmp_path / "a" / "secret_key").write_text("")  # damaged: replaced by a new random key
    assert len(config.instance_secret_key(tmp_path / "a")) == 64
