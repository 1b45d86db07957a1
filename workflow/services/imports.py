"""Importing a dispatch from its text or .docx (issue 7).

``preview_import`` reads the text against the unit registry and returns the draft (nothing
is written); ``confirm_import`` takes the draft the office has checked and edited, and
creates the dispatch as a draft (keeping the number and date read from its text) with its
tasks, in one commit.
"""
from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import func, select

from models import Dispatch, Unit
from models.types import fits_id
from workflow import importer, permissions
from workflow.clock import local_tz
from workflow.errors import (Conflict, DomainError, PayloadTooLarge, Unprocessable, UnsupportedType,
                             ValidationError)
from workflow.extensions import db
from workflow.services import unit_of_work
from workflow.services.dispatches import parse_full_number, refresh_search_text
from workflow.services.tasks import holiday_dates, new_task, resolve_deadline
from workflow.text import nfc
from workflow.queries import unit_by_code

MAX_TASKS = 2000            # rows of the confirmation form (a fan-out to the communes is one row)
MAX_FIELD = 20_000
# Tasks one import may create once each group is fanned out to its units (124 communes, the
# departments): beyond it the preview and the confirmation are refused (config IMPORT_MAX_TASKS).
DEFAULT_MAX_IMPORT_TASKS = 5000


def max_import_tasks() -> int:
    from flask import current_app

    return int(current_app.config.get("IMPORT_MAX_TASKS", DEFAULT_MAX_IMPORT_TASKS))



def _refusal(exc: importer.ImportRefused) -> DomainError:
    if exc.status == 413:
        return PayloadTooLarge(exc.message)
    if exc.status == 400:
        return ValidationError(exc.message)
    return Unprocessable(exc.message)


def registry() -> importer.Registry:
    """The active units, for matching the names a dispatch writes."""
    return importer.Registry(db.session.scalars(select(Unit).where(Unit.active.is_(True))))


def read_upload(filename: str | None, data: bytes) -> str:
    """The text of an uploaded .txt (UTF-8) or .docx file."""
    name = (filename or "").lower().strip()
    if name.endswith(".docx"):
        try:
            return importer.docx_to_text(data)
        except importer.ImportRefused as exc:
            raise _refusal(exc) from None
    if name.endswith(".txt") or not name:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError("Tệp văn bản không ở dạng UTF-8; hãy lưu lại với bảng mã UTF-8.") from None
    raise UnsupportedType("Chỉ nhận tệp .txt hoặc .docx" + (
        " (tệp .doc của Word 97-2003 hãy mở bằng Word rồi lưu thành .docx)." if name.endswith(".doc") else "."))


def preview_import(actor, *, text: str, now: datetime, expand_fan_out: bool = True) -> dict:
    """The draft dispatch read from ``text`` (office only; nothing is saved). With
    ``expand_fan_out`` false an assignment to the communes stays one entry (for the page)."""
    permissions.require_office(actor)
    if "\x00" in (text or ""):
        raise ValidationError("Nội dung chứa ký tự NUL không hợp lệ.")
    units = registry()
    try:
        result = importer.parse_dispatch(text, units, holidays=holiday_dates(), tz=local_tz())
    except importer.ImportRefused as exc:
        raise _refusal(exc) from None
    try:
        draft = importer.draft_json(result, units, expand_fan_out=expand_fan_out, max_tasks=max_import_tasks())
    except importer.ImportRefused as exc:
        raise _refusal(exc) from None
    if result.number is not None and result.issued_on is not None and _number_taken(
            result.number, result.symbol, result.issued_on.year):
        draft["warnings"].append(
            f"Công văn số {result.full_number} năm {result.issued_on.year} đã có trong hệ thống; "
            "xác nhận sẽ bị từ chối nếu không đổi số.")
    return draft


def prefill(text: str, issued_on: date | None) -> dict:
    """What a paragraph says to pre-fill the task the office makes of it (lead unit or group,
    deadline wording), read with the same rules as the import."""
    return importer.prefill(text or "", registry(), issuer_code=None, issued_on=issued_on, tz=local_tz(),
                            holidays=holiday_dates())


def _number_taken(number: int, symbol: str, year: int) -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(Dispatch).where(
        Dispatch.number == number, func.upper(Dispatch.symbol) == symbol.upper(), Dispatch.year == year)))


# --- Reading the confirmed draft ------------------------------------------------------------


def _text(value, name: str, *, required: bool = False, limit: int = MAX_FIELD) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(f"Trường \"{name}\" phải là chuỗi ký tự.")
    value = nfc(value) or ""
    if "\x00" in value:
        raise ValidationError(f"Trường \"{name}\" chứa ký tự không hợp lệ.")
    if len(value) > limit:
        raise ValidationError(f"Trường \"{name}\" quá dài (tối đa {limit} ký tự).")
    if required and not value:
        raise ValidationError(f"Thiếu trường bắt buộc \"{name}\".")
    return value


