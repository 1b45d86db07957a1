"""Jinja filters and globals: Vietnamese dates, labels, warning colours, navigation."""
from __future__ import annotations

import math
from datetime import date, datetime

from flask import current_app, request, url_for
from flask_login import current_user

from models.task import TASK_STATUS_LABELS
from models.dispatch import DISPATCH_STATUS_LABELS
from models.unit import UNIT_KIND_LABELS
from models.user import ROLE_LABELS
from workflow.clock import to_local
from workflow.kept import Kept
from workflow.statemachine import EVENT_LABELS, STATE_LABELS
from workflow.web import bp

EMPTY = "—"

WARNING_LABELS = {"green": "Trong hạn", "yellow": "Sắp đến hạn", "red": "Trễ hạn"}
WARNING_CLASSES = {"green": "success", "yellow": "warning", "red": "danger"}
STATUS_CLASSES = {
    "assigned": "secondary", "in_progress": "primary", "overdue": "danger", "completed": "success",
    "draft": "warning", "issued": "primary", "closed": "success",
}


def format_datetime(value: datetime | None) -> str:
    """``09/05/2026 09:00`` in the office's time zone."""
    if value is None:
        return EMPTY
    return to_local(value).strftime("%d/%m/%Y %H:%M")


def format_date(value: date | datetime | None) -> str:
    """``09/05/2026`` (a datetime is converted to local time first)."""
    if value is None:
        return EMPTY
    if isinstance(value, datetime):
        value = to_local(value).date()
    return value.strftime("%d/%m/%Y")


def date_in_words(value: date | datetime | None) -> str:
    """As documents write it: ``ngày 08 tháng 5 năm 2026`` (months 1 and 2 take a leading zero)."""
    if value is None:
        return EMPTY
    if isinstance(value, datetime):
        value = to_local(value).date()
    month = f"{value.month:02d}" if value.month <= 2 else str(value.month)
    return f"ngày {value.day:02d} tháng {month} năm {value.year}"


def number_vn(value) -> str:
    """``1.234`` (Vietnamese thousands separator)."""
    try:
        return f"{int(value):,}".replace(",", ".")
    except (TypeError, ValueError):
        return EMPTY


def percent_vn(value: float | None, digits: int = 0) -> str:
    """``87,5%`` (decimal comma)."""
    if value is None:
        return EMPTY
    return f"{value * 100:.{digits}f}".replace(".", ",") + "%"


@bp.app_template_filter("dt")
def _dt(value):
    return format_datetime(value)


@bp.app_template_filter("d")
def _d(value):
    return format_date(value)


@bp.app_template_filter("date_words")
def _date_words(value):
    return date_in_words(value)


@bp.app_template_filter("num")
def _num(value):
    return number_vn(value)


@bp.app_template_filter("pct")
def _pct(value, digits: int = 0):
    return percent_vn(value, digits)


@bp.app_template_filter("vi_sort")
def _vi_sort(items, attribute: str | None = None):
    """Sort names (or objects by one of their attributes) in Vietnamese order."""
    from workflow.text import vi_sort_key

    if attribute is None:
        return sorted(items or [], key=vi_sort_key)
    return sorted(items or [], key=lambda item: vi_sort_key(getattr(item, attribute, "") or ""))


@bp.app_template_filter("iso_dt")
def _iso_dt(value):
    """An ISO 8601 string kept in the history's data, shown like every other date."""
    if not value or not isinstance(value, str):
        return EMPTY
    try:
        if len(value) == 10:
            return format_date(date.fromisoformat(value))
        return format_datetime(datetime.fromisoformat(value))
    except ValueError:
        return value


@bp.app_template_filter("dispatch_short")
def _dispatch_short(dispatch, limit: int = 48):
    """``1534-CV/TU``; a source without a number (a programme) by the start of its title."""
    if dispatch is None:
        return EMPTY
    if dispatch.full_number:
        return dispatch.full_number
    name = dispatch.title or dispatch_label(dispatch)
    return name if len(name) <= limit else name[: limit - 1].rstrip(" ,;(") + "…"


def dispatch_label(dispatch) -> str:
    """What to call a dispatch: its number; a draft "Dự thảo #id"; an issued one without a number
    (a programme) its title or "Văn bản ban hành ngày …" — never "Dự thảo" once issued."""
    if dispatch.full_number:
        return dispatch.full_number
    if dispatch.status == "draft":
        return f"Dự thảo #{dispatch.id}"
    if dispatch.title:
        return dispatch.title
    return f"Văn bản ban hành ngày {format_date(dispatch.issued_on)}" if dispatch.issued_on else \
        f"Văn bản #{dispatch.id}"


