"""Documents ready to sign (issue 5): the archive, generating one document with a preview,
the indicator forms of every commune as one zip (a job with a progress bar), and the
outgoing numbering register.

Thin views: they parse a Flask-WTF form, call ``workflow.services.documents``,
``workflow.services.jobs`` or ``workflow.services.register``, and flash the Vietnamese
message of any refusal. Permissions are those of ``workflow.permissions``.
"""
from __future__ import annotations

import io
from datetime import datetime

from flask import abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from models import Dispatch, Document, Job, RegisterEntry, Unit
from workflow import documents as rendering
from workflow import permissions, queries
from workflow.errors import DomainError
from workflow.extensions import db
from workflow.services import documents as document_service
from workflow.services import jobs as job_service
from workflow.services import register as register_service
from workflow.web import bp, flash_error
from workflow.web.forms import BulkFormsForm, DocumentForm, ReserveNumberForm, VoidNumberForm, lines
from workflow.web.helpers import (fits_db, flash_form_errors, now, param, parse_int, require, unit_choices,
                                  units_sorted, user)

PER_PAGE = 30

# Which fields of the form each kind uses (the page hides the others; the view sends only these).
FIELD_KINDS = {
    "dispatch": ("assignment", "task_report"),
    "as_of": ("reminder", "task_report", "overdue_list"),
    "unit": ("reminder", "task_report", "indicator_form", "overdue_list"),
    "period": ("indicator_form",),
    "reservation": tuple(sorted(rendering.NUMBERED_KINDS)),
    "draft": ("reminder", "task_report", "indicator_form", "overdue_list"),
}
PARAM_LABELS = {
    "dispatch": "Công văn", "as_of": "Tính đến", "unit": "Đơn vị", "period": "Kỳ báo cáo", "date": "Ngày văn bản",
    "draft": "Dự thảo", "issuer": "Cơ quan ban hành", "symbol": "Ký hiệu", "reservation": "Số đã giữ",
    "signing_authority": "Thẩm quyền ký", "signer_title": "Chức vụ người ký", "signer_name": "Người ký",
    "distribution": "Nơi nhận", "catalogue": "Danh mục chỉ tiêu", "title": "Tiêu đề",
    "tasks": "Nhiệm vụ đã chọn",
}


# --- navigation (included by templates/base.html) ------------------------------------------------

def document_nav() -> dict | None:
    """The "Văn bản" menu of the signed-in user, per workflow/permissions.py (None: no menu)."""
    if not current_user.is_authenticated:
        return None
    actor = current_user
    items = []
    if permissions.can_read_documents(actor):
        items.append(("Kho văn bản", url_for("web.document_list")))
    creatable = [k for k in rendering.KINDS if permissions.can_generate_document(actor, k)]
    if creatable == ["overdue_list"]:
        items.append(("Tạo danh sách nhiệm vụ quá hạn", url_for("web.document_new", kind="overdue_list")))
    elif creatable:
        items.append(("Tạo văn bản", url_for("web.document_new")))
    if permissions.can_generate_document(actor, "indicator_form"):
        items.append(("Biểu mẫu chỉ tiêu các xã (một tệp zip)", url_for("web.bulk_forms")))
    if permissions.can_read_documents(actor):
        items.append(("Sổ đăng ký văn bản đi", url_for("web.register_list")))
    if not items:
        return None
    path = request.path
    return {"items": items, "active": path.startswith("/documents") or path.startswith("/register")}


@bp.app_context_processor
def _document_globals():
    return {"document_nav": document_nav}


# --- the archive -----------------------------------------------------------------------------------

def _document(document_id: int) -> Document:
    if not fits_db(document_id):
        abort(404)
    return document_service.get_document(user(), document_id)


@bp.get("/documents")
def document_list():
    actor = user()
    require(permissions.can_read_documents(actor))
    status = 200
    kind = param(request.args, "kind", 40)
    if kind and kind not in rendering.KINDS:
        flash("Loại văn bản lọc không hợp lệ; đã bỏ qua.", "warning")
        kind, status = "", 400
    page = parse_int(request.args.get("page"), 1, maximum=100000)
    if page is None:
        flash("Số trang không hợp lệ; hiển thị trang đầu.", "warning")
        page, status = 1, 400
    query = document_service.list_documents(actor, kind=kind or None)
    order = (Document.created_at.desc(), Document.id.desc())
    result = queries.paginate(query, page, PER_PAGE, order)
    if result.total and page > result.pages:
        result = queries.paginate(query, result.pages, PER_PAGE, order)
    creatable = [k for k in rendering.KINDS if permissions.can_generate_document(actor, k)]
    return render_template("documents/list.html", result=result, kind=kind, creatable=creatable,
                           kind_labels=rendering.KIND_LABELS,
                           can_bulk=permissions.can_generate_document(actor, "indicator_form")), status


