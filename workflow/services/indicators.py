"""Indicator reports: the catalogues, units' periodic reports and their tasks in the engine.

The catalogues are the data files ``workflow/data/indicators_*.yaml``: 1534-CV/TU (13 indicators, monthly,
from each lead agency and every xã, phường, đặc khu), 1640-CV/BTCTU (15 criteria by axis, quarterly, from
every commune-level unit) and ``bc-6-thang-2026`` (the 6-month report's figures: read only).

A report is one unit's result on one indicator for one period. Its life is
``draft`` → ``submitted`` → ``accepted`` (the office may ``return`` it to draft), every step written to
``indicator_report_events``. A unit's report on a catalogue for a period is also one task of the dispatch
that asks for it (item 2.c of 1534-CV/TU, due the 17th; item 1 of 1640-CV/BTCTU, due the 30th of the last
month of the quarter), so a late report is an overdue task. When every indicator the unit answers for is
submitted, the task is completed through ``workflow.services.tasks.fire_event`` (on time or not, as
the engine records it); a report returned to draft reopens it.

Every public function that changes state commits once (``unit_of_work``); nothing is saved when it refuses.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from models import (Dispatch, Indicator, IndicatorPeriodTask, IndicatorReport, IndicatorReportEvent, Task,
                    Unit)
from models.types import fits_id
from workflow import permissions
from workflow.clock import local_tz, to_local
from workflow.errors import Conflict, Forbidden, NotFound, ValidationError
from workflow.extensions import db
from workflow.services import unit_of_work
from workflow.statemachine import DISPATCH_MACHINE, fire
from workflow.targets import (EXCEEDED, MET, NOT_MET, Judgement, TargetParseError, judge, parse_number,
                              progress, try_parse_target)
from workflow.text import nfc
from workflow.queries import unit_by_code

from transitions import Machine

REPORT_STATES = ["draft", "submitted", "accepted"]
REPORT_STATUS_LABELS = {"draft": "Bản nháp", "submitted": "Đã gửi", "accepted": "Đã tiếp nhận"}
REPORT_EVENT_LABELS = {"save": "Lưu nháp", "submit": "Gửi báo cáo", "accept": "Tiếp nhận",
                       "return": "Trả lại để sửa"}
REPORT_TRANSITIONS = [
    {"trigger": "save", "source": "draft", "dest": "draft"},
    {"trigger": "submit", "source": ["draft", "submitted"], "dest": "submitted"},
    {"trigger": "accept", "source": "submitted", "dest": "accepted"},
    {"trigger": "return", "source": ["submitted", "accepted"], "dest": "draft"},
]
REPORT_MACHINE = Machine(model=None, states=REPORT_STATES, transitions=REPORT_TRANSITIONS, initial=None,
                         model_attribute="status", auto_transitions=False, send_event=True)

FREQUENCY_LABELS = {"monthly": "hằng tháng", "quarterly": "hằng quý", "semiannual": "6 tháng"}
TEXT_LIMITS = {"description": 5000, "difficulties": 5000, "proposals": 5000, "notes": 2000}
REPORT_TEXT_FIELDS = ("description", "difficulties", "proposals", "notes")
TASK_EVENT_NOTE = "Báo cáo chỉ tiêu"


# --- catalogues -------------------------------------------------------------------


@dataclass(frozen=True)
class Catalogue:
    code: str
    title: str
    frequency: str
    dispatch: str | None = None
    item: str | None = None
    deadline_text: str | None = None
    reporters: str | None = None  # "leads_and_communes" · "communes" · None (not reported)

    @property
    def reportable(self) -> bool:
        return self.reporters is not None

    @property
    def frequency_label(self) -> str:
        return FREQUENCY_LABELS.get(self.frequency, self.frequency)


@lru_cache(maxsize=1)
def _catalogue_table() -> dict[str, Catalogue]:
    from workflow.seeding import INDICATOR_FILES, load_yaml

    out = {}
    for name in INDICATOR_FILES:
        data = load_yaml(name)
        reporting = data.get("reporting") or {}
        out[data["catalogue"]] = Catalogue(
            code=data["catalogue"], title=nfc(data.get("title") or data["catalogue"]),
            frequency=data.get("frequency", "monthly"), dispatch=reporting.get("dispatch"),
            item=str(reporting["item"]) if reporting.get("item") is not None else None,
            deadline_text=reporting.get("deadline_text"), reporters=reporting.get("units"))
    return out


def catalogues() -> list[Catalogue]:
    return list(_catalogue_table().values())


def get_catalogue(code: str | None) -> Catalogue:
    if code is not None and not isinstance(code, str):
        raise ValidationError("Danh mục (catalogue) phải là chuỗi ký tự, ví dụ \"1534-CV/TU\".")
    code = (code or "1534-CV/TU").strip()
    found = _catalogue_table().get(code)
    if found is None:
        raise ValidationError(f"Không có danh mục chỉ tiêu \"{code[:60]}\" "
                              f"(có: {', '.join(_catalogue_table())}).")
    return found


def catalogue_indicators(catalogue: str) -> list[Indicator]:
    return list(db.session.scalars(select(Indicator).where(Indicator.catalogue == catalogue)
                                   .options(selectinload(Indicator.lead_unit))
                                   .order_by(Indicator.position, Indicator.id)))


def get_indicator(code: str) -> Indicator:
    indicator = db.session.scalar(select(Indicator).where(Indicator.code == (code or "").strip()[:40]))
    if indicator is None:
        raise NotFound(f"Không tìm thấy chỉ tiêu có mã \"{(code or '')[:40]}\".")
    return indicator


def target_of(indicator: Indicator):
    return try_parse_target(indicator.target_text, indicator.measure_unit)


def value_kind(indicator: Indicator) -> str:
    return (indicator.figures or {}).get("value_kind", "number")


# --- periods ----------------------------------------------------------------------

PERIOD_RE = re.compile(r"^(\d{4})-(?:(\d{2})|Q(\d))$")
PERIOD_HINT = {"monthly": "tháng, dạng 2026-05", "quarterly": "quý, dạng 2026-Q2"}


@dataclass(frozen=True)
class Period:
    code: str
    frequency: str
    start: date
    end: date  # the last day

    @property
    def label(self) -> str:
        year = self.start.year
        if self.frequency == "monthly":
            return f"tháng {self.start.month}/{year}"
        quarter = (self.start.month - 1) // 3 + 1
        return f"quý {['I', 'II', 'III', 'IV'][quarter - 1]}/{year}"

    def previous(self, n: int = 1) -> "Period":
        months = 1 if self.frequency == "monthly" else 3
        year, month = self.start.year, self.start.month - months * n
        while month < 1:
            year, month = year - 1, month + 12
        return _make_period(year, month, self.frequency)


def _make_period(year: int, month: int, frequency: str) -> Period:
    if frequency == "monthly":
        start = date(year, month, 1)
        end = (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)
        return Period(f"{year:04d}-{month:02d}", frequency, start, end)
    quarter = (month - 1) // 3 + 1
    start = date(year, 3 * quarter - 2, 1)
    end_month = 3 * quarter
    end = date(year + (end_month == 12), end_month % 12 + 1, 1) - timedelta(days=1)
    return Period(f"{year:04d}-Q{quarter}", frequency, start, end)


def parse_period(text, frequency: str, *, now: datetime | None = None, not_before: date | None = None) -> Period:
    """``2026-05`` (monthly) or ``2026-Q2`` (quarterly); a period that does not exist is a ValidationError."""
    hint = PERIOD_HINT.get(frequency, "2026-05 hoặc 2026-Q2")
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(f"Thiếu kỳ báo cáo (period) — kỳ {hint}.")
    raw = text.strip().upper()[:20]
    match = PERIOD_RE.match(raw)
    if not match:
        raise ValidationError(f"Kỳ báo cáo \"{text.strip()[:20]}\" không hợp lệ — kỳ {hint}.")
    year = int(match[1])
    if not 2000 <= year <= 2100:
        raise ValidationError(f"Kỳ báo cáo \"{raw}\" không tồn tại (năm {year}).")
    if match[2] is not None:
        month = int(match[2])
        if not 1 <= month <= 12:
            raise ValidationError(f"Kỳ báo cáo \"{raw}\" không tồn tại: tháng phải từ 01 đến 12.")
        if frequency != "monthly":
            raise ValidationError(f"Chỉ tiêu này báo cáo theo quý; kỳ {hint}, không phải tháng \"{raw}\".")
        period = _make_period(year, month, "monthly")
    else:
        quarter = int(match[3])
        if not 1 <= quarter <= 4:
            raise ValidationError(f"Kỳ báo cáo \"{raw}\" không tồn tại: quý phải từ Q1 đến Q4.")
        if frequency != "quarterly":
            raise ValidationError(f"Chỉ tiêu này báo cáo theo tháng; kỳ {hint}, không phải quý \"{raw}\".")
        period = _make_period(year, 3 * quarter, "quarterly")
    if now is not None and period.start > to_local(now).date():
        raise ValidationError(f"Kỳ báo cáo {period.label} chưa bắt đầu.")
    if not_before is not None and period.end < not_before:
        raise ValidationError(f"Kỳ báo cáo {period.label} có trước khi văn bản yêu cầu báo cáo được ban hành.")
    return period


def current_period(frequency: str, now: datetime) -> Period:
    today = to_local(now).date()
    return _make_period(today.year, today.month, frequency if frequency in PERIOD_HINT else "monthly")


def catalogue_dispatch(catalogue: Catalogue) -> Dispatch:
    from workflow.services.dispatches import find_dispatch

    dispatch = find_dispatch(catalogue.dispatch) if catalogue.dispatch else None
    if dispatch is None:
        raise Conflict(f"Chưa có công văn {catalogue.dispatch} trong hệ thống để giao nhiệm vụ báo cáo.")
    return dispatch


def catalogue_period(catalogue: Catalogue, text, now: datetime | None) -> Period:
    if not catalogue.reportable:
        raise ValidationError(f"Danh mục {catalogue.code} không có báo cáo định kỳ.")
    dispatch = catalogue_dispatch(catalogue)
    return parse_period(text, catalogue.frequency, now=now, not_before=dispatch.issued_on)


def period_deadline(catalogue: Catalogue, period: Period) -> datetime:
    """The occurrence of the dispatch's recurring deadline that closes ``period``."""
    from workflow.deadlines import occurrences, period_for
    from workflow.services.tasks import resolve_deadline

    dispatch = catalogue_dispatch(catalogue)
    tz = local_tz()
    _, rrule, _ = resolve_deadline(catalogue.deadline_text, dispatch.issued_on,
                                   datetime.combine(dispatch.issued_on, time(0), tzinfo=tz))
    start = datetime.combine(period.start - timedelta(days=40), time(0), tzinfo=tz)
    until = datetime.combine(period.end + timedelta(days=130), time(0), tzinfo=tz)
    for due in occurrences(rrule, dtstart=start, until=until):
        if period_for(rrule, due) == period.code:
            return due
    raise Conflict(f"Không xác định được hạn báo cáo của kỳ {period.label}.")  # pragma: no cover


