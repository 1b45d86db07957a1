"""The outgoing document's life (issue 13): submit, return, sign, issue and deliver; signing
credentials; verifying any PDF; the recipients' inboxes.

One function per change of state, each owning its commit (``unit_of_work``), each firing the shared
``DOCUMENT_MACHINE`` (workflow/statemachine.py), writing one ``DocumentEvent`` per event and
bumping the lifecycle's ``version`` (a stale version is a 409). Slow work (LibreOffice) happens
before the transaction; signatures (about 0.1–0.3 s) happen inside it, so a refused signature or a
failed seal takes no number: the register's counter rolls back with everything else.

- ``submit``: the draft is rendered again without the DỰ THẢO mark, with blanks for the number and
  the date and the signer's name under the title, as PDF/A-2b, with the form and signature fields
  (workflow/signing.py); it waits in the signer's list.
- ``sign`` (on the server, the signer's PKCS#12 unlocked by the passphrase typed now) or
  ``upload_signed`` (signed outside; accepted only when it is the same document and verifies).
- ``return_document``: back to the office with the signer's comments.
- ``issue``: văn thư unlocks the organisation's certificate, takes the number from the register
  (or a reserved one; an assignment issues its dispatch, whose tasks go live), fills the number and
  date into the signed file, adds the organisation's signature (the seal), then delivers: one
  ``InboxItem`` per recipient unit of the registry; the others are listed for sending by hand.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from models import Dispatch, Document, DocumentEvent, DocumentLifecycle, InboxItem, SigningCredential, Unit, User
from workflow import documents as rendering
from workflow import permissions, signing
from workflow.clock import local_today
from workflow.errors import Conflict, NotFound, StaleVersion, ValidationError
from workflow.extensions import db
from workflow.queries import unit_by_code
from workflow.services import unit_of_work
from workflow.statemachine import DOCUMENT_MACHINE, fire
from workflow.storage import get_storage, new_key
from workflow.text import fold, nfc

PDF_TYPE = "application/pdf"
MAX_PDF_BYTES = 20 * 1024 * 1024


# --- reading --------------------------------------------------------------------------------------


def get_document(document_id: int) -> Document:
    document = db.session.get(Document, document_id)
    if document is None:
        raise NotFound("Không tìm thấy văn bản.")
    return document


def lifecycle_of(document_id: int) -> DocumentLifecycle | None:
    return db.session.get(DocumentLifecycle, document_id)


def in_lifecycle_kinds(document: Document) -> bool:
    return document.kind in permissions.LIFECYCLE_KINDS


def is_draft(document: Document) -> bool:
    return bool(((document.data or {}).get("context") or {}).get("draft"))


def state_of(document: Document) -> dict:
    """``{"status", "version"}`` of a document's life (a draft not yet submitted: version 0)."""
    lifecycle = lifecycle_of(document.id)
    if lifecycle is not None:
        return {"status": lifecycle.status, "version": lifecycle.version}
    if in_lifecycle_kinds(document) and is_draft(document):
        return {"status": "draft", "version": 0}
    return {"status": None, "version": None}


def require_read(actor, document: Document) -> DocumentLifecycle | None:
    lifecycle = lifecycle_of(document.id)
    if permissions.can_read_documents(actor):
        return lifecycle
    if lifecycle is not None and permissions.is_named_signer(actor, lifecycle):
        return lifecycle
    from workflow.errors import Forbidden

    raise Forbidden("Không có quyền xem kho văn bản.")


def lifecycle_pdf(actor, document_id: int) -> tuple[DocumentLifecycle, bytes, str]:
    """The newest PDF of a document's life (to sign, signed, or issued), checked against its sha256."""
    document = get_document(document_id)
    lifecycle = require_read(actor, document)
    if lifecycle is None or lifecycle.current_pdf[0] is None:
        raise NotFound("Văn bản chưa được trình ký nên chưa có tệp ký số.")
    key, digest = lifecycle.current_pdf
    content = _read(key, digest)
    stage = "da-phat-hanh" if lifecycle.issued_key else ("da-ky" if lifecycle.signed_key else "trinh-ky")
    return lifecycle, content, stage


