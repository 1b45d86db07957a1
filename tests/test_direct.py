"""A fixed statement run straight on the driver (workflow/direct.py, issue 16): after its first run
through SQLAlchemy, the same rows, the same processing of parameters and columns, the same errors, the
same end of a transaction that wrote, for every statement object on its own."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import JSON, Integer, String, bindparam, cast, event, exc, literal, select, text, update

from models import Unit
from models.types import UTCDateTime
from workflow import direct


@pytest.fixture()
def connection(app):
    from workflow.extensions import db

    with app.app_context():
        with db.engine.connect() as connection:
            yield connection
            connection.rollback()


def _is_postgresql(connection) -> bool:
    return connection.dialect.name == "postgresql"


def _runs_direct(connection, statement) -> bool:
    kept = direct._KEPT.get((statement, connection.dialect))
    return kept is not None and kept.fixed is not None


def test_the_rows_and_their_values_are_sqlalchemys_own(connection):
    """Aware times in and out (naive UTC in the database), JSON (a document, None), text, numbers."""
    statement = select(bindparam("when", type_=UTCDateTime).label("when"), bindparam("data", type_=JSON).label("data"),
                       bindparam("name", type_=String).label("name"), literal(7, Integer).label("seven"))
    values = [{"when": datetime(2026, 11, 30, 8, 0, tzinfo=timezone(timedelta(hours=7))),
               "data": {"on_time": True, "note": "Báo cáo"}, "name": "Sở Tài chính"},
              {"when": datetime(2027, 1, 2, 3, 4, 5, tzinfo=timezone.utc), "data": None, "name": None},
              {"when": datetime(2026, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=7))),
               "data": [1, "hai"], "name": ""}]
    for _ in range(2):  # the first run goes through SQLAlchemy, the others straight to the driver
        for params in values:
            expected = [tuple(row) for row in connection.execute(statement, params).all()]
            got = direct.rows(connection, statement, params)
            assert got == expected
            assert got[0][0] == params["when"] and got[0][0].tzinfo is not None
            assert [type(v) for v in got[0]] == [type(v) for v in expected[0]]
    assert _runs_direct(connection, statement) == _is_postgresql(connection)


def test_each_statement_object_keeps_its_own_fixed_values(connection):
    """Two statements that differ only by a value written in them (SQLAlchemy compiles them once, with
    the value as a parameter) each answer with their own value."""
    units = Unit.__table__
    by_code = {code: select(units.c.code, units.c.name).where(units.c.code == code, units.c.active.is_(True),
                                                               units.c.id > bindparam("after"))
               for code in ("so-tai-chinh", "so-xay-dung")}
    for _ in range(3):
        for code, statement in by_code.items():
            found = direct.rows(connection, statement, {"after": 0})
            assert [row[0] for row in found] == [code]


def test_a_write_run_straight_is_still_rolled_back(connection):
    """The driver call is the dialect's (workflow.dbtuning marks the transaction written): a rollback
    after a write undoes it, never commits it."""
    units = Unit.__table__
    rename = (update(units).where(units.c.code == bindparam("unit_code")).values(name=bindparam("new_name"))
              .returning(units.c.name))
    name = select(units.c.name).where(units.c.code == "so-tai-chinh")
    before = connection.execute(name).scalar()
    connection.rollback()
    for attempt in range(3):
        assert connection.execute(name).scalar() == before  # (a transaction begun by a read, as in a request)
        assert direct.rows(connection, rename, {"unit_code": "so-tai-chinh", "new_name": f"Đổi {attempt}"}) \
            == [(f"Đổi {attempt}",)]
        connection.rollback()
        assert connection.execute(select(units.c.name).where(units.c.code == "so-tai-chinh")).scalar() == before
        connection.rollback()
    assert _runs_direct(connection, rename) == _is_postgresql(connection)


def test_a_driver_error_is_sqlalchemys_error_and_the_connection_works_after_it(connection):
    statement = select(cast(bindparam("value", type_=String), Integer) + bindparam("plus", type_=Integer))
    assert direct.rows(connection, statement, {"value": "40", "plus": 2}) == [(42,)]
    assert direct.rows(connection, statement, {"value": "1", "plus": 2}) == [(3,)]
    if _is_postgresql(connection):
        with pytest.raises(exc.DataError):
            direct.rows(connection, statement, {"value": "không phải số", "plus": 1})
        connection.rollback()
    assert direct.rows(connection, statement, {"value": "5", "plus": 1}) == [(6,)]


def test_other_parameter_names_go_through_sqlalchemy(connection):
    """A kept statement run with another set of names (a parameter left to its default) is not run with
    the first run's values."""
    statement = select(bindparam("a", type_=Integer) + bindparam("b", 10, type_=Integer))
    assert direct.rows(connection, statement, {"a": 1, "b": 2}) == [(3,)]
    assert direct.rows(connection, statement, {"a": 1, "b": 5}) == [(6,)]
    assert direct.rows(connection, statement, {"a": 1}) == [(11,)]


