"""Pages of the outgoing document's life (issue 13): submit for signature, sign (on the server or by
uploading a file signed outside), return, issue; the signer's list; the inbox of delivered documents
("Văn bản đến"); verifying any PDF's signatures; the admin's signing certificates.

Thin views: they parse a Flask-WTF form, call ``workflow.services.outgoing`` and flash the Vietnamese
message of any refusal. The panel on the document page is ``templates/documents/_lifecycle.html``,
filled by ``lifecycle_panel`` (a template global).
"""
from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from sqlalchemy import select

from models import InboxItem, RegisterEntry, SigningCredential, Unit, User
from workflow import permissions, queries
from workflow.errors import DomainError
from workflow.extensions import db
from workflow.services import outgoing
from workflow.statemachine import EVENT_LABELS, STATE_LABELS
from workflow.web import bp, flash_error
from workflow.web.forms import (CredentialForm, IssueDocumentForm, ReturnDocumentForm, SignDocumentForm,
                                SubmitDocumentForm, UploadSignedForm, VerifySignaturesForm)
from workflow.web.helpers import fits_db, flash_form_errors, now, parse_int, require, user

PER_PAGE = 30


def _signer_choices() -> list[tuple[str, str]]:
    return [(u.username, f"{u.full_name or u.username}{' — ' + u.title if u.title else ' (chưa có chức vụ)'}")
            for u in outgoing.signers()]


def _reservation_choices(lifecycle) -> list[tuple[str, str]]:
    choices = [("", "— Lấy số tiếp theo trong sổ —")]
    if lifecycle is not None and lifecycle.issuer_id is not None:
        reserved = db.session.scalars(select(RegisterEntry).where(
            RegisterEntry.status == "reserved", RegisterEntry.issuer_id == lifecycle.issuer_id,
            RegisterEntry.symbol == lifecycle.symbol).order_by(RegisterEntry.id))
        choices += [(str(e.id), f"Số đã giữ {e.full_number} · {e.reason or ''}"[:120]) for e in reserved]
    return choices


def lifecycle_panel(document) -> dict | None:
    """What the document page shows of its life, and the forms the signed-in user may use."""
    if document.kind not in permissions.LIFECYCLE_KINDS:
        return None
    actor = user()
    state = outgoing.state_of(document)
    if state["status"] is None:
        return {"numbered": True}
    lifecycle = outgoing.lifecycle_of(document.id)
    version = str(state["version"])
    forms = {}
    if state["status"] in ("draft", "returned") and permissions.can_submit_document(actor):
        form = SubmitDocumentForm(version=version)
        form.signer.choices = _signer_choices()
        forms["submit"] = form
    if lifecycle is not None and lifecycle.status == "submitted" and permissions.is_named_signer(actor, lifecycle):
        forms["sign"] = SignDocumentForm(version=version)
        forms["upload"] = UploadSignedForm(version=version)
        forms["return"] = ReturnDocumentForm(version=version)
    if lifecycle is not None and lifecycle.status == "signed" and permissions.can_issue_document(actor):
        form = IssueDocumentForm(version=version)
        form.reservation.choices = _reservation_choices(lifecycle)
        forms["issue"] = form
    return {"numbered": False, "state": state, "label": STATE_LABELS.get(state["status"], state["status"]),
            "lifecycle": lifecycle, "forms": forms, "event_labels": EVENT_LABELS, "state_labels": STATE_LABELS,
            "history": outgoing.history(document.id) if lifecycle is not None else [],
            "inbox": outgoing.inbox_for_document(document.id) if lifecycle is not None else []}


@bp.app_context_processor
def _lifecycle_globals():
    return {"lifecycle_panel": lifecycle_panel, "waiting_for_signature": _waiting_for_signature}


def _waiting_for_signature():
    actor = user()
    if actor is None or not getattr(actor, "is_authenticated", False) or actor.role != "leader":
        return []
    from flask import request

    cache = request.environ  # once per request: the leader's dashboard and the menu both show it (issue 16)
    if "workflow.waiting_for_signature" not in cache:
        cache["workflow.waiting_for_signature"] = outgoing.waiting_for(actor)
    return cache["workflow.waiting_for_signature"]


def _back(document_id: int):
    return redirect(url_for("web.document_detail", document_id=document_id), code=303)


def _version(form) -> int | None:
    value = (form.version.data or "").strip()
    return int(value) if value.isdecimal() else -1


def _guard(document_id: int):
    if not fits_db(document_id):
        abort(404)
    require(permissions.can_read_documents(user()) or user().role == "leader")
    try:
        document = outgoing.get_document(document_id)
        outgoing.require_read(user(), document)
    except DomainError:
        abort(404)
    return document


