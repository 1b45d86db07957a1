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
        # The counts and the units (one text on PostgreSQL: reads.summary), and what is derived from them, kept
        # per distinct input.
        counts, key, table = reads.summary(actor, at)
        late_units, late_units_total = reads.derived(key, "office", lambda: _office_parts(table()))
        return render_template(
            "dashboard/_office_content.html", at=at, counts=counts,
            due_soon=reads.due_soon(actor, at, views=True), late_units=late_units,
            late_units_total=late_units_total, recent=reads.recent_events(actor, limit=8, views=True),
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
        counts, key, table = reads.summary(actor, at)
        overall, on_time, on_time_html, chart_html, chart_narrow_html = reads.derived(
            key, "leader", lambda: _leader_parts(table()))
        return render_template(
            "dashboard/_leader_content.html", at=at, overall=overall, counts=counts,
            overdue=reads.overdue_tasks(actor, at, limit=10, views=True), on_time=on_time, on_time_html=on_time_html,
            chart_html=chart_html, chart_narrow_html=chart_narrow_html, days_late=reads.queries.days_late)
    raise ValueError(actor.role)


def _office_parts(table):
    """What the office's dashboard shows of the unit table (pure: kept per input)."""
    late_units = reads.late_by_unit(table)
    return late_units[:reads.DASHBOARD_UNITS], len(late_units)


def _leader_parts(table):
    """What the leader's dashboard shows of the unit table, its long pieces rendered (pure:
    kept per input; the pieces are rendered with the request's URL root, which the kept key holds too)."""
    judged = sum(r.completed + r.late for r in table)
    overall = sum(r.completed_on_time for r in table) / judged if judged else None
    on_time = reads.on_time_by_unit(table)
    chart, chart_narrow = open_late_chart(reads.open_by_unit(table)), narrow_chart(reads.open_by_unit(table))
    # The long pieces rendered once per distinct input (helpers.fragment): each key holds what its piece shows.
    on_time_html = fragment("dashboard/_on_time_rows.html", tuple(
        (r.unit.name, r.on_time_rate, r.completed_on_time, r.completed, r.late) for r in on_time), on_time=on_time)
    return (overall, on_time, on_time_html, fragment("dashboard/_chart.html", repr(chart), chart=chart),
            fragment("dashboard/_chart.html", repr(chart_narrow), chart=chart_narrow))


def _admin_dashboard(actor, at):
    users_by_role = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
    return render_template(
        "dashboard/admin.html", at=at, users_by_role=users_by_role,
        inactive=db.session.scalar(select(func.count()).select_from(User).where(User.active.is_(False))),
        units_by_kind=dict(db.session.execute(select(Unit.kind, func.count()).group_by(Unit.kind)).all()),
        counts=reads.status_counts(actor, at))
