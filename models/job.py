"""Long jobs (bulk document batches …) as rows any worker process can claim.

A job is ``queued`` when created, ``running`` once a worker claims it (one
atomic UPDATE, or ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL), then
``done`` or ``failed``. Progress is written to the row, so any process can
read it; the result is a stored file (workflow/storage.py), not a local path.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.types import UTCDateTime, utc_now
from workflow.extensions import db

JOB_STATUSES = ("queued", "running", "done", "failed")
JOB_STATUS_LABELS = {"queued": "Đang chờ", "running": "Đang chạy", "done": "Hoàn thành", "failed": "Lỗi"}


class Job(db.Model):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True, default="queued")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(300), default="")
    result_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    result_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    result_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    result_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    worker: Mapped[str | None] = mapped_column(String(120), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    created_by = relationship("User")

    def __init__(self, **kwargs):
        kwargs.setdefault("status", "queued")
        kwargs.setdefault("progress", 0)
        kwargs.setdefault("total", 0)
        kwargs.setdefault("message", "")
        super().__init__(**kwargs)

    @property
    def status_label(self) -> str:
        return JOB_STATUS_LABELS.get(self.status, self.status)

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(100 * self.progress / self.total) if self.total else 0

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status}>"
