"""Generating documents: number, render, store, archive.

``generate_document`` is the one change of state for a document: it checks
who asks, takes a register number when the kind is numbered (reminder,
task_report), renders the .docx and the PDF (workflow/documents.py), stores
both files (workflow/storage.py) and writes the ``Document`` row with the
data it was rendered from, the template's sha256 and the files' sha256. A
document is never modified; generating again makes a new row (and, for a
numbered kind, takes a new number).

The number is committed before the slow rendering (so no lock is held while
LibreOffice runs) and voided with the reason if the rendering fails: a number
is never given twice, and a gap in the register always has an explanation.

Bulk: ``start_indicator_forms`` queues a job that renders the indicator form
of every commune-level unit for a period, as .docx and PDF, into one zip.
"""
from __future__ import annotations

import hashlib
import io
import re
import zipfile
from datetime import date, datetime

from sqlalchemy import select

from models import Document, RegisterEntry, Unit
from workflow import documents as rendering
from workflow import permissions
from workflow.errors import NotFound, ValidationError
from workflow.extensions import db
from workflow.services import jobs, register, unit_of_work
from workflow.storage import get_storage, new_key
from workflow.queries import unit_by_code

BULK_FORMS_JOB = "indicator_forms"


def preview(actor, kind: str, params: dict | None, now: datetime) -> dict:
    """What a document would contain (its data and plain text), without numbering or storing it."""
    permissions.require_generate_document(actor, kind)
    normalized = rendering.normalize_params(kind, params, now)
    number = None
    if kind in rendering.NUMBERED_KINDS and not normalized["draft"]:
        number = f"(số sẽ cấp)-{normalized['symbol']}"
    data = rendering.build_data(kind, normalized, number=number)
    return {"kind": kind, "params": normalized, "data": data, "text": rendering.plain_text(data),
            "title": rendering.document_title(kind, normalized, data)}


def generate_document(actor, kind: str, params: dict | None, now: datetime) -> Document:
    """Render, number (if the kind takes a number), store and archive one document."""
    permissions.require_generate_document(actor, kind)
    normalized = rendering.normalize_params(kind, params, now)
    rendering.build_data(kind, normalized)  # refuse a bad request before a number is taken

    entry_id, number, reserved = None, None, False
    if kind in rendering.NUMBERED_KINDS and not normalized["draft"]:
        issuer = unit_by_code(normalized["issuer"])
        year = date.fromisoformat(normalized["date"]).year
        with unit_of_work():
            if normalized.get("reservation"):
                entry = register.claim_reservation(normalized["reservation"], issuer=issuer,
                                                   symbol=normalized["symbol"], kind=kind)
                reserved = True
            else:
                entry = register.take(issuer, normalized["symbol"], year, status="used", kind=kind,
                                      actor=actor, now=now)
            entry_id, number = entry.id, entry.full_number

    try:
        data = rendering.build_data(kind, normalized, number=number)
        title = rendering.document_title(kind, normalized, data)
        docx = rendering.render_docx(kind, data, title=title)
        pdf = rendering.render_pdf(kind, data, docx)
        pdf_source = _pdf_source(kind)
        with unit_of_work():
            storage = get_storage()
            docx_file = storage.put(new_key("documents", ".docx"), docx, rendering.DOCX_TYPE)
            pdf_file = storage.put(new_key("documents", ".pdf"), pdf, rendering.PDF_TYPE)
            document = Document(
                kind=kind, number=rendering.archive_number(kind, data, number),
                title=title[:300],
                template_name=f"docs_templates/{kind}.docx", template_sha256=rendering.template_sha256(kind),
                data={"params": normalized, "context": data, "pdf": pdf_source},
                docx_key=docx_file.key, docx_sha256=docx_file.sha256,
                pdf_key=pdf_file.key, pdf_sha256=pdf_file.sha256,
                created_by_id=getattr(actor, "id", None), created_at=now,
            )
            db.session.add(document)
            db.session.flush()
            if entry_id is not None:
                db.session.get(RegisterEntry, entry_id).document_id = document.id
    except Exception as exc:
        if entry_id is not None:
            _release(entry_id, reserved, f"Lỗi khi tạo văn bản: {exc}", now)
        raise
    return document


