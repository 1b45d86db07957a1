"""Pages of the collaboration on a task (issue 15): files, comments and the person assigned on
the task page (merged into its timeline), "Việc của tôi", the notifications with their bell, the
e-mail preferences and the unit's daily digest."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from models import Task
from models.collab import ATTACHMENT_PURPOSES
from workflow import permissions, queries
from workflow.errors import DomainError
from workflow.services import assignments as assignment_service
from workflow.services import attachments as attachment_service
from workflow.services import comments as comment_service
from workflow.services import notifications as notification_service
from workflow.services import tasks as task_service
from workflow.web import bp, flash_error
from workflow.web.forms import REQUIRED, Form
from workflow.web.helpers import flash_form_errors, now, param, safe_next, task_warning, user


# --- Forms ------------------------------------------------------------------------------------

class CommentForm(Form):
    body = TextAreaField("Ý kiến", validators=[DataRequired(REQUIRED), Length(max=comment_service.MAX_LENGTH)],
                         render_kw={"rows": 3},
                         description="Nhắc đơn vị bằng mã (@so-tai-chinh), nhắc người bằng tên đăng nhập (@nguyenvana).")


class AttachmentForm(Form):
    file = FileField("Tệp")
    purpose = SelectField("Loại", choices=list(ATTACHMENT_PURPOSES.items()), default="task")
    note = StringField("Ghi chú", validators=[Length(max=1000)])


class AssignForm(Form):
    person = SelectField("Người phụ trách", choices=[], validate_choice=False)
    note = StringField("Ghi chú", validators=[Length(max=1000)])


class ReadForm(Form):
    key = HiddenField()
    next = HiddenField()


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PreferencesForm(Form):
    email = StringField("Địa chỉ e-mail nhận thông báo", validators=[Optional(), Length(max=255)])
    kinds = MultiCheckboxField("Gửi qua e-mail các loại", choices=list(notification_service.KINDS.items()))


# --- The task page's collaboration block (called from templates/tasks/detail.html) -------------

@dataclass
class TimelineEntry:
    kind: str  # event, comment, attachment, assignment
    at: datetime
    obj: object
    order: int


def build_timeline(events, comments, attachments, assignments) -> list[TimelineEntry]:
    """History, comments, files and assignments of a task, newest first."""
    entries = [TimelineEntry("event", e.at, e, e.id) for e in events]
    entries += [TimelineEntry("comment", c.created_at, c, c.id) for c in comments]
    entries += [TimelineEntry("attachment", a.created_at, a, a.id) for a in attachments]
    entries += [TimelineEntry("assignment", a.at, a, a.id) for a in assignments]
    rank = {"event": 0, "assignment": 1, "attachment": 2, "comment": 3}
    return sorted(entries, key=lambda e: (e.at, rank[e.kind], e.order), reverse=True)


def task_collab(task: Task, events) -> dict:
    """What the task page shows of the collaboration: the merged timeline, the files, the person
    assigned, and the forms the signed-in user may use (bound ones after a refused submit)."""
    actor = user()
    bound = request.environ.get("workflow.collab_forms", {})
    attachments = attachment_service.attachments_of(task.id)
    assignments = assignment_service.assignments_of(task.id)
    current = assignments[-1] if assignments else None
    data = {
        "timeline": build_timeline(events, comment_service.comments_of(task.id), attachments, assignments),
        "attachments": attachments,
        "assignee": current.user if current is not None else None,
        "comment_form": None, "attachment_form": None, "assign_form": None,
    }
    if permissions.can_comment(actor, task):
        data["comment_form"] = bound.get("comment") or CommentForm(formdata=None)
    if permissions.can_attach(actor, task):
        form = bound.get("attachment") or AttachmentForm(formdata=None)
        form.file.description = (f"{attachment_service.ACCEPTED_TEXT}; "
                                  f"tối đa {attachment_service.max_bytes() // (1024 * 1024)} MB.")
        if not permissions.can_attach(actor, task, "completion"):
            form.purpose.choices = [("task", ATTACHMENT_PURPOSES["task"])]
        data["attachment_form"] = form
    if permissions.can_assign_person(actor, task):
        form = bound.get("assign") or AssignForm(formdata=None)
        form.person.choices = [("", "— Chưa phân công —")] + [
            (p.username, f"{p.full_name or p.username} ({p.username})")
            for p in assignment_service.unit_people(task.lead_unit_id)]
        if form.person.data is None and current is not None and current.user is not None:
            form.person.data = current.user.username
        data["assign_form"] = form
    return data


def unread_notifications() -> int:
    """The bell's count, once per request."""
    if not current_user.is_authenticated:
        return 0
    cache = request.environ  # per request (``g`` may outlive one request in tests)
    if "workflow.unread_notifications" not in cache:
        cache["workflow.unread_notifications"] = notification_service.unread_count(user(), now())
    return cache["workflow.unread_notifications"]


