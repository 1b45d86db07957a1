"""Excel exports of the task lists (issue 15): the list with the filters the page shows, and the
overdue list. Read-only; the visibility rules of ``queries.task_query`` apply."""
from __future__ import annotations

from flask import g, request
from sqlalchemy.orm import joinedload, selectinload

from models import Task
from workflow import permissions, queries, spreadsheet
from workflow.api import api_auth, bp
from workflow.api.views import STATUSES, parse_deadline_value, request_now
from workflow.clock import local_tz
from workflow.errors import ValidationError
from workflow.extensions import db
from workflow.services import dispatches as dispatch_service

WARNINGS = ("green", "yellow", "red", "on_track", "extension")
STATUS_WORDS = {"assigned": "Đã giao", "in_progress": "Đang thực hiện", "overdue": "Quá hạn",
                "completed": "Đã hoàn thành"}
WARNING_WORDS = {"green": "trong hạn / đã xong", "yellow": "sắp đến hạn", "red": "trễ hạn",
                 "on_track": "đang mở, còn hạn", "extension": "đang xin gia hạn"}
LOADS = (joinedload(Task.lead_unit), joinedload(Task.dispatch), selectinload(Task.coordinating_units))


def _text(name: str, limit: int = 200) -> str:
    value = request.args.get(name) or ""
    if "\x00" in value:
        raise ValidationError(f"{name} chứa ký tự không hợp lệ.")
    return value.strip()[:limit]


def _orders():
    # The sorts of the task list page (same names), so the file lists the rows as the page does.
    from workflow.web.views.tasks import SORTS

    return SORTS


def task_filters(args) -> tuple[dict, list[str]]:
    """The list's filters from the query string: (values for ``task_query``, their description)."""
    described: list[str] = []
    status = _text("status") or None
    if status and status not in STATUSES:
        raise ValidationError(f"status phải là một trong: {', '.join(STATUSES)}.")
    if status:
        described.append(f"trạng thái: {STATUS_WORDS[status]}")
    unit = None
    code = _text("unit", 120)
    if code:
        unit = queries.unit_by_code(code)
        if unit is None:
            raise ValidationError(f"Không tìm thấy đơn vị có mã \"{code}\".")
        described.append(f"đơn vị chủ trì: {unit.name}")
    dispatch = None
    ref = _text("dispatch", 120)
    if ref:
        dispatch = dispatch_service.find_dispatch(ref) if not ref.isdecimal() or len(ref) < 19 else None
        if dispatch is None or not permissions.can_view_dispatch(g.api_user, dispatch):
            raise ValidationError(f"Không tìm thấy công văn \"{ref}\".")
        described.append(f"công văn: {dispatch.full_number or dispatch.id}")
    warning = _text("warning") or None
    if warning and warning not in WARNINGS:
        raise ValidationError(f"warning phải là một trong: {', '.join(WARNINGS)}.")
    if warning:
        described.append(f"mức cảnh báo: {WARNING_WORDS[warning]}")
    q = _text("q")
    if q:
        described.append(f"tìm: “{q}”")
    bounds = {}
    for name, label in (("deadline_from", "hạn từ"), ("deadline_to", "hạn đến")):
        value = parse_deadline_value(_text(name, 40) or None, name)
        if value is not None and not 1900 <= value.year <= 2200:
            raise ValidationError(f"{name} ngoài khoảng cho phép.")
        bounds[name] = value
        if value is not None:
            described.append(f"{label} {value.astimezone(local_tz()).strftime('%d/%m/%Y')}")
    return ({"status": status, "unit": unit, "dispatch": dispatch, "q": q or None, "warning": warning,
             **bounds}, described)


@bp.get("/tasks.xlsx")
@api_auth
def tasks_xlsx():
    """The task list with its filters and sort, as the page shows it, in an Excel workbook."""
    values, described = task_filters(request.args)
    sort = _text("sort") or "deadline"
    orders = _orders()
    if sort not in orders:
        raise ValidationError(f"sort phải là một trong: {', '.join(orders)}.")
    now = request_now()
    query = queries.task_query(g.api_user, now=now, **values)
    tasks = list(db.session.scalars(query.order_by(*orders[sort][1]).limit(spreadsheet.MAX_ROWS + 1).options(*LOADS)))
    truncated = len(tasks) > spreadsheet.MAX_ROWS
    stamp = now.astimezone(local_tz())
    subtitle = f"Tính đến {stamp.strftime('%d/%m/%Y %H:%M')}" + (" · " + "; ".join(described) if described else "")
    data = spreadsheet.task_workbook("DANH SÁCH NHIỆM VỤ", subtitle, tasks[:spreadsheet.MAX_ROWS], at=now, truncated=truncated)
    return spreadsheet.xlsx_response(data, f"nhiem-vu-{stamp.strftime('%Y-%m-%d')}.xlsx")


@bp.get("/overdue.xlsx")
@api_auth
def overdue_xlsx():
    """The overdue list at ``as_of`` (a date: the end of that day; default now), optionally one unit's;
    like ``GET /api/v1/overdue``, a department gets its own tasks."""
    as_of = parse_deadline_value(_text("as_of", 40) or None, "as_of") or request_now()
    if not 1900 <= as_of.year <= 2200:
        raise ValidationError("as_of ngoài khoảng cho phép.")
    query, order = queries.overdue_query(g.api_user, as_of)
    described = []
    code = _text("unit", 120)
    if code:
        unit = queries.unit_by_code(code)
        if unit is None:
            raise ValidationError(f"Không tìm thấy đơn vị có mã \"{code}\".")
        query = query.where(Task.lead_unit_id == unit.id)
        described.append(f"đơn vị chủ trì: {unit.name}")
    tasks = list(db.session.scalars(query.order_by(*order).limit(spreadsheet.MAX_ROWS + 1).options(*LOADS)))
    stamp = as_of.astimezone(local_tz())
    subtitle = f"Tính đến {stamp.strftime('%d/%m/%Y %H:%M')} · trễ lâu nhất trước" + \
        ("; " + "; ".join(described) if described else "")
    data = spreadsheet.task_workbook("DANH SÁCH NHIỆM VỤ QUÁ HẠN", subtitle, tasks[:spreadsheet.MAX_ROWS], at=as_of,
                              truncated=len(tasks) > spreadsheet.MAX_ROWS)
    return spreadsheet.xlsx_response(data, f"nhiem-vu-qua-han-{stamp.strftime('%Y-%m-%d')}.xlsx")