def _pdf_source(kind: str) -> dict:
    """How the PDF was made: from the .docx by LibreOffice, or from a printable HTML template."""
    if kind in rendering.HTML_PDF_KINDS:
        from config import BASE_DIR

        path = BASE_DIR / "templates" / rendering.PRINT_TEMPLATES / f"{kind}.html"
        return {"engine": "wkhtmltopdf", "template": f"templates/{rendering.PRINT_TEMPLATES}/{kind}.html",
                "template_sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    return {"engine": "libreoffice", "template": f"docs_templates/{kind}.docx"}


def _release(entry_id: int, reserved: bool, reason: str, now: datetime) -> None:
    """After a failure: a claimed reservation goes back to reserved; a fresh number is voided."""
    db.session.rollback()
    if reserved:
        with unit_of_work():
            entry = db.session.get(RegisterEntry, entry_id)
            if entry is not None and entry.document_id is None:
                entry.status = "reserved"
    else:
        register.release_failed(entry_id, reason=reason, now=now)


# --- reading ------------------------------------------------------------------


def get_document(actor, document_id: int) -> Document:
    permissions.require_read_documents(actor)
    document = db.session.get(Document, document_id)
    if document is None:
        raise NotFound("Không tìm thấy văn bản.")
    return document


def document_file(actor, document_id: int, fmt: str) -> tuple[Document, bytes]:
    """The stored .docx or .pdf of a document, checked against its recorded sha256."""
    document = get_document(actor, document_id)
    key, digest = {"docx": (document.docx_key, document.docx_sha256),
                   "pdf": (document.pdf_key, document.pdf_sha256)}.get(fmt, (None, None))
    if key is None:
        raise NotFound("Không có tệp này.")
    try:
        content = get_storage().get(key)
    except FileNotFoundError:
        raise NotFound("Tệp của văn bản không còn trong kho lưu trữ.") from None
    if hashlib.sha256(content).hexdigest() != digest:
        raise RuntimeError(f"stored file {key} does not match its recorded sha256")
    return document, content


def list_documents(actor, *, kind: str | None = None):
    """A SELECT of the archive, newest first (for the pages and the API)."""
    permissions.require_read_documents(actor)
    query = select(Document)
    if kind:
        if kind not in rendering.KINDS:
            raise ValidationError(f"Loại văn bản không hợp lệ: \"{kind}\".")
        query = query.where(Document.kind == kind)
    return query


def download_name(document: Document, fmt: str) -> str:
    """``task_report-12-BC-DU-5.pdf``: ASCII, safe in a Content-Disposition header."""
    from workflow.text import slugify

    number = slugify(document.number or "") if document.number else ""
    return "-".join(filter(None, [document.kind.replace("_", "-"), number, str(document.id)])) + f".{fmt}"


# --- bulk: every commune's indicator form for a period, as one zip --------------------------


def start_indicator_forms(actor, *, period: str, now: datetime, catalogue: str | None = None,
                          unit_kind: str = "commune"):
    """Queue the job; the caller runs it (inline, in a thread, or leaves it to ``flask run-jobs``)."""
    permissions.require_generate_document(actor, "indicator_form")
    period = rendering.parse_period(period)
    if catalogue is not None and not isinstance(catalogue, str):
        raise ValidationError("Danh mục (catalogue) phải là chuỗi ký tự, ví dụ \"1534-CV/TU\".")
    catalogue = (catalogue or "").strip()[:40] or rendering.DEFAULT_CATALOGUE
    if not rendering.catalogue_indicators(catalogue):
        raise ValidationError(f"Không có danh mục chỉ tiêu \"{catalogue}\".")
    count = len(_bulk_units(unit_kind))
    if count == 0:
        raise ValidationError("Không có đơn vị nào để tạo biểu mẫu.")
    return jobs.create(BULK_FORMS_JOB, {"period": period, "catalogue": catalogue, "unit_kind": unit_kind},
                       actor=actor, now=now, total=count * 2,
                       message=f"Đang chờ tạo biểu mẫu cho {count} đơn vị")


def _bulk_units(unit_kind: str) -> list[Unit]:
    units = db.session.scalars(select(Unit).where(Unit.kind == unit_kind, Unit.active.is_(True)))
    return sorted(units, key=lambda u: rendering.sort_key_vi(u.name))


def indicator_forms_zip(units: list[Unit], period: str, catalogue: str, progress=None) -> bytes:
    """The forms of ``units`` as one zip: ``NNN-<unit code>.docx`` and ``.pdf`` each, and a list."""
    indicators = rendering.catalogue_indicators(catalogue)
    preloaded = {"indicators": indicators, "appendix": rendering.appendix_lines(catalogue),
                 "reports": rendering.indicator_reports([u.id for u in units], period, [i.id for i in indicators])}
    datas = [rendering.clean(rendering.indicator_form_data(
        {"unit": u.code, "period": period, "catalogue": catalogue}, preloaded=preloaded)) for u in units]
    markers = [f"Đơn vị báo cáo: {d['unit_name']} - Kỳ báo cáo" for d in datas]
    results = rendering.render_batch("indicator_form", datas, markers, progress=progress)
    out = io.BytesIO()
    lines = [f"Biểu mẫu {rendering.appendix_lines(catalogue)[0]} - kỳ {rendering.period_label(period)}", ""]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for n, (unit, (docx, pdf)) in enumerate(zip(units, results), start=1):
            stem = f"{n:03d}-{unit.code}"
            archive.writestr(f"{stem}.docx", docx)
            archive.writestr(f"{stem}.pdf", pdf)
            lines.append(f"{stem}\t{unit.name}")
        archive.writestr("danh-sach.txt", "\n".join(lines) + "\n")
    return out.getvalue()


@jobs.runner(BULK_FORMS_JOB)
def run_indicator_forms(job_id: int) -> None:
    """Run a claimed bulk job: render, zip, store; progress on the job row."""
    job = jobs.get(job_id)
    params = dict(job.params)
    try:
        units = _bulk_units(params.get("unit_kind", "commune"))
        content = indicator_forms_zip(units, params["period"], params["catalogue"],
                                      progress=lambda done, total, message: jobs.progress(job_id, done, total,
                                                                                           message))
        name = f"bieu-chi-tieu-{re.sub(r'[^0-9A-Za-z-]', '', params['period'])}-{len(units)}-don-vi.zip"
        with unit_of_work():
            stored = get_storage().put(new_key("jobs", ".zip"), content, "application/zip")
            jobs.finish(job_id, key=stored.key, name=name, sha256=stored.sha256, size=stored.size,
                        message=f"Đã tạo {len(units)} biểu mẫu (.docx và PDF)")
    except Exception as exc:
        jobs.fail(job_id, f"{type(exc).__name__}: {exc}")
        raise


def job_result(actor, job_id: int) -> tuple[object, bytes]:
    permissions.require_read_documents(actor)
    job = jobs.get(job_id)
    if job.status != "done" or not job.result_key:
        from workflow.errors import Conflict

        raise Conflict(f"Tác vụ chưa hoàn thành ({job.status_label}).")
    content = get_storage().get(job.result_key)
    if hashlib.sha256(content).hexdigest() != job.result_sha256:
        raise RuntimeError(f"stored file {job.result_key} does not match its recorded sha256")
    return job, content
