"""The job worker (`flask run-jobs --loop`, workflow/worker.py): asked to stop, it finishes the job
in hand and takes no other; a job whose worker died is queued again and run; the heartbeat belongs
to the job's owner only. The real process under SIGTERM, on PostgreSQL behind nginx: test_deploy.py."""
from __future__ import annotations

from datetime import timedelta

import pytest

from workflow import clock

KIND = "test_worker_job"


@pytest.fixture()
def ran(monkeypatch):
    from workflow.services import jobs

    record: list[int] = []
    monkeypatch.setitem(jobs.RUNNERS, KIND, None)
    return record


def new_job(now=None):
    from workflow.services import jobs

    return jobs.create(KIND, {}, actor=None, now=now or clock.utcnow()).id


def test_asked_to_stop_mid_job_the_worker_finishes_it_and_takes_no_other(app, db, ran, monkeypatch):
    from workflow.services import jobs
    from workflow.worker import Worker

    worker = Worker(app, interval=0.01, heartbeat=3600, echo=lambda line: None)

    def runner(job_id):
        ran.append(job_id)
        worker._on_signal(15, None)  # SIGTERM arrives while the job runs
        with jobs.unit_of_work():
            jobs.finish(job_id, key="k", name="n", sha256="0" * 64, size=0, message="xong")

    monkeypatch.setitem(jobs.RUNNERS, KIND, runner)
    first, second = new_job(), new_job()
    assert worker.run_forever() == 1
    assert ran == [first]
    assert jobs.get(first).status == "done"
    assert jobs.get(second).status == "queued"  # left for the next worker


def test_a_job_whose_worker_died_is_queued_again_and_run(app, db, ran, monkeypatch):
    from workflow.services import jobs
    from workflow.worker import Worker

    job_id = new_job()
    assert jobs.claim(job_id, now=clock.utcnow() - timedelta(minutes=11))  # its worker then died
    worker = Worker(app, interval=0.01, heartbeat=3600, echo=lambda line: None)

    def runner(job_id):
        ran.append(job_id)
        worker.stopping.set()
        with jobs.unit_of_work():
            jobs.finish(job_id, key="k", name="n", sha256="0" * 64, size=0, message="xong")

    monkeypatch.setitem(jobs.RUNNERS, KIND, runner)
    worker.run_forever()
    assert ran == [job_id] and jobs.get(job_id).status == "done"


def test_a_runner_that_fails_does_not_stop_the_worker(app, db, ran, monkeypatch):
    from workflow.services import jobs
    from workflow.worker import Worker

    worker = Worker(app, interval=0.01, heartbeat=3600, echo=lambda line: None)

    def runner(job_id):
        ran.append(job_id)
        if len(ran) == 2:
            worker.stopping.set()
        jobs.fail(job_id, "RuntimeError: hỏng")
        raise RuntimeError("hỏng")

    monkeypatch.setitem(jobs.RUNNERS, KIND, runner)
    first, second = new_job(), new_job()
    assert worker.run_forever() == 2
    assert ran == [first, second]
    assert {jobs.get(first).status, jobs.get(second).status} == {"failed"}


def test_only_the_owner_beats_a_running_job(app, db, ran):
    from workflow.services import jobs

    job_id = new_job()
    earlier = clock.utcnow() - timedelta(minutes=5)
    assert jobs.claim(job_id, now=earlier)
    owner = jobs.get(job_id).worker
    assert not jobs.heartbeat(job_id, "another-host:1:1")
    db.session.expire_all()
    assert jobs.get(job_id).heartbeat_at == earlier
    assert jobs.heartbeat(job_id, owner)
    db.session.expire_all()
    assert jobs.get(job_id).heartbeat_at > earlier
    assert jobs.requeue_stale(timedelta(minutes=1)) == 0  # a fresh heartbeat: not stale


def test_concurrent_workers_take_each_job_exactly_once(app):
    """Four workers (threads, each with its own connection) drain 40 queued jobs: every job is
    claimed once, by one of them (PostgreSQL: UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED))."""
    import threading

    from sqlalchemy import delete, select

    from models import Job
    from workflow.extensions import db
    from workflow.services import jobs

    with app.app_context():
        ids = [jobs.create(KIND, {}, actor=None, now=clock.utcnow()).id for _ in range(40)]
    taken: dict[int, list[int]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def work(n: int):
        with app.app_context():
            try:
                start.wait()
                mine = taken.setdefault(n, [])
                while (job_id := jobs.claim_next([KIND])) is not None:
                    mine.append(job_id)
            except BaseException as exc:  # reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        claimed = [job_id for mine in taken.values() for job_id in mine]
        assert sorted(claimed) == sorted(ids)  # each once, none missed
        with app.app_context():
            rows = db.session.execute(select(Job.status, Job.worker).where(Job.id.in_(ids))).all()
            assert {status for status, _ in rows} == {"running"}
            assert len({worker for _, worker in rows}) == len([m for m in taken.values() if m])
    finally:
        with app.app_context():
            db.session.execute(delete(Job).where(Job.id.in_(ids)))
            db.session.commit()
            db.session.remove()
