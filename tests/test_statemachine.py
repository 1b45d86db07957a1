"""Every event × every role × every state: allowed ones change state and leave one history row;
refused ones raise a Vietnamese domain error and change nothing."""
from __future__ import annotations

import pytest

from models import TaskEvent
from tests.conftest import local
from tests.factories import NOW, task_in_state, user
from workflow import counts
from workflow.errors import Conflict, DomainError, Forbidden, NotFound, StaleVersion, TransitionNotAllowed, ValidationError
from workflow.services.tasks import fire_event
from workflow.statemachine import TASK_MACHINE, TASK_STATES

ROLES = {  # username → who they are for a task led by so-tai-chinh, coordinated by so-xay-dung
    "lead": "taichinh", "coordinating": "xaydung", "other_department": "danguy",
    "office": "office", "leader": "leader", "admin": "admin",
}
PERMITTED = {
    "start": {"lead"}, "report": {"lead"}, "complete": {"lead"}, "request_extension": {"lead"},
    "approve_extension": {"office"}, "reject_extension": {"office"}, "reopen": {"office"},
    "directive": {"leader"}, "mark_overdue": set(),
}
EXPECTED_DEST = {
    ("start", "assigned"): "in_progress",
    ("complete", "assigned"): "completed", ("complete", "in_progress"): "completed",
    ("complete", "overdue"): "completed",
    ("approve_extension", "overdue"): "in_progress",
    ("reopen", "completed"): "in_progress",
}


def payload(event: str, now) -> dict:
    return {
        "report": {"note": "Đã hoàn thành dự thảo lần 1"},
        "complete": {"evidence_number": "15-BC/STC", "evidence_date": now.date()},
        "request_extension": {"deadline": local(2027, 2, 1, 17, 0), "note": "Cần thêm ý kiến các sở"},
        "reject_extension": {"note": "Không đủ căn cứ"},
        "reopen": {"note": "Hồ sơ chưa đạt yêu cầu"},
        "directive": {"note": "Đề nghị khẩn trương hoàn thành"},
    }.get(event, {})


def state_allows(event: str, state: str) -> bool:
    return state in TASK_MACHINE.events[event].transitions


CASES = [(event, role, state) for event in PERMITTED for role in ROLES for state in TASK_STATES]


@pytest.mark.parametrize("event,role,state", CASES, ids=[f"{e}-{r}-{s}" for e, r, s in CASES])
def test_event_role_state_matrix(db, event, role, state):
    needs_pending = event in ("approve_extension", "reject_extension")
    task, now = task_in_state(state, pending_extension=needs_pending)
    actor = user(ROLES[role])
    version, history = task.version, len(task.events)
    kwargs = payload(event, now)
    if role == "other_department":  # cannot even see it: no object reachable by guessing an id
        with pytest.raises(NotFound):
            fire_event(actor, task.id, event, version=version, now=now, **kwargs)
    elif role not in PERMITTED[event]:
        with pytest.raises(Forbidden):
            fire_event(actor, task.id, event, version=version, now=now, **kwargs)
    elif not state_allows(event, state) or (needs_pending and state == "completed"):
        with pytest.raises(TransitionNotAllowed) as refused:
            fire_event(actor, task.id, event, version=version, now=now, **kwargs)
        assert "Không thể thực hiện" in refused.value.message
    else:
        fire_event(actor, task.id, event, version=version, now=now, **kwargs)
        db.session.refresh(task)
        assert task.status == EXPECTED_DEST.get((event, state), state)
        assert task.version == version + 1
        assert len(task.events) == history + 1
        last = task.events[-1]
        assert (last.event, last.from_status, last.to_status, last.version) == (event, state, task.status,
                                                                                task.version)
        assert last.actor_id == actor.id
        assert counts.discrepancies(db.session) == []  # the dashboards' counts moved with it
        return
    db.session.refresh(task)
    assert (task.status, task.version, len(task.events)) == (state, version, history)
    assert counts.discrepancies(db.session) == []


def test_mark_overdue_is_for_the_system_only(db):
    task, now = task_in_state("assigned")
    for username in ROLES.values():
        with pytest.raises((Forbidden, NotFound)):
            fire_event(user(username), task.id, "mark_overdue", version=task.version, now=local(2027, 1, 1))


def test_stale_version_is_refused_and_changes_nothing(db):
    task, now = task_in_state("assigned")
    lead = user("taichinh")
    fire_event(lead, task.id, "start", version=1, now=now)
    with pytest.raises(StaleVersion) as refused:
        fire_event(lead, task.id, "report", version=1, now=now, note="Tiến độ 50%")
    assert refused.value.status == 409 and "tải lại" in refused.value.message
    db.session.refresh(task)
    assert task.version == 2 and [e.event for e in task.events] == ["create", "start"]