# --- who reports what ---------------------------------------------------------------


def reporting_units(catalogue: Catalogue, indicators: list[Indicator] | None = None) -> list[Unit]:
    """Lead agencies first (in catalogue order), then the communes by name."""
    from workflow.text import vi_sort_key

    if not catalogue.reportable:
        return []
    units: list[Unit] = []
    if catalogue.reporters == "leads_and_communes":
        for indicator in indicators if indicators is not None else catalogue_indicators(catalogue.code):
            if indicator.lead_unit is not None and indicator.lead_unit.active and indicator.lead_unit not in units:
                units.append(indicator.lead_unit)
    communes = db.session.scalars(select(Unit).where(Unit.kind == "commune", Unit.active.is_(True)))
    return units + sorted((u for u in communes if u not in units), key=lambda u: vi_sort_key(u.name))


def unit_indicators(unit: Unit, catalogue: Catalogue, indicators: list[Indicator] | None = None) -> list[Indicator]:
    """The indicators ``unit`` answers for in ``catalogue`` (communes: all; a lead agency: its own)."""
    if not catalogue.reportable or not unit.active:
        return []
    indicators = indicators if indicators is not None else catalogue_indicators(catalogue.code)
    if unit.kind == "commune":
        return list(indicators)
    if catalogue.reporters == "leads_and_communes":
        return [i for i in indicators if i.lead_unit_id == unit.id]
    return []


