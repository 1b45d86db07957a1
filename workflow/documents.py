"""Document rendering, in one place: the data of each document kind, the .docx
from its template, and the PDF.

Five kinds (DESIGN section 6), each with a template ``docs_templates/<kind>.docx``
and one context builder here:

- ``assignment``: the outgoing dispatch that assigns tasks (from a ``Dispatch``);
- ``reminder``: công văn đôn đốc to the units with overdue tasks as of a date;
- ``task_report``: the key-task report as of a date (completed and pending lists);
- ``indicator_form``: the 1534 appendix for a unit and a period;
- ``overdue_list``: the overdue tasks for leaders.

A context builder returns plain JSON data (strings, numbers, lists, dicts;
rich text as ``{"rich": [{"t": text, "b": bold, "i": italic}, …]}``). That
data is archived with the document (``Document.data``) and is exactly what
the template is rendered from: :func:`render_docx` turns the rich parts into
docxtpl ``RichText`` and renders with ``autoescape=True`` in a Jinja
environment with ``StrictUndefined`` (a missing variable is an error, and a
value such as ``A&B <Q2>`` comes out intact).

"As of a date": the report, the reminder and the overdue list show each task
as it was at that instant, rebuilt from its history (``TaskEvent``), not from
its current columns (:func:`task_as_of`).

A dispatch's own words: an assignment document of an imported or seeded
dispatch is printed from its stored source text (paragraphs, tables, its
appendix), not re-phrased from its tasks (:func:`source_body`). Signers come
from the office's signers file (:func:`default_signer`), never from an
earlier document. Every .docx names its issuing body in its properties.

PDF: .docx → PDF with LibreOffice headless, one profile per worker, several
files per call (:class:`LibreOffice`), for every kind; printable HTML → PDF
with pdfkit/wkhtmltopdf (:func:`html_to_pdf`) only for the browser's views.

This module reads the database but never changes it; numbering, storage and
the archive are the service's (``workflow/services/documents.py``).
"""
from __future__ import annotations

import copy
import hashlib
import io
import math
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from config import BASE_DIR
from workflow.clock import local_today, local_tz, parse_iso_date, parse_iso_datetime, to_local
from workflow.errors import DomainError, ValidationError

TEMPLATES_DIR = BASE_DIR / "docs_templates"
PRINT_TEMPLATES = "print"  # under templates/: printable HTML views
KINDS = ("assignment", "reminder", "task_report", "indicator_form", "overdue_list")
KIND_LABELS = {
    "assignment": "Công văn giao nhiệm vụ",
    "reminder": "Công văn đôn đốc nhiệm vụ quá hạn",
    "task_report": "Báo cáo kết quả thực hiện nhiệm vụ",
    "indicator_form": "Biểu mẫu báo cáo chỉ tiêu (Phụ lục 1534)",
    "overdue_list": "Danh sách nhiệm vụ quá hạn",
}
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"
PLACE = "Lâm Đồng"
TEXT_WIDTH_PORTRAIT = 165  # mm: A4 210 - left 30 - right 15
TEXT_WIDTH_LANDSCAPE = 252  # mm: 297 - 30 - 15


# ==========================================================================
# Vietnamese formatting
# ==========================================================================


def official_date(day: date) -> str:
    """``ngày 08 tháng 5 năm 2026``: day on two digits, months 1 and 2 as ``01``, ``02``."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def place_date(day: date | None, place: str = PLACE, year: int | None = None) -> str:
    """``Lâm Đồng, ngày 03 tháng 6 năm 2026``; an undated draft leaves the day and month blank."""
    if day is None:
        return f"{place}, ngày      tháng      năm {year or ''}".rstrip()
    return f"{place}, {official_date(day)}"


def short_date(day: date) -> str:
    """``09/5/2026`` (as the dispatches write dates in running text)."""
    return f"{day.day:02d}/{day.month}/{day.year}"


def format_number(value, decimals: int | None = None) -> str:
    """Vietnamese separators: ``1234.5`` → ``1.234,5``; integers without decimals."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    number = float(value)
    if decimals is None:
        if number.is_integer():
            decimals = 0
        else:
            text = f"{number:.6f}".rstrip("0")
            decimals = len(text.split(".")[1]) if "." in text else 0
    text = f"{abs(number):,.{decimals}f}".translate(str.maketrans(",.", ".,"))  # 1,234.5 -> 1.234,5
    return "-" + text if number < 0 and text.strip("0.,") else text


def count_text(n: int) -> str:
    """Counts in running text: ``05`` below ten, as official documents write them."""
    return f"{n:02d}" if 0 <= n < 10 else format_number(n)


ROMAN = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))


def roman(n: int) -> str:
    out = ""
    for value, letters in ROMAN:
        while n >= value:
            out += letters
            n -= value
    return out


def format_deadline(value: datetime | None) -> str:
    """A deadline as the office writes it.

    The end of a month (23:59:59 on its last day) is ``4/2026`` (month precision,
    as in the 6-month report); the end of another day is ``09/5/2026``; the start
    of a day is ``trước ngày 30/6/2026``; any other time is ``trước 09 giờ 00
    phút ngày 09/5/2026``.
    """
    if value is None:
        return ""
    local = to_local(value)
    day = local.date()
    if (local.hour, local.minute, local.second) == (23, 59, 59):
        if (day + timedelta(days=1)).day == 1:
            return f"{day.month}/{day.year}"
        return short_date(day)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return f"trước ngày {short_date(day)}"
    return f"trước {local.hour:02d} giờ {local.minute:02d} phút ngày {short_date(day)}"


PERIOD_RE = re.compile(r"^(?P<y>\d{4})(?:-(?:(?P<m>0[1-9]|1[0-2])|Q(?P<q>[1-4])|H(?P<h>[12])))?$")


def parse_period(text: str) -> str:
    """Validate a reporting period: ``2026-05``, ``2026-Q2``, ``2026-H1`` or ``2026``."""
    value = (text or "").strip().upper()
    if not PERIOD_RE.match(value):
        raise ValidationError(
            f"Kỳ báo cáo không hợp lệ: \"{text}\" (ví dụ 2026-05 cho tháng, 2026-Q2 cho quý, 2026 cho năm).")
    return value


def period_label(period: str) -> str:
    """``2026-05`` → ``tháng 5/2026``; ``2026-Q2`` → ``quý II/2026``; ``2026-H1`` → ``6 tháng đầu năm 2026``."""
    match = PERIOD_RE.match(period)
    if not match:
        return period
    year = match["y"]
    if match["m"]:
        return f"tháng {int(match['m'])}/{year}"
    if match["q"]:
        return f"quý {roman(int(match['q']))}/{year}"
    if match["h"]:
        return f"6 tháng {'đầu' if match['h'] == '1' else 'cuối'} năm {year}"
    return f"năm {year}"


def subject_line(subject: str) -> str:
    """The trích yếu of a công văn: ``V/v triển khai …``."""
    text = " ".join((subject or "").split())
    text = re.sub(r"^(?:về việc|v/v)\s*:?\s*", "", text, flags=re.IGNORECASE)
    return f"V/v {text}" if text else ""


def dash_lines(items: list[str], *, single_dash: bool = True) -> list[str]:
    """``- A,`` … ``- Z.``: the lines of Kính gửi and Nơi nhận."""
    cleaned = [re.sub(r"[\s,;.]+$", "", " ".join(i.split())) for i in items if i and i.strip()]
    if len(cleaned) == 1 and not single_dash:
        return [cleaned[0] + "."]
    return [f"- {text}{'.' if n == len(cleaned) - 1 else ','}" for n, text in enumerate(cleaned)]


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean(value):
    """Strip characters XML cannot hold (and docxtpl's \\a, \\f, \\t controls) from every string."""
    if isinstance(value, str):
        return _CONTROL.sub(" ", value.replace("\t", " ").replace("\r\n", "\n"))
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    return value


def run(text: str, *, bold: bool = False, italic: bool = False) -> dict:
    item = {"t": text}
    if bold:
        item["b"] = True
    if italic:
        item["i"] = True
    return item


def rich(*runs) -> dict:
    """Rich text as data: ``{"rich": [{"t": …, "b": true}, …]}`` (a plain string is one plain run)."""
    return {"rich": [r if isinstance(r, dict) else run(r) for r in runs if r]}


def paragraph(*runs, keep: bool = False) -> dict:
    """A body paragraph of rich text; ``keep``: on the same page as what follows (a heading and its
    item, the closing sentence and the signing block)."""
    return {"text": rich(*runs), "keep": keep}


def _natural_key(item: str):
    return [int(part) if part.isdecimal() else part for part in re.findall(r"\d+|[^\d.]+", item or "")]


def sort_key_vi(text: str):
    """A sort key close to Vietnamese order (diacritics fold, then the full text)."""
    from workflow.text import fold

    return (fold(text), text)


# ==========================================================================
# Tasks as of a date, rebuilt from their history
# ==========================================================================


@dataclass
class TaskAsOf:
    """A task's state at ``at``: status, deadline and pending extension from its history."""

    task: object
    at: datetime
    status: str
    deadline: datetime | None
    extension_requested_at: datetime | None = None
    extension_deadline: datetime | None = None
    completed_at: datetime | None = None
    progress_note: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status != "completed"

    @property
    def late(self) -> bool:
        """Late at ``at``: marked overdue, or open with the deadline passed (sweep or not)."""
        if self.status == "completed":
            return False
        return self.status == "overdue" or (self.deadline is not None and self.deadline < self.at)

    @property
    def days_late(self) -> int:
        if not self.late or self.deadline is None or self.deadline >= self.at:
            return 0
        return math.ceil((self.at - self.deadline).total_seconds() / 86400)

    def status_text(self) -> str:
        """The words of the 6-month report: ``Đang thực hiện (trễ hạn)``, ``(trong hạn)``, ``(xin gia hạn …)``."""
        if self.status == "completed":
            return "Đã hoàn thành"
        words = "Chưa triển khai" if self.status == "assigned" else "Đang thực hiện"
        if self.extension_requested_at is not None:
            asked = to_local(self.extension_requested_at)
            return f"{words} (xin gia hạn trong quý {roman((asked.month - 1) // 3 + 1)}/{asked.year})"
        if self.late:
            return f"{words} (trễ hạn)"
        if self.deadline is None:
            return words
        return f"{words} (trong hạn)"


def task_as_of(task, at: datetime) -> TaskAsOf | None:
    """Replay ``task.events`` up to ``at`` (inclusive); None if the task did not exist yet."""
    events = sorted((e for e in task.events if e.at <= at), key=lambda e: (e.at, e.id))
    if not events:
        return None
    state = TaskAsOf(task=task, at=at, status=events[0].to_status, deadline=events[0].deadline_after)
    for event in events:
        state.status = event.to_status
        state.deadline = event.deadline_after
        if event.event == "request_extension":
            state.extension_requested_at = event.at
            proposed = (event.data or {}).get("proposed_deadline")
            state.extension_deadline = datetime.fromisoformat(proposed) if proposed else None
        elif event.event in ("approve_extension", "reject_extension", "complete"):
            state.extension_requested_at = state.extension_deadline = None
        if event.event == "complete":
            state.completed_at = event.at
        elif event.event == "reopen":
            state.completed_at = None
        if event.event == "report" and event.note and not STATUS_NOTE.search(event.note):
            state.progress_note = event.note
    return state


# A note that only records a status ("…: Đang thực hiện (trong hạn)") is not a progress description.
STATUS_NOTE = re.compile(r"(Đang thực hiện|Chưa triển khai|Đã hoàn thành)\s*\((trễ hạn|trong hạn|xin gia hạn)")


def tasks_as_of(at: datetime, *, dispatch=None, program_kind: str | None = None, unit=None,
                open_only: bool = False, ids=None) -> list[TaskAsOf]:
    """Every live task that existed at ``at``, in its state then (history replayed in Python)."""
    from sqlalchemy import or_, select
    from sqlalchemy.orm import selectinload

    from models import Dispatch, Task
    from workflow.extensions import db
    from workflow.queries import live_condition

    query = (select(Task).where(live_condition(), Task.created_at <= at)
             .options(selectinload(Task.events), selectinload(Task.lead_unit),
                      selectinload(Task.coordinating_units), selectinload(Task.dispatch)))
    if dispatch is not None:
        query = query.where(Task.dispatch_id == dispatch.id)
    if program_kind is not None:
        query = query.where(Task.dispatch_id.in_(select(Dispatch.id).where(Dispatch.kind == program_kind)))
    if unit is not None:
        query = query.where(Task.lead_unit_id == unit.id)
    if ids is not None:  # the tasks the office selected (a reminder for them only)
        query = query.where(Task.id.in_(sorted(ids)))
    if open_only:  # completed before ``at`` and still completed: cannot be open at ``at``
        query = query.where(or_(Task.status != "completed", Task.completed_at.is_(None), Task.completed_at > at))
    states = []
    for task in db.session.scalars(query.order_by(Task.id)):
        state = task_as_of(task, at)
        if state is not None and (not open_only or state.is_open):
            states.append(state)
    return states


