"""Read queries of the dashboards and lists (never change state).

They build on ``workflow.queries`` (the visibility rules and the "late" rule
shared with the API): a task past its deadline counts as late whether or not
the sweep has run.
"""
from __future__ import annotations

import json
from collections import namedtuple
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import joinedload, selectinload

from models import OPEN_STATUSES, Dispatch, Task, TaskEvent, Unit, User
from workflow import counts, permissions, queries
from workflow.extensions import db
from workflow.kept import Kept
from workflow.text import vi_sort_key

# Many-to-one in the same query (a join), the coordinating units in one more.
TASK_LOADS = (joinedload(Task.lead_unit), joinedload(Task.dispatch), selectinload(Task.coordinating_units))
DASHBOARD_UNITS = 12  # units listed on the office's dashboard; the overdue list has them all
# Lists that show a task's unit, and its dispatch by its number only (``dispatch_short``): no
# recipients and other JSON columns decoded for every row.
LIST_LOADS = (joinedload(Task.lead_unit).load_only(Unit.id, Unit.code, Unit.name),
              joinedload(Task.dispatch).load_only(Dispatch.id, Dispatch.number, Dispatch.symbol, Dispatch.title,
                                                  Dispatch.kind, Dispatch.status))


def yellow_days() -> int:
    return current_app.config.get("WARNING_YELLOW_DAYS", 3)


def task_summary(user, now: datetime, *, lead_unit_id: int | None = None) -> list[tuple]:
    """The visible live tasks grouped by (lead unit, status):
    ``(lead_unit_id, status, count, late now, completed on time)``; with ``lead_unit_id``, only
    the tasks that unit leads.

    Read from the task counts (``workflow.counts``) plus the late tasks the sweep has not marked
    yet, when the user sees every task or asks for the tasks its own unit leads (all visible to
    it); otherwise counted from the tasks in one pass. ``status_counts`` and ``unit_table`` derive
    from it (pass it to each as ``summary=``)."""
    sees_all = permissions.visible_tasks_filter(user) is None
    if sees_all or (lead_unit_id is not None and lead_unit_id == user.unit_id):
        kept = counts.stored(db.session, lead_unit_id=lead_unit_id)
        late = queries.late_open(now, lead_unit_id=lead_unit_id)
        return [(unit, status, n, n if status == "overdue" else late.get((unit, status), 0), on_time)
                for (unit, status), (n, on_time) in sorted(kept.items())]
    aggregate = select(
        Task.lead_unit_id, Task.status, func.count(),
        func.sum(case((queries.late_condition(now), 1), else_=0)),
        func.sum(case((Task.on_time.is_(True), 1), else_=0)),
    )
    visible = queries.task_query(user).whereclause
    if visible is not None:
        aggregate = aggregate.where(visible)
    if lead_unit_id is not None:
        aggregate = aggregate.where(Task.lead_unit_id == lead_unit_id)
    return [(r[0], r[1], int(r[2] or 0), int(r[3] or 0), int(r[4] or 0))
            for r in db.session.execute(aggregate.group_by(Task.lead_unit_id, Task.status))]


def status_counts(user, now: datetime, *, lead_unit_id: int | None = None,
                  summary: list[tuple] | None = None) -> dict[str, int]:
    """Live tasks the user sees (or those ``lead_unit_id`` leads), by status, plus ``late``
    (late now), ``open`` and ``total``."""
    if summary is None:
        summary = task_summary(user, now, lead_unit_id=lead_unit_id)
    counts_by_status = {status: 0 for status in ("assigned", "in_progress", "overdue", "completed")}
    late = 0
    late_by_status: dict[str, int] = {}
    for unit_id, status, n, n_late, _ in summary:
        if lead_unit_id is not None and unit_id != lead_unit_id:
            continue
        counts_by_status[status] = counts_by_status.get(status, 0) + n
        late += n_late
        late_by_status[status] = late_by_status.get(status, 0) + n_late
    counts_by_status["total"] = sum(counts_by_status.values())
    counts_by_status["late"] = late
    counts_by_status["open"] = sum(counts_by_status[status] for status in OPEN_STATUSES)
    # The parts of the dashboards' cards (COUNT_TERMS): they partition the total.
    counts_by_status["assigned_on_track"] = counts_by_status["assigned"] - late_by_status.get("assigned", 0)
    counts_by_status["in_progress_on_track"] = counts_by_status["in_progress"] - late_by_status.get("in_progress", 0)
    counts_by_status["on_track"] = counts_by_status["open"] - late
    return counts_by_status