def _unit(code) -> Unit:
    if isinstance(code, Unit):
        return code
    if not isinstance(code, str) or not code.strip():
        raise ValidationError("Thiếu đơn vị báo cáo (unit: mã đơn vị, ví dụ xa-lac-duong).")
    unit = unit_by_code(code.strip()[:120])
    if unit is None:
        raise ValidationError(f"Không tìm thấy đơn vị có mã \"{code.strip()[:120]}\".")
    return unit


def can_report_for(user, unit: Unit) -> bool:
    return permissions.can_submit_indicator_report(user, unit)


def _require_report_for(user, unit: Unit) -> None:
    if not can_report_for(user, unit):
        raise Forbidden("Chỉ đơn vị chịu trách nhiệm báo cáo (hoặc Văn phòng) được nhập và gửi báo cáo chỉ tiêu "
                        f"của {unit.name}.")


# --- the task of a unit's report -----------------------------------------------------


def ensure_task(catalogue: Catalogue, unit: Unit, period: Period, *, now: datetime, actor=None) -> Task:
    """The unit's report task for the period, created (in the session) when missing."""
    from workflow.services.tasks import new_task

    link = db.session.scalar(select(IndicatorPeriodTask).where(
        IndicatorPeriodTask.catalogue == catalogue.code, IndicatorPeriodTask.unit_id == unit.id,
        IndicatorPeriodTask.period == period.code))
    if link is not None:
        return link.task
    dispatch = catalogue_dispatch(catalogue)
    if dispatch.status == "closed":
        fire(DISPATCH_MACHINE, dispatch, "reopen")
    count = len(unit_indicators(unit, catalogue))
    task = new_task(
        dispatch=dispatch, item=catalogue.item or "", lead_unit=unit, deadline=period_deadline(catalogue, period),
        title=f"Báo cáo kết quả thực hiện {count} chỉ tiêu theo {catalogue.code} — {period.label}",
        deadline_text=catalogue.deadline_text, period=period.code,
        product=f"Báo cáo chỉ tiêu {period.label} (Kết quả thực hiện, mô tả, khó khăn, đề xuất)",
        authority=dispatch.issuer.name, actor=actor, now=now,
        note=f"Kỳ báo cáo chỉ tiêu {period.label} theo {catalogue.code}.")
    db.session.add(IndicatorPeriodTask(catalogue=catalogue.code, unit=unit, period=period.code, task=task))
    db.session.flush()
    return task


def open_period(actor, *, catalogue: str, period: str, now: datetime) -> int:
    """The office opens a period: one report task per reporting unit (idempotent); returns how many were new."""
    permissions.require_office(actor)
    cat = get_catalogue(catalogue)
    per = catalogue_period(cat, period, now)
    with unit_of_work():
        have = set(db.session.scalars(select(IndicatorPeriodTask.unit_id).where(
            IndicatorPeriodTask.catalogue == cat.code, IndicatorPeriodTask.period == per.code)))
        created = 0
        indicators = catalogue_indicators(cat.code)
        for unit in reporting_units(cat, indicators):
            if unit.id not in have and unit_indicators(unit, cat, indicators):
                ensure_task(cat, unit, per, now=now, actor=actor)
                created += 1
    return created


def _sync_task(actor, catalogue: Catalogue, unit: Unit, period: Period, *, now: datetime) -> None:
    """Complete the unit's task when all its indicators are submitted; reopen it when one goes back."""
    from workflow.services.tasks import fire_event

    task = ensure_task(catalogue, unit, period, now=now, actor=actor)
    indicators = unit_indicators(unit, catalogue)
    statuses = dict(db.session.execute(select(IndicatorReport.indicator_id, IndicatorReport.status).where(
        IndicatorReport.unit_id == unit.id, IndicatorReport.period == period.code,
        IndicatorReport.indicator_id.in_([i.id for i in indicators]))).all())
    done = sum(1 for i in indicators if statuses.get(i.id) in ("submitted", "accepted"))
    complete = bool(indicators) and done == len(indicators)
    if complete and task.status != "completed":
        fire_event(actor, task.id, "complete", version=task.version, now=now,
                   evidence_note=f"{TASK_EVENT_NOTE} {period.label}: đã gửi đủ {done}/{len(indicators)} chỉ tiêu.")
    elif not complete and task.status == "completed" and actor.role == "office":
        fire_event(actor, task.id, "reopen", version=task.version, now=now,
                   note=f"{TASK_EVENT_NOTE} {period.label}: trả lại để sửa ({done}/{len(indicators)} chỉ tiêu "
                        "còn hiệu lực).")


# --- values ------------------------------------------------------------------------


