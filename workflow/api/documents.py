"""API routes for documents (DESIGN section 7): generate, preview, archive,
download; the numbering register; bulk jobs.

- ``POST /api/v1/documents`` ``{"kind": …, params}`` → 201 ``{"id", "links": {"docx", "pdf"}}``
- ``POST /api/v1/documents/preview`` → the data a document would be rendered from (nothing stored)
- ``GET /api/v1/documents`` (``kind``, ``page``, ``per_page``) · ``GET /api/v1/documents/<id>``
- ``GET /api/v1/documents/<id>.docx`` · ``GET /api/v1/documents/<id>.pdf``
- ``GET /api/v1/documents/kinds``: the kinds and their parameters
- ``POST /api/v1/documents/indicator-forms`` ``{"period"}`` → 202 a job; ``GET /api/v1/jobs/<id>``;
  ``GET /api/v1/jobs/<id>/result``: the zip
- ``GET /api/v1/register`` · ``POST /api/v1/register`` (reserve) · ``POST /api/v1/register/<id>/void``
"""
from __future__ import annotations

import io

from flask import g, jsonify, request, send_file, url_for

from workflow import clock, permissions
from workflow import documents as rendering
from workflow.api import api_auth, bp, json_body, listing, pagination_args
from workflow.api.serializers import iso
from workflow.errors import ValidationError
from workflow.services import documents as document_service
from workflow.services import jobs as job_service
from workflow.services import register as register_service


def document_links(document) -> dict:
    return {
        "self": url_for("api.get_document", document_id=document.id),
        "docx": url_for("api.download_document", document_id=document.id, fmt="docx"),
        "pdf": url_for("api.download_document", document_id=document.id, fmt="pdf"),
        "lifecycle": url_for("api.document_lifecycle", document_id=document.id),  # issue 13
    }


def document_json(document, *, data: bool = False) -> dict:
    body = {
        "id": document.id,
        "kind": document.kind,
        "kind_label": rendering.KIND_LABELS.get(document.kind, document.kind),
        "number": document.number,
        "title": document.title,
        "template": document.template_name,
        "template_sha256": document.template_sha256,
        "docx_sha256": document.docx_sha256,
        "pdf_sha256": document.pdf_sha256,
        "params": (document.data or {}).get("params", {}),
        "created_by": document.created_by.username if document.created_by is not None else None,
        "created_at": iso(document.created_at),
        "links": document_links(document),
    }
    if data:
        body["data"] = (document.data or {}).get("context", {})
        body["pdf"] = (document.data or {}).get("pdf", {})
    return body


def job_json(job) -> dict:
    body = {
        "id": job.id, "kind": job.kind, "status": job.status, "status_label": job.status_label,
        "params": job.params, "progress": job.progress, "total": job.total, "percent": job.percent,
        "message": job.message, "error": job.error, "created_at": iso(job.created_at),
        "started_at": iso(job.started_at), "finished_at": iso(job.finished_at),
        "links": {"self": url_for("api.get_job", job_id=job.id)},
    }
    if job.status == "done":
        body["links"]["result"] = url_for("api.job_result", job_id=job.id)
        body["result"] = {"name": job.result_name, "size": job.result_size, "sha256": job.result_sha256}
    return body


@bp.get("/documents/kinds")
@api_auth
def document_kinds():
    return jsonify({"items": [{
        "kind": kind, "label": rendering.KIND_LABELS[kind], "params": rendering.KIND_PARAM_HELP[kind],
        "numbered": kind in rendering.NUMBERED_KINDS,
        "allowed": permissions.can_generate_document(g.api_user, kind),
    } for kind in rendering.KINDS]})


def _kind_and_params() -> tuple[str, dict]:
    data = json_body()
    kind = data.get("kind")
    if not isinstance(kind, str) or not kind:
        raise ValidationError(f"Thiếu loại văn bản \"kind\" (một trong: {', '.join(rendering.KINDS)}).")
    if kind not in rendering.KINDS:
        raise ValidationError(f"Loại văn bản không hợp lệ: \"{kind}\" (một trong: {', '.join(rendering.KINDS)}).")
    params = {k: v for k, v in data.items() if k != "kind"}
    return kind, params


@bp.post("/documents")
@api_auth
def create_document():
    kind, params = _kind_and_params()
    document = document_service.generate_document(g.api_user, kind, params, clock.utcnow())
    response = jsonify(document_json(document))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_document", document_id=document.id)
    return response


@bp.post("/documents/preview")
@api_auth
def preview_document():
    kind, params = _kind_and_params()
    return jsonify(document_service.preview(g.api_user, kind, params, clock.utcnow()))


