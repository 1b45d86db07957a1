"""Dispatches: the list, one dispatch with its tasks, and the office's drafting and issuing."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from models import Dispatch, Task
from workflow import permissions, queries
from workflow.errors import DomainError
from workflow.extensions import db
from workflow.services import dispatches as dispatch_service
from workflow.services import tasks as task_service
from workflow.web import bp, flash_error, pending, reads
from workflow.web.forms import DispatchForm, IssueForm, TaskForm, lines
from workflow.web.helpers import (fits_db, flash_form_errors, local_datetime, now, param, parse_int, ref_fits_db,
                                  require, task_warning, unit_choices, units_sorted, user)

PER_PAGE = 20
STATUS_FILTERS = {"draft": "Dự thảo", "issued": "Đã ban hành", "closed": "Đã kết thúc"}


@bp.get("/dispatches")
def dispatch_list():
    actor, at = user(), now()
    args = request.args
    status_code = 200
    q = param(args, "q")
    status = param(args, "status")
    allowed_statuses = STATUS_FILTERS if permissions.can_manage_dispatches(actor) else \
        {k: v for k, v in STATUS_FILTERS.items() if k != "draft"}
    if status and status not in allowed_statuses:
        flash("Trạng thái lọc không hợp lệ; đã bỏ qua.", "warning")
        status, status_code = "", 400
    page = parse_int(args.get("page"), 1, maximum=100000)
    if page is None:
        flash("Số trang không hợp lệ; hiển thị trang đầu.", "warning")
        page, status_code = 1, 400
    query = queries.dispatch_query(actor, q=q or None, status=status or None)
    # A department sees first the dispatches that give its unit something to do.
    mine_only = actor.role == "department" and args.get("all") != "1"
    if mine_only:
        query = query.where(Dispatch.id.in_(queries.task_query(actor).with_only_columns(Task.dispatch_id)))
    order = (Dispatch.issued_on.desc().nulls_first(), Dispatch.id.desc())
    result = queries.paginate(query, page, PER_PAGE, order)
    if result.total and page > result.pages:
        result = queries.paginate(query, result.pages, PER_PAGE, order)
    ids = [d.id for d in result.items]
    counts = queries.dispatch_counts(ids, actor)
    late = reads.dispatch_late_counts(ids, actor, at)
    return render_template("dispatches/list.html", result=result, counts=counts, late=late, q=q, status=status,
                           statuses=allowed_statuses, can_create=permissions.can_manage_dispatches(actor),
                           mine_only=mine_only, department=actor.role == "department"), status_code


def _task_form() -> TaskForm:
    form = TaskForm()
    form.lead_unit.choices = unit_choices(blank="— Chọn đơn vị chủ trì —")
    form.coordinating.choices = unit_choices()
    return form


def _groups(tasks: list[Task], at) -> list[tuple[str, str, list[Task]]]:
    """Tasks grouped as the office reads them: late first (swept or not), then by state."""
    groups = {"late": [], "in_progress": [], "assigned": [], "completed": []}
    for task in tasks:
        key = "late" if task.is_late(at) else task.status
        groups.setdefault(key, []).append(task)
    labels = {"late": ("Trễ hạn", "danger"), "in_progress": ("Đang thực hiện", "primary"),
              "assigned": ("Đã giao, chưa bắt đầu", "secondary"), "completed": ("Đã hoàn thành", "success")}
    return [(labels[k][0], labels[k][1], v) for k, v in groups.items() if v]


def _render_detail(dispatch: Dispatch, *, task_form: TaskForm | None = None, issue_form: IssueForm | None = None,
                   status: int = 200):
    actor, at = user(), now()
    query = queries.task_query(actor, dispatch=dispatch, include_drafts=True).order_by(Task.id)
    tasks = list(db.session.scalars(query.options(*reads.TASK_LOADS)))
    counts = queries.dispatch_counts([dispatch.id], actor)[dispatch.id]
    office = permissions.can_manage_dispatches(actor)
    can_add = office and dispatch.status != "closed"
    if can_add and task_form is None:
        task_form = _task_form()
    if office and dispatch.status == "draft" and issue_form is None:
        issue_form = IssueForm()
    return render_template(
        "dispatches/detail.html", dispatch=dispatch, groups=_groups(tasks, at), tasks=tasks, counts=counts,
        late=sum(1 for t in tasks if t.is_late(at)), task_form=task_form if can_add else None,
        issue_form=issue_form if office and dispatch.status == "draft" else None,
        warning=lambda t: task_warning(t, at), at=at), status


@bp.get("/dispatches/<path:ref>")
def dispatch_detail(ref: str):
    if not ref_fits_db(ref):
        abort(404)
    dispatch = dispatch_service.get_dispatch(user(), ref[:200])
    task_form = None
    kept = pending.take(request.path, action_prefix=f"/dispatches/{dispatch.id}/tasks")
    if kept is not None and permissions.can_manage_dispatches(user()):
        task_form = TaskForm(formdata=kept[1])  # typed before the session ended: filled in again
        task_form.lead_unit.choices = unit_choices(blank="— Chọn đơn vị chủ trì —")
        task_form.coordinating.choices = unit_choices()
    return _render_detail(dispatch, task_form=task_form)


def _dispatch_by_id(dispatch_id: int) -> Dispatch:
    if not fits_db(dispatch_id):
        abort(404)
    return dispatch_service.get_dispatch(user(), str(dispatch_id))


@bp.route("/dispatches/new", methods=["GET", "POST"])
def dispatch_new():
    actor = user()
    require(permissions.can_manage_dispatches(actor))
    form = DispatchForm()
    issuers = [u for u in units_sorted() if u.kind == "party"] + \
              [u for u in units_sorted() if u.kind != "party" and u.kind != "commune"]
    form.issuer.choices = [(u.code, u.name) for u in issuers]
    if request.method == "GET":
        default = actor.unit.parent if actor.unit is not None and actor.unit.parent is not None else None
        form.issuer.data = default.code if default is not None else "tinh-uy"
        return render_template("dispatches/new.html", form=form)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return render_template("dispatches/new.html", form=form), 400
    try:
        dispatch = dispatch_service.create_dispatch(
            actor, issuer=form.issuer.data, subject=form.subject.data, symbol=form.symbol.data,
            recipients=lines(form.recipients.data), distribution=lines(form.distribution.data),
            references=lines(form.references.data), signing_authority=form.signing_authority.data or "",
            signer_title=form.signer_title.data or "", signer_name=form.signer_name.data or "", now=now())
    except DomainError as exc:
        flash_error(exc)
        return render_template("dispatches/new.html", form=form), exc.status
    flash("Đã tạo dự thảo công văn. Hãy thêm các nhiệm vụ rồi ban hành.", "success")
    return redirect(url_for("web.dispatch_detail", ref=dispatch.reference))


@bp.post("/dispatches/<int:dispatch_id>/tasks")
def dispatch_add_task(dispatch_id: int):
    actor = user()
    require(permissions.can_manage_dispatches(actor))
    dispatch = _dispatch_by_id(dispatch_id)
    form = _task_form()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _render_detail(dispatch, task_form=form, status=400)
    try:
        task = task_service.create_task(
            actor, dispatch_ref=str(dispatch.id), title=form.title.data, lead_unit=form.lead_unit.data,
            coordinating=form.coordinating.data or [], deadline=local_datetime(form.deadline.data),
            deadline_text=(form.deadline_text.data or "").strip() or None, item=form.item.data or "",
            product=form.product.data or None, person_in_charge=form.person_in_charge.data or None,
            authority=form.authority.data or None, now=now())
    except DomainError as exc:
        flash_error(exc)
        return _render_detail(dispatch, task_form=form, status=exc.status)
    flash(f"Đã thêm nhiệm vụ {task.item or ''} cho {task.lead_unit.name}.".replace("  ", " "), "success")
    return redirect(url_for("web.dispatch_detail", ref=dispatch.reference) + "#nhiem-vu")


@bp.post("/dispatches/<int:dispatch_id>/issue")
def dispatch_issue(dispatch_id: int):
    actor = user()
    require(permissions.can_manage_dispatches(actor))
    dispatch = _dispatch_by_id(dispatch_id)
    form = IssueForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _render_detail(dispatch, issue_form=form, status=400)
    try:
        dispatch = dispatch_service.issue_dispatch(actor, str(dispatch.id), now=now(), issued_on=form.issued_on.data)
    except DomainError as exc:
        flash_error(exc)
        return redirect(url_for("web.dispatch_detail", ref=dispatch.reference))
    flash(f"Đã ban hành {dispatch.display_name}; các đơn vị đã nhận nhiệm vụ.", "success")
    return redirect(url_for("web.dispatch_detail", ref=dispatch.reference))