def units_text(task) -> str:
    """Lead unit, then the coordinating units (``Sở Dân tộc và Tôn giáo, Sở Tài chính``)."""
    return ", ".join([task.lead_unit.name] + [u.name for u in task.coordinating_units])


def source_text(dispatch) -> str:
    """How a task's source is cited: ``Công văn số 1534-CV/TU`` or the program's title."""
    if dispatch.full_number:
        kind = {"CV": "Công văn số", "KH": "Kế hoạch số", "TB": "Thông báo số"}.get(dispatch.kind, "Văn bản số")
        return f"{kind} {dispatch.full_number}"
    return re.sub(r"\s*\(.*\)\s*$", "", dispatch.title or dispatch.display_name)


# ==========================================================================
# Issuers and signers
# ==========================================================================

# The header lines (superior body, issuing body) as Party documents print them.
ISSUER_HEADINGS = {
    "tinh-uy": ("", "TỈNH ỦY LÂM ĐỒNG"),
    "ban-thuong-vu-tinh-uy": ("", "TỈNH ỦY LÂM ĐỒNG"),
    "thuong-truc-tinh-uy": ("", "TỈNH ỦY LÂM ĐỒNG"),
    "van-phong-tinh-uy": ("TỈNH ỦY LÂM ĐỒNG", "VĂN PHÒNG"),
    "ban-to-chuc-tinh-uy": ("TỈNH ỦY LÂM ĐỒNG", "BAN TỔ CHỨC"),
    "uy-ban-kiem-tra-tinh-uy": ("TỈNH ỦY LÂM ĐỒNG", "ỦY BAN KIỂM TRA"),
    "dang-uy-ubnd-tinh": ("ĐẢNG BỘ TỈNH LÂM ĐỒNG", "ĐẢNG ỦY ỦY BAN NHÂN DÂN TỈNH"),
}
# Who "requests" or "reports" in the running text for an issuer.
AUTHORITY_NAMES = {
    "tinh-uy": "Ban Thường vụ Tỉnh ủy",
    "ban-thuong-vu-tinh-uy": "Ban Thường vụ Tỉnh ủy",
    "thuong-truc-tinh-uy": "Thường trực Tỉnh ủy",
    "dang-uy-ubnd-tinh": "Ban Thường vụ Đảng ủy Ủy ban nhân dân tỉnh",
}
# Signing block when no dispatch of the issuer names one.
DEFAULT_SIGNERS = {
    "tinh-uy": ("T/M BAN THƯỜNG VỤ", "PHÓ BÍ THƯ THƯỜNG TRỰC"),
    "dang-uy-ubnd-tinh": ("T/M BAN THƯỜNG VỤ", "BÍ THƯ"),
    "van-phong-tinh-uy": ("T/L BAN THƯỜNG VỤ", "CHÁNH VĂN PHÒNG"),
    "ban-to-chuc-tinh-uy": ("K/T TRƯỞNG BAN", "PHÓ TRƯỞNG BAN"),
}
# Default issuer and symbol of the numbered kinds.
NUMBERED_DEFAULTS = {
    "reminder": ("tinh-uy", "CV/TU"),
    "task_report": ("dang-uy-ubnd-tinh", "BC/ĐU"),
}
REPORT_TO = "Văn phòng Tỉnh ủy"


def issuer_heading(unit) -> tuple[str, str]:
    if unit.code in ISSUER_HEADINGS:
        return ISSUER_HEADINGS[unit.code]
    parent = unit.parent.name.upper() if unit.parent is not None else ""
    return parent, unit.name.upper()


def authority_name(unit) -> str:
    return AUTHORITY_NAMES.get(unit.code, unit.name)


def signers_file() -> Path:
    """The office's signing blocks per issuer (``DOCUMENT_SIGNERS_FILE``; default workflow/data/signers.yaml)."""
    configured = os.environ.get("DOCUMENT_SIGNERS_FILE")
    try:
        from flask import current_app

        configured = current_app.config.get("DOCUMENT_SIGNERS_FILE") or configured
    except RuntimeError:
        pass
    return Path(configured) if configured else BASE_DIR / "workflow" / "data" / "signers.yaml"


_signers_cache: dict[str, tuple[float, dict]] = {}


def configured_signers() -> dict:
    """{issuer code: {"signing_authority", "signer_title", "signer_name"}} from the signers file
    (re-read when it changes; a missing file is no configuration)."""
    import yaml

    path = signers_file()
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return {}
    cached = _signers_cache.get(str(path))
    if cached is None or cached[0] != mtime:
        with open(path, encoding="utf-8") as handle:
            raw = yaml.safe_load(handle) or {}
        from workflow.text import nfc

        table = {str(code): {key: nfc(str((row or {}).get(key) or "")).strip()
                             for key in ("signing_authority", "signer_title", "signer_name")}
                 for code, row in raw.items()}
        cached = (mtime, table)
        _signers_cache[str(path)] = cached
    return cached[1]


def leader_name(unit) -> str:
    """The full name of the issuing unit's only active leader account ("" when none or several)."""
    from sqlalchemy import select

    from models import User
    from workflow.extensions import db

    names = list(db.session.scalars(select(User.full_name).where(
        User.unit_id == unit.id, User.role == "leader", User.active.is_(True)).limit(2)))
    return names[0].strip() if len(names) == 1 and names[0] else ""


def default_signer(unit) -> dict:
    """The issuer's signing block from the office's configuration (the signers file), the name of the
    unit's leader where the file gives none; never copied from an earlier document."""
    authority, title = DEFAULT_SIGNERS.get(unit.code, ("T/M BAN THƯỜNG VỤ", ""))
    block = {"signing_authority": authority, "signer_title": title, "signer_name": ""}
    block.update({k: v for k, v in configured_signers().get(unit.code, {}).items() if v})
    if not block["signer_name"]:
        block["signer_name"] = leader_name(unit)
    return block


def signer_block(unit, params: dict) -> dict:
    block = default_signer(unit)
    if params.get("signer_title") and not params.get("signer_name") \
            and params["signer_title"].upper() != block["signer_title"].upper():
        block["signer_name"] = ""  # another title is another person: never print the default's name under it
    for key in ("signing_authority", "signer_title", "signer_name"):
        if params.get(key):
            block[key] = params[key]
    block["signing_authority"] = block["signing_authority"].upper()
    block["signer_title"] = block["signer_title"].upper()
    return block


def heading_block(unit, *, number: str, draft: bool, day: date | None, year: int) -> dict:
    parent, name = issuer_heading(unit)
    return {"issuer_parent": parent, "issuer_name": name, "number": number, "draft": draft,
            "place_date": place_date(day, year=year)}


def blank_number(symbol: str) -> str:
    """The number line of an unnumbered draft: ``Số        -BC/ĐU``."""
    return f"{' ' * 8}-{symbol}"


# ==========================================================================
# Parameters (shared by the API, the CLI and the pages)
# ==========================================================================

COMMON_PARAMS = {"date", "draft", "issuer", "symbol", "signing_authority", "signer_title", "signer_name",
                 "distribution", "reservation"}
KIND_PARAMS = {
    "assignment": {"dispatch"},
    "reminder": {"as_of", "unit", "tasks"},
    "task_report": {"as_of", "dispatch", "unit", "title"},
    "indicator_form": {"unit", "period", "catalogue"},
    "overdue_list": {"as_of", "unit"},
}
# Which parameters each kind needs, for the pages and the error messages.
KIND_PARAM_HELP = {
    "assignment": "dispatch (số công văn, ví dụ 1775-CV/TU)",
    "reminder": "as_of (ngày, ví dụ 2026-11-22; mặc định hôm nay), unit (tùy chọn), tasks (tùy chọn: các id "
                "nhiệm vụ được chọn)",
    "task_report": "as_of (ngày, ví dụ 2026-06-30), dispatch (tùy chọn; mặc định các nhiệm vụ trọng tâm)",
    "indicator_form": "unit (mã đơn vị), period (kỳ, ví dụ 2026-05)",
    "overdue_list": "as_of (ngày; mặc định hôm nay), unit (tùy chọn)",
}
NUMBERED_KINDS = set(NUMBERED_DEFAULTS)
MAX_CHOSEN_TASKS = 1000  # tasks selected for one reminder


def parse_as_of(value, now: datetime) -> datetime:
    """A date means the end of that day (local time); a datetime is taken as is; none means ``now``."""
    if value in (None, ""):
        return now
    if not isinstance(value, str):
        raise ValidationError("as_of phải là ngày ISO 8601, ví dụ 2026-06-30.")
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.combine(parse_iso_date(text), time(23, 59, 59), tzinfo=local_tz())
        return parse_iso_datetime(text, local_tz())
    except ValueError:
        raise ValidationError(f"as_of không hợp lệ: \"{value}\" (ví dụ 2026-06-30).") from None


def _text_param(params: dict, name: str, max_length: int = 300) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationError(f"Tham số \"{name}\" phải là chuỗi ký tự.")
    value = " ".join(value.split())
    if len(value) > max_length:
        raise ValidationError(f"Tham số \"{name}\" quá dài (tối đa {max_length} ký tự).")
    return value


def _unit_param(params: dict, name: str = "unit"):
    from workflow.queries import unit_by_code

    code = _text_param(params, name, 120)
    if code is None:
        return None
    unit = unit_by_code(code)
    if unit is None:
        raise ValidationError(f"Không tìm thấy đơn vị có mã \"{code}\".")
    return unit


def _dispatch_param(params: dict, *, required: bool):
    from workflow.services.dispatches import find_dispatch

    ref = _text_param(params, "dispatch", 100)
    if ref is None:
        if required:
            raise ValidationError("Thiếu tham số \"dispatch\" (số công văn, ví dụ 1775-CV/TU).")
        return None
    dispatch = find_dispatch(ref)
    if dispatch is None:
        raise ValidationError(f"Không tìm thấy công văn \"{ref}\".")
    return dispatch


def normalize_params(kind: str, params: dict | None, now: datetime) -> dict:
    """Check a request's parameters; return them normalised (JSON data, archived with the document)."""
    if kind not in KINDS:
        raise ValidationError(f"Loại văn bản không hợp lệ: \"{kind}\" (một trong: {', '.join(KINDS)}).")
    params = dict(params or {})
    params.pop("kind", None)
    allowed = COMMON_PARAMS | KIND_PARAMS[kind]
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ValidationError(f"Tham số không dùng cho \"{kind}\": {', '.join(unknown)}. "
                              f"Cần: {KIND_PARAM_HELP[kind]}.")
    out: dict = {}
    day = _text_param(params, "date", 10)
    try:
        out["date"] = parse_iso_date(day).isoformat() if day else local_today(now).isoformat()
    except ValueError:
        raise ValidationError(f"date không hợp lệ: \"{day}\" (ví dụ 2026-06-30).") from None
    draft = params.get("draft", False)
    if not isinstance(draft, bool):
        raise ValidationError("draft phải là true hoặc false.")
    out["draft"] = draft
    for key in ("signing_authority", "signer_title", "signer_name", "title"):
        value = _text_param(params, key, 200)
        if value:
            out[key] = value
    distribution = params.get("distribution")
    if distribution not in (None, ""):
        if not isinstance(distribution, list) or not all(isinstance(d, str) for d in distribution):
            raise ValidationError("distribution phải là danh sách các dòng Nơi nhận.")
        out["distribution"] = [" ".join(d.split()) for d in distribution if d.strip()]
    reservation = params.get("reservation")
    if reservation not in (None, ""):
        if isinstance(reservation, bool) or not isinstance(reservation, int):
            raise ValidationError("reservation phải là mã số (id) của số đã giữ.")
        out["reservation"] = reservation
    if kind in NUMBERED_KINDS:
        issuer_code, symbol = NUMBERED_DEFAULTS[kind]
        issuer = _unit_param(params, "issuer")
        out["issuer"] = issuer.code if issuer else issuer_code
        out["symbol"] = (_text_param(params, "symbol", 40) or symbol).upper()
    elif params.get("issuer") or params.get("symbol") or "reservation" in out:
        raise ValidationError(f"Loại \"{kind}\" không lấy số trong sổ đăng ký văn bản đi.")

    if kind == "assignment":
        out["dispatch"] = _dispatch_param(params, required=True).id
    if kind in ("reminder", "task_report", "overdue_list"):
        out["as_of"] = parse_as_of(params.get("as_of"), now).isoformat()
    if kind in ("reminder", "overdue_list", "task_report"):
        unit = _unit_param(params)
        if unit is not None:
            out["unit"] = unit.code
    if kind == "reminder" and params.get("tasks") not in (None, [], ""):
        chosen = params["tasks"]
        if not isinstance(chosen, list) or not chosen or len(chosen) > MAX_CHOSEN_TASKS or not all(
                isinstance(t, int) and not isinstance(t, bool) and 0 < t < 2**63 for t in chosen):
            raise ValidationError(f"tasks phải là danh sách id nhiệm vụ (1 đến {MAX_CHOSEN_TASKS}).")
        out["tasks"] = sorted(set(chosen))
    if kind == "task_report":
        dispatch = _dispatch_param(params, required=False)
        if dispatch is not None:
            out["dispatch"] = dispatch.id
    if kind == "indicator_form":
        unit = _unit_param(params)
        if unit is None:
            raise ValidationError("Thiếu tham số \"unit\" (mã đơn vị báo cáo).")
        out["unit"] = unit.code
        period = params.get("period")
        if not isinstance(period, str) or not period:
            raise ValidationError("Thiếu tham số \"period\" (kỳ báo cáo, ví dụ 2026-05).")
        out["period"] = parse_period(period)
        out["catalogue"] = _text_param(params, "catalogue", 40) or DEFAULT_CATALOGUE
        from sqlalchemy import select

        from models import Indicator
        from workflow.extensions import db

        if db.session.scalar(select(Indicator.id).where(Indicator.catalogue == out["catalogue"])) is None:
            raise ValidationError(f"Không có danh mục chỉ tiêu \"{out['catalogue']}\".")
    return out


