"""Read queries of the dashboards and lists (never change state).

They build on ``workflow.queries`` (the visibility rules and the "late" rule
shared with the API): a task past its deadline counts as late whether or not
the sweep has run.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import selectinload

from models import OPEN_STATUSES, Task, TaskEvent, Unit
from workflow import permissions, queries
from workflow.extensions import db
from workflow.text import vi_sort_key

TASK_LOADS = (selectinload(Task.lead_unit), selectinload(Task.dispatch), selectinload(Task.coordinating_units))


def yellow_days() -> int:
    return current_app.config.get("WARNING_YELLOW_DAYS", 3)


def status_counts(user, now: datetime, *, lead_unit_id: int | None = None) -> dict[str, int]:
    """Live tasks the user sees (or those ``lead_unit_id`` leads), by status, plus ``late``
    (late now), ``open`` and ``total``."""
    query = queries.task_query(user)
    if lead_unit_id is not None:
        query = query.where(Task.lead_unit_id == lead_unit_id)
    base = query.subquery()
    counts = {status: 0 for status in ("assigned", "in_progress", "overdue", "completed")}
    for status, n in db.session.execute(select(base.c.status, func.count()).group_by(base.c.status)):
        counts[status] = n
    counts["total"] = sum(counts.values())
    counts["late"] = db.session.scalar(
        select(func.count()).select_from(query.where(queries.late_condition(now)).subquery()))
    counts["open"] = counts["assigned"] + counts["in_progress"] + counts["overdue"]
    return counts


def due_soon(user, now: datetime, limit: int = 15) -> list[Task]:
    """Open tasks due within the yellow window, nearest first."""
    query = queries.task_query(user).where(
        Task.status.in_(("assigned", "in_progress")), Task.deadline >= now,
        Task.deadline <= now + timedelta(days=yellow_days()))
    return list(db.session.scalars(query.order_by(Task.deadline.asc(), Task.id).limit(limit).options(*TASK_LOADS)))


@dataclass
class UnitRow:
    unit: Unit
    open: int = 0
    late: int = 0
    completed: int = 0
    completed_on_time: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def on_time_rate(self) -> float | None:
        """Completed on time ÷ (completed + still late): None when nothing is due yet."""
        judged = self.completed + self.late
        return None if judged == 0 else self.completed_on_time / judged


def unit_table(user, now: datetime) -> list[UnitRow]:
    """Per lead unit: open, late now, completed, completed on time (units with any task)."""
    late = queries.late_condition(now)
    aggregate = select(
        Task.lead_unit_id,
        func.sum(case((Task.status.in_(OPEN_STATUSES), 1), else_=0)),
        func.sum(case((late, 1), else_=0)),
        func.sum(case((Task.status == "completed", 1), else_=0)),
        func.sum(case((and_(Task.status == "completed", Task.on_time.is_(True)), 1), else_=0)),
    )
    visible = queries.task_query(user).whereclause
    if visible is not None:
        aggregate = aggregate.where(visible)
    rows = db.session.execute(aggregate.group_by(Task.lead_unit_id)).all()
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_([r[0] for r in rows])))}
    return [UnitRow(unit=units[r[0]], open=int(r[1] or 0), late=int(r[2] or 0), completed=int(r[3] or 0),
                    completed_on_time=int(r[4] or 0)) for r in rows if r[0] in units]


def late_by_unit(table: list[UnitRow]) -> list[UnitRow]:
    """Units with late tasks, most late first (ties in Vietnamese name order)."""
    rows = [r for r in table if r.late]
    return sorted(rows, key=lambda r: (-r.late, vi_sort_key(r.unit.name)))


def on_time_by_unit(table: list[UnitRow]) -> list[UnitRow]:
    """Units with something due or done, best rate first (ties in Vietnamese name order)."""
    rows = [r for r in table if r.on_time_rate is not None]
    return sorted(rows, key=lambda r: (-(r.on_time_rate or 0), vi_sort_key(r.unit.name)))


def open_by_unit(table: list[UnitRow], limit: int = 12) -> list[UnitRow]:
    """Units with the most open tasks, for the chart of open vs late."""
    rows = [r for r in table if r.open]
    return sorted(rows, key=lambda r: (-r.open, -r.late, vi_sort_key(r.unit.name)))[:limit]


def recent_events(user, limit: int = 12) -> list[TaskEvent]:
    """The latest changes on tasks the user may see."""
    visible = queries.task_query(user).with_only_columns(Task.id)
    query = (select(TaskEvent).where(TaskEvent.task_id.in_(visible))
             .order_by(TaskEvent.at.desc(), TaskEvent.id.desc()).limit(limit)
             .options(selectinload(TaskEvent.task).selectinload(Task.dispatch), selectinload(TaskEvent.actor)))
    return list(db.session.scalars(query))


def overdue_tasks(user, as_of: datetime, limit: int | None = None) -> list[Task]:
    query, order = queries.overdue_query(user, as_of)
    query = query.order_by(*order).options(*TASK_LOADS)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def unit_tasks_to_act(user, now: datetime) -> list[Task]:
    """Open tasks the user's unit leads, most urgent first: late, then nearest deadline, undated last."""
    if user.unit_id is None:
        return []
    query = queries.task_query(user).where(Task.lead_unit_id == user.unit_id, Task.status.in_(OPEN_STATUSES))
    tasks = list(db.session.scalars(query.options(*TASK_LOADS)))
    far = datetime.max.replace(tzinfo=now.tzinfo)

    def urgency(task: Task):
        late = task.is_late(now)
        return (0 if late else 1, task.deadline or far, task.id)

    return sorted(tasks, key=urgency)


def unit_tasks_coordinating(user, limit: int = 20) -> list[Task]:
    """Open tasks the user's unit coordinates (another unit leads them)."""
    if user.unit_id is None:
        return []
    query = queries.task_query(user).where(Task.lead_unit_id != user.unit_id, Task.status.in_(OPEN_STATUSES))
    return list(db.session.scalars(query.order_by(Task.deadline.asc().nulls_last(), Task.id)
                                   .limit(limit).options(*TASK_LOADS)))


def pending_extensions(user, limit: int = 20) -> list[Task]:
    """Open tasks waiting for the office's answer on an extension."""
    query = queries.task_query(user).where(Task.extension_deadline.is_not(None), Task.status.in_(OPEN_STATUSES))
    return list(db.session.scalars(query.order_by(Task.extension_requested_at.asc(), Task.id)
                                   .limit(limit).options(*TASK_LOADS)))


def dispatch_late_counts(dispatch_ids: list[int], user, now: datetime) -> dict[int, int]:
    """Tasks late now, per dispatch (visible to the user)."""
    if not dispatch_ids:
        return {}
    query = queries.task_query(user, include_drafts=True).where(
        Task.dispatch_id.in_(dispatch_ids), queries.late_condition(now))
    sub = query.subquery()
    return {d: n for d, n in db.session.execute(select(sub.c.dispatch_id, func.count()).group_by(sub.c.dispatch_id))}


def can_see_overdue(user) -> bool:
    return permissions.can_read_all(user)


def drafts(limit: int = 10):
    """Dispatches still being drafted (the office's unfinished work), newest first."""
    from models import Dispatch

    return list(db.session.scalars(select(Dispatch).where(Dispatch.status == "draft")
                                   .order_by(Dispatch.created_at.desc(), Dispatch.id.desc()).limit(limit)))
