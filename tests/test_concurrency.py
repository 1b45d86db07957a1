"""Two writers with the same version never both win (real commits, threads)."""
from __future__ import annotations

import threading

from sqlalchemy import select

from models import Task
from tests.conftest import local
from workflow.errors import StaleVersion


def test_concurrent_writers_on_one_version_exactly_one_wins(app, fresh_db):
    from workflow.extensions import db
    from workflow.services.tasks import fire_event
    from tests.factories import issued_dispatch_with_task, user

    _, task = issued_dispatch_with_task()
    task_id, version = task.id, task.version
    db.session.remove()
    writers = 32  # DESIGN: 32 concurrent writers on one task version
    barrier = threading.Barrier(writers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def writer(i: int):
        with app.app_context():
            barrier.wait()  # all start together, each with the version it read before
            try:
                actor = user("taichinh")
                fire_event(actor, task_id, "report", version=version, now=local(2026, 11, 22, 9, i),
                           note=f"Báo cáo lần {i}")
                outcome = "won"
            except StaleVersion:
                outcome = "409"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["409"] * (writers - 1) + ["won"]
    task = db.session.get(Task, task_id)
    assert task.version == version + 1
    assert [e.event for e in task.events].count("report") == 1