def _text_list(value, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(f"Trường \"{name}\" phải là danh sách chuỗi ký tự.")
    return [v for v in (_text(v, name, limit=5000) for v in value) if v]


def _code(value) -> str | None:
    """A unit given as its code or as ``{"code": ...}`` (the draft's form)."""
    if isinstance(value, dict):
        value = value.get("code")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationError("Mã đơn vị phải là chuỗi ký tự.")
    return value.strip()


def _unit(code: str, what: str) -> Unit:
    unit = unit_by_code(code)
    if unit is None:
        raise ValidationError(f"Không tìm thấy đơn vị có mã \"{code}\" ({what}).")
    return unit


def _communes() -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(Unit.kind == "commune", Unit.active.is_(True))
                                   .order_by(Unit.code)))


def commune_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Unit).where(
        Unit.kind == "commune", Unit.active.is_(True))) or 0


def _label(spec: dict, index: int) -> str:
    item = spec.get("item")
    return f"mục {item}" if isinstance(item, str) and item else f"nhiệm vụ thứ {index + 1}"


def confirm_import(actor, draft: dict, *, now: datetime) -> Dispatch:
    """Create the confirmed draft: the dispatch (status draft) and its tasks, one commit."""
    permissions.require_office(actor)
    if not isinstance(draft, dict):
        raise ValidationError("Bản nháp phải là một đối tượng JSON.")
    number = symbol = None
    raw_number = _text(draft.get("number"), "number", limit=60)
    if raw_number:
        parsed = parse_full_number(raw_number)
        if parsed is None or not fits_id(parsed[0]):
            raise ValidationError(f"Số công văn không hợp lệ: \"{raw_number}\" (ví dụ 1534-CV/TU).")
        number, symbol = parsed
    symbol = (symbol or _text(draft.get("symbol"), "symbol", limit=40) or "CV/TU").upper()
    if not re.fullmatch(r"[A-ZĐ0-9]+(/[A-ZĐ0-9\-]+)+", symbol):
        raise ValidationError("Ký hiệu công văn không hợp lệ (ví dụ: CV/TU, CV/BTCTU).")
    issuer_code = _code(draft.get("issuer"))
    if not issuer_code:
        raise ValidationError("Chưa chọn cơ quan ban hành.")
    issuer = _unit(issuer_code, "cơ quan ban hành")
    raw_date = draft.get("issued_on")
    if not raw_date:
        raise ValidationError("Chưa có ngày ban hành (issued_on).")
    try:
        issued_on = date.fromisoformat(str(raw_date).strip())
    except ValueError:
        raise ValidationError(f"Ngày ban hành không hợp lệ: \"{raw_date}\" (dạng 2026-05-08).") from None
    if not 1900 <= issued_on.year <= 2199:
        raise ValidationError("Năm ban hành không hợp lệ.")
    subject = _text(draft.get("subject"), "subject", required=True, limit=2000)
    kind = _text(draft.get("kind"), "kind", limit=20) or symbol.split("/")[0]
    directives = []
    raw_directives = draft.get("directives") or []
    if not isinstance(raw_directives, list):
        raise ValidationError("directives phải là danh sách.")
    for entry in raw_directives:
        if isinstance(entry, str):
            entry = {"item": "", "text": entry}
        if not isinstance(entry, dict):
            raise ValidationError("Mỗi chỉ đạo chung phải có item và text.")
        text = _text(entry.get("text"), "directives.text")
        if text:
            directives.append({"item": _text(entry.get("item"), "directives.item", limit=20), "text": text})

    specs = draft.get("tasks") or []
    if not isinstance(specs, list):
        raise ValidationError("tasks phải là danh sách nhiệm vụ.")
    if len(specs) > MAX_TASKS:
        raise ValidationError(f"Quá nhiều nhiệm vụ (tối đa {MAX_TASKS}).")
    communes = None
    planned = []
    for index, spec in enumerate(specs):
        if not isinstance(spec, dict):
            raise ValidationError("Mỗi nhiệm vụ phải là một đối tượng JSON.")
        label = _label(spec, index)
        title = _text(spec.get("title"), "title")
        if not title:
            raise ValidationError(f"Thiếu nội dung nhiệm vụ ({label}).")
        lead_code = _code(spec.get("lead_unit"))
        if lead_code:
            leads = [_unit(lead_code, f"đơn vị chủ trì, {label}")]
        elif spec.get("fan_out") == importer.COMMUNE_FAN_OUT:
            communes = communes if communes is not None else _communes()
            leads = communes
        else:
            written = spec.get("lead_unit", {}).get("text") if isinstance(spec.get("lead_unit"), dict) else None
            raise ValidationError(f"Chưa chọn đơn vị chủ trì cho {label}"
                                  + (f" (văn bản ghi “{written}”)." if written else "."))
        coordinating = []
        raw_coord = spec.get("coordinating_units") or []
        if not isinstance(raw_coord, list):
            raise ValidationError(f"coordinating_units phải là danh sách ({label}).")
        for entry in raw_coord:
            code = _code(entry)
            if not code:
                written = entry.get("text") if isinstance(entry, dict) else None
                raise ValidationError(f"Chưa chọn đơn vị phối hợp cho {label}"
                                      + (f" (văn bản ghi “{written}”)" if written else "")
                                      + ": hãy chọn một đơn vị hoặc bỏ mục này.")
            coordinating.append(_unit(code, f"đơn vị phối hợp, {label}"))
        deadline_text = _text(spec.get("deadline_text"), "deadline_text", limit=300) or None
        deadline = recurrence = period = None
        if deadline_text:
            try:
                deadline, recurrence, period = resolve_deadline(deadline_text, issued_on, now, infer_year=True)
            except ValidationError as exc:
                raise ValidationError(f"{label.capitalize()}: {exc.message}") from None
        elif spec.get("deadline"):
            from workflow.clock import parse_iso_datetime

            try:
                deadline = parse_iso_datetime(str(spec["deadline"]), local_tz())
            except ValueError:
                raise ValidationError(f"Thời hạn không hợp lệ ({label}).") from None
        planned.append(dict(item=_text(spec.get("item"), "item", limit=20), title=title, leads=leads,
                            coordinating=coordinating, deadline=deadline, deadline_text=deadline_text,
                            recurrence=recurrence, period=period,
                            product=_text(spec.get("product"), "product", limit=2000) or None,
                            person_in_charge=_text(spec.get("person_in_charge"), "person_in_charge", limit=200) or None,
                            authority=_text(spec.get("authority"), "authority", limit=200) or None))
    total = sum(len(p["leads"]) for p in planned)
    if total > max_import_tasks():
        raise PayloadTooLarge(f"Quá nhiều nhiệm vụ: {total} nhiệm vụ sau khi tách cho từng đơn vị "
                              f"(tối đa {max_import_tasks()} mỗi lần nhập).")

    with unit_of_work():
        if number is not None and _number_taken(number, symbol, issued_on.year):
            raise Conflict(f"Công văn số {number}-{symbol} năm {issued_on.year} đã có trong hệ thống.")
        recipients = _text_list(draft.get("recipients"), "recipients")
        codes = draft.get("recipient_codes")
        if codes is None:  # not given: read from the recipients as written
            units = registry()
            codes = [u.code for u in (units.lookup(r) for r in recipients) if u is not None]
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ValidationError("recipient_codes phải là danh sách mã đơn vị.")
        dispatch = Dispatch(
            number=number, symbol=symbol, year=issued_on.year, kind=kind, issuer=issuer, issued_on=issued_on,
            subject=subject, recipients=recipients,
            recipient_codes=[c for c in codes if db.session.scalar(select(Unit.id).where(Unit.code == c))],
            distribution=_text_list(draft.get("distribution"), "distribution"),
            signing_authority=_text(draft.get("signing_authority"), "signing_authority", limit=120),
            signer_title=_text(draft.get("signer_title"), "signer_title", limit=120),
            signer_name=_text(draft.get("signer_name"), "signer_name", limit=120),
            references=_text_list(draft.get("references"), "references"),
            directives=directives, preamble=_text(draft.get("preamble"), "preamble"),
            source_text=_text(draft.get("source_text"), "source_text", limit=importer.MAX_TEXT_CHARS) or None,
            created_by_id=actor.id, created_at=now, status="draft",
        )
        refresh_search_text(dispatch)
        db.session.add(dispatch)
        note = f"Nhập từ văn bản {dispatch.display_name}" if number is not None else "Nhập từ văn bản công văn"
        for plan in planned:
            for lead in plan["leads"]:
                new_task(dispatch=dispatch, item=plan["item"], title=plan["title"], lead_unit=lead,
                         coordinating=plan["coordinating"], deadline=plan["deadline"],
                         deadline_text=plan["deadline_text"], recurrence=plan["recurrence"], period=plan["period"],
                         product=plan["product"], person_in_charge=plan["person_in_charge"],
                         authority=plan["authority"], actor=actor, now=now, note=note)
    return dispatch
