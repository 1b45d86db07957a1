"""Connection handling of the application's engine (issue 16): what every request pays to talk to
PostgreSQL, kept small without changing what any transaction does.

- **Prepared statements survive read-only requests.** psycopg 3 prepares a statement the fifth time
  a connection runs it (PostgreSQL then skips parsing and analysing it), but it forgets all of them,
  and sends ``DEALLOCATE ALL``, on every ``ROLLBACK``. A request that only read (a list, a page) ends
  with the session's rollback, so each read wiped the worker's prepared statements. A transaction
  whose statements were all plain ``SELECT`` statements (``reads_only``), still healthy, is now ended with
  ``COMMIT``: for PostgreSQL the same end (nothing was written; locks are released either way), and
  the statements stay prepared. Any other statement (``INSERT``, ``UPDATE``, ``DELETE``, ``WITH …``,
  ``SELECT … INTO``, DDL, a savepoint) or a failed statement makes the end a real ``ROLLBACK``, as
  before.
- **The connection is tested only after it sat idle.** ``pool_pre_ping`` sent ``SELECT 1`` before
  every request; now a pooled connection is tested when it was last returned more than
  ``DB_PING_AFTER_IDLE_SECONDS`` ago (default 10; 0: before every checkout, as before). A
  connection the server closed while idle (a restart, a network cut at night) is replaced before
  the request uses it; under steady traffic no extra round trip is made. The price: after a server
  restart in the middle of busy traffic (less than that many seconds between requests), a worker's
  next request on its old connection fails once with the usual error answer (nothing is changed),
  and the pool then replaces all its connections.
"""
from __future__ import annotations

import time

from sqlalchemy import event, exc

_RETURNED_AT = "workflow_returned_at"  # connection_record.info key: monotonic time of the last checkin


def install(engine, config) -> None:
    """Attach the listeners to ``engine`` (called once per application engine)."""
    idle = float(config.get("DB_PING_AFTER_IDLE_SECONDS", 10))
    install_idle_ping(engine, idle)
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        keep_prepared_statements(engine)
        describe_lazily(engine)