def _read(key: str, digest: str) -> bytes:
    content = get_storage().get(key)
    if hashlib.sha256(content).hexdigest() != digest:
        raise RuntimeError(f"stored file {key} does not match its recorded sha256")
    return content


def waiting_for(actor) -> list[DocumentLifecycle]:
    """What waits for ``actor``'s signature (the signer's dashboard)."""
    if actor is None or not getattr(actor, "id", None):
        return []
    return list(db.session.scalars(select(DocumentLifecycle).where(
        DocumentLifecycle.signer_id == actor.id, DocumentLifecycle.status == "submitted")
        .order_by(DocumentLifecycle.updated_at)))


def signers() -> list[User]:
    """Leaders who may be named as signers (active, with a title)."""
    return list(db.session.scalars(select(User).where(User.role == "leader", User.active.is_(True))
                                   .order_by(User.full_name)))


# --- helpers ------------------------------------------------------------------------------------


def _check_version(lifecycle: DocumentLifecycle | None, version) -> None:
    current = lifecycle.version if lifecycle is not None else 0
    if version is None or isinstance(version, bool) or not isinstance(version, int):
        raise ValidationError("Thiếu phiên bản \"version\" (số nguyên) của văn bản.")
    if version != current:
        raise StaleVersion(f"Văn bản vừa được người khác cập nhật (phiên bản {current}, bạn gửi {version}); "
                           "hãy tải lại rồi thử lại.")


def _require_allowed(lifecycle: DocumentLifecycle, event: str) -> None:
    """Refuse, before any slow or irreversible work, an event the machine does not allow from here."""
    from workflow.errors import TransitionNotAllowed
    from workflow.statemachine import EVENT_LABELS, allowed_events

    if event not in allowed_events(DOCUMENT_MACHINE, lifecycle.status):
        raise TransitionNotAllowed(f"Không thể thực hiện \"{EVENT_LABELS.get(event, event)}\" khi văn bản đang ở "
                                   f"trạng thái \"{lifecycle.status_label}\".")


def _record(lifecycle: DocumentLifecycle, actor, event: str, now: datetime, *, note: str | None = None,
            details: dict | None = None, **kwargs) -> None:
    source, dest = fire(DOCUMENT_MACHINE, lifecycle, event, note=note, **kwargs)
    lifecycle.version += 1
    lifecycle.updated_at = now
    db.session.add(DocumentEvent(document_id=lifecycle.document_id, actor_id=getattr(actor, "id", None),
                                 event=event, from_status=source, to_status=dest, note=note,
                                 details=details or {}, version=lifecycle.version, at=now))


def _issuer_and_symbol(document: Document) -> tuple[Unit, str, Dispatch | None]:
    params = (document.data or {}).get("params", {})
    if document.kind == "assignment":
        dispatch = db.session.get(Dispatch, params.get("dispatch"))
        if dispatch is None:
            raise NotFound("Không tìm thấy công văn của văn bản này.")
        return dispatch.issuer, dispatch.symbol, dispatch
    return unit_by_code(params["issuer"]), params["symbol"], None


def _find_signer(signer) -> User:
    if isinstance(signer, User):
        user = signer
    elif isinstance(signer, int) and not isinstance(signer, bool):
        user = db.session.get(User, signer)
    elif isinstance(signer, str) and signer.strip():
        user = db.session.scalar(select(User).where(User.username == signer.strip()))
    else:
        raise ValidationError("Cần chọn người ký \"signer\" (tên đăng nhập của lãnh đạo).")
    if user is None or not user.active:
        raise ValidationError("Không tìm thấy người ký (tài khoản lãnh đạo đang hoạt động).")
    if user.role != "leader":
        raise ValidationError(f"{user.full_name or user.username} không phải lãnh đạo nên không thể ký văn bản.")
    return user


