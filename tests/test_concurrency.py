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


def test_writers_and_a_sweep_at_once_keep_history_and_counts_exact(app, fresh_db):
    """Units' users complete tasks while the sweep marks the same tasks overdue: every task ends
    with one history row per version, and the dashboards' counts equal a recount (no deadlock,
    no change overwritten, no count lost)."""
    from workflow import counts
    from workflow.audit import verify_all
    from workflow.extensions import db
    from workflow.services.tasks import fire_event, sweep
    from tests.factories import issued_dispatch_with_task, user

    _, tasks = issued_dispatch_with_task(tasks=48, coordinating=(), deadline=local(2026, 11, 30, 17, 0))
    targets = [(t.id, t.version) for t in tasks]
    db.session.remove()
    writers = 8
    barrier = threading.Barrier(writers + 1)
    outcomes: list[str] = []
    lock = threading.Lock()

    def writer(i: int):
        with app.app_context():
            barrier.wait()
            for task_id, version in targets[i::writers]:
                try:
                    fire_event(user("taichinh"), task_id, "complete", version=version,
                               now=local(2026, 12, 1, 9, i), evidence_note=f"Báo cáo {task_id}")
                    outcome = "won"
                except StaleVersion:  # the sweep marked it first: the user reloads
                    outcome = "409"
                finally:
                    db.session.remove()
                with lock:
                    outcomes.append(outcome)

    def sweeper():
        with app.app_context():
            barrier.wait()
            sweep(local(2026, 12, 1, 8, 0), batch_size=5)
            db.session.remove()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    threads.append(threading.Thread(target=sweeper))
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    assert len(outcomes) == len(targets)
    problems, checked = verify_all()
    assert problems == [] and checked >= len(targets)
    assert counts.discrepancies(db.session) == []
    statuses = set(db.session.scalars(select(Task.status).where(Task.id.in_([t for t, _ in targets]))))
    assert statuses <= {"completed", "overdue"}