def test_complete_needs_evidence(db):
    task, now = task_in_state("in_progress")
    with pytest.raises(ValidationError) as refused:
        fire_event(user("taichinh"), task.id, "complete", version=task.version, now=now)
    assert "minh chứng" in refused.value.message
    fire_event(user("taichinh"), task.id, "complete", version=task.version, now=now,
               evidence_note="Đã trình Ban Thường vụ tại Tờ trình 45-TTr/ĐU")
    assert task.status == "completed" and task.on_time is True and task.completed_at == now


def test_completing_after_the_deadline_is_recorded_as_late(db):
    task, now = task_in_state("overdue")
    fire_event(user("taichinh"), task.id, "complete", version=task.version, now=now,
               evidence_number="20-BC/STC", evidence_date=now.date())
    assert task.on_time is False
    assert task.events[-1].data["on_time"] is False


def test_one_pending_extension_at_a_time_and_the_history_keeps_every_deadline(db):
    task, now = task_in_state("overdue")
    lead, office = user("taichinh"), user("office")
    old = task.deadline
    fire_event(lead, task.id, "request_extension", version=task.version, now=now,
               deadline=local(2027, 1, 31, 17, 0), note="Chờ số liệu quý IV")
    with pytest.raises(Conflict):
        fire_event(lead, task.id, "request_extension", version=task.version, now=now,
                   deadline=local(2027, 2, 28, 17, 0), note="Thêm lần nữa")
    fire_event(office, task.id, "approve_extension", version=task.version, now=now)
    assert task.status == "in_progress" and task.deadline == local(2027, 1, 31, 17, 0) and task.extended
    approve = task.events[-1]
    assert approve.deadline_before == old and approve.deadline_after == task.deadline
    with pytest.raises(Conflict):
        fire_event(office, task.id, "reject_extension", version=task.version, now=now, note="Không còn đề nghị")


def test_extension_must_be_later_than_now_and_have_a_reason(db):
    task, now = task_in_state("in_progress")
    lead = user("taichinh")
    with pytest.raises(ValidationError):
        fire_event(lead, task.id, "request_extension", version=task.version, now=now,
                   deadline=local(2027, 1, 31), note="")
    with pytest.raises(ValidationError):
        fire_event(lead, task.id, "request_extension", version=task.version, now=now,
                   deadline=local(2026, 11, 1), note="Lùi hạn")
    assert task.extension_deadline is None and len(task.events) == 2  # create, start


def test_reopen_brings_back_an_open_task_and_reopens_the_dispatch(db):
    task, now = task_in_state("completed")
    assert task.dispatch.status == "closed"  # its only task is completed
    fire_event(user("office"), task.id, "reopen", version=task.version, now=now, note="Thiếu phụ lục")
    assert task.status == "in_progress" and task.completed_at is None and task.evidence_number is None
    assert task.dispatch.status == "issued"


def test_every_domain_error_message_is_vietnamese(db):
    task, now = task_in_state("assigned")
    with pytest.raises(DomainError) as refused:
        fire_event(user("taichinh"), task.id, "complete", version=task.version, now=now)
    assert any(ch in refused.value.message for ch in "ăâđêôơư")


def test_history_rows_cannot_be_changed(db):
    from models import AppendOnlyError

    task, _ = task_in_state("assigned")
    row = db.session.get(TaskEvent, task.events[0].id)
    row.note = "sửa lịch sử"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AppendOnlyError):
        db.session.delete(db.session.get(TaskEvent, task.events[0].id))
        db.session.flush()


def test_the_register_skips_a_number_a_draft_already_carries(db):
    from workflow.services.dispatches import create_dispatch, issue_dispatch
    from workflow.services.tasks import create_task

    office = user("office")

    def issue_new(subject):
        d = create_dispatch(office, issuer="tinh-uy", subject=subject, now=NOW)
        create_task(office, dispatch_ref=str(d.id), title="Việc", lead_unit="so-y-te", deadline=local(2026, 12, 31),
                    now=NOW)
        issue_dispatch(office, str(d.id), now=NOW)
        return d

    assert issue_new("V/v công văn thứ nhất").full_number == "1776-CV/TU"  # after the seeded 1775
    imported = create_dispatch(office, issuer="tinh-uy", subject="V/v công văn nhập từ văn bản", now=NOW)
    imported.number, imported.year = 1777, 2026  # as an import keeps the number read from its text
    db.session.commit()
    assert issue_new("V/v công văn thứ hai").full_number == "1778-CV/TU"  # 1777 belongs to the import
