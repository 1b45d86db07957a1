"""Task changes: creation, every state-machine event, and the overdue sweep."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Integer, and_, any_, bindparam, cast, exists, insert, literal, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import joinedload

from models import Dispatch, Holiday, Task, TaskEvent, Unit
from models.types import fits_id
from workflow import counts, direct, permissions
from workflow.clock import MAX_YEAR, MIN_YEAR, local_tz, year_in_range
from workflow.queries import task_head, task_view, task_view_of, unit_by_code
from workflow.errors import Conflict, NotFound, StaleVersion, ValidationError
from workflow.extensions import db
from workflow.services import unit_of_work
from workflow.statemachine import DISPATCH_MACHINE, TASK_MACHINE, fire
from workflow.text import nfc, search_index


def holiday_dates() -> list[date]:
    return list(db.session.scalars(select(Holiday.date)))


def resolve_deadline(deadline_text: str | None, issued_on: date | None, now: datetime, *, infer_year: bool = False):
    """Turn a dispatch's wording into (deadline, recurrence, period) with the deadline rules
    (``infer_year``: a day without its year is its next occurrence on or after the issue date)."""
    from workflow.deadlines import DeadlineParseError, parse_deadline

    base = issued_on or now.astimezone(local_tz()).date()
    try:
        parsed = parse_deadline(deadline_text, issued_on=base, tz=local_tz(), holidays=holiday_dates(),
                                infer_year=infer_year)
    except DeadlineParseError as exc:
        raise ValidationError(str(exc)) from None
    return parsed.deadline, parsed.rrule, parsed.period


def _unit(code_or_unit) -> Unit:
    if isinstance(code_or_unit, Unit):
        return code_or_unit
    unit = unit_by_code(code_or_unit)
    if unit is None:
        raise ValidationError(f"Không tìm thấy đơn vị có mã \"{code_or_unit}\".")
    return unit


def check_deadline_range(deadline: datetime | None) -> None:
    """A deadline has a time zone and a year between 1900 and 2200 (every caller: API, pages, imports)."""
    if deadline is None:
        return
    if deadline.tzinfo is None:
        raise ValidationError("Thời hạn phải có múi giờ.")
    if not year_in_range(deadline.year):
        raise ValidationError(f"Thời hạn phải trong các năm {MIN_YEAR}–{MAX_YEAR}.")


def new_task(*, dispatch: Dispatch, title: str, lead_unit, coordinating=(), deadline: datetime | None = None,
             deadline_text: str | None = None, recurrence: str | None = None, period: str | None = None,
             item: str = "", product: str | None = None, person_in_charge: str | None = None,
             authority: str | None = None, series: Task | None = None, actor=None, now: datetime,
             note: str | None = None) -> Task:
    """Build a task and its creation event in the session (no commit: callers own it)."""
    title = nfc(title)
    if not title:
        raise ValidationError("Cần nhập nội dung nhiệm vụ.")
    check_deadline_range(deadline)
    lead = _unit(lead_unit)
    coordinating_units = [_unit(c) for c in coordinating]
    coordinating_units = [u for u in dict.fromkeys(coordinating_units) if u.id != lead.id]
    task = Task(
        dispatch=dispatch, item=nfc(item) or "", title=title, title_folded=search_index(title), lead_unit=lead,
        deadline=deadline, deadline_text=nfc(deadline_text), recurrence=recurrence, period=period,
        product=nfc(product), person_in_charge=nfc(person_in_charge), authority=nfc(authority),
        created_at=now, updated_at=now,
    )
    task.coordinating_units = coordinating_units
    if series is not None:
        task.series_id = series.id
    db.session.add(task)
    db.session.add(TaskEvent(task=task, actor=actor, event="create", from_status=None, to_status=task.status,
                             note=note, deadline_before=None, deadline_after=deadline, data={},
                             version=1, at=now))
    return task


def create_task(actor, *, dispatch_ref: str, title: str, lead_unit: str, now: datetime,
                coordinating=(), deadline: datetime | None = None, deadline_text: str | None = None,
                item: str = "", product: str | None = None, person_in_charge: str | None = None,
                authority: str | None = None) -> Task:
    """The office adds a task to a dispatch, with a deadline or the dispatch's wording of it."""
    from workflow.services.dispatches import get_dispatch

    permissions.require_office(actor)
    dispatch = get_dispatch(actor, dispatch_ref)
    if dispatch.status == "closed":
        raise Conflict("Công văn đã kết thúc; không thể thêm nhiệm vụ.")
    recurrence = period = None
    if deadline is None and not (deadline_text or "").strip():
        raise ValidationError("Cần nhập thời hạn (deadline) hoặc lời văn thời hạn (deadline_text).")
    if deadline is None:
        deadline, recurrence, period = resolve_deadline(deadline_text, dispatch.issued_on, now)
    with unit_of_work():
        task = new_task(dispatch=dispatch, title=title, lead_unit=lead_unit, coordinating=coordinating,
                        deadline=deadline, deadline_text=deadline_text, recurrence=recurrence, period=period,
                        item=item, product=product, person_in_charge=person_in_charge,
                        authority=authority, actor=actor, now=now)
    return task


