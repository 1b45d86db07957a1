"""Read-side queries shared by the pages and the API (they never change state)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import selectinload

from models import OPEN_STATUSES, Dispatch, Task, Unit
from workflow import permissions
from workflow.kept import Kept
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
    instead of joining every dispatch. Built once (an expression never changes; several per page)."""
    global _LIVE_CONDITION
    if _LIVE_CONDITION is None:
        _LIVE_CONDITION = Task.dispatch_id.not_in(select(Dispatch.id).where(Dispatch.status == "draft"))
    return _LIVE_CONDITION


_LIVE_CONDITION = None


def title_has_words(words: list[str]):
    """Tasks whose folded title has every one of ``words`` as a whole word.

    On PostgreSQL the title's words as an array containing them all, which the GIN index
    ``ix_tasks_title_words`` answers; elsewhere one ``LIKE '% word %'`` per word (the same rows:
    ``title_folded`` is the words between single spaces)."""
    from sqlalchemy import Text, literal, literal_column
    from sqlalchemy.dialects.postgresql import ARRAY

    from workflow.extensions import db

    if db.engine.dialect.name == "postgresql":
        title_words = func.string_to_array(func.btrim(Task.title_folded), literal_column("' '"))
        return title_words.op("@>")(literal(list(words), ARRAY(Text)))
    return and_(*(Task.title_folded.contains(f" {word} ") for word in words))


def task_query(user, *, status=None, unit=None, dispatch=None, q=None, warning=None, now=None,
               deadline_from=None, deadline_to=None, include_drafts=False):
    """A SELECT of the tasks ``user`` may see, filtered."""
    query = select(Task)
    visible = permissions.visible_tasks_filter(user)
    if visible is not None and not (unit is not None and user.role == "department" and unit.id == user.unit_id):
        # (A department sees every task its own unit leads: with that filter the visibility condition
        # adds nothing, and repeated it makes PostgreSQL expect one row and loop over the units.)
        query = query.where(visible)
    if not include_drafts:
        query = query.where(live_condition())
    if status:
        query = query.where(Task.status == status)
    if unit is not None:
        query = query.where(Task.lead_unit_id == unit.id)
    if dispatch is not None:
        query = query.where(Task.dispatch_id == dispatch.id)
    words = search_words(q)
    if words:
        query = query.where(title_has_words(words))
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


def list_loads():
    """What a task list's JSON shows of each task's relations: the lead and coordinating units
    (id, code, name) and the dispatch's reference (not its recipients and other JSON columns,
    decoded for every row otherwise)."""
    from sqlalchemy.orm import joinedload

    return (joinedload(Task.lead_unit).load_only(Unit.id, Unit.code, Unit.name),
            selectinload(Task.coordinating_units).load_only(Unit.id, Unit.code, Unit.name),
            joinedload(Task.dispatch).load_only(Dispatch.id, Dispatch.number, Dispatch.symbol, Dispatch.year,
                                                Dispatch.title, Dispatch.kind, Dispatch.status))


SMALL_TOTAL = 2000  # a search with at most this many matches is paged from its ids (``paginate``)