@bp.app_template_filter("dispatch_label")
def _dispatch_label(dispatch):
    return dispatch_label(dispatch) if dispatch is not None else EMPTY


@bp.app_template_filter("status_label")
def _status_label(value):
    return STATE_LABELS.get(value) or TASK_STATUS_LABELS.get(value) or DISPATCH_STATUS_LABELS.get(value) or value


@bp.app_template_filter("status_class")
def _status_class(value):
    return STATUS_CLASSES.get(value, "secondary")


@bp.app_template_filter("event_label")
def _event_label(value):
    return EVENT_LABELS.get(value, value)


@bp.app_template_filter("warning_label")
def _warning_label(value):
    return WARNING_LABELS.get(value, value)


@bp.app_template_filter("warning_class")
def _warning_class(value):
    return WARNING_CLASSES.get(value, "secondary")


@bp.app_template_filter("role_label")
def _role_label(value):
    return ROLE_LABELS.get(value, value)


@bp.app_template_filter("kind_label")
def _kind_label(value):
    return UNIT_KIND_LABELS.get(value, value)


def task_state(task, at: datetime | None = None) -> tuple[str, str]:
    """(label, Bootstrap colour) of a task's status badge: "Hoàn thành trễ hạn" when it was completed
    after its deadline (``on_time`` false), "Quá hạn" for an open task past its deadline at ``at``
    whether or not the sweep has marked it, else its state's label."""
    if task.status == "completed" and task.on_time is False:
        return "Hoàn thành trễ hạn", "danger"
    if at is not None and task.status in ("assigned", "in_progress") and task.deadline is not None \
            and task.deadline < at:
        return STATE_LABELS["overdue"], STATUS_CLASSES["overdue"]
    return _status_label(task.status), STATUS_CLASSES.get(task.status, "secondary")


@bp.app_template_filter("rule_words")
def _rule_words(rule):
    from workflow.deadlines import describe_rule

    return describe_rule(rule)


@bp.app_template_filter("task_state")
def _task_state(task, at=None):
    return task_state(task, at)


@bp.app_template_filter("provisional")
def _provisional(task) -> bool:
    """A draft's deadline counted from the issue date: shown as "tạm tính" until the dispatch is issued."""
    from workflow.services.drafts import is_provisional

    return is_provisional(task)


def due_phrase(task, at: datetime) -> str:
    """How far the deadline is, in words: ``Còn 2 ngày``, ``Còn 5 giờ``, ``Trễ 3 ngày``."""
    if task.status == "completed" or task.deadline is None:
        return ""
    seconds = (task.deadline - at).total_seconds()
    if seconds < 0:
        days = math.ceil(-seconds / 86400)
        return f"Trễ {days} ngày"
    if seconds < 86400:
        hours = max(1, math.ceil(seconds / 3600))
        return f"Còn {hours} giờ"
    return f"Còn {math.floor(seconds / 86400)} ngày"


def nav_items() -> list[dict]:
    """The navigation of the signed-in user's role: (label, endpoint, active prefix)."""
    if not current_user.is_authenticated:
        return []
    role = current_user.role
    items = [{"label": "Tổng quan", "endpoint": "web.dashboard", "prefix": "/"}]
    if role == "department":
        items.append({"label": "Nhiệm vụ của đơn vị", "endpoint": "web.task_list", "prefix": "/tasks"})
        items.append({"label": "Công văn", "endpoint": "web.dispatch_list", "prefix": "/dispatches"})
        items.append({"label": "Việc của tôi", "endpoint": "web.my_tasks", "prefix": "/my-tasks"})
    elif role in ("office", "leader"):
        items.append({"label": "Công văn", "endpoint": "web.dispatch_list", "prefix": "/dispatches"})
        items.append({"label": "Nhiệm vụ", "endpoint": "web.task_list", "prefix": "/tasks"})
        items.append({"label": "Nhiệm vụ quá hạn", "endpoint": "web.overdue_list", "prefix": "/overdue"})
        if role == "office":
            items.append({"label": "Tạo công văn", "endpoint": "web.dispatch_new", "prefix": "/dispatches/new"})
            items.append({"label": "Nhập công văn", "endpoint": "web.dispatch_import", "prefix": "/dispatches/import"})
    elif role == "admin":
        items.append({"label": "Người dùng", "endpoint": "web.admin_users", "prefix": "/admin/users"})
        items.append({"label": "Đơn vị", "endpoint": "web.admin_units", "prefix": "/admin/units"})
        items.append({"label": "Ngày nghỉ", "endpoint": "web.admin_holidays", "prefix": "/admin/holidays"})
        items.append({"label": "Công văn", "endpoint": "web.dispatch_list", "prefix": "/dispatches"})
        items.append({"label": "Nhiệm vụ", "endpoint": "web.task_list", "prefix": "/tasks"})
        items.append({"label": "Nhiệm vụ quá hạn", "endpoint": "web.overdue_list", "prefix": "/overdue"})
    items.append({"label": "Lịch thời hạn", "endpoint": "web.calendar_month", "prefix": "/calendar"})
    path = request.path
    best = max((i for i in items if path == i["prefix"] or (i["prefix"] != "/" and path.startswith(i["prefix"]))),
               key=lambda i: len(i["prefix"]), default=None)
    url = current_app.jinja_env.globals.get("url_for", url_for)  # the kept URLs (cached_url_for)
    for item in items:
        item["url"] = url(item["endpoint"])
        item["active"] = item is best
    return items


