"""API routes of the outgoing document's life (issue 13, DESIGN section 6.1 and 7):

- ``POST /api/v1/documents/<id>/events`` ``{"event": "submit"|"return"|"sign"|"issue", "version",
  "signer", "note", "passphrase", "reservation"}`` → 200 the document's life
- ``GET /api/v1/documents/<id>/lifecycle`` · ``GET /api/v1/documents/<id>/signing.pdf`` (the file to
  sign, the signed one, or the issued one)
- ``POST /api/v1/documents/<id>/signed`` multipart ``file``: the PDF signed outside
- ``POST /api/v1/signatures/verify`` multipart ``file``: any PDF's signatures
- ``GET /api/v1/inbox`` · ``GET /api/v1/inbox/<id>.pdf`` (marks it read)
"""
from __future__ import annotations

import io

from flask import g, jsonify, request, send_file, url_for

from workflow import clock, permissions
from workflow.api import api_auth, bp, json_body, listing, pagination_args
from workflow.api.serializers import iso
from workflow.errors import NotFound, ValidationError
from workflow.services import outgoing
from workflow.statemachine import EVENT_LABELS, STATE_LABELS


def lifecycle_json(document, lifecycle) -> dict:
    state = outgoing.state_of(document)
    body = {
        "document": document.id, "kind": document.kind, "title": document.title,
        "status": state["status"], "status_label": STATE_LABELS.get(state["status"], state["status"]),
        "version": state["version"], "signer": None, "number": None, "issued_on": None, "issued_at": None,
        "signed_at": None, "sign_method": None, "note": None, "external_recipients": [], "history": [],
        "inbox": [], "links": {"self": url_for("api.document_lifecycle", document_id=document.id)},
    }
    if lifecycle is None:
        return body
    signer = lifecycle.signer
    body.update({
        "signer": {"username": signer.username, "full_name": signer.full_name, "title": signer.title}
        if signer is not None else None,
        "number": lifecycle.number, "issued_on": lifecycle.issued_on.isoformat() if lifecycle.issued_on else None,
        "issued_at": iso(lifecycle.issued_at), "signed_at": iso(lifecycle.signed_at),
        "sign_method": lifecycle.sign_method, "note": lifecycle.note,
        "external_recipients": lifecycle.external_recipients or [],
        "history": [{
            "event": e.event, "label": EVENT_LABELS.get(e.event, e.event), "from": e.from_status, "to": e.to_status,
            "actor": e.actor.username if e.actor is not None else None, "note": e.note, "details": e.details,
            "version": e.version, "at": iso(e.at)} for e in outgoing.history(document.id)],
        "inbox": [{"unit": {"code": i.unit.code, "name": i.unit.name}, "delivered_at": iso(i.delivered_at),
                   "read_at": iso(i.read_at), "read_by": i.read_by.username if i.read_by is not None else None}
                  for i in outgoing.inbox_for_document(document.id)],
    })
    if lifecycle.current_pdf[0]:
        body["links"]["pdf"] = url_for("api.document_signing_pdf", document_id=document.id)
    return body


@bp.get("/documents/<int:document_id>/lifecycle")
@api_auth
def document_lifecycle(document_id: int):
    document = outgoing.get_document(document_id)
    lifecycle = outgoing.require_read(g.api_user, document)
    return jsonify(lifecycle_json(document, lifecycle))


@bp.post("/documents/<int:document_id>/events")
@api_auth
def document_event(document_id: int):
    data = json_body()
    event = data.get("event")
    if event not in ("submit", "return", "sign", "issue"):
        raise ValidationError("event phải là một trong: submit, return, sign, issue.")
    for name in ("note", "passphrase", "signer"):
        if data.get(name) is not None and not isinstance(data.get(name), str):
            raise ValidationError(f"\"{name}\" phải là chuỗi ký tự.")
    reservation = data.get("reservation")
    if reservation is not None and (isinstance(reservation, bool) or not isinstance(reservation, int)):
        raise ValidationError("reservation phải là mã số (id) của số đã giữ.")
    version, now, actor = data.get("version"), clock.utcnow(), g.api_user
    document = outgoing.get_document(document_id)
    outgoing.require_read(actor, document)
    if event == "submit":
        outgoing.submit(actor, document_id, version=version, signer=data.get("signer"), note=data.get("note"),
                        now=now)
    elif event == "return":
        outgoing.return_document(actor, document_id, version=version, note=data.get("note"), now=now)
    elif event == "sign":
        outgoing.sign(actor, document_id, version=version, passphrase=data.get("passphrase"), now=now)
    else:
        outgoing.issue(actor, document_id, version=version, passphrase=data.get("passphrase"), now=now,
                       reservation=reservation)
    return jsonify(lifecycle_json(document, outgoing.lifecycle_of(document_id)))