def signing_data(document: Document, signer: User, dispatch: Dispatch | None) -> dict:
    """The document's data as it goes for signature: no DỰ THẢO, blanks for the number and date, the
    signer's name under the title; refused when the signer's title does not fit the signing block."""
    data = dict((document.data or {}).get("context") or {})
    block_title = data.get("signer_title") or ""
    if not signer.title:
        raise ValidationError(f"Tài khoản {signer.full_name or signer.username} chưa có chức vụ; quản trị hệ thống "
                              "cần ghi chức vụ trước khi trình ký.")
    if fold(signer.title) != fold(block_title):
        raise ValidationError(f"Chức vụ của {signer.full_name or signer.username} ({signer.title}) không khớp với "
                              f"khối chữ ký của văn bản ({block_title}); hãy chọn người ký khác hoặc tạo lại dự thảo "
                              "với chức vụ người ký đúng.")
    if not (signer.full_name or "").strip():
        raise ValidationError("Người ký chưa có họ tên trong tài khoản.")
    data["draft"] = False
    data["signer_name"] = signer.full_name.strip()
    symbol = dispatch.symbol if dispatch is not None else document.data["params"]["symbol"]
    if dispatch is None or dispatch.number is None:
        data["number"] = f"{signing.NUMBER_BLANK}-{symbol}"
    year = (dispatch.year if dispatch is not None and dispatch.year else None) or int(
        (document.data.get("params", {}).get("date") or "0000")[:4] or 0) or None
    data["place_date"] = rendering.place_date(None, year=year)
    return data


def _credential(*, user: User | None = None, unit: Unit | None = None) -> SigningCredential | None:
    query = select(SigningCredential).where(SigningCredential.active.is_(True))
    query = query.where(SigningCredential.user_id == user.id) if user is not None else \
        query.where(SigningCredential.unit_id == unit.id)
    return db.session.scalars(query.order_by(SigningCredential.id.desc())).first()


def trust_roots() -> list:
    return signing.load_trust_roots(current_app.config.get("SIGNATURE_TRUST_ANCHORS") or [])


# --- submit ---------------------------------------------------------------------------------------


def submit(actor, document_id: int, *, version, signer, now: datetime, note: str | None = None) -> DocumentLifecycle:
    """Trình ký: the draft, rendered for signature as PDF/A-2b with its fields, to a named signer."""
    permissions.require_document_event(actor, None, "submit")
    document = get_document(document_id)
    if not in_lifecycle_kinds(document):
        raise ValidationError(f"Loại văn bản \"{rendering.KIND_LABELS.get(document.kind, document.kind)}\" không "
                              "trình ký điện tử (chỉ công văn giao nhiệm vụ, công văn đôn đốc, báo cáo).")
    if not is_draft(document):
        raise Conflict("Văn bản này đã được cấp số khi tạo (không phải dự thảo); hãy tạo bản dự thảo để trình ký "
                       "— số sẽ được cấp khi văn thư phát hành.")
    lifecycle = lifecycle_of(document.id)
    _check_version(lifecycle, version)
    if lifecycle is not None:
        _require_allowed(lifecycle, "submit")
    user = _find_signer(signer)
    issuer, symbol, dispatch = _issuer_and_symbol(document)
    if dispatch is not None and dispatch.status != "draft":
        raise Conflict(f"Công văn {dispatch.full_number} đã ban hành; văn bản này không trình ký lại.")
    data = signing_data(document, user, dispatch)
    title = document.title
    docx = rendering.render_docx(document.kind, data, title=title)
    docx = rendering.with_core_properties(docx, author=issuer.name, title=title)
    pdf = rendering.docx_to_pdfa(docx)
    try:
        layout = signing.locate_fields(pdf, symbol=symbol, signer_title=data.get("signer_title") or "",
                                       signer_name=data["signer_name"],
                                       number=dispatch is None or dispatch.number is None)
    except ValueError as exc:  # the template no longer has the blanks or the signing block where expected
        raise rendering.ConversionError(f"Không đặt được ô số, ngày và chữ ký vào tệp PDF trình ký ({exc}); "
                                        "hãy báo quản trị hệ thống kiểm tra mẫu văn bản.") from None
    prepared = signing.prepare(pdf, layout)
    with unit_of_work():
        lifecycle = lifecycle_of(document.id)
        _check_version(lifecycle, version)
        if lifecycle is None:
            lifecycle = DocumentLifecycle(document_id=document.id, status="draft", version=0,
                                          external_recipients=[], context={})
            db.session.add(lifecycle)
        stored = get_storage().put(new_key("documents", ".pdf"), prepared, PDF_TYPE)
        lifecycle.signer_id, lifecycle.issuer_id, lifecycle.symbol = user.id, issuer.id, symbol
        lifecycle.context = data
        lifecycle.unsigned_key, lifecycle.unsigned_sha256 = stored.key, stored.sha256
        lifecycle.signed_key = lifecycle.signed_sha256 = lifecycle.sign_method = None
        lifecycle.signed_at = None
        lifecycle.note = None
        _record(lifecycle, actor, "submit", now, note=nfc(note) or None, signer=user,
                details={"signer": user.username, "signer_name": user.full_name, "pdf_sha256": stored.sha256})
    return lifecycle


