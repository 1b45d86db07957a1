"""PostgreSQL: a request that wrote nothing ends its transaction with COMMIT, not ROLLBACK (issue 16).

For a transaction that wrote nothing the two are the same to the database. But psycopg forgets every
statement it has prepared on a connection when it sees a ROLLBACK (``psycopg._preparing``: objects may
have been dropped), and every request ended with one when its session closed — so pages and API lists,
which only read, never kept a prepared statement: PostgreSQL parsed and planned each of their dozen
statements again on every request. Ending them with COMMIT lets psycopg prepare a statement after its
fifth use on a connection (``prepare_threshold``), and reuse it.

"Wrote nothing" is asked of PostgreSQL itself: ``txid_current_if_assigned()`` is NULL until a
transaction writes (or locks a row). A request that raised, a session with unflushed changes, a failed
transaction, or one that wrote and did not commit are rolled back as before."""
from __future__ import annotations


def init_app(app) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return
    from workflow.extensions import db

    @app.teardown_appcontext  # registered after Flask-SQLAlchemy's, so it runs before the session is removed
    def _end_reads_with_commit(exc):
        if exc is not None:
            return
        session = db.session()  # the request's session (created empty if it had none)
        if not session.in_transaction() or session.new or session.dirty or session.deleted:
            return
        from psycopg.pq import TransactionStatus

        connection = session.connection()
        if connection.connection.driver_connection.info.transaction_status != TransactionStatus.INTRANS:
            return
        if connection.exec_driver_sql("SELECT txid_current_if_assigned()").scalar() is None:
            session.commit()