@bp.get("/documents/<int:document_id>")
def document_detail(document_id: int):
    document = _document(document_id)
    data = document.data or {}
    entry = db.session.scalar(select(RegisterEntry).where(RegisterEntry.document_id == document.id))
    return render_template("documents/detail.html", document=document, kind_labels=rendering.KIND_LABELS,
                           params=_param_rows(data.get("params", {})),
                           summary=data_summary(document.kind, data.get("context", {})),
                           text=rendering.plain_text(data.get("context", {})), pdf=data.get("pdf", {}), entry=entry)


@bp.get("/documents/<int:document_id>.<any(docx,pdf):fmt>")
def document_download(document_id: int, fmt: str):
    if not fits_db(document_id):
        abort(404)
    document, content = document_service.document_file(user(), document_id, fmt)
    response = send_file(io.BytesIO(content), as_attachment=True,
                         mimetype=rendering.DOCX_TYPE if fmt == "docx" else rendering.PDF_TYPE,
                         download_name=document_service.download_name(document, fmt),
                         etag=document.docx_sha256 if fmt == "docx" else document.pdf_sha256, max_age=0)
    response.headers["Cache-Control"] = "private, max-age=0"
    return response


# --- generating one document ---------------------------------------------------------------------

def _document_form(actor) -> DocumentForm:
    form = DocumentForm()
    kinds = [k for k in rendering.KINDS if permissions.can_generate_document(actor, k)]
    form.kind.choices = [(k, rendering.KIND_LABELS[k]) for k in kinds]
    dispatches = db.session.scalars(select(Dispatch).order_by(Dispatch.issued_on.desc().nulls_last(),
                                                               Dispatch.id.desc()))
    form.dispatch.choices = [("", "— Chọn công văn (báo cáo: mặc định các nhiệm vụ trọng tâm) —")] + [
        (str(d.id), _dispatch_label(d)) for d in dispatches]
    form.unit.choices = unit_choices(blank="— Không chọn —")
    reserved = db.session.scalars(select(RegisterEntry).where(RegisterEntry.status == "reserved")
                                  .order_by(RegisterEntry.id))
    form.reservation.choices = [("", "— Lấy số tiếp theo —")] + [
        (str(e.id), f"{e.full_number} ({e.issuer.name}, {e.year}) · {e.reason or ''}"[:160]) for e in reserved]
    return form


def _dispatch_label(dispatch: Dispatch) -> str:
    from workflow.web.filters import dispatch_label

    name = dispatch_label(dispatch)
    subject = " ".join((dispatch.subject or dispatch.title or "").split())
    label = f"{name} · {subject}" if subject else name
    return label if len(label) <= 110 else label[:109] + "…"


def _params(form: DocumentForm, kind: str) -> dict:
    """The form's values for ``kind``, as the service's parameters (only those the kind takes)."""
    def used(name):
        return kind in FIELD_KINDS.get(name, rendering.KINDS)

    params: dict = {}
    if used("dispatch") and form.dispatch.data:
        params["dispatch"] = form.dispatch.data
    if used("as_of") and form.as_of.data:
        params["as_of"] = form.as_of.data.isoformat()
    if used("unit") and form.unit.data:
        params["unit"] = form.unit.data
    if used("period"):
        params["period"] = (form.period.data or "").strip()
    if form.doc_date.data:
        params["date"] = form.doc_date.data.isoformat()
    if used("draft"):
        params["draft"] = bool(form.draft.data)
    if used("reservation") and form.reservation.data and not form.draft.data:
        params["reservation"] = int(form.reservation.data)
    for name in ("signing_authority", "signer_title", "signer_name"):
        value = (getattr(form, name).data or "").strip()
        if value:
            params[name] = value
    distribution = lines(form.distribution.data)
    if distribution:
        params["distribution"] = distribution
    return params


def _flash_refusal(exc: DomainError, form: DocumentForm) -> None:
    """The service's message, naming the form's fields rather than the API's parameters."""
    message = exc.message
    for name, field in (("dispatch", form.dispatch), ("unit", form.unit), ("period", form.period),
                        ("as_of", form.as_of), ("date", form.doc_date), ("reservation", form.reservation)):
        message = message.replace(f'tham số "{name}"', f'mục "{field.label.text}"')
    flash(message, "danger")


