"""The web application (Vietnamese pages): blueprint ``web``.

Views are thin: they parse a form or the query string, call one service (for
changes) or a read query, flash a Vietnamese message and redirect or render.
Every page needs a signed-in user except ``/login``; anonymous visitors are sent
there by ``require_login`` below.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from workflow.errors import DomainError
from workflow.extensions import login_manager

bp = Blueprint("web", __name__)

PUBLIC_ENDPOINTS = {"web.login", "web.favicon"}


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on pages that name no icon (the printable views)."""
    return redirect(url_for("static", filename="img/logo.svg"), code=301)


@bp.before_request
def require_login():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        if request.method == "POST":
            return _sign_in_again()
        return login_manager.unauthorized()
    return None


SESSION_ENDED = ("Phiên làm việc đã hết. Hãy đăng nhập lại: nội dung bạn vừa nhập được giữ lại "
                 "trên trang để gửi lại.")


def _sign_in_again():
    """A form posted after the session ended: keep what was typed and, after sign-in, go back to the
    page the form was on (a GET address), where the form is filled in again (``pending``)."""
    from workflow.web import pending

    page = pending.keep_for_sign_in()
    flash(SESSION_ENDED, "warning")
    return redirect(url_for("web.login", next=page))


@bp.after_request
def no_store_for_pages(response):
    """Pages show live data and personal details: do not let shared browsers cache them."""
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError):
    """A refusal raised while reading (not found, forbidden): a Vietnamese page with its status."""
    return render_template("error.html", message=exc.message, status=exc.status), exc.status


@bp.app_errorhandler(CSRFError)
def csrf_error(exc: CSRFError):
    if request.path.startswith("/api/"):
        from flask import jsonify

        response = jsonify({"error": "Thiếu hoặc sai mã bảo mật (CSRF) của phiên đăng nhập: gửi lại với "
                                     "X-CSRFToken."})
        response.status_code = 400
        return response
    if request.method == "POST" and request.endpoint not in PUBLIC_ENDPOINTS \
            and not current_user.is_authenticated:
        return _sign_in_again()  # the session (and its token) ended while the form was open
    message = ("Biểu mẫu đã hết hạn hoặc thiếu mã bảo mật. "
               "Hãy tải lại trang rồi thực hiện lại thao tác.")
    return render_template("error.html", message=message, status=400), 400


def flash_error(exc: DomainError) -> None:
    flash(exc.message, "danger")


from workflow.web import filters  # noqa: E402,F401  (template filters and globals)
from workflow.web.views import admin, auth, dashboard, dispatches, overdue, tasks  # noqa: E402,F401
from workflow.web.views import holidays  # noqa: E402,F401  (admin: public holidays)
from workflow.web.views import documents  # noqa: E402,F401  (documents, bulk forms, register)
from workflow.web.views import imports  # noqa: E402,F401  (dispatch import: issue 7)
from workflow.web.views import indicators  # noqa: E402,F401  (indicators: issue 6)
from workflow.web.views import signatures  # noqa: E402,F401  (the outgoing document's life: issue 13)
from workflow.web.views import drafts  # noqa: E402,F401  (editing before issue: issue 15)
from workflow.web.views import calendar  # noqa: E402,F401  (calendar of deadlines: issue 15)
from workflow.web.views import bulk  # noqa: E402,F401  (bulk actions of the office: issue 15)
from workflow.web.views import collab  # noqa: E402,F401  (files, comments, notifications: issue 15)
