"""The job worker: ``flask --app wsgi run-jobs --loop`` (deploy/systemd/workflow-worker.service).

A long-running process that takes the queued jobs of the ``jobs`` table one at a time
(``workflow.services.jobs.claim_next``: ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL,
then one conditional UPDATE, so any number of workers on any number of machines never run
the same job), runs them, and polls again.

- While a job runs, a thread beats its heartbeat every ``heartbeat`` seconds, so a long
  LibreOffice conversion is not mistaken for a dead worker; a job whose worker died (its
  heartbeat older than ``stale_after``) is put back in the queue by the next worker's poll.
- SIGTERM (``systemctl stop``) or SIGINT: the worker finishes the job in hand, then exits
  with status 0; idle, it exits at once. The systemd unit gives it time (``TimeoutStopSec``)
  and signals only the main process (``KillMode=mixed``), so LibreOffice is not killed under it.
- A lost database connection (a PostgreSQL restart) is logged and retried after a pause;
  the worker does not die of it.
"""
from __future__ import annotations

import signal
import threading
import time
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError


class Worker:
    def __init__(self, app, *, interval: float = 2.0, stale_after: float = 600.0, heartbeat: float = 30.0,
                 echo=print):
        self.app = app
        self.interval = interval
        self.stale_after = timedelta(seconds=stale_after)
        self.heartbeat = heartbeat
        self.echo = echo
        self.stopping = threading.Event()
        self.ran = 0

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum, _frame) -> None:
        if not self.stopping.is_set():
            self.echo(f"Nhận tín hiệu {signal.Signals(signum).name}: dừng sau tác vụ đang chạy (nếu có).")
        self.stopping.set()

    def run_forever(self) -> int:
        """Poll and run jobs until asked to stop; returns how many jobs this worker ran."""
        from workflow.extensions import db
        from workflow.services import jobs

        self.echo(f"Tiến trình xử lý tác vụ {jobs.worker_name()} bắt đầu (hỏi mỗi {self.interval:g} s).")
        while not self.stopping.is_set():
            try:
                requeued = jobs.requeue_stale(self.stale_after)
                if requeued:
                    self.echo(f"Đưa lại {requeued} tác vụ vào hàng đợi (tiến trình trước đã dừng).")
                job_id = jobs.claim_next()
            except SQLAlchemyError as exc:
                db.session.rollback()
                db.session.remove()
                self.echo(f"Lỗi cơ sở dữ liệu, thử lại sau {max(self.interval, 5):g} s: {type(exc).__name__}")
                self.stopping.wait(max(self.interval, 5))
                continue
            if job_id is None:
                self.stopping.wait(self.interval)
                continue
            self.run_one(job_id)
        self.echo(f"Đã dừng sau {self.ran} tác vụ.")
        return self.ran

    def run_one(self, job_id: int) -> None:
        """Run a job this worker has claimed, beating its heartbeat meanwhile."""
        from workflow.extensions import db
        from workflow.services import jobs

        job = jobs.get(job_id)
        kind, me = job.kind, job.worker
        started = time.monotonic()
        self.echo(f"Tác vụ #{job_id} ({kind}): bắt đầu.")
        done = threading.Event()
        beat = threading.Thread(target=self._beat, args=(job_id, me, done), name=f"heartbeat-{job_id}", daemon=True)
        beat.start()
        try:
            jobs.RUNNERS[kind](job_id)
        except Exception as exc:  # the runner records the failure on the job row
            db.session.rollback()
            self.echo(f"Tác vụ #{job_id}: lỗi {type(exc).__name__}: {exc}")
        finally:
            done.set()
            beat.join()
            db.session.remove()
        self.ran += 1
        status = jobs.get(job_id).status_label
        self.echo(f"Tác vụ #{job_id}: {status} sau {time.monotonic() - started:.1f} s.")
        db.session.remove()

    def _beat(self, job_id: int, me: str, done: threading.Event) -> None:
        from workflow.extensions import db
        from workflow.services import jobs

        with self.app.app_context():
            while not done.wait(self.heartbeat):
                try:
                    jobs.heartbeat(job_id, me)
                except SQLAlchemyError:
                    db.session.rollback()
            db.session.remove()
