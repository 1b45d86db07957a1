"""``GET /api/v1/tasks`` computed lean (issue 16, round 3).

The answer is exactly what ``queries.task_query`` + ``queries.paginate`` + ``serializers.task_json`` +
``listing`` give (``views.task_list_reference``, which the tests compare it with), computed with less:

- every statement is built once per shape (which filters are given, the caller's kind, the database)
  with the values as bound parameters: no statement and cache key to build per request;
- the page's rows are read with SQLAlchemy Core, only the columns the JSON shows, with the lead unit,
  the dispatch's reference and (PostgreSQL) the coordinating units in the same statement;
- each row becomes its JSON dict in one function, without ORM objects or views, and the page is
  encoded once by the application's JSON provider (same settings as ``jsonify``);
- a department's total comes from the task counts (``workflow.counts``) for the tasks its unit leads,
  plus a count of the few tasks it only coordinates, instead of counting the led-or-coordinated
  condition (which PostgreSQL answers by reading every task of the unit).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import (DateTime, Integer, Text, and_, any_, bindparam, cast, func, literal_column, or_, select,
                        type_coerce, union_all)
from sqlalchemy.types import NullType
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by, array

from models import OPEN_STATUSES, Dispatch, Task, Unit, task_coordinating_units
from models.task import missing_six_clear
from workflow import permissions, queries
from workflow.clock import local_tz
from workflow.deadlines import warning_level
from workflow.kept import Kept

# (name, shape) -> a statement built once; bounded (a search's word count is part of a shape on SQLite)
_STATEMENTS = Kept(512)

_tasks = Task.__table__
_units = Unit.__table__
_dispatches = Dispatch.__table__
_links = task_coordinating_units
_lead = _units.alias("list_lead")
_deadline_type = _tasks.c.deadline.type

# The task's columns the JSON shows, in this order (``_item`` unpacks them by position).
_COLUMNS = ("id", "item", "title", "lead_unit_id", "deadline", "deadline_text", "recurrence", "period",
            "series_id", "product", "person_in_charge", "authority", "status", "evidence_number",
            "evidence_date", "evidence_note", "completed_at", "on_time", "extension_deadline",
            "extension_reason", "extension_requested_at", "extended", "version", "dispatch_id")


class Filters:
    """The parsed query string (what ``task_query`` takes), ``unit_id``/``dispatch_id`` as ids."""

    __slots__ = ("status", "unit_id", "dispatch_id", "words", "warning", "now", "deadline_from", "deadline_to")

    def __init__(self, *, status, unit_id, dispatch_id, words, warning, now, deadline_from, deadline_to):
        self.status, self.unit_id, self.dispatch_id, self.words = status, unit_id, dispatch_id, words
        self.warning, self.now, self.deadline_from, self.deadline_to = warning, now, deadline_from, deadline_to


def _postgresql() -> bool:
    from workflow.extensions import db

    return db.engine.dialect.name == "postgresql"


def _caller_kind(user, unit_id) -> str | None:
    """"all" (sees every task), "led" (a department filtering its own unit: its led tasks, no
    visibility condition, as ``task_query``), "unit" (a department: led or coordinated), None (a
    caller who sees nothing: the reference path answers)."""
    if permissions.sees_every_task(user):
        return "all"
    if user.role == "department" and user.unit_id is not None:
        return "led" if unit_id is not None and unit_id == user.unit_id else "unit"
    return None


def _conditions(kind: str, f: Filters, pg: bool, yellow_days: int) -> list:
    """``task_query``'s conditions with bound parameters (names: me, status, unit, dispatch, w0…/words,
    dfrom, dto, now, yellow)."""
    where = []
    if kind == "unit":
        where.append(permissions.unit_tasks_filter(bindparam("me", type_=Integer)))
    where.append(queries.live_condition())
    if f.status:
        where.append(_tasks.c.status == bindparam("status", type_=_tasks.c.status.type))
    if f.unit_id is not None:
        where.append(_tasks.c.lead_unit_id == bindparam("unit", type_=Integer))
    if f.dispatch_id is not None:
        where.append(_tasks.c.dispatch_id == bindparam("dispatch", type_=Integer))
    if f.words:
        if pg:
            title_words = func.string_to_array(func.btrim(_tasks.c.title_folded), literal_column("' '"))
            where.append(title_words.op("@>")(bindparam("words", type_=ARRAY(Text))))
        else:
            where.extend(_tasks.c.title_folded.contains(bindparam(f"w{i}", type_=Text)) for i in range(len(f.words)))
    if f.deadline_from is not None:
        where.append(_tasks.c.deadline >= bindparam("dfrom", type_=_deadline_type))
    if f.deadline_to is not None:
        where.append(_tasks.c.deadline <= bindparam("dto", type_=_deadline_type))
    if f.warning:
        now, yellow = bindparam("now", type_=_deadline_type), bindparam("yellow", type_=_deadline_type)
        deadline, status = _tasks.c.deadline, _tasks.c.status
        if f.warning == "red":
            where.append(or_(status == "overdue",
                             and_(status.in_(OPEN_STATUSES), deadline.is_not(None), deadline < now)))
        elif f.warning == "yellow":
            where.extend((status.in_(("assigned", "in_progress")), deadline >= now, deadline <= yellow))
        elif f.warning == "green":
            where.append(or_(status == "completed",
                             and_(status.in_(("assigned", "in_progress")),
                                  or_(deadline.is_(None), deadline > yellow))))
    return where


def _params(user, f: Filters, yellow_days: int) -> dict:
    params = {"me": user.unit_id, "status": f.status, "unit": f.unit_id, "dispatch": f.dispatch_id,
              "dfrom": f.deadline_from, "dto": f.deadline_to, "now": f.now,
              "yellow": None if f.now is None else f.now + timedelta(days=yellow_days)}
    if f.words:
        params["words"] = list(f.words)
        for i, word in enumerate(f.words):
            params[f"w{i}"] = f" {word} "
    return params


def _shape(kind: str, f: Filters, pg: bool) -> tuple:
    return (kind, pg, bool(f.status), f.unit_id is not None, f.dispatch_id is not None,
            bool(f.words) if pg else len(f.words),  # (PostgreSQL: the words are one array parameter)
            f.deadline_from is not None, f.deadline_to is not None, f.warning)


_ORDER = (_tasks.c.deadline.asc().nulls_last(), _tasks.c.id.asc())


_DATETIMES = frozenset({"deadline", "completed_at", "extension_deadline", "extension_requested_at"})


def _row_columns() -> list:
    # The datetimes as stored (naive UTC, ``models.types.UTCDateTime``) without its conversion per value:
    # ``_item`` makes the four it shows aware.
    columns = [type_coerce(_tasks.c[name], DateTime()).label(name) if name in _DATETIMES else _tasks.c[name]
               for name in _COLUMNS]
    return columns + [_dispatches.c.number.label("d_number"), _dispatches.c.symbol.label("d_symbol"),
                      _lead.c.code.label("lead_code"), _lead.c.name.label("lead_name")]


def _with_coordinating(rows, *, ordered: bool):
    """(PostgreSQL) ``rows`` (a SELECT of ``_row_columns``) with one more column, the task's coordinating
    units as [[code, name], …] by name: the rows as a CTE, their units aggregated by one join (a
    subquery per row would make PostgreSQL scan the units for each row). The CTEs are nested in a
    subquery, so that the statement starts with ``SELECT``: ``workflow.dbtuning`` then knows it for a
    read (PostgreSQL allows a data-modifying ``WITH`` only at the top), and a read-only request still
    ends keeping its prepared statements (and its answer may be kept, ``workflow.snapshots``)."""
    page = rows.cte("list_page", nesting=True)
    units = (select(_links.c.task_id, func.array_agg(aggregate_order_by(array([_units.c.code, _units.c.name]),
                                                                        _units.c.name), type_=NullType()).label("units"))
             .join(_units, _units.c.id == _links.c.unit_id)
             # (ids as an array: an index look-up per id, not a scan of every link)
             .where(_links.c.task_id == any_(cast(select(func.array_agg(page.c.id)).scalar_subquery(),
                                                  ARRAY(Integer))))
             .group_by(_links.c.task_id).cte("list_coordinating", nesting=True))
    found = select(page, units.c.units).select_from(page.outerjoin(units, units.c.task_id == page.c.id)) \
        .subquery("list_rows")
    statement = select(*found.c)
    return statement.order_by(found.c.deadline.asc().nulls_last(), found.c.id.asc()) if ordered else statement


def _rows_from(statement):
    return (statement.select_from(_tasks.join(_lead, _lead.c.id == _tasks.c.lead_unit_id)
                                  .join(_dispatches, _dispatches.c.id == _tasks.c.dispatch_id)))


def _statement(name: str, shape: tuple, build):
    return _STATEMENTS.get((name, shape), build)


def _page_statement(shape, where, pg, kind=None, f=None, yellow_days=3):
    rows = _rows_from(select(*_row_columns())).where(*where).order_by(*_ORDER) \
        .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer))
    if pg and kind == "unit":
        rows = _rows_from(select(*_row_columns())).where(
            _tasks.c.id.in_(select(_unit_page_ids(f, yellow_days).c.id))).order_by(*_ORDER) \
            .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer))
    return _with_coordinating(rows, ordered=True) if pg else rows


def _unit_page_ids(f: Filters, yellow_days: int):
    """(PostgreSQL) A department's page candidates: the first ``upto`` (offset + page size) tasks its unit
    leads and the first ``upto`` it only coordinates, each in the lists' order, with the other filters.
    The page is among them (the two parts are disjoint and the order is total); each part is an
    ordered walk that stops (``ix_tasks_lead_deadline_id``; the coordinated ids by primary key) where
    "led or coordinated" in one condition made PostgreSQL read and sort every task of the unit."""
    me, upto = bindparam("me", type_=Integer), bindparam("upto", type_=Integer)
    other = _conditions("led", f, True, yellow_days)  # the filters without the visibility condition
    led = select(_tasks.c.id).where(_tasks.c.lead_unit_id == me, *other).order_by(*_ORDER).limit(upto)
    coordinated_ids = select(func.array_agg(_links.c.task_id)).where(_links.c.unit_id == me).scalar_subquery()
    coordinated = select(_tasks.c.id).where(_tasks.c.id == any_(cast(coordinated_ids, ARRAY(Integer))),
                                            _tasks.c.lead_unit_id != me, *other).order_by(*_ORDER).limit(upto)
    return union_all(led.subquery().select(), coordinated.subquery().select()).subquery("unit_page")


def _count_statement(shape, where):
    return select(func.count()).select_from(_tasks).where(*where)


def _coordinated_count_statement(pg: bool, where):
    """The tasks a unit coordinates and does not lead, with the other filters (``where`` without the
    visibility condition). On PostgreSQL their ids as an array (primary key look-ups, as
    ``permissions.unit_tasks_filter``; a join would let PostgreSQL scan every task)."""
    me = bindparam("me", type_=Integer)
    if pg:
        ids = select(func.array_agg(_links.c.task_id)).where(_links.c.unit_id == me).scalar_subquery()
        return select(func.count()).select_from(_tasks).where(
            _tasks.c.id == any_(cast(ids, ARRAY(Integer))), _tasks.c.lead_unit_id != me, *where)
    return select(func.count()).select_from(_links.join(_tasks, _tasks.c.id == _links.c.task_id)).where(
        _links.c.unit_id == me, _tasks.c.lead_unit_id != me, *where)


def body(user, now: datetime, page: int, per_page: int, f: Filters, config) -> dict | None:
    """The answer's dict ({items, total, page, per_page}); None when the reference path must answer."""
    from workflow.extensions import db

    kind = _caller_kind(user, f.unit_id)
    if kind is None:
        return None
    pg = _postgresql()
    yellow_days = config.get("WARNING_YELLOW_DAYS", 3)
    shape = _shape(kind, f, pg)
    params = _params(user, f, yellow_days)
    connection = db.session.connection()
    where = None

    def conditions():
        nonlocal where
        if where is None:
            where = _conditions(kind, f, pg, yellow_days)
        return where

    total = _stored_total(user, kind, f, yellow_days, shape, params)
    if total is None:
        statement = _statement("count", shape, lambda: _count_statement(shape, conditions()))
        total = connection.execute(statement, params).scalar() or 0
    offset = (page - 1) * per_page
    if f.words and total <= queries.SMALL_TOTAL:
        # A search's few matches: their ids in order, then the page's rows (as ``paginate``).
        ids_statement = _statement(
            "ids", shape, lambda: select(_tasks.c.id).where(*conditions()).order_by(*_ORDER))
        ids = connection.execute(ids_statement, params).scalars().all()[offset:offset + per_page]
        rows = []
        if ids:
            by_ids = _statement("by_ids", pg, lambda: _with_coordinating(_rows_from(select(*_row_columns())).where(
                _tasks.c.id == func.any(bindparam("ids", type_=ARRAY(Integer)))), ordered=False) if pg else
                _rows_from(select(*_row_columns())).where(_tasks.c.id.in_(bindparam("ids", expanding=True))))
            found = {r[0]: r for r in connection.execute(by_ids, {"ids": list(ids)})}
            rows = [found[i] for i in ids if i in found]
    else:
        statement = _statement(
            "page", shape, lambda: _page_statement(shape, conditions(), pg, kind, f, yellow_days))
        params["limit"], params["offset"], params["upto"] = per_page, offset, offset + per_page
        rows = connection.execute(statement, params).all()
    coordinating = None if pg else _coordinating([r[0] for r in rows])
    tz = local_tz()
    items = [_item(r, now, tz, yellow_days, coordinating) for r in rows]
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def _coordinating(ids: list[int]) -> dict[int, list]:
    """(Not PostgreSQL) the coordinating units of ``ids`` as [code, name] lists by name."""
    from workflow.extensions import db

    found: dict[int, list] = {}
    if ids:
        statement = _statement("coordinating", (), lambda: (
            select(_links.c.task_id, _units.c.code, _units.c.name)
            .join(_units, _units.c.id == _links.c.unit_id)
            .where(_links.c.task_id.in_(bindparam("ids", expanding=True))).order_by(_units.c.name)))
        for task_id, code, name in db.session.connection().execute(statement, {"ids": ids}):
            found.setdefault(task_id, []).append((code, name))
    return found