def paginate(query, page: int, per_page: int, order_by=(), *, total: int | None = None,
             options=None, search: bool = False, views: bool = False, view_columns=None,
             coordinating: bool = True, built=None, params=None) -> Page:
    """One page of ``query``; ``total`` when the caller knows how many rows it has; ``options``
    the relationships to load with tasks (default: dispatch, lead and coordinating units).
    With ``views``, ``view_columns`` and ``coordinating`` are passed to ``task_views``; ``built`` (a key)
    and ``params``: ``query`` has bound parameters (``params``) and its page's statement is built once
    per (key, page) (``task_views(built=)``, issue 16)."""
    from workflow.extensions import db

    if options is None and not views:  # (plain rows need no loader options: not built for nothing)
        options = list_loads()
    if total is None:
        total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()), params or {})
    if (total or 0) <= SMALL_TOTAL and query.column_descriptions[0]["entity"] is Task and search:
        # A search's few matches (counted by the GIN index): their ids in order, then the page's rows.
        # With LIMIT, PostgreSQL would walk every task by deadline looking for them (it cannot know
        # how rare a word is); without, it reads the matches and sorts them.
        ids = db.session.scalars(query.with_only_columns(Task.id, maintain_column_froms=True)
                                 .order_by(*order_by)).all()[(page - 1) * per_page:page * per_page]
        if views:
            found = {t.id: t for t in task_views(select(Task).where(Task.id.in_(ids)), columns=view_columns,
                                                   coordinating=coordinating)}
        else:
            found = {t.id: t for t in db.session.scalars(select(Task).where(Task.id.in_(ids)).options(*options))}
        return Page(items=[found[i] for i in ids if i in found], total=total or 0, page=page, per_page=per_page)
    if views and query.column_descriptions[0]["entity"] is Task:
        # Plain rows for the lists' JSON and pages (``task_views``): no ORM objects to build.
        items = task_views(query, order_by, limit=per_page, offset=(page - 1) * per_page, columns=view_columns,
                           coordinating=coordinating, params=params, built=None if built is None else (
                               built, per_page, page, tuple(view_columns or ()), coordinating))
        return Page(items=items, total=total or 0, page=page, per_page=per_page)
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

    key = lead_unit_id is not None
    query = _LATE_OPEN.get(key)
    if query is None:  # built once (issue 16), ``as_of`` and ``unit`` bound
        query = select(Task.lead_unit_id, Task.status, func.count()).where(
            Task.status.in_([s for s in OPEN_STATUSES if s != "overdue"]), Task.deadline < bindparam("as_of"),
            live_condition())
        if lead_unit_id is not None:
            query = query.where(Task.lead_unit_id == bindparam("unit"))
        query = _LATE_OPEN[key] = query.group_by(Task.lead_unit_id, Task.status)
    return {(unit, status): n for unit, status, n in
            db.session.execute(query, {"as_of": as_of, "unit": lead_unit_id})}


_LATE_OPEN: dict = {}


def late_per_unit(user, as_of: datetime) -> dict[int, int]:
    """Tasks the user sees late at ``as_of`` (``late_condition``), per lead unit with any.

    Late at ``as_of`` is "overdue now" or "open with a deadline before it": for a user who sees
    every task the first part comes from the task counts (``workflow.counts``)."""
    from workflow import counts
    from workflow.extensions import db

    late: dict[int, int] = {}
    if permissions.visible_tasks_filter(user) is None:
        for (unit, status), (n, _) in counts.stored(db.session, status="overdue").items():
            if status == "overdue":
                late[unit] = late.get(unit, 0) + n
        for (unit, _), n in late_open(as_of).items():
            late[unit] = late.get(unit, 0) + n
    else:
        query = task_query(user).with_only_columns(Task.lead_unit_id, func.count()).where(late_condition(as_of))
        late = dict(db.session.execute(query.group_by(Task.lead_unit_id)).all())
    return {unit: n for unit, n in late.items() if n}


_UNDATED = None


def overdue_total(user, as_of: datetime, per_unit: dict[int, int] | None = None) -> int | None:
    """How many rows ``overdue_query(user, as_of)`` gives, from the task counts, for a user who
    sees every task (None otherwise: count the query): every late task (``late_per_unit``, pass
    it when already read) less the overdue ones without a deadline, which the list leaves out."""
    from workflow.extensions import db

    if permissions.visible_tasks_filter(user) is not None:
        return None
    if per_unit is None:
        per_unit = late_per_unit(user, as_of)
    global _UNDATED
    if _UNDATED is None:  # built once (issue 16)
        _UNDATED = select(func.count()).select_from(Task).where(
            Task.status == "overdue", Task.deadline.is_(None), live_condition())
    undated = db.session.scalar(_UNDATED)
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


# --- the answer to a change: a task read by two queries ----------------------------------------

# Built once: an alias's columns (with their foreign keys) cost milliseconds to build per request.
_VIEW_LEAD = Unit.__table__.alias("view_lead")
_VIEW_DISPATCH = Dispatch.__table__.alias("view_dispatch")


