"""Reminder digest (listed in the app) and the per-unit iCalendar feed."""
from __future__ import annotations

from flask import Response, abort, g, jsonify, request

from workflow import clock
from workflow.api import api_auth, bp
from workflow.api.serializers import task_json
from workflow.errors import Forbidden, ValidationError
from workflow.queries import unit_by_code
from workflow.services.reminders import calendar_for_unit, digest_for_unit, unit_for_feed


@bp.get("/reminders")
@api_auth
def reminders():
    """Today's digest for a unit: the caller's own unit, or any unit for office/leader/admin."""
    user = g.api_user
    code = request.args.get("unit") or (user.unit.code if user.unit else None)
    if not code:
        raise ValidationError("Cần chỉ rõ đơn vị (unit).")
    unit = unit_by_code(code)
    if unit is None:
        raise ValidationError(f"Không tìm thấy đơn vị có mã \"{code}\".")
    if user.role == "department" and user.unit_id != unit.id:
        raise Forbidden("Đơn vị chỉ xem nhắc việc của mình.")
    now = clock.utcnow()
    digest = digest_for_unit(unit, now)
    return jsonify({"unit": {"code": unit.code, "name": unit.name},
                    "overdue": [task_json(t, now) for t in digest.overdue],
                    "due_soon": [task_json(t, now) for t in digest.due_soon]})


def feed(code: str, secret: str):
    """Public by design but unguessable: /feeds/<unit code>/<secret>.ics"""
    unit = unit_for_feed(code, secret)
    if unit is None:
        abort(404)
    return Response(calendar_for_unit(unit, clock.utcnow()), mimetype="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "private, max-age=300"})