def _item(r, now: datetime, tz, yellow_days: int, coordinating) -> dict:
    """One row's JSON (``serializers.task_json`` of the same task, key for key). ``now``: aware; the row's
    datetimes are naive UTC. The colour by ``deadlines.warning_level``, the "6 rõ" by ``missing_six_clear``."""
    (task_id, item, title, lead_unit_id, deadline, deadline_text, recurrence, period, series_id, product,
     person, authority, status, evidence_number, evidence_date, evidence_note, completed_at, on_time,
     extension_deadline, extension_reason, extension_requested_at, extended, version, dispatch_id,
     number, symbol, lead_code, lead_name) = r[:28]
    coordinated = r[28] if coordinating is None else coordinating.get(task_id)
    missing = missing_six_clear(person, title, deadline, lead_unit_id, product, authority)
    if deadline is not None:
        deadline = deadline.replace(tzinfo=timezone.utc)
    warning = warning_level(deadline, now, completed=status == "completed", overdue=status == "overdue",
                            yellow_days=yellow_days)
    late = warning == "red"  # (a task not completed is red exactly when it is late: Task.is_late)
    return {
        "id": task_id,
        "dispatch": f"{number}-{symbol}" if number is not None else str(dispatch_id),
        "item": item,
        "title": title,
        "lead_unit": {"code": lead_code, "name": lead_name},
        "coordinating_units": [{"code": code, "name": name} for code, name in coordinated] if coordinated else [],
        "deadline": None if deadline is None else deadline.astimezone(tz).isoformat(),
        "deadline_text": deadline_text,
        "recurrence": recurrence,
        "period": period,
        "series": series_id,
        "product": product,
        "person_in_charge": person,
        "authority": authority,
        "status": status,
        "late": late,
        "warning": warning,
        "version": version,
        "completed_at": None if completed_at is None else
        completed_at.replace(tzinfo=timezone.utc).astimezone(tz).isoformat(),
        "on_time": on_time,
        "extended": extended,
        "evidence": None if not (evidence_number or evidence_date or evidence_note) else {
            "number": evidence_number, "date": evidence_date.isoformat() if evidence_date else None,
            "note": evidence_note},
        "pending_extension": None if extension_deadline is None else {
            "deadline": extension_deadline.replace(tzinfo=timezone.utc).astimezone(tz).isoformat(),
            "reason": extension_reason,
            "requested_at": None if extension_requested_at is None else
            extension_requested_at.replace(tzinfo=timezone.utc).astimezone(tz).isoformat()},
        "missing_six_clear": missing,
    }