# ==========================================================================
# Context builders, one per kind
# ==========================================================================


def build_data(kind: str, params: dict, *, number: str | None = None) -> dict:
    """The data a document of ``kind`` is rendered from (normalised ``params``; ``number`` if taken)."""
    builder = {
        "assignment": assignment_data,
        "reminder": reminder_data,
        "task_report": task_report_data,
        "indicator_form": indicator_form_data,
        "overdue_list": overdue_list_data,
    }[kind]
    return clean(builder(params, number=number))


def _doc_day(params: dict) -> date:
    return date.fromisoformat(params["date"])


def _unit(code: str):
    from workflow.queries import unit_by_code

    return unit_by_code(code)


def _number_line(params: dict, number: str | None) -> str:
    return number or blank_number(params["symbol"])


# --- assignment -------------------------------------------------------------

_DIRECT_DEADLINE = re.compile(r"^(trước|chậm nhất|trong|hoàn thành|xong|hằng|hàng|định kỳ|thường xuyên|đến|từ|"
                              r"ngay|khẩn trương|mỗi)\b", re.IGNORECASE)


def _task_sentence(title: str, deadline_text: str | None, coordinating: list[str], *, prefix: str = "") -> dict:
    """A numbered assignment with its deadline in bold: ``3.2. Chủ trì … **trước ngày 05 …**.``"""
    title = re.sub(r"[\s.;,:]+$", "", " ".join(title.split()))
    runs = [run(prefix + title)]
    if coordinating and "phối hợp" not in title.lower():
        runs.append(run(f" (phối hợp: {', '.join(coordinating)})"))
    if deadline_text:
        wording = re.sub(r"[\s.;,]+$", "", " ".join(deadline_text.split()))
        if _DIRECT_DEADLINE.match(wording):
            runs += [run(" "), run(wording, bold=True), run(".")]
        else:
            runs += [run("; thời hạn: "), run(wording, bold=True), run(".")]
    else:
        runs.append(run("."))
    return paragraph(*runs)


# --- a dispatch's own words ---------------------------------------------------
#
# A document made from a dispatch that was imported or seeded keeps the dispatch's own words: its body
# (the paragraphs between Kính gửi and Nơi nhận, and its tables) is read back from the source text
# stored with it (``Dispatch.source_text``), never re-phrased from its tasks. Only a dispatch drafted
# in the application, which has no source text, has its body written from its tasks.

_SRC_RECIPIENTS = re.compile(r"^\s*[-–•]?\s*Kính\s+gửi\s*:?", re.IGNORECASE)
_SRC_DISTRIBUTION = re.compile(r"^\s*Nơi\s+nhận\b", re.IGNORECASE)
_SRC_AUTHORITY = re.compile(r"^\s*(?:T/M|K/T|T/L|TM\.|KT\.|TL\.|TUQ\.?)\s", re.IGNORECASE)
_SRC_BULLET = re.compile(r"^\s*[-–+•]\s+")
_SRC_APPENDIX = re.compile(r"^\s*PH[ỤU]\s*L[ỤU]C\b", re.IGNORECASE)
_SRC_MARKER = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?\s|[a-zđ]\)\s|[-–+•]\s)", re.IGNORECASE)
# The body says an appendix goes with the dispatch ("(Chi tiết Phụ lục đính kèm)").
_APPENDIX_MENTION = re.compile(r"phụ\s+lục\s+(?:đính\s+kèm|kèm\s+theo\s+(?:công\s+văn|văn\s+bản)\s+này)",
                               re.IGNORECASE)
_BOLD = "\ue000"  # where a transcription's **bold** markers were
_TERMINAL = tuple(".:;!?…)”\"")


def _source_line(line: str) -> str:
    """A line of a source text without the light markup of transcriptions (~~struck~~, *italic*, the
    signature scribbles after the last sentence), its **bold** kept as markers."""
    line = line.replace("**", _BOLD).replace("~~", "").replace("__", "")
    line = re.sub(r"(?<=[.;:!?/])\s+\*[^\s*]{1,12}\*\s*$", "", line)
    line = re.sub(r"\*([^*\n]+)\*", r"\1", line)
    line = re.sub(r"\s*\*+\s*$", "", line)
    line = re.sub(r"^(\s*)\*+\s*", r"\1", line)
    return line.rstrip()


def _source_runs(text: str, bold_phrases: list[str]) -> dict:
    """Rich text of a source paragraph: its own bold where marked, else the deadlines in bold."""
    text = " ".join(text.split())
    if _BOLD in text:
        parts = text.split(_BOLD)
        return rich(*[run(part, bold=bool(n % 2)) for n, part in enumerate(parts) if part])
    phrases = sorted({p for p in bold_phrases if p and p in text}, key=len, reverse=True)
    if not phrases:
        return rich(text)
    pattern = re.compile("|".join(re.escape(p) for p in phrases))
    runs, at = [], 0
    for match in pattern.finditer(text):
        runs += [run(text[at:match.start()]), run(match.group(0), bold=True)]
        at = match.end()
    runs.append(run(text[at:]))
    return rich(*[r for r in runs if r["t"]])


def _plain(text: str) -> str:
    return " ".join(text.replace(_BOLD, "").split())


def table_block(rows: list[list], *, widths_mm: list[float], size: float = 13, header_rows: int = 1,
                align: list[str] | None = None, bold_rows: list[bool] | None = None,
                sizes: list[float] | None = None) -> dict:
    """A table as data: ``{"table": {"widths", "size", "header_rows", "align", "rows": [{"cells", "bold"}]}}``
    (cells are strings or rich text); rendered by :class:`DocxTable`, header rows repeated on every page."""
    bold_rows = bold_rows or [n < header_rows for n in range(len(rows))]
    return {"table": {
        "widths": [round(w, 1) for w in widths_mm], "size": size, "header_rows": header_rows,
        "align": align or ["left"] * len(widths_mm),
        **({"sizes": sizes} if sizes else {}),
        "rows": [{"cells": [c if isinstance(c, dict) else rich(c) for c in row], "bold": bool(b)}
                 for row, b in zip(rows, bold_rows)],
    }}


def _mostly_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 8 and sum(c.isupper() for c in letters) >= 0.6 * len(letters)


def _source_table(lines: list[str], bold_phrases: list[str], width_mm: float) -> dict:
    """Tab-separated rows (the first is the header) → a table block whose column widths follow the text."""
    rows = [[_plain(c) for c in line.split("\t")] for line in lines]
    columns = max(len(r) for r in rows)
    rows = [r + [""] * (columns - len(r)) for r in rows]
    weights = []
    for col in range(columns):
        longest = max(len(r[col]) for r in rows)
        empty = all(not r[col] for r in rows[1:])  # a column left to fill in ("Kết quả thực hiện")
        weights.append(min(max(longest, 30 if empty else 4), 60))
    total = sum(weights)
    widths = [max(10.0, width_mm * w / total) for w in weights]
    widest = widths.index(max(widths))
    widths[widest] -= sum(widths) - width_mm  # the widest column absorbs the rounding to the text width
    align = ["center" if all(len(r[col]) <= 6 for r in rows[1:]) else "left" for col in range(columns)]
    bold = [n == 0 or _mostly_upper(" ".join(r)) for n, r in enumerate(rows)]
    cells = [[_source_runs(c, bold_phrases) if n else c for c in r] for n, r in enumerate(rows)]
    return table_block(cells, widths_mm=widths, align=align, bold_rows=bold)


def _source_blocks(lines: list[str], bold_phrases: list[str], width_mm: float) -> list[dict]:
    """Paragraphs and tables of a stretch of source lines, in order.

    A line with tabs is a table row (consecutive rows, blank lines between them allowed, make one
    table); a paragraph split by a page break in the transcription ("… (6) Củng cố" / "quốc phòng …")
    is joined again. A heading ("3. Giao Ban Tổ chức Tỉnh ủy"), a sentence that introduces what
    follows (ending with ":") and the last paragraph stay on the page of what follows them.
    """
    items: list[tuple[str, object]] = []
    n = 0
    while n < len(lines):
        line = lines[n]
        if not line.strip():
            n += 1
            continue
        if "\t" in line:
            rows = []
            while n < len(lines) and ("\t" in lines[n] or (not lines[n].strip() and n + 1 < len(lines)
                                                          and "\t" in lines[n + 1])):
                if lines[n].strip():
                    rows.append(lines[n])
                n += 1
            items.append(("table", rows))
            continue
        text = line.strip()
        if items and items[-1][0] == "p":
            previous = _plain(items[-1][1])
            if previous and not previous.endswith(_TERMINAL) and text[:1].islower() \
                    and not _SRC_MARKER.match(text):
                items[-1] = ("p", items[-1][1] + " " + text)
                n += 1
                continue
        items.append(("p", text))
        n += 1
    blocks = []
    for index, (kind, value) in enumerate(items):
        if kind == "table":
            blocks.append(_source_table(value, bold_phrases, width_mm))
            continue
        plain = _plain(value)
        last = index == len(items) - 1
        heading = len(plain) <= 120 and not plain.endswith(_TERMINAL)
        blocks.append(paragraph(*_source_runs(value, bold_phrases)["rich"],
                                keep=last or heading or plain.endswith(":")))
    return blocks


def source_sections(text: str | None) -> dict | None:
    """The body and the appendix of a dispatch's source text, as lines (None when it cannot be read:
    no "Kính gửi", or nothing that ends the body)."""
    from workflow.importer import normalise_source

    if not text or not text.strip():
        return None
    lines = [_source_line(line) for line in normalise_source(text).split("\n")]
    start = next((i for i, line in enumerate(lines) if _SRC_RECIPIENTS.match(line)), None)
    if start is None:
        return None
    entries = bool(_SRC_RECIPIENTS.sub("", lines[start]).strip(" -–:"))
    i = start + 1
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped:
            if entries:
                break
            i += 1
            continue
        previous = lines[i - 1].strip() if lines[i - 1].strip() else ""
        if not entries or _SRC_BULLET.match(lines[i]) or (previous.endswith((",", ";")) and len(stripped) <= 160
                                                          and "\t" not in stripped):
            entries = True
            i += 1
            continue
        break
    body_start = i
    end = next((j for j in range(body_start, len(lines)) if _SRC_DISTRIBUTION.match(lines[j])), None)
    if end is None:
        end = next((j for j in range(body_start, len(lines)) if _SRC_AUTHORITY.match(lines[j])), None)
    if end is None or end <= body_start:
        return None
    appendix_at = next((j for j in range(end, len(lines)) if _SRC_APPENDIX.match(lines[j])), None)
    return {"body": lines[body_start:end], "appendix": lines[appendix_at:] if appendix_at is not None else []}


def source_body(dispatch, *, width_mm: float = TEXT_WIDTH_PORTRAIT) -> dict | None:
    """``{"body": blocks, "appendix": {...} or None}`` from the dispatch's stored source text, or None."""
    sections = source_sections(getattr(dispatch, "source_text", None))
    if sections is None:
        return None
    deadlines = [" ".join((t.deadline_text or "").split()) for t in dispatch.tasks if t.deadline_text]
    body = _source_blocks(sections["body"], deadlines, width_mm)
    if not body:
        return None
    mentioned = bool(sections["appendix"]) or any(
        _APPENDIX_MENTION.search(plain_text(b.get("text", ""))) for b in body if "text" in b)
    return {"body": body, "appendix_lines": sections["appendix"], "appendix": mentioned}