@bp.get("/documents/<int:document_id>/signing.pdf")
@api_auth
def document_signing_pdf(document_id: int):
    lifecycle, content, stage = outgoing.lifecycle_pdf(g.api_user, document_id)
    sha = lifecycle.current_pdf[1]
    response = send_file(io.BytesIO(content), as_attachment=True, mimetype="application/pdf",
                         download_name=f"van-ban-{document_id}-{stage}.pdf", etag=sha, max_age=0)
    response.headers["Cache-Control"] = "private, max-age=0"
    return response


def _uploaded_pdf() -> bytes:
    upload = request.files.get("file")
    if upload is None:
        raise ValidationError("Cần gửi tệp PDF trong trường \"file\" (multipart/form-data).")
    return upload.read()


@bp.post("/documents/<int:document_id>/signed")
@api_auth
def document_signed_upload(document_id: int):
    document = outgoing.get_document(document_id)
    lifecycle = outgoing.require_read(g.api_user, document)
    if lifecycle is not None:
        permissions.require_document_event(g.api_user, lifecycle, "sign")
    content = _uploaded_pdf()
    version = request.form.get("version")
    if version is not None and not version.isdecimal():
        raise ValidationError("version phải là số nguyên.")
    outgoing.upload_signed(g.api_user, document_id, content, now=clock.utcnow(),
                           version=int(version) if version is not None else None)
    return jsonify(lifecycle_json(document, outgoing.lifecycle_of(document_id)))


def signature_json(item: dict) -> dict:
    return {
        "field": item["field"], "signer": item["signer"], "subject": item["subject"], "issuer": item["issuer"],
        "time": iso(item["time"]) if item["time"] else None, "intact": item["intact"], "valid": item["valid"],
        "trusted": item["trusted"], "certification": item["certify"], "coverage": item["coverage"],
        "modification": item["modification"], "modification_label": item["modification_label"],
        "expired": item.get("expired"), "ok": item.get("ok", False), "error": item["error"],
    }


@bp.post("/signatures/verify")
@api_auth
def verify_signatures():
    results = outgoing.verify_pdf(g.api_user, _uploaded_pdf(), now=clock.utcnow())
    return jsonify({"signatures": [signature_json(r) for r in results], "count": len(results),
                    "all_ok": bool(results) and all(r.get("ok") for r in results)})


def inbox_json(item) -> dict:
    lifecycle = item.lifecycle
    document = lifecycle.document
    return {
        "id": item.id, "document": document.id, "kind": document.kind, "title": document.title,
        "number": lifecycle.number, "issued_on": lifecycle.issued_on.isoformat() if lifecycle.issued_on else None,
        "issuer": {"code": lifecycle.issuer.code, "name": lifecycle.issuer.name} if lifecycle.issuer else None,
        "delivered_at": iso(item.delivered_at), "read_at": iso(item.read_at),
        "read_by": item.read_by.username if item.read_by is not None else None,
        "links": {"pdf": url_for("api.inbox_pdf", item_id=item.id)},
    }


@bp.get("/inbox")
@api_auth
def inbox():
    from models import InboxItem
    from workflow import queries

    if not permissions.can_read_inbox(g.api_user):
        raise NotFound("Tài khoản không thuộc đơn vị nào nên không có văn bản đến.")
    page, per_page = pagination_args()
    query = outgoing.inbox_query(g.api_user)
    unread = request.args.get("unread")
    if unread in ("1", "true"):
        query = query.where(InboxItem.read_at.is_(None))
    page_obj = queries.paginate(query, page, per_page, (InboxItem.delivered_at.desc(), InboxItem.id.desc()))
    return jsonify(listing(page_obj, [inbox_json(i) for i in page_obj.items]))


@bp.get("/inbox/<int:item_id>.pdf")
@api_auth
def inbox_pdf(item_id: int):
    item, content = outgoing.inbox_pdf(g.api_user, item_id, now=clock.utcnow())
    response = send_file(io.BytesIO(content), as_attachment=True, mimetype="application/pdf",
                         download_name=f"van-ban-den-{item.id}.pdf", max_age=0)
    response.headers["Cache-Control"] = "private, max-age=0"
    return response
