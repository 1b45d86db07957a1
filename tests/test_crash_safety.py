"""Killing the process in the middle of a sweep or a document batch leaves the database consistent
(verify-audit passes) and no half-written file."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# These start real processes on their own SQLite file: run them once, in the SQLite pass.
pytestmark = pytest.mark.skipif("postgresql" in os.environ.get("TEST_DATABASE_URL", ""),
                                reason="runs in the SQLite pass of the suite")


def flask(env, *args, **kwargs):
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, **kwargs)


@pytest.fixture(scope="module")
def template_db(tmp_path_factory):
    """A SQLite database file (real processes act on it) with the seed and 15,000 late tasks."""
    path = tmp_path_factory.mktemp("crash") / "template.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "APP_ENV": "development"}
    env.pop("TEST_DATABASE_URL", None)
    assert flask(env, "init-db").returncode == 0
    assert flask(env, "seed").returncode == 0
    script = (
        "from wsgi import app\n"
        "from datetime import datetime, timezone\n"
        "from sqlalchemy import insert, select, literal\n"
        "from models import Dispatch, Task, TaskEvent\n"
        "from workflow.extensions import db\n"
        "with app.app_context():\n"
        "    d = db.session.scalar(select(Dispatch).where(Dispatch.number == 1775))\n"
        "    at = datetime(2026, 6, 4, tzinfo=timezone.utc)\n"
        "    due = datetime(2026, 7, 1, tzinfo=timezone.utc)\n"
        "    rows = [dict(dispatch_id=d.id, item='x', title=f'Nhiệm vụ {i}', title_folded='', lead_unit_id=d.tasks[0].lead_unit_id,\n"
        "                 deadline=due, status='assigned', version=1, extended=False, created_at=at, updated_at=at) for i in range(15000)]\n"
        "    db.session.execute(insert(Task), rows)\n"
        "    db.session.execute(insert(TaskEvent).from_select(['task_id', 'event', 'to_status', 'deadline_after', 'data', 'version', 'at'],\n"
        "        select(Task.id, literal('create'), Task.status, Task.deadline, literal('{}'), literal(1), Task.created_at).where(Task.item == 'x')))\n"
        "    from workflow import counts\n"
        "    counts.rebuild(db.session)  # a bulk load outside the ORM recounts the dashboards' counts\n"
        "    db.session.commit()\n"
    )
    assert subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env).returncode == 0
    assert flask(env, "verify-audit").returncode == 0
    return path


@pytest.fixture()
def database(template_db, tmp_path):
    import shutil

    path = tmp_path / "crash.db"
    shutil.copy(template_db, path)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "APP_ENV": "development"}
    env.pop("TEST_DATABASE_URL", None)
    return env


def kill_after(process, seconds):
    """SIGKILL the process after ``seconds``; it must still have been running (not a vacuous test)."""
    time.sleep(seconds)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL


def committed_overdue_marks(env) -> int:
    import sqlite3

    path = env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as conn:
        return conn.execute("SELECT count(*) FROM task_events WHERE event = 'mark_overdue'").fetchone()[0]


@pytest.mark.parametrize("batches_before_kill", [1, 5])
def test_killed_sweep_leaves_a_consistent_database(database, batches_before_kill):
    """Small batches make the sweep take many transactions; it is killed once some have committed."""
    before = committed_overdue_marks(database)
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "sweep", "--batch-size", "200",
                                "--now", "2026-11-22T08:00:00+07:00"], cwd=ROOT, env=database,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while committed_overdue_marks(database) < before + 200 * batches_before_kill:
        assert process.poll() is None and time.monotonic() < deadline, "the sweep ended before it was killed"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    marked = committed_overdue_marks(database) - before
    assert 0 < marked < 15_000  # killed in the middle: some batches committed, not all
    audit = flask(database, "verify-audit")
    assert audit.returncode == 0, audit.stdout + audit.stderr
    # The next sweep finishes the work.
    flask(database, "sweep", "--now", "2026-11-22T08:00:00+07:00")
    assert flask(database, "sweep", "--now", "2026-11-22T08:00:00+07:00").stdout.strip() == "0"
    assert flask(database, "verify-audit").returncode == 0


def test_killed_document_batch_leaves_no_half_written_file(database, tmp_path):
    out = tmp_path / "bieu-mau.zip"
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "render-indicator-forms",
                                "--period", "2026-05", "--out", str(out)], cwd=ROOT, env=database,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    kill_after(process, 3.0)
    assert not out.exists()
    assert flask(database, "verify-audit").returncode == 0
