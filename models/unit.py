"""Units: party organs, departments, commune-level units and others."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db

UNIT_KINDS = ("party", "department", "commune", "other")
UNIT_KIND_LABELS = {
    "party": "Cơ quan Đảng",
    "department": "Sở, ban, ngành",
    "commune": "Xã, phường, đặc khu",
    "other": "Đơn vị khác",
}


class Unit(db.Model):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(120), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20), default="other")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    aliases: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where the daily reminder digest goes (comma-separated addresses).
    email: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # Secret part of the unit's iCalendar feed link (rotatable by the office).
    feed_secret: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)

    parent: Mapped["Unit | None"] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"

    @property
    def kind_label(self) -> str:
        return UNIT_KIND_LABELS.get(self.kind, self.kind)
