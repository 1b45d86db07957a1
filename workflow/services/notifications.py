"""Notifications in the application (issue 15), derived when they are read.

Nothing is written when a task changes: a user's notifications are computed from what is
already recorded — the append-only history (``task_events``: creation, directives, extension
decisions), the comments and their mentions, the assignments of a person, and the deadlines —
over the last ``NOTIFICATION_DAYS`` days (30), plus every task of theirs that is late now.
What the user has read is a marker per user (``notification_states.read_before``: everything up
to then is read) and the notifications read one by one after it (``notification_reads``).

Who is told what:
- a department user: new tasks of their unit (leading or coordinating) and tasks assigned to
  them; directives on those tasks; extension decisions on the tasks their unit leads; comments
  on their unit's tasks by others; the unit's led tasks (and their own) due within
  ``WARNING_YELLOW_DAYS`` days (3) or late;
- everyone: comments that mention them or their unit; the office also reads every directive.

Each user chooses which kinds are also e-mailed (``send_notification_emails``, the
``send-notifications`` command from cron).
"""
from __future__ import annotations

import re
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import bindparam, delete, exists, false, literal_column, or_, select
from sqlalchemy.orm import aliased

from models.types import insert_for
from models import (OPEN_STATUSES, CommentMention, Dispatch, NotificationRead, NotificationState, Task, TaskAssignment,
                    TaskComment, TaskEvent, User)
from workflow import permissions
from workflow.clock import to_local
from workflow.errors import ValidationError
from workflow.extensions import db
from workflow.queries import live_condition
from workflow.services import unit_of_work
from workflow.text import nfc

KINDS = {
    "new_task": "Nhiệm vụ mới, phân công",
    "directive": "Ý kiến chỉ đạo",
    "extension": "Kết quả xem xét gia hạn",
    "comment": "Ý kiến trao đổi, nhắc tên",
    "due_soon": "Sắp đến hạn",
    "overdue": "Quá hạn",
}
KEY_PATTERN = re.compile(r"^(ev|cm|as):\d{1,10}$|^(due|over):\d{1,10}:\d{1,12}$")
DEFAULT_DAYS = 30
MAX_ITEMS = 300


@dataclass
class Notification:
    key: str
    kind: str
    at: datetime
    text: str
    task_id: int
    task_title: str
    task_item: str
    actor: str | None = None
    read: bool = False

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


def _name(user) -> str | None:
    return None if user is None else (user.full_name or user.username)


def _state(user_id: int) -> NotificationState | None:
    return db.session.get(NotificationState, user_id)


_LOOK_UP = object()


