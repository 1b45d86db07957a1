"""Benchmark: what the notification bell costs on every page, notifications being derived at read
time (issue 15), over 100,000 tasks on SQLite.

Data: bench/data.py's 100,000 tasks (a fifth past their deadline: about 120 late tasks per unit),
plus, within the 30-day window, 3,000 directives and 3,000 comments (a third mentioning a unit).
Measured for a department user (a unit with its late tasks) and for the office (every directive):
``unread_count`` alone, and the dashboard page with the bell against the same page with the bell
switched off, as a ratio measured in the same run; then the same once everything up to a day
before was marked read (only what came after the marker is derived).

Run: .venv/bin/python bench/bench_notifications.py [N]
"""
from __future__ import annotations

import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REPEAT = 15


def timed(fn, repeat: int = REPEAT) -> float:
    """Median milliseconds of ``fn`` over ``repeat`` runs (after one warm-up)."""
    fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main(n_tasks: int = 100_000) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-notifications-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.db'}"
    from sqlalchemy import insert, select

    from bench.data import NOW, generate
    from models import CommentMention, Task, TaskComment, TaskEvent, Unit, User
    from workflow import clock, create_app
    from workflow.extensions import db
    from workflow.services import notifications
    from workflow.services.users import create_user
    from workflow.web.views import collab

    app = create_app("development")
    app.config["WTF_CSRF_ENABLED"] = False
    clock.utcnow = lambda: NOW  # the data is generated around NOW
    rng = random.Random(15)
    try:
        with app.app_context():
            info = generate(n_tasks)
            create_user("bench-office", "Bench-password-1", role="office", unit_code="tinh-uy")
            create_user("bench-leader", "Bench-password-1", role="leader", unit_code="tinh-uy")
            create_user("bench-unit", "Bench-password-1", role="department", unit_code="so-00")
            leader = db.session.scalar(select(User).where(User.username == "bench-leader"))
            unit = db.session.scalar(select(Unit).where(Unit.code == "so-00"))
            task_ids = list(db.session.scalars(select(Task.id)))
            own = list(db.session.scalars(select(Task.id).where(Task.lead_unit_id == unit.id)))
            events, comments = [], []
            for i in range(3000):
                task_id = rng.choice(own) if i % 10 == 0 else rng.choice(task_ids)
                at = NOW - timedelta(minutes=rng.randint(1, 30 * 24 * 60))
                events.append({"task_id": task_id, "actor_id": leader.id, "event": "directive",
                               "from_status": "assigned", "to_status": "assigned", "note": "Khẩn trương",
                               "data": {}, "version": 1, "at": at})
                comments.append({"task_id": task_id, "author_id": leader.id, "unit_id": None, "capacity": "leader",
                                 "body": "Ý kiến thử nghiệm", "created_at": at})
            db.session.execute(insert(TaskEvent), events)
            db.session.execute(insert(TaskComment), comments)
            comment_ids = list(db.session.scalars(select(TaskComment.id)))
            db.session.execute(insert(CommentMention), [{"comment_id": c, "unit_id": unit.id}
                                                         for c in comment_ids[::3]])
            db.session.commit()
            print(f"{info['tasks']:,} tasks, {info['past_open']:,} open past deadline; "
                  f"3,000 directives and 3,000 comments in the last 30 days")

            people = {name: db.session.scalar(select(User).where(User.username == name))
                      for name in ("bench-unit", "bench-office")}
            client = app.test_client()
            for name, person in people.items():
                found = notifications.derive(person, NOW)
                derive_ms = timed(lambda: notifications.unread_count(person, NOW))
                with client.session_transaction() as session:
                    session["_user_id"] = str(person.id)
                    session["_fresh"] = True
                assert client.get("/").status_code == 200
                with_bell = timed(lambda: client.get("/"))
                original = collab.unread_notifications
                collab.unread_notifications = lambda: 0
                app.jinja_env.globals.pop("unread_notifications", None)
                try:
                    app.template_context_processors[None].append(lambda: {"unread_notifications": lambda: 0})
                    without = timed(lambda: client.get("/"))
                finally:
                    app.template_context_processors[None].pop()
                    collab.unread_notifications = original
                print(f"{name}: {len(found)} notifications; unread_count {derive_ms:.1f} ms; "
                      f"dashboard with the bell {with_bell:.1f} ms, without {without:.1f} ms "
                      f"(ratio {with_bell / without:.2f})")
                # The usual case: everything was marked read a day ago, a few things came since.
                notifications.mark_read(person, NOW - timedelta(days=1), everything=True)
                left = notifications.unread_count(person, NOW)
                marked_ms = timed(lambda: notifications.unread_count(person, NOW))
                with_marker = timed(lambda: client.get("/"))
                print(f"{name}, all read a day ago: {left} unread; unread_count {marked_ms:.1f} ms "
                      f"({marked_ms / derive_ms:.2f} of the above); dashboard with the bell {with_marker:.1f} ms "
                      f"(ratio {with_marker / without:.2f} to the page without the bell)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