def get_task(actor, task_id: int) -> Task:
    # With its dispatch and lead unit (the permission and draft checks read them): one query.
    task = db.session.get(Task, task_id, options=[joinedload(Task.dispatch), joinedload(Task.lead_unit)]) \
        if fits_id(task_id) else None
    if task is None or not permissions.can_view_task(actor, task):
        raise NotFound("Không tìm thấy nhiệm vụ.")
    return task


def fire_event(actor, task_id: int, event: str, *, version, now: datetime, note: str | None = None,
               evidence_number: str | None = None, evidence_date: date | None = None,
               evidence_note: str | None = None, deadline: datetime | None = None):
    """Fire one event on a task for ``actor``: check permission and version, run the
    state machine, apply the effects, write one history row, commit once.

    The lean path (SQLAlchemy Core, a few statements): one ``UPDATE … WHERE id, version, a status
    the machine accepts the event from, the actor's permission, a live dispatch … RETURNING`` takes
    the row lock and bumps the version; the shared machine then runs its guards and picks the
    destination on that row; the effects are one more ``UPDATE`` when fields change; the history
    row, the task counts' delta (when the status or the on-time flag moves) and the dispatch's
    closing or reopening (when completion changes) follow in the same transaction. When the
    ``UPDATE`` matches no row, ``_refuse`` finds out why and raises the Vietnamese error the
    checks give in their order (404, 400, 409 draft, 403, 400 version, 409 stale, 409 transition).

    Returns the task as committed (``queries.TaskView``: its columns, dispatch, units and history,
    read in the same transaction by two queries); attributes it does not hold are read from the
    ORM ``Task`` on first use."""
    note, evidence_number, evidence_note = nfc(note), nfc(evidence_number), nfc(evidence_note)
    check_deadline_range(deadline)
    if evidence_date is not None and not year_in_range(evidence_date.year):
        raise ValidationError(f"Ngày của văn bản báo cáo phải trong các năm {MIN_YEAR}–{MAX_YEAR}.")
    if event == "complete" and note and not evidence_note:
        evidence_note = note
    kwargs = dict(note=note, deadline=deadline, evidence_number=evidence_number, evidence_date=evidence_date,
                  evidence_note=evidence_note)
    with unit_of_work():
        answer = _fire_lean(actor, task_id, event, version=version, now=now, **kwargs)
        if answer is None:
            _refuse(actor, task_id, event, version=version, now=now, **kwargs)
    return answer


_TASKS = Task.__table__
_EFFECT_FIELDS = ("status", "deadline", "extended", "completed_at", "on_time", "evidence_number", "evidence_date",
                  "evidence_note", "extension_deadline", "extension_reason", "extension_requested_at")


class _Row:
    """A task row as plain attributes: the state machine's model and ``_apply_effects``' target."""

    def __init__(self, mapping):
        self.__dict__.update(mapping)