def _kept_form():
    from workflow.web.pending import kept_for_this_page

    return kept_for_this_page()


def _count_terms():
    from workflow.web.reads import COUNT_PARTS, COUNT_TERMS

    return COUNT_TERMS, list(COUNT_PARTS)


@bp.app_context_processor
def _globals():
    return {
        "nav_items": nav_items, "layout_nav": layout_nav,
        "due_phrase": due_phrase,
        "kept_form": _kept_form,
        "count_terms": _count_terms()[0], "count_parts": _count_terms()[1],
        "app_name": "Theo dõi nhiệm vụ",
        "organisation": current_app.config.get("ORGANISATION_NAME", "Tỉnh ủy Lâm Đồng"),
    }


# --- url_for in templates, kept per distinct call (issue 16) --------------------------------
URL_LIMIT = 4096  # URLs kept per application; the store is emptied when full
_URL_TYPES = (str, int)


def cached_url_for(app):
    """``url_for`` for the templates of ``app``: the URL of a plain call (an endpoint and str/int
    values, inside a request, no ``_external``/``_anchor``/… and no URL defaults registered) is kept
    per (URL root, endpoint, values): the layout alone asks for ~35 URLs on every page, each a
    werkzeug build of tens of microseconds. Any other call goes to Flask's ``url_for`` as before."""
    from flask.globals import _cv_request

    kept = Kept(URL_LIMIT)
    build = app.url_for

    def url_for_kept(endpoint: str, **values):
        ctx = _cv_request.get(None)
        if ctx is None or endpoint[:1] == "." or any(app.url_default_functions.values()):
            return build(endpoint, **values)
        key = [ctx.request.script_root, endpoint]
        for name, value in values.items():
            kind = type(value)
            if name[:1] == "_" or kind not in _URL_TYPES:
                return build(endpoint, **values)
            key += (name, kind, value)
        return kept.get(tuple(key), lambda: build(endpoint, **values))

    return url_for_kept


@bp.record_once
def _keep_urls(state):
    state.app.jinja_env.globals["url_for"] = cached_url_for(state.app)


# --- the layout's navigation bar, kept per user kind and path (issue 16) ----------------------
NAV_LIMIT = 512  # navigation bars kept per process; the store is emptied when full
_NAVS = Kept(NAV_LIMIT)


def nav_key(actor) -> tuple:
    """Everything the navigation bar (templates/_layout_nav.html and the three menus it includes)
    shows or depends on besides the path: what it reads of the user (role, unit, the unit's id) and
    the leader's number of documents waiting for a signature (only its length is shown)."""
    from workflow.web.views.signatures import _waiting_for_signature

    return (actor.role, actor.unit_id, actor.unit is not None, len(_waiting_for_signature()))


def layout_nav():
    """The navigation bar of base.html (~1,200 Python calls on every page to build the role's menus
    and render them), rendered once per (template, URL root, path, ``nav_key``) and kept: an equal key
    is the same HTML. Anonymous pages (no bar) are rendered as before."""
    from flask import render_template
    from markupsafe import Markup

    actor = current_user._get_current_object()
    if not getattr(actor, "is_authenticated", False):
        return Markup(render_template("_layout_nav.html"))
    template = current_app.jinja_env.get_template("_layout_nav.html")
    key = (template, request.script_root, request.path, nav_key(actor))
    return _NAVS.get(key, lambda: Markup(render_template(template)))
