"""Reminders: the daily digest per unit (tasks due soon and overdue), sent by e-mail over
SMTP, and each unit's deadlines as an iCalendar feed behind a per-unit secret link."""
from __future__ import annotations

import secrets
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import and_, select
from sqlalchemy.orm import selectinload

from models import Task, Unit
from workflow import permissions
from workflow.clock import to_local
from workflow.errors import NotFound
from workflow.extensions import db
from workflow.queries import days_late, late_condition, live_condition, unit_by_code
from workflow.services import unit_of_work


@dataclass
class Digest:
    unit: Unit
    now: datetime
    overdue: list[Task] = field(default_factory=list)
    due_soon: list[Task] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.due_soon)


def digest_for_unit(unit: Unit, now: datetime, yellow_days: int | None = None) -> Digest:
    """The unit's open tasks that are late, and those due within ``yellow_days`` days."""
    if yellow_days is None:
        yellow_days = current_app.config.get("WARNING_YELLOW_DAYS", 3)
    base = select(Task).where(Task.lead_unit_id == unit.id, live_condition()).options(
        selectinload(Task.dispatch))
    overdue = db.session.scalars(base.where(late_condition(now)).order_by(Task.deadline)).all()
    due_soon = db.session.scalars(base.where(
        Task.status.in_(("assigned", "in_progress")),
        and_(Task.deadline >= now, Task.deadline <= now + timedelta(days=yellow_days)),
    ).order_by(Task.deadline)).all()
    return Digest(unit=unit, now=now, overdue=list(overdue), due_soon=list(due_soon))


def _line(task: Task, now: datetime) -> str:
    deadline = to_local(task.deadline).strftime("%d/%m/%Y %H:%M") if task.deadline else "không có"
    late = f" — quá hạn {days_late(task, now)} ngày" if task.is_late(now) else ""
    return f"- [{task.dispatch.reference} mục {task.item}] {task.title} (hạn {deadline}{late})"


def compose(digest: Digest, sender: str, recipients: list[str]) -> EmailMessage:
    today = to_local(digest.now).strftime("%d/%m/%Y")
    message = EmailMessage()
    message["Subject"] = (f"Nhắc việc ngày {today}: {len(digest.overdue)} nhiệm vụ quá hạn, "
                          f"{len(digest.due_soon)} nhiệm vụ sắp đến hạn")
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    parts = [f"Kính gửi: {digest.unit.name}", ""]
    if digest.overdue:
        parts += ["Các nhiệm vụ đã quá hạn:"] + [_line(t, digest.now) for t in digest.overdue] + [""]
    if digest.due_soon:
        parts += ["Các nhiệm vụ sắp đến hạn:"] + [_line(t, digest.now) for t in digest.due_soon] + [""]
    parts.append("Đề nghị đơn vị cập nhật tiến độ, hoàn thành hoặc đề nghị gia hạn trên hệ thống.")
    message.set_content("\n".join(parts))
    return message


def send_daily_digests(now: datetime) -> int:
    """E-mail each unit with an address and something to report; return how many were sent."""
    config = current_app.config
    host = config.get("MAIL_SERVER")
    if not host:
        return 0
    sender = config.get("MAIL_SENDER", "nhacviec@localhost")
    units = db.session.scalars(select(Unit).where(Unit.email.is_not(None), Unit.active.is_(True))).all()
    sent = 0
    with smtplib.SMTP(host, int(config.get("MAIL_PORT", 25)), timeout=30) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
        for unit in units:
            digest = digest_for_unit(unit, now)
            recipients = [a.strip() for a in (unit.email or "").split(",") if a.strip()]
            if digest.empty or not recipients:
                continue
            smtp.send_message(compose(digest, sender, recipients))
            sent += 1
    return sent


def feed_secret(actor, unit_code: str, *, rotate: bool = False) -> str:
    """The secret of a unit's calendar link (created on first use; rotating revokes the old link)."""
    permissions.require_office(actor)
    unit = unit_by_code(unit_code)
    if unit is None:
        raise NotFound(f"Không tìm thấy đơn vị có mã \"{unit_code}\".")
    if unit.feed_secret and not rotate:
        return unit.feed_secret
    with unit_of_work():
        unit.feed_secret = secrets.token_urlsafe(24)
    return unit.feed_secret


def unit_for_feed(code: str, secret: str) -> Unit | None:
    unit = unit_by_code(code)
    if unit is None or not unit.feed_secret or not secrets.compare_digest(unit.feed_secret, secret):
        return None
    return unit


def calendar_for_unit(unit: Unit, now: datetime) -> bytes:
    """RFC 5545 calendar of the unit's open tasks with a deadline."""
    from icalendar import Alarm, Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//Tinh uy Lam Dong//Theo doi nhiem vu//VI")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Thời hạn nhiệm vụ — {unit.name}")
    tasks = db.session.scalars(
        select(Task).where(Task.lead_unit_id == unit.id, live_condition(), Task.deadline.is_not(None),
                           Task.status != "completed")
        .options(selectinload(Task.dispatch)).order_by(Task.deadline)).all()
    for task in tasks:
        event = Event()
        event.add("uid", f"task-{task.id}@theo-doi-nhiem-vu")
        event.add("dtstamp", now)
        event.add("dtstart", task.deadline)
        event.add("dtend", task.deadline + timedelta(minutes=30))
        event.add("summary", f"Hạn: {task.title[:120]}")
        event.add("description", f"{task.dispatch.display_name}, mục {task.item}. Trạng thái: {task.status_label}."
                  + (f" Thời hạn ghi: {task.deadline_text}." if task.deadline_text else ""))
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", "Sắp đến hạn nhiệm vụ")
        alarm.add("trigger", timedelta(days=-1))
        event.add_component(alarm)
        calendar.add_component(event)
    return calendar.to_ical()
