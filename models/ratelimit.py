"""Counters of the sign-in limits (Flask-Limiter), shared by every process through the database."""
from __future__ import annotations

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from workflow.extensions import db


class RateLimitCounter(db.Model):
    """One fixed-window counter: ``key`` (the limit and who it counts), its count, and when the
    window ends (seconds since the epoch). Written by ``workflow.ratelimit.DatabaseStorage``."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    expires_at: Mapped[float] = mapped_column(Float, nullable=False, index=True)
