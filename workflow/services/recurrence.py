"""Recurring tasks: one task instance per period, generated idempotently.

A recurring task (``recurrence`` set, no ``series_id``) is the first instance
and the root of its series; each later period gets a task of its own with
``series_id`` pointing at the root, the occurrence as deadline and the period
it closes. Occurrences are counted from the dispatch's issue date.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from models import Dispatch, Task
from workflow.clock import local_tz
from workflow.deadlines import occurrences, period_for
from workflow.extensions import db
from workflow.services import unit_of_work
from workflow.services.tasks import new_task

DEFAULT_HORIZON_DAYS = 35  # the sweep creates each period's instance about a month ahead


def series_roots():
    return db.session.scalars(
        select(Task).where(Task.recurrence.is_not(None), Task.series_id.is_(None),
                           Task.dispatch_id.in_(select(Dispatch.id).where(Dispatch.status == "issued")))
        .options(selectinload(Task.coordinating_units), selectinload(Task.dispatch))
        .order_by(Task.id)
    ).all()


def generate_recurring(now: datetime, until: datetime) -> int:
    """Create the missing instances of every series due up to ``until``; return how many."""
    tz = local_tz()
    created = 0
    with unit_of_work():
        for root in series_roots():
            have = set(db.session.scalars(
                select(Task.period).where(or_(Task.id == root.id, Task.series_id == root.id))))
            start = datetime.combine(root.dispatch.issued_on, time(0), tzinfo=tz)
            for due in occurrences(root.recurrence, dtstart=start, until=until):
                period = period_for(root.recurrence, due)
                if period in have:
                    continue
                new_task(dispatch=root.dispatch, item=root.item, title=root.title, lead_unit=root.lead_unit,
                         coordinating=list(root.coordinating_units), deadline=due,
                         deadline_text=root.deadline_text, recurrence=root.recurrence, period=period,
                         product=root.product, person_in_charge=root.person_in_charge,
                         authority=root.authority, series=root, now=now,
                         note=f"Kỳ {period} của nhiệm vụ định kỳ.")
                have.add(period)
                created += 1
    return created


def generate_ahead(now: datetime, days: int = DEFAULT_HORIZON_DAYS) -> int:
    """What the sweep runs: instances due within the next ``days`` days (and any missed ones)."""
    return generate_recurring(now, now + timedelta(days=days))