# The words of the dashboards' counts, defined once (issue 15): every page uses these labels for
# these numbers. The four parts add up to "total"; "open" is the three parts not completed.
COUNT_TERMS = {
    "total": ("Tổng số nhiệm vụ", "Mọi nhiệm vụ đã giao."),
    "open": ("Đang mở", "Chưa hoàn thành: chưa bắt đầu, đang thực hiện hoặc trễ hạn."),
    "assigned_on_track": ("Chưa bắt đầu, còn hạn", "Đã giao, đơn vị chưa bắt đầu, chưa quá thời hạn."),
    "in_progress_on_track": ("Đang thực hiện, còn hạn", "Đơn vị đã bắt đầu, chưa quá thời hạn."),
    "late": ("Trễ hạn", "Chưa hoàn thành và đã quá thời hạn (kể cả khi hệ thống chưa kịp chuyển trạng thái)."),
    "completed": ("Đã hoàn thành", "Đã xác nhận hoàn thành, đúng hạn hoặc trễ hạn."),
}
COUNT_PARTS = ("assigned_on_track", "in_progress_on_track", "late", "completed")


def due_soon(user, now: datetime, limit: int = 15, loads=TASK_LOADS, *, views: bool = False) -> list[Task]:
    """Open tasks due within the yellow window, nearest first (``loads``: LIST_LOADS when the
    coordinating units are not shown; ``views``: plain rows, ``queries.task_views``, without them)."""
    order = (Task.deadline.asc(), Task.id)
    if views and permissions.visible_tasks_filter(user) is None:  # one statement for all (issue 16)
        return queries.task_views(
            lambda: queries.task_query(user).where(Task.status.in_(("assigned", "in_progress")),
                                                   Task.deadline >= bindparam("now"), Task.deadline <= bindparam("until")),
            order, limit=limit, coordinating=False, built=("due_soon", limit),
            params={"now": now, "until": now + timedelta(days=yellow_days())})
    query = queries.task_query(user).where(
        Task.status.in_(("assigned", "in_progress")), Task.deadline >= now,
        Task.deadline <= now + timedelta(days=yellow_days()))
    if views:
        return queries.task_views(query, order, limit=limit, coordinating=False)
    return list(db.session.scalars(query.order_by(*order).limit(limit).options(*loads)))


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


def unit_table(user, now: datetime, *, summary: list[tuple] | None = None) -> list[UnitRow]:
    """Per lead unit: open, late now, completed, completed on time (units with any task)."""
    if summary is None:
        summary = task_summary(user, now)
    # Kept per distinct (summary, unit rows) (issue 16): ~1,200 count rows folded into ~300 rows per page
    # cost milliseconds. The rows are shared between pages: callers only read them.
    names = tuple(unit_names({r[0] for r in summary}))
    key = (tuple(summary), names)
    return list(_UNIT_TABLES.get(key, lambda: _fold_unit_rows(summary, names)))


def _fold_unit_rows(summary: list[tuple], names) -> tuple[UnitRow, ...]:
    rows: dict[int, UnitRow] = {}
    units = {u.id: u for u in names}
    for unit_id, status, n, n_late, n_on_time in summary:
        if unit_id not in units:
            continue
        row = rows.setdefault(unit_id, UnitRow(unit=units[unit_id]))
        if status in OPEN_STATUSES:
            row.open += n
        row.late += n_late
        if status == "completed":
            row.completed += n
            row.completed_on_time += n_on_time
    return tuple(rows.values())


_UNIT_TABLES = Kept(64)
_LATE_UNITS = Kept(64)


def late_units(user, as_of: datetime) -> list[UnitRow]:
    """Units with tasks late at ``as_of``, most late first (``late_by_unit`` of ``unit_table``,
    counting the late tasks only: ``open`` and ``completed`` are left at 0)."""
    late = queries.late_per_unit(user, as_of)
    names = tuple(unit_names(late))
    key = (tuple(sorted(late.items())), names)  # kept per distinct input, as unit_table (rows only read)
    rows = _LATE_UNITS.get(key, lambda: tuple(late_by_unit([UnitRow(unit=u, late=late[u.id]) for u in names])))
    return list(rows)


_name_key = lru_cache(maxsize=4096)(vi_sort_key)  # unit names sorted on every page (issue 16)
_UNIT_NAMES = select(Unit.id, Unit.code, Unit.name).order_by(Unit.id)


