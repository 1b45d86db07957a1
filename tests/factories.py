"""Builders for test data, made through the services like the office would."""
from __future__ import annotations

from sqlalchemy import select

from models import User
from tests.conftest import local
from workflow.extensions import db
from workflow.services.dispatches import create_dispatch, issue_dispatch
from workflow.services.tasks import create_task, fire_event, sweep

NOW = local(2026, 11, 22, 8, 0)
DEADLINE = local(2026, 12, 1, 17, 0)


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def issued_dispatch_with_task(*, lead="so-tai-chinh", coordinating=("so-xay-dung",), deadline=DEADLINE,
                              title="Xây dựng Đề án đô thị thông minh", now=NOW, tasks=1):
    office = user("office")
    dispatch = create_dispatch(office, issuer="tinh-uy", subject="V/v thử nghiệm giao nhiệm vụ", now=now)
    made = [create_task(office, dispatch_ref=str(dispatch.id), title=f"{title} {i + 1}" if tasks > 1 else title,
                        lead_unit=lead, coordinating=list(coordinating), deadline=deadline, now=now)
            for i in range(tasks)]
    issue_dispatch(office, str(dispatch.id), now=now)
    return (dispatch, made) if tasks > 1 else (dispatch, made[0])


def task_in_state(state: str, *, pending_extension: bool = False):
    """An issued task of so-tai-chinh in ``state``; returns (task, now to act at)."""
    _, task = issued_dispatch_with_task()
    lead, now = user("taichinh"), NOW
    if state in ("in_progress", "completed"):
        fire_event(lead, task.id, "start", version=task.version, now=now)
    if state == "overdue":
        now = local(2026, 12, 5, 8, 0)
        assert sweep(now) >= 1
        db.session.refresh(task)
    if pending_extension and state != "completed":
        fire_event(lead, task.id, "request_extension", version=task.version, now=now,
                   deadline=local(2027, 1, 15, 17, 0), note="Chờ ý kiến các sở")
    if state == "completed":
        fire_event(lead, task.id, "complete", version=task.version, now=now, evidence_number="12-BC/STC",
                   evidence_date=now.date())
    assert task.status == state
    return task, now
