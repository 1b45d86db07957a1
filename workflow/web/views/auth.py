"""Sign-in, sign-out and the user's own password."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from models import User
from workflow.errors import DomainError
from workflow.extensions import db, limiter
from workflow.services.users import (change_password, end_session, session_remembered, start_session)
from workflow.services.users import sign_out_everywhere as end_everywhere
from workflow.text import normalise_username
from workflow.web import bp, flash_error
from workflow.web.forms import ChangePasswordForm, LoginForm, LogoutForm
from workflow.web.helpers import flash_form_errors, now, safe_next, user

BAD_CREDENTIALS = "Tên đăng nhập hoặc mật khẩu không đúng."
_DUMMY_HASH: list[str] = []


def _spend_hash_time(password: str) -> None:
    """Check a dummy hash so an unknown user name takes as long as a wrong password."""
    from werkzeug.security import check_password_hash, generate_password_hash

    if not _DUMMY_HASH:
        _DUMMY_HASH.append(generate_password_hash("dummy-password-0", method="scrypt"))
    check_password_hash(_DUMMY_HASH[0], password)


LOGIN_LOCKED = "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau ít phút."


def _failure_limit() -> str:
    return current_app.config["LOGIN_FAILURE_LIMIT"]


def _failed(response) -> bool:
    """Only failed sign-ins count towards the limits."""
    return request.method == "POST" and response.status_code in (400, 401)


def _username_key() -> str:
    """The per-user limit counts the name as the account lookup reads it (one normalisation)."""
    return "login-user:" + normalise_username(request.form.get("username"))


def _refused(page: str, status: int):
    """A failed sign-in's answer, after ending the request's (read-only) transaction: Flask-Limiter
    counts the failure after the view, on a connection of its own (``workflow-db://``), which on
    SQLite would otherwise wait for this transaction's lock."""
    db.session.rollback()
    return page, status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_failure_limit, methods=["POST"], deduct_when=_failed, error_message=LOGIN_LOCKED)
@limiter.limit(_failure_limit, key_func=_username_key, methods=["POST"], deduct_when=_failed,
               error_message=LOGIN_LOCKED)
def login():
    """Sign in. Failed attempts are counted per address and per user name (Flask-Limiter):
    after LOGIN_FAILURE_LIMIT of either, /login answers 429 for a while."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
        if current_user.is_authenticated:
            return redirect(form.next.data or url_for("web.dashboard"))
        return render_template("login.html", form=form)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _refused(render_template("login.html", form=form), 400)
    username = normalise_username(form.username.data)
    account = db.session.scalar(select(User).where(User.username == username))
    if account is None:
        _spend_hash_time(form.password.data)
    if account is None or not account.check_password(form.password.data) or not account.active:
        flash(BAD_CREDENTIALS, "danger")
        return _refused(render_template("login.html", form=form), 401)
    kept_form = session.get("pending_form")  # a form typed before the session ended (web.pending)
    remember = bool(form.remember.data)
    start_session(account, remember=remember, now=now(), lifetime=_lifetime(remember))  # a new token each time
    login_user(account, remember=remember, duration=current_app.config["REMEMBER_COOKIE_DURATION"])
    if kept_form is not None:
        session["pending_form"] = kept_form
        if not safe_next(form.next.data) and isinstance(kept_form, dict):
            form.next.data = safe_next(str(kept_form.get("page") or "")) or ""
    flash(f"Xin chào {account.full_name or account.username}.", "success")
    return redirect(safe_next(form.next.data) or url_for("web.dashboard"))


def _lifetime(remember: bool):
    """How long a sign-in lives on the server: the remember cookie's life, or SESSION_LIFETIME."""
    config = current_app.config
    return config["REMEMBER_COOKIE_DURATION"] if remember else config["SESSION_LIFETIME"]


@bp.post("/logout")
def logout():
    """Sign out of this browser: its sign-in ends on the server, so a copy of its session or
    remember cookie no longer works either."""
    form = LogoutForm()
    if form.validate_on_submit():
        end_session(session.get("_user_id"))
        logout_user()
        flash("Bạn đã đăng xuất.", "info")
    return redirect(url_for("web.login"))


@bp.post("/account/sign-out-everywhere")
def sign_out_everywhere():
    """"Đăng xuất khỏi mọi thiết bị": every sign-in of the account ends (sessions and remember cookies)."""
    form = LogoutForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("web.change_own_password"))
    end_everywhere(user())
    logout_user()
    flash("Đã đăng xuất khỏi mọi thiết bị. Hãy đăng nhập lại.", "info")
    return redirect(url_for("web.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_own_password():
    form = ChangePasswordForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            flash_form_errors(form)
            return render_template("change_password.html", form=form), 400
        me = user()
        remember = session_remembered(session.get("_user_id"))
        try:
            # Every other sign-in ends; this browser continues with a new one.
            change_password(me, form.old_password.data, form.new_password.data, now=now(), remember=remember,
                            lifetime=_lifetime(remember))
        except DomainError as exc:
            flash_error(exc)
            return render_template("change_password.html", form=form), exc.status
        login_user(me, remember=remember, duration=current_app.config["REMEMBER_COOKIE_DURATION"])
        flash("Đã đổi mật khẩu.", "success")
        flash("Các phiên đăng nhập trên các máy khác đã kết thúc.", "info")
        return redirect(url_for("web.dashboard"))
    return render_template("change_password.html", form=form)
