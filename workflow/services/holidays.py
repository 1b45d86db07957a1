"""Public holidays (the working-day rules skip them): kept as data, edited by an admin."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from models import Holiday
from models.types import fits_id
from workflow import permissions
from workflow.errors import Conflict, NotFound, ValidationError
from workflow.extensions import db
from workflow.services import unit_of_work
from workflow.text import nfc


def add_holiday(actor, day: date, name: str) -> Holiday:
    permissions.require_admin(actor)
    name = nfc(name)
    if not name:
        raise ValidationError("Cần nhập tên ngày nghỉ.")
    if not 1900 <= day.year <= 2200:
        raise ValidationError("Năm không hợp lệ.")
    if db.session.scalar(select(Holiday).where(Holiday.date == day)) is not None:
        raise Conflict(f"Ngày {day:%d/%m/%Y} đã có trong danh sách ngày nghỉ.")
    with unit_of_work():
        holiday = Holiday(date=day, name=name[:200])
        db.session.add(holiday)
    return holiday


def remove_holiday(actor, holiday_id: int) -> None:
    permissions.require_admin(actor)
    holiday = db.session.get(Holiday, holiday_id) if fits_id(holiday_id) else None
    if holiday is None:
        raise NotFound("Không tìm thấy ngày nghỉ.")
    with unit_of_work():
        db.session.delete(holiday)


def holidays_of(year: int | None = None) -> list[Holiday]:
    query = select(Holiday).order_by(Holiday.date)
    if year is not None:
        query = query.where(Holiday.date >= date(year, 1, 1), Holiday.date <= date(year, 12, 31))
    return list(db.session.scalars(query))