class _Attrs:
    """Plain attributes (a unit, a dispatch, a history row of a ``TaskView``); with ``_model``, an
    attribute it does not hold is read from that ORM object (by ``id``) on first use."""

    _model = None

    def __init__(self, **values):
        self.__dict__.update(values)

    def __getattr__(self, name: str):
        model = type(self)._model
        if name.startswith("__") or model is None or "id" not in self.__dict__:
            raise AttributeError(name)
        from workflow.extensions import db

        orm = self.__dict__.get("_orm")
        if orm is None:
            orm = self.__dict__["_orm"] = db.session.get(model, self.__dict__["id"])
        return getattr(orm, name)


class _UnitRef(_Attrs):
    _model = Unit


class _DispatchRef(_Attrs):
    _model = Dispatch
    full_number = Dispatch.full_number
    reference = Dispatch.reference
    display_name = Dispatch.display_name
    status_label = Dispatch.status_label


class TaskView:
    """A committed task as its JSON and page show it, read by ``task_view`` without the ORM:
    every column, ``dispatch`` (id, number, symbol, year, kind, title, status, ``reference``),
    ``lead_unit`` and ``coordinating_units`` (id, code, name), ``events`` (each with ``actor``).
    Task's own helpers (``is_late``, ``missing_six_clear`` …) work on it; any other attribute
    (a relationship added later) is read from the ORM ``Task`` on first use."""

    is_open = Task.is_open
    status_label = Task.status_label
    has_pending_extension = Task.has_pending_extension
    is_late = Task.is_late
    missing_six_clear = Task.missing_six_clear

    def __init__(self, values: dict):
        self.__dict__.update(values)

    def __getattr__(self, name: str):
        if name.startswith("__") or "id" not in self.__dict__:
            raise AttributeError(name)
        orm = self.__dict__.get("_orm")
        if orm is None:
            orm = self.__dict__["_orm"] = task_detail(self.__dict__["id"])
        return getattr(orm, name)

    def __repr__(self) -> str:
        return f"<TaskView {self.id} {self.item} {self.status}>"


_TASK_VIEW_STATEMENTS: tuple = ()
_EVENT_KEYS: list = []


def _event_keys() -> list:
    from models import TaskEvent

    _EVENT_KEYS[:] = [column.key for column in TaskEvent.__table__.c]
    return _EVENT_KEYS


def task_head(task, *leading):
    """``task_view``'s head query for ``task`` (the tasks table, or a CTE of its rows): ``leading``
    columns, then the dispatch, the lead unit and a coordinating unit per row, by that unit's name."""
    from models import task_coordinating_units as links

    dispatches, units, lead = Dispatch.__table__, Unit.__table__, _VIEW_LEAD
    return (select(*leading, dispatches.c.id, dispatches.c.number, dispatches.c.symbol, dispatches.c.year,
                   dispatches.c.kind, dispatches.c.title, dispatches.c.status, lead.c.code, lead.c.name,
                   units.c.id, units.c.code, units.c.name)
            .select_from(task.join(dispatches, dispatches.c.id == task.c.dispatch_id)
                         .join(lead, lead.c.id == task.c.lead_unit_id)
                         .outerjoin(links, links.c.task_id == task.c.id)
                         .outerjoin(units, units.c.id == links.c.unit_id))
            .order_by(units.c.name))


def _task_view_statements() -> tuple:
    """The two queries of ``task_view``, built once with the task id as a bound parameter: building
    a statement and its cache key costs more Python than running it (issue 16)."""
    global _TASK_VIEW_STATEMENTS
    if not _TASK_VIEW_STATEMENTS:
        from sqlalchemy import bindparam

        from models import TaskEvent, User

        tasks = Task.__table__
        head = task_head(tasks).where(tasks.c.id == bindparam("task_id"))
        events = (select(TaskEvent.__table__, User.__table__.c.username)
                  .outerjoin(User.__table__, User.__table__.c.id == TaskEvent.__table__.c.actor_id)
                  .where(TaskEvent.__table__.c.task_id == bindparam("task_id"))
                  .order_by(TaskEvent.__table__.c.id))
        _TASK_VIEW_STATEMENTS = (head, events)
    return _TASK_VIEW_STATEMENTS