def parse_value(indicator: Indicator, value) -> tuple[float | None, str | None]:
    """(number, text) of a result; a non-number for a numeric indicator is a ValidationError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if value_kind(indicator) == "text":
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ValidationError(f"Kết quả của {indicator.code} phải là chữ hoặc số.")
        text = nfc(str(value).strip())
        if len(text) > 120:
            raise ValidationError(f"Kết quả của {indicator.code} quá dài (tối đa 120 ký tự; mô tả ghi ở cột mô tả).")
        try:
            return parse_number(text), text
        except TargetParseError:
            return None, text
    try:
        number = parse_number(value)
    except TargetParseError as exc:
        raise ValidationError(f"Kết quả của {indicator.code} phải là một số: {exc}") from None
    unit = (indicator.measure_unit or "").strip()
    if unit == "%" and indicator.name.lower().startswith("tỷ lệ") and not 0 <= number <= 100:
        raise ValidationError(f"Kết quả của {indicator.code} là tỷ lệ phần trăm, phải từ 0 đến 100 "
                              f"(nhận được {number:g}).")
    if number < 0 and unit not in ("%",):
        raise ValidationError(f"Kết quả của {indicator.code} không được âm.")
    return number, format_value(number)


def format_value(number: float | None) -> str | None:
    from workflow.targets import format_number

    return None if number is None else format_number(number)


def judgement(report: IndicatorReport | None, indicator: Indicator | None = None) -> Judgement:
    if report is None or report.value is None:
        return Judgement(None, None)
    return judge(target_of(indicator or report.indicator), report.value)


def _clean_texts(fields: dict) -> dict:
    out = {}
    for name in REPORT_TEXT_FIELDS:
        value = fields.get(name)
        if value is None:
            out[name] = None
            continue
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ValidationError(f"Trường \"{name}\" phải là chuỗi ký tự.")
        text = nfc(str(value)).replace("\x00", "").strip()
        if len(text) > TEXT_LIMITS[name]:
            raise ValidationError(f"Trường \"{name}\" quá dài (tối đa {TEXT_LIMITS[name]} ký tự).")
        out[name] = text or None
    return out


# --- writing reports -----------------------------------------------------------------


@dataclass
class ReportInput:
    indicator: Indicator
    value: object = None
    description: str | None = None
    difficulties: str | None = None
    proposals: str | None = None
    notes: str | None = None


def _write_one(actor, unit: Unit, period: Period, row: ReportInput, *, submit: bool, now: datetime,
               via: str) -> IndicatorReport:
    """Validate and stage one report (no commit)."""
    number, text = parse_value(row.indicator, row.value)
    texts = _clean_texts({"description": row.description, "difficulties": row.difficulties,
                          "proposals": row.proposals, "notes": row.notes})
    if submit and number is None and text is None:
        raise ValidationError(f"Chưa nhập kết quả thực hiện của {row.indicator.code} nên chưa gửi được.")
    report = db.session.scalar(select(IndicatorReport).where(
        IndicatorReport.indicator_id == row.indicator.id, IndicatorReport.unit_id == unit.id,
        IndicatorReport.period == period.code))
    created = report is None
    if created:
        report = IndicatorReport(indicator=row.indicator, unit=unit, period=period.code, created_at=now)
        db.session.add(report)
    if report.status == "accepted":
        raise Conflict(f"Báo cáo {row.indicator.code} kỳ {period.label} của {unit.name} đã được tiếp nhận; "
                       "muốn sửa cần Văn phòng trả lại.")
    source, dest = fire(REPORT_MACHINE, report, "submit" if submit else "save")
    report.value, report.value_text = number, text
    for name, value in texts.items():
        setattr(report, name, value)
    if submit:
        report.submitted_at = now
    if not created:
        report.version += 1
    db.session.add(IndicatorReportEvent(report=report, actor=actor, event="submit" if submit else "save",
                                        from_status=None if created else source, to_status=dest, value=number,
                                        value_text=text, via=via, at=now))
    return report


def _link_task(catalogue: Catalogue, unit: Unit, period: Period, reports, *, now, actor) -> None:
    task = ensure_task(catalogue, unit, period, now=now, actor=actor)
    for report in reports:
        report.task_id = task.id


def save_report(actor, *, indicator_code: str, unit_code, period, value=None, submit: bool = True,
                now: datetime, via: str = "api", **texts) -> IndicatorReport:
    """One unit's result on one indicator (the API's POST); submitting may complete the unit's task."""
    indicator = get_indicator(indicator_code)
    catalogue = get_catalogue(indicator.catalogue)
    unit = _unit(unit_code)
    _require_report_for(actor, unit)
    per = catalogue_period(catalogue, period, now)
    if indicator not in unit_indicators(unit, catalogue):
        raise ValidationError(f"{unit.name} không phải đơn vị báo cáo chỉ tiêu {indicator.code}.")
    unknown = set(texts) - set(REPORT_TEXT_FIELDS)
    if unknown:
        raise ValidationError(f"Trường không hợp lệ: {', '.join(sorted(unknown))}.")
    with unit_of_work():
        try:
            report = _write_one(actor, unit, per, ReportInput(indicator, value, **texts), submit=submit, now=now,
                                via=via)
            _link_task(catalogue, unit, per, [report], now=now, actor=actor)
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            raise Conflict("Báo cáo vừa được người khác ghi cùng lúc; hãy thử lại.") from None
        _sync_task(actor, catalogue, unit, per, now=now)
    return report