# What each kind needs, in the words of the form (the API's KIND_PARAM_HELP names its parameters).
KIND_FORM_HELP = {
    "assignment": "Cần chọn công văn giao nhiệm vụ.",
    "reminder": "Tính đến hết ngày (để trống: hôm nay); đơn vị (tùy chọn).",
    "task_report": "Tính đến hết ngày; công văn (để trống: các nhiệm vụ trọng tâm).",
    "indicator_form": "Cần chọn đơn vị và kỳ báo cáo (ví dụ 2026-05).",
    "overdue_list": "Tính đến hết ngày (để trống: hôm nay); đơn vị (tùy chọn).",
}


def _render_new(form, *, preview=None, status=200):
    return render_template("documents/new.html", form=form, preview=preview, field_kinds=FIELD_KINDS,
                           param_help=KIND_FORM_HELP,
                           preview_params=_param_rows(preview["params"]) if preview else [],
                           summary=data_summary(preview["kind"], preview["data"]) if preview else []), status


@bp.route("/documents/new", methods=["GET", "POST"])
def document_new():
    actor = user()
    require(any(permissions.can_generate_document(actor, k) for k in rendering.KINDS))
    form = _document_form(actor)
    if request.method == "GET":
        wanted = param(request.args, "kind", 40)
        form.kind.data = wanted if wanted in dict(form.kind.choices) else form.kind.choices[0][0]
        return _render_new(form)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _render_new(form, status=400)
    kind = form.kind.data
    params = _params(form, kind)
    if request.form.get("action") == "preview":
        try:
            result = document_service.preview(actor, kind, params, now())
        except DomainError as exc:
            _flash_refusal(exc, form)
            return _render_new(form, status=exc.status)
        return _render_new(form, preview=result)
    try:
        document = document_service.generate_document(actor, kind, params, now())
    except rendering.ConversionError as exc:
        flash(f"Không tạo được văn bản: {exc.message} Số đã lấy cho văn bản (nếu có) đã được hủy kèm lý do "
              "trong sổ đăng ký văn bản đi; hãy thử lại sau hoặc báo quản trị hệ thống.", "danger")
        return _render_new(form, status=exc.status)
    except DomainError as exc:
        _flash_refusal(exc, form)
        return _render_new(form, status=exc.status)
    flash(f"Đã tạo văn bản{' số ' + document.number if document.number else ''}: {document.title}.", "success")
    return redirect(url_for("web.document_detail", document_id=document.id), code=303)


# --- what a document holds, for the pages ------------------------------------------------------------

def _param_rows(params: dict) -> list[tuple[str, str]]:
    rows = []
    for key, value in params.items():
        if key == "dispatch" and value:
            dispatch = db.session.get(Dispatch, value)
            value = (dispatch.full_number or dispatch.display_name) if dispatch is not None else value
        elif key == "tasks" and isinstance(value, list):
            value = f"{len(value)} nhiệm vụ (chọn trên danh sách nhiệm vụ)"
        elif key == "as_of" and value:
            from workflow.web.filters import format_datetime

            value = format_datetime(datetime.fromisoformat(value))
        elif key == "date" and value:
            from datetime import date

            from workflow.web.filters import format_date

            value = format_date(date.fromisoformat(value))
        elif key == "unit" and value:
            unit = queries.unit_by_code(value)
            value = unit.name if unit is not None else value
        elif key == "issuer" and value:
            unit = queries.unit_by_code(value)
            value = unit.name if unit is not None else value
        elif key == "draft":
            value = "Có" if value else "Không"
        elif key == "reservation" and value:
            entry = db.session.get(RegisterEntry, value)
            value = entry.full_number if entry is not None else value
        elif isinstance(value, list):
            value = "; ".join(str(v) for v in value)
        rows.append((PARAM_LABELS.get(key, key), str(value)))
    return rows


def _text(value) -> str:
    return rendering.plain_text(value) if value is not None else ""