def derive(user, now: datetime, *, after: datetime | None = None, state=_LOOK_UP) -> list[Notification]:
    """Every notification of ``user`` in the window (only those after ``after`` when given), each
    marked read or not; unread first, then the newest first.

    Column queries (no ORM objects): the bell derives them on every page."""
    if not (user is not None and user.is_authenticated and user.active):
        return []
    days = int(current_app.config.get("NOTIFICATION_DAYS", DEFAULT_DAYS))
    since = now - timedelta(days=days)
    if after is not None and after > since:
        since = after
    found: dict[str, Notification] = {}

    def add(n: Notification):
        found.setdefault(n.key, n)

    unit_id = user.unit_id if user.role == "department" else None
    # Statements built once with bound parameters (issue 16): those who see every task, and a unit's users.
    built = _read_all_statements(user) if user.role in permissions.READ_ALL_ROLES else \
        _unit_statements(after is not None) if unit_id is not None else None
    # (``built`` is None only for a user with neither: a department's user without a unit, who gets
    # what names them.)
    actor = aliased(User)

    # History rows: new tasks, directives, extension decisions (none for a user without built statements).
    params = {"now": now, "since": since, "user_id": user.id, "unit_id": user.unit_id} if built is not None else {}
    if unit_id is not None:
        yellow = timedelta(days=current_app.config.get("WARNING_YELLOW_DAYS", 3))
        params.update(soon=now + yellow, after=after)
    if built is not None:
        rows = list(db.session.execute(built["events"], params)) if built["events"] is not None else []
        if built.get("issued") is not None:  # a unit's: tasks drafted before the window, issued within it
            rows += db.session.execute(built["issued"], params)
        _add_event_rows(add, rows, now, unit_id)

    # Assignments of a person to me.
    for assignment_id, at, task_id, title, item, full_name, username in db.session.execute(
            built["assignments"] if built is not None else _assignments(actor, user.id, since, now), params):
        who = full_name or username
        add(Notification(f"as:{assignment_id}", "new_task", at, f"{who} phân công bạn phụ trách nhiệm vụ",
                         task_id, title, item, who))

    # Comments: those that mention me or my unit, and (for a unit) those on its tasks.
    if built is not None:
        query = built["comments"]
    else:
        mentioned = exists(select(CommentMention.id).where(
            CommentMention.comment_id == TaskComment.id,
            or_(CommentMention.user_id == user.id,
                CommentMention.unit_id == user.unit_id if user.unit_id is not None else false())))
        about = [mentioned]
        visible = permissions.visible_tasks_filter(user)
        query = (select(TaskComment.id, TaskComment.created_at, TaskComment.body, mentioned.label("named"),
                        Task.id, Task.title, Task.item, actor.full_name, actor.username)
                 .join(Task, Task.id == TaskComment.task_id).join(actor, actor.id == TaskComment.author_id)
                 .where(TaskComment.created_at > since, TaskComment.created_at <= now, TaskComment.author_id != user.id,
                        live_condition(), or_(*about))
                 .order_by(TaskComment.created_at.desc(), TaskComment.id.desc()).limit(MAX_ITEMS))
        if visible is not None:
            query = query.where(visible)
    for comment_id, at, body, named, task_id, title, item, full_name, username in db.session.execute(query, params):
        who = full_name or username
        verb = "nhắc đến bạn" if named else "gửi ý kiến"
        add(Notification(f"cm:{comment_id}", "comment", at, f"{who} {verb}: “{_short(body)}”",
                         task_id, title, item, who))

    # Deadlines: my unit's led tasks (and those assigned to me) due soon or late.
    if unit_id is not None:  # (the tasks assigned to the user: a subquery of the statement)
        for task_id, title, item, deadline, status, created_at in db.session.execute(built["deadlines"], params):
            stamp = int(deadline.timestamp())
            if deadline < now or status == "overdue":
                add(Notification(f"over:{task_id}:{stamp}", "overdue", min(deadline, now),
                                 f"Đã quá hạn (hạn {_dt(deadline)})", task_id, title, item))
            else:
                at = max(deadline - yellow, created_at or since)
                add(Notification(f"due:{task_id}:{stamp}", "due_soon", min(at, now),
                                 f"Sắp đến hạn: {_dt(deadline)}", task_id, title, item))

    if state is _LOOK_UP:  # ``unread_count`` passes the row it has read (or None: the user has none yet)
        state = _state(user.id)
    marker = state.read_before if state else None
    items = list(found.values())
    # The keys read one by one matter only for what was found (none, on most pages: one query fewer).
    read_keys = set(db.session.scalars(_READ_KEYS, {"user_id": user.id})) if items else set()
    for n in items:
        n.read = (marker is not None and n.at <= marker) or n.key in read_keys
    items.sort(key=lambda n: (n.read, -n.at.timestamp(), n.key))
    return items


