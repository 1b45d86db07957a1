"""Administration: accounts (open, close, reopen, reset a password) and the units."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from models import Unit, User
from models.unit import UNIT_KINDS
from workflow import permissions
from workflow.errors import DomainError
from workflow.extensions import db
from workflow.services import users as user_service
from workflow.text import vi_sort_key
from workflow.web import bp, flash_error
from workflow.web.forms import ConfirmForm, ResetPasswordForm, UserEditForm, UserForm
from workflow.web.helpers import fits_db, flash_form_errors, require, unit_choices, user


def _user_form() -> UserForm:
    form = UserForm()
    form.unit.choices = unit_choices(blank="— Không thuộc đơn vị —")
    return form


def _render_users(form: UserForm | None = None, status: int = 200):
    accounts = list(db.session.scalars(select(User).options(selectinload(User.unit))))
    # Vietnamese order: by unit, then by name within the unit.
    accounts.sort(key=lambda u: (vi_sort_key(u.unit.name if u.unit else "~"),
                                 vi_sort_key(u.full_name or u.username)))
    return render_template("admin/users.html", accounts=accounts, form=form or _user_form(),
                           confirm=ConfirmForm(), reset=ResetPasswordForm()), status


@bp.get("/admin/users")
def admin_users():
    require(permissions.can_admin(user()))
    return _render_users()


@bp.post("/admin/users")
def admin_user_create():
    require(permissions.can_admin(user()))
    form = _user_form()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _render_users(form, 400)
    try:
        account = user_service.admin_create_user(
            user(), form.username.data, form.password.data, role=form.role.data,
            unit_code=form.unit.data or None, full_name=form.full_name.data)
    except DomainError as exc:
        flash_error(exc)
        return _render_users(form, exc.status)
    flash(f"Đã tạo tài khoản \"{account.username}\".", "success")
    return redirect(url_for("web.admin_users"), code=303)


def _account(user_id: int) -> User:
    account = db.session.get(User, user_id) if fits_db(user_id) else None
    if account is None:
        abort(404)
    return account


@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
def admin_user_edit(user_id: int):
    """The administrator changes an account's name, role and unit."""
    require(permissions.can_admin(user()))
    account = _account(user_id)
    form = UserEditForm()
    form.unit.choices = unit_choices(blank="— Không thuộc đơn vị —")
    if request.method == "GET":
        form.full_name.data, form.role.data = account.full_name, account.role
        form.unit.data = account.unit.code if account.unit else ""
        return render_template("admin/user_edit.html", form=form, account=account)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return render_template("admin/user_edit.html", form=form, account=account), 400
    try:
        user_service.update_user(user(), account.id, full_name=form.full_name.data, role=form.role.data,
                                 unit_code=form.unit.data or None)
    except DomainError as exc:
        flash_error(exc)
        return render_template("admin/user_edit.html", form=form, account=account), exc.status
    flash(f"Đã lưu tài khoản \"{account.username}\".", "success")
    return redirect(url_for("web.admin_users") + f"#u{account.id}", code=303)


@bp.post("/admin/users/<int:user_id>/<action>")
def admin_user_action(user_id: int, action: str):
    require(permissions.can_admin(user()))
    if action not in ("deactivate", "activate", "reset-password"):
        abort(404)
    account = _account(user_id)
    form = ResetPasswordForm() if action == "reset-password" else ConfirmForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("web.admin_users"), code=303)
    try:
        if action == "deactivate":
            user_service.deactivate_user(user(), account.username)
            flash(f"Đã khóa tài khoản \"{account.username}\".", "success")
        elif action == "activate":
            user_service.activate_user(user(), account.username)
            flash(f"Đã mở lại tài khoản \"{account.username}\".", "success")
        else:
            user_service.reset_password(user(), account.username, form.new_password.data)
            flash(f"Đã đặt lại mật khẩu cho \"{account.username}\". Hãy báo mật khẩu mới cho người dùng "
                  "qua kênh an toàn.", "success")
    except DomainError as exc:
        flash_error(exc)
    return redirect(url_for("web.admin_users") + f"#u{user_id}", code=303)


@bp.get("/admin/units")
def admin_units():
    require(permissions.can_admin(user()))
    kind = request.args.get("kind") or ""
    if kind and kind not in UNIT_KINDS:
        flash("Loại đơn vị không hợp lệ; hiển thị tất cả.", "warning")
        kind = ""
    query = select(Unit).options(selectinload(Unit.parent))
    if kind:
        query = query.where(Unit.kind == kind)
    units = sorted(db.session.scalars(query), key=lambda u: (UNIT_KINDS.index(u.kind) if u.kind in UNIT_KINDS
                                                              else 99, vi_sort_key(u.name)))
    members = dict(db.session.execute(select(User.unit_id, func.count()).group_by(User.unit_id)).all())
    return render_template("admin/units.html", units=units, members=members, kind=kind, kinds=UNIT_KINDS)
