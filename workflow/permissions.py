"""Who may see and do what: the one place that knows the permissions.

Roles (DESIGN section 1):
- office: creates dispatches, assigns tasks, approves extensions, reopens, makes documents;
- department: sees tasks its unit leads or coordinates; acts on tasks its unit leads;
- leader: reads everything, writes directive notes;
- admin: manages users and units, reads everything.
"""
from __future__ import annotations

from sqlalchemy import Integer, any_, cast, exists, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY

from models import Task, task_coordinating_units
from workflow.errors import Forbidden

# Which role may fire which task event; "lead" means a department user of the task's lead unit.
EVENT_PERMISSIONS: dict[str, set[str]] = {
    "start": {"lead"},
    "report": {"lead"},
    "complete": {"lead"},
    "request_extension": {"lead"},
    "approve_extension": {"office"},
    "reject_extension": {"office"},
    "reopen": {"office"},
    "directive": {"leader"},
    "mark_overdue": set(),  # the system only (sweep)
}

READ_ALL_ROLES = {"office", "leader", "admin"}


def _active(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.active


def can_read_all(user) -> bool:
    return _active(user) and user.role in READ_ALL_ROLES


def can_view_task(user, task: Task) -> bool:
    if not _active(user):
        return False
    if task.dispatch is not None and task.dispatch.status == "draft" and user.role != "office":
        return False
    if user.role in READ_ALL_ROLES:
        return True
    if user.role == "department" and user.unit_id is not None:
        return task.lead_unit_id == user.unit_id or any(u.id == user.unit_id for u in task.coordinating_units)
    return False


def visible_tasks_filter(user):
    """A SQL condition selecting the tasks ``user`` may see (None means all)."""
    if user.role in READ_ALL_ROLES:
        return None
    if user.role == "department" and user.unit_id is not None:
        from workflow.extensions import db

        links = task_coordinating_units
        if db.engine.dialect.name == "postgresql":
            # "Led, or one of the ids the unit coordinates (read once, as an array)": both sides
            # are index lookups (ix_tasks_lead_status, the primary key) that PostgreSQL ORs as
            # bitmaps, so it reads the unit's few hundred tasks instead of scanning them all.
            ids = select(func.array_agg(links.c.task_id)).where(links.c.unit_id == user.unit_id).scalar_subquery()
            return or_(Task.lead_unit_id == user.unit_id, Task.id == any_(cast(ids, ARRAY(Integer))))
        return or_(Task.lead_unit_id == user.unit_id,
                   Task.id.in_(select(links.c.task_id).where(links.c.unit_id == user.unit_id)))
    return Task.id.is_(None)  # sees nothing


def can_fire(user, task: Task, event: str) -> bool:
    if not _active(user):
        return False
    allowed = EVENT_PERMISSIONS.get(event, set())
    if "lead" in allowed and user.role == "department" and user.unit_id == task.lead_unit_id:
        return True
    if event == "complete" and user.role == "office" and is_indicator_report_task(task):
        return True  # the office records a unit's indicator report on its behalf (issue 6)
    return user.role in allowed


def require_fire(user, task: Task, event: str) -> None:
    if not can_fire(user, task, event):
        if event == "mark_overdue":
            raise Forbidden("Chỉ hệ thống chuyển nhiệm vụ sang quá hạn.")
        if "lead" in EVENT_PERMISSIONS.get(event, set()):
            raise Forbidden("Chỉ đơn vị chủ trì nhiệm vụ được thực hiện thao tác này.")
        if event == "directive":
            raise Forbidden("Chỉ lãnh đạo được ghi ý kiến chỉ đạo.")
        raise Forbidden("Chỉ Văn phòng được thực hiện thao tác này.")


def can_manage_dispatches(user) -> bool:
    return _active(user) and user.role == "office"


def require_office(user) -> None:
    if not can_manage_dispatches(user):
        raise Forbidden("Chỉ Văn phòng được thực hiện thao tác này.")


def can_view_dispatch(user, dispatch) -> bool:
    if not _active(user):
        return False
    if dispatch.status == "draft":
        return user.role == "office"
    return True


def can_admin(user) -> bool:
    return _active(user) and user.role == "admin"


def require_admin(user) -> None:
    if not can_admin(user):
        raise Forbidden("Chỉ quản trị hệ thống được thực hiện thao tác này.")


# --- Documents (issue 5) ---------------------------------------------------------
# The office generates and numbers every kind; a leader may generate the overdue list
# for itself; office, leader and admin read and download the archive.
LEADER_DOCUMENT_KINDS = {"overdue_list"}


def can_generate_document(user, kind: str) -> bool:
    if not _active(user):
        return False
    if user.role == "office":
        return True
    return user.role == "leader" and kind in LEADER_DOCUMENT_KINDS


def require_generate_document(user, kind: str) -> None:
    if not can_generate_document(user, kind):
        if _active(user) and user.role == "leader":
            raise Forbidden("Lãnh đạo chỉ được tạo danh sách nhiệm vụ quá hạn; các văn bản khác do Văn phòng tạo.")
        raise Forbidden("Chỉ Văn phòng được tạo văn bản.")


def can_read_documents(user) -> bool:
    return _active(user) and user.role in READ_ALL_ROLES


def require_read_documents(user) -> None:
    if not can_read_documents(user):
        raise Forbidden("Không có quyền xem kho văn bản.")


def can_manage_register(user) -> bool:
    """Reserve and void numbers of the outgoing register."""
    return _active(user) and user.role == "office"


def require_manage_register(user) -> None:
    if not can_manage_register(user):
        raise Forbidden("Chỉ Văn phòng được giữ số hoặc hủy số trong sổ đăng ký văn bản đi.")


# --- Indicator reports (issue 6) -------------------------------------------------------
# A unit's periodic report is entered and submitted by its own department users or by the office
# (which receives it on paper or by e-mail); the office accepts or returns it. Office, leader and
# admin read every unit's reports; a department reads its own.


def is_indicator_report_task(task: Task) -> bool:
    """Whether ``task`` stands for a unit's indicator report for a period."""
    from models import IndicatorPeriodTask
    from workflow.extensions import db

    if task.id is None:
        return False
    return db.session.scalar(select(IndicatorPeriodTask.id).where(IndicatorPeriodTask.task_id == task.id)) is not None


def can_submit_indicator_report(user, unit) -> bool:
    if not _active(user) or unit is None:
        return False
    if user.role == "office":
        return True
    return user.role == "department" and user.unit_id == unit.id


def can_view_indicator_report(user, unit) -> bool:
    if can_read_all(user):
        return True
    return _active(user) and user.role == "department" and unit is not None and user.unit_id == unit.id


def can_review_indicator_reports(user) -> bool:
    return _active(user) and user.role == "office"


def fire_condition(user, event: str):
    """``can_fire(user, task, event)`` as a SQL condition on ``tasks`` (for the event path's
    single ``UPDATE … WHERE``): ``True`` when the role alone allows it, ``False`` when nothing
    would, else a condition on the task row (the lead unit; the office's indicator report task)."""
    if not _active(user):
        return False
    allowed = EVENT_PERMISSIONS.get(event, set())
    if user.role in allowed:
        return True
    conditions = []
    if "lead" in allowed and user.role == "department" and user.unit_id is not None:
        conditions.append(Task.__table__.c.lead_unit_id == user.unit_id)
    if event == "complete" and user.role == "office":
        from models import IndicatorPeriodTask

        table = IndicatorPeriodTask.__table__
        conditions.append(exists(select(table.c.id).where(table.c.task_id == Task.__table__.c.id)))
    if not conditions:
        return False
    return or_(*conditions) if len(conditions) > 1 else conditions[0]