def _add_event_rows(add, rows, now: datetime, unit_id: int | None) -> None:
    """The history rows' notifications (new tasks, directives, extension decisions)."""
    for event_id, event, at, note, deadline_after, task_id, title, item, lead_id, full_name, username, \
            issued_at in rows:
        who = full_name or username
        if event == "create":
            at = max(at, issued_at) if issued_at is not None and issued_at <= now else at
            text = f"Nhiệm vụ mới đơn vị {'chủ trì' if lead_id == unit_id else 'phối hợp'}"
            kind = "new_task"
        elif event == "directive":
            text = f"Ý kiến chỉ đạo của {who or 'lãnh đạo'}: “{_short(note)}”"
            kind = "directive"
        else:
            decided = "đồng ý" if event == "approve_extension" else "không đồng ý"
            deadline = f"; thời hạn mới {_dt(deadline_after)}" if event == "approve_extension" else ""
            text = f"Văn phòng {decided} gia hạn{deadline}"
            kind = "extension"
        add(Notification(f"ev:{event_id}", kind, at, text, task_id, title, item, who))


_READ_KEYS = select(NotificationRead.key).where(NotificationRead.user_id == bindparam("user_id"))
_READ_ALL_STATEMENTS: dict = {}


def _history(actor, user_id, now):
    """The history rows the bell reads (newest first, by others, of live tasks, up to ``now``), with
    their task, dispatch and actor; each caller adds which events and which window."""
    return (select(TaskEvent.id, TaskEvent.event, TaskEvent.at, TaskEvent.note, TaskEvent.deadline_after,
                   Task.id, Task.title, Task.item, Task.lead_unit_id, actor.full_name, actor.username,
                   Dispatch.issued_at)
            .join(Task, Task.id == TaskEvent.task_id)
            .join(Dispatch, Dispatch.id == Task.dispatch_id).outerjoin(actor, actor.id == TaskEvent.actor_id)
            .where(TaskEvent.at <= now, live_condition(),
                   or_(TaskEvent.actor_id.is_(None), TaskEvent.actor_id != user_id))
            .order_by(TaskEvent.at.desc(), TaskEvent.id.desc()).limit(MAX_ITEMS))


def _assignments(actor, user_id, since, now):
    """The statement of the assignments of a person to the user in the window (by someone else)."""
    return (select(TaskAssignment.id, TaskAssignment.at, Task.id, Task.title, Task.item, actor.full_name,
                   actor.username)
            .join(Task, Task.id == TaskAssignment.task_id)
            .join(actor, actor.id == TaskAssignment.assigned_by_id)
            .where(TaskAssignment.user_id == user_id, TaskAssignment.at > since, TaskAssignment.at <= now,
                   TaskAssignment.assigned_by_id != user_id, live_condition())
            .order_by(TaskAssignment.id.desc()).limit(MAX_ITEMS))


def _read_all_statements(user) -> dict:
    """The bell's statements for a user who sees every task (office, leader, admin), built once per
    (role, has a unit) with the user, the unit and the window as bound parameters (``now``,
    ``since``, ``user_id``, ``unit_id``): the same queries as ``derive`` builds for the others, without
    building them on every page (issue 16). The office's directives are named as a constant, so that
    the database reads them from the partial index ``ix_task_events_directives``."""
    key = (user.role, user.unit_id is not None)
    built = _READ_ALL_STATEMENTS.get(key)
    if built is not None:
        return built
    actor = aliased(User)
    now, since, user_id = bindparam("now"), bindparam("since"), bindparam("user_id")
    events = None
    if user.role == "office":
        events = _history(actor, user_id, now).where(TaskEvent.at > since,
                                                     TaskEvent.event == literal_column("'directive'"))
    assignments = _assignments(actor, user_id, since, now)
    mentioned = exists(select(CommentMention.id).where(
        CommentMention.comment_id == TaskComment.id,
        or_(CommentMention.user_id == user_id,
            CommentMention.unit_id == bindparam("unit_id") if user.unit_id is not None else false())))
    comments = (select(TaskComment.id, TaskComment.created_at, TaskComment.body, mentioned.label("named"),
                       Task.id, Task.title, Task.item, actor.full_name, actor.username)
                .join(Task, Task.id == TaskComment.task_id).join(actor, actor.id == TaskComment.author_id)
                .where(TaskComment.created_at > since, TaskComment.created_at <= now,
                       TaskComment.author_id != user_id, live_condition(), or_(mentioned))
                .order_by(TaskComment.created_at.desc(), TaskComment.id.desc()).limit(MAX_ITEMS))
    built = _READ_ALL_STATEMENTS[key] = {"events": events, "assignments": assignments, "comments": comments}
    return built