APPENDIX_HEADERS = ["STT", "Tên chỉ tiêu", "Mã số", "Mã số chi", "Đơn vị tính", "Mục tiêu",
                    "Cơ quan chủ trì thực hiện", "Văn bản nguồn", "Kết quả thực hiện trong kỳ (Điền số)",
                    "Mô tả tình hình thực hiện trong kỳ", "Khó khăn, vướng mắc", "Đề xuất, kiến nghị", "Ghi chú"]
APPENDIX_WIDTHS = [10, 42, 12, 11, 12, 13, 22, 46, 17, 21, 17, 16, 13]  # mm: the landscape text width
APPENDIX_KEYS = ["no", "name", "code", "sub_code", "measure_unit", "target", "lead", "source", "value",
                 "description", "difficulties", "proposals", "notes"]


def dispatch_appendix(dispatch, source: dict | None) -> dict | None:
    """The appendix a dispatch says it carries: its indicator catalogue (the catalogue named by the
    dispatch's number, e.g. the 13 indicators of 1534-CV/TU) as a table, else the appendix table of its
    source text; None when the dispatch mentions no appendix."""
    if source is None or not source["appendix"]:
        return None
    indicators = catalogue_indicators(dispatch.full_number) if dispatch.full_number else []
    if indicators:
        title, issued = appendix_lines(dispatch.full_number)
        rows = [[row[key] for key in APPENDIX_KEYS] for row in indicator_rows(indicators, {})]
        table = table_block([APPENDIX_HEADERS] + rows, widths_mm=APPENDIX_WIDTHS, size=10,
                            align=["center", "left", "center", "center", "center", "center", "left", "left",
                                   "center", "left", "left", "left", "left"],
                            sizes=[10] * 7 + [9] + [10] * 5)  # as the form prints them: the source text in 9 pt
        return {"heading": [rich(run("PHỤ LỤC", bold=True)), rich(run(title, bold=True)),
                            rich(run(issued, italic=True))], "body": [table]}
    lines = source["appendix_lines"]
    if not lines:
        return None
    first_table = next((i for i, line in enumerate(lines) if "\t" in line), len(lines))
    heading = [rich(run(_plain(line), bold=n == 0, italic=_plain(line).startswith("(")))
               for n, line in enumerate(lines[:first_table]) if line.strip()]
    body = _source_blocks(lines[first_table:], [], TEXT_WIDTH_LANDSCAPE)
    return {"heading": heading, "body": body} if heading or body else None


def assignment_data(params: dict, *, number: str | None = None) -> dict:
    from models import Dispatch
    from workflow.extensions import db

    dispatch = db.session.get(Dispatch, params["dispatch"])
    issuer = dispatch.issuer
    authority = authority_name(issuer)
    draft = dispatch.status == "draft"
    year = dispatch.year or _doc_day(params).year
    data = heading_block(issuer, number=dispatch.full_number or blank_number(dispatch.symbol), draft=draft,
                         day=None if draft else dispatch.issued_on, year=year)
    data["subject_line"] = subject_line(dispatch.subject)
    data["recipients"] = dash_lines(dispatch.recipients or ["Các cơ quan, đơn vị có liên quan"],
                                    single_dash=False)

    source = source_body(dispatch)
    data["appendix"] = dispatch_appendix(dispatch, source)
    if source is not None:  # the dispatch's own words, read back from its source text
        data["body"] = source["body"]
    else:
        data["body"] = _assignment_body(dispatch, authority)
    data["distribution"] = dash_lines(dispatch.distribution or ["Như trên", f"Lưu {REPORT_TO}"])
    signer = {"signing_authority": dispatch.signing_authority, "signer_title": dispatch.signer_title,
              "signer_name": dispatch.signer_name}
    if not signer["signing_authority"]:
        signer = default_signer(issuer)
    signer.update({k: params[k] for k in ("signing_authority", "signer_title", "signer_name") if params.get(k)})
    data.update({k: (v.upper() if k != "signer_name" else v) for k, v in signer.items()})
    if params.get("distribution"):
        data["distribution"] = dash_lines(params["distribution"])
    return data


def _assignment_body(dispatch, authority: str) -> list[dict]:
    """The body of a dispatch drafted in the application (no source text): preamble, directives, and
    its tasks grouped under "N. Giao <unit>", each with its deadline in bold."""
    body = []
    preamble = " ".join((dispatch.preamble or "").split())
    if not preamble:
        preamble = f"{authority} giao các cơ quan, đơn vị thực hiện các nội dung sau:"
    if dispatch.references:
        refs = "; ".join(re.sub(r"[\s.;]+$", "", r) for r in dispatch.references)
        body.append(paragraph(f"Thực hiện {refs}; {preamble}"))
    else:
        body.append(paragraph(preamble))

    # Numbered items: the directives kept verbatim, and the tasks grouped under "N. Giao <unit>".
    blocks: list[tuple[list, str, object]] = []
    for directive in dispatch.directives or []:
        blocks.append((_natural_key(directive["item"]), "directive", directive))
    tasks = [t for t in dispatch.tasks if t.series_id is None]
    numbered = [t for t in tasks if _natural_key(t.item) and isinstance(_natural_key(t.item)[0], int)]
    unnumbered = [t for t in tasks if t not in numbered]
    groups: dict[int, list] = {}
    for task in numbered:
        groups.setdefault(_natural_key(task.item)[0], []).append(task)
    next_number = max([k[0] for k, kind, _ in blocks if k and isinstance(k[0], int)] + list(groups) + [0]) + 1
    for task in unnumbered:
        groups[next_number] = [task]
        next_number += 1
    for top, group in groups.items():
        blocks.append(([top], "group", sorted(group, key=lambda t: (_natural_key(t.item), t.id))))
    blocks.sort(key=lambda b: b[0])

    for key, kind, value in blocks:
        if kind == "directive":
            text = " ".join(value["text"].split())
            body.append(paragraph(f"{value['item']}. {text}"))
            continue
        top = key[0]
        leads = {t.lead_unit_id for t in value}
        lead_names = ", ".join(dict.fromkeys(t.lead_unit.name for t in value))
        single = len(value) == 1 and (not value[0].item or value[0].item == str(top) or
                                      _natural_key(value[0].item) == [top])
        heading = f"{top}. Giao {lead_names}"
        if single:
            task = value[0]
            coords = [u.name for u in task.coordinating_units]
            if coords and "phối hợp" not in task.title.lower():
                heading += f" chủ trì, phối hợp với {', '.join(coords)}"
                coords = []
            body.append(paragraph(run(heading), keep=True))
            body.append(_task_sentence(task.title, task.deadline_text or format_deadline(task.deadline), coords))
            continue
        body.append(paragraph(heading if len(leads) == 1 else f"{top}. Giao các cơ quan, đơn vị", keep=True))
        for task in value:
            parts = _natural_key(task.item)
            sub = parts[-1] if len(parts) > 1 else ""
            prefix = f"{sub}) " if isinstance(sub, str) and sub else f"{task.item}. "
            if len(leads) > 1:
                prefix += f"{task.lead_unit.name}: "
            body.append(_task_sentence(task.title, task.deadline_text or format_deadline(task.deadline),
                                       [u.name for u in task.coordinating_units], prefix=prefix))
    body.append(paragraph(f"{authority} yêu cầu các cơ quan, đơn vị nghiêm túc triển khai thực hiện./.", keep=True))
    return body


# --- reminder ---------------------------------------------------------------

UNIT_KIND_ORDER = {"party": 0, "department": 1, "other": 2, "commune": 3}


def _late_by_unit(states: list[TaskAsOf]) -> list[tuple[object, list[TaskAsOf]]]:
    by_unit: dict[int, list[TaskAsOf]] = {}
    for state in states:
        by_unit.setdefault(state.task.lead_unit_id, []).append(state)
    units = sorted(by_unit.values(), key=lambda g: (UNIT_KIND_ORDER.get(g[0].task.lead_unit.kind, 9),
                                                   sort_key_vi(g[0].task.lead_unit.name)))
    return [(group[0].task.lead_unit,
             sorted(group, key=lambda s: (s.deadline or s.at, _natural_key(s.task.item), s.task.id)))
            for group in units]


def reminder_data(params: dict, *, number: str | None = None) -> dict:
    from workflow.deadlines import add_working_days
    from workflow.services.tasks import holiday_dates

    at = datetime.fromisoformat(params["as_of"])
    unit = _unit(params["unit"]) if params.get("unit") else None
    chosen = set(params.get("tasks") or ())
    late = [s for s in tasks_as_of(at, unit=unit, open_only=True, ids=chosen or None) if s.late]
    if not late:
        if chosen:
            raise ValidationError("Trong các nhiệm vụ đã chọn không có nhiệm vụ nào quá hạn tính đến "
                                  f"{official_date(to_local(at).date())}; công văn đôn đốc chỉ nêu nhiệm vụ quá hạn.")
        raise ValidationError(f"Không có nhiệm vụ quá hạn tính đến {official_date(to_local(at).date())}; "
                              "không cần công văn đôn đốc.")
    issuer = _unit(params["issuer"])
    authority = authority_name(issuer)
    day = _doc_day(params)
    groups = _late_by_unit(late)
    data = heading_block(issuer, number=_number_line(params, number), draft=params["draft"], day=day,
                         year=day.year)
    data["subject_line"] = "V/v đôn đốc thực hiện các nhiệm vụ quá hạn"
    data["recipients"] = dash_lines([u.name for u, _ in groups], single_dash=False)
    as_of_day = to_local(at).date()
    data["opening"] = (
        f"Qua theo dõi tình hình thực hiện các nhiệm vụ được giao, tính đến {official_date(as_of_day)}, "
        f"còn {count_text(len(late))} nhiệm vụ của {count_text(len(groups))} cơ quan, đơn vị đã quá thời hạn "
        f"nhưng chưa hoàn thành, cụ thể như sau:")
    units = []
    for n, (lead, states) in enumerate(groups, start=1):
        lines = []
        for state in states:
            task = state.task
            title = re.sub(r"[\s.;,:]+$", "", " ".join(task.title.split()))
            runs = [run(f"- {title} ({source_text(task.dispatch)}; thời hạn: "),
                    run(format_deadline(state.deadline) or "không ghi", bold=True)]
            if state.days_late:
                runs.append(run(f"; đã quá hạn {format_number(state.days_late)} ngày"))
            if state.extension_requested_at is not None:
                runs.append(run("; đã xin gia hạn, đang chờ xem xét"))
            runs.append(run(")."))
            lines.append(rich(*runs))
        units.append({"heading": rich(run(f"{n}. {lead.name}", bold=True),
                                      run(f": {count_text(len(states))} nhiệm vụ quá hạn")),
                      "tasks": lines})
    data["units"] = units
    reply_by = add_working_days(day, 5, set(holiday_dates()))  # five working days, weekends and holidays skipped
    data["closing"] = [paragraph(
        run(f"{authority} đề nghị các cơ quan, đơn vị khẩn trương chỉ đạo hoàn thành các nhiệm vụ nêu trên; "
            f"báo cáo kết quả thực hiện, nguyên nhân chậm trễ và đề xuất thời hạn hoàn thành (nếu có), "
            f"gửi về {REPORT_TO} "),
        run(f"chậm nhất ngày {short_date(reply_by)}", bold=True),
        run(" để tổng hợp, báo cáo Thường trực Tỉnh ủy./."), keep=True)]
    # Nơi nhận: the units addressed (each by name), the Standing Committee, the archive.
    data["distribution"] = dash_lines(params.get("distribution") or
                                      [u.name for u, _ in groups]
                                      + ["Thường trực Tỉnh ủy (báo cáo)", f"Lưu {REPORT_TO}"])
    data.update(signer_block(issuer, params))
    return data


# --- task_report --------------------------------------------------------------

PROGRAM_KIND = "CTr"  # the key tasks (nhiệm vụ trọng tâm) are the tasks of programs