def install_idle_ping(engine, idle_seconds: float) -> None:
    """Test a pooled connection (``SELECT 1``) at checkout when it was idle longer than
    ``idle_seconds``; a dead one is discarded and the pool hands out (or opens) another."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record):
        if record is not None:
            record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, _proxy):
        returned = record.info.get(_RETURNED_AT)
        if returned is None or time.monotonic() - returned <= idle_seconds and idle_seconds > 0:
            return  # a new connection, or one used a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:  # noqa: BLE001  (the dialect says whether it is a disconnect)
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.DisconnectionError(str(error)) from error  # the pool retries with a new one
            raise


def reads_only(statement: str) -> bool:
    """A statement that cannot change anything: a plain ``SELECT`` (not ``SELECT … INTO``, which
    creates a table). The application defines no database function that writes."""
    return statement.startswith("SELECT") and " INTO " not in statement


def keep_prepared_statements(engine) -> None:
    """End a healthy read-only transaction with COMMIT instead of ROLLBACK (see the module's text).

    The dialect's own hooks are wrapped (not engine events, whose dispatch costs more Python per
    statement than the check itself): ``do_begin`` marks the connection clean, every execution of a
    statement that is not a ``SELECT`` marks it written, ``do_rollback`` commits a clean one."""
    from psycopg.pq import TransactionStatus

    dialect = engine.dialect
    begin, rollback = dialect.do_begin, dialect.do_rollback
    execute, execute_many, execute_no_params = dialect.do_execute, dialect.do_executemany, \
        dialect.do_execute_no_params

    def do_begin(dbapi_connection):
        getattr(dbapi_connection, "dbapi_connection", dbapi_connection)._workflow_wrote = False
        begin(dbapi_connection)

    def do_execute(cursor, statement, parameters, context=None):
        if not reads_only(statement):
            cursor.connection._workflow_wrote = True
        execute(cursor, statement, parameters, context)

    def do_executemany(cursor, statement, parameters, context=None):
        cursor.connection._workflow_wrote = True
        execute_many(cursor, statement, parameters, context)

    def do_execute_no_params(cursor, statement, context=None):
        if not reads_only(statement):
            cursor.connection._workflow_wrote = True
        execute_no_params(cursor, statement, context)

    def do_rollback(dbapi_connection):
        raw = getattr(dbapi_connection, "dbapi_connection", dbapi_connection)  # the pool passes its proxy
        # Unknown (no SQLAlchemy transaction seen), a write, or not a healthy transaction: a real rollback.
        if getattr(raw, "_workflow_wrote", True) is False \
                and raw.info.transaction_status == TransactionStatus.INTRANS:
            raw.commit()  # only SELECTs ran: the same end as a rollback, statements kept
            return
        rollback(dbapi_connection)

    dialect.do_begin, dialect.do_rollback = do_begin, do_rollback
    dialect.do_execute, dialect.do_executemany, dialect.do_execute_no_params = \
        do_execute, do_executemany, do_execute_no_params


def describe_lazily(engine) -> None:
    """Give the engine's psycopg connections cursors whose ``description`` is built when something
    reads it (issue 16). psycopg builds the description (a ``Column`` per column, each with a type
    lookup) every time the attribute is read, and SQLAlchemy reads it after every statement that
    returns rows, but uses its contents only the first time a compiled statement runs (it keeps the
    result's metadata with the statement): ~60 columns built for nothing per event, more per page.
    The description given is the same sequence of psycopg ``Column`` objects, of the same result,
    built on first use (length, truth and ``None`` for a statement without rows are known at once)."""
    import psycopg

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        if getattr(dbapi_connection, "cursor_factory", None) is psycopg.Cursor:  # not someone's own class
            dbapi_connection.cursor_factory = LazyDescriptionCursor


class _OneResult:
    """What psycopg's ``Column`` reads of its cursor (``pgresult``, ``_encoding``, ``adapters``), for
    one result: a description built later still describes the result it was taken from."""

    __slots__ = ("pgresult", "_encoding", "adapters")

    def __init__(self, cursor, pgresult):
        self.pgresult, self._encoding, self.adapters = pgresult, cursor._encoding, cursor.adapters


def _lazy_description_classes():
    from collections.abc import Sequence

    import psycopg
    from psycopg.pq import ExecStatus

    rows_status = (ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK)

    class LazyDescription(Sequence):
        """``cursor.description`` of one result, its ``Column`` objects built on first use."""

        __slots__ = ("_cursor", "_result", "_columns")

        def __init__(self, cursor, pgresult):
            self._cursor, self._result, self._columns = cursor, pgresult, None

        def _built(self) -> list:
            if self._columns is None:
                source = _OneResult(self._cursor, self._result)
                self._columns = [psycopg.Column(source, i) for i in range(self._result.nfields)]
            return self._columns

        def __len__(self) -> int:
            return self._result.nfields

        def __getitem__(self, index):
            return self._built()[index]

        def __iter__(self):
            return iter(self._built())

        def __eq__(self, other) -> bool:
            return list(self) == list(other) if isinstance(other, (list, tuple, Sequence)) else NotImplemented

        def __repr__(self) -> str:
            return repr(self._built())

    class LazyDescriptionCursor(psycopg.Cursor):
        """psycopg's client cursor, its ``description`` built when read (``describe_lazily``)."""

        @property
        def description(self):
            result = self.pgresult
            if result and (result.nfields or result.status in rows_status):
                return LazyDescription(self, result)
            return None

    return LazyDescription, LazyDescriptionCursor


try:
    LazyDescription, LazyDescriptionCursor = _lazy_description_classes()
except ImportError:  # no psycopg (SQLite only): nothing to describe lazily
    LazyDescription = LazyDescriptionCursor = None
