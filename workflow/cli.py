"""Command line (``flask --app wsgi …``), DESIGN section 7. Commands parse and
print; the services change state."""
from __future__ import annotations

import secrets
import sys

import click
from flask import Flask
from sqlalchemy import select

from workflow import clock
from workflow.clock import local_tz, parse_iso_datetime
from workflow.errors import DomainError

DEMO_ACCOUNTS = [
    # (username, role, unit code, full name)
    ("vanphong", "office", "van-phong-tinh-uy", "Chuyên viên Văn phòng Tỉnh ủy"),
    ("sotaichinh", "department", "so-tai-chinh", "Chuyên viên Sở Tài chính"),
    ("lanhdao", "leader", "thuong-truc-tinh-uy", "Lãnh đạo Thường trực Tỉnh ủy"),
    ("quantri", "admin", "van-phong-tinh-uy", "Quản trị hệ thống"),
]


def fail(message: str, code: int = 1):
    click.echo(f"Lỗi: {message}", err=True)
    sys.exit(code)


def register(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db():
        """Create or migrate the schema (Alembic migrations)."""
        from flask_migrate import upgrade

        upgrade()
        click.echo("Cơ sở dữ liệu đã được tạo/cập nhật.")

    @app.cli.command("seed")
    @click.option("--demo", is_flag=True, help="Also create one demo account per role and print passwords.")
    def seed(demo: bool):
        """Load the data of the seed documents (idempotent)."""
        from workflow.seeding import seed_all

        counts = seed_all()
        click.echo("Đã nạp dữ liệu mẫu: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
        if demo:
            for username, password, role in seed_demo_accounts():
                click.echo(f"  {role:<10} {username:<12} {password}")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", required=True, help="office | department | leader | admin")
    @click.option("--unit", "unit_code", default=None, help="Unit code (required for department).")
    @click.option("--full-name", default="", help="Full name shown in the pages.")
    def create_user(username, role, unit_code, full_name):
        """Create a user; the password is read from standard input."""
        from workflow.services.users import create_user as create

        lines = sys.stdin.read().splitlines()
        if not lines or not lines[0]:
            fail("cần nhập mật khẩu ở dòng đầu của đầu vào chuẩn.")
        if len(lines) > 1 and lines[1] and lines[1] != lines[0]:
            fail("mật khẩu nhập lại không khớp.")
        try:
            user = create(username, lines[0], role=role, unit_code=unit_code, full_name=full_name)
        except DomainError as exc:
            fail(exc.message)
        click.echo(f"Đã tạo người dùng {user.username} ({user.role}).")

    @app.cli.command("create-token")
    @click.argument("username")
    def create_token(username):
        """Print a new API token, alone on standard output."""
        from workflow.services.users import create_token as make

        try:
            click.echo(make(username))
        except DomainError as exc:
            fail(exc.message)

    @app.cli.command("revoke-tokens")
    @click.argument("username")
    def revoke_tokens(username):
        """Revoke every API token of a user; print how many."""
        from workflow.services.users import revoke_tokens as revoke

        try:
            click.echo(revoke(username))
        except DomainError as exc:
            fail(exc.message)

    @app.cli.command("sweep")
    @click.option("--now", "now_text", default=None, help="ISO 8601 instant to sweep at (default: now).")
    @click.option("--batch-size", default=10_000, show_default=True, type=click.IntRange(1, 100_000),
                  help="Tasks marked per transaction.")
    def sweep(now_text, batch_size):
        """Create due instances of recurring tasks, then mark overdue tasks; print how many were marked."""
        from workflow.services.recurrence import generate_ahead
        from workflow.services.tasks import sweep as run_sweep

        now = parse_now(now_text)
        created = generate_ahead(now)
        marked = run_sweep(now, batch_size=batch_size)
        click.echo(f"Đã tạo {created} kỳ mới của nhiệm vụ định kỳ.", err=True)
        click.echo(marked)

    @app.cli.command("generate-recurring")
    @click.option("--until", "until_text", required=True, help="Create instances due up to this date (ISO).")
    @click.option("--now", "now_text", default=None, help="ISO 8601 instant recorded as creation time.")
    def generate_recurring_command(until_text, now_text):
        """Create every missing instance of the recurring tasks up to --until; print how many (idempotent)."""
        from datetime import datetime, time

        from workflow.services.recurrence import generate_recurring

        now = parse_now(now_text)
        try:
            until = parse_iso_datetime(until_text, local_tz())
            if len(until_text.strip()) == 10:
                until = datetime.combine(until.date(), time(23, 59, 59), tzinfo=local_tz())
        except ValueError:
            fail(f"--until không hợp lệ: {until_text!r} (ví dụ 2027-12-31).", 2)
        click.echo(generate_recurring(now, until))

    @app.cli.command("send-reminders")
    @click.option("--now", "now_text", default=None, help="ISO 8601 instant (default: now).")
    def send_reminders(now_text):
        """E-mail each unit its daily digest of overdue and soon-due tasks; print how many were sent."""
        from workflow.services.reminders import send_daily_digests

        click.echo(send_daily_digests(parse_now(now_text)))

    @app.cli.command("send-notifications")
    @click.option("--now", "now_text", default=None, help="ISO 8601 instant (default: now).")
    def send_notifications(now_text):
        """E-mail each user the new notifications of the kinds they chose; print how many were sent."""
        from workflow.services.notifications import send_notification_emails

        click.echo(send_notification_emails(parse_now(now_text)))

    @app.cli.command("feed-link")
    @click.argument("unit_code")
    @click.option("--rotate", is_flag=True, help="Issue a new secret (the old link stops working).")
    def feed_link(unit_code, rotate):
        """Print the path of a unit's iCalendar feed of deadlines."""
        from models import User
        from workflow.extensions import db
        from workflow.services.reminders import feed_secret

        office = db.session.scalar(select(User).where(User.role == "office", User.active.is_(True)))
        if office is None:
            fail("cần có ít nhất một tài khoản Văn phòng đang hoạt động.")
        try:
            click.echo(f"/feeds/{unit_code}/{feed_secret(office, unit_code, rotate=rotate)}.ics")
        except DomainError as exc:
            fail(exc.message)

    @app.cli.command("backup")
    @click.argument("path")
    def backup_command(path):
        """Write a consistent copy of the whole database to PATH."""
        from workflow.backup import BackupError, backup

        try:
            click.echo(f"Đã sao lưu vào {backup(path)}.")
        except BackupError as exc:
            fail(str(exc))

    @app.cli.command("restore")
    @click.argument("path")
    def restore_command(path):
        """Replace the whole database with the copy at PATH."""
        from workflow.backup import BackupError, restore

        try:
            restore(path)
        except BackupError as exc:
            fail(str(exc))
        click.echo(f"Đã phục hồi từ {path}.")

    @app.cli.command("verify-audit")
    def verify_audit():
        """Replay every task's history; exit 0 only if it reproduces status, deadline and version."""
        from workflow.audit import verify_all

        problems, checked = verify_all()
        for problem in problems[:50]:
            click.echo(problem, err=True)
        click.echo(f"Đã kiểm tra {checked} nhiệm vụ; {len(problems)} sai lệch.")
        sys.exit(1 if problems else 0)

    @app.cli.command("rebuild-counts")
    def rebuild_counts():
        """Recount the dashboards' task counts from the tasks (after a bulk load outside the app)."""
        from workflow import counts
        from workflow.services import unit_of_work

        with unit_of_work() as session:
            rows = counts.rebuild(session)
        click.echo(f"Đã đếm lại: {rows} dòng (đơn vị × trạng thái).")

    from workflow.cli_documents import register_document_commands  # documents, register, jobs (issue 5)
    register_document_commands(app)
    from workflow.cli_signing import register_signing_commands  # signing certificates (issue 13)
    register_signing_commands(app)


def parse_now(now_text: str | None):
    """``--now`` (ISO 8601, local time when it has no offset) or the real clock."""
    if not now_text:
        return clock.utcnow()
    try:
        return parse_iso_datetime(now_text, local_tz())
    except ValueError:
        fail(f"--now không hợp lệ: {now_text!r} (ví dụ 2026-11-22T08:00:00+07:00).", 2)


def seed_demo_accounts() -> list[tuple[str, str, str]]:
    """Create (or reset) one demo account per role; return (username, password, role)."""
    from models import User
    from workflow.extensions import db
    from workflow.services import unit_of_work
    from workflow.services.users import create_user

    out = []
    for username, role, unit_code, full_name in DEMO_ACCOUNTS:
        password = "Demo-" + secrets.token_urlsafe(9)
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            create_user(username, password, role=role, unit_code=unit_code, full_name=full_name)
        else:
            with unit_of_work():
                user.set_password(password)
                user.active = True
        out.append((username, password, role))
    return out