def task_view(row) -> TaskView:
    """``row`` (a task's columns, as just written) with its dispatch, units and history: two queries."""
    from workflow.extensions import db

    head_query, events_query = _task_view_statements()
    head = db.session.execute(head_query, {"task_id": row["id"]}).all()
    events = db.session.execute(events_query, {"task_id": row["id"]}).all()
    return task_view_of(row, head, events)


def task_view_of(row, head, events) -> TaskView:
    """The ``TaskView`` of ``row`` from the rows ``task_view``'s two queries give (``head``: the
    dispatch, lead unit and a coordinating unit per row; ``events``: the history with each actor's
    username), however they were read (the event path reads them with its own statements)."""
    first = head[0]
    values = dict(row)
    values["dispatch"] = _DispatchRef(id=first[0], number=first[1], symbol=first[2], year=first[3], kind=first[4],
                                      title=first[5], status=first[6])
    values["lead_unit"] = _UnitRef(id=row["lead_unit_id"], code=first[7], name=first[8])
    values["coordinating_units"] = [_UnitRef(id=r[9], code=r[10], name=r[11]) for r in head if r[9] is not None]
    # The history's rows as tuples (the event's columns in table order, then the actor's username):
    # cheaper than a mapping per row, and an event's answer carries the whole, growing history.
    keys = _EVENT_KEYS or _event_keys()
    history = []
    for e in events:
        event = dict(zip(keys, e))
        event["actor"] = None if event["actor_id"] is None else _Attrs(id=event["actor_id"], username=e[-1])
        history.append(_Attrs(**event))
    values["events"] = history
    return TaskView(values)


# --- list totals without counting every task -------------------------------------------------

def task_total(user, query, *, status=None, unit=None, dispatch=None, q=None, warning=None, now=None,
               deadline_from=None, deadline_to=None, **_) -> int:
    """How many rows ``query`` (``task_query(user, **filters)``) gives: from the task counts when
    the filters allow it (``counts_total``), else one count that the indexes answer."""
    from workflow.extensions import db

    total = counts_total(user, status=status, unit=unit, warning=warning, now=now) \
        if dispatch is None and not search_words(q) and deadline_from is None and deadline_to is None else None
    if total is None:
        total = db.session.scalar(query.order_by(None).with_only_columns(func.count(), maintain_column_froms=True))
    return total or 0


def counts_total(user, *, status=None, unit=None, warning=None, now=None) -> int | None:
    """The total of the live tasks a user who sees every task gets with these filters, read from the
    task counts (``workflow.counts``): by status and unit; ``red`` adds the open tasks past their
    deadline the sweep has not marked (``late_open``); ``green`` takes away the open tasks due
    within the yellow window (an index range). None when it cannot say (a department user,
    ``yellow``): count the query instead."""
    from workflow import counts
    from workflow.extensions import db

    if not permissions.sees_every_task(user) or warning == "yellow" or (warning and now is None):
        return None
    unit_id = unit.id if unit is not None else None
    kept = counts.totals_by_status(db.session, lead_unit_id=unit_id)
    statuses = [status] if status else ["assigned", "in_progress", "overdue", "completed"]

    def kept_in(wanted) -> int:
        return sum(kept.get(s, 0) for s in wanted)

    if warning is None:
        return kept_in(statuses)
    if warning == "red":
        late = late_open(now, lead_unit_id=unit_id)
        return kept_in([s for s in statuses if s == "overdue"]) + sum(
            n for (_, s), n in late.items() if s in statuses)
    if warning == "green":
        from datetime import timedelta

        from flask import current_app

        open_ = [s for s in statuses if s in ("assigned", "in_progress")]
        due_soon = 0
        if open_:
            yellow = now + timedelta(days=current_app.config.get("WARNING_YELLOW_DAYS", 3))
            near = select(func.count()).select_from(Task).where(
                Task.status.in_(open_), Task.deadline.is_not(None), Task.deadline <= yellow, live_condition())
            if unit_id is not None:
                near = near.where(Task.lead_unit_id == unit_id)
            due_soon = db.session.scalar(near) or 0
        return kept_in([s for s in statuses if s == "completed"]) + kept_in(open_) - due_soon
    return None


