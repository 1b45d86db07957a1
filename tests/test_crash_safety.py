"""Killing the process in the middle of a sweep, a dispatch import or a document batch leaves the database consistent
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


IMPORT_SCRIPT = """
import pathlib, sys, time
from datetime import datetime, timezone
from wsgi import app
from models import Unit, User
from workflow.extensions import db
from workflow.services.imports import confirm_import, preview_import
from workflow.services.users import create_user

text_path, marker, die = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3] == "die"
now = datetime(2026, 11, 22, 1, 0, tzinfo=timezone.utc)
with app.app_context():
    if db.session.scalar(db.select(Unit).where(Unit.code == "ban-tuyen-giao-va-dan-van-tinh-uy")) is None:
        db.session.add(Unit(code="ban-tuyen-giao-va-dan-van-tinh-uy", name="Ban Tuyên giáo và Dân vận Tỉnh ủy",
                            kind="party", aliases=["BTGDVTU"], active=True))
        db.session.commit()
        create_user("vanphong-crash", "Mat-khau-2026", role="office", unit_code="van-phong-tinh-uy")
    office = db.session.scalar(db.select(User).where(User.username == "vanphong-crash"))
    draft = preview_import(office, text=pathlib.Path(text_path).read_text(encoding="utf-8"), now=now)
    for task in draft["tasks"]:  # the office picks the unit the text names but the register lacks
        if not task.get("fan_out") and not (task.get("lead_unit") or {}).get("code"):
            task["lead_unit"] = "so-van-hoa-the-thao-va-du-lich"
    if die:  # every row written, the commit never comes: the process is killed here
        def dying_commit():
            db.session.flush()
            marker.write_text("flushed")
            time.sleep(120)
        db.session.commit = dying_commit
    dispatch = confirm_import(office, draft, now=now)
    print(len(dispatch.tasks))
"""


def test_killed_dispatch_import_leaves_nothing_half_imported(database, tmp_path):
    """The import of a dispatch that fans out to the 124 communes is killed after all its rows are
    written but before the commit: nothing of it is kept, the audit passes, and importing it again
    creates it whole."""
    import sqlite3

    from tests.test_import import BAN_TUYEN_GIAO

    text = tmp_path / "245.txt"
    text.write_text(BAN_TUYEN_GIAO, encoding="utf-8")
    marker = tmp_path / "flushed"
    path = database["DATABASE_URL"].removeprefix("sqlite:///")

    def imported() -> tuple[int, int]:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as conn:
            dispatches = conn.execute("SELECT count(*) FROM dispatches WHERE number = 245").fetchone()[0]
            tasks = conn.execute("SELECT count(*) FROM tasks").fetchone()[0]
        return dispatches, tasks

    before = imported()
    process = subprocess.Popen([sys.executable, "-c", IMPORT_SCRIPT, str(text), str(marker), "die"], cwd=ROOT, env=database,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    assert imported() == before
    audit = flask(database, "verify-audit")
    assert audit.returncode == 0, audit.stdout + audit.stderr
    again = subprocess.run([sys.executable, "-c", IMPORT_SCRIPT, str(text), str(marker), "live"], cwd=ROOT, env=database,
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    created = int(again.stdout.strip().splitlines()[-1])
    assert created >= 124  # the communes' fan-out and the departments' tasks
    assert imported() == (before[0] + 1, before[1] + created)
    assert flask(database, "verify-audit").returncode == 0