def unread_count(user, now: datetime) -> int:
    """The bell's number: only what came after the user's read marker is derived."""
    if (user is not None and getattr(user, "id", None) and user.is_authenticated and user.active
            and permissions.visible_tasks_filter(user) is None):
        return _unread_count_read_all(user, now)
    state = _state(user.id) if user is not None and getattr(user, "id", None) else None
    after = state.read_before if state else None
    return sum(1 for n in derive(user, now, after=after, state=state) if not n.read)


def mark_read(user, now: datetime, *, keys=None, everything: bool = False) -> int:
    """Mark every notification read (the marker moves to ``now``), or the ones named by key.
    Returns how many are left unread."""
    if not everything:
        if not isinstance(keys, list) or not keys:
            raise ValidationError("Gửi \"all\": true, hoặc \"keys\": danh sách mã thông báo cần đánh dấu đã đọc.")
        if len(keys) > 500:
            raise ValidationError("Mỗi lần đánh dấu tối đa 500 thông báo.")
        bad = [k for k in keys if not isinstance(k, str) or not KEY_PATTERN.match(k)]
        if bad:
            raise ValidationError(f"Mã thông báo không hợp lệ: {str(bad[0])[:40]}.")
    with unit_of_work():
        if everything:
            state = _ensure_state(user.id)
            state.read_before = now
            db.session.execute(delete(NotificationRead).where(NotificationRead.user_id == user.id))
        else:
            # Two tabs marking the same notification: the second insert does nothing.
            insert = insert_for(db.session.get_bind().dialect.name)
            db.session.execute(insert(NotificationRead).values(
                [{"user_id": user.id, "key": key, "at": now} for key in dict.fromkeys(keys)])
                .on_conflict_do_nothing(index_elements=["user_id", "key"]))
    return unread_count(user, now)


def _ensure_state(user_id: int) -> NotificationState:
    """The user's row, created if missing (concurrent requests create it once)."""
    insert = insert_for(db.session.get_bind().dialect.name)
    db.session.execute(insert(NotificationState).values(user_id=user_id, email_kinds=[])
                       .on_conflict_do_nothing(index_elements=["user_id"]))
    state = db.session.get(NotificationState, user_id, populate_existing=True)
    return state


def preferences(user) -> tuple[str, list[str]]:
    state = _state(user.id)
    return (state.email or "", list(state.email_kinds or [])) if state else ("", [])


EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+$")


def save_preferences(user, *, email: str | None, kinds) -> NotificationState:
    """The kinds a user also wants by e-mail, and where to."""
    email = nfc(email) or None
    if email and (len(email) > 255 or not EMAIL.match(email)):
        raise ValidationError(f"Địa chỉ e-mail không hợp lệ: “{email[:80]}”.")
    kinds = list(kinds or [])
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValidationError(f"Loại thông báo không có: {str(unknown[0])[:40]}.")
    if kinds and not email:
        raise ValidationError("Cần nhập địa chỉ e-mail để nhận thông báo qua e-mail.")
    with unit_of_work():
        state = _ensure_state(user.id)
        state.email = email
        state.email_kinds = [k for k in KINDS if k in kinds]
    return state


def compose_email(user, items: list[Notification], sender: str, recipient: str, now: datetime,
                  base_url: str = "") -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"Thông báo ngày {to_local(now).strftime('%d/%m/%Y')}: {len(items)} thông báo mới"
    message["From"] = sender
    message["To"] = recipient
    lines = [f"Kính gửi: {user.full_name or user.username}", ""]
    for n in items:
        lines.append(f"- [{n.kind_label}] {n.text}")
        lines.append(f"  Nhiệm vụ: {n.task_title[:160]} — {base_url}/tasks/{n.task_id}")
    lines += ["", "Đổi loại thông báo nhận qua e-mail tại trang Thông báo → Cài đặt."]
    message.set_content("\n".join(lines))
    return message


