"""API routes for indicators (DESIGN section 7): the catalogue, units' reports, Excel out and in."""
from __future__ import annotations

from flask import Response, g, jsonify, request
from sqlalchemy import select

from models import Indicator, IndicatorReport, Unit
from workflow import clock, permissions
from workflow.api import api_auth, bp, json_body, pagination_args
from workflow.errors import Forbidden, ValidationError
from workflow.extensions import db
from workflow.services import indicators as service
from workflow.text import fold

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _bool(value, name: str, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ValidationError(f"\"{name}\" phải là true hoặc false.")


@bp.get("/indicators")
@api_auth
def list_indicators():
    """The catalogue with parsed targets; ``catalogue=`` narrows it, ``q`` matches words of names."""
    page, per_page = pagination_args()
    query = select(Indicator).order_by(Indicator.catalogue, Indicator.position, Indicator.id)
    catalogue = (request.args.get("catalogue") or "").strip()
    if catalogue:
        service.get_catalogue(catalogue)
        query = query.where(Indicator.catalogue == catalogue)
    items = list(db.session.scalars(query))
    words = fold(request.args.get("q") or "").split()
    if words:
        items = [i for i in items if all(w in fold(f"{i.code} {i.name}").split() for w in words)]
    total = len(items)
    chunk = items[(page - 1) * per_page: page * per_page]
    return jsonify({"items": [service.indicator_json(i) for i in chunk], "total": total, "page": page,
                    "per_page": per_page,
                    "catalogues": [{"code": c.code, "title": c.title, "frequency": c.frequency,
                                    "reportable": c.reportable} for c in service.catalogues()]})


@bp.get("/indicators/export.xlsx")
@api_auth
def export_indicators():
    """The results of a period in the column layout of the 1534 appendix (``unit=`` for one unit's form)."""
    period = request.args.get("period")
    if not period:
        raise ValidationError("Thiếu tham số period (kỳ báo cáo, ví dụ 2026-05).")
    data, name = service.export_workbook(g.api_user, catalogue=request.args.get("catalogue") or "1534-CV/TU",
                                         period=period, unit_code=request.args.get("unit") or None,
                                         now=clock.utcnow())
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/indicators/import")
@api_auth
def import_indicators():
    """A unit's filled workbook (multipart field ``file``); 400 with ``errors`` listing every bad cell."""
    if g.api_user.role not in ("office", "department"):
        raise Forbidden("Chỉ đơn vị báo cáo hoặc Văn phòng được nhập bảng tính chỉ tiêu.")
    upload = request.files.get("file")
    if upload is None:
        raise ValidationError("Gửi bảng tính .xlsx trong trường \"file\" (multipart/form-data).")
    data = upload.read(5 * 1024 * 1024 + 1)
    try:
        reports = service.import_workbook(
            g.api_user, data, catalogue=request.form.get("catalogue") or "1534-CV/TU",
            unit_code=request.form.get("unit") or None, period=request.form.get("period") or None,
            submit=_bool(request.form.get("submit"), "submit", True), now=clock.utcnow())
    except ValidationError as exc:
        response = jsonify({"error": exc.message, "errors": exc.details.get("problems") or [exc.message]})
        response.status_code = 400
        return response
    return jsonify({"saved": len(reports), "items": [service.report_json(r) for r in reports]})


@bp.post("/indicators/periods")
@api_auth
def open_indicator_period():
    """Office: open a period, one report task per reporting unit (idempotent)."""
    data = json_body()
    catalogue = data.get("catalogue", "1534-CV/TU")
    created = service.open_period(g.api_user, catalogue="1534-CV/TU" if catalogue in (None, "") else catalogue,
                                  period=data.get("period"), now=clock.utcnow())
    return jsonify({"created": created})


@bp.get("/indicators/matrix")
@api_auth
def indicator_matrix():
    """Office, leader, admin: who reported what for a period, with completeness and on-time rates."""
    if not permissions.can_read_all(g.api_user):
        raise Forbidden("Chỉ Văn phòng, lãnh đạo xem được tổng hợp báo cáo chỉ tiêu.")
    period = request.args.get("period")
    if not period:
        raise ValidationError("Thiếu tham số period (kỳ báo cáo, ví dụ 2026-05).")
    matrix = service.period_matrix(request.args.get("catalogue") or "1534-CV/TU", period, now=clock.utcnow(),
                                   unit_kind=request.args.get("kind") or None)
    return jsonify({
        "catalogue": matrix.catalogue.code, "period": matrix.period.code, "deadline": service._iso(matrix.deadline),
        "units_total": matrix.units_total, "units_reported": matrix.units_reported,
        "units_on_time": matrix.units_on_time, "communes_total": matrix.communes_total,
        "communes_reported": matrix.communes_reported, "communes_on_time": matrix.communes_on_time,
        "completeness": matrix.completeness, "on_time_rate": matrix.on_time_rate,
        "indicators": [{"code": i.code, **matrix.by_indicator[i.id]} for i in matrix.indicators],
        "units": [{
            "code": row.unit.code, "name": row.unit.name, "submitted": row.submitted, "expected": len(row.expected),
            "complete": row.complete, "on_time": row.on_time, "met": row.met, "not_met": row.not_met,
            "task": row.task.id if row.task else None,
            "cells": {matrix_code(matrix, iid): {"value": r.value, "value_text": r.value_text, "status": r.status,
                                                 **service.judgement(r).as_dict()}
                      for iid, r in row.cells.items()},
        } for row in matrix.rows],
    })


def matrix_code(matrix, indicator_id: int) -> str:
    return next(i.code for i in matrix.indicators if i.id == indicator_id)


@bp.get("/indicators/<code>")
@api_auth
def get_indicator(code: str):
    indicator = service.get_indicator(code)
    data = service.indicator_json(indicator)
    unit = None
    if request.args.get("unit"):
        unit = service._unit(request.args["unit"])
        if not permissions.can_view_indicator_report(g.api_user, unit):
            raise Forbidden("Chỉ xem được báo cáo chỉ tiêu của đơn vị mình.")
    elif not permissions.can_read_all(g.api_user):
        unit = g.api_user.unit
    data["history"] = service.indicator_history(indicator, unit) if unit or permissions.can_read_all(g.api_user) \
        else []
    return jsonify(data)


@bp.get("/indicators/<code>/reports")
@api_auth
def list_indicator_reports(code: str):
    indicator = service.get_indicator(code)
    page, per_page = pagination_args()
    query = select(IndicatorReport).where(IndicatorReport.indicator_id == indicator.id)
    if request.args.get("period"):
        query = query.where(IndicatorReport.period == request.args["period"].strip().upper()[:20])
    if request.args.get("unit"):
        query = query.join(Unit, Unit.id == IndicatorReport.unit_id).where(Unit.code == request.args["unit"][:120])
    if not permissions.can_read_all(g.api_user):
        query = query.where(IndicatorReport.unit_id == (g.api_user.unit_id or -1))
    from workflow import queries

    page_obj = queries.paginate(query, page, per_page, (IndicatorReport.period.desc(), IndicatorReport.id))
    return jsonify({"items": [service.report_json(r) for r in page_obj.items], "total": page_obj.total,
                    "page": page_obj.page, "per_page": page_obj.per_page})


@bp.post("/indicators/<code>/reports")
@api_auth
def post_indicator_report(code: str):
    """``{"unit", "period", "value", "description", "difficulties", "proposals", "notes", "submit"}``."""
    data = json_body()
    allowed = {"unit", "period", "value", "submit", *service.REPORT_TEXT_FIELDS}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError(f"Trường không hợp lệ: {', '.join(unknown)}.")
    if "value" not in data:
        raise ValidationError("Thiếu trường \"value\" (kết quả thực hiện trong kỳ).")
    indicator = service.get_indicator(code)
    existed = data.get("unit") and isinstance(data.get("unit"), str) and isinstance(data.get("period"), str) and \
        db.session.scalar(select(IndicatorReport.id).join(Unit, Unit.id == IndicatorReport.unit_id).where(
            IndicatorReport.indicator_id == indicator.id, Unit.code == data["unit"][:120],
            IndicatorReport.period == data["period"].strip().upper()[:20])) is not None
    report = service.save_report(
        g.api_user, indicator_code=indicator.code, unit_code=data.get("unit"), period=data.get("period"),
        value=data.get("value"), submit=_bool(data.get("submit"), "submit", True), now=clock.utcnow(), via="api",
        **{k: data.get(k) for k in service.REPORT_TEXT_FIELDS})
    return jsonify(service.report_json(report, with_history=True)), (200 if existed else 201)


@bp.get("/indicator-reports/<int:report_id>")
@api_auth
def get_indicator_report(report_id: int):
    return jsonify(service.report_json(service._get_report(g.api_user, report_id), with_history=True))


@bp.post("/indicator-reports/<int:report_id>/events")
@api_auth
def indicator_report_event(report_id: int):
    """Office: ``{"event": "accept" | "return", "note", "version"}``."""
    data = json_body()
    version = data.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise ValidationError("Phiên bản (version) phải là số nguyên.")
    note = data.get("note")
    if note is not None and not isinstance(note, str):
        raise ValidationError("Trường \"note\" phải là chuỗi ký tự.")
    report = service.review_report(g.api_user, report_id, data.get("event") or "", now=clock.utcnow(), note=note,
                                   version=version)
    return jsonify(service.report_json(report, with_history=True))



