"""A Flask-Limiter (``limits``) storage in the application's database: ``workflow-db://``.

The failed sign-in limits must count every attempt, whichever gunicorn worker or server
answers it. ``memory://`` counts per process (four workers let four times as many guesses
through), and Redis or Memcached would be one more service for the office to run; the
database every process already shares holds the counters instead (``rate_limit_counters``).

Fixed windows, the strategy the sign-in limits use: ``incr`` is one upsert that starts a new
window when the old one has ended. Each call runs in its own short transaction on its own
connection, so a counted failure is kept even though the request that failed rolls back.
"""
from __future__ import annotations

import time

from limits.storage import Storage
from sqlalchemy import case, delete, select
from sqlalchemy.exc import SQLAlchemyError

from models import RateLimitCounter
from models.types import insert_for

TABLE = RateLimitCounter.__table__


class DatabaseStorage(Storage):
    STORAGE_SCHEME = ["workflow-db"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    @staticmethod
    def _engine():
        from workflow.extensions import db

        return db.engine

    def _reader(self):
        """A connection for reading only: on SQLite it does not wait for the write lock, which the
        request being answered may hold when Flask-Limiter reads the counts for its headers."""
        return self._engine().connect().execution_options(read_only=True)

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        with self._engine().begin() as conn:
            # Counters whose window has ended go (failures are rare: the table stays small).
            conn.execute(delete(TABLE).where(TABLE.c.expires_at <= now, TABLE.c.key != key))
            stmt = insert_for(conn.dialect.name)(TABLE).values(key=key, count=amount, expires_at=now + expiry)
            ended = TABLE.c.expires_at <= now
            stmt = stmt.on_conflict_do_update(
                index_elements=[TABLE.c.key],
                set_={"count": case((ended, amount), else_=TABLE.c.count + amount),
                      "expires_at": case((ended, now + expiry), else_=TABLE.c.expires_at)},
            ).returning(TABLE.c.count)
            return conn.execute(stmt).scalar_one()

    def get(self, key: str) -> int:
        with self._reader() as conn:
            count = conn.execute(select(TABLE.c.count).where(TABLE.c.key == key,
                                                             TABLE.c.expires_at > time.time())).scalar()
        return count or 0

    def get_expiry(self, key: str) -> float:
        with self._reader() as conn:
            expires = conn.execute(select(TABLE.c.expires_at).where(TABLE.c.key == key)).scalar()
        return expires if expires is not None and expires > time.time() else time.time()

    def check(self) -> bool:
        try:
            with self._reader() as conn:
                conn.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self._engine().begin() as conn:
            return conn.execute(delete(TABLE)).rowcount

    def clear(self, key: str) -> None:
        with self._engine().begin() as conn:
            conn.execute(delete(TABLE).where(TABLE.c.key == key))

    def purge(self) -> int:
        """Delete the counters whose window has ended (``incr`` does it as it goes)."""
        with self._engine().begin() as conn:
            return conn.execute(delete(TABLE).where(TABLE.c.expires_at <= time.time())).rowcount