def _guard_signer(document_id: int) -> None:
    _guard(document_id)
    lifecycle = outgoing.lifecycle_of(document_id)
    require(lifecycle is not None and permissions.is_named_signer(user(), lifecycle))


@bp.post("/documents/<int:document_id>/submit")
def document_submit(document_id: int):
    _guard(document_id)
    require(permissions.can_submit_document(user()))
    form = SubmitDocumentForm()
    form.signer.choices = _signer_choices()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(document_id)
    try:
        lifecycle = outgoing.submit(user(), document_id, version=_version(form), signer=form.signer.data,
                                    note=form.note.data, now=now())
    except DomainError as exc:
        flash_error(exc)
        return _back(document_id)
    flash(f"Đã trình ký văn bản tới {lifecycle.signer.full_name} ({lifecycle.signer.title}).", "success")
    return _back(document_id)


@bp.post("/documents/<int:document_id>/sign")
def document_sign(document_id: int):
    _guard_signer(document_id)
    form = SignDocumentForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(document_id)
    try:
        outgoing.sign(user(), document_id, version=_version(form), passphrase=form.passphrase.data, now=now())
    except DomainError as exc:
        flash_error(exc)
        return _back(document_id)
    flash("Đã ký số văn bản; văn bản chuyển tới văn thư để cấp số và phát hành.", "success")
    return _back(document_id)


@bp.post("/documents/<int:document_id>/signed")
def document_upload_signed(document_id: int):
    _guard_signer(document_id)
    form = UploadSignedForm()
    upload = request.files.get("file")
    if not form.validate_on_submit() or upload is None or not upload.filename:
        flash_form_errors(form)
        if upload is None or not upload.filename:
            flash("Cần chọn tệp PDF đã ký.", "danger")
        return _back(document_id)
    try:
        outgoing.upload_signed(user(), document_id, upload.read(), version=_version(form), now=now())
    except DomainError as exc:
        flash_error(exc)
        return _back(document_id)
    flash("Đã nhận tệp đã ký: đúng văn bản trình ký và chữ ký số hợp lệ.", "success")
    return _back(document_id)


@bp.post("/documents/<int:document_id>/return")
def document_return(document_id: int):
    _guard_signer(document_id)
    form = ReturnDocumentForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(document_id)
    try:
        outgoing.return_document(user(), document_id, version=_version(form), note=form.note.data, now=now())
    except DomainError as exc:
        flash_error(exc)
        return _back(document_id)
    flash("Đã trả lại văn bản cho Văn phòng kèm ý kiến.", "success")
    return _back(document_id)


@bp.post("/documents/<int:document_id>/issue")
def document_issue(document_id: int):
    _guard(document_id)
    require(permissions.can_issue_document(user()))
    form = IssueDocumentForm()
    form.reservation.choices = _reservation_choices(outgoing.lifecycle_of(document_id))
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(document_id)
    reservation = int(form.reservation.data) if (form.reservation.data or "").isdecimal() else None
    try:
        lifecycle = outgoing.issue(user(), document_id, version=_version(form), passphrase=form.passphrase.data,
                                   now=now(), reservation=reservation)
    except DomainError as exc:
        flash_error(exc)
        return _back(document_id)
    delivered = len(outgoing.inbox_for_document(document_id))
    by_hand = len(lifecycle.external_recipients or [])
    flash(f"Đã phát hành văn bản số {lifecycle.number}; đã gửi tới {delivered} cơ quan, đơn vị"
          + (f"; {by_hand} nơi nhận ngoài hệ thống cần gửi trực tiếp." if by_hand else "."), "success")
    return _back(document_id)


@bp.get("/documents/<int:document_id>/signing.pdf")
def document_signing_pdf(document_id: int):
    _guard(document_id)
    try:
        lifecycle, content, stage = outgoing.lifecycle_pdf(user(), document_id)
    except DomainError:
        abort(404)
    response = send_file(io.BytesIO(content), as_attachment=True, mimetype="application/pdf",
                         download_name=f"van-ban-{document_id}-{stage}.pdf", etag=lifecycle.current_pdf[1],
                         max_age=0)
    response.headers["Cache-Control"] = "private, max-age=0"
    return response


@bp.get("/signatures/waiting")
def documents_to_sign():
    actor = user()
    require(actor.role == "leader")
    return render_template("documents/to_sign.html", waiting_items=outgoing.waiting_for(actor))


# --- inbox ----------------------------------------------------------------------------------------------

