"""The state machines of tasks and dispatches (library: transitions).

One shared ``Machine(model=None, ...)`` per model class, bound to the
``status`` column; events are fired with ``fire(machine, obj, event, **kw)``.
Guards raise a ``DomainError`` with the Vietnamese reason, before the state
changes; an event not allowed from the current state raises
``TransitionNotAllowed``. Side effects on other fields belong to the service
layer (``workflow.services``), which also writes the history and commits.
"""
from __future__ import annotations

from datetime import datetime

from transitions import Machine, MachineError

from workflow.errors import Conflict, TransitionNotAllowed, ValidationError

# --- Tasks ------------------------------------------------------------------

TASK_STATES = ["assigned", "in_progress", "overdue", "completed"]
OPEN = ["assigned", "in_progress", "overdue"]

EVENT_LABELS = {
    "create": "Giao nhiệm vụ",
    "start": "Bắt đầu thực hiện",
    "report": "Báo cáo tiến độ",
    "complete": "Hoàn thành",
    "mark_overdue": "Chuyển quá hạn",
    "request_extension": "Xin gia hạn",
    "approve_extension": "Đồng ý gia hạn",
    "reject_extension": "Không đồng ý gia hạn",
    "reopen": "Mở lại",
    "directive": "Ý kiến chỉ đạo",
    "revise": "Sửa trước khi ban hành",
}


def _kw(event_data) -> dict:
    return event_data.kwargs


def guard_has_evidence(event_data) -> bool:
    """complete: needs a document number and date, or a note."""
    kw = _kw(event_data)
    number, day, note = kw.get("evidence_number"), kw.get("evidence_date"), kw.get("evidence_note")
    if (number and day) or (note and note.strip()):
        return True
    raise ValidationError(
        "Cần có minh chứng hoàn thành: số và ngày văn bản, hoặc ghi chú kết quả."
    )


def guard_past_deadline(event_data) -> bool:
    """mark_overdue: only when the deadline has passed."""
    task, now = event_data.model, _kw(event_data).get("now")
    if task.deadline is not None and now is not None and task.deadline < now:
        return True
    raise Conflict("Nhiệm vụ chưa quá hạn nên không thể chuyển sang quá hạn.")


def guard_no_pending_extension(event_data) -> bool:
    """request_extension: one pending request at a time, with a future date and a reason."""
    task, kw = event_data.model, _kw(event_data)
    if task.extension_deadline is not None:
        raise Conflict("Nhiệm vụ đang có một đề nghị gia hạn chờ xem xét.")
    proposed: datetime | None = kw.get("deadline")
    if proposed is None:
        raise ValidationError("Cần nêu thời hạn mới đề nghị gia hạn.")
    if not (kw.get("note") or "").strip():
        raise ValidationError("Cần nêu lý do xin gia hạn.")
    if task.deadline is not None and proposed <= task.deadline:
        raise ValidationError("Thời hạn đề nghị phải sau thời hạn hiện tại.")
    now = kw.get("now")
    if now is not None and proposed <= now:
        raise ValidationError("Thời hạn đề nghị phải ở tương lai.")
    return True


def guard_extension_approvable(event_data) -> bool:
    """approve_extension: a pending request (or a date given by the office) later than now."""
    task, kw = event_data.model, _kw(event_data)
    new_deadline = kw.get("deadline") or task.extension_deadline
    if task.extension_deadline is None and kw.get("deadline") is None:
        raise Conflict("Nhiệm vụ không có đề nghị gia hạn nào chờ xem xét.")
    now = kw.get("now")
    if now is not None and new_deadline <= now:
        raise ValidationError("Thời hạn mới phải sau thời điểm hiện tại.")
    return True


def guard_extension_pending(event_data) -> bool:
    task, kw = event_data.model, _kw(event_data)
    if task.extension_deadline is None:
        raise Conflict("Nhiệm vụ không có đề nghị gia hạn nào chờ xem xét.")
    if not (kw.get("note") or "").strip():
        raise ValidationError("Cần nêu lý do không đồng ý gia hạn.")
    return True