def send_notification_emails(now: datetime) -> int:
    """E-mail each user the unread notifications of the kinds they chose that arrived since the
    last e-mail; returns how many e-mails were sent."""
    config = current_app.config
    host = config.get("MAIL_SERVER")
    if not host:
        return 0
    sender = config.get("MAIL_SENDER", "nhacviec@localhost")
    base_url = (config.get("PUBLIC_URL") or "").rstrip("/")
    states = db.session.scalars(select(NotificationState).where(NotificationState.email.is_not(None))).all()
    batches = []
    for state in states:
        user = db.session.get(User, state.user_id)
        if user is None or not user.active or not state.email_kinds:
            continue
        after = state.emailed_before or (now - timedelta(days=1))
        items = [n for n in derive(user, now) if not n.read and n.kind in state.email_kinds and n.at > after]
        if items:
            batches.append((state, user, items))
    sent = 0
    if batches:
        with smtplib.SMTP(host, int(config.get("MAIL_PORT", 25)), timeout=30) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
            for state, user, items in batches:
                smtp.send_message(compose_email(user, items, sender, state.email, now, base_url))
                sent += 1
    with unit_of_work():
        for state in states:
            state.emailed_before = now
    return sent


def _short(text: str | None, limit: int = 120) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _dt(value: datetime | None) -> str:
    return to_local(value).strftime("%d/%m/%Y %H:%M") if value else "—"



_UNREAD_STATEMENTS: dict = {}


def _unread_count_read_all(user, now: datetime) -> int:
    """``unread_count`` for a user who sees every task (office, leader, admin) in one statement (issue 16):
    the keys of the same three sources as ``derive`` (each with its own conditions, order and limit), the
    read marker applied in SQL (the window starts at the later of the marker and ``NOTIFICATION_DAYS``
    ago, as ``derive(after=marker)``), then the keys read one by one when something was found. Same
    number as ``derive``; 1–2 statements instead of 4 on every page."""
    key = (user.role, user.unit_id is not None)
    statement = _UNREAD_STATEMENTS.get(key)
    if statement is None:
        statement = _UNREAD_STATEMENTS[key] = _unread_count_statement(_unread_statement(user))
    days = int(current_app.config.get("NOTIFICATION_DAYS", DEFAULT_DAYS))
    return db.session.scalar(
        statement, {"now": now, "since": now - timedelta(days=days), "window": now - timedelta(days=days),
                    "user_id": user.id, "unit_id": user.unit_id})


def _unread_count_statement(keys):
    """How many of the (kind, id) rows of ``keys`` the user has not read one by one: the keys read
    (``notification_reads``, "<kind>:<id>") subtracted in the same statement (issue 16: it was a second
    statement whenever something was unread)."""
    from sqlalchemy import String, cast, func, literal, type_coerce

    rows = keys.subquery()
    key = type_coerce(rows.c.kind, String).concat(literal(":")).concat(cast(rows.c.row_id, String))
    read = select(NotificationRead.id).where(NotificationRead.user_id == bindparam("user_id"),
                                             NotificationRead.key == key)
    return select(func.count()).select_from(rows).where(~exists(read))


def _unread_statement(user):
    """The UNION ALL of ``_read_all_statements``' sources, as (kind, id) after the user's marker."""
    from sqlalchemy import func, union_all

    built = _read_all_statements(user)
    window = bindparam("window", type_=NotificationState.__table__.c.read_before.type)
    marker = (select(NotificationState.read_before)
              .where(NotificationState.user_id == bindparam("user_id"), NotificationState.read_before > window)
              .scalar_subquery())
    since = func.coalesce(marker, window)
    parts = []
    for kind, name, column in (("ev", "events", TaskEvent.at), ("as", "assignments", TaskAssignment.at),
                               ("cm", "comments", TaskComment.created_at)):
        query = built[name]
        if query is None:
            continue
        # The same statement with "since" the later of the window and the marker: only the key's columns.
        sub = query.where(column > since).with_only_columns(
            literal_column(f"'{kind}'").label("kind"), query.selected_columns[0].label("row_id")).subquery()
        parts.append(select(sub.c.kind, sub.c.row_id))
    return union_all(*parts)


