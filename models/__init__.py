"""SQLAlchemy models only: columns, relationships and small pure checks."""
from models.dispatch import DISPATCH_STATUS_LABELS, Dispatch, NumberRegister
from models.document import Document, StoredFile
from models.holiday import Holiday
from models.indicator import Indicator, IndicatorReport
from models.task import (OPEN_STATUSES, TASK_STATUS_LABELS, AppendOnlyError, Task, TaskCount, TaskEvent,
                         task_coordinating_units)
from models.unit import UNIT_KINDS, Unit
from models.user import ROLES, ApiToken, User, hash_token

__all__ = [
    "ApiToken", "AppendOnlyError", "DISPATCH_STATUS_LABELS", "Dispatch", "Document", "Holiday",
    "Indicator", "IndicatorReport", "NumberRegister", "OPEN_STATUSES", "ROLES", "StoredFile",
    "TASK_STATUS_LABELS", "Task", "TaskCount", "TaskEvent", "UNIT_KINDS", "Unit", "User", "hash_token",
    "task_coordinating_units",
]

# Numbering register entries and long jobs (documents, issue 5).
from models.job import JOB_STATUS_LABELS, Job  # noqa: E402
from models.register import REGISTER_STATUS_LABELS, RegisterEntry  # noqa: E402

__all__ += ["JOB_STATUS_LABELS", "Job", "REGISTER_STATUS_LABELS", "RegisterEntry"]

# Indicator reports' history and their tasks (indicators, issue 6).
from models.indicator import IndicatorPeriodTask, IndicatorReportEvent  # noqa: E402

__all__ += ["IndicatorPeriodTask", "IndicatorReportEvent"]

# Sign-in limit counters shared by every process (issue 8).
from models.ratelimit import RateLimitCounter  # noqa: E402

__all__ += ["RateLimitCounter"]

# Sign-ins ended on the server (issue 14: sessions and remember cookies refused once ended).
from models.user import UserSession  # noqa: E402

__all__ += ["UserSession"]
# The outgoing document's life: signatures, issue, delivery (issue 13).
from models.outgoing import (LIFECYCLE_STATUS_LABELS, DocumentEvent, DocumentLifecycle, InboxItem,  # noqa: E402
                             SigningCredential)

__all__ += ["DocumentEvent", "DocumentLifecycle", "InboxItem", "LIFECYCLE_STATUS_LABELS", "SigningCredential"]
# Collaboration on a task: attachments, comments, assignees, notification read state (issue 15).
from models.collab import (CommentMention, NotificationRead, NotificationState, TaskAssignment,  # noqa: E402
                           TaskAttachment, TaskComment)

__all__ += ["CommentMention", "NotificationRead", "NotificationState", "TaskAssignment", "TaskAttachment",
            "TaskComment"]
