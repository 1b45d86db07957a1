"""JSON representations of the domain objects (DESIGN section 7)."""
from __future__ import annotations

from datetime import datetime

from flask import current_app

from models import Dispatch, Task, TaskEvent, Unit
from workflow.clock import local_tz, to_local
from workflow.deadlines import warning_level


def iso(value: datetime | None, tz=None) -> str | None:
    """ISO 8601 in local time with its offset (``2026-05-09T09:00:00+07:00``); ``tz``: the office's
    time zone when the caller already has it (``local_tz()``, read once per task, not per field)."""
    return to_local(value, tz).isoformat() if value is not None else None


def unit_ref(unit: Unit | None) -> dict | None:
    return None if unit is None else {"code": unit.code, "name": unit.name}


def task_warning(task: Task, now: datetime) -> str:
    return warning_level(task.deadline, now, completed=task.status == "completed",
                         overdue=task.status == "overdue",
                         yellow_days=current_app.config.get("WARNING_YELLOW_DAYS", 3))


def evidence_json(task: Task):
    if not (task.evidence_number or task.evidence_date or task.evidence_note):
        return None
    return {"number": task.evidence_number,
            "date": task.evidence_date.isoformat() if task.evidence_date else None,
            "note": task.evidence_note}


def task_json(task: Task, now: datetime, *, history: bool = False, tz=None) -> dict:
    """``tz``: the office's time zone when the caller has it (a list reads it once for its page)."""
    tz = tz or local_tz()
    data = {
        "id": task.id,
        "dispatch": task.dispatch.reference,
        "item": task.item,
        "title": task.title,
        "lead_unit": unit_ref(task.lead_unit),
        "coordinating_units": [unit_ref(u) for u in task.coordinating_units],
        "deadline": iso(task.deadline, tz),
        "deadline_text": task.deadline_text,
        "recurrence": task.recurrence,
        "period": task.period,
        "series": task.series_id,
        "product": task.product,
        "person_in_charge": task.person_in_charge,
        "authority": task.authority,
        "status": task.status,
        "late": task.is_late(now),
        "warning": task_warning(task, now),
        "version": task.version,
        "completed_at": iso(task.completed_at, tz),
        "on_time": task.on_time,
        "extended": task.extended,
        "evidence": evidence_json(task),
        "pending_extension": None if task.extension_deadline is None else {
            "deadline": iso(task.extension_deadline, tz), "reason": task.extension_reason,
            "requested_at": iso(task.extension_requested_at, tz)},
        "missing_six_clear": task.missing_six_clear(),
    }
    if history:
        data["history"] = [event_json(e, tz) for e in task.events]
    return data


def event_json(event: TaskEvent, tz=None) -> dict:
    return {
        "event": event.event,
        "from": event.from_status,
        "to": event.to_status,
        "actor": event.actor.username if event.actor is not None else None,
        "note": event.note,
        "deadline_before": iso(event.deadline_before, tz),
        "deadline_after": iso(event.deadline_after, tz),
        "data": event.data or {},
        "version": event.version,
        "at": iso(event.at, tz),
    }


def dispatch_json(dispatch: Dispatch, *, counts: dict | None = None) -> dict:
    return {
        "id": dispatch.id,
        "number": dispatch.full_number,
        "reference": dispatch.reference,
        "title": dispatch.title,
        "kind": dispatch.kind,
        "issuer": unit_ref(dispatch.issuer),
        "issued_on": dispatch.issued_on.isoformat() if dispatch.issued_on else None,
        "subject": dispatch.subject,
        "recipients": list(dispatch.recipients or []),
        "distribution": list(dispatch.distribution or []),
        "signing_authority": dispatch.signing_authority,
        "signer_title": dispatch.signer_title,
        "signer_name": dispatch.signer_name,
        "references": list(dispatch.references or []),
        "directives": list(dispatch.directives or []),
        "status": dispatch.status,
        "task_counts": counts if counts is not None else {},
    }