def unit_names(ids) -> list:
    """(id, code, name) rows of these units: what the tables show, without loading whole units.

    Every unit is read (a few hundred short rows, one statement built once) and the wanted ones kept:
    ``id IN (300 values)`` cost more to send, plan and bind than the rows it saved (issue 16)."""
    wanted = set(ids)
    return [row for row in db.session.execute(_UNIT_NAMES) if row[0] in wanted]


def late_by_unit(table: list[UnitRow]) -> list[UnitRow]:
    """Units with late tasks, most late first (ties in Vietnamese name order)."""
    rows = [r for r in table if r.late]
    return sorted(rows, key=lambda r: (-r.late, _name_key(r.unit.name)))


def on_time_by_unit(table: list[UnitRow]) -> list[UnitRow]:
    """Units with something due or done, best rate first (ties in Vietnamese name order)."""
    rows = [r for r in table if r.on_time_rate is not None]
    return sorted(rows, key=lambda r: (-(r.on_time_rate or 0), _name_key(r.unit.name)))


def open_by_unit(table: list[UnitRow], limit: int = 12) -> list[UnitRow]:
    """Units with the most open tasks, for the chart of open vs late."""
    rows = [r for r in table if r.open]
    return sorted(rows, key=lambda r: (-r.open, -r.late, _name_key(r.unit.name)))[:limit]


def recent_events(user, limit: int = 12, *, views: bool = False) -> list[TaskEvent]:
    """The latest changes on tasks the user may see (``views``: plain rows holding what the timeline
    ``_recent.html`` shows, ``recent_event_views``)."""
    if views:
        return recent_event_views(user, limit)
    # A join (not "task_id IN (visible ids)") so the database walks ix_task_events_at_id newest
    # first and stops after ``limit`` visible rows.
    query = select(TaskEvent).join(Task, Task.id == TaskEvent.task_id)
    visible = queries.task_query(user).whereclause
    if visible is not None:
        query = query.where(visible)
    query = (query
             .order_by(TaskEvent.at.desc(), TaskEvent.id.desc()).limit(limit)
             # The timeline shows each event's task by its item and title, and the actor.
             .options(joinedload(TaskEvent.task).load_only(Task.id, Task.item, Task.title),
                      joinedload(TaskEvent.actor)))
    return list(db.session.scalars(query))


def overdue_tasks(user, as_of: datetime, limit: int | None = None, *, views: bool = False) -> list[Task]:
    """Tasks late at ``as_of``, most days late first (``views``: plain rows without the coordinating
    units, ``queries.task_views``, for the leader's dashboard: issue 16)."""
    if views and permissions.visible_tasks_filter(user) is None:  # one statement for all (issue 16)
        def build():
            query, order = queries.overdue_query(user, bindparam("as_of"))
            return query.order_by(*order)

        return queries.task_views(build, limit=limit, coordinating=False, built=("overdue_tasks", limit),
                                  params={"as_of": as_of})
    query, order = queries.overdue_query(user, as_of)
    if views:
        return queries.task_views(query, order, limit=limit, coordinating=False)
    query = query.order_by(*order).options(*TASK_LOADS)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


@dataclass
class _Unit:
    """A unit by its id, for ``task_query(unit=…)``."""
    id: int


def unit_tasks_to_act(user, now: datetime) -> list[Task]:
    """Open tasks the user's unit leads, most urgent first: late, then nearest deadline, undated last."""
    if user.unit_id is None:
        return []
    query = queries.task_query(user, unit=_Unit(user.unit_id)).where(Task.status.in_(OPEN_STATUSES))
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
    from models import task_coordinating_units as links

    # The unit's coordinated tasks by their ids (an index lookup), not "visible and not led" (a walk of
    # every task by deadline): the same rows, since a department sees what it leads or coordinates.
    query = queries.task_query(user).where(
        Task.id.in_(select(links.c.task_id).where(links.c.unit_id == user.unit_id)),
        Task.lead_unit_id != user.unit_id, Task.status.in_(OPEN_STATUSES))
    return list(db.session.scalars(query.order_by(Task.deadline.asc().nulls_last(), Task.id)
                                   .limit(limit).options(*TASK_LOADS)))


def pending_extensions(user, limit: int = 20, loads=TASK_LOADS, *, views: bool = False) -> list[Task]:
    """Open tasks waiting for the office's answer on an extension (``views``: as in ``due_soon``)."""
    order = (Task.extension_requested_at.asc(), Task.id)
    if views and permissions.visible_tasks_filter(user) is None:  # one statement for all (issue 16)
        return queries.task_views(
            lambda: queries.task_query(user).where(Task.extension_deadline.is_not(None),
                                                   Task.status.in_(OPEN_STATUSES)),
            order, limit=limit, coordinating=False, built=("pending_extensions", limit))
    query = queries.task_query(user).where(Task.extension_deadline.is_not(None), Task.status.in_(OPEN_STATUSES))
    if views:
        return queries.task_views(query, order, limit=limit, coordinating=False)
    return list(db.session.scalars(query.order_by(*order).limit(limit).options(*loads)))


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

    query = _DRAFTS.get(limit)
    if query is None:  # built once (issue 16)
        query = _DRAFTS[limit] = (select(Dispatch).where(Dispatch.status == "draft")
                                  .order_by(Dispatch.created_at.desc(), Dispatch.id.desc()).limit(limit))
    return list(db.session.scalars(query))


_DRAFTS: dict = {}


class _EventView(queries._Attrs):
    """A history row as the timeline shows it; any other attribute is read from the ORM row."""
    _model = TaskEvent


_RECENT_ACTOR = User.__table__.alias("recent_actor")
_RECENT_STATEMENTS: dict = {}


def _recent_statement(visible, limit: int):
    actor = _RECENT_ACTOR
    query = (select(TaskEvent.id, TaskEvent.event, TaskEvent.at, TaskEvent.task_id, TaskEvent.actor_id,
                    TaskEvent.from_status, TaskEvent.to_status, Task.item, Task.title, actor.c.full_name,
                    actor.c.username)
             .join(Task, Task.id == TaskEvent.task_id).outerjoin(actor, actor.c.id == TaskEvent.actor_id))
    if visible is not None:
        query = query.where(visible)
    return query.order_by(TaskEvent.at.desc(), TaskEvent.id.desc()).limit(limit)


def recent_event_views(user, limit: int = 12) -> list[_EventView]:
    """``recent_events`` as plain rows (issue 16): the same statement's rows without building ORM
    objects and their joined loads; for users who see every task the statement is built once."""
    visible = queries.task_query(user).whereclause
    if visible is None:
        query = _RECENT_STATEMENTS.get(limit)
        if query is None:
            query = _RECENT_STATEMENTS[limit] = _recent_statement(None, limit)
    else:
        query = _recent_statement(visible, limit)
    rows = []
    for event_id, event, at, task_id, actor_id, from_status, to_status, item, title, full_name, username \
            in db.session.execute(query):
        actor = None if actor_id is None else queries._Attrs(id=actor_id, full_name=full_name,
                                                               username=username)
        rows.append(_EventView(id=event_id, event=event, at=at, task_id=task_id, actor_id=actor_id,
                               from_status=from_status, to_status=to_status, actor=actor,
                               task=queries._Attrs(id=task_id, item=item, title=title)))
    return rows


# --- the counts of the dashboards and /overdue as one text from PostgreSQL (issue 16, third round) ----------------
#
# In the write-heavy mix every event makes a new database snapshot, so the pieces kept per snapshot
# (workflow/snapshots.py) are computed again on nearly every page: reading ~1,200 task-count rows, ~125
# late-task groups and ~300 unit names into Python and folding them cost milliseconds per page. On
# PostgreSQL, for users who see every task, the database now folds them and answers ONE text (JSON) per
# page: every number and unit name the counts and unit tables are made of, in a fixed order. That text
# is the key of what the page derives from it (``derived``): an equal text means equal inputs, so the
# derived counts, tables and rendered pieces are the same (exact by construction, nothing to invalidate;
# the derivation is the same Python as before, run on the parsed rows when the text is new). Elsewhere
# (SQLite, a department) the rows are read and folded as before (``task_summary``), keyed by those rows.

UnitName = namedtuple("UnitName", "id code name")

# (No CTE: a statement must start with SELECT to count as a read, workflow/dbtuning.py.)
_LIVE_SQL = "dispatch_id NOT IN (SELECT id FROM dispatches WHERE status = 'draft')"
_LATE_OPEN_SQL = ("SELECT lead_unit_id, status, count(*) AS late FROM tasks WHERE status IN ('assigned', 'in_progress') "
                  f"AND deadline < %(as_of)s AND {_LIVE_SQL} GROUP BY lead_unit_id, status")
# Rows of ``task_summary`` (counts kept per (unit, status), with the late ones) grouped twice in one pass:
# per status (status, n, late) and per unit (id, code, name, open, late, completed, completed on time).
SUMMARY_SQL = (
    "SELECT coalesce(json_agg(json_build_array(g.status, g.n, g.late) ORDER BY g.status) "
    "FILTER (WHERE g.status IS NOT NULL), '[]')::text AS per_status, "
    "coalesce(json_agg(json_build_array(g.lead_unit_id, u.code, u.name, g.open, g.late, g.completed, "
    "g.completed_on_time) ORDER BY g.lead_unit_id) FILTER (WHERE g.status IS NULL), '[]')::text AS per_unit "
    "FROM (SELECT c.lead_unit_id, c.status, sum(c.n) AS n, "
    "sum(c.n) FILTER (WHERE c.status IN ('assigned', 'in_progress', 'overdue')) AS open, "
    "sum(CASE WHEN c.status = 'overdue' THEN c.n ELSE coalesce(l.late, 0) END) AS late, "
    "sum(c.n) FILTER (WHERE c.status = 'completed') AS completed, "
    "sum(c.on_time) FILTER (WHERE c.status = 'completed') AS completed_on_time "
    f"FROM task_counts c LEFT JOIN ({_LATE_OPEN_SQL}) l ON l.lead_unit_id = c.lead_unit_id AND l.status = c.status "
    "WHERE c.n <> 0 OR c.on_time <> 0 "
    "GROUP BY GROUPING SETS ((c.lead_unit_id), (c.status))) g "
    "LEFT JOIN units u ON u.id = g.lead_unit_id")
# /overdue: the units with tasks late at ``as_of`` (id, code, name, late: ``late_per_unit``), the overdue tasks
# without a deadline (``overdue_total`` leaves them out) and the active units of the picker (``unit_choices``:
# code, name, kind, in the order a plain SELECT reads them).
OVERDUE_SQL = (
    "SELECT (SELECT coalesce(json_agg(json_build_array(u.id, u.code, u.name, x.late) ORDER BY u.id), '[]')::text "
    "FROM (SELECT p.lead_unit_id, sum(p.k) AS late FROM ("
    "SELECT lead_unit_id, n AS k FROM task_counts WHERE status = 'overdue' AND (n <> 0 OR on_time <> 0) "
    f"UNION ALL SELECT lead_unit_id, late FROM ({_LATE_OPEN_SQL}) o) p "
    "GROUP BY p.lead_unit_id HAVING sum(p.k) <> 0) x JOIN units u ON u.id = x.lead_unit_id), "
    f"(SELECT count(*) FROM tasks WHERE status = 'overdue' AND deadline IS NULL AND {_LIVE_SQL}), "
    "(SELECT coalesce(json_agg(json_build_array(code, name, kind)), '[]')::text FROM units WHERE active IS true)")


def one_text_reads(user) -> bool:
    """Whether this user's counts are read as one text (PostgreSQL, a user who sees every task)."""
    return permissions.sees_every_task(user) and db.session.get_bind().dialect.name == "postgresql"


def _naive_utc(at: datetime):
    from datetime import timezone

    return at.astimezone(timezone.utc).replace(tzinfo=None)  # as models.types.UTCDateTime binds it


def summary(user, now: datetime) -> tuple[dict, Hashable, Callable[[], list[UnitRow]]]:
    """(counts, key, table): ``status_counts`` of the live tasks the user sees at ``now``, and their
    ``unit_table`` as ``table()``, whose ``key`` is equal for equal tables (the one text of the units'
    counts, or the rows they are folded from)."""
    if one_text_reads(user):
        per_status, per_unit = db.session.connection().exec_driver_sql(
            SUMMARY_SQL, {"as_of": _naive_utc(now)}).one()
        counts = status_counts(user, now, summary=[(None, status, n, late, 0)
                                                    for status, n, late in json.loads(per_status)])
        return counts, ("units", per_unit), lambda: _unit_rows(per_unit)
    rows = task_summary(user, now)
    names = tuple(unit_names({r[0] for r in rows}))
    key = (tuple(rows), names)
    return (status_counts(user, now, summary=rows), ("rows",) + key,
            lambda: list(_UNIT_TABLES.get(key, lambda: _fold_unit_rows(rows, names))))


def _unit_rows(text: str) -> list[UnitRow]:
    return [UnitRow(unit=UnitName(unit_id, code, name), open=open_ or 0, late=late or 0, completed=completed or 0,
                    completed_on_time=on_time or 0)
            for unit_id, code, name, open_, late, completed, on_time in json.loads(text)]


DERIVED_LIMIT = 64  # values kept per application; the store is emptied when full


def derived(key: Hashable, what: str, build: Callable[[], Any]) -> Any:
    """``build()`` kept per (``what``, ``key``): for values that are a pure function of the inputs ``key``
    stands for (``summary``, ``overdue_inputs``), rendered pieces included: the URL root and the settings
    pieces read (``snapshots.CONFIG_KEYS``) are added to the key. Callers only read the value."""
    from flask import request

    from workflow.snapshots import CONFIG_KEYS

    app = current_app._get_current_object()
    store = app.extensions.get("reads_derived")
    if store is None:  # one store per application (its templates and settings)
        store = app.extensions["reads_derived"] = Kept(DERIVED_LIMIT)
    return store.get((what, key, request.script_root, tuple(app.config.get(name) for name in CONFIG_KEYS)), build)


def overdue_inputs(user, as_of: datetime) -> tuple[Hashable, Callable[[], tuple[list[UnitRow], int | None]], Any]:
    """(key, parts, choices_key) of /overdue at ``as_of``: ``parts()`` gives ``(late_units(…), overdue_total(…))``
    with the list's total None when it must be counted; ``choices_key`` stands for the active units of the
    picker (``unit_choices_of(choices_key, blank)``)."""
    if one_text_reads(user):
        late_text, undated, choices_text = db.session.connection().exec_driver_sql(
            OVERDUE_SQL, {"as_of": _naive_utc(as_of)}).one()

        def parts():
            units = late_by_unit([UnitRow(unit=UnitName(i, code, name), late=late)
                                  for i, code, name, late in json.loads(late_text)])
            return units, sum(row.late for row in units) - (undated or 0)

        return ("overdue", late_text, undated), parts, ("text", choices_text)
    units = late_units(user, as_of)
    total = queries.overdue_total(user, as_of, {row.unit.id: row.late for row in units})
    key = ("rows", tuple((r.unit.id, r.unit.code, r.unit.name, r.late) for r in units), total)
    return key, lambda: (units, total), None


def unit_choices_of(key, blank: str):
    """``helpers.unit_choices(blank=blank)`` (grouped), from the active units ``overdue_inputs`` read as one
    text (``key``), or read now when ``key`` is None."""
    from workflow.web.helpers import _choices_of, unit_choices

    if key is None:
        return unit_choices(blank=blank)
    built = derived((key, blank), "unit_choices", lambda: _choices_of(tuple(tuple(r) for r in json.loads(key[1])), blank, True))
    return {group: list(members) for group, members in built.items()}


# /overdue's page of rows (``overdue_query``, ordered by deadline then id) with what a row shows of its task
# (``ROW_COLUMNS`` of workflow/web/views/overdue.py), its lead unit and its dispatch's number, as one text;
# with a unit, the count of its rows too (the stored counts are per unit and status, not per deadline).
_OVERDUE_CONDITION = ("t.status IN ('assigned', 'in_progress', 'overdue') AND t.deadline IS NOT NULL "
                      "AND (t.deadline < %(as_of)s OR t.status = 'overdue') "
                      "AND t.dispatch_id NOT IN (SELECT id FROM dispatches WHERE status = 'draft')")
_OVERDUE_VIEW_KEYS = ("id", "dispatch_id", "lead_unit_id", "item", "title", "deadline", "status", "on_time",
                      "extension_deadline")


def _overdue_page_sql(by_unit: bool) -> str:
    where = _OVERDUE_CONDITION + (" AND t.lead_unit_id = %(unit_id)s" if by_unit else "")
    count = f"(SELECT count(*) FROM tasks t WHERE {where})" if by_unit else "NULL::bigint"
    return (f"SELECT {count}, (SELECT coalesce(json_agg(json_build_array(p.id, p.dispatch_id, p.lead_unit_id, "
            "p.item, p.title, p.deadline, p.status, p.on_time, p.extension_deadline, lu.code, lu.name, d.number, "
            "d.symbol, d.year, d.kind, d.title, d.status) ORDER BY p.deadline, p.id), '[]')::text "
            "FROM (SELECT t.id, t.dispatch_id, t.lead_unit_id, t.item, t.title, t.deadline, t.status, t.on_time, "
            f"t.extension_deadline FROM tasks t WHERE {where} ORDER BY t.deadline, t.id "
            "LIMIT %(limit)s OFFSET %(offset)s) p "
            "JOIN units lu ON lu.id = p.lead_unit_id JOIN dispatches d ON d.id = p.dispatch_id)")


OVERDUE_PAGE_SQL = {False: _overdue_page_sql(False), True: _overdue_page_sql(True)}


