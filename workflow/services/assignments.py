"""The person who carries a task (issue 15): a department user of the lead unit assigns the task
to a person of the unit; "Việc của tôi" lists what is assigned to the signed-in user.

Assignments are rows of their own (append-only, the latest one counts), written beside the task:
assigning a person is not an event of the task's state machine and leaves its version alone."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload

from models import Task, TaskAssignment, User
from workflow import permissions
from workflow.errors import Conflict, ValidationError
from workflow.extensions import db
from workflow.queries import live_condition
from workflow.services import unit_of_work
from workflow.services.tasks import get_task
from workflow.text import nfc, vi_sort_key


def unit_people(unit_id: int) -> list[User]:
    """The active department users of a unit (whom its tasks can be assigned to)."""
    people = db.session.scalars(select(User).where(User.unit_id == unit_id, User.role == "department",
                                                   User.active.is_(True)))
    return sorted(people, key=lambda u: vi_sort_key(u.full_name or u.username))


def current_assignment(task_id: int) -> TaskAssignment | None:
    return db.session.scalar(select(TaskAssignment).where(TaskAssignment.task_id == task_id)
                             .options(joinedload(TaskAssignment.user))
                             .order_by(TaskAssignment.id.desc()).limit(1))


def assignments_of(task_id: int) -> list[TaskAssignment]:
    return list(db.session.scalars(select(TaskAssignment).where(TaskAssignment.task_id == task_id)
                                   .options(joinedload(TaskAssignment.user), joinedload(TaskAssignment.assigned_by))
                                   .order_by(TaskAssignment.id)))


def assign_person(actor, task_id: int, username: str | None, *, now: datetime,
                  note: str | None = None) -> TaskAssignment:
    """Assign the task to a person of its lead unit (``username`` None or "": nobody)."""
    task = get_task(actor, task_id)
    permissions.require_assign_person(actor, task)
    person = None
    if username:
        person = db.session.scalar(select(User).where(User.username == username))
        if person is None or not person.active or person.role != "department" \
                or person.unit_id != task.lead_unit_id:
            raise ValidationError(f"“{username}” không phải người dùng đang hoạt động của {task.lead_unit.name}.")
    note = nfc(note) or None
    if note and len(note) > 1000:
        raise ValidationError("Ghi chú phân công quá dài (tối đa 1000 ký tự).")
    current = current_assignment(task.id)
    if (current.user_id if current else None) == (person.id if person else None):
        raise Conflict("Nhiệm vụ đã được phân công cho người này." if person
                       else "Nhiệm vụ chưa được phân công cho ai.")
    with unit_of_work():
        assignment = TaskAssignment(task_id=task.id, user_id=person.id if person else None,
                                    assigned_by_id=actor.id, note=note, at=now)
        db.session.add(assignment)
    return assignment


def latest_assignments():
    """A subquery: the id of the latest assignment row of each task."""
    return select(TaskAssignment.task_id, func.max(TaskAssignment.id).label("last_id")) \
        .group_by(TaskAssignment.task_id).subquery()


def my_tasks_query(user):
    """The live tasks currently assigned to ``user`` (and still theirs to read)."""
    last = latest_assignments()
    query = (select(Task).join(last, last.c.task_id == Task.id)
             .join(TaskAssignment, and_(TaskAssignment.id == last.c.last_id, TaskAssignment.user_id == user.id))
             .where(live_condition()))
    visible = permissions.visible_tasks_filter(user)
    if visible is not None:
        query = query.where(visible)
    return query


def assigned_task_ids(user) -> list[int]:
    last = latest_assignments()
    return list(db.session.scalars(
        select(TaskAssignment.task_id).join(last, TaskAssignment.id == last.c.last_id)
        .where(TaskAssignment.user_id == user.id)))