@bp.app_context_processor
def _collab_globals():
    return {"task_collab": task_collab, "unread_notifications": unread_notifications,
            "notification_kinds": notification_service.KINDS}


def _back_to_task(task_id: int, anchor: str = ""):
    return redirect(url_for("web.task_detail", task_id=task_id) + anchor, code=303)


def _refused(task_id: int, name: str, form, status: int):
    """Show the task page again with the form as typed (and the flashed reason)."""
    from workflow.web.views.tasks import _render_task

    request.environ["workflow.collab_forms"] = {name: form}
    return _render_task(task_service.get_task(user(), task_id), status=status)


# --- Task page actions ------------------------------------------------------------------------

@bp.post("/tasks/<int:task_id>/comments")
def task_comment(task_id: int):
    actor = user()
    task = task_service.get_task(actor, task_id)
    if not permissions.can_comment(actor, task):
        abort(403)
    form = CommentForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _refused(task_id, "comment", form, 400)
    try:
        comment_service.add_comment(actor, task_id, form.body.data, now=now())
    except DomainError as exc:
        flash_error(exc)
        return _refused(task_id, "comment", form, exc.status)
    flash("Đã gửi ý kiến.", "success")
    return _back_to_task(task_id, "#lich-su")


@bp.post("/tasks/<int:task_id>/attachments")
def task_attachment(task_id: int):
    actor = user()
    task = task_service.get_task(actor, task_id)
    if not permissions.can_attach(actor, task):
        abort(403)
    form = AttachmentForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _refused(task_id, "attachment", form, 400)
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        flash("Hãy chọn tệp cần đính kèm.", "danger")
        return _refused(task_id, "attachment", form, 400)
    limit = attachment_service.max_bytes()
    data = upload.read(limit + 1)
    try:
        if len(data) > limit:
            from workflow.errors import PayloadTooLarge

            raise PayloadTooLarge(f"Tệp quá lớn (tối đa {limit // (1024 * 1024)} MB).")
        attachment = attachment_service.add_attachment(actor, task_id, filename=upload.filename, data=data,
                                                       now=now(), purpose=form.purpose.data, note=form.note.data)
    except DomainError as exc:
        flash_error(exc)
        return _refused(task_id, "attachment", form, exc.status)
    flash(f"Đã đính kèm tệp “{attachment.filename}”.", "success")
    return _back_to_task(task_id, "#tep-dinh-kem")


@bp.get("/attachments/<int:attachment_id>")
def attachment_download(attachment_id: int):
    from workflow.api.collab import attachment_response

    attachment, data = attachment_service.get_attachment(user(), attachment_id)
    return attachment_response(attachment, data)


@bp.post("/tasks/<int:task_id>/assignee")
def task_assign(task_id: int):
    actor = user()
    task = task_service.get_task(actor, task_id)
    if not permissions.can_assign_person(actor, task):
        abort(403)
    form = AssignForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _refused(task_id, "assign", form, 400)
    try:
        assignment = assignment_service.assign_person(actor, task_id, (form.person.data or "").strip() or None,
                                                      now=now(), note=form.note.data)
    except DomainError as exc:
        flash_error(exc)
        return _refused(task_id, "assign", form, exc.status)
    if assignment.user is not None:
        flash(f"Đã phân công {assignment.user.full_name or assignment.user.username} phụ trách nhiệm vụ.", "success")
    else:
        flash("Đã bỏ phân công người phụ trách.", "success")
    return _back_to_task(task_id)