def _lifecycle_for(actor, document_id: int, version, event: str) -> DocumentLifecycle:
    document = get_document(document_id)
    lifecycle = lifecycle_of(document.id)
    if lifecycle is None:
        if permissions.can_read_documents(actor):
            raise Conflict("Văn bản chưa được trình ký.")
        raise NotFound("Không tìm thấy văn bản.")
    permissions.require_document_event(actor, lifecycle, event)
    _check_version(lifecycle, version)
    return lifecycle


# --- return and sign ------------------------------------------------------------------------------


def return_document(actor, document_id: int, *, version, note: str | None, now: datetime) -> DocumentLifecycle:
    with unit_of_work():
        lifecycle = _lifecycle_for(actor, document_id, version, "return")
        note = nfc(note or "").strip()
        _record(lifecycle, actor, "return", now, note=note, details={})
        lifecycle.note = note
    return lifecycle


def sign(actor, document_id: int, *, version, passphrase: str | None, now: datetime) -> DocumentLifecycle:
    """The signer signs on the server with the PKCS#12 the admin installed, unlocked by ``passphrase``."""
    with unit_of_work():
        lifecycle = _lifecycle_for(actor, document_id, version, "sign")
        _require_allowed(lifecycle, "sign")
        credential = _credential(user=actor)
        if credential is None:
            raise ValidationError("Tài khoản của bạn chưa có chứng thư số trên máy chủ; quản trị hệ thống cần cài đặt "
                                  "tệp chứng thư số (.p12), hoặc hãy ký bằng phần mềm ký số rồi tải tệp đã ký lên.")
        signer = signing.unlock(credential.pkcs12, passphrase or "")
        unsigned = _read(lifecycle.unsigned_key, lifecycle.unsigned_sha256)
        signed = signing.sign_as_signer(unsigned, signer, name=actor.full_name, title=actor.title or "",
                                        when=now, image=credential.image)
        _store_signed(lifecycle, actor, signed, "server", now,
                      {"certificate": credential.subject, "fingerprint": credential.fingerprint})
    return lifecycle


def upload_signed(actor, document_id: int, content: bytes, *, now: datetime, version=None) -> DocumentLifecycle:
    """A file signed outside (the office's signing software): the same document, signed, verified."""
    if len(content) > MAX_PDF_BYTES:
        raise ValidationError("Tệp quá lớn (tối đa 20 MB).")
    with unit_of_work():
        lifecycle = _lifecycle_for(actor, document_id, lifecycle_version(document_id) if version is None else version,
                                   "sign")
        _require_allowed(lifecycle, "sign")
        unsigned = _read(lifecycle.unsigned_key, lifecycle.unsigned_sha256)
        result = signing.check_signed_upload(unsigned, content, trust_roots(), moment=now)
        _store_signed(lifecycle, actor, content, "upload", now,
                      {"certificate": result["subject"], "signer": result["signer"]})
    return lifecycle