# --- totals from the task counts ------------------------------------------------------------------

def _stored_total(user, kind: str, f: Filters, yellow_days: int, shape: tuple, params: dict) -> int | None:
    """The total from the task counts when the filters allow it (status, unit, warning other than
    yellow), in one statement; else None: count the rows."""
    from workflow.extensions import db

    if f.dispatch_id is not None or f.words or f.deadline_from is not None or f.deadline_to is not None \
            or f.warning == "yellow" or (f.warning and f.now is None):
        return None
    if kind == "unit" and f.unit_id is not None:  # another unit's tasks the department coordinates: count
        return None
    lead = f.unit_id if kind == "all" else user.unit_id
    statement = _statement("total", (kind, f.status, lead is not None, f.warning, shape[1]),
                           lambda: _total_statement(kind, f, lead is not None, yellow_days))
    params["lead"] = lead
    return db.session.connection().execute(statement, params).scalar()


def _total_statement(kind: str, f: Filters, by_unit: bool, yellow_days: int):
    """One ``SELECT`` of the sum of: the stored counts of the live tasks led by the unit (``lead``; every
    unit without) with the status and warning asked, by ``queries.counts_total``'s rules (red: the
    overdue ones, and the open ones past their deadline the sweep has not marked; green: the
    completed ones and the open ones less those due within the yellow window); for a department
    (``kind`` "unit"), the tasks it coordinates and does not lead, counted."""
    from models import TaskCount

    counts = TaskCount.__table__
    statuses = [f.status] if f.status else ["assigned", "in_progress", "overdue", "completed"]
    lead = bindparam("lead", type_=Integer)

    def stored(wanted):
        if not wanted:
            return None
        query = select(func.coalesce(func.sum(counts.c.n), 0)).where(counts.c.status.in_(wanted))
        return (query.where(counts.c.lead_unit_id == lead) if by_unit else query).scalar_subquery()

    def counted(*where):
        query = select(func.count()).select_from(_tasks).where(*where, queries.live_condition())
        return (query.where(_tasks.c.lead_unit_id == lead) if by_unit else query).scalar_subquery()

    open_ = [s for s in statuses if s in ("assigned", "in_progress")]
    terms = []
    if f.warning is None:
        terms.append(stored(statuses))
    elif f.warning == "red":
        terms.append(stored([s for s in statuses if s == "overdue"]))
        if open_:
            terms.append(counted(_tasks.c.status.in_(open_),
                                 _tasks.c.deadline < bindparam("now", type_=_deadline_type)))
    else:  # green
        terms += [stored([s for s in statuses if s == "completed"]), stored(open_)]
        if open_:
            terms.append(-counted(_tasks.c.status.in_(open_), _tasks.c.deadline.is_not(None),
                                  _tasks.c.deadline <= bindparam("yellow", type_=_deadline_type)))
    if kind == "unit":
        only = Filters(status=f.status, unit_id=None, dispatch_id=None, words=(), warning=f.warning, now=f.now,
                       deadline_from=None, deadline_to=None)
        pg = _postgresql()
        terms.append(_coordinated_count_statement(pg, _conditions("all", only, pg, yellow_days))
                     .scalar_subquery())
    terms = [t for t in terms if t is not None]
    total = terms[0] if terms else literal_column("0")
    for term in terms[1:]:
        total = total + term
    return select(total)