def data_summary(kind: str, data: dict) -> list[tuple[str, str]]:
    """The main facts of a document's data, in a few lines (the full text is shown below them)."""
    rows = []
    if data.get("number", "").strip():
        rows.append(("Số", data["number"].strip()))
    if data.get("issuer_name"):
        rows.append(("Cơ quan ban hành", " / ".join(filter(None, [data.get("issuer_parent"), data["issuer_name"]]))))
    if data.get("place_date"):
        rows.append(("Địa danh, ngày", data["place_date"]))
    if data.get("draft"):
        rows.append(("Dự thảo", "Có (DỰ THẢO, chưa có số)"))
    if data.get("subject_line"):
        rows.append(("Trích yếu", data["subject_line"]))
    if data.get("doc_type"):
        rows.append(("Tên văn bản", " ".join(filter(None, [data["doc_type"], data.get("title", "")]))))
    if data.get("as_of_line"):
        rows.append(("Thời điểm", data["as_of_line"].strip("()")))
    if data.get("recipients"):
        rows.append(("Kính gửi", f"{len(data['recipients'])} nơi"))
    if kind == "assignment":
        body = data.get("body", [])
        tables = sum(1 for block in body if "table" in block)
        rows.append(("Nội dung", f"{len(body) - tables} đoạn" + (f", {tables} bảng" if tables else "")))
        if data.get("appendix"):
            rows.append(("Phụ lục", " ".join(rendering.plain_text(h) for h in data["appendix"]["heading"])))
    elif kind == "reminder":
        units = data.get("units", [])
        rows.append(("Nhiệm vụ quá hạn", f"{sum(len(u.get('tasks', [])) for u in units)} nhiệm vụ của "
                                         f"{len(units)} cơ quan, đơn vị"))
    elif kind == "task_report":
        rows.append(("Đã hoàn thành", f"{len(data.get('completed', []))} nhiệm vụ"))
        rows.append(("Chưa hoàn thành", f"{len(data.get('pending', []))} nhiệm vụ"))
    elif kind == "indicator_form":
        rows.append(("Đơn vị báo cáo", data.get("unit_name", "")))
        rows.append(("Kỳ báo cáo", data.get("period_label", "")))
        filled = sum(1 for r in data.get("rows", []) if r.get("value"))
        rows.append(("Chỉ tiêu", f"{len(data.get('rows', []))} chỉ tiêu, {filled} đã có số liệu"))
    elif kind == "overdue_list":
        rows.append(("Nhiệm vụ quá hạn", f"{len(data.get('rows', []))} nhiệm vụ của "
                                         f"{len(data.get('by_unit', []))} cơ quan, đơn vị"))
    signer = " · ".join(filter(None, [data.get("signing_authority"), data.get("signer_title"),
                                      data.get("signer_name")]))
    if signer and data.get("signer_title") and not data.get("signer_name"):
        signer += " · chưa có họ tên người ký (nhập ở mục “Họ tên người ký” hoặc khai báo trong danh sách người ký)"
    if signer:
        rows.append(("Người ký", signer))
    if data.get("distribution"):
        rows.append(("Nơi nhận", " ".join(data["distribution"])))
    return rows


# --- the communes' indicator forms as one zip: a job with a progress bar --------------------------

def _bulk_job(job_id: int) -> Job:
    permissions.require_read_documents(user())
    if not fits_db(job_id):
        abort(404)
    job = job_service.get(job_id)
    if job.kind != document_service.BULK_FORMS_JOB:
        abort(404)
    return job


def _recent_jobs(limit: int = 10) -> list[Job]:
    return list(db.session.scalars(select(Job).where(Job.kind == document_service.BULK_FORMS_JOB)
                                   .order_by(Job.id.desc()).limit(limit)))


def _commune_count() -> int:
    return len(db.session.scalars(select(Unit.id).where(Unit.kind == "commune", Unit.active.is_(True))).all())


@bp.route("/documents/indicator-forms", methods=["GET", "POST"])
def bulk_forms():
    actor = user()
    require(permissions.can_generate_document(actor, "indicator_form"))
    form = BulkFormsForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                job = document_service.start_indicator_forms(actor, period=form.period.data, now=now())
            except DomainError as exc:
                flash_error(exc)
                status = exc.status
            else:
                job_service.start(job)
                flash(f"Đã bắt đầu tạo biểu mẫu chỉ tiêu kỳ {rendering.period_label(job.params['period'])}.",
                      "success")
                return redirect(url_for("web.bulk_forms_job", job_id=job.id), code=303)
        else:
            flash_form_errors(form)
            status = 400
    return render_template("documents/bulk.html", form=form, jobs=_recent_jobs(), communes=_commune_count(),
                           period_label=rendering.period_label), status


