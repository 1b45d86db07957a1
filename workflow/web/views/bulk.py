"""Bulk actions on the task list (issue 15): the office selects tasks, then makes a reminder for them,
approves or rejects their extension requests, or exports them to Excel."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from sqlalchemy.orm import joinedload, selectinload

from models import Task
from workflow import permissions, queries, spreadsheet
from workflow.clock import local_tz
from workflow.errors import DomainError
from workflow.extensions import db
from workflow.services import bulk as bulk_service
from workflow.services import documents as document_service
from workflow.web import bp, flash_error
from workflow.web.helpers import clean_text, now, require, safe_next, user

ACTIONS = ("reminder", "approve_extension", "reject_extension", "export")


def _back() -> str:
    target = safe_next(request.form.get("back") or "")
    return target if target and target.startswith("/tasks") else url_for("web.task_list")


@bp.post("/tasks/bulk")
def task_bulk():
    actor = user()
    require(permissions.can_manage_dispatches(actor))
    action = request.form.get("action") or ""
    if action not in ACTIONS:
        flash("Hãy chọn một thao tác cho các nhiệm vụ đã chọn.", "danger")
        return redirect(_back(), code=303)
    try:
        ids = bulk_service.chosen_ids(request.form.getlist("task"))
    except DomainError as exc:
        flash_error(exc)
        return redirect(_back(), code=303)
    at = now()
    if action == "export":
        tasks = list(db.session.scalars(
            queries.task_query(actor).where(Task.id.in_(ids)).order_by(Task.deadline.asc().nulls_last(), Task.id)
            .options(joinedload(Task.lead_unit), joinedload(Task.dispatch), selectinload(Task.coordinating_units))))
        stamp = at.astimezone(local_tz())
        data = spreadsheet.task_workbook("DANH SÁCH NHIỆM VỤ ĐÃ CHỌN", f"Tính đến {stamp.strftime('%d/%m/%Y %H:%M')} · "
                                  f"{len(tasks)} nhiệm vụ", tasks, at=at)
        return spreadsheet.xlsx_response(data, f"nhiem-vu-da-chon-{stamp.strftime('%Y-%m-%d')}.xlsx")
    if action == "reminder":
        try:
            document = document_service.generate_document(actor, "reminder", {"tasks": ids, "draft": True}, at)
        except DomainError as exc:
            flash_error(exc)
            return redirect(_back(), code=303)
        flash("Đã tạo dự thảo công văn đôn đốc cho các nhiệm vụ quá hạn đã chọn; hãy xem lại rồi trình ký.",
              "success")
        return redirect(url_for("web.document_detail", document_id=document.id), code=303)
    note = (clean_text(request.form.get("note")) or "").strip()[:2000] or None
    try:
        result = bulk_service.decide_extensions(actor, ids, action, now=at, note=note)
    except DomainError as exc:
        flash_error(exc)
        return redirect(_back(), code=303)
    verb = "Đã đồng ý gia hạn" if action == "approve_extension" else "Đã không đồng ý gia hạn"
    if result.done:
        flash(f"{verb} cho {len(result.done)} nhiệm vụ.", "success")
    for _, name, reason in result.refused[:20]:
        flash(f"Nhiệm vụ {name}: {reason}", "warning")
    if len(result.refused) > 20:
        flash(f"Và {len(result.refused) - 20} nhiệm vụ khác không xử lý được.", "warning")
    return redirect(_back(), code=303)
