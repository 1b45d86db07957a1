"""The outgoing document's life (issue 13): draft → submitted → signed → issued → delivered.

A generated ``Document`` never changes; its life is recorded beside it: ``DocumentLifecycle`` (one
row per document that entered the lifecycle: status, version, signer, the PDF files of each step,
the number and date it was issued with), ``DocumentEvent`` (append-only history), ``InboxItem``
(the document delivered to a recipient unit: read or unread, who read it and when) and
``SigningCredential`` (a PKCS#12 file installed by the admin for a signer or for an organisation,
kept as uploaded, i.e. encrypted by its passphrase, which is never stored).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, Boolean, Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint,
                        event)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from models.types import UTCDateTime, utc_now
from workflow.extensions import db

LIFECYCLE_STATUS_LABELS = {
    "draft": "Dự thảo",
    "submitted": "Chờ ký",
    "returned": "Trả lại",
    "signed": "Đã ký",
    "issued": "Đã phát hành",
    "delivered": "Đã gửi",
}


class DocumentLifecycle(db.Model):
    __tablename__ = "document_lifecycles"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    signer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    issuer_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    symbol: Mapped[str | None] = mapped_column(String(40), nullable=True)
    context: Mapped[dict] = mapped_column(JSON, default=dict)  # the data of the file sent for signature
    unsigned_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    unsigned_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    signed_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    signed_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sign_method: Mapped[str | None] = mapped_column(String(20), nullable=True)  # server, upload
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    issued_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    issued_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    number: Mapped[str | None] = mapped_column(String(60), nullable=True)
    issued_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    register_entry_id: Mapped[int | None] = mapped_column(ForeignKey("register_entries.id"), nullable=True)
    external_recipients: Mapped[list] = mapped_column(JSON, default=list)  # sent by hand
    note: Mapped[str | None] = mapped_column(Text, nullable=True)  # the signer's last comments
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    document = relationship("Document")
    signer = relationship("User", foreign_keys=[signer_id])
    issuer = relationship("Unit")
    events = relationship("DocumentEvent", order_by="DocumentEvent.id", viewonly=True)

    def __init__(self, **kwargs):
        kwargs.setdefault("version", 1)
        kwargs.setdefault("status", "draft")
        super().__init__(**kwargs)

    @property
    def status_label(self) -> str:
        return LIFECYCLE_STATUS_LABELS.get(self.status, self.status)

    @property
    def current_pdf(self) -> tuple[str | None, str | None]:
        """(key, sha256) of the newest PDF of its life: issued, else signed, else the one to sign."""
        for key, sha in ((self.issued_key, self.issued_sha256), (self.signed_key, self.signed_sha256),
                         (self.unsigned_key, self.unsigned_sha256)):
            if key:
                return key, sha
        return None, None


class DocumentEvent(db.Model):
    """Append-only history of a document's life."""

    __tablename__ = "document_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document_lifecycles.document_id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    event: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    actor = relationship("User")


class InboxItem(db.Model):
    """A document delivered to a recipient unit ("Văn bản đến")."""

    __tablename__ = "inbox_items"
    __table_args__ = (UniqueConstraint("document_id", "unit_id", name="uq_inbox_items_document_unit"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document_lifecycles.document_id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    read_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    lifecycle = relationship("DocumentLifecycle")
    unit = relationship("Unit")
    read_by = relationship("User")


class SigningCredential(db.Model):
    """A signer's (``user_id``) or an organisation's (``unit_id``) PKCS#12, as uploaded (encrypted)."""

    __tablename__ = "signing_credentials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True, index=True)
    pkcs12: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    image: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))  # signature or seal (PNG)
    subject: Mapped[str] = mapped_column(String(300), default="")
    issuer: Mapped[str] = mapped_column(String(300), default="")
    serial: Mapped[str] = mapped_column(String(80), default="")
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    not_after: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    user = relationship("User", foreign_keys=[user_id])
    unit = relationship("Unit")


class DocumentHistoryError(RuntimeError):
    """The history of a document's life was about to be changed."""


@event.listens_for(DocumentEvent, "before_update")
def _no_update(mapper, connection, target):
    raise DocumentHistoryError("document history is append-only")


@event.listens_for(DocumentEvent, "before_delete")
def _no_delete(mapper, connection, target):
    raise DocumentHistoryError("document history is append-only")