def guard_has_reason(event_data) -> bool:
    if (_kw(event_data).get("note") or "").strip():
        return True
    raise ValidationError("Cần nêu lý do.")


def guard_has_note(event_data) -> bool:
    if (_kw(event_data).get("note") or "").strip():
        return True
    raise ValidationError("Cần nhập nội dung.")


def guard_draft_revision(event_data) -> bool:
    """revise: only a task of a dispatch not yet issued (the service says so with draft=True)."""
    if _kw(event_data).get("draft") is True:
        return True
    raise Conflict("Chỉ sửa được nhiệm vụ của công văn chưa ban hành.")


TASK_TRANSITIONS = [
    {"trigger": "start", "source": "assigned", "dest": "in_progress"},
    {"trigger": "report", "source": OPEN, "dest": "=", "conditions": guard_has_note},
    {"trigger": "complete", "source": OPEN, "dest": "completed", "conditions": guard_has_evidence},
    {"trigger": "mark_overdue", "source": ["assigned", "in_progress"], "dest": "overdue",
     "conditions": guard_past_deadline},
    {"trigger": "request_extension", "source": OPEN, "dest": "=",
     "conditions": guard_no_pending_extension},
    {"trigger": "approve_extension", "source": "overdue", "dest": "in_progress",
     "conditions": guard_extension_approvable},
    {"trigger": "approve_extension", "source": ["assigned", "in_progress"], "dest": "=",
     "conditions": guard_extension_approvable},
    {"trigger": "reject_extension", "source": OPEN, "dest": "=", "conditions": guard_extension_pending},
    {"trigger": "reopen", "source": "completed", "dest": "in_progress", "conditions": guard_has_reason},
    {"trigger": "directive", "source": TASK_STATES, "dest": "=", "conditions": guard_has_note},
    # The office edits a task of a draft dispatch, or the issue recomputes its deadline from the
    # issue date (workflow.services.drafts); never through fire_event (nobody holds the permission).
    {"trigger": "revise", "source": "assigned", "dest": "=", "conditions": guard_draft_revision},
]

TASK_EVENTS = [t for t in dict.fromkeys(t["trigger"] for t in TASK_TRANSITIONS)]

TASK_MACHINE = Machine(
    model=None,
    states=TASK_STATES,
    transitions=TASK_TRANSITIONS,
    initial=None,
    model_attribute="status",
    auto_transitions=False,
    send_event=True,
)

# --- Dispatches ---------------------------------------------------------------

DISPATCH_STATES = ["draft", "issued", "closed"]


def guard_all_tasks_completed(event_data) -> bool:
    dispatch = event_data.model
    if dispatch.tasks and all(t.status == "completed" for t in dispatch.tasks):
        return True
    raise Conflict("Chỉ kết thúc công văn khi mọi nhiệm vụ đã hoàn thành.")


def guard_has_tasks(event_data) -> bool:
    if event_data.model.tasks:
        return True
    raise ValidationError("Công văn chưa có nhiệm vụ nào để ban hành.")


DISPATCH_TRANSITIONS = [
    {"trigger": "issue", "source": "draft", "dest": "issued", "conditions": guard_has_tasks},
    {"trigger": "close", "source": "issued", "dest": "closed", "conditions": guard_all_tasks_completed},
    {"trigger": "reopen", "source": "closed", "dest": "issued"},
]

DISPATCH_MACHINE = Machine(
    model=None,
    states=DISPATCH_STATES,
    transitions=DISPATCH_TRANSITIONS,
    initial=None,
    model_attribute="status",
    auto_transitions=False,
    send_event=True,
)

STATE_LABELS = {
    "assigned": "Đã giao", "in_progress": "Đang thực hiện", "overdue": "Quá hạn",
    "completed": "Đã hoàn thành", "draft": "Dự thảo", "issued": "Đã ban hành", "closed": "Đã kết thúc",
}


def allowed_events(machine: Machine, state: str) -> list[str]:
    """Events that may fire from ``state`` (guards not evaluated)."""
    return [name for name, ev in machine.events.items() if state in ev.transitions]


