"""The one place that reads the real clock.

Everything else receives ``now`` as an argument, so tests pass fixed datetimes.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Ho_Chi_Minh"


def local_tz(name: str | None = None) -> ZoneInfo:
    """The office's time zone (``TIMEZONE`` config, default Asia/Ho_Chi_Minh)."""
    if name is None:
        try:
            from flask import current_app

            name = current_app.config.get("TIMEZONE", DEFAULT_TZ)
        except RuntimeError:  # outside an application context
            name = DEFAULT_TZ
    return ZoneInfo(name)


def utcnow() -> datetime:
    """The current instant, timezone-aware. The only call to the real clock."""
    return datetime.now(timezone.utc)


def to_local(value: datetime | None, tz: ZoneInfo | None = None) -> datetime | None:
    """Convert an aware datetime to local time (naive values are taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(tz or local_tz())


def local_today(now: datetime, tz: ZoneInfo | None = None) -> date:
    """Today's date in the office's time zone for the instant ``now``."""
    return to_local(now, tz).date()


# Dates the application accepts from anyone (API, forms, imports, the register): anything else is a
# typing mistake, and years near 1 or 9999 overflow time-zone arithmetic (a 500 instead of a 400).
MIN_YEAR, MAX_YEAR = 1900, 2200


def year_in_range(year) -> bool:
    return isinstance(year, int) and not isinstance(year, bool) and MIN_YEAR <= year <= MAX_YEAR


def parse_iso_date(text: str) -> date:
    """``YYYY-MM-DD`` between 1900 and 2200. Raises ValueError."""
    value = date.fromisoformat(text.strip())
    if not year_in_range(value.year):
        raise ValueError("year out of range")
    return value


def parse_iso_datetime(text: str, tz: ZoneInfo | None = None) -> datetime:
    """Parse ISO 8601 (date or datetime); naive values are local time. Years outside 1900–2200
    raise ValueError (checked before any time-zone arithmetic)."""
    text = text.strip()
    if not text:
        raise ValueError("empty")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    value = datetime.fromisoformat(text)
    if not year_in_range(value.year):
        raise ValueError("year out of range")
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz or local_tz())
    return value
