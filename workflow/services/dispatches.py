"""Dispatch changes: drafting, issuing with a register number, closing."""
from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import func, select, update

from models import Dispatch, NumberRegister
from models.types import fits_id
from workflow import permissions
from workflow.clock import local_today
from workflow.errors import Conflict, NotFound, ValidationError
from workflow.extensions import db
from workflow.services import unit_of_work
from workflow.statemachine import DISPATCH_MACHINE, fire
from workflow.text import nfc, search_index
from workflow.queries import unit_by_code


def refresh_search_text(dispatch: Dispatch) -> None:
    """Keep the folded search text (number, symbol, title, subject) in step with the fields."""
    dispatch.search_folded = search_index(" ".join(filter(None, [
        dispatch.full_number, dispatch.title, dispatch.subject])))

NUMBER_RE = re.compile(r"^\s*(\d+)\s*-\s*([A-ZĐa-zđ0-9/\-]+?)\s*$")


def parse_full_number(ref: str) -> tuple[int, str] | None:
    """``1534-CV/TU`` → (1534, "CV/TU"); None if ``ref`` is not such a number."""
    match = NUMBER_RE.match(nfc(ref) or "")
    if not match:
        return None
    return int(match.group(1)), match.group(2).upper()


def find_dispatch(ref: str) -> Dispatch | None:
    """By full number (the newest year first) or by id."""
    ref = (ref or "").strip()
    if ref.isdecimal():
        return db.session.get(Dispatch, int(ref)) if fits_id(int(ref)) else None
    parsed = parse_full_number(ref)
    if parsed is None or not fits_id(parsed[0]):
        return None
    number, symbol = parsed
    return db.session.scalars(
        select(Dispatch).where(Dispatch.number == number, func.upper(Dispatch.symbol) == symbol)
        .order_by(Dispatch.year.desc())
    ).first()


def get_dispatch(actor, ref: str) -> Dispatch:
    dispatch = find_dispatch(ref)
    if dispatch is None or not permissions.can_view_dispatch(actor, dispatch):
        raise NotFound(f"Không tìm thấy công văn \"{ref}\".")
    return dispatch


def checked_header(issuer: str, subject: str, symbol: str):
    """A dispatch header's issuing body, subject and symbol as typed, checked: (unit, subject, symbol)
    or a Vietnamese refusal (drafting and editing a draft alike)."""
    subject = nfc(subject)
    if not subject:
        raise ValidationError("Cần nhập trích yếu của công văn.")
    issuer_unit = unit_by_code(issuer)
    if issuer_unit is None:
        raise ValidationError(f"Không tìm thấy cơ quan ban hành có mã \"{issuer}\".")
    symbol = (nfc(symbol) or "").upper()
    if not re.fullmatch(r"[A-ZĐ0-9]+(/[A-ZĐ0-9\-]+)+", symbol):
        raise ValidationError("Ký hiệu công văn không hợp lệ (ví dụ: CV/TU, CV/BTCTU).")
    return issuer_unit, subject, symbol


def create_dispatch(actor, *, issuer: str, subject: str, symbol: str = "CV/TU", kind: str = "CV",
                    recipients=(), distribution=(), signing_authority: str = "", signer_title: str = "",
                    signer_name: str = "", references=(), now: datetime) -> Dispatch:
    """The office opens a draft dispatch (no number until it is issued)."""
    permissions.require_office(actor)
    issuer_unit, subject, symbol = checked_header(issuer, subject, symbol)
    with unit_of_work():
        dispatch = Dispatch(
            issuer=issuer_unit, subject=subject, symbol=symbol, kind=kind,
            recipients=[nfc(r) for r in recipients if nfc(r)],
            distribution=[nfc(r) for r in distribution if nfc(r)],
            signing_authority=nfc(signing_authority) or "", signer_title=nfc(signer_title) or "",
            signer_name=nfc(signer_name) or "", references=[nfc(r) for r in references if nfc(r)],
            created_by_id=actor.id, created_at=now, status="draft",
        )
        refresh_search_text(dispatch)
        db.session.add(dispatch)
    return dispatch


def take_number(issuer_id: int, symbol: str, year: int) -> int:
    """Take the next outgoing number for (issuer, symbol, year) inside the caller's transaction.

    The increment is one atomic ``UPDATE … SET last_number = last_number + 1``,
    so two concurrent requests never get the same number (the row lock is held
    until the caller commits). The register starts after the highest number
    already used by a dispatch of that issuer, symbol and year.
    """
    key = (NumberRegister.issuer_id == issuer_id, NumberRegister.symbol == symbol, NumberRegister.year == year)
    if db.session.scalar(select(NumberRegister.id).where(*key)) is None:
        used = db.session.scalar(
            select(func.max(Dispatch.number)).where(Dispatch.issuer_id == issuer_id, Dispatch.symbol == symbol,
                                                    Dispatch.year == year)
        ) or 0
        nested = db.session.begin_nested()
        try:
            db.session.add(NumberRegister(issuer_id=issuer_id, symbol=symbol, year=year, last_number=used))
            nested.commit()
        except Exception:  # another request created it first
            nested.rollback()
    while True:
        number = db.session.execute(
            update(NumberRegister).where(*key).values(last_number=NumberRegister.last_number + 1)
            .returning(NumberRegister.last_number)
        ).scalar_one()
        # A number already carried by a dispatch (one imported with its own number, say) is skipped.
        taken = db.session.scalar(select(func.count()).select_from(Dispatch).where(
            Dispatch.issuer_id == issuer_id, Dispatch.symbol == symbol, Dispatch.year == year,
            Dispatch.number == number))
        if not taken:
            return number


def issue_dispatch(actor, ref: str, *, now: datetime, issued_on: date | None = None) -> Dispatch:
    """Issue a draft: it takes the next register number (unless it already has one) and its tasks go live."""
    permissions.require_office(actor)
    with unit_of_work():
        dispatch = get_dispatch(actor, ref)
        issue_dispatch_in_transaction(dispatch, actor, now=now, issued_on=issued_on)
    return dispatch


def issue_dispatch_in_transaction(dispatch: Dispatch, actor, *, now: datetime,
                                  issued_on: date | None = None) -> None:
    """The issue itself, inside the caller's unit of work (also used when văn thư issues the signed
    assignment document: workflow/services/outgoing.py). Deadlines counted from the issue date
    are recounted from the real one (issue 15)."""
    from workflow.services.drafts import recount_deadlines_at_issue

    fire(DISPATCH_MACHINE, dispatch, "issue")
    draft_date = dispatch.issued_on
    dispatch.issued_on = issued_on or dispatch.issued_on or local_today(now)
    dispatch.issued_at = now  # its tasks are news for their units from now on (notifications)
    dispatch.year = dispatch.issued_on.year
    recount_deadlines_at_issue(dispatch, actor, draft_date=draft_date, now=now)
    if dispatch.number is None:
        dispatch.number = take_number(dispatch.issuer_id, dispatch.symbol, dispatch.year)
    elif db.session.scalar(select(func.count()).select_from(Dispatch).where(
            Dispatch.number == dispatch.number, Dispatch.symbol == dispatch.symbol,
            Dispatch.year == dispatch.year, Dispatch.id != dispatch.id)):
        raise Conflict(f"Số {dispatch.full_number} năm {dispatch.year} đã được dùng.")
    refresh_search_text(dispatch)
