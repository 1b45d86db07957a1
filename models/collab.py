"""Collaboration on a task (issue 15): files, comments with mentions, the person a unit assigns,
and what each user has read of their notifications.

None of these rows is written by the task state machine's event path: they sit beside the
append-only history (``task_events``) and are merged with it when a task's timeline is shown.
Notifications themselves are not stored; they are derived at read time from the history, the
comments, the assignments and the deadlines (``workflow.services.notifications``); only what a
user has read, and their e-mail choices, are kept here.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.types import UTCDateTime, utc_now
from workflow.extensions import db

ATTACHMENT_PURPOSES = {"task": "Tài liệu của nhiệm vụ", "completion": "Minh chứng hoàn thành"}


class TaskAttachment(db.Model):
    """A file on a task (its bytes in the storage, ``workflow.storage``); never modified."""

    __tablename__ = "task_attachments"
    __table_args__ = (Index("ix_task_attachments_task_created", "task_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20), default="task")
    filename: Mapped[str] = mapped_column(String(255))  # as uploaded (NFC), made safe
    file_type: Mapped[str] = mapped_column(String(20))  # pdf, docx, xlsx, png, jpeg, zip (read from the bytes)
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    task = relationship("Task")
    uploaded_by = relationship("User")
    unit = relationship("Unit")

    @property
    def purpose_label(self) -> str:
        return ATTACHMENT_PURPOSES.get(self.purpose, self.purpose)


# What the author of a comment is to the task when writing it.
COMMENT_CAPACITIES = {
    "lead": "Đơn vị chủ trì",
    "coordinating": "Ý kiến phối hợp",
    "office": "Văn phòng",
    "leader": "Lãnh đạo",
}


class TaskComment(db.Model):
    __tablename__ = "task_comments"
    __table_args__ = (Index("ix_task_comments_task_created", "task_id", "created_at"),
                      Index("ix_task_comments_created", "created_at", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    capacity: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    task = relationship("Task")
    author = relationship("User")
    unit = relationship("Unit")
    mentions = relationship("CommentMention", back_populates="comment", cascade="all, delete-orphan",
                            order_by="CommentMention.id")

    @property
    def capacity_label(self) -> str:
        return COMMENT_CAPACITIES.get(self.capacity, self.capacity)


class CommentMention(db.Model):
    """One @mention in a comment: a unit (by its code) or a person (by user name)."""

    __tablename__ = "comment_mentions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("task_comments.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)

    comment = relationship("TaskComment", back_populates="mentions")
    unit = relationship("Unit")
    user = relationship("User")


class TaskAssignment(db.Model):
    """The person of the lead unit who carries a task (người phụ trách), as assigned by the unit;
    append-only: the latest row of a task is its current assignee (``user_id`` None: unassigned)."""

    __tablename__ = "task_assignments"
    __table_args__ = (Index("ix_task_assignments_task", "task_id", "id"),
                      Index("ix_task_assignments_user", "user_id", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    task = relationship("Task")
    user = relationship("User", foreign_keys=[user_id])
    assigned_by = relationship("User", foreign_keys=[assigned_by_id])


class NotificationState(db.Model):
    """One row per user: notifications up to ``read_before`` are read; the kinds also sent by
    e-mail, the address, and up to when they were e-mailed."""

    __tablename__ = "notification_states"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    read_before: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    email: Mapped[str | None] = mapped_column(String(255), nullable=True)
    email_kinds: Mapped[list] = mapped_column(JSON, default=list)
    emailed_before: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class NotificationRead(db.Model):
    """One notification read on its own (its key, e.g. ``ev:123``), after the user's marker."""

    __tablename__ = "notification_reads"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_notification_reads_user_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