_BUILT_VIEWS = Kept(256)  # statements of task_views(built=): pages of /overdue are keys too


def task_views(query, order_by=(), *, limit: int | None = None, offset: int = 0,
               coordinating: bool = True, columns=None, built=None, params=None) -> list[TaskView]:
    """The rows of ``query`` (a ``select(Task)``) as ``TaskView`` objects, read with SQLAlchemy Core:
    the tasks with their lead unit and dispatch in one query, their coordinating units in one more
    (unless ``coordinating`` is False). A list of 50 tasks costs a fraction of the ORM objects' CPU;
    the views serve ``task_json`` and the list pages the same attributes (``history`` excepted).
    ``columns`` (names): only these of the task's columns (with ``id``, ``lead_unit_id`` and
    ``dispatch_id``), for a page that shows a few; any other is read from the ORM task on use.
    ``built`` (a key): the statement is built once under that key and run with ``params`` (its bound
    parameters); ``query`` may then be a function giving it, called only to build (issue 16)."""
    from models import task_coordinating_units as links
    from workflow.extensions import db

    tasks = Task.__table__
    lead, source = _VIEW_LEAD, _VIEW_DISPATCH
    extra = (lead.c.code.label("_lead_code"), lead.c.name.label("_lead_name"), source.c.number.label("_d_number"),
             source.c.symbol.label("_d_symbol"), source.c.year.label("_d_year"), source.c.kind.label("_d_kind"),
             source.c.title.label("_d_title"), source.c.status.label("_d_status"))
    chosen = list(tasks.c) if columns is None else \
        [c for c in tasks.c if c.key in set(columns) | {"id", "lead_unit_id", "dispatch_id"}]

    def build():
        base = query() if callable(query) else query
        statement = (base.with_only_columns(*chosen, *extra, maintain_column_froms=True)
                     .join(lead, lead.c.id == tasks.c.lead_unit_id).join(source, source.c.id == tasks.c.dispatch_id)
                     .order_by(*order_by))
        return statement if limit is None else statement.limit(limit).offset(offset)

    statement = build() if built is None else _BUILT_VIEWS.get(built, build)
    # Rows as tuples: the chosen columns of the task in table order, then ``extra`` (cheaper than a mapping
    # per row).
    rows = db.session.execute(statement, params or {}).all()
    columns = [c.key for c in chosen]
    width, at_id = len(columns), columns.index("id")
    units: dict[int, list] = {}
    if coordinating and rows:
        found = db.session.execute(
            select(links.c.task_id, Unit.__table__.c.id, Unit.__table__.c.code, Unit.__table__.c.name)
            .join(Unit.__table__, Unit.__table__.c.id == links.c.unit_id)
            .where(links.c.task_id.in_([r[at_id] for r in rows])).order_by(Unit.__table__.c.name))
        for task_id, unit_id, code, name in found:
            units.setdefault(task_id, []).append(_UnitRef(id=unit_id, code=code, name=name))
    views = []
    for row in rows:
        values = dict(zip(columns, row))
        lead_code, lead_name, d_number, d_symbol, d_year, d_kind, d_title, d_status = row[width:width + 8]
        values["dispatch"] = _DispatchRef(id=values["dispatch_id"], number=d_number, symbol=d_symbol, year=d_year,
                                          kind=d_kind, title=d_title, status=d_status)
        values["lead_unit"] = _UnitRef(id=values["lead_unit_id"], code=lead_code, name=lead_name)
        if coordinating:
            values["coordinating_units"] = units.get(values["id"], [])
        views.append(TaskView(values))
    return views
