"""Test fixtures.

The database is ``TEST_DATABASE_URL`` (the test command sets it to a real
PostgreSQL server on loopback for the second run) or a temporary SQLite file.
The schema is built once through the Alembic migrations and the seed is
loaded once; each test then runs inside a transaction that is rolled back,
with the services' commits turned into savepoints. Tests that need real
commits (threads, CLI) use ``fresh_db``.
"""
from __future__ import annotations

import os
import tempfile
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.orm import scoped_session, sessionmaker

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PASSWORD = "Mat-khau-2026"

# username, role, unit code
TEST_USERS = [
    ("office", "office", "van-phong-tinh-uy"),
    ("taichinh", "department", "so-tai-chinh"),
    ("xaydung", "department", "so-xay-dung"),
    ("danguy", "department", "dang-uy-ubnd-tinh"),
    ("btc", "department", "ban-to-chuc-tinh-uy"),
    ("ubkt", "department", "uy-ban-kiem-tra-tinh-uy"),
    ("leader", "leader", "thuong-truc-tinh-uy"),
    ("admin", "admin", "van-phong-tinh-uy"),
]


def local(*args) -> datetime:
    """A local (Asia/Ho_Chi_Minh) aware datetime."""
    return datetime(*args, tzinfo=TZ)


def _database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    handle, path = tempfile.mkstemp(prefix="workflow-test-", suffix=".db")
    os.close(handle)
    os.environ["TEST_DATABASE_URL"] = "sqlite:///" + path
    return os.environ["TEST_DATABASE_URL"]


def _reset_schema(app):
    from workflow.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def build_database(app):
    """Schema through the migrations, the seed, and the test users with tokens."""
    from flask_migrate import upgrade

    from workflow.seeding import seed_all
    from workflow.services.users import create_token, create_user

    _reset_schema(app)
    tokens = {}
    with app.app_context():
        upgrade()
        seed_all()
        for username, role, unit in TEST_USERS:
            create_user(username, PASSWORD, role=role, unit_code=unit, full_name=username)
            tokens[username] = create_token(username)
    return tokens


@pytest.fixture(scope="session")
def app():
    _database_url()
    from workflow import create_app

    application = create_app("testing")
    application.config["TOKENS"] = build_database(application)
    yield application


@pytest.fixture()
def db(app):
    """A rolled-back transaction around each test; commits become savepoints."""
    from workflow.extensions import db as database
    from workflow.extensions import limiter

    limiter.reset()  # failed sign-in counts do not leak from one test to the next

    with app.app_context():
        connection = database.engine.connect()
        outer = connection.begin()
        original = database.session
        database.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
        try:
            yield database
        finally:
            database.session.remove()
            database.session = original
            outer.rollback()
            connection.close()


@pytest.fixture()
def fresh_db(app):
    """Real commits; the database is rebuilt afterwards for the tests that follow."""
    from workflow.extensions import db as database

    with app.app_context():
        yield database
        database.session.remove()
    app.config["TOKENS"] = build_database(app)


@pytest.fixture()
def client(app, db):
    return app.test_client()


@pytest.fixture()
def tokens(app):
    return app.config["TOKENS"]


@pytest.fixture()
def users(db):
    from sqlalchemy import select

    from models import User

    return {u.username: u for u in db.session.scalars(select(User))}


@pytest.fixture()
def frozen_now(monkeypatch):
    """Freeze the application's clock; returns a setter for moving it."""
    from workflow import clock

    state = {"now": local(2026, 11, 22, 8, 0)}
    monkeypatch.setattr(clock, "utcnow", lambda: state["now"])

    def set_now(value: datetime):
        state["now"] = value
        return value

    set_now.current = lambda: state["now"]
    return set_now


class Api:
    """A small JSON client that signs requests with a user's bearer token."""

    def __init__(self, client, tokens):
        self.client, self.tokens = client, tokens

    def _headers(self, user):
        return {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}

    def get(self, path, user=None, **kw):
        return self.client.get(path, headers=self._headers(user), **kw)

    def post(self, path, user=None, json=None, **kw):
        return self.client.post(path, headers=self._headers(user), json=json, **kw)


@pytest.fixture()
def api(client, tokens, frozen_now):
    return Api(client, tokens)


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives Debian's chromium through Playwright")
    config.addinivalue_line("markers", "slow: long-running (the short load test against PostgreSQL)")
