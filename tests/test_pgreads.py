"""PostgreSQL: a request that wrote nothing ends with COMMIT, keeping psycopg's prepared statements, and
anything else is rolled back as before (``workflow.pgreads``, issue 16)."""
from __future__ import annotations

import os
from datetime import date

import pytest
from sqlalchemy import event, func, select, text

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                                reason="PostgreSQL only (psycopg's prepared statements)")


def ends(app, work) -> list[str]:
    """How the application context's transaction ended (commit / rollback) after ``work`` ran in it."""
    from workflow.extensions import db

    seen: list[str] = []
    listeners = {name: (lambda connection, name=name: seen.append(name)) for name in ("commit", "rollback")}
    with app.app_context():
        engine = db.engine
    for name, listener in listeners.items():
        event.listen(engine, name, listener)
    try:
        with app.app_context():
            work(db)
    finally:
        for name, listener in listeners.items():
            event.remove(engine, name, listener)
    return seen


def test_a_read_ends_with_commit_and_keeps_the_prepared_statements(app):
    from models import Unit

    def read(db):
        for _ in range(6):  # prepared by psycopg from the fifth use on a connection
            db.session.execute(select(Unit.id).where(Unit.code == "so-tai-chinh")).all()

    assert ends(app, read)[:1] == ["commit"]
    from workflow.extensions import db

    with app.app_context():  # the pool gives back the connection that read: its statement is still prepared
        prepared = db.session.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar()
    assert prepared >= 1


def test_a_write_left_uncommitted_is_rolled_back_as_before(app):
    from models import Holiday

    def flushed(db):
        db.session.add(Holiday(date=date(2031, 1, 2), name="Ngày thử không lưu"))
        db.session.flush()  # written, never committed

    def pending(db):
        db.session.execute(select(func.count()).select_from(Holiday))
        db.session.add(Holiday(date=date(2031, 1, 3), name="Ngày thử không lưu"))  # not even flushed

    def failed(db):
        with pytest.raises(Exception):
            db.session.execute(text("SELECT 1/0"))

    assert ends(app, flushed) == ["rollback"] and ends(app, pending) == ["rollback"]
    assert ends(app, failed) == ["rollback"]
    from workflow.extensions import db

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Holiday).where(
            Holiday.name == "Ngày thử không lưu")) == 0