def _fire_lean(actor, task_id, event, *, version, now, **kwargs):
    """The event in a few Core statements; None when the first ``UPDATE`` matches no row (or the
    request cannot be valid), leaving ``_refuse`` to say why."""
    machine_event = TASK_MACHINE.events.get(event)
    session = db.session()
    session.flush()  # the caller's pending changes first (as the ORM's autoflush would)
    connection = session.connection()
    # PostgreSQL: the UPDATE and the answer's head (dispatch, units) in one statement, the history
    # row's INSERT and the history in another (issue 16: fewer round trips); elsewhere one each.
    joined = connection.dialect.name == "postgresql"
    allowed, statement = _lean_statement(actor, event, machine_event, joined)
    deadline = kwargs["deadline"]
    if (machine_event is None or allowed is False or isinstance(version, bool) or not isinstance(version, int)
            or not fits_id(task_id) or not fits_id(version) or (deadline is not None and deadline.tzinfo is None)):
        return None
    params = {"lean_task_id": task_id, "lean_version": version, "lean_now": now}
    head = history = None
    if joined:
        rows = direct.rows(connection, statement, params)
        if not rows:
            return None
        row = dict(zip(_TASK_KEYS or _task_keys(), rows[0]))
        head = [r[len(_TASK_KEYS):] for r in rows]
    else:
        row = connection.execute(statement, params).mappings().first()
        if row is None:
            return None
    task = _Row(row)
    before = {name: row[name] for name in _EFFECT_FIELDS}
    source, dest = fire(TASK_MACHINE, task, event, now=now, **kwargs)  # guards raise: all rolled back
    data = _apply_effects(task, event, now=now, **kwargs)
    changes = {name: getattr(task, name) for name in _EFFECT_FIELDS if getattr(task, name) != before[name]}
    if changes:
        row = connection.execute(update(_TASKS).where(_TASKS.c.id == task_id).values(**changes)
                                 .returning(*_TASKS.c)).mappings().first()
    history_row = dict(  # a statement built once; the row as its parameters
        task_id=task_id, actor_id=actor.id, event=event, from_status=source, to_status=dest, note=kwargs["note"],
        deadline_before=before["deadline"], deadline_after=row["deadline"], data=data, version=row["version"],
        at=now)
    closes = "completed" in (source, dest) and source != dest  # completing or reopening may close or reopen
    if joined and not closes:  # (the dispatch's status in the head would be the one before)
        history = direct.rows(connection, _history_insert_read(),
                              {"ev_" + name: value for name, value in history_row.items()})
    else:
        connection.execute(_HISTORY_INSERT, history_row)
    old_on_time, new_on_time = int(before["on_time"] is True), int(row["on_time"] is True)
    if (source, old_on_time) != (dest, new_on_time):
        counts.apply(connection, {(row["lead_unit_id"], source): [-1, -old_on_time],
                                  (row["lead_unit_id"], dest): [1, new_on_time]})
    _expire_loaded(session, Task, task_id)  # an ORM copy in this session would hold the old row
    if closes:
        _sync_dispatch(session.get(Dispatch, row["dispatch_id"]))
    if history is not None:
        return task_view_of(row, head, history)
    return task_view(row)


_TASK_KEYS: list = []


def _task_keys() -> list:
    _TASK_KEYS[:] = [column.key for column in _TASKS.c]
    return _TASK_KEYS


_HISTORY_INSERT_READ: list = []


def _history_insert_read():
    """PostgreSQL: ``WITH new_event AS (INSERT INTO task_events … RETURNING *)`` the task's history
    as ``queries.task_view`` reads it (each event with its actor's username, in id order): the rows
    already there, then the new one (a statement does not see its own CTE's insert). Built once;
    parameters ``ev_<column>``."""
    if not _HISTORY_INSERT_READ:
        from models import User

        events, users = TaskEvent.__table__, User.__table__
        columns = [column for column in events.c if column.key != "id"]
        new = (insert(events).values({c.key: bindparam("ev_" + c.key, type_=c.type) for c in columns})
               .returning(*events.c).cte("new_event"))
        known = (select(*events.c, users.c.username).outerjoin(users, users.c.id == events.c.actor_id)
                 .where(events.c.task_id == bindparam("ev_task_id")))
        added = select(*new.c, users.c.username).outerjoin(users, users.c.id == new.c.actor_id)
        _HISTORY_INSERT_READ.append(known.union_all(added).order_by(known.selected_columns.id))
    return _HISTORY_INSERT_READ[0]


def _with_head(update_statement):
    """PostgreSQL: ``WITH lean_task AS (<the event's UPDATE … RETURNING *>)`` the task's columns, then
    the columns of ``queries.task_view``'s head query (dispatch, lead unit, a coordinating unit per row)."""
    task = update_statement.cte("lean_task")
    return task_head(task, *task.c)


_LEAN_UPDATES: dict = {}
_HISTORY_INSERT = insert(TaskEvent.__table__)


