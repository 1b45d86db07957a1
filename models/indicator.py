"""Indicators (chỉ tiêu) and units' periodic reports on them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.types import UTCDateTime, utc_now
from workflow.extensions import db


class Indicator(db.Model):
    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True, index=True)
    catalogue: Mapped[str] = mapped_column(String(40), default="")  # e.g. "1534-CV/TU"
    group: Mapped[str | None] = mapped_column(String(200), nullable=True)  # axis / section
    position: Mapped[int] = mapped_column(Integer, default=0)  # STT in its source table
    name: Mapped[str] = mapped_column(Text)
    sub_code: Mapped[str | None] = mapped_column(String(20), nullable=True)  # "Mã số chi"
    measure_unit: Mapped[str | None] = mapped_column(String(60), nullable=True)
    target_text: Mapped[str | None] = mapped_column(String(120), nullable=True)
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    source_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    frequency: Mapped[str] = mapped_column(String(20), default="monthly")
    figures: Mapped[dict] = mapped_column(JSON, default=dict)  # plan, scenario, actual, progress…

    lead_unit = relationship("Unit")


class IndicatorReport(db.Model):
    __tablename__ = "indicator_reports"
    __table_args__ = (UniqueConstraint("indicator_id", "unit_id", "period", name="uq_indicator_reports_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    period: Mapped[str] = mapped_column(String(20), index=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    value_text: Mapped[str | None] = mapped_column(String(120), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    difficulties: Mapped[str | None] = mapped_column(Text, nullable=True)
    proposals: Mapped[str | None] = mapped_column(Text, nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"), nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    indicator = relationship("Indicator")
    unit = relationship("Unit")

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    def __init__(self, **kwargs):
        kwargs.setdefault("version", 1)
        kwargs.setdefault("status", "draft")
        super().__init__(**kwargs)


class IndicatorReportEvent(db.Model):
    """Append-only history of a report: created, saved, submitted, accepted, returned."""

    __tablename__ = "indicator_report_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("indicator_reports.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    event: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str] = mapped_column(String(20))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    value_text: Mapped[str | None] = mapped_column(String(120), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    via: Mapped[str | None] = mapped_column(String(20), nullable=True)  # web, api, excel
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    report = relationship("IndicatorReport", back_populates="events")
    actor = relationship("User")


IndicatorReport.events = relationship(IndicatorReportEvent, back_populates="report",
                                      order_by=IndicatorReportEvent.id, passive_deletes=True)


class IndicatorPeriodTask(db.Model):
    """The task in the engine that stands for one unit's report on a catalogue for one period."""

    __tablename__ = "indicator_period_tasks"
    __table_args__ = (UniqueConstraint("catalogue", "unit_id", "period", name="uq_indicator_period_tasks_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalogue: Mapped[str] = mapped_column(String(40))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    period: Mapped[str] = mapped_column(String(20), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), unique=True)

    unit = relationship("Unit")
    task = relationship("Task")