def task_report_data(params: dict, *, number: str | None = None) -> dict:
    from sqlalchemy import select

    from models import Dispatch
    from workflow.extensions import db

    at = datetime.fromisoformat(params["as_of"])
    dispatch = db.session.get(Dispatch, params["dispatch"]) if params.get("dispatch") else None
    unit = _unit(params["unit"]) if params.get("unit") else None
    if dispatch is not None:
        states = tasks_as_of(at, dispatch=dispatch, unit=unit)
        scope = f"các nhiệm vụ theo {source_text(dispatch)}"
        if dispatch.issued_on:
            scope += f" ngày {short_date(dispatch.issued_on)}"
    else:
        states = tasks_as_of(at, program_kind=PROGRAM_KIND, unit=unit)
        programs = list(db.session.scalars(select(Dispatch).where(Dispatch.kind == PROGRAM_KIND,
                                                                  Dispatch.status != "draft")))
        if len(programs) == 1 and programs[0].title:
            title = re.sub(r"\s*\(.*\)\s*$", "", programs[0].title)
            scope = "các " + title[0].lower() + title[1:]
        else:
            scope = "các nhiệm vụ trọng tâm"
    if not states:
        raise ValidationError(f"Không có nhiệm vụ nào tính đến {official_date(to_local(at).date())} "
                              "trong phạm vi báo cáo.")
    states.sort(key=lambda s: (_natural_key(s.task.item), s.task.id))
    completed = [s for s in states if s.status == "completed"]
    pending = [s for s in states if s.status != "completed"]
    late = [s for s in pending if s.late]
    issuer = _unit(params["issuer"])
    authority = authority_name(issuer)
    day = _doc_day(params)
    as_of_day = to_local(at).date()
    data = heading_block(issuer, number=_number_line(params, number), draft=params["draft"], day=day,
                         year=day.year)
    data["doc_type"] = "BÁO CÁO"
    data["title"] = params.get("title") or f"kết quả thực hiện {scope}"
    data["as_of_line"] = f"(tính đến {official_date(as_of_day)})"
    data["opening"] = (
        f"Tính đến {official_date(as_of_day)}, trong tổng số {count_text(len(states))} nhiệm vụ, đã hoàn thành "
        f"{count_text(len(completed))} nhiệm vụ; đang thực hiện, chưa hoàn thành {count_text(len(pending))} "
        f"nhiệm vụ (trong đó {count_text(len(late))} nhiệm vụ trễ hạn). {authority} báo cáo cụ thể như sau:")
    data["completed_heading"] = f"1. Các nhiệm vụ đã hoàn thành ({count_text(len(completed))} nhiệm vụ):"
    data["pending_heading"] = (f"2. Các nhiệm vụ đang thực hiện, chưa hoàn thành "
                               f"({count_text(len(pending))} nhiệm vụ):")
    data["completed"] = [{"no": str(n), "title": s.task.title, "lead": units_text(s.task)}
                         for n, s in enumerate(completed, start=1)]
    rows = []
    for n, state in enumerate(pending, start=1):
        status = state.status_text()
        note = (state.progress_note or "").strip()
        rows.append({"no": str(n), "title": state.task.title, "lead": units_text(state.task),
                     "deadline": format_deadline(state.deadline) or "-", "status": status + ("." if note else ""),
                     "note": note})
    data["pending"] = rows
    data["closing"] = [paragraph(f"Trên đây là báo cáo kết quả thực hiện {scope} tính đến {short_date(as_of_day)} "
                                 f"của {authority}./.", keep=True)]
    data["distribution"] = dash_lines(params.get("distribution") or
                                      ["Ban Thường vụ Tỉnh ủy (báo cáo)", "Thường trực Tỉnh ủy (báo cáo)",
                                       REPORT_TO, "Lưu Văn phòng"])
    data.update(signer_block(issuer, params))
    return data


# --- indicator_form -----------------------------------------------------------

DEFAULT_CATALOGUE = "1534-CV/TU"
APPENDIX_TITLES = {
    "1534-CV/TU": "Chỉ tiêu cụ thể giao địa phương theo Quyết định số 11/QĐ-BCĐCP của Ban Chỉ đạo Chính phủ",
}


def appendix_lines(catalogue: str) -> tuple[str, str]:
    from workflow.services.dispatches import find_dispatch

    title = APPENDIX_TITLES.get(catalogue, f"Chỉ tiêu theo {catalogue}")
    dispatch = find_dispatch(catalogue)
    if dispatch is None or dispatch.issued_on is None:
        return title, f"(Ban hành kèm theo {catalogue})"
    who = authority_name(dispatch.issuer) if "BAN THƯỜNG VỤ" in (dispatch.signing_authority or "").upper() \
        else dispatch.issuer.name
    return title, (f"(Ban hành kèm theo {source_text(dispatch).replace('Văn bản số', 'văn bản số')}, "
                   f"{official_date(dispatch.issued_on)} của {who})")


def indicator_rows(indicators, reports: dict) -> list[dict]:
    rows = []
    for n, indicator in enumerate(indicators, start=1):
        report = reports.get(indicator.id)
        value = ""
        if report is not None:
            value = format_number(report.value) if report.value is not None else (report.value_text or "")
        rows.append({
            "no": str(n), "name": indicator.name, "code": indicator.code, "sub_code": indicator.sub_code or "",
            "measure_unit": indicator.measure_unit or "", "target": indicator.target_text or "",
            "lead": indicator.lead_unit.name if indicator.lead_unit else "",
            "source": indicator.source_text or "", "value": value,
            "description": (report.description or "") if report else "",
            "difficulties": (report.difficulties or "") if report else "",
            "proposals": (report.proposals or "") if report else "",
            "notes": (report.notes or "") if report else "",
        })
    return rows


def catalogue_indicators(catalogue: str) -> list:
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from models import Indicator
    from workflow.extensions import db

    return list(db.session.scalars(select(Indicator).where(Indicator.catalogue == catalogue)
                                   .options(selectinload(Indicator.lead_unit))
                                   .order_by(Indicator.position, Indicator.code)))


def indicator_reports(unit_ids: list[int], period: str, indicator_ids: list[int]) -> dict:
    """{unit id: {indicator id: report}} for one period."""
    from sqlalchemy import select

    from models import IndicatorReport
    from workflow.extensions import db

    out: dict[int, dict] = {u: {} for u in unit_ids}
    if not unit_ids or not indicator_ids:
        return out
    for report in db.session.scalars(select(IndicatorReport).where(
            IndicatorReport.period == period, IndicatorReport.unit_id.in_(unit_ids),
            IndicatorReport.indicator_id.in_(indicator_ids))):
        out[report.unit_id][report.indicator_id] = report
    return out


def indicator_form_data(params: dict, *, number: str | None = None, preloaded: dict | None = None) -> dict:
    """``preloaded`` (bulk): {"indicators", "reports", "appendix"} computed once for many units."""
    unit = _unit(params["unit"])
    period, catalogue = params["period"], params["catalogue"]
    if preloaded is None:
        indicators = catalogue_indicators(catalogue)
        reports = indicator_reports([unit.id], period, [i.id for i in indicators])[unit.id]
        title, source = appendix_lines(catalogue)
    else:
        indicators, title, source = preloaded["indicators"], *preloaded["appendix"]
        reports = preloaded["reports"].get(unit.id, {})
    return {
        "appendix_title": title,
        "appendix_source": source,
        "unit_name": unit.name,
        "period_label": period_label(period),
        "rows": indicator_rows(indicators, reports),
        "sign_place_date": f"{'.' * 20}, ngày {'.' * 6} tháng {'.' * 6} năm {period[:4]}",
    }


# --- overdue_list -------------------------------------------------------------


def overdue_list_data(params: dict, *, number: str | None = None) -> dict:
    at = datetime.fromisoformat(params["as_of"])
    unit = _unit(params["unit"]) if params.get("unit") else None
    late = [s for s in tasks_as_of(at, unit=unit, open_only=True) if s.late]
    late.sort(key=lambda s: (-s.days_late, s.deadline or s.at, s.task.id))
    issuer = _unit("van-phong-tinh-uy")
    day = _doc_day(params)
    as_of_day = to_local(at).date()
    data = heading_block(issuer, number="", draft=False, day=day, year=day.year)
    data["doc_type"] = "DANH SÁCH"
    data["title"] = "các nhiệm vụ quá hạn chưa hoàn thành"
    data["as_of_line"] = f"(tính đến {official_date(as_of_day)})"
    groups = _late_by_unit(late)
    if late:
        data["summary"] = (
            f"Tính đến {official_date(as_of_day)}, có {count_text(len(late))} nhiệm vụ đã quá thời hạn nhưng chưa "
            f"hoàn thành, thuộc {count_text(len(groups))} cơ quan, đơn vị chủ trì; nhiệm vụ chậm nhất đã quá hạn "
            f"{format_number(late[0].days_late)} ngày. Danh sách xếp theo số ngày quá hạn, nhiều nhất trước:")
    else:
        data["summary"] = f"Tính đến {official_date(as_of_day)}, không có nhiệm vụ nào quá hạn."
    data["rows"] = [{
        "no": str(n), "title": s.task.title, "source": source_text(s.task.dispatch),
        "lead": s.task.lead_unit.name, "deadline": format_deadline(s.deadline),
        "days_late": format_number(s.days_late), "status": s.status_text(),
    } for n, s in enumerate(late, start=1)]
    data["by_unit_heading"] = "Tổng hợp theo cơ quan, đơn vị chủ trì:"
    by_unit = sorted(groups, key=lambda g: (-len(g[1]), sort_key_vi(g[0].name)))
    data["by_unit"] = [{"no": str(n), "name": u.name, "count": count_text(len(states))}
                       for n, (u, states) in enumerate(by_unit, start=1)]
    data["distribution"] = dash_lines(params.get("distribution") or
                                      ["Thường trực Tỉnh ủy (báo cáo)", "Lưu Văn phòng Tỉnh ủy"])
    data.update(signer_block(issuer, params))
    return data


def document_title(kind: str, params: dict, data: dict) -> str:
    """A one-line title for lists and the archive."""
    as_of = ""
    if params.get("as_of"):
        as_of = f" (tính đến {official_date(to_local(datetime.fromisoformat(params['as_of'])).date())})"
    if kind == "assignment":
        return " ".join(f"Công văn {data['number'].strip()} {data['subject_line']}".split())
    if kind == "reminder":
        return f"Công văn đôn đốc thực hiện các nhiệm vụ quá hạn{as_of}"
    if kind == "task_report":
        return f"Báo cáo {data['title']}{as_of}"
    if kind == "indicator_form":
        return f"Biểu chỉ tiêu {data['unit_name']} - {data['period_label']}"
    return f"Danh sách các nhiệm vụ quá hạn{as_of}"


def archive_number(kind: str, data: dict, number: str | None) -> str | None:
    """The number a document carries: the one it took, or (assignment) its dispatch's."""
    if number:
        return number
    if kind == "assignment" and not data.get("draft") and data.get("number", "").strip()[:1].isdigit():
        return data["number"].strip()
    return None


# ==========================================================================
# .docx rendering (docxtpl)
# ==========================================================================

_template_cache: dict[str, tuple[float, bytes, str]] = {}
_template_lock = threading.Lock()


def template_path(kind: str) -> Path:
    if kind not in KINDS:
        raise ValidationError(f"Loại văn bản không hợp lệ: \"{kind}\".")
    return TEMPLATES_DIR / f"{kind}.docx"


def template_bytes(kind: str) -> tuple[bytes, str]:
    """The template's bytes and sha256 (re-read when the file changes, e.g. edited in Word)."""
    path = template_path(kind)
    mtime = path.stat().st_mtime
    with _template_lock:
        cached = _template_cache.get(kind)
        if cached is None or cached[0] != mtime:
            data = path.read_bytes()
            cached = (mtime, data, hashlib.sha256(data).hexdigest())
            _template_cache[kind] = cached
    return cached[1], cached[2]


def template_sha256(kind: str) -> str:
    return template_bytes(kind)[1]


def jinja_env():
    """Strict: a variable the context does not supply is an error, never an empty string."""
    from jinja2 import Environment, StrictUndefined

    return Environment(undefined=StrictUndefined, autoescape=True)


class DocxTable:
    """A table block (:func:`table_block`) as WordprocessingML, inserted by ``{{p p.table }}``.

    Fixed layout with the given column widths (Word reads the cell widths, LibreOffice the grid),
    single borders, header rows repeated on every page, rows never split across pages; the text is
    escaped here (docxtpl inserts the XML as it is). A 6 pt paragraph follows the table.
    """

    def __init__(self, spec: dict):
        self.spec = spec

    @staticmethod
    def _twips(mm: float) -> int:
        return int(round(mm * 56.6929))

    def _runs(self, value, *, bold: bool, half_points: int) -> str:
        from xml.sax.saxutils import escape

        parts = value["rich"] if isinstance(value, dict) and "rich" in value else [{"t": str(value or "")}]
        out = []
        for part in parts:
            props = "<w:b/><w:bCs/>" if bold or part.get("b") else ""
            props += "<w:i/><w:iCs/>" if part.get("i") else ""
            props += f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/>'
            out.append(f'<w:r><w:rPr>{props}</w:rPr><w:t xml:space="preserve">{escape(part["t"])}</w:t></w:r>')
        return "".join(out)

    def __html__(self) -> str:
        spec = self.spec
        widths = [self._twips(w) for w in spec["widths"]]
        border = "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                         for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
        xml = [f'<w:tbl><w:tblPr><w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:jc w:val="center"/>'
               f'<w:tblBorders>{border}</w:tblBorders><w:tblLayout w:type="fixed"/>'
               '<w:tblCellMar><w:left w:w="85" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar>'
               '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" w:lastColumn="0" '
               'w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>']
        xml += [f'<w:gridCol w:w="{w}"/>' for w in widths]
        xml.append("</w:tblGrid>")
        aligns = {"center": "center", "right": "right", "justify": "both"}
        for n, row in enumerate(spec["rows"]):
            header = n < spec.get("header_rows", 0)
            xml.append("<w:tr><w:trPr><w:cantSplit/>" + ("<w:tblHeader/>" if header else "") + "</w:trPr>")
            for col, (cell, width) in enumerate(zip(row["cells"], widths)):
                align = "center" if header else aligns.get(spec["align"][col], "left")
                sizes = spec.get("sizes")
                half_points = int(round(float(sizes[col] if sizes and not header else spec.get("size", 13)) * 2))
                xml.append(f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>'
                           f'<w:vAlign w:val="{"center" if header else "top"}"/></w:tcPr>'
                           f'<w:p><w:pPr><w:spacing w:before="40" w:after="40"/><w:jc w:val="{align}"/></w:pPr>'
                           f'{self._runs(cell, bold=row.get("bold", False), half_points=half_points)}</w:p></w:tc>')
            xml.append("</w:tr>")
        xml.append('</w:tbl><w:p><w:pPr><w:spacing w:before="0" w:after="120"/></w:pPr></w:p>')
        return "".join(xml)

    __str__ = __html__


