"""Recurring tasks get one instance per period, idempotently, with the right due dates."""
from __future__ import annotations

from sqlalchemy import select

from models import Task
from tests.conftest import local
from workflow.services.recurrence import generate_ahead, generate_recurring
from workflow.services.tasks import sweep


def series(db, dispatch_ref, item):
    from workflow.services.dispatches import find_dispatch

    dispatch = find_dispatch(dispatch_ref)
    return db.session.scalars(select(Task).where(Task.dispatch_id == dispatch.id, Task.item == item)
                              .order_by(Task.deadline)).all()


def test_instances_through_the_end_of_2027(db):
    now = local(2026, 11, 22, 8)
    created = generate_recurring(now, local(2027, 12, 31, 23, 59, 59))
    monthly = series(db, "1534-CV/TU", "2.c")
    assert [t.period for t in monthly] == [f"2026-{m:02d}" for m in range(5, 13)] + \
        [f"2027-{m:02d}" for m in range(1, 13)]
    assert all(t.deadline == local(int(t.period[:4]), int(t.period[5:]), 17) for t in monthly)
    for item in ("3.2", "4"):
        quarterly = series(db, "1775-CV/TU", item)
        assert [(t.period, t.deadline) for t in quarterly] == [
            ("2026-Q2", local(2026, 7, 5)), ("2026-Q3", local(2026, 10, 5)), ("2026-Q4", local(2027, 1, 5)),
            ("2027-Q1", local(2027, 4, 5)), ("2027-Q2", local(2027, 7, 5)), ("2027-Q3", local(2027, 10, 5))]
        root = quarterly[0]
        assert all(t.series_id == root.id for t in quarterly[1:]) and root.series_id is None
        assert all(t.lead_unit_id == root.lead_unit_id and t.coordinating_units == root.coordinating_units
                   for t in quarterly)
    assert created == 19 + 5 + 5
    assert generate_recurring(now, local(2027, 12, 31, 23, 59, 59)) == 0  # idempotent


def test_the_sweep_creates_the_next_instance_ahead_and_marks_missed_ones(db):
    now = local(2026, 11, 22, 8)
    assert generate_ahead(now) == 9  # 2.c June..December, 3.2 and 4 for Q3
    december = [t for t in series(db, "1534-CV/TU", "2.c") if t.period == "2026-12"][0]
    assert december.status == "assigned" and december.events[0].event == "create"
    sweep(now)
    assert december.status == "assigned"
    assert all(t.status == "overdue" for t in series(db, "1534-CV/TU", "2.c") if t.period < "2026-12")


def test_completing_one_period_leaves_the_others(db):
    from tests.factories import user
    from workflow.services.tasks import fire_event

    generate_ahead(local(2026, 6, 1, 8))
    may, june = series(db, "1534-CV/TU", "2.c")[:2]
    fire_event(user("danguy"), may.id, "complete", version=may.version, now=local(2026, 6, 1, 9),
               evidence_note="Đã cập nhật số liệu tháng 5 trên Hệ thống theodoing.dcs.vn")
    assert may.status == "completed" and may.on_time is False
    assert june.status == "assigned"
