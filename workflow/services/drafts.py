"""Editing before issue (issue 15): a draft dispatch's header and tasks are edited or deleted by the
office; at issue, deadlines worded from the issue date are counted from it.

A task of a draft is not live (no unit sees it, it is not counted). An edit that changes it is one
``revise`` event of the task state machine (``workflow.statemachine``: allowed only for a draft, from
``assigned`` to itself) with the deadline before and after, so the history still explains the task
(``verify-audit``). Deleting a draft's task removes it with its creation row: it never existed for
anyone but the office. Nothing of an issued dispatch is edited or deleted here.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, select

from models import Dispatch, Task, TaskEvent
from models.task import task_coordinating_units
from workflow import permissions
from workflow.clock import local_tz
from workflow.errors import Conflict, NotFound, ValidationError
from workflow.extensions import db
from workflow.services import unit_of_work
from workflow.statemachine import TASK_MACHINE, fire
from workflow.text import nfc, search_index


def _draft(actor, dispatch_id: int) -> Dispatch:
    from workflow.services.dispatches import get_dispatch

    permissions.require_office(actor)
    dispatch = get_dispatch(actor, str(dispatch_id))
    if dispatch.status != "draft":
        raise Conflict("Công văn đã ban hành: không sửa hoặc xóa được nữa.")
    return dispatch


def _draft_task(actor, dispatch: Dispatch, task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None or task.dispatch_id != dispatch.id:
        raise NotFound("Không tìm thấy nhiệm vụ trong dự thảo.")
    return task


def is_provisional(task: Task, holidays=None) -> bool:
    """A draft task's deadline computed from wording counted from the issue date ("trong 10 ngày làm
    việc", a recurring rule): provisional until the dispatch is issued. A date typed by the office
    beside the same wording is not."""
    dispatch = task.dispatch
    if dispatch is None or dispatch.status != "draft":
        return False
    return _counted_from_draft_date(task, dispatch.issued_on, holidays)


def _counted_from_draft_date(task: Task, draft_date: date | None, holidays=None) -> bool:
    """The task's deadline is its wording counted from the draft's date (or the day it was typed)."""
    from workflow.deadlines import DeadlineParseError, counts_from_issue_date, parse_deadline
    from workflow.services.tasks import holiday_dates

    if task.deadline is None or not counts_from_issue_date(task.deadline_text):
        return False
    base = draft_date or task.created_at.astimezone(local_tz()).date()
    try:
        derived = parse_deadline(task.deadline_text, issued_on=base, tz=local_tz(),
                                 holidays=holiday_dates() if holidays is None else holidays)
    except DeadlineParseError:
        return False
    return derived.deadline == task.deadline


def _revise(task: Task, actor, *, now: datetime, note: str, deadline_before) -> None:
    """The ``revise`` event of a draft task: one history row, the version bumped."""
    source, dest = fire(TASK_MACHINE, task, "revise", draft=True)
    task.updated_at = now
    task.version += 1
    db.session.add(TaskEvent(task_id=task.id, actor_id=actor.id if actor is not None else None, event="revise",
                             from_status=source, to_status=dest, note=note, deadline_before=deadline_before,
                             deadline_after=task.deadline, data={}, version=task.version, at=now))


def recount_deadlines_at_issue(dispatch: Dispatch, actor, *, draft_date: date | None, now: datetime) -> list[Task]:
    """At issue: every provisional deadline counted from the real issue date (``dispatch.issued_on``,
    already set). Called inside the issue's transaction. Returns the tasks changed."""
    from workflow.deadlines import DeadlineParseError, parse_deadline
    from workflow.services.tasks import holiday_dates

    holidays = holiday_dates()
    changed = []
    for task in dispatch.tasks:
        if not _counted_from_draft_date(task, draft_date, holidays):
            continue
        try:
            parsed = parse_deadline(task.deadline_text, issued_on=dispatch.issued_on, tz=local_tz(),
                                    holidays=holidays)
        except DeadlineParseError:
            continue
        if parsed.deadline == task.deadline:
            continue
        before = task.deadline
        task.deadline, task.recurrence, task.period = parsed.deadline, parsed.rrule, parsed.period
        _revise(task, actor, now=now, deadline_before=before,
                note=f"Thời hạn tính lại từ ngày ban hành {dispatch.issued_on.strftime('%d/%m/%Y')}.")
        changed.append(task)
    return changed