def to_context(value):
    """Turn the data's ``{"rich": [...]}`` parts into docxtpl ``RichText`` (everything else as is)."""
    from docxtpl import RichText

    if isinstance(value, dict):
        if isinstance(value.get("table"), dict) and "rows" in value["table"]:
            return {**{k: to_context(v) for k, v in value.items() if k != "table"},
                    "table": DocxTable(value["table"])}
        if set(value) == {"rich"}:
            text = RichText()
            for part in value["rich"]:
                text.add(part["t"], bold=bool(part.get("b")), italic=bool(part.get("i")))
            return text
        return {k: to_context(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_context(v) for v in value]
    return value


def render_docx(kind: str, data: dict, *, title: str | None = None) -> bytes:
    """Render the kind's template with ``data``: autoescape on, strict undefined; returns the .docx bytes.

    ``title`` becomes the file's title (shown by Word and carried into the PDF).
    """
    from docxtpl import DocxTemplate

    content, _ = template_bytes(kind)
    template = DocxTemplate(io.BytesIO(content))  # a new template object per render
    first_section = _first_section_break(template.get_docx())
    template.render(to_context(data), jinja_env(), autoescape=True)
    _keep_first_section_layout(template.docx, first_section)
    set_document_properties(template.docx, kind, data, title=title)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def _first_section_break(document):
    """A copy of the template's first section break (the properties of its first section), if any."""
    import copy

    found = document.element.body.xpath("./w:p/w:pPr/w:sectPr")
    return copy.deepcopy(found[0]) if found else None


def _keep_first_section_layout(document, first_section) -> None:
    """A template whose later sections are conditional (the assignment's landscape appendix, in
    ``{%p if appendix %}``) ends with the last section's layout. When rendering dropped every section
    break, the document is all first section: it takes the first section's page, margins and headers."""
    body = document.element.body
    if first_section is None or body.xpath("./w:p/w:pPr/w:sectPr"):
        return
    last = body.find(qn_w("sectPr"))
    if last is not None:
        body.replace(last, first_section)
    else:
        body.append(first_section)


def qn_w(tag: str) -> str:
    return f"{{http://schemas.openxmlformats.org/wordprocessingml/2006/main}}{tag}"


# The issuing bodies' names as the document properties give them (the header prints them in capitals).
ISSUER_BODY_NAMES = {
    "tinh-uy": "Tỉnh ủy Lâm Đồng",
    "van-phong-tinh-uy": "Văn phòng Tỉnh ủy Lâm Đồng",
    "ban-to-chuc-tinh-uy": "Ban Tổ chức Tỉnh ủy Lâm Đồng",
    "uy-ban-kiem-tra-tinh-uy": "Ủy ban Kiểm tra Tỉnh ủy Lâm Đồng",
    "dang-uy-ubnd-tinh": "Đảng ủy Ủy ban nhân dân tỉnh Lâm Đồng",
}


def issuing_body(data: dict) -> str:
    """Who issues a document, from its data: the body its header names, or the reporting unit of a form."""
    heading = (data.get("issuer_parent", ""), data.get("issuer_name", ""))
    for code, name in ISSUER_BODY_NAMES.items():
        if ISSUER_HEADINGS.get(code) == heading:
            return name
    if data.get("unit_name"):
        return data["unit_name"]
    if heading[1]:
        try:
            from sqlalchemy import func, select

            from models import Unit
            from workflow.extensions import db

            for unit in db.session.scalars(select(Unit).where(func.length(Unit.name) == len(heading[1]))):
                if unit.name.upper() == heading[1]:
                    return unit.name
        except RuntimeError:  # no application context: the header's words
            pass
        return " ".join(part for part in heading if part)
    return ""


def document_properties(kind: str, data: dict, *, title: str | None = None) -> dict:
    """What a file's properties say: what the document is and who issues it (never the tool that made
    it): author and last editor the issuing body, title the document's title, subject its trích yếu, the
    number as identifier and keyword, the kind as category, Vietnamese as language."""
    body = issuing_body(data)
    number = (data.get("number") or "").strip()
    number = number if number[:1].isdigit() else ""
    subject = data.get("subject_line") or " ".join(
        x for x in (data.get("doc_type", "").capitalize(), data.get("title") or data.get("appendix_title", "")) if x)
    return {
        "author": body[:250], "last_modified_by": body[:250],
        "title": clean(title or subject or KIND_LABELS[kind])[:250], "subject": clean(subject)[:250],
        "category": KIND_LABELS[kind], "keywords": number, "identifier": number, "language": "vi-VN",
        "comments": " ".join(x for x in (KIND_LABELS[kind], f"số {number}" if number else "",
                                         f"của {body}" if body else "") if x)[:250],
        "content_status": "Dự thảo" if data.get("draft") else "",
    }


def set_document_properties(document, kind: str, data: dict, *, title: str | None = None) -> None:
    """Write :func:`document_properties` into a python-docx document (created and modified: now)."""
    from workflow.clock import utcnow

    core = document.core_properties
    for name, value in document_properties(kind, data, title=title).items():
        setattr(core, name, value)
    core.revision = 1
    core.created = core.modified = utcnow().replace(tzinfo=None, microsecond=0)


def core_properties_xml(properties: dict) -> bytes:
    """docProps/core.xml for :func:`document_properties` (the bulk path writes the package itself)."""
    from xml.sax.saxutils import escape

    from workflow.clock import utcnow

    when = utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    fields = (("dc:title", "title"), ("dc:subject", "subject"), ("dc:creator", "author"),
              ("cp:keywords", "keywords"), ("dc:description", "comments"), ("cp:lastModifiedBy", "last_modified_by"),
              ("cp:category", "category"), ("dc:identifier", "identifier"), ("dc:language", "language"),
              ("cp:contentStatus", "content_status"))
    inner = "".join(f"<{tag}>{escape(properties.get(key) or '')}</{tag}>" for tag, key in fields)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'{inner}<cp:revision>1</cp:revision>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified>'
            '</cp:coreProperties>').encode("utf-8")


def undeclared_variables(kind: str, context: dict | None = None) -> set[str]:
    """The template's variables (those missing from ``context`` when one is given)."""
    from docxtpl import DocxTemplate

    content, _ = template_bytes(kind)
    return DocxTemplate(io.BytesIO(content)).get_undeclared_template_variables(jinja_env(), context)


def plain_text(data) -> str:
    """All the text of a document's data (for previews and search)."""
    if isinstance(data, dict):
        if set(data) == {"rich"}:
            return "".join(part["t"] for part in data["rich"])
        if "rows" in data and "widths" in data:  # a table block: its rows, cells separated by tabs
            return "\n".join("\t".join(plain_text(c) for c in row["cells"]) for row in data["rows"])
        return "\n".join(plain_text(v) for v in data.values())
    if isinstance(data, list):
        return "\n".join(plain_text(v) for v in data)
    return "" if data is None or isinstance(data, bool) else str(data)


# ==========================================================================
# PDF: LibreOffice (docx) and wkhtmltopdf (printable HTML)
# ==========================================================================


class ConversionError(DomainError):
    """A PDF could not be produced (the message says which file and why): 503 in the API."""

    status = 503


# jemalloc (Debian's libjemalloc2) under LibreOffice: its import, layout and PDF export allocate and free
# small objects by the million (glibc's malloc/free were ~15% of its CPU); measured here, 20% less CPU for
# 62 forms in one document, 8% for one form (issue 16). Same PDFs. SOFFICE_PRELOAD names another library,
# or "" for none; nothing is preloaded when the library is not installed.
SOFFICE_PRELOAD = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"


def soffice_environment() -> dict[str, str]:
    """The environment LibreOffice runs in: ours, with the allocator preloaded when there is one."""
    env = dict(os.environ)
    library = os.environ.get("SOFFICE_PRELOAD", SOFFICE_PRELOAD)
    if library and os.path.isfile(library):
        env["LD_PRELOAD"] = " ".join(filter(None, [env.get("LD_PRELOAD"), library]))
    return env


def _is_pdf(path: Path) -> bool:
    if not path.is_file() or path.stat().st_size < 100:
        return False
    with open(path, "rb") as handle:
        return handle.read(5) == b"%PDF-"


def _whole_pdf(path: Path) -> bytes | None:
    """The PDF at ``path`` if it is there and complete (header and final ``%%EOF``), else None."""
    if not _is_pdf(path):
        return None
    content = path.read_bytes()
    return content if content[-1024:].rstrip().endswith(b"%%EOF") else None


