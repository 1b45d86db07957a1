"""The overdue list for leaders and the office, on screen, printable, and as PDF."""
from __future__ import annotations

import shutil
from datetime import datetime, time

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import bindparam

from models import Task
from workflow import permissions, queries, snapshots
from workflow.extensions import db
from workflow.clock import local_tz
from workflow.web import bp, reads
from workflow.web.filters import _dispatch_short as dispatch_short, task_state
from workflow.web.helpers import fragment, now, param, parse_date, parse_int, require, url_maker, user

PER_PAGE = 100  # the screen list is paged; the printable list and the PDF hold every row
# What a row of the list shows (``overdue/list.html``): read only these columns of the tasks (issue 16).
ROW_COLUMNS = ("item", "title", "deadline", "status", "on_time", "extension_deadline")


def _as_of(at: datetime | None = None) -> tuple[datetime, str, list[str]]:
    """``as_of`` from the query string (a date: the end of that day), else ``at`` (default: now)."""
    raw = request.args.get("as_of")
    parsed = parse_date(raw)
    if parsed is False:
        return at or now(), "", ["Ngày tính đến không hợp lệ (dùng dạng ngày/tháng/năm); tính đến hiện tại."]
    if parsed is None:
        return at or now(), "", []
    return datetime.combine(parsed, time(23, 59, 59), tzinfo=local_tz()), parsed.isoformat(), []


def _unit_filter() -> tuple[object, list[str]]:
    """The ``unit`` of the query string (its code): the unit, or None with a message when unknown."""
    code = param(request.args, "unit", 120)
    if not code:
        return None, []
    unit = queries.unit_by_code(code)
    if unit is None:
        return None, ["Không tìm thấy đơn vị cần lọc; đã bỏ qua."]
    return unit, []


def _rows(as_of: datetime, unit=None):
    query, order = queries.overdue_query(user(), as_of)
    if unit is not None:
        query = query.where(Task.lead_unit_id == unit.id)
    tasks = db.session.scalars(query.order_by(*order).options(*reads.TASK_LOADS))
    return [(task, queries.days_late(task, as_of)) for task in tasks]


@bp.get("/overdue")
def overdue_list():
    actor = user()
    require(permissions.can_read_all(actor))
    # The page's content kept per database state (workflow/snapshots.py) with its warnings and status, for
    # the minute the page shows; the layout (sign-in, bell, menus, the warnings' display) stays per request.
    at, pdf_available = snapshots.minute(now()), shutil.which("wkhtmltopdf") is not None
    content, status, warnings = snapshots.kept(
        ("web.overdue_list", request.query_string, actor.id, actor.role, actor.unit_id, at, pdf_available),
        lambda: _list_content(at, pdf_available))
    for message in warnings:
        flash(message, "warning")
    return render_template("overdue/list.html", content_html=content), status


def _list_content(at: datetime, pdf_available: bool) -> tuple[Markup, int, tuple[str, ...]]:
    """The overdue list's content for the query string at ``at`` (with the "Tải PDF" button when
    ``pdf_available``): (HTML, status, warnings to flash)."""
    warnings = []
    as_of, shown, errors = _as_of(at)
    warnings += errors
    page = parse_int(request.args.get("page"), 1, maximum=1_000_000)
    if page is None:
        warnings.append("Số trang không hợp lệ; hiển thị trang đầu.")
        errors.append("page")
        page = 1
    unit, unit_errors = _unit_filter()
    warnings += unit_errors
    errors += unit_errors
    status = 400 if errors else 200
    if reads.one_text_reads(user()):  # PostgreSQL, who sees every task (all who may read this page)
        return _one_text_content(as_of, shown, page, unit, pdf_available), status, tuple(warnings)
    # For those who see every task (all who may read this page) the page's statement is built once per
    # (unit or not, page), the date and the unit bound (issue 16).
    sees_all = permissions.visible_tasks_filter(user()) is None
    query, order = queries.overdue_query(user(), bindparam("as_of") if sees_all else as_of)
    params = {"as_of": as_of, "unit_id": unit.id if unit is not None else None} if sees_all else None
    # The units' late counts, the list's total and the picker's units: one text on PostgreSQL (reads.overdue_inputs).
    inputs_key, inputs, choices_key = reads.overdue_inputs(user(), as_of)
    units, total = reads.derived(inputs_key, "overdue", inputs)
    if unit is not None:
        query = query.where(Task.lead_unit_id == (bindparam("unit_id") if sees_all else unit.id))
        total = None  # counted: the stored counts are per unit and status, not per deadline
    loads = reads.LIST_LOADS  # the list shows the lead unit and the dispatch's number, not the coordinating units
    lean = {"views": True, "view_columns": ROW_COLUMNS, "coordinating": False, "params": params,
            "built": ("overdue", unit is not None) if sees_all else None}
    result = queries.paginate(query, page, PER_PAGE, order, total=total, options=loads, **lean)
    if result.total and page > result.pages:
        result = queries.paginate(query, result.pages, PER_PAGE, order, total=total, options=loads, **lean)
    return _render(as_of, shown, unit, result, units, inputs_key, choices_key, pdf_available), status, tuple(warnings)


