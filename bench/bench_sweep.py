"""Benchmark: the overdue sweep over 100,000 tasks on SQLite, against the equivalent raw SQL.

Run: .venv/bin/python bench/bench_sweep.py [N]   (prints its figures; targets: <= 2 s, <= 3x raw SQL)
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RAW_SQL = """
INSERT INTO task_events (task_id, actor_id, event, from_status, to_status, note, deadline_before,
                         deadline_after, data, version, at)
SELECT t.id, NULL, 'mark_overdue', t.status, 'overdue', 'raw', t.deadline, t.deadline, '{}', t.version + 1, :now
FROM tasks t JOIN dispatches d ON d.id = t.dispatch_id
WHERE t.status IN ('assigned', 'in_progress') AND t.deadline IS NOT NULL AND t.deadline < :now
  AND d.status != 'draft';
UPDATE tasks SET status = 'overdue', version = version + 1, updated_at = :now
WHERE status IN ('assigned', 'in_progress') AND deadline IS NOT NULL AND deadline < :now
  AND dispatch_id IN (SELECT id FROM dispatches WHERE status != 'draft');
"""


def main(n_tasks: int = 100_000) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    template = workdir / "template.db"
    os.environ["DATABASE_URL"] = f"sqlite:///{template}"
    from bench.data import NOW, generate
    from workflow import create_app

    app = create_app("development")
    started = time.perf_counter()
    with app.app_context():
        info = generate(n_tasks)
    print(f"generated {info['tasks']:,} tasks ({info['past_open']:,} open past deadline) "
          f"in {time.perf_counter() - started:.1f} s")

    # Raw SQL on a copy.
    raw_db = workdir / "raw.db"
    shutil.copy(template, raw_db)
    conn = sqlite3.connect(raw_db)
    now_text = NOW.replace(tzinfo=None).isoformat(sep=" ")
    started = time.perf_counter()
    with conn:
        for statement in RAW_SQL.split(";"):
            if statement.strip():
                conn.execute(statement, {"now": now_text})
    raw_seconds = time.perf_counter() - started
    conn.close()

    # The application's sweep on another copy.
    app_db = workdir / "app.db"
    shutil.copy(template, app_db)
    from workflow.extensions import db
    from workflow.services.tasks import sweep

    os.environ["DATABASE_URL"] = f"sqlite:///{app_db}"
    with create_app("development").app_context():
        started = time.perf_counter()
        marked = sweep(NOW)
        app_seconds = time.perf_counter() - started
        events = db.session.execute(db.text("SELECT count(*) FROM task_events WHERE event='mark_overdue'")).scalar()
    print(f"raw SQL sweep:          {raw_seconds * 1000:8.0f} ms")
    print(f"application sweep:      {app_seconds * 1000:8.0f} ms  ({marked:,} tasks marked, {events:,} history rows)")
    print(f"ratio to raw SQL:       {app_seconds / raw_seconds:8.2f}x  (target <= 3x)")
    print(f"target <= 2 s:          {'met' if app_seconds <= 2 else 'NOT MET'}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