class LibreOffice:
    """docx → PDF through ``soffice --headless --convert-to pdf``.

    Each conversion runs under a LibreOffice profile (``UserInstallation``) that
    no other running conversion uses: a second call sharing a profile with a
    running instance would be silently handed to it. Profiles are numbered
    slots under one directory, each taken with an exclusive ``flock`` for the
    length of a call, so any process or thread on the machine picks a free one;
    they are kept between calls (a used profile starts faster: the "warm"
    path). A call converts many files at once, so the start-up is paid once
    per batch. soffice exits 0 even when it fails: every expected PDF is checked.
    The profiles are a machine-local cache, never data.
    """

    def __init__(self, binary: str | None = None, timeout: float = 300, profile_root: str | None = None):
        self.binary = binary or os.environ.get("SOFFICE") or shutil.which("soffice") or "soffice"
        self.timeout = timeout
        self.profile_root = Path(profile_root or os.environ.get("LIBREOFFICE_PROFILES")
                                 or Path(tempfile.gettempdir()) / f"workflow-lo-profiles-{os.getuid()}")

    @contextmanager
    def profile(self):
        """A profile directory no other running conversion uses (the first free numbered slot)."""
        import fcntl

        self.profile_root.mkdir(parents=True, exist_ok=True)
        slot = 0
        while True:
            handle = open(self.profile_root / f"slot-{slot}.lock", "w")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                slot += 1
                continue
            try:
                yield str(self.profile_root / f"slot-{slot}")
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
            return

    def convert_many(self, files: dict[str, bytes], *, timeout: float | None = None,
                     export: str = "writer_pdf_Export") -> dict[str, bytes]:
        """{"name.docx": bytes, …} → {"name.docx": pdf bytes, …} in one soffice call (``export``: the
        PDF filter and its options, e.g. ``PDFA_EXPORT`` for PDF/A-2b)."""
        if not files:
            return {}
        names = list(files)
        with self.profile() as profile, tempfile.TemporaryDirectory(prefix="lo-convert-") as work:
            work_dir = Path(work)
            inputs = []
            for n, name in enumerate(names):
                path = work_dir / "in" / f"{n:05d}{Path(name).suffix or '.docx'}"
                path.parent.mkdir(exist_ok=True)
                path.write_bytes(files[name])
                inputs.append(path)
            out_dir = work_dir / "out"
            out_dir.mkdir()
            command = [self.binary, f"-env:UserInstallation=file://{profile}", "--headless", "--invisible",
                       "--nologo", "--norestore", "--nodefault", "--nolockcheck",
                       "--convert-to", f"pdf:{export}", "--outdir", str(out_dir), *map(str, inputs)]
            env = soffice_environment()
            try:
                # Its own process group: soffice (oosplash) runs soffice.bin as a child, and a conversion
                # that runs out of time is stopped whole, never left converting into the shared profile.
                process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                           stdin=subprocess.DEVNULL, env=env, start_new_session=True)
            except FileNotFoundError:
                raise ConversionError(f"LibreOffice (soffice) không có trên máy này: {self.binary}") from None
            try:
                stdout, stderr = process.communicate(timeout=timeout or self.timeout)
            except subprocess.TimeoutExpired:
                raise ConversionError(f"LibreOffice quá thời gian chuyển đổi ({len(files)} tệp).") from None
            finally:
                _stop_process_group(process)
            out = {}
            for name, path in zip(names, inputs):
                pdf = out_dir / (path.stem + ".pdf")
                if not _is_pdf(pdf):
                    detail = (stderr or stdout or b"").decode("utf-8", "replace").strip()[-500:]
                    raise ConversionError(f"LibreOffice không tạo được PDF cho {name} "
                                          f"(mã thoát {process.returncode}): {detail or 'không có thông báo'}")
                out[name] = pdf.read_bytes()
            return out

    def convert(self, docx: bytes, *, timeout: float | None = None, export: str = "writer_pdf_Export") -> bytes:
        return self.convert_many({"document.docx": docx}, timeout=timeout, export=export)["document.docx"]

    def convert_each(self, documents: list[bytes], *, timeout: float | None = None,
                     export: str = "writer_pdf_Export", cancel: threading.Event | None = None):
        """Convert several .docx in one soffice call (LibreOffice starts once) and yield ``(index,
        pdf)`` as each PDF is written, while LibreOffice goes on with the next document (issue 16:
        a batch's groups no longer pay a start-up each; each group still moves the progress bar).

        soffice converts its files in order and writes each PDF under a temporary name that it
        renames when complete, so a PDF under its final name is whole (its ``%%EOF`` is checked
        too). Closing the generator early, or setting ``cancel``, stops LibreOffice."""
        import time as clock

        if not documents:
            return
        deadline = clock.monotonic() + (timeout or self.timeout)
        with self.profile() as profile, tempfile.TemporaryDirectory(prefix="lo-convert-") as work:
            work_dir = Path(work)
            (work_dir / "in").mkdir()
            out_dir = work_dir / "out"
            out_dir.mkdir()
            inputs = []
            for n, content in enumerate(documents):
                path = work_dir / "in" / f"{n:05d}.docx"
                path.write_bytes(content)
                inputs.append(path)
            command = [self.binary, f"-env:UserInstallation=file://{profile}", "--headless", "--invisible",
                       "--nologo", "--norestore", "--nodefault", "--nolockcheck",
                       "--convert-to", f"pdf:{export}", "--outdir", str(out_dir), *map(str, inputs)]
            log = open(work_dir / "soffice.log", "w+b")
            try:
                # its own process group: oosplash starts soffice.bin as a child, and stopping
                # LibreOffice must stop both (an orphan would keep the profile in use)
                process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                           env=soffice_environment(), start_new_session=True)
            except FileNotFoundError:
                log.close()
                raise ConversionError(f"LibreOffice (soffice) không có trên máy này: {self.binary}") from None
            try:
                for n, path in enumerate(inputs):
                    pdf = out_dir / (path.stem + ".pdf")
                    while True:
                        finished = process.poll() is not None
                        content = _whole_pdf(pdf)
                        if content is not None:
                            break
                        if finished:
                            log.seek(0)
                            detail = log.read().decode("utf-8", "replace").strip()[-500:]
                            raise ConversionError(f"LibreOffice không tạo được PDF cho văn bản {n + 1}/"
                                                  f"{len(inputs)} (mã thoát {process.returncode}): "
                                                  f"{detail or 'không có thông báo'}")
                        if clock.monotonic() > deadline:
                            raise ConversionError(f"LibreOffice quá thời gian chuyển đổi ({len(inputs)} tệp).")
                        if cancel is not None and cancel.is_set():
                            raise ConversionError("Đã dừng chuyển đổi sang PDF.")
                        try:
                            process.wait(timeout=0.05)
                        except subprocess.TimeoutExpired:
                            pass
                    yield n, content
                    deadline = clock.monotonic() + (timeout or self.timeout)  # the timeout is per document
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    pass  # every PDF is written; the finally below stops a LibreOffice that lingers
            finally:
                _stop_process_group(process)
                log.close()


_converter: LibreOffice | None = None


def _stop_process_group(process: subprocess.Popen) -> None:
    """Stop a LibreOffice started in its own session (``start_new_session=True``) with every process of
    its group — oosplash and the soffice.bin it runs — unless it has already exited; then reap it."""
    if process.poll() is not None:
        return
    import signal

    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.communicate() if process.stdout is not None else process.wait()


def converter() -> LibreOffice:
    """The process's LibreOffice converter (``SOFFICE`` and ``DOCUMENTS_CONVERT_TIMEOUT`` configure it)."""
    global _converter
    if _converter is None:
        timeout = 300.0
        try:
            from flask import current_app

            timeout = float(current_app.config.get("DOCUMENTS_CONVERT_TIMEOUT", timeout))
        except RuntimeError:
            pass
        _converter = LibreOffice(timeout=timeout)
    return _converter


def docx_to_pdf(docx: bytes) -> bytes:
    """.docx → PDF/A-2b: every archived PDF is PDF/A (issue 13; ``PDFA_EXPORT`` below)."""
    return converter().convert(docx, export=PDFA_EXPORT)


# wkhtmltopdf options that work with Debian's build (STACK.md): all four margins, or left/right are ignored.
# Hardened (issue 14, finding 10): the HTML comes on standard input with its styles inline, so the
# converter needs no file, no script and no network: local file access off, JavaScript off, and every
# network fetch sent to a proxy that is not there (127.0.0.1:9, the discard port: refused at once).
PDFKIT_OPTIONS = {
    "page-size": "A4",
    "encoding": "UTF-8",
    "margin-top": "20mm",
    "margin-bottom": "20mm",
    "margin-left": "30mm",
    "margin-right": "15mm",
    "disable-local-file-access": None,
    "disable-javascript": None,
    "proxy": "http://127.0.0.1:9",
    "quiet": None,
}


def html_to_pdf(html: str, *, landscape: bool = False) -> bytes:
    """Printable HTML → PDF with pdfkit/wkhtmltopdf (checked: the output must be a PDF)."""
    import pdfkit

    binary = os.environ.get("WKHTMLTOPDF") or shutil.which("wkhtmltopdf")
    if not binary:
        raise ConversionError("wkhtmltopdf không có trên máy này.")
    options = dict(PDFKIT_OPTIONS)
    if landscape:
        options["orientation"] = "Landscape"
    try:
        pdf = pdfkit.from_string(html, False, options=options,
                                 configuration=pdfkit.configuration(wkhtmltopdf=binary))
    except OSError as exc:
        raise ConversionError(f"wkhtmltopdf không tạo được PDF: {str(exc)[-300:]}") from None
    if not pdf or not pdf.startswith(b"%PDF-"):
        raise ConversionError("wkhtmltopdf không tạo được PDF.")
    return pdf


def render_print_html(kind: str, data: dict) -> str:
    """The printable HTML view of a document's data (templates/print/<kind>.html)."""
    from flask import render_template

    return render_template(f"{PRINT_TEMPLATES}/{kind}.html", d=data, text=plain_text)


# Which kinds print from HTML (wkhtmltopdf) instead of from the .docx (LibreOffice). None: Debian's
# wkhtmltopdf (unpatched Qt) prints no header or footer, so no page numbers, and does not repeat a
# table's header row on each page (STACK.md). The overdue list's PDF is therefore made like every
# other document's, from its landscape .docx by LibreOffice: page numbers from the PAGE field, the
# header row repeated (tblHeader), the same page as the .docx. The printable HTML view stays for the
# browser's own printing.
HTML_PDF_KINDS: set[str] = set()


def render_pdf(kind: str, data: dict, docx: bytes) -> bytes:
    if kind in HTML_PDF_KINDS:
        return html_to_pdf(render_print_html(kind, data), landscape=True)
    return docx_to_pdf(docx)


# ==========================================================================
# Many documents at once: a warm template, one combined conversion split per part
# ==========================================================================


class WarmTemplate:
    """A template prepared once (docxtpl's tag clean-up, Jinja compilation) and rendered many times.

    For bulk batches: rendering 124 forms through a fresh ``DocxTemplate`` each
    costs ~75 ms apiece (loading the package, compiling, saving); here the
    template's body is patched and compiled once, with the same strict,
    autoescaping environment and docxtpl's own ``patch_xml`` and
    ``resolve_listing``, and each document only renders its body and writes
    its zip. It serves templates whose headers and footers hold no tags (a
    test checks that its output matches :func:`render_docx`).
    """

    def __init__(self, kind: str):
        from docxtpl import DocxTemplate

        content, self.sha256 = template_bytes(kind)
        self.kind = kind
        self._docxtpl = DocxTemplate(io.BytesIO(content))  # for its patch_xml and resolve_listing
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            self._entries = [(info, archive.read(info.filename)) for info in archive.infolist()]
        for info, data in self._entries:
            if re.match(r"word/(header|footer)\d*\.xml$", info.filename) and re.search(rb"\{[{%]", data):
                raise ValueError(f"{kind}: tags in {info.filename} need the full docxtpl render")
        document = dict((info.filename, data) for info, data in self._entries)["word/document.xml"].decode("utf-8")
        opening = re.search(r"<w:body[^>]*>", document)
        closing = document.rindex("</w:body>")
        body = document[opening.end():closing]
        section_at = body.rindex("<w:sectPr")
        self._prefix, self._suffix = document[:opening.end()], document[closing:]
        self.section = body[section_at:]
        self._inline_borders = _plain_table_grid_borders(
            dict((info.filename, data) for info, data in self._entries).get("word/styles.xml", b"").decode("utf-8"))
        source = re.sub(r"<w:p([ >])", r"\n<w:p\1", self._docxtpl.patch_xml(body[:section_at]))
        self._template = jinja_env().from_string(source)

    def render_body(self, data: dict) -> str:
        """The body XML (without its final section properties) for one document's data."""
        xml = self._template.render(to_context(data))
        xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        if not _LISTING_CHARACTERS.search(xml):
            return xml  # resolve_listing only rewrites these characters: without them it returns xml as is
        return self._docxtpl.resolve_listing(xml)

    def _restarting_section(self) -> str:
        """The template's section properties with page numbers restarting at 1."""
        section = re.sub(r"<w:pgNumType[^>]*/>", "", self.section)
        restart = '<w:pgNumType w:start="1"/>'
        if "<w:cols" in section:
            return section.replace("<w:cols", restart + "<w:cols", 1)
        return section.replace("</w:sectPr>", restart + "</w:sectPr>")

    def docx(self, bodies: list[str], *, properties: dict | None = None) -> bytes:
        """A .docx of one rendered body, or of several, each in its own section (own first page,
        page numbers from 1), so a combined PDF splits into the pages each would have alone.
        ``properties`` (:func:`document_properties`): the file's properties, else the template's."""
        from lxml import etree

        if len(bodies) == 1:
            inner = bodies[0] + self.section
        else:
            section = self._restarting_section()
            inner = f"<w:p><w:pPr>{section}</w:pPr></w:p>".join(bodies) + section
        xml = (self._prefix + inner + self._suffix).encode("utf-8")
        etree.fromstring(xml)  # strict parse: never write a package Word would refuse
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for info, data in self._entries:
                if info.filename == "word/document.xml":
                    data = xml
                elif info.filename == "docProps/core.xml" and properties is not None:
                    data = core_properties_xml(properties)
                # A copy: writestr records sizes and offsets in the ZipInfo it is given, and a batch
                # packages documents in several threads at once (render_batch).
                archive.writestr(copy.copy(info), data)
        return out.getvalue()

    def combined_for_conversion(self, bodies: list[str], anchors: list[str]) -> bytes:
        """The combined .docx LibreOffice converts for a batch (never given to anyone): the bodies in
        their own sections as :meth:`docx` joins them, each with a bookmark ``anchors[n]`` in its first
        paragraph, which the PDF export turns into a named destination on that part's first page (so
        the split needs no text extraction). Not re-parsed (each body is parsed in its own .docx) and
        stored uncompressed: both cost CPU for a file that lives a few seconds."""
        section = self._restarting_section()
        marked = [_bookmark_first_paragraph(body, anchor, 0x7000 + n)
                  for n, (body, anchor) in enumerate(zip(bodies, anchors, strict=True))]
        inner = f"<w:p><w:pPr>{section}</w:pPr></w:p>".join(marked) + section
        if self._inline_borders:
            inner = _TABLE_PROPERTIES.sub(lambda m: _without_table_grid(m.group(0), self._inline_borders), inner)
        xml = (self._prefix + inner + self._suffix).encode("utf-8")
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
            for info, data in self._entries:
                entry = zipfile.ZipInfo(info.filename, info.date_time)
                archive.writestr(entry, xml if info.filename == "word/document.xml" else data)
        return out.getvalue()


# The "Table Grid" table style as python-docx's default template defines it (docs_templates keep it), with
# the "Normal Table" it is based on and the Normal paragraph style its paragraphs fall back to: single
# 0.5 pt borders all round and inside, nothing else that Normal and Normal Table do not already give.
# LibreOffice's .docx import applies a table style to every cell one by one (measured: ~35 % of the import
# of the forms, 0.8-1.0 s of CPU for 62), so the combined document a batch converts carries these borders
# on the table itself instead: the same pages (the PDFs are compared pixel for pixel in the tests and
# were before/after for the 124 forms). Any other definition of the styles keeps the style as it is.
_TABLE_GRID_STYLE = (
    '<w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/><w:basedOn w:val="TableNormal"/>'
    '<w:uiPriority w:val="59"/><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>'
    '<w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblBorders>{borders}</w:tblBorders><w:tblCellMar>'
    '<w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/>'
    '<w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>')