def _one_text_content(as_of: datetime, shown: str, page: int, unit, pdf_available: bool) -> Markup:
    """The content from two statements (issue 16, third round): the units, total and picker
    (``reads.overdue_inputs``) and the page's rows (``reads.overdue_page``), each one text; the whole
    content is kept per distinct (texts, date, filter, page) (``reads.derived``: the same HTML for the same
    inputs), so a page whose inputs did not change since it was last shown is not rendered again."""
    inputs_key, inputs, choices_key = reads.overdue_inputs(user(), as_of)
    units, total = reads.derived(inputs_key, "overdue", inputs)
    total, rows_text, page = reads.overdue_page(as_of, unit.id if unit is not None else None, page, PER_PAGE,
                                                total)
    key = (as_of, shown, unit.code if unit is not None else None, page, total, rows_text, inputs_key, choices_key,
           pdf_available)

    def build():
        result = queries.Page(items=reads.overdue_views(rows_text), total=total, page=page, per_page=PER_PAGE)
        return _render(as_of, shown, unit, result, units, inputs_key, choices_key, pdf_available,
                       rows_key=((page - 1) * PER_PAGE, as_of, rows_text))

    return reads.derived(key, "overdue_content", build)


def _render(as_of, shown, unit, result, units, inputs_key, choices_key, pdf_available, rows_key=None) -> Markup:
    """The content's HTML: ``result``'s rows, the ``units`` with late tasks (``inputs_key`` stands for them), the
    picker's units (``choices_key``, or read now when None); ``rows_key`` stands for the rows when given."""
    rows = [(task, queries.days_late(task, as_of)) for task in result.items]
    first = (result.page - 1) * PER_PAGE
    filter_args = {k: v for k, v in (("as_of", shown), ("unit", unit.code if unit else "")) if v}
    choices = reads.unit_choices_of(choices_key, "Tất cả đơn vị")
    selected = unit.code if unit else None
    # The long pieces rendered once per distinct input (helpers.fragment): each key holds what its piece shows.
    rows_html = fragment("overdue/_rows.html", rows_key if rows_key is not None else (first, tuple(
        (t.id, t.item, t.title, dispatch_short(t.dispatch), t.extension_deadline, t.lead_unit.name, t.deadline, days,
         task_state(t, as_of)) for t, days in rows)),
        rows=rows, first=first, as_of=as_of, task_href=url_maker("web.task_detail", "task_id"))
    units_html = fragment("overdue/_units.html", (shown, inputs_key),
                          units=units, unit_href=url_maker("web.overdue_list", "unit", as_of=shown or None))
    options_html = fragment("overdue/_unit_options.html", (selected, choices_key or tuple(
        (g, tuple(o)) for g, o in choices.items())),
                            unit_choices=choices, selected=selected)
    html = render_template("overdue/_list_content.html", rows=rows, result=result, first=first,
                           as_of=as_of, as_of_value=shown, units=units, unit=unit, filter_args=filter_args,
                           rows_html=rows_html, units_html=units_html, unit_options_html=options_html,
                           pdf_available=pdf_available)
    return Markup(html)


@bp.get("/overdue/print")
def overdue_print():
    require(permissions.can_read_all(user()))
    as_of, _, errors = _as_of()
    unit, unit_errors = _unit_filter()
    errors += unit_errors
    if errors:
        return render_template("error.html", message=errors[0], status=400), 400
    return render_template("overdue/print.html", rows=_rows(as_of, unit), as_of=as_of, printed_at=now(), pdf=False,
                           unit=unit)


@bp.get("/overdue.pdf")
def overdue_pdf():
    """The printable list rendered to PDF by wkhtmltopdf (pdfkit)."""
    require(permissions.can_read_all(user()))
    as_of, shown, errors = _as_of()
    unit, unit_errors = _unit_filter()
    errors += unit_errors
    if errors:
        return render_template("error.html", message=errors[0], status=400), 400
    if shutil.which("wkhtmltopdf") is None:
        flash("Máy chủ chưa cài wkhtmltopdf nên chưa xuất được PDF; hãy dùng bản in.", "warning")
        return redirect(url_for("web.overdue_print", as_of=shown or None))
    from pathlib import Path

    from workflow.documents import ConversionError, html_to_pdf

    # The styles go inline: wkhtmltopdf runs without local file access (workflow/documents.py).
    css = (Path(current_app.static_folder) / "css" / "print.css").read_text(encoding="utf-8")
    html = render_template("overdue/print.html", rows=_rows(as_of, unit), as_of=as_of, printed_at=now(), pdf=True,
                           unit=unit, css_text=css)
    try:
        pdf = html_to_pdf(html)
    except ConversionError:
        current_app.logger.exception("wkhtmltopdf failed")
        flash("Không xuất được PDF lúc này; hãy dùng bản in.", "danger")
        return redirect(url_for("web.overdue_print", as_of=shown or None))
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    stamp = as_of.astimezone(local_tz()).strftime("%Y-%m-%d")
    response.headers["Content-Disposition"] = f'inline; filename="nhiem-vu-qua-han-{stamp}.pdf"'
    return response
