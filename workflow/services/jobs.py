"""Long jobs as rows any worker process can claim (DESIGN section 8).

A job is created ``queued``; a worker claims it with one conditional UPDATE
(``… WHERE status = 'queued'``; on PostgreSQL the next queued job is found
with ``SELECT … FOR UPDATE SKIP LOCKED``), so two workers never run the same
job. Progress and a heartbeat are committed to the row as the work advances,
so any process can show a progress bar; a job whose heartbeat stops (its
process died) can be put back in the queue by :func:`requeue_stale`.
"""
from __future__ import annotations

import os
import socket
import threading
from datetime import datetime, timedelta

from sqlalchemy import select, update

from models import Job
from workflow import clock
from workflow.errors import NotFound
from workflow.extensions import db
from workflow.services import unit_of_work

RUNNERS: dict = {}  # job kind -> function(job_id) that does the work


def runner(kind: str):
    """Register the function that runs jobs of ``kind``."""
    def decorate(function):
        RUNNERS[kind] = function
        return function
    return decorate


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def create(kind: str, params: dict, *, actor, now: datetime, total: int = 0, message: str = "") -> Job:
    with unit_of_work():
        job = Job(kind=kind, params=params, total=total, message=message or "Đang chờ xử lý",
                  created_by_id=getattr(actor, "id", None), created_at=now)
        db.session.add(job)
    return job


def get(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFound("Không tìm thấy tác vụ.")
    return job


def claim(job_id: int, now: datetime | None = None) -> bool:
    """Move a queued job to running for this worker; False if another worker has it."""
    now = now or clock.utcnow()
    with unit_of_work():
        result = db.session.execute(
            update(Job).where(Job.id == job_id, Job.status == "queued")
            .values(status="running", worker=worker_name(), started_at=now, heartbeat_at=now,
                    message="Đang xử lý")
            .execution_options(synchronize_session=False))
    db.session.expire_all()
    return result.rowcount == 1


def claim_next(kinds=None, now: datetime | None = None) -> int | None:
    """The id of the next queued job this worker now owns, or None.

    PostgreSQL: one statement, ``UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED) RETURNING id``,
    so concurrent workers each take a different job without waiting for one another."""
    if db.engine.dialect.name == "postgresql":
        now = now or clock.utcnow()
        following = select(Job.id).where(Job.status == "queued").order_by(Job.id).limit(1)
        if kinds:
            following = following.where(Job.kind.in_(list(kinds)))
        with unit_of_work():
            job_id = db.session.execute(
                update(Job).where(Job.id == following.with_for_update(skip_locked=True).scalar_subquery())
                .values(status="running", worker=worker_name(), started_at=now, heartbeat_at=now,
                        message="Đang xử lý")
                .returning(Job.id).execution_options(synchronize_session=False)).scalar()
        db.session.expire_all()
        return job_id
    while True:
        query = select(Job.id).where(Job.status == "queued").order_by(Job.id).limit(1)
        if kinds:
            query = query.where(Job.kind.in_(list(kinds)))
        if db.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        job_id = db.session.scalar(query)
        db.session.rollback()  # release the row lock; the claim below is the atomic step
        if job_id is None:
            return None
        if claim(job_id, now):
            return job_id


def progress(job_id: int, done: int, total: int, message: str) -> None:
    """Record progress (and the heartbeat) in its own short transaction."""
    with unit_of_work():
        db.session.execute(update(Job).where(Job.id == job_id).values(
            progress=done, total=total, message=message[:300], heartbeat_at=clock.utcnow())
            .execution_options(synchronize_session=False))


def finish(job_id: int, *, key: str, name: str, sha256: str, size: int, message: str) -> None:
    job = db.session.get(Job, job_id)
    job.status, job.result_key, job.result_name = "done", key, name
    job.result_sha256, job.result_size = sha256, size
    job.progress = job.total
    job.message, job.finished_at = message[:300], clock.utcnow()


def fail(job_id: int, error: str) -> None:
    db.session.rollback()
    with unit_of_work():
        db.session.execute(update(Job).where(Job.id == job_id).values(
            status="failed", error=error[:4000], message="Lỗi: " + error[:290], finished_at=clock.utcnow())
            .execution_options(synchronize_session=False))
    db.session.expire_all()


def run(job_id: int) -> Job:
    """Claim and run one job in this process (a no-op if another worker has it)."""
    job = get(job_id)
    function = RUNNERS.get(job.kind)
    if function is None:
        raise ValueError(f"no runner for job kind {job.kind!r}")
    if claim(job_id):
        function(job_id)
    db.session.expire_all()
    return get(job_id)


def run_pending(kinds=None, limit: int | None = None) -> int:
    """Run queued jobs until none is left (or ``limit``); returns how many this worker ran."""
    count = 0
    while limit is None or count < limit:
        job_id = claim_next(kinds)
        if job_id is None:
            break
        job = get(job_id)
        RUNNERS[job.kind](job_id)
        count += 1
    return count


def requeue_stale(older_than: timedelta = timedelta(minutes=10), now: datetime | None = None) -> int:
    """Put back in the queue the running jobs whose worker stopped beating."""
    now = now or clock.utcnow()
    with unit_of_work():
        result = db.session.execute(
            update(Job).where(Job.status == "running", Job.heartbeat_at < now - older_than)
            .values(status="queued", worker=None, message="Đưa lại vào hàng đợi (tiến trình trước đã dừng)")
            .execution_options(synchronize_session=False))
    return result.rowcount


def start_in_background(app, job_id: int) -> threading.Thread:
    """Run the job in a thread of this process (the row, not the thread, is the truth)."""
    def target():
        with app.app_context():
            try:
                run(job_id)
            except Exception:  # recorded on the job row by the runner
                app.logger.exception("job %s failed", job_id)

    thread = threading.Thread(target=target, name=f"job-{job_id}", daemon=True)
    thread.start()
    return thread


def start(job: Job) -> None:
    """Run a new job as configured (``DOCUMENT_JOBS``): ``thread`` (default), ``inline`` (tests) or
    ``queue`` (a worker started with ``flask --app wsgi run-jobs`` takes it). A failure is recorded
    on the job row, which the page and the API show."""
    from flask import current_app

    mode = current_app.config.get("DOCUMENT_JOBS", "inline" if current_app.testing else "thread")
    if mode == "inline":
        try:
            run(job.id)
        except Exception:  # recorded on the job row by the runner
            current_app.logger.exception("job %s failed", job.id)
    elif mode == "thread":
        start_in_background(current_app._get_current_object(), job.id)


def heartbeat(job_id: int, worker: str) -> bool:
    """Say that ``worker`` still runs the job (its own short transaction); False if it no longer owns it."""
    with unit_of_work():
        result = db.session.execute(
            update(Job).where(Job.id == job_id, Job.status == "running", Job.worker == worker)
            .values(heartbeat_at=clock.utcnow()).execution_options(synchronize_session=False))
    return result.rowcount == 1