@bp.get("/inbox")
def inbox():
    actor = user()
    require(permissions.can_read_inbox(actor))
    page = parse_int(request.args.get("page"), 1, maximum=100000) or 1
    result = queries.paginate(outgoing.inbox_query(actor), page, PER_PAGE,
                              (InboxItem.delivered_at.desc(), InboxItem.id.desc()))
    return render_template("inbox/list.html", result=result, unit=actor.unit)


def _inbox_item(item_id: int) -> InboxItem:
    actor = user()
    require(permissions.can_read_inbox(actor))
    if not fits_db(item_id):
        abort(404)
    try:
        return outgoing.open_inbox_item(actor, item_id, now=now())
    except DomainError:
        abort(404)


@bp.get("/inbox/<int:item_id>")
def inbox_item(item_id: int):
    item = _inbox_item(item_id)
    return render_template("inbox/detail.html", item=item, lifecycle=item.lifecycle,
                           document=item.lifecycle.document)


@bp.get("/inbox/<int:item_id>.pdf")
def inbox_item_pdf(item_id: int):
    item = _inbox_item(item_id)
    try:
        item, content = outgoing.inbox_pdf(user(), item.id, now=now())
    except DomainError:
        abort(404)
    response = send_file(io.BytesIO(content), as_attachment=True, mimetype="application/pdf",
                         download_name=f"van-ban-den-{item.id}.pdf", max_age=0)
    response.headers["Cache-Control"] = "private, max-age=0"
    return response


# --- verifying any PDF ------------------------------------------------------------------------------------

@bp.route("/signatures/verify", methods=["GET", "POST"])
def signatures_verify():
    actor = user()
    require(permissions.can_verify_signatures(actor))
    form = VerifySignaturesForm()
    results, status, name = None, 200, None
    if request.method == "POST":
        upload = request.files.get("file")
        if not form.validate_on_submit() or upload is None or not upload.filename:
            flash_form_errors(form)
            if upload is None or not upload.filename:
                flash("Cần chọn tệp PDF để kiểm tra.", "danger")
            status = 400
        else:
            name = upload.filename
            try:
                results = outgoing.verify_pdf(actor, upload.read(), now=now())
            except DomainError as exc:
                flash_error(exc)
                status = exc.status
    return render_template("signatures/verify.html", form=form, results=results, name=name), status


# --- the admin's signing certificates ------------------------------------------------------------------

def _credential_form() -> CredentialForm:
    form = CredentialForm()
    leaders = db.session.scalars(select(User).where(User.role == "leader").order_by(User.full_name))
    organs = db.session.scalars(select(Unit).where(Unit.kind == "party", Unit.active.is_(True)).order_by(Unit.name))
    form.owner.choices = ([(f"user:{u.username}", f"Người ký: {u.full_name or u.username}") for u in leaders]
                          + [(f"unit:{u.code}", f"Cơ quan (con dấu): {u.name}") for u in organs])
    return form


@bp.route("/admin/signing", methods=["GET", "POST"])
def admin_signing():
    actor = user()
    require(permissions.can_install_credentials(actor))
    form = _credential_form()
    status = 200
    if request.method == "POST":
        upload = request.files.get("file")
        image = request.files.get("image")
        kind, _, ref = (form.owner.data or "").partition(":")
        if not form.validate_on_submit():
            flash_form_errors(form)
            status = 400
        elif (upload is None or not upload.filename) and kind == "user" and (form.title.data or "").strip():
            try:
                signer = outgoing.set_signer_title(actor, ref, form.title.data)
            except DomainError as exc:
                flash_error(exc)
                status = exc.status
            else:
                flash(f"Đã ghi chức vụ của {signer.full_name or signer.username}: {signer.title}.", "success")
                return redirect(url_for("web.admin_signing"), code=303)
        elif upload is None or not upload.filename:
            flash("Cần chọn tệp chứng thư số (.p12, .pfx) (hoặc chỉ ghi chức vụ của người ký).", "danger")
            status = 400
        else:
            try:
                credential = outgoing.install_credential(
                    actor, pkcs12=upload.read(), passphrase=form.passphrase.data, now=now(),
                    username=ref if kind == "user" else None, unit_code=ref if kind == "unit" else None,
                    image=image.read() if image is not None and image.filename else None,
                    title=form.title.data)
            except DomainError as exc:
                flash_error(exc)
                status = exc.status
            else:
                flash(f"Đã cài đặt chứng thư số {credential.subject} (hiệu lực đến "
                      f"{credential.not_after.strftime('%d/%m/%Y') if credential.not_after else '?'}); "
                      "mật khẩu không được lưu.", "success")
                return redirect(url_for("web.admin_signing"), code=303)
    credentials = db.session.scalars(select(SigningCredential).order_by(SigningCredential.id.desc())).all()
    return render_template("admin/signing.html", form=form, credentials=credentials), status


