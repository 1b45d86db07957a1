"""Public holidays: read by everyone signed in, edited by an admin."""
from __future__ import annotations

from datetime import date

from flask import g, jsonify, request

from workflow.api import api_auth, bp, json_body
from workflow.errors import ValidationError
from workflow.services import holidays as service


def holiday_json(h) -> dict:
    return {"id": h.id, "date": h.date.isoformat(), "name": h.name}


@bp.get("/holidays")
@api_auth
def list_holidays():
    year = request.args.get("year")
    if year is not None and not (year.isdecimal() and 1900 <= int(year) <= 2200):
        raise ValidationError("year phải là năm, ví dụ 2026.")
    return jsonify({"items": [holiday_json(h) for h in service.holidays_of(int(year) if year else None)]})


@bp.post("/holidays")
@api_auth
def add_holiday():
    data = json_body()
    raw, name = data.get("date"), data.get("name")
    try:
        day = date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        day = None
    if day is None:
        raise ValidationError("date phải là ngày ISO 8601, ví dụ 2026-09-02.")
    if not isinstance(name, str):
        raise ValidationError("Cần nhập tên ngày nghỉ (name).")
    response = jsonify(holiday_json(service.add_holiday(g.api_user, day, name)))
    response.status_code = 201
    return response


@bp.delete("/holidays/<int:holiday_id>")
@api_auth
def remove_holiday(holiday_id: int):
    service.remove_holiday(g.api_user, holiday_id)
    return jsonify({"deleted": holiday_id})