def fire(machine: Machine, obj, event: str, **kwargs) -> tuple[str, str]:
    """Fire ``event`` on ``obj``; return (from_state, to_state).

    Raises ``TransitionNotAllowed`` when the event does not exist or is not
    allowed from the current state, and lets guard errors propagate. A guard
    returning False (rather than raising) is also a refusal.
    """
    source = getattr(obj, "status")
    ev = machine.events.get(event)
    label = EVENT_LABELS.get(event, event)
    if ev is None:
        raise TransitionNotAllowed(f"Thao tác không hợp lệ: \"{event}\".")
    try:
        ok = ev.trigger(obj, **kwargs)
    except MachineError:
        raise TransitionNotAllowed(
            f"Không thể thực hiện \"{label}\" khi đang ở trạng thái "
            f"\"{STATE_LABELS.get(source, source)}\"."
        ) from None
    if not ok:
        raise TransitionNotAllowed(f"Không thể thực hiện \"{label}\" lúc này.")
    return source, getattr(obj, "status")


def graph_mermaid() -> str:
    """The task machine as a Mermaid state diagram (for the README)."""
    lines = ["stateDiagram-v2", "    [*] --> assigned: create"]
    for t in TASK_TRANSITIONS:
        sources = t["source"] if isinstance(t["source"], list) else [t["source"]]
        for s in sources:
            dest = s if t["dest"] == "=" else t["dest"]
            lines.append(f"    {s} --> {dest}: {t['trigger']}")
    return "\n".join(lines)


# --- Outgoing documents (issue 13) -------------------------------------------------------------
# draft → submitted (trình ký, to a named signer) → returned (back to the office, with comments)
# or signed (PAdES signature of the signer) → issued (văn thư: number, date, the organisation's
# signature) → delivered (the recipients' inboxes). A returned document can be submitted again.
# Guards check what the event needs; the service (workflow/services/outgoing.py) does the rest.

DOCUMENT_STATES = ["draft", "submitted", "returned", "signed", "issued", "delivered"]


def guard_has_signer(event_data) -> bool:
    if _kw(event_data).get("signer") is not None:
        return True
    raise ValidationError("Cần chọn người ký (lãnh đạo có chức vụ đúng với khối chữ ký).")


def guard_has_comments(event_data) -> bool:
    if (_kw(event_data).get("note") or "").strip():
        return True
    raise ValidationError("Cần ghi ý kiến khi trả lại văn bản.")


def guard_has_signed_file(event_data) -> bool:
    if _kw(event_data).get("signed_pdf"):
        return True
    raise ValidationError("Chưa có tệp đã ký.")


def guard_has_number(event_data) -> bool:
    if _kw(event_data).get("number"):
        return True
    raise ValidationError("Chưa có số văn bản.")


DOCUMENT_TRANSITIONS = [
    {"trigger": "submit", "source": ["draft", "returned"], "dest": "submitted", "conditions": guard_has_signer},
    {"trigger": "return", "source": "submitted", "dest": "returned", "conditions": guard_has_comments},
    {"trigger": "sign", "source": "submitted", "dest": "signed", "conditions": guard_has_signed_file},
    {"trigger": "issue", "source": "signed", "dest": "issued", "conditions": guard_has_number},
    {"trigger": "deliver", "source": "issued", "dest": "delivered"},
]
DOCUMENT_EVENTS = [t["trigger"] for t in DOCUMENT_TRANSITIONS]

DOCUMENT_MACHINE = Machine(
    model=None,
    states=DOCUMENT_STATES,
    transitions=DOCUMENT_TRANSITIONS,
    initial=None,
    model_attribute="status",
    auto_transitions=False,
    send_event=True,
)

EVENT_LABELS.update({
    "submit": "Trình ký", "return": "Trả lại", "sign": "Ký số", "issue": "Phát hành", "deliver": "Gửi văn bản",
})
STATE_LABELS.update({
    "submitted": "Chờ ký", "returned": "Trả lại", "signed": "Đã ký", "delivered": "Đã gửi",
})
