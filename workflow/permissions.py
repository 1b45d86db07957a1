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
        return unit_tasks_filter(user.unit_id)
    return Task.id.is_(None)  # sees nothing


def unit_tasks_filter(unit_id):
    """The tasks a department's unit sees: those it leads or coordinates. ``unit_id`` is the unit's
    id, or a bound parameter for a statement built once (the bell, issue 16)."""
    from workflow.extensions import db

    links = task_coordinating_units
    if db.engine.dialect.name == "postgresql":
        # "Led, or one of the ids the unit coordinates (read once, as an array)": both sides
        # are index lookups (ix_tasks_lead_status, the primary key) that PostgreSQL ORs as
        # bitmaps, so it reads the unit's few hundred tasks instead of scanning them all.
        ids = select(func.array_agg(links.c.task_id)).where(links.c.unit_id == unit_id).scalar_subquery()
        return or_(Task.lead_unit_id == unit_id, Task.id == any_(cast(ids, ARRAY(Integer))))
    return or_(Task.lead_unit_id == unit_id,
               Task.id.in_(select(links.c.task_id).where(links.c.unit_id == unit_id)))


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


# --- The outgoing document's life (issue 13) --------------------------------------------------------
# The office (văn thư) submits a draft to a named signer and issues what was signed; only the named
# signer (a leader) signs or returns it; the admin installs certificates; any signed-in user may
# verify a PDF's signatures; a recipient unit's users read what was delivered to their unit.
LIFECYCLE_KINDS = ("assignment", "reminder", "task_report")


def can_submit_document(user) -> bool:
    return _active(user) and user.role == "office"


def can_issue_document(user) -> bool:
    return _active(user) and user.role == "office"


def is_named_signer(user, lifecycle) -> bool:
    return _active(user) and user.role == "leader" and lifecycle.signer_id == user.id


def require_document_event(user, lifecycle, event: str) -> None:
    if event == "submit" and not can_submit_document(user):
        raise Forbidden("Chỉ Văn phòng được trình ký văn bản.")
    if event in ("sign", "return") and not is_named_signer(user, lifecycle):
        raise Forbidden("Chỉ người được trình ký văn bản này mới được ký hoặc trả lại.")
    if event in ("issue", "deliver") and not can_issue_document(user):
        raise Forbidden("Chỉ văn thư (Văn phòng) được phát hành văn bản.")


def can_read_lifecycle(user, lifecycle) -> bool:
    return can_read_documents(user) or is_named_signer(user, lifecycle)


def can_install_credentials(user) -> bool:
    return can_admin(user)


def can_verify_signatures(user) -> bool:
    return _active(user)


def can_read_inbox(user) -> bool:
    return _active(user) and user.unit_id is not None
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
# --- Collaboration on a task (issue 15) -------------------------------------------------
# Files and comments are read by whoever may read the task. The lead unit, the coordinating
# units (their "ý kiến phối hợp"), the office and leaders write comments and add files; only
# the lead unit (or the office on its behalf) adds the proof of completion. A department user
# of the lead unit assigns the task to a person of that unit.


def task_capacity(user, task: Task) -> str | None:
    """What ``user`` is to ``task`` when taking part in it: lead, coordinating, office, leader."""
    if not can_view_task(user, task):
        return None
    if user.role in ("office", "leader"):
        return user.role
    if user.role == "department" and user.unit_id is not None:
        if task.lead_unit_id == user.unit_id:
            return "lead"
        if any(u.id == user.unit_id for u in task.coordinating_units):
            return "coordinating"
    return None


def can_comment(user, task: Task) -> bool:
    return task_capacity(user, task) is not None


def require_comment(user, task: Task) -> None:
    if not can_comment(user, task):
        raise Forbidden("Chỉ đơn vị chủ trì, đơn vị phối hợp, Văn phòng và lãnh đạo được trao đổi trên nhiệm vụ.")


def can_attach(user, task: Task, purpose: str = "task") -> bool:
    capacity = task_capacity(user, task)
    if purpose == "completion":
        return capacity in ("lead", "office")
    return capacity is not None


def require_attach(user, task: Task, purpose: str = "task") -> None:
    if not can_attach(user, task, purpose):
        if purpose == "completion" and can_comment(user, task):
            raise Forbidden("Chỉ đơn vị chủ trì (hoặc Văn phòng) được đính kèm minh chứng hoàn thành.")
        raise Forbidden("Chỉ đơn vị chủ trì, đơn vị phối hợp, Văn phòng và lãnh đạo được đính kèm tệp.")


def can_assign_person(user, task: Task) -> bool:
    return (_active(user) and user.role == "department" and user.unit_id is not None
            and task.lead_unit_id == user.unit_id and can_view_task(user, task))


def require_assign_person(user, task: Task) -> None:
    if not can_assign_person(user, task):
        raise Forbidden("Chỉ đơn vị chủ trì được phân công người phụ trách nhiệm vụ.")


def sees_every_task(user) -> bool:
    """``visible_tasks_filter(user) is None`` without building the condition (issue 16)."""
    return user.role in READ_ALL_ROLES


def fire_condition_inputs(user, event: str) -> tuple:
    """Everything ``fire_condition(user, event)`` reads, as a key: users with equal keys get the same
    condition (the event path keeps its statement per key, issue 16). Change both together."""
    if user is None:
        return (event, None)
    return (event, bool(getattr(user, "is_authenticated", False)), bool(user.active), user.role, user.unit_id)
