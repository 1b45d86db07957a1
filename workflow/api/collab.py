"""API of the collaboration on a task (issue 15): attachments, comments, the person assigned,
"my tasks" and the caller's notifications."""
from __future__ import annotations

from flask import Response, g, jsonify, request, url_for

from workflow import queries
from workflow.api import api_auth, bp, json_body, listing, pagination_args
from workflow.api.serializers import iso, task_json, unit_ref
from workflow.api.views import request_now, text_field
from workflow.errors import PayloadTooLarge, UnsupportedType, ValidationError
from workflow.services import assignments as assignment_service
from workflow.services import attachments as attachment_service
from workflow.services import comments as comment_service
from workflow.services import notifications as notification_service
from workflow.services import tasks as task_service


def user_ref(user) -> dict | None:
    return None if user is None else {"username": user.username, "full_name": user.full_name}


def attachment_json(a) -> dict:
    return {
        "id": a.id, "task": a.task_id, "filename": a.filename, "purpose": a.purpose,
        "purpose_label": a.purpose_label, "file_type": a.file_type, "content_type": a.content_type,
        "size": a.size, "sha256": a.sha256, "note": a.note, "uploaded_by": user_ref(a.uploaded_by),
        "unit": unit_ref(a.unit), "created_at": iso(a.created_at),
        "url": url_for("api.download_attachment", attachment_id=a.id),
    }


def comment_json(c) -> dict:
    return {
        "id": c.id, "task": c.task_id, "body": c.body, "author": user_ref(c.author), "unit": unit_ref(c.unit),
        "capacity": c.capacity, "capacity_label": c.capacity_label, "created_at": iso(c.created_at),
        "mentions": {"units": [m.unit.code for m in c.mentions if m.unit is not None],
                     "users": [m.user.username for m in c.mentions if m.user is not None]},
    }


def notification_json(n) -> dict:
    return {"key": n.key, "kind": n.kind, "kind_label": n.kind_label, "text": n.text, "at": iso(n.at),
            "read": n.read, "actor": n.actor,
            "task": {"id": n.task_id, "item": n.task_item, "title": n.task_title},
            "url": url_for("web.task_detail", task_id=n.task_id)}


def assignment_json(a) -> dict | None:
    if a is None:
        return None
    return {"user": user_ref(a.user), "assigned_by": user_ref(a.assigned_by), "note": a.note, "at": iso(a.at)}


def current_assignee_json(task_id: int) -> dict | None:
    """The person the lead unit assigned (``{username, full_name}``), or None."""
    current = assignment_service.current_assignment(task_id)
    return user_ref(current.user) if current is not None else None


@bp.get("/tasks/<int:task_id>/attachments")
@api_auth
def list_attachments(task_id: int):
    items = attachment_service.list_attachments(g.api_user, task_id)
    return jsonify({"items": [attachment_json(a) for a in items], "total": len(items)})


@bp.post("/tasks/<int:task_id>/attachments")
@api_auth
def upload_attachment(task_id: int):
    from workflow import permissions

    # 404 for a task one cannot see, 403 for one that is only read, before reading any body.
    permissions.require_attach(g.api_user, task_service.get_task(g.api_user, task_id))
    limit = attachment_service.max_bytes()
    if request.mimetype != "multipart/form-data":
        raise UnsupportedType("Gửi tệp dưới dạng multipart/form-data, trong trường \"file\".")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationError("Thiếu tệp trong trường \"file\".")
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"Tệp quá lớn (tối đa {limit // (1024 * 1024)} MB).")
    form = request.form
    attachment = attachment_service.add_attachment(
        g.api_user, task_id, filename=upload.filename, data=data, now=request_now(),
        purpose=(form.get("purpose") or "task").strip(), note=form.get("note"))
    response = jsonify(attachment_json(attachment))
    response.status_code = 201
    response.headers["Location"] = url_for("api.download_attachment", attachment_id=attachment.id)
    return response


@bp.get("/attachments/<int:attachment_id>")
@api_auth
def download_attachment(attachment_id: int):
    attachment, data = attachment_service.get_attachment(g.api_user, attachment_id)
    return attachment_response(attachment, data)


def attachment_response(attachment, data: bytes) -> Response:
    """The file as a download (never shown inline), its type fixed by what was checked on upload."""
    response = Response(data, mimetype=attachment.content_type)
    response.headers["Content-Disposition"] = attachment_service.content_disposition(attachment.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["ETag"] = f"\"{attachment.sha256}\""
    return response


@bp.get("/tasks/<int:task_id>/comments")
@api_auth
def list_comments(task_id: int):
    items = comment_service.list_comments(g.api_user, task_id)
    return jsonify({"items": [comment_json(c) for c in items], "total": len(items)})


@bp.post("/tasks/<int:task_id>/comments")
@api_auth
def add_comment(task_id: int):
    data = json_body()
    comment = comment_service.add_comment(g.api_user, task_id, text_field(data, "body", required=True),
                                          now=request_now())
    response = jsonify(comment_json(comment))
    response.status_code = 201
    return response


@bp.post("/tasks/<int:task_id>/assignee")
@api_auth
def assign_person(task_id: int):
    data = json_body()
    if "user" not in data:
        raise ValidationError("Cần trường \"user\": tên đăng nhập của người phụ trách, hoặc null để bỏ phân công.")
    username = data.get("user")
    if username is not None and not isinstance(username, str):
        raise ValidationError("Trường \"user\" phải là tên đăng nhập hoặc null.")
    if isinstance(username, str) and len(username) > 80:
        raise ValidationError("Tên đăng nhập quá dài.")
    assignment = assignment_service.assign_person(g.api_user, task_id, username or None, now=request_now(),
                                                  note=text_field(data, "note", max_length=1000))
    return jsonify({"task": task_id, "assignee": assignment_json(assignment)})


@bp.get("/my-tasks")
@api_auth
def my_tasks():
    from models import Task

    page, per_page = pagination_args()
    now = request_now()
    query = assignment_service.my_tasks_query(g.api_user)
    page_obj = queries.paginate(query, page, per_page, (Task.deadline.asc().nulls_last(), Task.id.asc()))
    return jsonify(listing(page_obj, [task_json(t, now) for t in page_obj.items]))


@bp.get("/notifications")
@api_auth
def list_notifications():
    page, per_page = pagination_args()
    unread_only = request.args.get("unread") in ("1", "true")
    items = notification_service.derive(g.api_user, request_now())
    unread = sum(1 for n in items if not n.read)
    if unread_only:
        items = [n for n in items if not n.read]
    start = (page - 1) * per_page
    return jsonify({"items": [notification_json(n) for n in items[start:start + per_page]], "total": len(items),
                    "unread": unread, "page": page, "per_page": per_page})


@bp.post("/notifications/read")
@api_auth
def read_notifications():
    data = json_body()
    everything = data.get("all")
    if everything is not None and not isinstance(everything, bool):
        raise ValidationError("\"all\" phải là true hoặc false.")
    unread = notification_service.mark_read(g.api_user, request_now(), keys=data.get("keys"),
                                            everything=bool(everything))
    return jsonify({"unread": unread})
