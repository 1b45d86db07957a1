"""How the application talks to its database (workflow/dbtuning.py, issue 16): a read-only transaction
keeps psycopg's prepared statements (it ends with COMMIT, not ROLLBACK), a transaction that wrote is
still rolled back, and a pooled connection is tested only after it sat idle — a dead one is replaced
before a request uses it."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from workflow import dbtuning


@pytest.fixture()
def engine(app):
    """The application's engine (its dialect carries the application's hooks)."""
    from workflow.extensions import db

    with app.app_context():
        yield db.engine


def _is_postgresql(engine) -> bool:
    return engine.dialect.name == "postgresql"


def test_a_read_only_transaction_keeps_the_prepared_statements(engine):
    if not _is_postgresql(engine):
        pytest.skip("psycopg's prepared statements: PostgreSQL only")
    with engine.connect() as connection:
        for _ in range(7):  # psycopg prepares a statement the fifth time it runs
            assert connection.execute(text("SELECT code FROM units WHERE code = :code"),
                                      {"code": "so-tai-chinh"}).scalar() == "so-tai-chinh"
            connection.rollback()  # what the end of every request does
        prepared = connection.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()
        connection.rollback()
    assert any("FROM units WHERE code" in statement for statement in prepared), prepared


@pytest.mark.parametrize("statement", [
    "UPDATE units SET name = :name WHERE code = :code",
    "WITH changed AS (UPDATE units SET name = :name WHERE code = :code RETURNING id) SELECT id FROM changed",
])
def test_a_transaction_that_wrote_is_still_rolled_back(engine, statement):
    if statement.startswith("WITH") and not _is_postgresql(engine):
        pytest.skip("SQLite has no UPDATE inside WITH")
    with engine.connect() as connection:
        before = connection.execute(text("SELECT name FROM units WHERE code = 'so-tai-chinh'")).scalar()
        connection.execute(text(statement), {"name": "Đã đổi tên", "code": "so-tai-chinh"})
        connection.rollback()
        after = connection.execute(text("SELECT name FROM units WHERE code = 'so-tai-chinh'")).scalar()
        connection.rollback()
    assert after == before != "Đã đổi tên"


def test_a_failed_read_is_rolled_back_and_the_connection_works_again(engine):
    with engine.connect() as connection:
        with pytest.raises(Exception):
            connection.execute(text("SELECT CAST('không phải số' AS INTEGER)" if _is_postgresql(engine)
                                    else "SELECT * FROM no_such_table"))
        connection.rollback()
        assert connection.execute(text("SELECT count(*) FROM units")).scalar() > 0
        connection.rollback()


def test_only_plain_selects_count_as_reads():
    assert dbtuning.reads_only("SELECT id FROM tasks WHERE id = %(id)s")
    assert not dbtuning.reads_only("SELECT * INTO copy_of_tasks FROM tasks")
    assert not dbtuning.reads_only("WITH x AS (DELETE FROM tasks RETURNING id) SELECT id FROM x")
    assert not dbtuning.reads_only("UPDATE tasks SET version = version + 1")
    assert not dbtuning.reads_only("SAVEPOINT sa_savepoint_1")


def _pinged_engine(app, idle_seconds: float):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    test_engine = create_engine(url, pool_size=1, max_overflow=0)
    dbtuning.install_idle_ping(test_engine, idle_seconds)
    pings = []
    ping = test_engine.dialect.do_ping

    def counting_ping(dbapi_connection):
        pings.append(1)
        return ping(dbapi_connection)

    test_engine.dialect.do_ping = counting_ping
    return test_engine, pings


def test_a_connection_used_a_moment_ago_is_not_tested_one_idle_is(app):
    test_engine, pings = _pinged_engine(app, 10)
    try:
        for _ in range(5):
            with test_engine.connect() as connection:
                connection.execute(text("SELECT 1"))
                info = connection.connection.info
        assert pings == []  # steady traffic: no extra round trip
        info[dbtuning._RETURNED_AT] -= 60  # as if returned a minute ago
        with test_engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
        assert pings == [1]
    finally:
        test_engine.dispose()


def test_a_connection_that_died_while_idle_is_replaced_before_use(app):
    test_engine, pings = _pinged_engine(app, 10)
    try:
        with test_engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            info = connection.connection.info
            raw = connection.connection.dbapi_connection
            backend = connection.execute(text("SELECT pg_backend_pid()")).scalar() \
                if _is_postgresql(test_engine) else None
        # The server ends the pooled connection while it waits (a restart, a network cut).
        if backend is not None:
            killer = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
            with killer.connect() as other:
                assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend}).scalar()
                other.commit()
            killer.dispose()
        else:
            raw.close()
        info[dbtuning._RETURNED_AT] -= 60
        with test_engine.connect() as connection:  # tested, found dead, replaced: the request never sees it
            assert connection.execute(text("SELECT 1")).scalar() == 1
            assert connection.connection.dbapi_connection is not raw
        assert pings == [1]
    finally:
        test_engine.dispose()


def test_a_request_that_left_a_write_uncommitted_saves_nothing(app):
    """The end of an application context (a request) with a flushed or pending write, or after a failed
    statement, is a real rollback whatever the database: nothing of it is kept."""
    from datetime import date

    from sqlalchemy import func, select

    from models import Holiday
    from workflow.extensions import db

    with app.app_context():
        db.session.add(Holiday(date=date(2031, 1, 2), name="Ngày thử không lưu"))
        db.session.flush()  # written, never committed
    with app.app_context():
        db.session.execute(select(func.count()).select_from(Holiday))
        db.session.add(Holiday(date=date(2031, 1, 3), name="Ngày thử không lưu"))  # not even flushed
    with app.app_context():
        db.session.add(Holiday(date=date(2031, 1, 4), name="Ngày thử không lưu"))
        db.session.flush()
        with pytest.raises(Exception):
            db.session.execute(text("SELECT CAST('không phải số' AS INTEGER)")
                               if db.engine.dialect.name == "postgresql" else text("SELECT * FROM no_such_table"))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Holiday).where(
            Holiday.name == "Ngày thử không lưu")) == 0


def test_a_description_built_on_first_use_is_psycopgs_own_for_the_result_it_came_from(engine):
    """``dbtuning.describe_lazily``: the connections' cursors describe a result when asked, with psycopg's
    own columns (names, types, sizes), still those of their result after the cursor ran another statement;
    ``None`` for a statement without rows; SQLAlchemy's results (new and cached statements) read right."""
    if not _is_postgresql(engine):
        pytest.skip("psycopg's cursors: PostgreSQL only")
    import psycopg

    query = "SELECT id, code, name, 1.5::numeric(4, 2) AS ratio, now() AS at FROM units WHERE code = %s"
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        cursor = raw.cursor()
        assert isinstance(cursor, dbtuning.LazyDescriptionCursor)
        cursor.execute(query, ("so-tai-chinh",))
        lazy = cursor.description
        own = psycopg.Cursor(raw)
        own.execute(query, ("so-tai-chinh",))
        cursor.execute("SELECT 2 AS other")  # the description taken before still describes its result
        assert len(lazy) == 5 and bool(lazy)
        assert [tuple(column) for column in lazy] == [tuple(column) for column in own.description]
        assert [column.name for column in lazy] == ["id", "code", "name", "ratio", "at"]
        assert lazy[3].precision == 4 and lazy[3].scale == 2 and lazy[-1].name == "at"
        assert [column.name for column in cursor.description] == ["other"]
        cursor.execute("UPDATE units SET name = name WHERE id = -1")
        assert cursor.description is None
        for _ in range(2):  # a new statement, then the same one from SQLAlchemy's cache
            row = connection.execute(text("SELECT code, name AS label FROM units WHERE code = :c"),
                                     {"c": "so-tai-chinh"}).mappings().one()
            assert row["code"] == "so-tai-chinh" and row["label"] == "Sở Tài chính"
        connection.rollback()