def lifecycle_version(document_id: int):
    lifecycle = lifecycle_of(document_id)
    return lifecycle.version if lifecycle is not None else 0


def _store_signed(lifecycle, actor, signed: bytes, method: str, now: datetime, details: dict) -> None:
    stored = get_storage().put(new_key("documents", ".pdf"), signed, PDF_TYPE)
    lifecycle.signed_key, lifecycle.signed_sha256 = stored.key, stored.sha256
    lifecycle.sign_method, lifecycle.signed_at = method, now
    _record(lifecycle, actor, "sign", now, signed_pdf=signed,
            details={"method": method, "pdf_sha256": stored.sha256, **details})


# --- issue and deliver ----------------------------------------------------------------------------


def issue(actor, document_id: int, *, version, passphrase: str | None, now: datetime,
          reservation: int | None = None) -> DocumentLifecycle:
    """Văn thư: number and date from the register now, filled into the signed file, then the seal."""
    with unit_of_work():
        lifecycle = _lifecycle_for(actor, document_id, version, "issue")
        _require_allowed(lifecycle, "issue")
        document = get_document(document_id)
        issuer, symbol, dispatch = _issuer_and_symbol(document)
        credential = _credential(unit=issuer)
        if credential is None:
            raise ValidationError(f"{issuer.name} chưa có chứng thư số của cơ quan (con dấu) trên máy chủ; quản trị "
                                  "hệ thống cần cài đặt trước khi phát hành.")
        organisation = signing.unlock(credential.pkcs12, passphrase or "")
        signing.check_validity(organisation.signing_cert, now)
        day = local_today(now)
        printed_year = _printed_year(lifecycle)
        if printed_year and printed_year != day.year:
            raise Conflict(f"Văn bản trình ký ghi năm {printed_year}, không phát hành được trong năm {day.year}; "
                           "hãy tạo lại dự thảo và trình ký lại.")
        entry = None
        if dispatch is not None:
            from workflow.services.dispatches import issue_dispatch_in_transaction

            issue_dispatch_in_transaction(dispatch, actor, now=now, issued_on=day)
            number = dispatch.full_number
            number_only = str(dispatch.number)
        else:
            from workflow.services import register

            if reservation:
                entry = register.claim_reservation(reservation, issuer=issuer, symbol=symbol, kind=document.kind)
            else:
                entry = register.take(issuer, symbol, day.year, status="used", kind=document.kind, actor=actor,
                                      now=now)
            entry.document_id = document.id
            number, number_only = entry.full_number, str(entry.number)
        signed = _read(lifecycle.signed_key, lifecycle.signed_sha256)
        values = {signing.DAY_FIELD: f"{day.day:02d}",
                  signing.MONTH_FIELD: f"{day.month:02d}" if day.month <= 2 else str(day.month)}
        if signing.has_field(signed, signing.NUMBER_FIELD):
            values[signing.NUMBER_FIELD] = number_only
        filled = signing.fill_fields(signed, values)
        issued = signing.sign_as_organisation(filled, organisation, organisation=issuer.name, when=now,
                                              seal=credential.image)
        stored = get_storage().put(new_key("documents", ".pdf"), issued, PDF_TYPE)
        lifecycle.issued_key, lifecycle.issued_sha256 = stored.key, stored.sha256
        lifecycle.number, lifecycle.issued_on, lifecycle.issued_at = number, day, now
        lifecycle.register_entry_id = entry.id if entry is not None else None
        _record(lifecycle, actor, "issue", now, number=number,
                details={"number": number, "date": day.isoformat(), "pdf_sha256": stored.sha256,
                         "seal_certificate": credential.subject,
                         "tasks_live": len(dispatch.tasks) if dispatch is not None else 0})
        units, external = recipients(document, lifecycle, dispatch)
        for unit in units:
            db.session.add(InboxItem(document_id=document.id, unit_id=unit.id, delivered_at=now))
        lifecycle.external_recipients = external
        _record(lifecycle, actor, "deliver", now,
                details={"units": [u.code for u in units], "by_hand": external})
    return lifecycle


