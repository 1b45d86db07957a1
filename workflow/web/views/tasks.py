"""Tasks: the filtered list, one task with its history, and the actions its user may take."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import case

from models import Dispatch, Task
from workflow import permissions, queries
from workflow.errors import DomainError, Forbidden, NotFound
from workflow.extensions import db
from workflow.services import dispatches as dispatch_service
from workflow.services import tasks as task_service
from workflow.statemachine import EVENT_LABELS, TASK_MACHINE, allowed_events
from workflow.web import bp, pending
from workflow.web.forms import EVENT_FORMS
from workflow.web.helpers import (day_end, day_start, fits_db, flash_form_errors, local_datetime, now, parse_date,
                                  param, parse_int, ref_fits_db, task_warning, unit_choices, user)

STATUS_CHOICES = {"assigned": "Đã giao", "in_progress": "Đang thực hiện", "overdue": "Quá hạn",
                  "completed": "Đã hoàn thành"}
WARNING_CHOICES = {"red": "Trễ hạn", "yellow": "Sắp đến hạn", "green": "Trong hạn / đã xong",
                   "on_track": "Đang mở, còn hạn", "extension": "Đang xin gia hạn"}
PER_PAGE_CHOICES = (20, 50, 100)
STATUS_ORDER = case((Task.status == "overdue", 0), (Task.status == "in_progress", 1),
                    (Task.status == "assigned", 2), else_=3)
SORTS = {
    "deadline": ("Hạn gần nhất trước", (Task.deadline.asc().nulls_last(), Task.id.asc())),
    "-deadline": ("Hạn xa nhất trước", (Task.deadline.desc().nulls_last(), Task.id.desc())),
    "status": ("Quá hạn trước", (STATUS_ORDER, Task.deadline.asc().nulls_last(), Task.id.asc())),
    "updated": ("Mới cập nhật", (Task.updated_at.desc(), Task.id.desc())),
    "created": ("Mới giao", (Task.created_at.desc(), Task.id.desc())),
}

# Buttons of the task page: (label on the button, Bootstrap colour).
ACTION_STYLES = {
    "start": ("Bắt đầu thực hiện", "primary"),
    "report": ("Gửi báo cáo tiến độ", "secondary"),
    "complete": ("Xác nhận hoàn thành", "success"),
    "request_extension": ("Gửi đề nghị gia hạn", "warning"),
    "approve_extension": ("Đồng ý gia hạn", "success"),
    "reject_extension": ("Không đồng ý gia hạn", "danger"),
    "reopen": ("Mở lại nhiệm vụ", "warning"),
    "directive": ("Ghi ý kiến chỉ đạo", "primary"),
}


def parse_filters(args) -> tuple[dict, dict, list[str]]:
    """Query-string filters → (values for the query, values for the form, errors in Vietnamese)."""
    errors: list[str] = []
    shown: dict = {}
    values: dict = {}
    q = param(args, "q")
    shown["q"] = q
    values["q"] = q or None
    status = param(args, "status")
    if status and status not in STATUS_CHOICES:
        errors.append("Trạng thái lọc không hợp lệ; đã bỏ qua.")
        status = ""
    shown["status"], values["status"] = status, status or None
    unit_code = param(args, "unit", 120)
    unit = None
    if unit_code:
        unit = queries.unit_by_code(unit_code)
        if unit is None:
            errors.append("Không tìm thấy đơn vị cần lọc; đã bỏ qua.")
            unit_code = ""
    shown["unit"], values["unit"] = unit_code, unit
    dispatch_ref = param(args, "dispatch", 120)
    dispatch = None
    if dispatch_ref:
        dispatch = dispatch_service.find_dispatch(dispatch_ref) if ref_fits_db(dispatch_ref) else None
        if dispatch is None or not permissions.can_view_dispatch(user(), dispatch):
            errors.append("Không tìm thấy công văn cần lọc; đã bỏ qua.")
            dispatch, dispatch_ref = None, ""
    shown["dispatch"], values["dispatch"] = dispatch_ref, dispatch
    for name, label in (("deadline_from", "Hạn từ ngày"), ("deadline_to", "Hạn đến ngày")):
        parsed = parse_date(args.get(name))
        if parsed is False:
            errors.append(f"{label} không hợp lệ (dùng dạng ngày/tháng/năm); đã bỏ qua.")
            parsed = None
        shown[name] = parsed.isoformat() if parsed else ""
        values[name] = None if parsed is None else (day_start(parsed) if name == "deadline_from" else day_end(parsed))
    warning = param(args, "warning")
    if warning and warning not in WARNING_CHOICES:
        errors.append("Mức cảnh báo không hợp lệ; đã bỏ qua.")
        warning = ""
    shown["warning"], values["warning"] = warning, warning or None
    sort = param(args, "sort") or "deadline"
    if sort not in SORTS:
        errors.append("Cách sắp xếp không hợp lệ; sắp theo thời hạn.")
        sort = "deadline"
    shown["sort"] = sort
    per_page = parse_int(args.get("per_page"), PER_PAGE_CHOICES[0])
    if per_page not in PER_PAGE_CHOICES:
        errors.append("Số dòng mỗi trang không hợp lệ; dùng 20.")
        per_page = PER_PAGE_CHOICES[0]
    shown["per_page"] = per_page
    page = parse_int(args.get("page"), 1, maximum=1_000_000)
    if page is None:
        errors.append("Số trang không hợp lệ; hiển thị trang đầu.")
        page = 1
    shown["page"] = page
    return values, shown, errors


@bp.get("/tasks")
def task_list():
    actor, at = user(), now()
    values, shown, errors = parse_filters(request.args)
    for message in errors:
        flash(message, "warning")
    query = queries.task_query(actor, now=at, **values)
    order = SORTS[shown["sort"]][1]
    if shown["sort"] == "status" and values["status"]:
        order = order[1:]  # one status: the status order is constant, and the index gives the rest in order
    total = queries.task_total(actor, query, now=at, **values)
    search = bool(queries.search_words(values["q"]))
    result = queries.paginate(query, shown["page"], shown["per_page"], order, total=total, search=search, views=True)
    if result.total and shown["page"] > result.pages:
        result = queries.paginate(query, result.pages, shown["per_page"], order, total=total, search=search,
                                  views=True)
    dispatches = list(db.session.scalars(
        queries.dispatch_query(actor).where(Dispatch.status != "draft")
        .order_by(Dispatch.issued_on.desc().nulls_last(), Dispatch.id.desc())))
    filter_args = {k: v for k, v in shown.items() if v and k != "page"}
    export_args = {k: v for k, v in filter_args.items() if k != "per_page"}
    return render_template(
        "tasks/list.html", result=result, shown=shown, filter_args=filter_args,
        statuses=STATUS_CHOICES, warnings=WARNING_CHOICES, sorts={k: v[0] for k, v in SORTS.items()},
        per_page_choices=PER_PAGE_CHOICES, units=unit_choices(blank="Tất cả đơn vị"), dispatches=dispatches,
        warning=lambda t: task_warning(t, at), at=at, export_args=export_args,
        bulk=permissions.can_manage_dispatches(actor),
        filtered=any(shown[k] for k in ("q", "status", "unit", "dispatch", "deadline_from", "deadline_to",
                                         "warning")),
    ), (400 if errors else 200)


def available_actions(actor, task: Task) -> list[str]:
    """The events this user may fire on this task now, in the machine's order."""
    if task.dispatch is not None and task.dispatch.status == "draft":
        return []
    events = []
    for event in allowed_events(TASK_MACHINE, task.status):
        if event == "mark_overdue" or event not in EVENT_FORMS or not permissions.can_fire(actor, task, event):
            continue
        if event == "request_extension" and task.has_pending_extension:
            continue
        if event == "reject_extension" and not task.has_pending_extension:
            continue
        events.append(event)
    return events