def save_unit_reports(actor, *, unit_code, catalogue: str, period, rows: list[ReportInput], submit: bool,
                      now: datetime, via: str = "web") -> list[IndicatorReport]:
    """A unit's whole form (page or workbook): every row valid, or nothing saved.

    Rows with nothing in them are skipped when saving a draft; when submitting, every indicator the unit
    answers for needs a result.
    """
    cat = get_catalogue(catalogue)
    unit = _unit(unit_code)
    _require_report_for(actor, unit)
    per = catalogue_period(cat, period, now)
    mine = unit_indicators(unit, cat)
    if not mine:
        raise ValidationError(f"{unit.name} không phải đơn vị báo cáo của danh mục {cat.code}.")
    errors = []
    for row in rows:
        if row.indicator not in mine:
            errors.append(f"{unit.name} không phải đơn vị báo cáo chỉ tiêu {row.indicator.code}.")
    if errors:
        raise ValidationError(" ".join(errors))
    given = {row.indicator.id: row for row in rows}
    with unit_of_work():
        written = []
        problems = []
        for indicator in mine:
            row = given.get(indicator.id)
            empty = row is None or all(
                v is None or (isinstance(v, str) and not v.strip())
                for v in (row.value, row.description, row.difficulties, row.proposals, row.notes))
            existing = db.session.scalar(select(IndicatorReport).where(
                IndicatorReport.indicator_id == indicator.id, IndicatorReport.unit_id == unit.id,
                IndicatorReport.period == per.code))
            if existing is not None and existing.status == "accepted":
                continue  # locked: left as it is
            if existing is not None and existing.status == "submitted" and not submit:
                raise Conflict(f"Báo cáo {indicator.code} đã gửi; sửa rồi bấm \"Gửi báo cáo\" để gửi bản sửa.")
            if empty and not submit:
                continue
            try:
                written.append(_write_one(actor, unit, per, row or ReportInput(indicator), submit=submit, now=now,
                                          via=via))
            except ValidationError as exc:
                problems.append(exc.message)
        if problems:
            raise ValidationError(" ".join(problems), problems=problems)
        _link_task(cat, unit, per, written, now=now, actor=actor)
        db.session.flush()
        _sync_task(actor, cat, unit, per, now=now)
    return written


def _get_report(actor, report_id: int) -> IndicatorReport:
    report = db.session.get(IndicatorReport, report_id) if fits_id(report_id) else None
    if report is None or not permissions.can_view_indicator_report(actor, report.unit):
        raise NotFound("Không tìm thấy báo cáo chỉ tiêu.")
    return report


def review_report(actor, report_id: int, event: str, *, now: datetime, note: str | None = None,
                  version: int | None = None) -> IndicatorReport:
    """The office accepts a submitted report, or returns it (with a reason) to the unit as a draft."""
    if event not in ("accept", "return"):
        raise ValidationError("Thao tác phải là \"accept\" (tiếp nhận) hoặc \"return\" (trả lại).")
    permissions.require_office(actor)
    note = nfc((note or "").strip()) or None
    if event == "return" and not note:
        raise ValidationError("Cần ghi lý do trả lại báo cáo.")
    with unit_of_work():
        report = _get_report(actor, report_id)
        if version is not None and (isinstance(version, bool) or version != report.version):
            raise Conflict(f"Báo cáo đã được cập nhật (phiên bản {report.version}); hãy tải lại.")
        source, dest = fire(REPORT_MACHINE, report, event)
        report.version += 1
        db.session.add(IndicatorReportEvent(report=report, actor=actor, event=event, from_status=source,
                                            to_status=dest, value=report.value, value_text=report.value_text,
                                            note=note, via="review", at=now))
        cat = get_catalogue(report.indicator.catalogue)
        per = parse_period(report.period, cat.frequency)
        db.session.flush()
        _sync_task(actor, cat, report.unit, per, now=now)
    return report


def accept_unit_period(actor, *, unit_code, catalogue: str, period, now: datetime) -> int:
    """Accept every submitted report of a unit for a period (the matrix's button); returns how many."""
    permissions.require_office(actor)
    cat = get_catalogue(catalogue)
    unit = _unit(unit_code)
    per = catalogue_period(cat, period, now)
    with unit_of_work():
        reports = db.session.scalars(select(IndicatorReport).join(Indicator).where(
            Indicator.catalogue == cat.code, IndicatorReport.unit_id == unit.id,
            IndicatorReport.period == per.code, IndicatorReport.status == "submitted")).all()
        for report in reports:
            fire(REPORT_MACHINE, report, "accept")
            report.version += 1
            db.session.add(IndicatorReportEvent(report=report, actor=actor, event="accept", from_status="submitted",
                                                to_status="accepted", value=report.value,
                                                value_text=report.value_text, via="review", at=now))
    return len(reports)


# --- reading -------------------------------------------------------------------------


def indicator_json(indicator: Indicator) -> dict:
    target = target_of(indicator)
    figures = dict(indicator.figures or {})
    out = {
        "code": indicator.code, "catalogue": indicator.catalogue, "group": indicator.group,
        "position": indicator.position, "name": indicator.name, "sub_code": indicator.sub_code,
        "measure_unit": indicator.measure_unit, "target_text": indicator.target_text,
        "target": target.as_dict() if target is not None else None,
        "target_parse_error": indicator.target_text is not None and target is None,
        "lead_unit": ({"code": indicator.lead_unit.code, "name": indicator.lead_unit.name}
                      if indicator.lead_unit else None),
        "source_text": indicator.source_text, "frequency": indicator.frequency,
        "value_kind": value_kind(indicator), "figures": figures,
    }
    if figures.get("actual") and target is not None:
        out["computed_progress"] = progress(figures["actual"], target)
    return out