# --- Việc của tôi -----------------------------------------------------------------------------

@bp.get("/my-tasks")
def my_tasks():
    actor, at = user(), now()
    query = assignment_service.my_tasks_query(actor)
    open_first = (Task.status == "completed", Task.deadline.asc().nulls_last(), Task.id.asc())
    result = queries.paginate(query, 1, 500, open_first)
    return render_template("tasks/mine.html", tasks=result.items, total=result.total, at=at,
                           warning=lambda t: task_warning(t, at))


# --- Notifications ----------------------------------------------------------------------------

@bp.get("/notifications")
def notifications():
    actor = user()
    items = notification_service.derive(actor, now())
    kind = param(request.args, "kind", 20)
    if kind and kind not in notification_service.KINDS:
        flash("Loại thông báo không hợp lệ; hiển thị tất cả.", "warning")
        kind = ""
    shown = [n for n in items if not kind or n.kind == kind]
    return render_template("notifications/list.html", notes=shown, unread=sum(1 for n in items if not n.read),
                           kind=kind, days=current_app.config.get("NOTIFICATION_DAYS", 30))


@bp.post("/notifications/read")
def notifications_read():
    form = ReadForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("web.notifications"), code=303)
    key = (form.key.data or "").strip()
    try:
        if key:
            notification_service.mark_read(user(), now(), keys=[key])
        else:
            notification_service.mark_read(user(), now(), everything=True)
            flash("Đã đánh dấu tất cả thông báo là đã đọc.", "success")
    except DomainError as exc:
        flash_error(exc)
    target = safe_next(form.next.data) or url_for("web.notifications")
    return redirect(target, code=303)


@bp.route("/notifications/settings", methods=["GET", "POST"])
def notification_settings():
    actor = user()
    form = PreferencesForm()
    if request.method == "GET":
        form.email.data, form.kinds.data = notification_service.preferences(actor)
        return render_template("notifications/settings.html", form=form)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return render_template("notifications/settings.html", form=form), 400
    try:
        notification_service.save_preferences(actor, email=form.email.data, kinds=form.kinds.data)
    except DomainError as exc:
        flash_error(exc)
        return render_template("notifications/settings.html", form=form), exc.status
    flash("Đã lưu cài đặt thông báo qua e-mail.", "success")
    return redirect(url_for("web.notification_settings"), code=303)


@bp.get("/notifications/digest")
def notification_digest():
    """The daily e-mail digest of a unit (what ``send-reminders`` sends), as a page."""
    from workflow.services.reminders import compose, digest_for_unit
    from workflow.web.helpers import unit_choices

    actor, at = user(), now()
    code = param(request.args, "unit", 120)
    unit = None
    if actor.role == "department":
        unit = actor.unit
        if code and (unit is None or code != unit.code):
            abort(403)
    elif code:
        unit = queries.unit_by_code(code)
        if unit is None:
            flash("Không tìm thấy đơn vị; hãy chọn lại.", "warning")
    digest = digest_for_unit(unit, at) if unit is not None else None
    message = None
    if digest is not None:
        recipients = [a.strip() for a in (unit.email or "").split(",") if a.strip()]
        message = compose(digest, "nhacviec", recipients or ["(đơn vị chưa có địa chỉ e-mail)"])
    return render_template("notifications/digest.html", unit=unit, digest=digest, at=at,
                           subject=message["Subject"] if message else None,
                           body=message.get_content() if message else None,
                           units=None if actor.role == "department" else unit_choices(blank="— Chọn đơn vị —"),
                           code=unit.code if unit else "")


@bp.app_template_filter("filesize")
def _filesize(size) -> str:
    """``820 KB``, ``1,4 MB`` (decimal comma)."""
    try:
        size = int(size)
    except (TypeError, ValueError):
        return "—"
    if size < 1024:
        return f"{size} byte"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f}".replace(".", ",") + " MB"
