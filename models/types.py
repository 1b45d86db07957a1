"""Column types shared by the models."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


MAX_ID = 2**31 - 1  # ids and numbers are 32-bit integers in every database we run on


def fits_id(value: int) -> bool:
    """Whether ``value`` can be an id (or a dispatch number) without the database refusing it."""
    return 0 < value <= MAX_ID


class UTCDateTime(TypeDecorator):
    """An aware datetime stored as naive UTC.

    SQLite drops offsets, so every database stores UTC and the application
    converts at the edges; values come back aware (UTC). Naive input is
    refused so that local times are never stored by mistake.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def utc_now() -> datetime:
    """Column default for creation timestamps (not computed at import)."""
    return datetime.now(timezone.utc)


def insert_for(dialect_name: str):
    """The INSERT construct with ``on_conflict_do_update`` for this database (PostgreSQL, SQLite)."""
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert
