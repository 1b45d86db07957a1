"""Task counts per (lead unit, status), kept exact in the same transaction as every change.

The dashboards and the overdue list need totals over every live task (tasks of issued or
closed dispatches). Counting 100,000 rows on every page view does not scale, so the table
``task_counts`` (``models.TaskCount``) holds, per lead unit and status, how many live tasks there
are and how many of them were completed on time. It is derived data, like an index:

- every ORM flush that adds, changes or deletes a task, or issues a dispatch, adds its deltas
  here (``_after_flush``, one multi-row upsert per flush, in the flush's transaction);
- the set-based sweep, which bypasses the ORM, adds its batch's deltas itself (``add_grouped``);
- code that writes tasks with bulk Core statements (the benchmark generator) calls ``rebuild``;
- ``verify-audit`` compares the table with a recount (``discrepancies``), and
  ``flask --app wsgi rebuild-counts`` rebuilds it.

Deltas are applied in (unit, status) order, so two transactions never take the same rows'
locks in opposite orders. A task's dispatch never changes; its lead unit may (it is counted).
"""
from __future__ import annotations

from collections import defaultdict
from itertools import chain

from sqlalchemy import bindparam, case, delete, event, func, inspect, select
from sqlalchemy.orm import Session

from models import Dispatch, Task, TaskCount
from models.types import insert_for

Key = tuple[int, str]
Deltas = dict[Key, list[int]]  # (lead unit id, status) -> [tasks, completed on time]


def apply(connection, deltas: Deltas) -> None:
    """Add ``deltas`` to the counts in one statement (rows in key order)."""
    rows = [{"lead_unit_id": unit, "status": status, "n": n, "on_time": on_time}
            for (unit, status), (n, on_time) in sorted(deltas.items()) if n or on_time]
    if not rows:
        return
    table = TaskCount.__table__
    stmt = insert_for(connection.dialect.name)(table).values(rows)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.lead_unit_id, table.c.status],
                                      set_={"n": table.c.n + stmt.excluded.n,
                                            "on_time": table.c.on_time + stmt.excluded.on_time})
    connection.execute(stmt)


def _grouped(where) -> select:
    return (select(Task.lead_unit_id, Task.status, func.count(),
                   func.sum(case((Task.on_time.is_(True), 1), else_=0)))
            .where(where).group_by(Task.lead_unit_id, Task.status))


def add_grouped(connection, where, sign: int = 1, *, moved_to: str | None = None) -> None:
    """Add (``sign`` = 1) or remove (-1) the tasks matching ``where``, as they are now; with
    ``moved_to``, move them from their current status to that one (the sweep's batch)."""
    deltas: Deltas = defaultdict(lambda: [0, 0])
    for unit, status, n, on_time in connection.execute(_grouped(where)):
        on_time = int(on_time or 0)
        if moved_to is None:
            deltas[(unit, status)][0] += sign * n
            deltas[(unit, status)][1] += sign * on_time
        elif status != moved_to:
            deltas[(unit, status)][0] -= n
            deltas[(unit, status)][1] -= on_time
            deltas[(unit, moved_to)][0] += n
            deltas[(unit, moved_to)][1] += on_time
    apply(connection, deltas)


def _values(task: Task, *, old: bool) -> tuple[int | None, str | None, int]:
    """(lead unit id, status, on time 0/1) before (``old``) or after the flush."""
    state = inspect(task)

    def value(name: str):
        history = state.attrs[name].history
        if old and history.deleted:
            return history.deleted[0]
        if not old and history.added:
            return history.added[0]
        if history.unchanged:
            return history.unchanged[0]
        if old and history.added:  # set for the first time in this flush: it had no value
            return None
        return getattr(task, name)

    unit_id = value("lead_unit_id")
    moved = state.attrs.lead_unit.history  # set through the relationship: the id is synced without history
    if moved.added or moved.deleted:
        units = moved.deleted if old else moved.added
        unit_id = units[0].id if units and units[0] is not None else (None if not old else unit_id)
    return unit_id, value("status"), 1 if value("on_time") is True else 0


def _dispatch_liveness_changes(session: Session) -> dict[int, int]:
    """Dispatches whose liveness changes in this flush: id -> +1 (issued) or -1 (back to draft)."""
    changes = {}
    for obj in session.dirty:
        if isinstance(obj, Dispatch):
            history = inspect(obj).attrs.status.history
            if history.deleted and history.added:
                was_live, is_live = history.deleted[0] != "draft", history.added[0] != "draft"
                if was_live != is_live:
                    changes[obj.id] = 1 if is_live else -1
    return changes


def _is_live(task: Task) -> bool:
    dispatch = task.dispatch
    return dispatch is not None and dispatch.status != "draft"


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context) -> None:
    objects = [o for o in chain(session.new, session.dirty, session.deleted) if isinstance(o, (Task, Dispatch))]
    if not objects:
        return
    liveness = _dispatch_liveness_changes(session)
    deltas: Deltas = defaultdict(lambda: [0, 0])

    def add(values, sign):
        unit, status, on_time = values
        if unit is not None and status is not None:
            deltas[(unit, status)][0] += sign
            deltas[(unit, status)][1] += sign * on_time

    for obj in objects:
        if not isinstance(obj, Task) or obj.dispatch_id in liveness or not _is_live(obj):
            continue
        if obj in session.new:
            add(_values(obj, old=False), 1)
        elif obj in session.deleted:
            add(_values(obj, old=True), -1)
        else:
            before, after = _values(obj, old=True), _values(obj, old=False)
            if before != after:
                add(before, -1)
                add(after, 1)
    connection = session.connection()
    apply(connection, deltas)
    for dispatch_id, sign in sorted(liveness.items()):
        add_grouped(connection, Task.dispatch_id == dispatch_id, sign)


# --- reading and checking -----------------------------------------------------------------

def live_tasks():
    """The live tasks' condition: not in a draft dispatch."""
    return Task.dispatch_id.not_in(select(Dispatch.id).where(Dispatch.status == "draft"))


def recount(session) -> dict[Key, tuple[int, int]]:
    """The counts as the tasks give them now (a full scan: for checks and rebuilds)."""
    return {(unit, status): (n, int(on_time or 0))
            for unit, status, n, on_time in session.execute(_grouped(live_tasks()))}


def stored(session, *, lead_unit_id: int | None = None, status: str | None = None) -> dict[Key, tuple[int, int]]:
    key = (lead_unit_id is not None, status is not None)
    query = _STORED.get(key)
    if query is None:  # built once per kind (issue 16), the unit and status bound
        query = select(TaskCount.lead_unit_id, TaskCount.status, TaskCount.n, TaskCount.on_time)
        if lead_unit_id is not None:
            query = query.where(TaskCount.lead_unit_id == bindparam("unit"))
        if status is not None:  # one status only (the overdue list's units: issue 16)
            query = query.where(TaskCount.status == bindparam("status"))
        _STORED[key] = query
    return {(unit, status): (n, on_time) for unit, status, n, on_time
            in session.execute(query, {"unit": lead_unit_id, "status": status}) if n or on_time}


_STORED: dict = {}


def discrepancies(session) -> list[str]:
    """Where the stored counts differ from a recount (Vietnamese, for verify-audit)."""
    actual, kept = recount(session), stored(session)
    problems = []
    for unit, status in sorted(set(actual) | set(kept)):
        a, k = actual.get((unit, status), (0, 0)), kept.get((unit, status), (0, 0))
        if a != k:
            problems.append(f"bảng đếm: đơn vị {unit}, trạng thái {status}: lưu {k[0]} nhiệm vụ "
                            f"({k[1]} đúng hạn), đếm lại được {a[0]} ({a[1]} đúng hạn)")
    return problems


def rebuild(session) -> int:
    """Replace the counts by a recount (no commit: callers own it); returns the rows written."""
    session.execute(delete(TaskCount))
    rows = recount(session)
    apply(session.connection(), {key: list(value) for key, value in rows.items()})
    return len(rows)


_TOTALS_BY_STATUS: dict = {}


def totals_by_status(session, *, lead_unit_id: int | None = None) -> dict[str, int]:
    """The stored counts summed per status (of one lead unit when given), summed by the database:
    what a list's total needs, without reading the ~1,200 rows of every unit (issue 16). The
    statement is built once per shape, the unit a bound parameter."""
    from sqlalchemy import bindparam

    by_unit = lead_unit_id is not None
    query = _TOTALS_BY_STATUS.get(by_unit)
    if query is None:
        query = select(TaskCount.status, func.sum(TaskCount.n)).group_by(TaskCount.status)
        if by_unit:
            query = query.where(TaskCount.lead_unit_id == bindparam("totals_unit_id"))
        _TOTALS_BY_STATUS[by_unit] = query
    return {status: int(n or 0) for status, n in
            session.execute(query, {"totals_unit_id": lead_unit_id} if by_unit else {})}
