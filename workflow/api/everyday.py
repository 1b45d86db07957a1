"""API of the everyday features (issue 15): editing a draft before issue, deciding many extension
requests at once, the calendar of deadlines, an administrator's account edits. Same conventions as
the rest of /api/v1 (JSON errors in Vietnamese, visibility and permissions of the services)."""
from __future__ import annotations

from collections import defaultdict

from flask import g, jsonify, request

from models import Task, User
from workflow import queries
from workflow.api import api_auth, bp, json_body
from workflow.api.serializers import dispatch_json, task_json, unit_ref
from workflow.api.views import parse_deadline_value, request_now, text_field
from workflow.clock import to_local
from workflow.errors import NotFound, ValidationError
from workflow.extensions import db
from workflow.services import bulk as bulk_service
from workflow.services import drafts as draft_service
from workflow.services import users as user_service
from workflow.services.dispatches import get_dispatch


def _lines(data: dict, name: str, current: list) -> list:
    if name not in data:
        return list(current or [])
    value = data[name]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or len(value) > 500:
        raise ValidationError(f"{name} phải là danh sách các dòng.")
    return value


def _text(data: dict, name: str, current, max_length: int = 5000):
    return text_field(data, name, max_length=max_length) if name in data else current


@bp.patch("/dispatches/<int:dispatch_id>")
@api_auth
def update_draft(dispatch_id: int):
    """Office: correct a draft's header (fields not sent are kept)."""
    data = json_body()
    dispatch = get_dispatch(g.api_user, str(dispatch_id))
    dispatch = draft_service.update_header(
        g.api_user, dispatch.id, issuer=_text(data, "issuer", dispatch.issuer.code, 120) or "",
        subject=_text(data, "subject", dispatch.subject, 2000) or "", symbol=_text(data, "symbol", dispatch.symbol, 40) or "",
        recipients=_lines(data, "recipients", dispatch.recipients),
        distribution=_lines(data, "distribution", dispatch.distribution),
        references=_lines(data, "references", dispatch.references),
        signing_authority=_text(data, "signing_authority", dispatch.signing_authority, 120) or "",
        signer_title=_text(data, "signer_title", dispatch.signer_title, 120) or "",
        signer_name=_text(data, "signer_name", dispatch.signer_name, 120) or "", now=request_now())
    return jsonify(dispatch_json(dispatch, counts=queries.dispatch_counts([dispatch.id], g.api_user)[dispatch.id]))


@bp.delete("/dispatches/<int:dispatch_id>")
@api_auth
def delete_draft(dispatch_id: int):
    """Office: throw a draft away with its tasks."""
    dispatch = get_dispatch(g.api_user, str(dispatch_id))
    draft_service.delete_draft(g.api_user, dispatch.id)
    return jsonify({"deleted": dispatch_id})


def _draft_task(task_id: int) -> Task:
    from workflow.services.tasks import get_task

    return get_task(g.api_user, task_id)


@bp.patch("/tasks/<int:task_id>")
@api_auth
def update_draft_task(task_id: int):
    """Office: correct a task of a draft (fields not sent are kept; a new ``deadline_text`` without
    ``deadline`` is read again)."""
    data = json_body()
    task = _draft_task(task_id)
    coordinating = data.get("coordinating_units", [u.code for u in task.coordinating_units])
    if not isinstance(coordinating, list) or not all(isinstance(c, str) for c in coordinating):
        raise ValidationError("coordinating_units phải là danh sách mã đơn vị.")
    deadline_text = _text(data, "deadline_text", task.deadline_text, 300)
    if "deadline" in data:
        deadline = parse_deadline_value(data.get("deadline"))
    elif "deadline_text" in data:
        deadline = None
    else:
        deadline = task.deadline
    task = draft_service.update_task(
        g.api_user, task.dispatch_id, task.id, title=_text(data, "title", task.title) or "",
        lead_unit=_text(data, "lead_unit", task.lead_unit.code, 120) or "", coordinating=coordinating,
        deadline=deadline, deadline_text=deadline_text, item=_text(data, "item", task.item, 20) or "",
        product=_text(data, "product", task.product), person_in_charge=_text(data, "person_in_charge",
                                                                            task.person_in_charge, 200),
        authority=_text(data, "authority", task.authority, 200), now=request_now())
    return jsonify(task_json(queries.task_detail(task.id), request_now(), history=True))


