"""Command line for documents (``flask --app wsgi …``).

- ``render-document KIND --out PATH [--as-of DATE] [--dispatch NUMBER] [--unit CODE] [--period P]``
  renders, numbers (reminder, task_report), stores and archives one document, and writes its
  .docx or .pdf to PATH (by its suffix; a directory gets both);
- ``render-indicator-forms --period P --out FILE.zip``: every commune's form, as one zip;
- ``run-jobs``: run the queued jobs (a worker; ``--loop`` keeps polling);
- ``numbers list | reserve | void``: the outgoing numbering register.

Commands parse and print; the services change state.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask import Flask

from workflow.errors import DomainError
from workflow.storage import write_atomically


def fail(message: str, code: int = 1):
    click.echo(f"Lỗi: {message}", err=True)
    sys.exit(code)


def _actor(username: str | None):
    """The user a command acts as (``--user``), or None for the system (the server's own command line)."""
    if not username:
        return None
    from sqlalchemy import select

    from models import User
    from workflow.extensions import db

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        fail(f"không tìm thấy người dùng {username!r}.")
    return user


def register_document_commands(app: Flask) -> None:
    @app.cli.command("render-document")
    @click.argument("kind", type=click.Choice(["assignment", "reminder", "task_report", "indicator_form",
                                               "overdue_list"]))
    @click.option("--out", "out", required=True, type=click.Path(path_type=Path),
                  help="File to write (.docx or .pdf), or a directory for both.")
    @click.option("--as-of", "as_of", default=None, help="Date (or ISO instant) the tasks are shown as of.")
    @click.option("--dispatch", default=None, help="Dispatch number, e.g. 1775-CV/TU.")
    @click.option("--unit", default=None, help="Unit code (indicator_form; or to narrow a list).")
    @click.option("--period", default=None, help="Reporting period: 2026-05, 2026-Q2, 2026.")
    @click.option("--date", "doc_date", default=None, help="Date of the document (default: today).")
    @click.option("--draft", is_flag=True, help="Unnumbered draft (takes no register number).")
    @click.option("--signer-name", default=None, help="Name printed under the signature.")
    @click.option("--user", "username", default=None, help="Record the document as made by this user.")
    @click.option("--now", "now_text", default=None, help="ISO instant to act at (default: now).")
    def render_document(kind, out, as_of, dispatch, unit, period, doc_date, draft, signer_name, username,
                        now_text):
        """Render a document, archive it, and write it to a file."""
        from workflow.cli import parse_now
        from workflow.services.documents import document_file, download_name, generate_document

        params = {key: value for key, value in {
            "as_of": as_of, "dispatch": dispatch, "unit": unit, "period": period, "date": doc_date,
            "signer_name": signer_name}.items() if value}
        if draft:
            params["draft"] = True
        if out.suffix.lower() not in (".docx", ".pdf") and not out.is_dir():
            fail("--out phải là tệp .docx, .pdf hoặc một thư mục có sẵn.", 2)
        actor = _actor(username) or _system_office()
        try:
            document = generate_document(actor, kind, params, parse_now(now_text))
        except DomainError as exc:
            fail(exc.message, 2 if exc.status == 400 else 1)
        reader = _system_office()
        targets = [("docx", out / download_name(document, "docx")), ("pdf", out / download_name(document, "pdf"))] \
            if out.is_dir() else [(out.suffix.lower()[1:], out)]
        for fmt, path in targets:
            _, content = document_file(reader, document.id, fmt)
            write_atomically(path, content)
            click.echo(f"{path} ({len(content):,} byte)")
        click.echo(f"Văn bản #{document.id}" + (f", số {document.number}" if document.number else "")
                   + f": {document.title}")

    @app.cli.command("render-indicator-forms")
    @click.option("--period", required=True, help="Reporting period: 2026-05, 2026-Q2, 2026.")
    @click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="The zip to write.")
    @click.option("--catalogue", default=None, help="Indicator catalogue (default 1534-CV/TU).")
    @click.option("--now", "now_text", default=None, help="ISO instant to act at (default: now).")
    def render_indicator_forms(period, out, catalogue, now_text):
        """The indicator forms of every commune-level unit for a period, as .docx and PDF, in one zip."""
        from workflow.cli import parse_now
        from workflow.services import jobs
        from workflow.services.documents import job_result, start_indicator_forms

        office = _system_office()
        try:
            job = start_indicator_forms(office, period=period, catalogue=catalogue, now=parse_now(now_text))
        except DomainError as exc:
            fail(exc.message, 2)
        started = time.monotonic()
        click.echo(f"Tác vụ #{job.id}: {job.message}")
        job = jobs.run(job.id)
        if job.status != "done":
            fail(job.error or job.message)
        _, content = job_result(office, job.id)
        write_atomically(out, content)
        click.echo(f"{out} ({len(content):,} byte, {time.monotonic() - started:.1f} s): {job.message}")

    @app.cli.command("run-jobs")
    @click.option("--loop", is_flag=True, help="Keep running: a worker that polls for queued jobs until SIGTERM.")
    @click.option("--interval", default=2.0, help="Seconds between polls with --loop.")
    @click.option("--stale-after", default=600.0, help="Seconds without a heartbeat after which a running job "
                                                         "is put back in the queue.")
    @click.option("--heartbeat", default=30.0, help="Seconds between heartbeats of the running job (--loop).")
    def run_jobs(loop, interval, stale_after, heartbeat):
        """Run queued jobs (bulk document batches); stale running jobs are queued again first.

        With --loop this is the job worker (workflow/worker.py): SIGTERM lets the job in hand
        finish, then the worker exits with status 0."""
        from datetime import timedelta
        from importlib import import_module

        from flask import current_app

        from workflow.services import jobs
        from workflow.worker import Worker

        import_module("workflow.services.documents")  # registers the runners of document jobs

        if loop:
            worker = Worker(current_app._get_current_object(), interval=interval, stale_after=stale_after,
                            heartbeat=heartbeat, echo=lambda line: click.echo(line, nl=True) or sys.stdout.flush())
            worker.install_signal_handlers()
            worker.run_forever()
            return
        jobs.requeue_stale(timedelta(seconds=stale_after))
        count = jobs.run_pending()
        if count:
            click.echo(f"Đã chạy {count} tác vụ.")

    @app.cli.group("numbers")
    def numbers():
        """The outgoing numbering register (sổ đăng ký văn bản đi)."""

    @numbers.command("list")
    @click.option("--issuer", default=None)
    @click.option("--symbol", default=None)
    @click.option("--year", type=int, default=None)
    def numbers_list(issuer, symbol, year):
        """Numbers taken, reserved and voided, newest first."""
        from workflow.services.register import register_listing

        try:
            rows = register_listing(issuer=issuer, symbol=symbol, year=year)
        except DomainError as exc:
            fail(exc.message, 2)
        for row in rows:
            detail = row["reason"] or row["void_reason"] or row["dispatch"] or \
                (f"văn bản #{row['document']}" if row["document"] else "")
            click.echo(f"{row['id'] or '-':>5}  {row['number']:<16} {row['year']}  {row['status_label']:<10} "
                       f"{row['issuer']['code']:<22} {detail}")

    @numbers.command("reserve")
    @click.option("--issuer", required=True, help="Issuer unit code, e.g. tinh-uy.")
    @click.option("--symbol", required=True, help="e.g. CV/TU")
    @click.option("--reason", required=True)
    @click.option("--year", type=int, default=None)
    def numbers_reserve(issuer, symbol, reason, year):
        """Keep the next number for a document to come."""
        from workflow import clock
        from workflow.services.register import reserve

        try:
            entry = reserve(_system_office(), issuer=issuer, symbol=symbol, reason=reason, year=year,
                            now=clock.utcnow())
        except DomainError as exc:
            fail(exc.message, 2)
        click.echo(f"Đã giữ số {entry.full_number} (năm {entry.year}, mã {entry.id}).")

    @numbers.command("void")
    @click.argument("entry_id", type=int)
    @click.option("--reason", required=True)
    def numbers_void(entry_id, reason):
        """Void a reserved or used number (it is never given again)."""
        from workflow import clock
        from workflow.services.register import void

        try:
            entry = void(_system_office(), entry_id, reason=reason, now=clock.utcnow())
        except DomainError as exc:
            fail(exc.message, 2)
        click.echo(f"Đã hủy số {entry.full_number}: {entry.void_reason}")


class _SystemOffice:
    """The server's command line acts with the office's rights, recorded as no user."""

    id = None
    role = "office"
    active = True
    is_authenticated = True
    unit_id = None
    username = "system"


def _system_office():
    return _SystemOffice()
