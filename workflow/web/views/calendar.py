"""A month of deadlines (issue 15): mine, my unit's, or all I may see; server-rendered and printable."""
from __future__ import annotations

import calendar as cal
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from flask import flash, render_template, request
from sqlalchemy import func, or_, select

from models import Task
from models.task import task_coordinating_units
from workflow import queries
from workflow.clock import local_tz, to_local
from workflow.extensions import db
from workflow.web import bp, reads
from workflow.web.helpers import now, param, user

SCOPES = {"mine": "Của tôi", "unit": "Của đơn vị tôi", "all": "Tất cả"}
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
MAX_TASKS = 3000  # deadlines shown in one month (a month of this office holds far fewer)


def _month(raw: str, today: date) -> tuple[date, str | None]:
    """``2026-12`` → its first day; today's month when absent or unreadable."""
    if not raw:
        return today.replace(day=1), None
    try:
        year, month = (int(part) for part in raw.split("-", 1))
        if 1900 <= year <= 2200 and 1 <= month <= 12:
            return date(year, month, 1), None
    except ValueError:
        pass
    return today.replace(day=1), "Tháng không hợp lệ (dùng dạng 2026-12); hiển thị tháng này."


def scope_filter(actor, scope: str):
    """The condition of a scope: "mine" (the tasks my unit assigned to me, or whose người phụ trách
    is written with my name), "unit" (my unit leads or coordinates), "all"."""
    if scope == "mine":
        from models import TaskAssignment
        from workflow.services.assignments import latest_assignments

        last = latest_assignments()
        assigned = (select(TaskAssignment.task_id).join(last, TaskAssignment.id == last.c.last_id)
                    .where(TaskAssignment.user_id == actor.id))
        mine = [Task.id.in_(assigned)]  # assigned to me by my unit ("Việc của tôi")
        name = (actor.full_name or "").strip().lower()
        if name:
            mine.append(func.lower(Task.person_in_charge) == name)
        return or_(*mine)
    if scope == "unit":
        if actor.unit_id is None:
            return Task.id.is_(None)
        coordinates = select(task_coordinating_units.c.task_id).where(
            task_coordinating_units.c.unit_id == actor.unit_id)
        return or_(Task.lead_unit_id == actor.unit_id, Task.id.in_(coordinates))
    return None


def month_tasks(actor, first: date, scope: str) -> list[Task]:
    """The live tasks ``actor`` sees whose deadline falls in the month of ``first`` (local time)."""
    tz = local_tz()
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine((first + timedelta(days=32)).replace(day=1), time.min, tzinfo=tz)
    query = queries.task_query(actor).where(Task.deadline >= start, Task.deadline < end)
    condition = scope_filter(actor, scope)
    if condition is not None:
        query = query.where(condition)
    return list(db.session.scalars(query.order_by(Task.deadline, Task.id).limit(MAX_TASKS)
                                   .options(*reads.LIST_LOADS)))


@bp.get("/calendar")
def calendar_month():
    actor, at = user(), now()
    today = to_local(at).date()
    first, error = _month(param(request.args, "month", 10), today)
    default_scope = "unit" if actor.role == "department" else "all"
    scope = param(request.args, "scope", 10) or default_scope
    status = 200
    if scope not in SCOPES:
        error, scope = "Phạm vi không hợp lệ; hiển thị phạm vi mặc định.", default_scope
    if error:
        flash(error, "warning")
        status = 400
    tasks = month_tasks(actor, first, scope)
    by_day: dict[date, list[Task]] = defaultdict(list)
    for task in tasks:
        by_day[to_local(task.deadline).date()].append(task)
    weeks = cal.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return render_template(
        "calendar/month.html", first=first, weeks=weeks, by_day=by_day, tasks=tasks, today=today, at=at,
        scope=scope, scopes=SCOPES, weekdays=WEEKDAYS, previous=previous, following=following,
        truncated=len(tasks) >= MAX_TASKS), status