@bp.get("/documents")
@api_auth
def list_documents():
    page, per_page = pagination_args()
    from models import Document
    from workflow import queries

    query = document_service.list_documents(g.api_user, kind=request.args.get("kind") or None)
    page_obj = queries.paginate(query, page, per_page, (Document.created_at.desc(), Document.id.desc()))
    return jsonify(listing(page_obj, [document_json(d) for d in page_obj.items]))


@bp.get("/documents/<int:document_id>")
@api_auth
def get_document(document_id: int):
    return jsonify(document_json(document_service.get_document(g.api_user, document_id), data=True))


@bp.get("/documents/<int:document_id>.<any(docx, pdf):fmt>")
@api_auth
def download_document(document_id: int, fmt: str):
    document, content = document_service.document_file(g.api_user, document_id, fmt)
    sha = document.docx_sha256 if fmt == "docx" else document.pdf_sha256
    response = send_file(io.BytesIO(content), as_attachment=True,
                         mimetype=rendering.DOCX_TYPE if fmt == "docx" else rendering.PDF_TYPE,
                         download_name=document_service.download_name(document, fmt), etag=sha,
                         max_age=0)
    response.headers["Cache-Control"] = "private, max-age=0"
    return response


# --- bulk jobs -------------------------------------------------------------------


@bp.post("/documents/indicator-forms")
@api_auth
def bulk_indicator_forms():
    data = json_body()
    period = data.get("period")
    if not isinstance(period, str) or not period:
        raise ValidationError("Thiếu kỳ báo cáo \"period\" (ví dụ 2026-05).")
    unknown = sorted(set(data) - {"period", "catalogue"})
    if unknown:
        raise ValidationError(f"Tham số không dùng: {', '.join(unknown)} (cần period, catalogue).")
    job = document_service.start_indicator_forms(g.api_user, period=period, catalogue=data.get("catalogue"),
                                                 now=clock.utcnow())
    job_service.start(job)
    job = job_service.get(job.id)
    response = jsonify(job_json(job))
    response.status_code = 202
    response.headers["Location"] = url_for("api.get_job", job_id=job.id)
    return response


@bp.get("/jobs/<int:job_id>")
@api_auth
def get_job(job_id: int):
    permissions.require_read_documents(g.api_user)
    return jsonify(job_json(job_service.get(job_id)))


@bp.get("/jobs/<int:job_id>/result")
@api_auth
def job_result(job_id: int):
    job, content = document_service.job_result(g.api_user, job_id)
    return send_file(io.BytesIO(content), as_attachment=True, mimetype="application/zip",
                     download_name=job.result_name or f"job-{job.id}.zip", etag=job.result_sha256, max_age=0)


# --- the numbering register ----------------------------------------------------------


def register_json(row) -> dict:
    if isinstance(row, dict):
        out = dict(row)
        out["created_at"] = iso(out["created_at"])
        return out
    return register_json({
        "id": row.id, "number": row.full_number, "issuer": {"code": row.issuer.code, "name": row.issuer.name},
        "symbol": row.symbol, "year": row.year, "status": row.status, "status_label": row.status_label,
        "kind": row.kind, "reason": row.reason, "void_reason": row.void_reason, "document": row.document_id,
        "dispatch": None, "created_at": row.created_at})


@bp.get("/register")
@api_auth
def list_register():
    permissions.require_read_documents(g.api_user)
    year = request.args.get("year")
    if year and (not (year.isascii() and year.isdigit()) or len(year) > 4 or not clock.year_in_range(int(year))):
        raise ValidationError(f"year phải là số năm từ {clock.MIN_YEAR} đến {clock.MAX_YEAR}, ví dụ 2026.")
    rows = register_service.register_listing(issuer=request.args.get("issuer") or None,
                                             symbol=request.args.get("symbol") or None,
                                             year=int(year) if year else None)
    return jsonify({"items": [register_json(r) for r in rows], "total": len(rows)})


@bp.post("/register")
@api_auth
def reserve_number():
    data = json_body()
    for field in ("issuer", "symbol", "reason"):
        if not isinstance(data.get(field), str) or not data.get(field).strip():
            raise ValidationError(f"Thiếu trường bắt buộc \"{field}\".")
    year = data.get("year")
    if year is not None and not clock.year_in_range(year):
        raise ValidationError(f"year phải là số năm từ {clock.MIN_YEAR} đến {clock.MAX_YEAR}, ví dụ 2026.")
    entry = register_service.reserve(g.api_user, issuer=data["issuer"], symbol=data["symbol"],
                                     reason=data["reason"], year=year, now=clock.utcnow())
    response = jsonify(register_json(entry))
    response.status_code = 201
    return response


@bp.post("/register/<int:entry_id>/void")
@api_auth
def void_number(entry_id: int):
    data = json_body()
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError("Thiếu lý do hủy số \"reason\".")
    return jsonify(register_json(register_service.void(g.api_user, entry_id, reason=reason, now=clock.utcnow())))
