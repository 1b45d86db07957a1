"""Dispatches (công văn) and the outgoing numbering register."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.types import UTCDateTime, utc_now
from workflow.extensions import db

DISPATCH_STATUSES = ("draft", "issued", "closed")
DISPATCH_STATUS_LABELS = {"draft": "Dự thảo", "issued": "Đã ban hành", "closed": "Đã kết thúc"}


class Dispatch(db.Model):
    __tablename__ = "dispatches"
    __table_args__ = (UniqueConstraint("symbol", "year", "number", name="uq_dispatches_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    symbol: Mapped[str] = mapped_column(String(40), default="CV/TU")
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kind: Mapped[str] = mapped_column(String(20), default="CV")
    title: Mapped[str | None] = mapped_column(String(300), nullable=True)  # for unnumbered sources
    issuer_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    issued_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The instant it was issued (the date above may be the one written on it); null before issue 15.
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    search_folded: Mapped[str] = mapped_column(Text, default="")  # number + subject, diacritics folded
    recipients: Mapped[list] = mapped_column(JSON, default=list)
    recipient_codes: Mapped[list] = mapped_column(JSON, default=list)
    distribution: Mapped[list] = mapped_column(JSON, default=list)
    signing_authority: Mapped[str] = mapped_column(String(120), default="")
    signer_title: Mapped[str] = mapped_column(String(120), default="")
    signer_name: Mapped[str] = mapped_column(String(120), default="")
    references: Mapped[list] = mapped_column(JSON, default=list)
    # Numbered items that name no unit to act (general directives), kept verbatim.
    directives: Mapped[list] = mapped_column(JSON, default=list)
    preamble: Mapped[str] = mapped_column(Text, default="")
    source_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    issuer = relationship("Unit")
    tasks = relationship("Task", back_populates="dispatch", order_by="Task.id")

    def __init__(self, **kwargs):
        kwargs.setdefault("status", "draft")
        super().__init__(**kwargs)

    @property
    def full_number(self) -> str | None:
        """``1534-CV/TU``, or None for an unnumbered draft or program."""
        if self.number is None:
            return None
        return f"{self.number}-{self.symbol}"

    @property
    def reference(self) -> str:
        """How the API and pages address the dispatch: its number, else its id."""
        return self.full_number or str(self.id)

    @property
    def display_name(self) -> str:
        if self.full_number:
            return f"Công văn số {self.full_number}" if self.kind == "CV" else self.full_number
        return self.title or f"Dự thảo #{self.id}"

    @property
    def status_label(self) -> str:
        return DISPATCH_STATUS_LABELS.get(self.status, self.status)

    def __repr__(self) -> str:
        return f"<Dispatch {self.reference}>"


class NumberRegister(db.Model):
    """The last number taken for an issuer, symbol and year (sổ đăng ký văn bản đi)."""

    __tablename__ = "number_registers"
    __table_args__ = (UniqueConstraint("issuer_id", "symbol", "year", name="uq_number_registers_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    symbol: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    last_number: Mapped[int] = mapped_column(Integer, default=0)
