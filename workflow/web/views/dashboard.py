"""The home page: a dashboard for each role."""
from __future__ import annotations

from flask import render_template, request
from markupsafe import Markup
from sqlalchemy import func, select

from models import Unit, User
from workflow import snapshots
from workflow.extensions import db
from workflow.web import bp, reads
from workflow.web.charts import narrow_chart, open_late_chart
from workflow.web.helpers import fragment, now, task_warning, user


PAGES = {"office": "dashboard/office.html", "department": "dashboard/department.html",
         "leader": "dashboard/leader.html"}


@bp.get("/")
def dashboard():
    actor = user()
    if actor.role in PAGES:
        # The page's content kept per database state (workflow/snapshots.py), computed for the minute the
        # page shows; the layout around it (sign-in, bell, menus) stays per request.
        at = snapshots.minute(now())
        content = snapshots.kept(("web.dashboard", request.query_string, actor.id, actor.role, actor.unit_id, at),
                                 lambda: Markup(_content(actor, at)))
        return render_template(PAGES[actor.role], content_html=content)
    return _admin_dashboard(actor, now())


def _content(actor, at):
    """The dashboard's content (what ``PAGES``' templates show inside the layout) for ``actor`` at ``at``."""
    if actor.role == "office":
        summary = reads.task_summary(actor, at)  # one pass over the tasks for the counts and the units
        late_units = reads.late_by_unit(reads.unit_table(actor, at, summary=summary))
        return render_template(
            "dashboard/_office_content.html", at=at, counts=reads.status_counts(actor, at, summary=summary),
            due_soon=reads.due_soon(actor, at, views=True), late_units=late_units[:reads.DASHBOARD_UNITS],
            late_units_total=len(late_units), recent=reads.recent_events(actor, limit=8, views=True),
            extensions=reads.pending_extensions(actor, views=True),
            yellow_days=reads.yellow_days(), warning=lambda t: task_warning(t, at), drafts=reads.drafts())
    if actor.role == "department":
        tasks = reads.unit_tasks_to_act(actor, at)
        return render_template(
            "dashboard/_department_content.html", at=at, tasks=tasks,
            counts=reads.status_counts(actor, at, lead_unit_id=actor.unit_id or -1),
            yellow=sum(1 for t in tasks if task_warning(t, at) == "yellow"),
            coordinating=reads.unit_tasks_coordinating(actor),
            recent=reads.recent_events(actor, limit=8, views=True), warning=lambda t: task_warning(t, at))
    if actor.role == "leader":
        summary = reads.task_summary(actor, at)
        table = reads.unit_table(actor, at, summary=summary)
        judged = sum(r.completed + r.late for r in table)
        overall = sum(r.completed_on_time for r in table) / judged if judged else None
        on_time = reads.on_time_by_unit(table)
        chart, chart_narrow = open_late_chart(reads.open_by_unit(table)), narrow_chart(reads.open_by_unit(table))
        # The long pieces rendered once per distinct input (helpers.fragment): each key holds what its piece shows.
        on_time_html = fragment("dashboard/_on_time_rows.html", tuple(
            (r.unit.name, r.on_time_rate, r.completed_on_time, r.completed, r.late) for r in on_time), on_time=on_time)
        return render_template(
            "dashboard/_leader_content.html", at=at, overall=overall, counts=reads.status_counts(actor, at, summary=summary),
            overdue=reads.overdue_tasks(actor, at, limit=10, views=True), on_time=on_time, on_time_html=on_time_html,
            chart_html=fragment("dashboard/_chart.html", repr(chart), chart=chart),
            chart_narrow_html=fragment("dashboard/_chart.html", repr(chart_narrow), chart=chart_narrow),
            days_late=reads.queries.days_late)
    raise ValueError(actor.role)


def _admin_dashboard(actor, at):
    users_by_role = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
    return render_template(
        "dashboard/admin.html", at=at, users_by_role=users_by_role,
        inactive=db.session.scalar(select(func.count()).select_from(User).where(User.active.is_(False))),
        units_by_kind=dict(db.session.execute(select(Unit.kind, func.count()).group_by(Unit.kind)).all()),
        counts=reads.status_counts(actor, at))