_TABLE_NORMAL_STYLE = (
    '<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/>'
    '<w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/>'
    '<w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/>'
    '<w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>')
_GRID_BORDERS = "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="auto"/>'
                        for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
_NORMAL_SPACING = '<w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>'
_TABLE_PROPERTIES = re.compile(r"<w:tblPr>.*?</w:tblPr>", re.S)


def _plain_table_grid_borders(styles: str) -> str | None:
    """The borders to put on "Table Grid" tables when ``styles`` defines that style (and Normal Table and
    Normal) exactly as above; None otherwise."""
    styles = re.sub(r'<w:rsid w:val="[0-9A-F]+"/>', "", styles)
    normal = re.search(r'<w:style w:type="paragraph" w:default="1" w:styleId="Normal">.*?</w:style>', styles)
    if (_TABLE_GRID_STYLE.format(borders=_GRID_BORDERS) in styles and _TABLE_NORMAL_STYLE in styles
            and normal and f"<w:pPr>{_NORMAL_SPACING}</w:pPr>" in normal.group(0)):
        return f"<w:tblBorders>{_GRID_BORDERS}</w:tblBorders>"
    return None


def _without_table_grid(properties: str, borders: str) -> str:
    """A table's ``<w:tblPr>`` with its "Table Grid" style replaced by that style's borders (a table with
    borders of its own keeps the style: its borders and the style's combine side by side)."""
    if '<w:tblStyle w:val="TableGrid"/>' not in properties or "<w:tblBorders" in properties:
        return properties
    properties = properties.replace('<w:tblStyle w:val="TableGrid"/>', "")
    at = min(i for i in (properties.find(tag) for tag in ("<w:shd", "<w:tblLayout", "<w:tblCellMar", "<w:tblLook",
                                                          "</w:tblPr>")) if i >= 0)
    return properties[:at] + borders + properties[at:]


# What docxtpl's resolve_listing turns into tabs, paragraphs, line and page breaks (\t \a \n \f).
_LISTING_CHARACTERS = re.compile("[\t\a\n\f]")
_FIRST_PARAGRAPH = re.compile(r"<w:p(?:\s[^>]*)?>(?:<w:pPr>.*?</w:pPr>|<w:pPr/>)?", re.S)


def _bookmark_first_paragraph(body: str, name: str, bookmark_id: int) -> str:
    """``body`` with an empty bookmark ``name`` at the start of its first paragraph's content."""
    match = _FIRST_PARAGRAPH.search(body)
    if match is None:
        raise ValueError("a body without a paragraph cannot be anchored")
    mark = f'<w:bookmarkStart w:id="{bookmark_id}" w:name="{name}"/><w:bookmarkEnd w:id="{bookmark_id}"/>'
    return body[:match.end()] + mark + body[match.end():]


def render_batch(kind: str, datas: list[dict], markers: list[str], *, processes: int | None = None,
                 progress=None) -> list[tuple[bytes, bytes]]:
    """Render many documents of one kind as .docx and PDF: [(docx, pdf), …] in order.

    The PDFs come from a few combined documents, converted by ``processes``
    LibreOffice processes at once (each with its own profile, started once and
    given its share of the documents), split afterwards where each part starts:
    a named destination put on its first paragraph, else the page where its
    ``marker`` text first appears. ``progress(done, total, message)`` is called
    as the work advances.
    """
    from concurrent.futures import ThreadPoolExecutor

    total = len(datas)
    if total == 0:
        return []
    report = progress or (lambda done, total, message: None)
    # Progress in units where the .docx of a form weighs 1 and its PDF 9 (the conversion is ~90% of
    # the time): the bar moves through the PDFs instead of waiting at 50% (issue 15, defect 5).
    units = total * (1 + PDF_WEIGHT)
    warm = WarmTemplate(kind)
    bodies: list[str] = [""] * total  # rendered lane by lane below, so the first LibreOffice starts sooner
    properties = [document_properties(kind, data, title=document_title(kind, {}, data)) for data in datas]
    if processes is None:
        processes = default_processes()
    processes = max(1, min(processes, total))
    # A few combined documents per process, not one: each finished group moves the bar (groups of at
    # least PDF_MIN_GROUP forms); a process converts its groups one after the other, started once.
    count = max(processes, min(processes * pdf_groups_per_process(), total // PDF_MIN_GROUP))
    size = math.ceil(total / count)
    groups = [list(range(start, min(start + size, total))) for start in range(0, total, size)]
    lo = converter()
    anchors = [f"wfpart{i:05d}" for i in range(total)]
    results: queue.Queue = queue.Queue()
    stop = threading.Event()

    def lane(numbers: list[int]) -> None:
        """One LibreOffice process converts its groups in turn (it starts once); each group's PDF is
        split here while LibreOffice goes on with the next one."""
        try:
            combined = [warm.combined_for_conversion([bodies[i] for i in groups[n]], [anchors[i] for i in groups[n]])
                        for n in numbers]
            conversions = lo.convert_each(combined, export=BATCH_PDF_EXPORT, cancel=stop)
            try:
                for k, pdf in conversions:
                    group = groups[numbers[k]]
                    results.put((numbers[k], split_pdf_by_first_pages(
                        pdf, [markers[i] for i in group], metadata=[properties[i] for i in group],
                        anchors=[anchors[i] for i in group])))
                    if stop.is_set():
                        break
            finally:
                conversions.close()  # stops LibreOffice if the batch failed meanwhile
        except BaseException as exc:  # handed to the caller's thread, which raises it
            results.put((None, exc))

    # One thread per LibreOffice process, each with its share of the groups (issue 16: a start-up per
    # process, not per group); this thread packages each .docx meanwhile (the Python work overlaps the
    # conversions), and each group moves the bar as soon as it is converted and split (issue 15).
    lanes = [list(range(len(groups) * n // processes, len(groups) * (n + 1) // processes))
             for n in range(processes)]
    parts: dict[int, list[bytes]] = {}
    converted = 0
    with ThreadPoolExecutor(max_workers=processes) as pool:
        try:
            for numbers in lanes:
                for i in (i for n in numbers for i in groups[n]):
                    bodies[i] = warm.render_body(datas[i])
                pool.submit(lane, numbers)
            docs = []
            for n, body in enumerate(bodies, start=1):
                docs.append(warm.docx([body], properties=properties[n - 1]))
                if n % 10 == 0 or n == total:
                    report(n, units, f"Đã tạo {n}/{total} tệp .docx")
            report(total, units, f"Đang chuyển {total} văn bản sang PDF ({processes} tiến trình LibreOffice)")
            while len(parts) < len(groups):
                n, outcome = results.get()
                if n is None:
                    raise outcome
                parts[n] = outcome
                converted += len(groups[n])
                report(total + converted * PDF_WEIGHT, units, f"Đã tạo {converted}/{total} tệp PDF")
        except BaseException:
            stop.set()
            raise
    pdfs = [pdf for n in range(len(groups)) for pdf in parts[n]]
    return list(zip(docs, pdfs))


PDF_WEIGHT = 9
PDF_GROUPS_PER_PROCESS = 2
# A batch's PDFs: LibreOffice's plain export (the forms are neither signed nor archived one by one:
# PDF/A is for the documents the archive keeps, docx_to_pdf), with the Word bookmarks as named
# destinations, which mark where each part starts (split_pdf_by_first_pages).
BATCH_PDF_EXPORT = 'writer_pdf_Export:{"ExportBookmarksToPDFDestination":{"type":"boolean","value":"true"}}'
PDF_MIN_GROUP = 8


def pdf_groups_per_process() -> int:
    """Combined documents per LibreOffice process in a batch (``DOCUMENTS_PDF_GROUPS_PER_PROCESS``,
    default 2): more groups move the progress bar more often, each costs one LibreOffice start
    (1 gives the fastest batch and a bar that waits for the whole conversion)."""
    configured = os.environ.get("DOCUMENTS_PDF_GROUPS_PER_PROCESS")
    try:
        from flask import current_app

        configured = current_app.config.get("DOCUMENTS_PDF_GROUPS_PER_PROCESS", configured)
    except RuntimeError:
        pass
    try:
        return max(1, int(configured)) if configured else PDF_GROUPS_PER_PROCESS
    except ValueError:
        return PDF_GROUPS_PER_PROCESS


def default_processes() -> int:
    """LibreOffice processes for a batch (``DOCUMENTS_CONVERT_PROCESSES``; default: the cores, at most 4)."""
    configured = os.environ.get("DOCUMENTS_CONVERT_PROCESSES")
    try:
        from flask import current_app

        configured = current_app.config.get("DOCUMENTS_CONVERT_PROCESSES", configured)
    except RuntimeError:
        pass
    if configured:
        return max(1, int(configured))
    return max(1, min(4, os.cpu_count() or 1))


def pdf_page_texts(pdf: bytes) -> list[str]:
    """The text of each page (``pdftotext -enc UTF-8``: fast, and exact for Vietnamese)."""
    binary = os.environ.get("PDFTOTEXT") or shutil.which("pdftotext")
    if not binary:
        raise ConversionError("pdftotext (poppler-utils) không có trên máy này.")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        result = subprocess.run([binary, "-enc", "UTF-8", "-layout", handle.name, "-"], capture_output=True,
                                timeout=120)
    if result.returncode != 0:
        raise ConversionError(f"pdftotext lỗi: {result.stderr.decode('utf-8', 'replace')[-300:]}")
    pages = result.stdout.decode("utf-8").split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def split_pdf_by_first_pages(pdf: bytes, marker_texts: list[str], *, metadata: list[dict] | None = None,
                             anchors: list[str] | None = None) -> list[bytes]:
    """Split a combined PDF where each part's first page contains its marker (in order); ``metadata``
    (:func:`document_properties` of each part) gives each part its own title, author and subject.
    ``anchors``: the named destinations of the parts' first pages (:meth:`WarmTemplate.combined_for_conversion`),
    read instead of the pages' text when every one is there, in order."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(pdf))
    starts = _anchor_pages(reader, anchors) if anchors else None
    if starts is None:
        texts = [" ".join(t.split()) for t in pdf_page_texts(pdf)]
        starts, index = [], 0
        for page_number, text in enumerate(texts):
            if index < len(marker_texts) and " ".join(marker_texts[index].split()) in text:
                starts.append(page_number)
                index += 1
    if len(starts) != len(marker_texts):
        raise ConversionError(f"không tách được PDF gộp: tìm thấy {len(starts)}/{len(marker_texts)} phần")
    parts = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(reader.pages)
        writer = PdfWriter()
        for page in reader.pages[start:end]:
            writer.add_page(page)
        if metadata is not None:
            props = metadata[n]
            writer.add_metadata({"/Title": props["title"], "/Author": props["author"],
                                 "/Subject": props["subject"], "/Keywords": props["keywords"]})
        out = io.BytesIO()
        writer.write(out)
        parts.append(out.getvalue())
    return parts


def _anchor_pages(reader, anchors: list[str]) -> list[int] | None:
    """The page of each named destination in ``anchors``; None unless all are there on rising pages."""
    try:
        destinations = reader.named_destinations
        pages = [reader.get_destination_page_number(destinations[f"/{name}"]) for name in anchors]
    except Exception:  # no /Dests, or a destination pypdf cannot resolve: read the text instead
        return None
    if pages[0] != 0 or any(b <= a for a, b in zip(pages, pages[1:])):
        return None
    return pages


# ==========================================================================
# PDF/A-2b (issue 13): every PDF that is signed or archived
# ==========================================================================

# LibreOffice's PDF export filter with its JSON options (LibreOffice ≥ 7.4): PDF/A-2b, which embeds
# every font and writes the XMP metadata (pdfaid:part 2, conformance B) and an sRGB output intent.
PDFA_EXPORT = 'writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'


def with_core_properties(docx: bytes, *, author: str, title: str | None = None) -> bytes:
    """The .docx with its author (the issuing body) and title set; LibreOffice carries them into the
    PDF's Info dictionary and XMP metadata (dc:creator, dc:title)."""
    from docx import Document as WordDocument

    word = WordDocument(io.BytesIO(docx))
    word.core_properties.author = author
    word.core_properties.last_modified_by = author
    if title:
        word.core_properties.title = clean(title)[:250]
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def docx_to_pdfa(docx: bytes) -> bytes:
    """.docx → PDF/A-2b through LibreOffice (same profile slots and checks as ``docx_to_pdf``)."""
    return converter().convert(docx, export=PDFA_EXPORT)