def _lean_update(event: str, machine_event, allowed, *, head: bool = False):
    """The event path's first ``UPDATE … RETURNING`` (id, version, the states the shared machine fires
    ``event`` from, a live dispatch, the permission ``allowed``), built once per event and permission
    with the task id, version and time as bound parameters: building it and its cache key cost more
    Python than running it (issue 16). The permission is part of the key by its SQL structure and its
    values, so a different condition is a different statement."""
    key = None
    if allowed is True:
        key = (event, head, True)
    else:
        cache_key = allowed._generate_cache_key()
        if cache_key is not None:
            key = (event, head, cache_key.key, tuple(b.effective_value for b in cache_key.bindparams))
    try:
        statement = _LEAN_UPDATES.get(key) if key is not None else None
    except TypeError:  # a value that cannot be a dictionary key: build the statement every time
        key = statement = None
    if statement is None:
        conditions = [_TASKS.c.id == bindparam("lean_task_id"), _TASKS.c.version == bindparam("lean_version"),
                      # the states the machine fires it from, as plain bound values (an "expanding" IN list
                      # is rendered again at every execution)
                      _TASKS.c.status.in_([literal(state, _TASKS.c.status.type)
                                           for state in machine_event.transitions]),
                      _TASKS.c.dispatch_id.in_(select(Dispatch.__table__.c.id)
                                               .where(Dispatch.__table__.c.status != "draft"))]
        if allowed is not True:
            conditions.append(allowed)
        statement = (update(_TASKS).where(*conditions)
                     .values(version=_TASKS.c.version + 1,
                             updated_at=bindparam("lean_now", type_=_TASKS.c.updated_at.type))
                     .returning(*_TASKS.c))
        if head:
            statement = _with_head(statement)
        if key is not None and len(_LEAN_UPDATES) < 10_000:
            _LEAN_UPDATES[key] = statement
    return statement


_LEAN_STATEMENTS: dict = {}


def _lean_statement(actor, event, machine_event, head: bool) -> tuple:
    """(``permissions.fire_condition(actor, event)``, the event's first statement for it), kept per
    what the condition reads of the actor (``permissions.fire_condition_inputs``): building the
    condition and its cache key on every event cost more than the rest of the lookup (issue 16)."""
    key = (permissions.fire_condition_inputs(actor, event), head)
    try:
        kept = _LEAN_STATEMENTS.get(key)
    except TypeError:  # (an unhashable attribute: built every time)
        kept, key = None, None
    if kept is None:
        allowed = permissions.fire_condition(actor, event)
        statement = None
        if machine_event is not None and allowed is not False:
            statement = _lean_update(event, machine_event, allowed, head=head)
        kept = (allowed, statement)
        if key is not None:
            if len(_LEAN_STATEMENTS) >= 10_000:
                _LEAN_STATEMENTS.clear()
            _LEAN_STATEMENTS[key] = kept
    return kept


def _expire_loaded(session, model, ident) -> None:
    obj = session.identity_map.get(session.identity_key(model, ident))
    if obj is not None:
        session.expire(obj)


def _refuse(actor, task_id, event, *, version, now, note, deadline, evidence_number, evidence_date,
            evidence_note) -> None:
    """Why the event cannot fire: raise the error of the first check that fails, in the order the
    user is told (not found, unknown event, draft dispatch, permission, version, transition, guard)."""
    task = db.session.get(Task, task_id, options=[joinedload(Task.dispatch), joinedload(Task.lead_unit)],
                          populate_existing=True) if fits_id(task_id) else None
    if task is None or not permissions.can_view_task(actor, task):
        raise NotFound("Không tìm thấy nhiệm vụ.")
    if event not in TASK_MACHINE.events:
        raise ValidationError(f"Thao tác không hợp lệ: \"{event}\".")
    if task.dispatch.status == "draft":
        raise Conflict("Công văn chưa ban hành; nhiệm vụ chưa thể thực hiện.")
    permissions.require_fire(actor, task, event)
    if version is None:
        raise ValidationError("Thiếu phiên bản (version) của nhiệm vụ.")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValidationError("Phiên bản (version) phải là số nguyên.")
    if version != task.version:
        raise StaleVersion(
            "Nhiệm vụ đã được cập nhật sau khi bạn mở trang (có người vừa thao tác trên nhiệm vụ này). "
            "Hãy tải lại trang để xem nội dung mới nhất rồi thực hiện lại."
        )
    if deadline is not None and deadline.tzinfo is None:
        raise ValidationError("Thời hạn phải có múi giờ.")
    snapshot = _Row({column.key: getattr(task, column.key) for column in _TASKS.c})
    fire(TASK_MACHINE, snapshot, event, now=now, note=note, deadline=deadline, evidence_number=evidence_number,
         evidence_date=evidence_date, evidence_note=evidence_note)
    # Every check passes on the row as it is now: it changed between the UPDATE and this read.
    raise StaleVersion("Nhiệm vụ vừa được người khác cập nhật; hãy tải lại rồi thử lại.")