def update_header(actor, dispatch_id: int, *, issuer: str, subject: str, symbol: str, recipients=(),
                  distribution=(), references=(), signing_authority: str = "", signer_title: str = "",
                  signer_name: str = "", now: datetime) -> Dispatch:
    """The office corrects a draft's header."""
    from workflow.services.dispatches import checked_header, refresh_search_text

    with unit_of_work():
        dispatch = _draft(actor, dispatch_id)
        issuer_unit, subject, symbol = checked_header(issuer, subject, symbol)
        dispatch.issuer, dispatch.subject, dispatch.symbol = issuer_unit, subject, symbol
        dispatch.recipients = [nfc(r) for r in recipients if nfc(r)]
        dispatch.distribution = [nfc(r) for r in distribution if nfc(r)]
        dispatch.references = [nfc(r) for r in references if nfc(r)]
        dispatch.signing_authority = nfc(signing_authority) or ""
        dispatch.signer_title = nfc(signer_title) or ""
        dispatch.signer_name = nfc(signer_name) or ""
        refresh_search_text(dispatch)
    return dispatch


def delete_draft(actor, dispatch_id: int) -> str:
    """The office throws a draft away with its tasks. Returns its subject (for the message)."""
    with unit_of_work():
        dispatch = _draft(actor, dispatch_id)
        subject = dispatch.subject or dispatch.title or ""
        task_ids = list(db.session.scalars(select(Task.id).where(Task.dispatch_id == dispatch.id)))
        _delete_tasks(task_ids)
        db.session.delete(dispatch)
    return subject


def _delete_tasks(task_ids: list[int]) -> None:
    if not task_ids:
        return
    # Core statements: the rows of tasks that never went live (the ORM guard of the history refuses
    # deleting history rows of live tasks).
    db.session.execute(delete(TaskEvent).where(TaskEvent.task_id.in_(task_ids)))
    db.session.execute(delete(task_coordinating_units).where(task_coordinating_units.c.task_id.in_(task_ids)))
    db.session.execute(delete(Task).where(Task.id.in_(task_ids)).execution_options(synchronize_session=False))
    db.session.expire_all()


def update_task(actor, dispatch_id: int, task_id: int, *, title: str, lead_unit: str, now: datetime,
                coordinating=(), deadline: datetime | None = None, deadline_text: str | None = None,
                item: str = "", product: str | None = None, person_in_charge: str | None = None,
                authority: str | None = None) -> Task:
    """The office corrects a task of a draft; one ``revise`` row in its history."""
    from workflow.services.tasks import _unit, resolve_deadline

    with unit_of_work():
        dispatch = _draft(actor, dispatch_id)
        task = _draft_task(actor, dispatch, task_id)
        title = nfc(title)
        if not title:
            raise ValidationError("Cần nhập nội dung nhiệm vụ.")
        deadline_text = (nfc(deadline_text) or "").strip() or None
        if deadline is None and not deadline_text:
            raise ValidationError("Cần nhập thời hạn hoặc lời văn thời hạn.")
        if deadline is not None and deadline.tzinfo is None:
            raise ValidationError("Thời hạn phải có múi giờ.")
        recurrence = period = None
        if deadline is None:
            deadline, recurrence, period = resolve_deadline(deadline_text, dispatch.issued_on, now)
        lead = _unit(lead_unit)
        coordinating_units = [u for u in dict.fromkeys(_unit(c) for c in coordinating) if u.id != lead.id]
        before = task.deadline
        task.title, task.title_folded = title, search_index(title)
        task.item = nfc(item) or ""
        task.lead_unit = lead
        task.coordinating_units = coordinating_units
        task.deadline, task.deadline_text, task.recurrence, task.period = deadline, deadline_text, recurrence, period
        task.product, task.person_in_charge, task.authority = nfc(product), nfc(person_in_charge), nfc(authority)
        _revise(task, actor, now=now, deadline_before=before, note="Văn phòng sửa nhiệm vụ trong dự thảo.")
    return task


def delete_task(actor, dispatch_id: int, task_id: int) -> str:
    """The office removes a task from a draft. Returns its title (for the message)."""
    with unit_of_work():
        dispatch = _draft(actor, dispatch_id)
        task = _draft_task(actor, dispatch, task_id)
        title = task.title
        _delete_tasks([task.id])
    return title