def job_progress_json(job: Job) -> dict:
    done = job.status == "done"
    return {
        "id": job.id, "status": job.status, "status_label": job.status_label, "percent": job.percent,
        "progress": job.progress, "total": job.total, "message": job.message,
        "done": done, "failed": job.status == "failed", "finished": job.status in ("done", "failed"),
        "result_url": url_for("web.bulk_forms_result", job_id=job.id) if done else None,
        "result_name": job.result_name if done else None,
    }


@bp.get("/documents/indicator-forms/<int:job_id>")
def bulk_forms_job(job_id: int):
    job = _bulk_job(job_id)
    return render_template("documents/job.html", job=job, period_label=rendering.period_label)


@bp.get("/documents/indicator-forms/<int:job_id>/progress")
def bulk_forms_progress(job_id: int):
    """The job's progress as JSON, polled by static/js/app.js (session-authenticated)."""
    try:
        job = _bulk_job(job_id)
    except DomainError as exc:
        return jsonify({"error": exc.message}), exc.status
    response = jsonify(job_progress_json(job))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/documents/indicator-forms/<int:job_id>.zip")
def bulk_forms_result(job_id: int):
    job = _bulk_job(job_id)
    job, content = document_service.job_result(user(), job.id)
    response = send_file(io.BytesIO(content), as_attachment=True, mimetype="application/zip",
                         download_name=job.result_name or f"bieu-chi-tieu-{job.id}.zip", etag=job.result_sha256,
                         max_age=0)
    response.headers["Cache-Control"] = "private, max-age=0"
    return response


# --- the outgoing numbering register -------------------------------------------------------------

def _issuer_choices() -> list[tuple[str, str]]:
    party = [u for u in units_sorted() if u.kind == "party"]
    first = [code for code, _ in rendering.NUMBERED_DEFAULTS.values()]
    party.sort(key=lambda u: (first.index(u.code) if u.code in first else len(first)))
    return [(u.code, u.name) for u in party]


def _reserve_form() -> ReserveNumberForm:
    form = ReserveNumberForm()
    form.issuer.choices = _issuer_choices()
    return form


def _render_register(*, reserve_form=None, status=200):
    actor = user()
    args = request.args
    issuer = param(args, "issuer", 120)
    symbol = param(args, "symbol", 40)
    year_text = param(args, "year", 10)
    year = parse_int(year_text, 0, minimum=1900, maximum=2200) if year_text else None
    if year is None and year_text:
        flash("Năm lọc không hợp lệ; đã bỏ qua.", "warning")
        year_text, status = "", 400
    try:
        rows = register_service.register_listing(issuer=issuer or None, symbol=symbol or None, year=year or None)
    except DomainError as exc:
        flash_error(exc)
        issuer, status = "", 400
        rows = register_service.register_listing(symbol=symbol or None, year=year or None)
    manage = permissions.can_manage_register(actor)
    if manage and reserve_form is None:
        reserve_form = _reserve_form()
    return render_template("register/list.html", rows=rows, manage=manage, reserve_form=reserve_form,
                           void_form=VoidNumberForm() if manage else None, issuers=_issuer_choices(),
                           issuer=issuer, symbol=symbol, year=year_text, kind_labels=rendering.KIND_LABELS), status


@bp.get("/register")
def register_list():
    require(permissions.can_read_documents(user()))
    return _render_register()


@bp.post("/register/reserve")
def register_reserve():
    actor = user()
    require(permissions.can_manage_register(actor))
    form = _reserve_form()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _render_register(reserve_form=form, status=400)
    try:
        entry = register_service.reserve(actor, issuer=form.issuer.data, symbol=form.symbol.data,
                                         reason=form.reason.data, now=now())
    except DomainError as exc:
        flash_error(exc)
        return _render_register(reserve_form=form, status=exc.status)
    flash(f"Đã giữ số {entry.full_number} ({entry.issuer.name}) — lý do: {entry.reason}.", "success")
    return redirect(url_for("web.register_list"), code=303)


@bp.post("/register/<int:entry_id>/void")
def register_void(entry_id: int):
    actor = user()
    require(permissions.can_manage_register(actor))
    if not fits_db(entry_id):
        abort(404)
    form = VoidNumberForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _render_register(status=400)
    try:
        entry = register_service.void(actor, entry_id, reason=form.reason.data, now=now())
    except DomainError as exc:
        flash_error(exc)
        return _render_register(status=exc.status)
    flash(f"Đã hủy số {entry.full_number} — lý do: {entry.void_reason}. Số này không được cấp lại.", "success")
    return redirect(url_for("web.register_list"), code=303)