@bp.delete("/tasks/<int:task_id>")
@api_auth
def delete_draft_task(task_id: int):
    """Office: remove a task from a draft."""
    task = _draft_task(task_id)
    draft_service.delete_task(g.api_user, task.dispatch_id, task.id)
    return jsonify({"deleted": task_id})


@bp.post("/tasks/extensions")
@api_auth
def decide_extensions():
    """Office: ``{"tasks": [ids], "event": "approve_extension" | "reject_extension", "note"}`` → the
    tasks changed and those refused with their reason (each task is its own change)."""
    from workflow import permissions

    permissions.require_office(g.api_user)
    data = json_body()
    ids = data.get("tasks")
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise ValidationError("tasks phải là danh sách id nhiệm vụ.")
    event = data.get("event")
    if event not in bulk_service.EXTENSION_EVENTS:
        raise ValidationError("event phải là approve_extension hoặc reject_extension.")
    result = bulk_service.decide_extensions(g.api_user, bulk_service.chosen_ids(ids), event, now=request_now(),
                                            note=text_field(data, "note", max_length=2000))
    now = request_now()
    return jsonify({"done": [task_json(t, now) for t in result.done],
                    "refused": [{"task": task_id, "error": reason} for task_id, _, reason in result.refused]})


@bp.get("/calendar")
@api_auth
def calendar():
    """``?month=2026-12&scope=mine|unit|all``: the deadlines of the month by local day."""
    from workflow.web.views.calendar import SCOPES, month_tasks

    from datetime import date

    raw = (request.args.get("month") or "").strip()
    try:
        year, month = (int(p) for p in raw.split("-", 1)) if raw else (None, None)
        first = date(year, month, 1) if raw else to_local(request_now()).date().replace(day=1)
        if not 1900 <= first.year <= 2200:
            raise ValueError
    except (ValueError, TypeError):
        raise ValidationError("month phải có dạng YYYY-MM, ví dụ 2026-12.") from None
    scope = request.args.get("scope") or ("unit" if g.api_user.role == "department" else "all")
    if scope not in SCOPES:
        raise ValidationError(f"scope phải là một trong: {', '.join(SCOPES)}.")
    now = request_now()
    days: dict[str, list] = defaultdict(list)
    for task in month_tasks(g.api_user, first, scope):
        days[to_local(task.deadline).date().isoformat()].append(task_json(task, now))
    return jsonify({"month": first.strftime("%Y-%m"), "scope": scope, "days": days,
                    "total": sum(len(v) for v in days.values())})


@bp.patch("/users/<int:user_id>")
@api_auth
def update_user(user_id: int):
    """Admin: ``{"full_name", "role", "unit"}`` (fields not sent are kept; ``unit`` null: none)."""
    from workflow import permissions

    permissions.require_admin(g.api_user)
    data = json_body()
    account = db.session.get(User, user_id) if user_id < 2**63 else None
    if account is None:
        raise NotFound("Không tìm thấy tài khoản.")
    unit = data.get("unit", account.unit.code if account.unit else None)
    if unit is not None and not isinstance(unit, str):
        raise ValidationError("unit phải là mã đơn vị hoặc null.")
    account = user_service.update_user(g.api_user, account.id,
                                       full_name=_text(data, "full_name", account.full_name, 200) or "",
                                       role=_text(data, "role", account.role, 20) or "", unit_code=unit or None)
    return jsonify({"id": account.id, "username": account.username, "full_name": account.full_name,
                    "role": account.role, "unit": unit_ref(account.unit), "active": account.active})
