"""Replay of the task history: the audit that proves the history explains the data (and that
the dashboards' task counts agree with the tasks)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Task
from workflow import counts
from workflow.extensions import db
from workflow.statemachine import TASK_MACHINE


def replay(task: Task) -> list[str]:
    """Differences between the task and what its history says it should be."""
    problems: list[str] = []
    status, deadline, version = None, None, 0
    for index, event in enumerate(task.events):
        where = f"nhiệm vụ {task.id}, sự kiện {index + 1} ({event.event})"
        if index == 0:
            if event.event != "create" or event.from_status is not None:
                problems.append(f"{where}: lịch sử không bắt đầu bằng sự kiện giao nhiệm vụ")
            deadline = event.deadline_after
        else:
            if event.from_status != status:
                problems.append(f"{where}: trạng thái trước {event.from_status} khác {status}")
            transitions = TASK_MACHINE.events.get(event.event)
            allowed = transitions.transitions.get(event.from_status) if transitions else None
            if not allowed:
                problems.append(f"{where}: chuyển trạng thái không hợp lệ từ {event.from_status}")
            elif not any((t.dest or event.from_status) == event.to_status for t in allowed):
                problems.append(f"{where}: đích {event.to_status} không hợp lệ")
            if event.deadline_before != deadline:
                problems.append(f"{where}: thời hạn trước không khớp")
            deadline = event.deadline_after
        version += 1
        if event.version != version:
            problems.append(f"{where}: phiên bản {event.version}, mong đợi {version}")
        status = event.to_status
    if status != task.status:
        problems.append(f"nhiệm vụ {task.id}: trạng thái {task.status}, lịch sử cho {status}")
    if deadline != task.deadline:
        problems.append(f"nhiệm vụ {task.id}: thời hạn {task.deadline}, lịch sử cho {deadline}")
    if version != task.version:
        problems.append(f"nhiệm vụ {task.id}: phiên bản {task.version}, lịch sử cho {version}")
    return problems


def verify_all(batch_size: int = 2000) -> tuple[list[str], int]:
    problems: list[str] = []
    checked, last_id = 0, 0
    while True:
        tasks = db.session.scalars(
            select(Task).where(Task.id > last_id).order_by(Task.id).limit(batch_size)
            .options(selectinload(Task.events))
        ).all()
        if not tasks:
            break
        for task in tasks:
            problems.extend(replay(task))
        checked += len(tasks)
        last_id = tasks[-1].id
        db.session.expunge_all()
    problems.extend(counts.discrepancies(db.session))
    return problems, checked