def report_json(report: IndicatorReport, *, with_history: bool = False) -> dict:
    verdict = judgement(report)
    task = db.session.get(Task, report.task_id) if report.task_id else None
    out = {
        "id": report.id, "indicator": report.indicator.code, "catalogue": report.indicator.catalogue,
        "unit": {"code": report.unit.code, "name": report.unit.name}, "period": report.period,
        "value": report.value, "value_text": report.value_text, "description": report.description,
        "difficulties": report.difficulties, "proposals": report.proposals, "notes": report.notes,
        "status": report.status, "status_label": REPORT_STATUS_LABELS.get(report.status, report.status),
        "met": verdict.met, "attainment": verdict.attainment,
        "target": report.indicator.target_text,
        "submitted_at": _iso(report.submitted_at), "version": report.version,
        "task": ({"id": task.id, "status": task.status, "deadline": _iso(task.deadline),
                  "on_time": task.on_time} if task else None),
    }
    if with_history:
        out["history"] = [{
            "event": e.event, "from_status": e.from_status, "to_status": e.to_status, "value": e.value,
            "value_text": e.value_text, "note": e.note, "via": e.via, "at": _iso(e.at),
            "actor": e.actor.username if e.actor else None} for e in report.events]
    return out


def _iso(value: datetime | None) -> str | None:
    return to_local(value).isoformat() if value is not None else None


@dataclass
class UnitRow:
    unit: Unit
    task: Task | None
    cells: dict = field(default_factory=dict)  # indicator id -> report, only for indicators it answers for
    expected: list = field(default_factory=list)  # indicator ids
    submitted: int = 0
    complete: bool = False
    on_time: bool | None = None
    met: int = 0
    not_met: int = 0


@dataclass
class Matrix:
    catalogue: Catalogue
    period: Period
    deadline: datetime
    indicators: list
    rows: list
    communes_total: int = 0
    communes_reported: int = 0
    communes_on_time: int = 0
    units_total: int = 0
    units_reported: int = 0
    units_on_time: int = 0
    cells_expected: int = 0
    cells_submitted: int = 0
    by_indicator: dict = field(default_factory=dict)  # id -> {"submitted", "met", "not_met", "expected"}

    @property
    def completeness(self) -> float:
        return round(100 * self.cells_submitted / self.cells_expected, 1) if self.cells_expected else 0.0

    @property
    def on_time_rate(self) -> float:
        return round(100 * self.units_on_time / self.units_total, 1) if self.units_total else 0.0

    @property
    def commune_rate(self) -> float:
        return round(100 * self.communes_reported / self.communes_total, 1) if self.communes_total else 0.0

    @property
    def commune_on_time_rate(self) -> float:
        return round(100 * self.communes_on_time / self.communes_total, 1) if self.communes_total else 0.0


def period_matrix(catalogue: str, period, *, now: datetime, unit_kind: str | None = None) -> Matrix:
    """Units × indicators for a period: who reported what, on time, met or not."""
    cat = get_catalogue(catalogue)
    per = catalogue_period(cat, period, None)
    deadline = period_deadline(cat, per)
    indicators = catalogue_indicators(cat.code)
    units = reporting_units(cat, indicators)
    reports: dict[int, dict[int, IndicatorReport]] = {}
    for report in db.session.scalars(select(IndicatorReport).join(Indicator).where(
            Indicator.catalogue == cat.code, IndicatorReport.period == per.code)):
        reports.setdefault(report.unit_id, {})[report.indicator_id] = report
    tasks = dict(db.session.execute(select(IndicatorPeriodTask.unit_id, Task).join(
        Task, Task.id == IndicatorPeriodTask.task_id).where(
        IndicatorPeriodTask.catalogue == cat.code, IndicatorPeriodTask.period == per.code)).all())
    matrix = Matrix(catalogue=cat, period=per, deadline=deadline, indicators=indicators, rows=[])
    for indicator in indicators:
        matrix.by_indicator[indicator.id] = {"expected": 0, "submitted": 0, "met": 0, "not_met": 0}
    for unit in units:
        if unit_kind and unit.kind != unit_kind:
            continue
        mine = unit_indicators(unit, cat, indicators)
        if not mine:
            continue
        row = UnitRow(unit=unit, task=tasks.get(unit.id), expected=[i.id for i in mine])
        last_submit = None
        for indicator in mine:
            stats = matrix.by_indicator[indicator.id]
            stats["expected"] += 1
            report = reports.get(unit.id, {}).get(indicator.id)
            if report is None:
                continue
            row.cells[indicator.id] = report
            if report.status in ("submitted", "accepted"):
                row.submitted += 1
                stats["submitted"] += 1
                if report.submitted_at and (last_submit is None or report.submitted_at > last_submit):
                    last_submit = report.submitted_at
                verdict = judgement(report, indicator)
                if verdict.met is True:
                    row.met += 1
                    stats["met"] += 1
                elif verdict.met is False:
                    row.not_met += 1
                    stats["not_met"] += 1
        row.complete = row.submitted == len(mine)
        if row.complete:
            if row.task is not None and row.task.on_time is not None:
                row.on_time = row.task.on_time
            else:
                row.on_time = last_submit is not None and last_submit <= deadline
        elif now > deadline:
            row.on_time = False
        matrix.rows.append(row)
        matrix.units_total += 1
        matrix.cells_expected += len(mine)
        matrix.cells_submitted += row.submitted
        matrix.units_reported += row.complete
        matrix.units_on_time += bool(row.complete and row.on_time)
        if unit.kind == "commune":
            matrix.communes_total += 1
            matrix.communes_reported += row.complete
            matrix.communes_on_time += bool(row.complete and row.on_time)
    return matrix


def unit_form(unit_code, catalogue: str, period, *, now: datetime | None):
    """(unit, catalogue, period, deadline, [(indicator, report or None, judgement)]) for a unit's form."""
    cat = get_catalogue(catalogue)
    unit = _unit(unit_code)
    per = catalogue_period(cat, period, now)
    mine = unit_indicators(unit, cat)
    reports = {r.indicator_id: r for r in db.session.scalars(select(IndicatorReport).where(
        IndicatorReport.unit_id == unit.id, IndicatorReport.period == per.code,
        IndicatorReport.indicator_id.in_([i.id for i in mine])))} if mine else {}
    rows = [(i, reports.get(i.id), judgement(reports.get(i.id), i)) for i in mine]
    return unit, cat, per, period_deadline(cat, per), rows


