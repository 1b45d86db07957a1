"""Entries of the outgoing numbering register (sổ đăng ký văn bản đi).

``NumberRegister`` (models/dispatch.py) holds the counter per issuer, symbol
and year; each number taken from it for a generated document, or reserved by
the office, gets one entry here. An entry is never deleted: a number that is
not used is voided with a reason, and the counter never goes back, so no
number is ever given twice.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.types import UTCDateTime, utc_now
from workflow.extensions import db

REGISTER_STATUSES = ("reserved", "used", "voided")
REGISTER_STATUS_LABELS = {"reserved": "Giữ số", "used": "Đã dùng", "voided": "Đã hủy số"}


class RegisterEntry(db.Model):
    __tablename__ = "register_entries"
    __table_args__ = (UniqueConstraint("issuer_id", "symbol", "year", "number", name="uq_register_entries_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    symbol: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), index=True)
    kind: Mapped[str | None] = mapped_column(String(40), nullable=True)  # document kind it serves
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # why it was reserved
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), nullable=True, index=True)
    void_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    issuer = relationship("Unit")
    document = relationship("Document", foreign_keys=[document_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    voided_by = relationship("User", foreign_keys=[voided_by_id])

    @property
    def full_number(self) -> str:
        return f"{self.number}-{self.symbol}"

    @property
    def status_label(self) -> str:
        return REGISTER_STATUS_LABELS.get(self.status, self.status)

    def __repr__(self) -> str:
        return f"<RegisterEntry {self.full_number}/{self.year} {self.status}>"