def _apply_effects(task: Task, event: str, *, now, note, deadline, evidence_number, evidence_date,
                   evidence_note) -> dict:
    """Field changes that go with each event; returns the event's data for the history."""
    data: dict = {}
    if event == "complete":
        task.evidence_number, task.evidence_date, task.evidence_note = evidence_number, evidence_date, evidence_note
        task.completed_at = now
        task.on_time = task.deadline is None or now <= task.deadline
        task.extension_deadline = task.extension_reason = task.extension_requested_at = None
        data = {"evidence_number": evidence_number,
                "evidence_date": evidence_date.isoformat() if evidence_date else None,
                "evidence_note": evidence_note, "on_time": task.on_time}
    elif event == "request_extension":
        task.extension_deadline, task.extension_reason, task.extension_requested_at = deadline, note, now
        data = {"proposed_deadline": deadline.isoformat()}
    elif event == "approve_extension":
        new_deadline = deadline or task.extension_deadline
        data = {"requested_deadline": task.extension_deadline.isoformat() if task.extension_deadline else None}
        task.deadline = new_deadline
        task.extended = True
        task.extension_deadline = task.extension_reason = task.extension_requested_at = None
    elif event == "reject_extension":
        data = {"requested_deadline": task.extension_deadline.isoformat()}
        task.extension_deadline = task.extension_reason = task.extension_requested_at = None
    elif event == "reopen":
        data = {"previous_completed_at": task.completed_at.isoformat() if task.completed_at else None}
        task.completed_at = None
        task.on_time = None
        task.evidence_number = task.evidence_date = task.evidence_note = None
    return data


def _sync_dispatch(dispatch: Dispatch) -> None:
    """Close a dispatch when its last task completes; reopen it when one reopens.

    Asks the database (after a flush) whether an unfinished task is left rather than
    loading every task of the dispatch: one indexed EXISTS per event."""
    if dispatch.status not in ("issued", "closed"):
        return
    db.session.flush()
    unfinished = db.session.scalar(select(exists().where(Task.dispatch_id == dispatch.id,
                                                         Task.status != "completed")))
    if dispatch.status == "issued" and not unfinished and db.session.scalar(
            select(exists().where(Task.dispatch_id == dispatch.id))):
        fire(DISPATCH_MACHINE, dispatch, "close")
    elif dispatch.status == "closed" and unfinished:
        fire(DISPATCH_MACHINE, dispatch, "reopen")


def sweep(now: datetime, *, batch_size: int = 10_000) -> int:
    """Move every open task past its deadline to ``overdue``, set-based.

    The sources, target and guard come from the state machine's
    ``mark_overdue`` transitions; each batch inserts one history row per task,
    updates the tasks and moves them in the task counts, in one transaction.
    Tasks of draft dispatches are not live yet and are left alone. Returns how
    many tasks were marked.

    On PostgreSQL each batch is the rows it could lock (``FOR UPDATE SKIP
    LOCKED``) and every statement names exactly those ids, so a user's change
    committed meanwhile can neither be overwritten nor get a second history row
    of the same version; SQLite serialises writers, so a batch is an id range.
    """
    event = TASK_MACHINE.events["mark_overdue"]
    sources = sorted(event.transitions)
    dest = event.transitions[sources[0]][0].dest
    is_pending = and_(
        Task.status.in_(sources),
        Task.deadline.is_not(None),
        Task.deadline < now,
        Task.dispatch_id.in_(select(Dispatch.id).where(Dispatch.status != "draft")),
    )
    is_postgres = db.engine.dialect.name == "postgresql"
    total = 0
    while True:
        try:
            query = select(Task.id).where(is_pending).order_by(Task.id).limit(batch_size)
            if is_postgres:
                query = query.with_for_update(skip_locked=True)
            ids = list(db.session.scalars(query))
            if not ids:
                db.session.rollback()
                break
            # The locked rows themselves on PostgreSQL (an array, not a long IN list); a range on SQLite.
            batch = (Task.id == any_(literal(ids, type_=ARRAY(Integer))) if is_postgres
                     else Task.id.between(ids[0], ids[-1]))
            db.session.execute(
                insert(TaskEvent).from_select(
                    ["task_id", "actor_id", "event", "from_status", "to_status", "note",
                     "deadline_before", "deadline_after", "data", "version", "at"],
                    select(Task.id, literal(None), literal("mark_overdue"), Task.status, literal(dest),
                           literal("Quá thời hạn, hệ thống tự chuyển sang quá hạn."),
                           Task.deadline, Task.deadline, cast(literal("{}"), JSON), Task.version + 1,
                           literal(now, type_=TaskEvent.__table__.c.at.type))
                    .where(batch, is_pending),
                )
            )
            counts.add_grouped(db.session.connection(), and_(batch, is_pending), moved_to=dest)
            result = db.session.execute(
                update(Task).where(batch, is_pending)
                .values(status=dest, version=Task.version + 1,
                        updated_at=literal(now, type_=Task.__table__.c.updated_at.type))
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
            total += result.rowcount
        except BaseException:
            db.session.rollback()
            raise
    db.session.expire_all()
    return total
