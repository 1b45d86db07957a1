"""The outgoing numbering register (sổ đăng ký văn bản đi): take, reserve, void.

Numbers come from ``take_number`` (workflow/services/dispatches.py): one
atomic increment of the counter for (issuer, symbol, year), so concurrent
requests never get the same number. Each number taken here gets a
``RegisterEntry``: ``used`` by a generated document, ``reserved`` by the
office for a document to come (with the reason), or ``voided`` with a reason.
A voided number is never given again: the counter only moves forward, and the
entries carry a unique constraint as a second guard. Issued dispatches keep
their number on the dispatch row; :func:`register_listing` shows both.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from models import Dispatch, RegisterEntry, Unit
from workflow import permissions
from workflow.clock import local_today
from workflow.errors import Conflict, NotFound, ValidationError
from workflow.extensions import db
from workflow.services import unit_of_work
from workflow.services.dispatches import take_number
from workflow.text import nfc
from workflow.queries import unit_by_code

SYMBOL_RE = r"[A-ZĐ0-9]+(/[A-ZĐ0-9\-]+)+"


def _issuer(code: str) -> Unit:
    unit = unit_by_code(code)
    if unit is None:
        raise ValidationError(f"Không tìm thấy cơ quan ban hành có mã \"{code}\".")
    return unit


def _symbol(symbol: str) -> str:
    import re

    value = (nfc(symbol) or "").upper()
    if not re.fullmatch(SYMBOL_RE, value):
        raise ValidationError("Ký hiệu văn bản không hợp lệ (ví dụ: CV/TU, BC/ĐU).")
    return value


def next_free_number(issuer: Unit, symbol: str, year: int) -> int:
    """Take numbers until one is used by no dispatch and no entry (inside the caller's transaction)."""
    while True:
        number = take_number(issuer.id, symbol, year)
        clash = db.session.scalar(select(Dispatch.id).where(
            Dispatch.issuer_id == issuer.id, Dispatch.symbol == symbol, Dispatch.year == year,
            Dispatch.number == number)) or db.session.scalar(select(RegisterEntry.id).where(
                RegisterEntry.issuer_id == issuer.id, RegisterEntry.symbol == symbol, RegisterEntry.year == year,
                RegisterEntry.number == number))
        if not clash:
            return number


def take(issuer: Unit, symbol: str, year: int, *, status: str, kind: str | None, actor, now: datetime,
         reason: str | None = None) -> RegisterEntry:
    """A new entry with the next number (no commit: the caller's unit of work owns it)."""
    entry = RegisterEntry(issuer=issuer, symbol=symbol, year=year, number=next_free_number(issuer, symbol, year),
                          status=status, kind=kind, reason=reason,
                          created_by_id=getattr(actor, "id", None), created_at=now)
    db.session.add(entry)
    db.session.flush()
    return entry


def reserve(actor, *, issuer: str, symbol: str, reason: str, now: datetime, year: int | None = None,
            kind: str | None = None) -> RegisterEntry:
    """The office keeps the next number for a document to come (the reason is required)."""
    permissions.require_manage_register(actor)
    reason = nfc(reason)
    if not reason:
        raise ValidationError("Cần ghi lý do giữ số.")
    unit, symbol = _issuer(issuer), _symbol(symbol)
    with unit_of_work():
        entry = take(unit, symbol, year or local_today(now).year, status="reserved", kind=kind, actor=actor,
                     now=now, reason=reason)
    return entry


def void(actor, entry_id: int, *, reason: str, now: datetime) -> RegisterEntry:
    """Void a reserved or used number with a reason; the number is never given again."""
    permissions.require_manage_register(actor)
    reason = nfc(reason)
    if not reason:
        raise ValidationError("Cần ghi lý do hủy số.")
    with unit_of_work():
        entry = db.session.get(RegisterEntry, entry_id)
        if entry is None:
            raise NotFound("Không tìm thấy số trong sổ đăng ký.")
        if entry.status == "voided":
            raise Conflict(f"Số {entry.full_number} đã bị hủy trước đó.")
        entry.status, entry.void_reason = "voided", reason
        entry.voided_by_id, entry.voided_at = getattr(actor, "id", None), now
    return entry


def claim_reservation(entry_id: int, *, issuer: Unit, symbol: str, kind: str) -> RegisterEntry:
    """Use a reserved number for a document (inside the caller's transaction)."""
    query = select(RegisterEntry).where(RegisterEntry.id == entry_id)
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update()
    entry = db.session.scalar(query)
    if entry is None:
        raise ValidationError("Không tìm thấy số đã giữ (reservation).")
    if entry.status != "reserved":
        raise Conflict(f"Số {entry.full_number} không còn ở trạng thái giữ số ({entry.status_label}).")
    if entry.issuer_id != issuer.id or entry.symbol != symbol:
        raise ValidationError(f"Số đã giữ {entry.full_number} thuộc cơ quan hoặc ký hiệu khác.")
    entry.status, entry.kind = "used", kind
    return entry


def release_failed(entry_id: int, *, reason: str, now: datetime) -> None:
    """Void a number taken for a document whose rendering failed (the number is not reused)."""
    with unit_of_work():
        entry = db.session.get(RegisterEntry, entry_id)
        if entry is not None and entry.status != "voided" and entry.document_id is None:
            entry.status, entry.void_reason, entry.voided_at = "voided", reason[:1000], now


def register_listing(*, issuer: str | None = None, symbol: str | None = None, year: int | None = None,
                     limit: int = 500) -> list[dict]:
    """The register: entries and issued dispatches, newest number first."""
    entries = select(RegisterEntry)
    dispatches = select(Dispatch).where(Dispatch.number.is_not(None))
    if issuer:
        unit = _issuer(issuer)
        entries = entries.where(RegisterEntry.issuer_id == unit.id)
        dispatches = dispatches.where(Dispatch.issuer_id == unit.id)
    if symbol:
        entries = entries.where(RegisterEntry.symbol == symbol.upper())
        dispatches = dispatches.where(Dispatch.symbol == symbol.upper())
    if year:
        entries = entries.where(RegisterEntry.year == year)
        dispatches = dispatches.where(Dispatch.year == year)
    rows = [{
        "id": e.id, "number": e.full_number, "issuer": {"code": e.issuer.code, "name": e.issuer.name},
        "symbol": e.symbol, "year": e.year, "status": e.status, "status_label": e.status_label,
        "kind": e.kind, "reason": e.reason, "void_reason": e.void_reason, "document": e.document_id,
        "dispatch": None, "created_at": e.created_at, "_n": e.number,
    } for e in db.session.scalars(entries.order_by(RegisterEntry.number.desc()).limit(limit))]
    rows += [{
        "id": None, "number": d.full_number, "issuer": {"code": d.issuer.code, "name": d.issuer.name},
        "symbol": d.symbol, "year": d.year, "status": "used", "status_label": "Đã dùng", "kind": "dispatch",
        "reason": None, "void_reason": None, "document": None, "dispatch": d.full_number,
        "created_at": d.created_at, "_n": d.number,
    } for d in db.session.scalars(dispatches.where(Dispatch.status != "draft")
                                  .order_by(Dispatch.number.desc()).limit(limit))]
    rows.sort(key=lambda r: (r["issuer"]["code"], r["symbol"], -(r["year"] or 0), -r["_n"]))
    for row in rows:
        row.pop("_n")
    return rows[:limit]
