"""Editing before issue (issue 15): the office corrects or deletes a draft dispatch and its tasks."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from models import Task
from workflow import permissions
from workflow.errors import DomainError
from workflow.extensions import db
from workflow.services import dispatches as dispatch_service
from workflow.services import drafts as draft_service
from workflow.web import bp, flash_error
from workflow.web.forms import DispatchForm, LogoutForm, TaskForm, lines
from workflow.web.helpers import (fits_db, flash_form_errors, local_datetime, now, require, unit_choices,
                                  units_sorted, user)


def _draft(dispatch_id: int):
    require(permissions.can_manage_dispatches(user()))
    if not fits_db(dispatch_id):
        abort(404)
    return dispatch_service.get_dispatch(user(), str(dispatch_id))


def _issuer_choices():
    units = units_sorted()
    return [(u.code, u.name) for u in units if u.kind == "party"] + \
        [(u.code, u.name) for u in units if u.kind not in ("party", "commune")]


def _detail(dispatch):
    return redirect(url_for("web.dispatch_detail", ref=dispatch.reference), code=303)


@bp.route("/dispatches/<int:dispatch_id>/edit", methods=["GET", "POST"])
def draft_edit(dispatch_id: int):
    dispatch = _draft(dispatch_id)
    if dispatch.status != "draft":
        flash("Công văn đã ban hành: không sửa được nữa.", "warning")
        return _detail(dispatch)
    form = DispatchForm()
    form.issuer.choices = _issuer_choices()
    if request.method == "GET":
        form.issuer.data, form.symbol.data, form.subject.data = dispatch.issuer.code, dispatch.symbol, dispatch.subject
        form.recipients.data = "\n".join(dispatch.recipients or [])
        form.distribution.data = "\n".join(dispatch.distribution or [])
        form.references.data = "\n".join(dispatch.references or [])
        form.signing_authority.data = dispatch.signing_authority
        form.signer_title.data, form.signer_name.data = dispatch.signer_title, dispatch.signer_name
        return render_template("drafts/edit.html", form=form, dispatch=dispatch)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return render_template("drafts/edit.html", form=form, dispatch=dispatch), 400
    try:
        draft_service.update_header(
            user(), dispatch.id, issuer=form.issuer.data, subject=form.subject.data, symbol=form.symbol.data,
            recipients=lines(form.recipients.data), distribution=lines(form.distribution.data),
            references=lines(form.references.data), signing_authority=form.signing_authority.data or "",
            signer_title=form.signer_title.data or "", signer_name=form.signer_name.data or "", now=now())
    except DomainError as exc:
        flash_error(exc)
        return render_template("drafts/edit.html", form=form, dispatch=dispatch), exc.status
    flash("Đã lưu thông tin dự thảo.", "success")
    return _detail(dispatch)


@bp.post("/dispatches/<int:dispatch_id>/delete")
def draft_delete(dispatch_id: int):
    dispatch = _draft(dispatch_id)
    if not LogoutForm().validate_on_submit():  # a form with only its CSRF token
        abort(400)
    try:
        subject = draft_service.delete_draft(user(), dispatch.id)
    except DomainError as exc:
        flash_error(exc)
        return _detail(dispatch)
    flash(f"Đã xóa dự thảo “{subject[:80]}”.", "success")
    return redirect(url_for("web.dispatch_list"), code=303)


def _task_form() -> TaskForm:
    form = TaskForm()
    form.lead_unit.choices = unit_choices(blank="— Chọn đơn vị chủ trì —")
    form.coordinating.choices = unit_choices()
    return form


def _draft_task(dispatch, task_id: int) -> Task:
    task = db.session.get(Task, task_id) if fits_db(task_id) else None
    if task is None or task.dispatch_id != dispatch.id:
        abort(404)
    return task


@bp.route("/dispatches/<int:dispatch_id>/tasks/<int:task_id>/edit", methods=["GET", "POST"])
def draft_task_edit(dispatch_id: int, task_id: int):
    dispatch = _draft(dispatch_id)
    task = _draft_task(dispatch, task_id)
    if dispatch.status != "draft":
        flash("Công văn đã ban hành: nhiệm vụ chỉ thay đổi qua các thao tác (gia hạn, mở lại…).", "warning")
        return redirect(url_for("web.task_detail", task_id=task.id), code=303)
    form = _task_form()
    if request.method == "GET":
        form.item.data, form.title.data, form.lead_unit.data = task.item, task.title, task.lead_unit.code
        form.coordinating.data = [u.code for u in task.coordinating_units]
        form.deadline_text.data = task.deadline_text
        # A deadline read from the wording is recomputed from it; one typed by hand is shown as typed.
        if not task.deadline_text and task.deadline is not None:
            from workflow.clock import to_local

            form.deadline.data = to_local(task.deadline).replace(tzinfo=None)
        form.product.data, form.person_in_charge.data, form.authority.data = \
            task.product, task.person_in_charge, task.authority
        return render_template("drafts/task_edit.html", form=form, dispatch=dispatch, task=task)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return render_template("drafts/task_edit.html", form=form, dispatch=dispatch, task=task), 400
    try:
        draft_service.update_task(
            user(), dispatch.id, task.id, title=form.title.data, lead_unit=form.lead_unit.data,
            coordinating=form.coordinating.data or [], deadline=local_datetime(form.deadline.data),
            deadline_text=form.deadline_text.data, item=form.item.data or "", product=form.product.data or None,
            person_in_charge=form.person_in_charge.data or None, authority=form.authority.data or None, now=now())
    except DomainError as exc:
        flash_error(exc)
        return render_template("drafts/task_edit.html", form=form, dispatch=dispatch, task=task), exc.status
    flash("Đã lưu nhiệm vụ.", "success")
    return redirect(url_for("web.dispatch_detail", ref=dispatch.reference) + "#nhiem-vu", code=303)


@bp.post("/dispatches/<int:dispatch_id>/tasks/<int:task_id>/delete")
def draft_task_delete(dispatch_id: int, task_id: int):
    dispatch = _draft(dispatch_id)
    task = _draft_task(dispatch, task_id)
    if not LogoutForm().validate_on_submit():
        abort(400)
    try:
        title = draft_service.delete_task(user(), dispatch.id, task.id)
    except DomainError as exc:
        flash_error(exc)
        return _detail(dispatch)
    flash(f"Đã xóa nhiệm vụ “{title[:80]}” khỏi dự thảo.", "success")
    return redirect(url_for("web.dispatch_detail", ref=dispatch.reference) + "#nhiem-vu", code=303)