def _printed_year(lifecycle) -> int | None:
    text = (lifecycle.context or {}).get("place_date") or ""
    digits = text.rstrip().rsplit(" ", 1)[-1]
    return int(digits) if digits.isdecimal() else None


def recipients(document: Document, lifecycle, dispatch: Dispatch | None) -> tuple[list[Unit], list[str]]:
    """The units of the registry the document goes to (Kính gửi, the lines of Nơi nhận, and for an
    assignment the units its tasks name), and the recipients outside the registry (sent by hand)."""
    from workflow.services.imports import registry

    context = lifecycle.context or (document.data or {}).get("context", {})
    lines: list[str] = []
    for line in list(context.get("recipients") or []) + list(context.get("distribution") or []):
        text = rendering.plain_text(line) if not isinstance(line, str) else line
        lines.append(text)
    reg = registry()
    found: dict[int, Unit] = {}
    external: list[str] = []
    issuer_id = lifecycle.issuer_id
    for line in lines:
        text = line.strip().lstrip("-–+ ").rstrip(" ,;.").strip()
        text = text.split(" (")[0].strip()
        if not text or fold(text).startswith(("luu", "nhu tren", "noi nhan")):
            continue
        ref = reg.lookup(text)
        if ref is not None:
            unit = unit_by_code(ref.code)
            if unit is not None and unit.id != issuer_id:
                found[unit.id] = unit
        elif text not in external:
            external.append(text)
    if dispatch is not None:
        for task in dispatch.tasks:
            found.setdefault(task.lead_unit_id, task.lead_unit)
    units = sorted(found.values(), key=lambda u: u.name)
    return units, external


# --- inbox ------------------------------------------------------------------------------------------


def inbox_query(actor):
    if not permissions.can_read_inbox(actor):
        return select(InboxItem).where(InboxItem.id.is_(None))
    return select(InboxItem).where(InboxItem.unit_id == actor.unit_id)


def open_inbox_item(actor, item_id: int, *, now: datetime) -> InboxItem:
    """A recipient opens a delivered document: the first reader and time are recorded."""
    with unit_of_work():
        item = db.session.get(InboxItem, item_id)
        if item is None or not permissions.can_read_inbox(actor) or item.unit_id != actor.unit_id:
            raise NotFound("Không tìm thấy văn bản đến.")
        if item.read_at is None:
            item.read_at, item.read_by_id = now, actor.id
    return item


def inbox_pdf(actor, item_id: int, *, now: datetime) -> tuple[InboxItem, bytes]:
    item = open_inbox_item(actor, item_id, now=now)
    lifecycle = item.lifecycle
    if not lifecycle.issued_key:
        raise NotFound("Văn bản chưa có tệp phát hành.")
    return item, _read(lifecycle.issued_key, lifecycle.issued_sha256)


# --- credentials and verification -------------------------------------------------------------------


