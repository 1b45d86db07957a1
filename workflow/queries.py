"""Read-side queries shared by the pages and the API (they never change state)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import selectinload

from models import OPEN_STATUSES, Dispatch, Task, Unit
from workflow import permissions
from workflow.text import search_words


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page)) if self.per_page else 1


def late_condition(now: datetime):
    """Late now, whether or not the sweep has run."""
    return or_(Task.status == "overdue",
               and_(Task.status.in_(OPEN_STATUSES), Task.deadline.is_not(None), Task.deadline < now))


def live_condition():
    """Tasks of issued or closed dispatches (drafts are not live).

    Written as "not in the (few) drafts" rather than "in the (many) issued": the same tasks,
    since every task belongs to a dispatch, but PostgreSQL checks a small hashed set per row
    instead of joining every dispatch."""
    return Task.dispatch_id.not_in(select(Dispatch.id).where(Dispatch.status == "draft"))


def task_query(user, *, status=None, unit=None, dispatch=None, q=None, warning=None, now=None,
               deadline_from=None, deadline_to=None, include_drafts=False):
    """A SELECT of the tasks ``user`` may see, filtered."""
    query = select(Task)
    visible = permissions.visible_tasks_filter(user)
    if visible is not None:
        query = query.where(visible)
    if not include_drafts:
        query = query.where(live_condition())
    if status:
        query = query.where(Task.status == status)
    if unit is not None:
        query = query.where(Task.lead_unit_id == unit.id)
    if dispatch is not None:
        query = query.where(Task.dispatch_id == dispatch.id)
    for word in search_words(q):
        query = query.where(Task.title_folded.contains(f" {word} "))
    if deadline_from is not None:
        query = query.where(Task.deadline >= deadline_from)
    if deadline_to is not None:
        query = query.where(Task.deadline <= deadline_to)
    if warning and now is not None:
        from flask import current_app
        from datetime import timedelta

        yellow = now + timedelta(days=current_app.config.get("WARNING_YELLOW_DAYS", 3))
        if warning == "red":
            query = query.where(late_condition(now))
        elif warning == "yellow":
            query = query.where(Task.status.in_(("assigned", "in_progress")), Task.deadline >= now,
                                Task.deadline <= yellow)
        elif warning == "extension":  # waiting for the office's answer on an extension
            query = query.where(Task.extension_deadline.is_not(None), Task.status.in_(OPEN_STATUSES))
        elif warning == "on_track":  # open and not late: the dashboards' "còn hạn" parts
            query = query.where(Task.status.in_(("assigned", "in_progress")),
                                or_(Task.deadline.is_(None), Task.deadline >= now))
        elif warning == "green":
            query = query.where(or_(Task.status == "completed",
                                    and_(Task.status.in_(("assigned", "in_progress")),
                                         or_(Task.deadline.is_(None), Task.deadline > yellow))))
    return query


def paginate(query, page: int, per_page: int, order_by=(), *, total: int | None = None,
             options=None) -> Page:
    """One page of ``query``; ``total`` when the caller knows how many rows it has; ``options``
    the relationships to load with tasks (default: dispatch, lead and coordinating units)."""
    from sqlalchemy.orm import joinedload

    from workflow.extensions import db

    if options is None:
        options = (joinedload(Task.lead_unit), selectinload(Task.coordinating_units), joinedload(Task.dispatch))
    if total is None:
        total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(
        query.order_by(*order_by).limit(per_page).offset((page - 1) * per_page).options(*options)
    ).all() if query.column_descriptions[0]["entity"] is Task else db.session.scalars(
        query.order_by(*order_by).limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=list(rows), total=total or 0, page=page, per_page=per_page)


def task_detail(task_id: int) -> Task | None:
    """One task with everything its JSON and page show, in three queries: the task with its
    dispatch and lead unit, its coordinating units, its history with the actors."""
    from sqlalchemy.orm import joinedload

    from models import TaskEvent
    from workflow.extensions import db

    return db.session.scalar(
        select(Task).where(Task.id == task_id)
        .options(joinedload(Task.dispatch), joinedload(Task.lead_unit), selectinload(Task.coordinating_units),
                 selectinload(Task.events).joinedload(TaskEvent.actor))
        .execution_options(populate_existing=True))


def overdue_query(user, as_of: datetime):
    """Tasks late at ``as_of`` (``late_condition`` with a deadline), most days late first.

    Written as "open, and past the deadline or marked overdue" so that PostgreSQL walks the
    partial index of open tasks by deadline (``ix_tasks_open_deadline``) and stops at the page."""
    query = task_query(user).where(Task.status.in_(OPEN_STATUSES), Task.deadline.is_not(None),
                                   or_(Task.deadline < as_of, Task.status == "overdue"))
    return query, (Task.deadline.asc(), Task.id.asc())


def late_open(as_of: datetime, *, lead_unit_id: int | None = None) -> dict[tuple[int, str], int]:
    """Live open tasks not (yet) in the overdue state whose deadline is before ``as_of``, by
    (lead unit, status): late although the sweep has not marked them. Few once the sweep has run
    (an index range of ``ix_tasks_status_deadline``); with ``as_of`` ahead, those that will be late."""
    from workflow.extensions import db

    query = select(Task.lead_unit_id, Task.status, func.count()).where(
        Task.status.in_([s for s in OPEN_STATUSES if s != "overdue"]), Task.deadline < as_of, live_condition())
    if lead_unit_id is not None:
        query = query.where(Task.lead_unit_id == lead_unit_id)
    return {(unit, status): n for unit, status, n in
            db.session.execute(query.group_by(Task.lead_unit_id, Task.status))}


def late_per_unit(user, as_of: datetime) -> dict[int, int]:
    """Tasks the user sees late at ``as_of`` (``late_condition``), per lead unit with any.

    Late at ``as_of`` is "overdue now" or "open with a deadline before it": for a user who sees
    every task the first part comes from the task counts (``workflow.counts``)."""
    from workflow import counts
    from workflow.extensions import db

    late: dict[int, int] = {}
    if permissions.visible_tasks_filter(user) is None:
        for (unit, status), (n, _) in counts.stored(db.session).items():
            if status == "overdue":
                late[unit] = late.get(unit, 0) + n
        for (unit, _), n in late_open(as_of).items():
            late[unit] = late.get(unit, 0) + n
    else:
        query = task_query(user).with_only_columns(Task.lead_unit_id, func.count()).where(late_condition(as_of))
        late = dict(db.session.execute(query.group_by(Task.lead_unit_id)).all())
    return {unit: n for unit, n in late.items() if n}


def overdue_total(user, as_of: datetime, per_unit: dict[int, int] | None = None) -> int | None:
    """How many rows ``overdue_query(user, as_of)`` gives, from the task counts, for a user who
    sees every task (None otherwise: count the query): every late task (``late_per_unit``, pass
    it when already read) less the overdue ones without a deadline, which the list leaves out."""
    from workflow.extensions import db

    if permissions.visible_tasks_filter(user) is not None:
        return None
    if per_unit is None:
        per_unit = late_per_unit(user, as_of)
    undated = db.session.scalar(select(func.count()).select_from(Task).where(
        Task.status == "overdue", Task.deadline.is_(None), live_condition()))
    return sum(per_unit.values()) - (undated or 0)


def days_late(task: Task, as_of: datetime) -> int:
    if task.deadline is None or task.deadline >= as_of:
        return 0
    return math.ceil((as_of - task.deadline).total_seconds() / 86400)


def dispatch_counts(dispatch_ids: list[int], user=None) -> dict[int, dict]:
    """Task counts by status for each dispatch."""
    from workflow.extensions import db

    counts: dict[int, dict] = {i: {"assigned": 0, "in_progress": 0, "overdue": 0, "completed": 0, "total": 0}
                               for i in dispatch_ids}
    if not dispatch_ids:
        return counts
    query = select(Task.dispatch_id, Task.status, func.count()).where(Task.dispatch_id.in_(dispatch_ids))
    if user is not None:
        visible = permissions.visible_tasks_filter(user)
        if visible is not None:
            query = query.where(visible)
    for dispatch_id, status, n in db.session.execute(query.group_by(Task.dispatch_id, Task.status)):
        counts[dispatch_id][status] = n
        counts[dispatch_id]["total"] += n
    return counts


def dispatch_query(user, *, q=None, status=None):
    query = select(Dispatch)
    if user.role != "office":
        query = query.where(Dispatch.status != "draft")
    if status:
        query = query.where(Dispatch.status == status)
    for word in search_words(q):
        query = query.where(Dispatch.search_folded.contains(f" {word} "))
    return query


def unit_by_code(code: str) -> Unit | None:
    from workflow.extensions import db

    return db.session.scalar(select(Unit).where(Unit.code == code))