def _render_task(task: Task, *, bound: dict | None = None, status: int = 200):
    actor, at = user(), now()
    actions = []
    for event in available_actions(actor, task):
        form = (bound or {}).get(event) or EVENT_FORMS[event](formdata=None)
        form.version.data = str(task.version)
        if event == "approve_extension" and not task.has_pending_extension:
            label = ("Gia hạn thời hạn", "warning")
        else:
            label = ACTION_STYLES[event]
        actions.append({"event": event, "title": EVENT_LABELS.get(event, event), "button": label[0],
                        "style": label[1], "form": form, "open": event in (bound or {})})
    return render_template(
        "tasks/detail.html", task=task, actions=actions, events=list(task.events), at=at,
        warning=task_warning(task, at), late=task.is_late(at), days_late=queries.days_late(task, at),
        missing=task.missing_six_clear()), status


@bp.get("/tasks/<int:task_id>")
def task_detail(task_id: int):
    if not fits_db(task_id):
        abort(404)
    task = task_service.get_task(user(), task_id)
    return _render_task(task, bound=_kept_forms(task_id))


def _kept_forms(task_id: int) -> dict | None:
    """The action form typed before a refusal or a sign-in, filled in again (``pending``)."""
    page = url_for("web.task_detail", task_id=task_id)
    kept = pending.take(page, action_prefix=page + "/events/")
    if kept is None:
        return None
    event = kept[0].rsplit("/", 1)[-1]
    form_class = EVENT_FORMS.get(event)
    if form_class is None:
        return None
    form = form_class(formdata=kept[1])
    return {event: form}


def _refused(task_id: int, message: str | None = None):
    """Post/Redirect/Get after a refused action: the message, the typed form kept for the task page."""
    if message:
        flash(message, "danger")
    pending.stash(request.path, url_for("web.task_detail", task_id=task_id))
    return redirect(url_for("web.task_detail", task_id=task_id) + "#thao-tac", code=303)


@bp.post("/tasks/<int:task_id>/events/<event>")
def task_event(task_id: int, event: str):
    actor = user()
    form_class = EVENT_FORMS.get(event)
    if form_class is None or not fits_db(task_id):
        abort(404)
    task = task_service.get_task(actor, task_id)  # NotFound → 404 page
    form = form_class()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _refused(task_id)
    version = parse_int(form.version.data, 0, minimum=0)
    if version is None:
        flash("Phiên bản của nhiệm vụ không hợp lệ; hãy tải lại trang.", "danger")
        return redirect(url_for("web.task_detail", task_id=task_id))
    fields = {name: getattr(form, name).data for name in ("note", "evidence_number", "evidence_date",
                                                          "evidence_note") if hasattr(form, name)}
    for name in ("note", "evidence_number", "evidence_note"):
        if name in fields:
            fields[name] = (fields[name] or "").strip() or None
    deadline = local_datetime(form.deadline.data) if hasattr(form, "deadline") else None
    try:
        task_service.fire_event(actor, task_id, event, version=version, now=now(), deadline=deadline, **fields)
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        return _refused(task_id, exc.message)
    flash(f"Đã ghi nhận: {EVENT_LABELS.get(event, event)}.", "success")
    return redirect(url_for("web.task_detail", task_id=task_id), code=303)