def test_every_execution_is_seen_by_statement_listeners(connection):
    """Tools and tests that watch statements (``before_cursor_execute``) see each one."""
    statement = select(bindparam("n", type_=Integer) * 2)
    for n in range(3):
        direct.rows(connection, statement, {"n": n})
    seen = []

    def listener(conn, cursor, sql, parameters, context, executemany):
        seen.append(parameters)

    event.listen(connection.engine, "before_cursor_execute", listener)
    try:
        assert [direct.rows(connection, statement, {"n": n}) for n in range(4)] == [[(0,)], [(2,)], [(4,)], [(6,)]]
    finally:
        event.remove(connection.engine, "before_cursor_execute", listener)
    assert len(seen) == 4


def test_a_statement_without_rows(connection):
    statement = text("UPDATE units SET name = name WHERE code = :code")
    for _ in range(3):
        assert direct.rows(connection, statement, {"code": "so-tai-chinh"}) == []


def test_listeners_of_the_dialects_execution_see_every_statement(connection):
    statement = select(bindparam("n", type_=Integer) + 1)
    for n in range(3):
        direct.rows(connection, statement, {"n": n})
    seen = []

    def listener(cursor, sql, parameters, context):
        seen.append(parameters)  # (returns None: SQLAlchemy runs the statement itself)

    event.listen(connection.engine, "do_execute", listener)
    try:
        assert [direct.rows(connection, statement, {"n": n}) for n in range(3)] == [[(1,)], [(2,)], [(3,)]]
    finally:
        event.remove(connection.engine, "do_execute", listener)
    assert len(seen) == 3


def test_a_connection_with_execution_options_goes_through_sqlalchemy(connection):
    """Options can change the SQL (here a schema translation): the kept SQL is not used then."""
    if not _is_postgresql(connection):
        pytest.skip("a second schema: PostgreSQL")
    units = Unit.__table__
    statement = select(units.c.name).where(units.c.code == bindparam("code"))
    connection.execute(text("CREATE SCHEMA evt_direct_copy"))
    connection.execute(text("CREATE TABLE evt_direct_copy.units AS SELECT * FROM units WHERE code = 'so-tai-chinh'"))
    connection.execute(text("UPDATE evt_direct_copy.units SET name = 'Bản sao'"))
    original = [direct.rows(connection, statement, {"code": "so-tai-chinh"}) for _ in range(3)]
    assert original[0] == original[2] != [("Bản sao",)] and _runs_direct(connection, statement)
    translated = connection.execution_options(schema_translate_map={None: "evt_direct_copy"})
    assert direct.rows(translated, statement, {"code": "so-tai-chinh"}) == [("Bản sao",)]


def test_a_parameter_computed_at_each_run_is_computed_at_each_run(connection):
    """``bindparam(callable_=…)``: SQLAlchemy calls it at every execution; it is never frozen."""
    counter = iter(range(100))
    statement = select(bindparam("next", callable_=lambda: next(counter), type_=Integer) + bindparam("plus", type_=Integer))
    assert [direct.rows(connection, statement, {"plus": 10}) for _ in range(4)] == [[(10,)], [(11,)], [(12,)], [(13,)]]