class UnitId:
    """A unit as the list needs it: its id (``task_query`` and ``counts_total`` read only that)."""

    __slots__ = ("id",)

    def __init__(self, unit_id: int):
        self.id = unit_id


def unit_by_code(code: str) -> UnitId | None:
    """The unit with this code (its id), by a statement built once."""
    from workflow.extensions import db

    statement = _statement("unit", (), lambda: select(_units.c.id).where(_units.c.code == bindparam("code")))
    unit_id = db.session.connection().execute(statement, {"code": code}).scalar()
    return None if unit_id is None else UnitId(unit_id)


try:  # pinned in requirements.txt; without it the list is encoded by ``jsonify`` (same bytes, slower)
    import orjson
except ImportError:  # pragma: no cover
    orjson = None


def encode(data: dict) -> bytes | None:
    """``jsonify(data).get_data()``'s bytes, encoded by orjson (a tenth of the json module's CPU for a page
    of 50 tasks), when the application's JSON settings are those orjson reproduces byte for byte: compact
    separators, keys sorted, non-ASCII kept (``ensure_ascii`` off) and Flask's own ``dumps``. None
    otherwise (or for a value orjson refuses): the caller uses ``jsonify``."""
    from flask import current_app
    from flask.json.provider import DefaultJSONProvider

    provider = current_app.json
    if orjson is None or type(provider).dumps is not DefaultJSONProvider.dumps or provider.ensure_ascii \
            or not provider.sort_keys or provider.compact is False or (provider.compact is None and current_app.debug):
        return None
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    except (TypeError, orjson.JSONEncodeError):
        return None
