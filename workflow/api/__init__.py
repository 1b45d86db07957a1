"""The JSON API under /api/v1 (DESIGN section 7). Views are thin: parse, call a
service or a query, serialise; domain errors become ``{"error": ...}``."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, current_app, g, jsonify, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from workflow.errors import DomainError, Forbidden

bp = Blueprint("api", __name__, url_prefix="/api/v1")

HTTP_MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    401: "Cần đăng nhập hoặc token hợp lệ.",
    403: "Không có quyền thực hiện thao tác này.",
    404: "Không tìm thấy.",
    405: "Phương thức không được hỗ trợ.",
    409: "Xung đột trạng thái.",
    413: "Tệp hoặc nội dung gửi lên quá lớn.",
    415: "Kiểu nội dung không được hỗ trợ.",
    429: "Quá nhiều yêu cầu; hãy thử lại sau.",
}


def error(message: str, status: int):
    response = jsonify({"error": message})
    response.status_code = status
    return response


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    return error(exc.message, exc.status)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return error(HTTP_MESSAGES.get(exc.code, exc.description or "Lỗi."), exc.code or 500)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    current_app.logger.exception("Unexpected API error")
    from workflow.extensions import db

    db.session.rollback()
    return error("Lỗi hệ thống ngoài dự kiến; thao tác chưa được thực hiện.", 500)


def api_user():
    """The caller: a bearer token if one is sent, else the session."""
    from workflow.auth import user_from_bearer

    user, header_present = user_from_bearer()
    if header_present:
        return user, "token"
    if current_user.is_authenticated and current_user.active:
        return current_user._get_current_object(), "session"
    return None, None


def api_auth(view):
    """Require an authenticated caller; session callers must send the CSRF token on writes."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        user, how = api_user()
        if user is None:
            return error(HTTP_MESSAGES[401], 401)
        if how == "session" and request.method not in ("GET", "HEAD", "OPTIONS"):
            from flask_wtf.csrf import CSRFError

            from workflow.extensions import csrf

            try:
                csrf.protect()
            except CSRFError:
                return error("Thiếu hoặc sai mã CSRF (X-CSRFToken).", 400)
        g.api_user = user
        return view(*args, **kwargs)

    return wrapper


def json_body() -> dict:
    from werkzeug.exceptions import BadRequest

    from workflow.errors import ValidationError

    data = None
    if request.is_json:
        try:
            data = request.get_json()
        except BadRequest:  # bad syntax, nested too deep, a number too large, a lone surrogate
            raise ValidationError("Nội dung JSON không hợp lệ (sai cú pháp, lồng quá sâu, số quá lớn hoặc "
                                  "ký tự không hợp lệ).") from None
    if not isinstance(data, dict):
        raise ValidationError("Nội dung yêu cầu phải là một đối tượng JSON.")
    return data


def pagination_args() -> tuple[int, int]:
    from workflow.errors import ValidationError

    try:
        page = int(request.args.get("page", 1))
        per_page = int(request.args.get("per_page", current_app.config["API_PER_PAGE_DEFAULT"]))
    except ValueError:
        raise ValidationError("page và per_page phải là số nguyên.") from None
    if page < 1 or per_page < 1:
        raise ValidationError("page và per_page phải lớn hơn 0.")
    if page > 1_000_000:
        raise ValidationError("page quá lớn.")
    return page, min(per_page, current_app.config["API_PER_PAGE_MAX"])


def listing(page_obj, items) -> dict:
    return {"items": items, "total": page_obj.total, "page": page_obj.page, "per_page": page_obj.per_page}


from workflow.api import views  # noqa: E402,F401  (register the routes)
from workflow.api import reminders  # noqa: E402,F401
from workflow.api import documents  # noqa: E402,F401  (documents, register, jobs: issue 5)
from workflow.api import holidays  # noqa: E402,F401
from workflow.api import imports  # noqa: E402,F401  (dispatch import: issue 7)
from workflow.api import indicators  # noqa: E402,F401  (indicators: issue 6)
from workflow.api import openapi  # noqa: E402,F401
from workflow.api import signatures  # noqa: E402,F401  (the outgoing document's life: issue 13)
from workflow.api import exports  # noqa: E402,F401  (Excel exports: issue 15)
from workflow.api import collab  # noqa: E402,F401  (attachments, comments, notifications: issue 15)
from workflow.api import everyday  # noqa: E402,F401  (drafts, bulk extensions, calendar, accounts: issue 15)
