"""Generated documents (never modified: a new version is a new row) and stored files."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from models.types import UTCDateTime, utc_now
from workflow.extensions import db


class StoredFile(db.Model):
    """File contents kept in the database (the default storage backend)."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True, index=True)
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Document(db.Model):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    number: Mapped[str | None] = mapped_column(String(60), nullable=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    template_name: Mapped[str] = mapped_column(String(120))
    template_sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    docx_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    docx_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pdf_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    created_by = relationship("User")


class ImmutableError(RuntimeError):
    """A generated document or a stored file was about to be changed."""


def _refuse_change(mapper, connection, target):
    raise ImmutableError(f"{type(target).__name__} rows are never modified; create a new one")


# Generated documents and their files are never modified: a new version is a new row.
from sqlalchemy import event as _event  # noqa: E402

for _model in (Document, StoredFile):
    _event.listen(_model, "before_update", _refuse_change)
