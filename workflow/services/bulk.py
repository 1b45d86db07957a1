"""Bulk actions of the office on selected tasks (issue 15): decide many extension requests at once.

Each task is one change of state through ``tasks.fire_event`` (its permission, guards, one history
row and one commit each), so a refusal on one task (no pending request, a date already past) leaves
the others done and is reported with its reason."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from workflow import permissions
from workflow.errors import DomainError, ValidationError
from workflow.services import tasks as task_service

MAX_SELECTED = 500
EXTENSION_EVENTS = ("approve_extension", "reject_extension")


@dataclass
class BulkResult:
    done: list = field(default_factory=list)          # the tasks changed
    refused: list = field(default_factory=list)       # (task id, item or title, Vietnamese reason)


def chosen_ids(values) -> list[int]:
    """The selected task ids from a form: whole numbers, at most MAX_SELECTED, without repeats."""
    ids = []
    for value in values:
        text = str(value).strip()
        if not text.isdecimal() or len(text) > 18:
            raise ValidationError("Danh sách nhiệm vụ đã chọn không hợp lệ; hãy tải lại trang.")
        ids.append(int(text))
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise ValidationError("Hãy chọn ít nhất một nhiệm vụ.")
    if len(ids) > MAX_SELECTED:
        raise ValidationError(f"Mỗi lần chỉ xử lý tối đa {MAX_SELECTED} nhiệm vụ.")
    return ids


def decide_extensions(actor, task_ids: list[int], event: str, *, now: datetime, note: str | None = None) -> BulkResult:
    """Approve or reject the pending extension requests of the selected tasks."""
    if event not in EXTENSION_EVENTS:
        raise ValidationError("Thao tác hàng loạt không hợp lệ.")
    permissions.require_office(actor)
    result = BulkResult()
    for task_id in task_ids:
        try:
            task = task_service.get_task(actor, task_id)
        except DomainError as exc:
            result.refused.append((task_id, f"#{task_id}", exc.message))
            continue
        name = task.item or f"#{task.id}"
        if not task.has_pending_extension:
            result.refused.append((task.id, name, "không có đề nghị gia hạn đang chờ"))
            continue
        try:
            done = task_service.fire_event(actor, task.id, event, version=task.version, now=now, note=note)
        except DomainError as exc:
            result.refused.append((task.id, name, exc.message))
            continue
        result.done.append(done)
    return result
