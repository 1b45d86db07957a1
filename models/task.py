"""Tasks assigned by a dispatch, and their append-only history."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, Boolean, Column, Date, ForeignKey, Index, Integer, String, Table,
                        Text, UniqueConstraint, event, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.types import UTCDateTime, utc_now
from workflow.extensions import db

TASK_STATUS_LABELS = {
    "assigned": "Đã giao",
    "in_progress": "Đang thực hiện",
    "overdue": "Quá hạn",
    "completed": "Đã hoàn thành",
}
OPEN_STATUSES = ("assigned", "in_progress", "overdue")

task_coordinating_units = Table(
    "task_coordinating_units",
    db.metadata,
    Column("task_id", ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id"), primary_key=True),
    # The tasks a unit coordinates (a department's list: led or coordinated).
    Index("ix_task_coordinating_units_unit", "unit_id", "task_id"),
)


class Task(db.Model):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_status_deadline", "status", "deadline"),
        Index("ix_tasks_lead_status", "lead_unit_id", "status"),
        # Open tasks by deadline: the overdue list's pages in order without sorting every late task.
        Index("ix_tasks_open_deadline", "deadline", "id",
              postgresql_where=text("status IN ('assigned', 'in_progress', 'overdue')"),
              sqlite_where=text("status IN ('assigned', 'in_progress', 'overdue')")),
        # The office's pending extension requests, oldest first (few rows: a partial index).
        Index("ix_tasks_pending_extension", "extension_requested_at", "id",
              postgresql_where=text("extension_deadline IS NOT NULL"),
              sqlite_where=text("extension_deadline IS NOT NULL")),
        # Every task by deadline (the lists' default order: deadline, then id), and within a status.
        Index("ix_tasks_deadline_id", "deadline", "id"),
        Index("ix_tasks_status_deadline_id", "status", "deadline", "id"),
        # A unit's tasks in that order (the API list of a department's own unit, issue 16).
        Index("ix_tasks_lead_deadline_id", "lead_unit_id", "deadline", "id"),
        # The folded title's words (PostgreSQL: GIN), for searches that read only the matching tasks.
        Index("ix_tasks_title_words", text("string_to_array(btrim(title_folded), ' ')"),
              postgresql_using="gin").ddl_if(dialect="postgresql"),
        # One instance per period of a recurring series (the root itself has no series_id).
        UniqueConstraint("series_id", "period", name="uq_tasks_series_period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dispatch_id: Mapped[int] = mapped_column(ForeignKey("dispatches.id"), index=True)
    item: Mapped[str] = mapped_column(String(20), default="")
    title: Mapped[str] = mapped_column(Text)
    title_folded: Mapped[str] = mapped_column(Text, default="")  # for diacritic-insensitive search
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deadline_text: Mapped[str | None] = mapped_column(String(300), nullable=True)
    recurrence: Mapped[str | None] = mapped_column(String(200), nullable=True)
    period: Mapped[str | None] = mapped_column(String(20), nullable=True)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"), nullable=True, index=True)
    product: Mapped[str | None] = mapped_column(Text, nullable=True)
    person_in_charge: Mapped[str | None] = mapped_column(String(200), nullable=True)
    authority: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    evidence_number: Mapped[str | None] = mapped_column(String(120), nullable=True)
    evidence_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    evidence_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    on_time: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    extension_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    extension_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    extension_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    dispatch = relationship("Dispatch", back_populates="tasks")
    # active_history: the unit it had is known at flush when it changes (workflow.counts).
    lead_unit = relationship("Unit", foreign_keys=[lead_unit_id], active_history=True)
    coordinating_units = relationship("Unit", secondary=task_coordinating_units, order_by="Unit.name")
    events = relationship("TaskEvent", back_populates="task", order_by="TaskEvent.id",
                          passive_deletes=True)

    # Optimistic locking: every UPDATE says "WHERE version = <the version read>"; the service
    # layer (and the set-based sweep) sets the next version itself, one per history row.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    def __init__(self, **kwargs):
        # The state machine's initial state; a column default only applies at flush.
        kwargs.setdefault("status", "assigned")
        kwargs.setdefault("version", 1)
        super().__init__(**kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def status_label(self) -> str:
        return TASK_STATUS_LABELS.get(self.status, self.status)

    @property
    def has_pending_extension(self) -> bool:
        return self.extension_deadline is not None

    def is_late(self, now: datetime) -> bool:
        """Late now: overdue state, or open with its deadline passed (before the sweep runs)."""
        if self.status == "overdue":
            return True
        return self.is_open and self.deadline is not None and self.deadline < now

    def missing_six_clear(self) -> list[str]:
        """Which of the "6 rõ" (person, work, time, responsibility, product, authority) are missing."""
        return missing_six_clear(self.person_in_charge, self.title, self.deadline, self.lead_unit_id,
                                 self.product, self.authority)

    def __repr__(self) -> str:
        return f"<Task {self.id} {self.item} {self.status}>"


def missing_six_clear(person, title, deadline, lead_unit_id, product, authority) -> list[str]:
    """Which of the "6 rõ" a task's values leave missing (``Task.missing_six_clear``; the API list
    calls it with the row's columns)."""
    missing = []
    if not (person or "").strip():
        missing.append("Rõ người")
    if not (title or "").strip():
        missing.append("Rõ việc")
    if deadline is None:
        missing.append("Rõ thời gian")
    if lead_unit_id is None:
        missing.append("Rõ trách nhiệm")
    if not (product or "").strip():
        missing.append("Rõ sản phẩm")
    if not (authority or "").strip():
        missing.append("Rõ thẩm quyền")
    return missing


class TaskEvent(db.Model):
    """One row per change: append-only (updates and deletes are refused)."""

    __tablename__ = "task_events"
    # The latest changes first (dashboards' "recent changes"), ties broken by id.
    __table_args__ = (Index("ix_task_events_at_id", "at", "id"),
                      # The office's bell: the directives of the last days, newest first (issue 16).
                      Index("ix_task_events_directives", "at", "id", postgresql_where=text("event = 'directive'"),
                            sqlite_where=text("event = 'directive'")))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    event: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    deadline_before: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deadline_after: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer)  # the task's version after this event
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, index=True)

    task = relationship("Task", back_populates="events")
    actor = relationship("User")


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(TaskEvent, "before_update")
def _refuse_update(mapper, connection, target):
    raise AppendOnlyError("task history is append-only")


@event.listens_for(TaskEvent, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise AppendOnlyError("task history is append-only")


class TaskCount(db.Model):
    """How many live tasks (of issued or closed dispatches) each unit leads, per status, and how
    many of them were completed on time: the dashboards' totals without counting every task.

    Derived data, kept exact by ``workflow.counts`` in the same transaction as every change of a
    task's status, unit or liveness; ``verify-audit`` recounts it and ``rebuild-counts`` rebuilds it.
    """

    __tablename__ = "task_counts"

    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    on_time: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