def overdue_page(as_of: datetime, unit_id: int | None, page: int, per_page: int, total: int | None):
    """(total, rows as one text, page) of /overdue at ``as_of`` (of ``unit_id``'s tasks when given, counted
    then; else ``total`` is the list's total); a page past the last is the last one. PostgreSQL only
    (``one_text_reads``); the rows become tasks with ``overdue_views``."""
    connection = db.session.connection()
    params = {"as_of": _naive_utc(as_of), "unit_id": unit_id, "limit": per_page, "offset": (page - 1) * per_page}
    counted, text = connection.exec_driver_sql(OVERDUE_PAGE_SQL[unit_id is not None], params).one()
    if unit_id is not None:
        total = counted or 0
    pages = max(1, -(-(total or 0) // per_page))
    if total and page > pages:
        page, params["offset"] = pages, (pages - 1) * per_page
        text = connection.exec_driver_sql(OVERDUE_PAGE_SQL[unit_id is not None], params).one()[1]
    return total, text, page


def overdue_views(text: str) -> list:
    """The rows ``overdue_page`` read as ``queries.TaskView`` objects, as ``task_views`` gives them with the
    overdue list's columns (any other attribute is read from the ORM task on use)."""
    from datetime import timezone

    def when(value):
        return None if value is None else datetime.fromisoformat(value).replace(tzinfo=timezone.utc)

    views = []
    for row in json.loads(text):
        values = dict(zip(_OVERDUE_VIEW_KEYS, row))
        values["deadline"], values["extension_deadline"] = when(values["deadline"]), when(values["extension_deadline"])
        lead_code, lead_name, d_number, d_symbol, d_year, d_kind, d_title, d_status = row[len(_OVERDUE_VIEW_KEYS):]
        values["dispatch"] = queries._DispatchRef(id=values["dispatch_id"], number=d_number, symbol=d_symbol,
                                                  year=d_year, kind=d_kind, title=d_title, status=d_status)
        values["lead_unit"] = queries._UnitRef(id=values["lead_unit_id"], code=lead_code, name=lead_name)
        views.append(queries.TaskView(values))
    return views


# The office's dashboard on PostgreSQL: the counts (``SUMMARY_SQL``) and its three lists of rows, each one text, in
# one statement: the tasks due soon (``due_soon``), the pending extensions (``pending_extensions``) and the latest
# changes (``recent_event_views``), in their orders and limits, with what the dashboard shows of each row.
_LIST_TASK_KEYS = ("id", "dispatch_id", "lead_unit_id", "item", "title", "deadline", "deadline_text", "recurrence",
                   "period", "status", "on_time", "extension_deadline", "extension_requested_at")
_LIVE_T = "t." + _LIVE_SQL  # (the same condition on the tasks aliased ``t``)


def _task_list_sql(where: str, order: str, limit: int) -> str:
    columns = ", ".join(f"p.{key}" for key in _LIST_TASK_KEYS)
    return (f"(SELECT coalesce(json_agg(json_build_array({columns}, lu.code, lu.name, d.number, d.symbol, d.year, "
            f"d.kind, d.title, d.status) ORDER BY {order.replace('t.', 'p.')}), '[]')::text "
            f"FROM (SELECT {', '.join(f't.{key}' for key in _LIST_TASK_KEYS)} FROM tasks t WHERE {where} AND {_LIVE_T} "
            f"ORDER BY {order} LIMIT {int(limit)}) p "
            "JOIN units lu ON lu.id = p.lead_unit_id JOIN dispatches d ON d.id = p.dispatch_id)")


def _office_sql(due_limit: int, extensions_limit: int, recent_limit: int) -> str:
    due = _task_list_sql("t.status IN ('assigned', 'in_progress') AND t.deadline >= %(now)s AND t.deadline <= %(until)s",
                         "t.deadline ASC, t.id", due_limit)
    extensions = _task_list_sql("t.extension_deadline IS NOT NULL AND t.status IN ('assigned', 'in_progress', 'overdue')",
                                "t.extension_requested_at ASC, t.id", extensions_limit)
    recent = ("(SELECT coalesce(json_agg(json_build_array(r.id, r.event, r.at, r.task_id, r.actor_id, r.from_status, "
              "r.to_status, r.item, r.title, r.full_name, r.username) ORDER BY r.at DESC, r.id DESC), '[]')::text "
              "FROM (SELECT e.id, e.event, e.at, e.task_id, e.actor_id, e.from_status, e.to_status, t.item, t.title, "
              "a.full_name, a.username FROM task_events e JOIN tasks t ON t.id = e.task_id "
              f"LEFT OUTER JOIN users a ON a.id = e.actor_id WHERE {_LIVE_T} ORDER BY e.at DESC, e.id DESC "
              f"LIMIT {int(recent_limit)}) r)")
    return f"SELECT s.*, {due}, {extensions}, {recent} FROM ({SUMMARY_SQL}) s"


_OFFICE_SQL: dict = {}


def office_inputs(user, now: datetime, *, due_limit: int = 15, extensions_limit: int = 20, recent_limit: int = 8):
    """The office's dashboard inputs on PostgreSQL (``one_text_reads``), one statement: ``(counts, units key,
    table(), due soon text, extensions text, recent text)``; the texts become rows with ``list_views`` and
    ``event_views``. The same rows as ``summary``, ``due_soon``, ``pending_extensions`` and ``recent_events``."""
    limits = (due_limit, extensions_limit, recent_limit)
    sql = _OFFICE_SQL.get(limits)
    if sql is None:
        sql = _OFFICE_SQL[limits] = _office_sql(*limits)
    naive = _naive_utc(now)
    per_status, per_unit, due, extensions, recent = db.session.connection().exec_driver_sql(
        sql, {"as_of": naive, "now": naive, "until": _naive_utc(now + timedelta(days=yellow_days()))}).one()
    counts = status_counts(user, now, summary=[(None, status, n, late, 0) for status, n, late in json.loads(per_status)])
    return counts, ("units", per_unit), lambda: _unit_rows(per_unit), due, extensions, recent


def _when(value):
    from datetime import timezone

    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=timezone.utc)


def list_views(text: str) -> list:
    """The rows of a task list of ``office_inputs`` as ``queries.TaskView`` objects (as ``task_views`` gives
    them without the coordinating units; any column not read is read from the ORM task on use)."""
    views = []
    width = len(_LIST_TASK_KEYS)
    for row in json.loads(text):
        values = dict(zip(_LIST_TASK_KEYS, row))
        for key in ("deadline", "extension_deadline", "extension_requested_at"):
            values[key] = _when(values[key])
        lead_code, lead_name, d_number, d_symbol, d_year, d_kind, d_title, d_status = row[width:]
        values["dispatch"] = queries._DispatchRef(id=values["dispatch_id"], number=d_number, symbol=d_symbol,
                                                  year=d_year, kind=d_kind, title=d_title, status=d_status)
        values["lead_unit"] = queries._UnitRef(id=values["lead_unit_id"], code=lead_code, name=lead_name)
        views.append(queries.TaskView(values))
    return views


def event_views(text: str) -> list:
    """The latest changes of ``office_inputs`` as ``recent_event_views`` gives them."""
    rows = []
    for event_id, event, at, task_id, actor_id, from_status, to_status, item, title, full_name, username \
            in json.loads(text):
        actor = None if actor_id is None else queries._Attrs(id=actor_id, full_name=full_name, username=username)
        rows.append(_EventView(id=event_id, event=event, at=_when(at), task_id=task_id, actor_id=actor_id,
                               from_status=from_status, to_status=to_status, actor=actor,
                               task=queries._Attrs(id=task_id, item=item, title=title)))
    return rows


_LEADER_SQL: dict = {}


def leader_inputs(user, now: datetime, *, overdue_limit: int = 10):
    """The leader's dashboard inputs on PostgreSQL (``one_text_reads``), one statement: ``(counts, units key,
    table(), overdue text)``: ``summary``'s and the ``overdue_limit`` longest-late tasks (``overdue_tasks``), the
    text read with ``list_views``."""
    sql = _LEADER_SQL.get(overdue_limit)
    if sql is None:
        overdue = _task_list_sql("t.status IN ('assigned', 'in_progress', 'overdue') AND t.deadline IS NOT NULL "
                                 "AND (t.deadline < %(as_of)s OR t.status = 'overdue')", "t.deadline ASC, t.id ASC",
                                 overdue_limit)
        sql = _LEADER_SQL[overdue_limit] = f"SELECT s.*, {overdue} FROM ({SUMMARY_SQL}) s"
    per_status, per_unit, overdue_text = db.session.connection().exec_driver_sql(
        sql, {"as_of": _naive_utc(now)}).one()
    counts = status_counts(user, now, summary=[(None, status, n, late, 0) for status, n, late in json.loads(per_status)])
    return counts, ("units", per_unit), lambda: _unit_rows(per_unit), overdue_text
