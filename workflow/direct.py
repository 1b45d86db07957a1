"""A fixed statement run straight on the driver (issue 16): the event path's statements, the token's
user, each run hundreds of times a second with nothing but its parameters changing.

``connection.execute(statement, params)`` costs, beside the driver's own work, ~100 Python calls of
SQLAlchemy per statement: the compiled cache's lookup, an execution context, the parameters turned
into the driver's, the events, a result object and its rows. For a statement built once whose SQL
and processing are the same at every execution, that work gives the same answer every time. So
``rows(connection, statement, params)`` runs the statement the first time through SQLAlchemy, as
always, and keeps what that execution used: the SQL string the driver received, the parameters it
received for the values fixed in the statement (already processed), the processing of each
parameter passed by name (``bind_processor`` of its type: an aware time turned into naive UTC, JSON
wrapped for psycopg…), whether it returns rows and the processing of each result column
(``result_processor``: naive UTC back to aware…). Later executions hand the driver the same SQL and
the same processed parameters and process the rows the same way, without the machinery around.
What stays the same:

- the driver call is the dialect's ``do_execute`` (``workflow.dbtuning``'s: a statement that writes
  still marks the transaction written, so it is rolled back, never committed, on an error);
- a driver error goes through SQLAlchemy's own handling (``_handle_dbapi_exception``): the same
  ``sqlalchemy.exc`` exception, and a lost connection is invalidated as before;
- only inside a live transaction SQLAlchemy began (else SQLAlchemy begins, refuses or reconnects), on a
  connection and for a statement without execution options (they may change the SQL or its handling);
- when anything watches statements (``before_cursor_execute``/``after_cursor_execute`` listeners on
  the engine or the connection, ``do_execute`` listeners on the dialect, ``echo``), every execution goes through SQLAlchemy, so tests and
  tools that count or log statements see all of them;
- PostgreSQL with psycopg only (elsewhere ``rows`` is plain ``connection.execute``).

The kept execution is per statement object and per dialect (a statement cached by the caller with
a value fixed in it, e.g. a unit's permission, is its own entry); at most ``LIMIT`` are kept.
"""
from __future__ import annotations

LIMIT = 4096
_KEPT: dict = {}


class _Kept:
    __slots__ = ("sql", "fixed", "processors", "returns_rows", "columns")

    def __init__(self, sql, fixed, processors, returns_rows, columns):
        self.sql, self.fixed, self.processors = sql, fixed, processors  # processors: one per name passed
        self.returns_rows, self.columns = returns_rows, columns


def rows(connection, statement, params: dict) -> list[tuple]:
    """The rows of ``statement`` with ``params`` as tuples, as ``connection.execute(statement,
    params).all()`` gives them (an empty list for a statement without rows)."""
    dialect = connection.dialect
    if dialect.driver != "psycopg" or _watched(connection):
        return _through_sqlalchemy(connection, statement, params, None)
    kept = _KEPT.get((statement, dialect))
    if kept is None or kept.fixed is None or kept.processors.keys() != params.keys() or not _ready(connection):
        return _through_sqlalchemy(connection, statement, params, dialect if kept is None else None)
    parameters = dict(kept.fixed)
    processors = kept.processors
    for name, value in params.items():
        processor = processors[name]
        parameters[name] = value if processor is None else processor(value)
    raw = connection.connection.dbapi_connection
    cursor = getattr(raw, "_workflow_direct_cursor", None)  # one cursor per driver connection, used again
    if cursor is None or cursor.closed:
        cursor = raw._workflow_direct_cursor = raw.cursor()  # (the connection's cursor factory, as SQLAlchemy's)
    try:
        dialect.do_execute(cursor, kept.sql, parameters, None)
        found = cursor.fetchall() if kept.returns_rows else []
    except BaseException as error:
        raw._workflow_direct_cursor = None
        cursor.close()
        connection._handle_dbapi_exception(error, kept.sql, parameters, cursor, None)
        raise  # (it always raises)
    columns = kept.columns
    if columns:  # (index, processor) of the columns that have one
        processed = []
        for row in found:
            row = list(row)
            for index, processor in columns:
                row[index] = processor(row[index])
            processed.append(tuple(row))
        return processed
    return found


def _watched(connection) -> bool:
    dialect = connection.dialect
    if dialect._has_events and dialect.dispatch.do_execute:  # (listeners of its do_execute: SQLAlchemy calls them)
        return True
    if not (connection._has_events or connection.engine._has_events or connection._echo):
        return False  # (SQLAlchemy's own flags: no listener of any connection event at all)
    dispatch = connection.dispatch  # (the connection's listeners include the engine's)
    return bool(connection._echo or dispatch.before_cursor_execute or dispatch.after_cursor_execute)


def _ready(connection) -> bool:
    """In a live transaction that SQLAlchemy began (its begin marks the transaction for
    ``workflow.dbtuning``); anything else (no transaction yet, a failed one, a closed or invalidated
    connection) goes through SQLAlchemy, which begins, refuses or reconnects as always."""
    if connection.closed or connection.invalidated or not connection.in_transaction() \
            or connection._execution_options:  # (options may change the SQL or its handling: SQLAlchemy's)
        return False
    nested = connection.get_nested_transaction()
    return nested is None or nested.is_active


def _through_sqlalchemy(connection, statement, params, dialect) -> list[tuple]:
    result = connection.execute(statement, params)
    returns_rows = result.returns_rows
    processors = result._metadata._effective_processors if returns_rows else None
    found = [tuple(row) for row in result.all()] if returns_rows else []
    if dialect is not None:
        _keep(statement, dialect, result, params, returns_rows, processors)
    return found


def _keep(statement, dialect, result, params, returns_rows, columns) -> None:
    """Keep what this execution handed the driver (see the module's text); a statement that does not
    fit the plain case (several parameter sets, positional or expanded parameters, rows filtered or
    reordered after the driver) is kept as one that always runs through SQLAlchemy (``fixed`` None)."""
    context = result.context
    compiled = context.compiled
    plain = (compiled is not None and not statement._execution_options and not context.executemany and len(context.parameters) == 1
             and isinstance(context.parameters[0], dict) and not compiled.positional
             and not compiled.literal_execute_params and not compiled.post_compile_params
             and not compiled.escaped_bind_names and not getattr(context, "_num_sentinel_cols", 0)
             and not any(bind.callable is not None for bind in compiled.binds.values())  # (values computed per run)
             and all(name in compiled.binds for name in params)
             and (not returns_rows or result._metadata._tuplefilter is None))
    fixed, processors = None, {}
    if plain:
        sent = context.parameters[0]
        fixed = {name: value for name, value in sent.items() if name not in params}
        bind_processors = compiled._bind_processors
        processors = {name: bind_processors.get(name) for name in params}
    if len(_KEPT) >= LIMIT:
        _KEPT.clear()
    columns = [(index, processor) for index, processor in enumerate(columns or ()) if processor is not None]
    _KEPT[(statement, dialect)] = _Kept(context.statement, fixed, processors, returns_rows, columns or None)