def install_credential(actor, *, pkcs12: bytes, passphrase: str, now: datetime, username: str | None = None,
                       unit_code: str | None = None, image: bytes | None = None,
                       title: str | None = None) -> SigningCredential:
    """The admin installs a signer's or an organisation's PKCS#12 (stored as uploaded, encrypted).

    The passphrase is used once, here, to check the file and read the certificate; it is not kept.
    """
    from workflow.errors import Forbidden

    if not permissions.can_install_credentials(actor):
        raise Forbidden("Chỉ quản trị hệ thống được cài đặt chứng thư số.")
    if bool(username) == bool(unit_code):
        raise ValidationError("Chọn một người ký hoặc một cơ quan cho chứng thư số.")
    if not pkcs12:
        raise ValidationError("Cần chọn tệp chứng thư số (.p12 hoặc .pfx).")
    if len(pkcs12) > 1024 * 1024:
        raise ValidationError("Tệp chứng thư số quá lớn (tối đa 1 MB).")
    user = unit = None
    if username:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None or user.role != "leader":
            raise ValidationError("Chứng thư số của người ký chỉ cài cho tài khoản lãnh đạo.")
    else:
        unit = unit_by_code(unit_code)
        if unit is None:
            raise ValidationError(f"Không tìm thấy cơ quan có mã \"{unit_code}\".")
    signing.require_unencrypted_refused(pkcs12)
    signer = signing.unlock(pkcs12, passphrase)
    signing.check_validity(signer.signing_cert, now)
    if image is not None:
        _check_png(image)
    info = signing.certificate_info(signer.signing_cert)
    title = " ".join((nfc(title) or "").split())
    with unit_of_work():
        if user is not None and title:
            user.title = title[:200]
        for old in db.session.scalars(select(SigningCredential).where(
                SigningCredential.active.is_(True),
                SigningCredential.user_id == user.id if user is not None else SigningCredential.unit_id == unit.id)):
            old.active = False
        credential = SigningCredential(
            user_id=user.id if user is not None else None, unit_id=unit.id if unit is not None else None,
            pkcs12=pkcs12, image=image, subject=info.subject[:300], issuer=info.issuer[:300], serial=info.serial,
            fingerprint=info.fingerprint, not_before=info.not_before, not_after=info.not_after, active=True,
            created_by_id=actor.id, created_at=now)
        db.session.add(credential)
    return credential


def set_signer_title(actor, username: str, title: str) -> User:
    """The admin records a leader's title as the signing blocks write it (submission checks it)."""
    from workflow.errors import Forbidden

    if not permissions.can_install_credentials(actor):
        raise Forbidden("Chỉ quản trị hệ thống được ghi chức vụ người ký.")
    title = " ".join((nfc(title) or "").split())
    if not title or len(title) > 200:
        raise ValidationError("Cần ghi chức vụ (tối đa 200 ký tự).")
    with unit_of_work():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None or user.role != "leader":
            raise ValidationError("Chức vụ người ký chỉ ghi cho tài khoản lãnh đạo.")
        user.title = title
    return user


def _check_png(image: bytes) -> None:
    if len(image) > 2 * 1024 * 1024 or not image.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValidationError("Ảnh chữ ký hoặc con dấu phải là tệp PNG (tối đa 2 MB).")
    try:
        from PIL import Image
        import io

        Image.open(io.BytesIO(image)).verify()
    except Exception:  # noqa: BLE001
        raise ValidationError("Ảnh chữ ký hoặc con dấu không đọc được (PNG hỏng).") from None


def verify_pdf(actor, content: bytes, *, now: datetime) -> list[dict]:
    """Every signature of any uploaded PDF (nothing is stored)."""
    from workflow.errors import Forbidden

    if not permissions.can_verify_signatures(actor):
        raise Forbidden("Cần đăng nhập để kiểm tra chữ ký số.")
    if not content:
        raise ValidationError("Cần chọn tệp PDF để kiểm tra.")
    if len(content) > MAX_PDF_BYTES:
        raise ValidationError("Tệp quá lớn (tối đa 20 MB).")
    if not content.startswith(b"%PDF-"):
        raise ValidationError("Tệp tải lên không phải tệp PDF.")
    return signing.verify(content, trust_roots(), moment=now)


def history(document_id: int) -> list[DocumentEvent]:
    return list(db.session.scalars(select(DocumentEvent).where(DocumentEvent.document_id == document_id)
                                   .order_by(DocumentEvent.id)))


def inbox_for_document(document_id: int) -> list[InboxItem]:
    return list(db.session.scalars(select(InboxItem).where(InboxItem.document_id == document_id)
                                   .order_by(InboxItem.id)))