def indicator_history(indicator: Indicator, unit: Unit | None = None, *, limit: int = 24) -> list[dict]:
    """Per period (oldest first): the unit's value, or the average and count over every reporting unit."""
    query = select(IndicatorReport).where(IndicatorReport.indicator_id == indicator.id,
                                          IndicatorReport.status.in_(("submitted", "accepted")),
                                          IndicatorReport.value.is_not(None))
    if unit is not None:
        query = query.where(IndicatorReport.unit_id == unit.id)
    by_period: dict[str, list[float]] = {}
    for report in db.session.scalars(query):
        by_period.setdefault(report.period, []).append(report.value)
    target = target_of(indicator)
    out = []
    for code in sorted(by_period)[-limit:]:
        values = by_period[code]
        mean = sum(values) / len(values)
        verdict = judge(target, mean)
        out.append({"period": code, "value": round(mean, 4), "count": len(values), "min": min(values),
                    "max": max(values), "met": verdict.met, "attainment": verdict.attainment})
    return out


ATTAINMENTS = (EXCEEDED, MET, NOT_MET)


# --- Excel ---------------------------------------------------------------------------

ATTAINMENT_FILLS = {EXCEEDED: "C6EFCE", MET: "E2EFDA", NOT_MET: "FFC7CE"}


def appendix_title(cat: Catalogue) -> tuple[str, str]:
    dispatch = catalogue_dispatch(cat) if cat.reportable else None
    suffix = "_Tháng" if cat.frequency == "monthly" else "_Quý"
    title = f"Phụ lục: {cat.title}{suffix}"
    if dispatch is None or dispatch.issued_on is None:
        return title, f"(Ban hành kèm theo {cat.code})"
    day = dispatch.issued_on
    signer = "Ban Thường vụ Tỉnh ủy" if "BAN THƯỜNG VỤ" in (dispatch.signing_authority or "").upper() \
        else dispatch.issuer.name
    return title, (f"(Ban hành kèm theo Công văn số {cat.code}, ngày {day.day:02d} tháng {day.month} năm "
                   f"{day.year} của {signer})")


def _sheet_rows(indicators, reports: dict) -> list[dict]:
    rows = []
    for n, indicator in enumerate(indicators, start=1):
        report = reports.get(indicator.id)
        verdict = judgement(report, indicator)
        value = None
        if report is not None:
            value = report.value if report.value is not None and value_kind(indicator) == "number" \
                else report.value_text
        rows.append({
            "no": n, "name": indicator.name, "code": indicator.code, "sub_code": indicator.sub_code,
            "measure_unit": indicator.measure_unit, "target": indicator.target_text,
            "lead": indicator.lead_unit.name if indicator.lead_unit else None, "source": indicator.source_text,
            "value": value, "description": report.description if report else None,
            "difficulties": report.difficulties if report else None,
            "proposals": report.proposals if report else None, "notes": report.notes if report else None,
            "attainment": verdict.attainment,
        })
    return rows


def export_workbook(actor, *, catalogue: str = "1534-CV/TU", period, unit_code=None, now: datetime) -> tuple[bytes, str]:
    """(xlsx bytes, file name): one unit's form, or every reporting unit's rows for the period."""
    from workflow import indicator_workbook as wb

    cat = get_catalogue(catalogue)
    per = catalogue_period(cat, period, None)
    title, subtitle = appendix_title(cat)
    indicators = catalogue_indicators(cat.code)
    if unit_code:
        unit = _unit(unit_code)
        if not permissions.can_view_indicator_report(actor, unit):
            raise Forbidden("Chỉ xem được báo cáo chỉ tiêu của đơn vị mình.")
        mine = unit_indicators(unit, cat, indicators)
        if not mine:
            raise ValidationError(f"{unit.name} không phải đơn vị báo cáo của danh mục {cat.code}.")
        reports = {r.indicator_id: r for r in db.session.scalars(select(IndicatorReport).where(
            IndicatorReport.unit_id == unit.id, IndicatorReport.period == per.code))}
        sections = [wb.Section(wb.unit_line(unit.name, unit.code, per.label, per.code), _sheet_rows(mine, reports))]
        name = f"chi-tieu-{cat.code.split('-')[0]}-{unit.code}-{per.code}.xlsx"
        data = wb.build(title, subtitle, sections, attainment_fills=ATTAINMENT_FILLS)
        return data, name
    if not permissions.can_read_all(actor):
        raise Forbidden("Chỉ Văn phòng, lãnh đạo xem được báo cáo chỉ tiêu của mọi đơn vị; "
                        "đơn vị tải biểu của mình với tham số unit.")
    matrix = period_matrix(cat.code, per.code, now=now)
    sections = []
    for row in matrix.rows:
        mine = [i for i in indicators if i.id in row.expected]
        sections.append(wb.Section(wb.unit_line(row.unit.name, row.unit.code, per.label, per.code),
                                   _sheet_rows(mine, row.cells)))
    summary = [
        ["Kỳ báo cáo", f"{per.label} ({per.code})"],
        ["Hạn báo cáo", to_local(matrix.deadline).strftime("%d/%m/%Y %H:%M")],
        ["Đơn vị đã gửi đủ", f"{matrix.units_reported}/{matrix.units_total}"],
        ["Đơn vị gửi đúng hạn", f"{matrix.units_on_time}/{matrix.units_total}"],
        ["Xã, phường, đặc khu đã gửi đủ", f"{matrix.communes_reported}/{matrix.communes_total}"],
        ["Xã, phường, đặc khu gửi đúng hạn", f"{matrix.communes_on_time}/{matrix.communes_total}"],
        ["Tỷ lệ đầy đủ (ô đã gửi / ô phải gửi)", f"{matrix.completeness:g}%"],
        [],
        ["Mã số", "Tên chỉ tiêu", "Mục tiêu", "Đã gửi", "Phải gửi", "Đạt hoặc vượt", "Chưa đạt"],
    ]
    for indicator in indicators:
        stats = matrix.by_indicator[indicator.id]
        summary.append([indicator.code, indicator.name, indicator.target_text, stats["submitted"],
                        stats["expected"], stats["met"], stats["not_met"]])
    data = wb.build(title, subtitle, sections, summary=summary,
                    summary_title=f"Tổng hợp báo cáo chỉ tiêu {cat.code} — {per.label}",
                    attainment_fills=ATTAINMENT_FILLS)
    return data, f"chi-tieu-{cat.code.split('-')[0]}-{per.code}.xlsx"


