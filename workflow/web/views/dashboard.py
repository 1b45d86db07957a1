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
from workflow.web.helpers import fragment, fragment_of, now, task_warning, user


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
        return _office_content(actor, at)
    if actor.role == "department":
        tasks = reads.unit_tasks_to_act(actor, at)
        return render_template(
            "dashboard/_department_content.html", at=at, tasks=tasks,
            counts=reads.status_counts(actor, at, lead_unit_id=actor.unit_id or -1),
            yellow=sum(1 for t in tasks if task_warning(t, at) == "yellow"),
            coordinating=reads.unit_tasks_coordinating(actor),
            recent=reads.recent_events(actor, limit=8, views=True), warning=lambda t: task_warning(t, at))
    if actor.role == "leader":
        # As the office's (``_office_content``): one statement of texts on PostgreSQL, pieces kept per text.
        days_late = reads.queries.days_late
        if reads.one_text_reads(actor):
            counts, key, table, overdue_text = reads.leader_inputs(actor, at)
            overdue = _piece("dashboard/_leader_overdue_rows.html", ("overdue", at, overdue_text),
                             lambda: reads.list_views(overdue_text), "overdue", at=at, days_late=days_late)
        else:
            counts, key, table = reads.summary(actor, at)
            overdue = _piece("dashboard/_leader_overdue_rows.html", None,
                             lambda: reads.overdue_tasks(actor, at, limit=10, views=True), "overdue", at=at,
                             days_late=days_late)
        overall, on_time, on_time_html, chart_html, chart_narrow_html = reads.derived(
            key, "leader", lambda: _leader_parts(table()))
        return render_template(
            "dashboard/_leader_content.html", at=at, overall=overall, counts=counts, overdue=overdue[0],
            overdue_html=overdue[1], on_time=on_time, on_time_html=on_time_html, chart_html=chart_html,
            chart_narrow_html=chart_narrow_html)
    raise ValueError(actor.role)


def _office_content(actor, at):
    """The office's dashboard. On PostgreSQL its inputs are one statement of texts (``reads.office_inputs``) and
    each long piece (the tasks due soon, the extension requests, the latest changes, the late units) is rendered
    once per distinct text (``helpers.fragment``: the text holds every value the piece shows); elsewhere the rows
    are read as before and each piece rendered."""
    yellow_days = reads.yellow_days()
    if reads.one_text_reads(actor):
        counts, key, table, due_text, extensions_text, recent_text = reads.office_inputs(actor, at)
        due_soon = _piece("dashboard/_due_soon_rows.html", ("due", at, yellow_days, due_text),
                          lambda: reads.list_views(due_text), "due_soon", at=at, warning=lambda t: task_warning(t, at))
        extensions = _piece("dashboard/_extension_items.html", ("extensions", extensions_text),
                            lambda: reads.list_views(extensions_text), "extensions")
        recent = _piece("_recent.html", ("recent", recent_text), lambda: reads.event_views(recent_text), "recent")
    else:
        counts, key, table = reads.summary(actor, at)
        due_soon = _piece("dashboard/_due_soon_rows.html", None, lambda: reads.due_soon(actor, at, views=True),
                          "due_soon", at=at, warning=lambda t: task_warning(t, at))
        extensions = _piece("dashboard/_extension_items.html", None,
                            lambda: reads.pending_extensions(actor, views=True), "extensions")
        recent = _piece("_recent.html", None, lambda: reads.recent_events(actor, limit=8, views=True), "recent")
    late_units, late_units_total, late_units_html = reads.derived(key, "office", lambda: _office_parts(table()))
    return render_template(
        "dashboard/_office_content.html", at=at, counts=counts, due_soon=due_soon[0], due_soon_html=due_soon[1],
        late_units=late_units, late_units_total=late_units_total, late_units_html=late_units_html,
        recent_html=recent[1], extensions=extensions[0], extensions_html=extensions[1], yellow_days=yellow_days,
        drafts=reads.drafts())


def _piece(template: str, key, rows, name: str, **context) -> tuple[bool, Markup]:
    """(any rows, HTML) of a piece of a dashboard showing ``rows()`` as ``name``: kept per ``key`` when given (it
    holds every value the piece shows: helpers.fragment), else rendered now."""
    if key is None:
        found = rows()
        return bool(found), Markup(render_template(template, **{name: found}, **context))
    found = []

    def render():
        found.append(rows())
        return render_template(template, **{name: found[0]}, **context)

    html = fragment_of(template, key, render)
    return (bool(found[0]) if found else key[-1] != "[]"), html


def _office_parts(table):
    """What the office's dashboard shows of the unit table (pure: kept per input)."""
    late_units = reads.late_by_unit(table)
    total, late_units = len(late_units), late_units[:reads.DASHBOARD_UNITS]
    return late_units, total, Markup(render_template("dashboard/_late_unit_items.html", late_units=late_units))


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
