"""Administration of public holidays (working-day counts skip them)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from workflow import permissions
from workflow.errors import DomainError
from workflow.services import holidays as service
from workflow.web import bp, flash_error
from workflow.web.forms import ConfirmForm, HolidayForm
from workflow.web.helpers import flash_form_errors, require, user


def _page(form: HolidayForm | None = None, status: int = 200):
    return render_template("admin/holidays.html", holidays=service.holidays_of(), form=form or HolidayForm(),
                           confirm=ConfirmForm()), status


@bp.get("/admin/holidays")
def admin_holidays():
    require(permissions.can_admin(user()))
    return _page()


@bp.post("/admin/holidays")
def admin_add_holiday():
    require(permissions.can_admin(user()))
    form = HolidayForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _page(form, 400)
    try:
        holiday = service.add_holiday(user(), form.day.data, form.name.data)
    except DomainError as exc:
        flash_error(exc)
        return _page(form, exc.status)
    flash(f"Đã thêm ngày nghỉ {holiday.date:%d/%m/%Y}: {holiday.name}.", "success")
    return redirect(url_for("web.admin_holidays"))


@bp.post("/admin/holidays/<int:holiday_id>/delete")
def admin_remove_holiday(holiday_id: int):
    require(permissions.can_admin(user()))
    if not ConfirmForm().validate_on_submit():
        flash("Phiên làm việc đã hết hạn; hãy thử lại.", "danger")
        return _page(status=400)
    try:
        service.remove_holiday(user(), holiday_id)
    except DomainError as exc:
        flash_error(exc)
        return redirect(url_for("web.admin_holidays"))
    flash("Đã xóa ngày nghỉ.", "success")
    return redirect(url_for("web.admin_holidays"))