_UNIT_STATEMENTS: dict = {}


def _unit_statements(after: bool) -> dict:
    """The bell's statements for a department's user (the tasks of their unit), built once per database
    and per "after a marker or not", with the user, the unit, the window and the marker as bound
    parameters (``now``, ``since``, ``user_id``, ``unit_id``, ``soon`` = now + WARNING_YELLOW_DAYS,
    ``after``): the same queries ``derive`` built on every page for every unit's user (~8,000 Python
    calls a page, issue 16), built once; the tasks assigned to the user are a subquery of the
    deadlines' statement (they were read by a statement of their own)."""
    from workflow.extensions import db as database

    key = (database.engine.dialect.name, after)
    built = _UNIT_STATEMENTS.get(key)
    if built is not None:
        return built
    actor = aliased(User)
    now, since, user_id, unit_id = bindparam("now"), bindparam("since"), bindparam("user_id"), bindparam("unit_id")
    mine = permissions.unit_tasks_filter(unit_id)
    base = _history(actor, user_id, now)
    events = base.where(TaskEvent.at > since, or_(
        TaskEvent.event.in_(("create", "directive")) & mine,
        TaskEvent.event.in_(("approve_extension", "reject_extension")) & (Task.lead_unit_id == unit_id)))
    issued = base.where(TaskEvent.at <= since, TaskEvent.event == "create", mine,
                        Dispatch.issued_at > since, Dispatch.issued_at <= now)
    assignments = _assignments(actor, user_id, since, now)
    mentioned = exists(select(CommentMention.id).where(
        CommentMention.comment_id == TaskComment.id,
        or_(CommentMention.user_id == user_id, CommentMention.unit_id == unit_id)))
    comments = (select(TaskComment.id, TaskComment.created_at, TaskComment.body, mentioned.label("named"),
                       Task.id, Task.title, Task.item, actor.full_name, actor.username)
                .join(Task, Task.id == TaskComment.task_id).join(actor, actor.id == TaskComment.author_id)
                .where(TaskComment.created_at > since, TaskComment.created_at <= now,
                       TaskComment.author_id != user_id, live_condition(), or_(mentioned, mine))
                .order_by(TaskComment.created_at.desc(), TaskComment.id.desc()).limit(MAX_ITEMS)
                .where(mine))

    def deadlines(owned):
        query = (select(Task.id, Task.title, Task.item, Task.deadline, Task.status, Task.created_at)
                 .where(owned, Task.status.in_(OPEN_STATUSES), Task.deadline.is_not(None),
                        Task.deadline <= bindparam("soon"), live_condition())
                 .order_by(Task.deadline.desc()).limit(MAX_ITEMS))
        if after:  # only those whose notification comes after the marker
            marker = bindparam("after", type_=Task.__table__.c.deadline.type)
            query = query.where(or_(Task.deadline > marker, Task.created_at > marker))
        return query

    from workflow.services.assignments import latest_assignments

    last = latest_assignments()  # the tasks assigned to the user now (assignments.assigned_task_ids)
    assigned = select(TaskAssignment.task_id).join(last, TaskAssignment.id == last.c.last_id) \
        .where(TaskAssignment.user_id == user_id)
    built = _UNIT_STATEMENTS[key] = {
        "events": events, "issued": issued, "assignments": assignments, "comments": comments,
        "deadlines": deadlines(or_(Task.lead_unit_id == unit_id, Task.id.in_(assigned)))}
    return built
