"""Comments on a task (issue 15): the lead unit, the coordinating units (their "ý kiến phối
hợp"), the office and leaders write; whoever reads the task reads them. ``@code`` mentions a
unit (``@so-tai-chinh``), ``@username`` a person; each mention must name someone who can read
the task, so that the notification it becomes leads somewhere."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from models import CommentMention, TaskComment, Unit, User
from workflow import permissions
from workflow.errors import ValidationError
from workflow.extensions import db
from workflow.services import unit_of_work
from workflow.services.tasks import get_task
from workflow.text import nfc

MAX_LENGTH = 5000
MAX_MENTIONS = 20
# "@so-tai-chinh", "@nguyenvana" — not the "@" inside an e-mail address.
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9][A-Za-z0-9._-]*)")


def mention_names(body: str) -> list[str]:
    """The names after "@" in a comment, in order, without repeats (a final "." is punctuation)."""
    names = [m.group(1).rstrip(".-_") for m in MENTION.finditer(body or "")]
    return list(dict.fromkeys(n for n in names if n))


def resolve_mentions(task, body: str) -> tuple[list[Unit], list[User]]:
    """The units and people a comment mentions; refuses a name that is nobody, or somebody who
    cannot read the task."""
    names = mention_names(body)
    if len(names) > MAX_MENTIONS:
        raise ValidationError(f"Một ý kiến nhắc tới tối đa {MAX_MENTIONS} đơn vị hoặc người.")
    units: list[Unit] = []
    people: list[User] = []
    for name in names:
        unit = db.session.scalar(select(Unit).where(Unit.code == name.lower()))
        if unit is not None:
            if not _unit_can_read(unit, task):
                raise ValidationError(f"Đơn vị “{unit.name}” (@{unit.code}) không tham gia nhiệm vụ này "
                                      "nên không xem được ý kiến; hãy bỏ phần nhắc tên.")
            units.append(unit)
            continue
        person = db.session.scalar(select(User).where(User.username == name))
        if person is None or not person.active:
            raise ValidationError(f"Không có đơn vị hay người dùng nào tên “@{name}”. "
                                  "Nhắc đơn vị bằng mã (ví dụ @so-tai-chinh), nhắc người bằng tên đăng nhập.")
        if not permissions.can_view_task(person, task):
            raise ValidationError(f"{person.full_name or person.username} (@{person.username}) không xem được "
                                  "nhiệm vụ này; hãy bỏ phần nhắc tên.")
        people.append(person)
    return units, people


def _unit_can_read(unit: Unit, task) -> bool:
    if unit.id == task.lead_unit_id or any(u.id == unit.id for u in task.coordinating_units):
        return True
    # The office's or the leaders' own unit: its people read every task.
    return db.session.scalar(select(User.id).where(
        User.unit_id == unit.id, User.active.is_(True),
        User.role.in_(permissions.READ_ALL_ROLES)).limit(1)) is not None


def add_comment(actor, task_id: int, body: str | None, *, now: datetime) -> TaskComment:
    task = get_task(actor, task_id)
    permissions.require_comment(actor, task)
    body = nfc(body) or ""
    if not body:
        raise ValidationError("Cần nhập nội dung ý kiến.")
    if len(body) > MAX_LENGTH:
        raise ValidationError(f"Ý kiến quá dài (tối đa {MAX_LENGTH} ký tự).")
    units, people = resolve_mentions(task, body)
    with unit_of_work():
        comment = TaskComment(task_id=task.id, author_id=actor.id, unit_id=actor.unit_id,
                              capacity=permissions.task_capacity(actor, task), body=body, created_at=now)
        comment.mentions = ([CommentMention(unit_id=u.id) for u in units]
                            + [CommentMention(user_id=p.id) for p in people])
        db.session.add(comment)
    return comment


def list_comments(actor, task_id: int) -> list[TaskComment]:
    task = get_task(actor, task_id)
    return comments_of(task.id)


def comments_of(task_id: int) -> list[TaskComment]:
    return list(db.session.scalars(
        select(TaskComment).where(TaskComment.task_id == task_id)
        .options(joinedload(TaskComment.author), joinedload(TaskComment.unit),
                 selectinload(TaskComment.mentions).joinedload(CommentMention.unit),
                 selectinload(TaskComment.mentions).joinedload(CommentMention.user))
        .order_by(TaskComment.created_at, TaskComment.id)))