def _cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() or None


def import_workbook(actor, data: bytes, *, catalogue: str = "1534-CV/TU", unit_code=None, period=None,
                    submit: bool = True, now: datetime) -> list[IndicatorReport]:
    """A unit's filled workbook: every bad cell reported (Vietnamese), nothing saved unless all is valid."""
    from workflow import indicator_workbook as wb

    cat = get_catalogue(catalogue)
    book = wb.read(data)
    problems = list(book.errors)
    if problems and not book.rows:
        raise ValidationError("Bảng tính không hợp lệ: " + " ".join(problems), problems=problems)
    codes = list(dict.fromkeys(book.unit_codes))
    if len(codes) > 1:
        problems.append(f"Bảng tính có báo cáo của {len(codes)} đơn vị ({', '.join(codes)}); mỗi lần chỉ nhập "
                        "biểu của một đơn vị.")
    code = (unit_code or "").strip() or (codes[0] if codes else None)
    if not code:
        raise ValidationError("Không xác định được đơn vị báo cáo: chọn đơn vị, hoặc dùng biểu tải từ hệ thống "
                              "(có dòng \"Đơn vị báo cáo: … (mã: …)\").", problems=problems)
    if unit_code and codes and codes[0] != unit_code.strip():
        problems.append(f"Biểu là của đơn vị mã \"{codes[0]}\", không phải \"{unit_code.strip()}\".")
    period_text = (period or "").strip() or book.period
    if not period_text:
        raise ValidationError("Không xác định được kỳ báo cáo: chọn kỳ, hoặc dùng biểu tải từ hệ thống.",
                              problems=problems)
    if period and book.period and book.period != period.strip().upper():
        problems.append(f"Biểu là của kỳ {book.period}, không phải kỳ {period.strip()}.")
    unit = _unit(code)
    _require_report_for(actor, unit)
    per = catalogue_period(cat, period_text, now)
    indicators = catalogue_indicators(cat.code)
    mine = {i.code: i for i in unit_indicators(unit, cat, indicators)}
    if not mine:
        raise ValidationError(f"{unit.name} không phải đơn vị báo cáo của danh mục {cat.code}.")
    every = {i.code: i for i in indicators}
    seen: dict[str, int] = {}
    inputs = []
    for row in book.rows:
        v = row.values
        ref = _cell_text(v.get("code"))
        where = wb.cell_ref("code", row.row)
        if ref is None:
            if any(_cell_text(v.get(k)) for k in wb.FILLED):
                problems.append(f"Ô {where}: thiếu mã số chỉ tiêu nên không biết kết quả ở dòng {row.row} là của "
                                "chỉ tiêu nào.")
            continue
        indicator = mine.get(ref)
        if indicator is None:
            if ref in every:
                problems.append(f"Ô {where}: {unit.name} không báo cáo chỉ tiêu {ref}.")
            else:
                problems.append(f"Ô {where}: mã chỉ tiêu \"{ref[:40]}\" không có trong danh mục {cat.code}.")
            continue
        if ref in seen:
            problems.append(f"Ô {where}: chỉ tiêu {ref} lặp lại (đã có ở dòng {seen[ref]}).")
            continue
        seen[ref] = row.row
        value = v.get("value")
        if isinstance(value, str):
            value = value.strip() or None
        value_ref = wb.cell_ref("value", row.row)
        if value is None:
            if submit:
                problems.append(f"Ô {value_ref}: chưa nhập kết quả thực hiện trong kỳ của chỉ tiêu {ref}.")
        else:
            try:
                parse_value(indicator, value)
            except ValidationError as exc:
                problems.append(f"Ô {value_ref}: \"{str(value)[:40]}\" — {exc.message}")
        texts = {}
        for key in REPORT_TEXT_FIELDS:
            text = _cell_text(v.get(key))
            if text is not None and len(text) > TEXT_LIMITS[key]:
                problems.append(f"Ô {wb.cell_ref(key, row.row)}: quá dài (tối đa {TEXT_LIMITS[key]} ký tự).")
                text = None
            texts[key] = text
        inputs.append(ReportInput(indicator, value, **texts))
    if submit:
        for ref, indicator in mine.items():
            if ref not in seen:
                problems.append(f"Thiếu dòng của chỉ tiêu {ref} ({indicator.name[:60]}…).")
    if not inputs and not problems:
        problems.append("Bảng tính không có dòng chỉ tiêu nào.")
    if problems:
        raise ValidationError(f"Bảng tính có {len(problems)} lỗi; chưa lưu gì: " + " ".join(problems),
                              problems=problems)
    return save_unit_reports(actor, unit_code=unit.code, catalogue=cat.code, period=per.code, rows=inputs,
                             submit=submit, now=now, via="excel")
