"""Daily digests by e-mail (to a local SMTP server the test starts) and the iCalendar feed."""
from __future__ import annotations

import email
import email.policy
import socket

import pytest
from sqlalchemy import select

from models import Unit
from tests.conftest import local
from tests.factories import issued_dispatch_with_task, user
from workflow.services.reminders import digest_for_unit, feed_secret, send_daily_digests


@pytest.fixture()
def smtp_server(app):
    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SENDER="nhacviec@tinhuy.lamdong.vn")
    yield received
    controller.stop()
    app.config.update(MAIL_SERVER="")


def unit(db, code):
    return db.session.scalar(select(Unit).where(Unit.code == code))


def test_digest_lists_overdue_and_due_soon(db):
    issued_dispatch_with_task(lead="so-xay-dung", coordinating=(), deadline=local(2026, 11, 24, 17),
                              title="Rà soát quy hoạch chung xã")
    digest = digest_for_unit(unit(db, "so-xay-dung"), local(2026, 11, 22, 8), yellow_days=3)
    assert [t.title for t in digest.due_soon] == ["Rà soát quy hoạch chung xã"]
    # Its key tasks C2.3 and C2.7 (7/2026) are late even before any sweep has run.
    assert {t.item for t in digest.overdue} == {"C2.3", "C2.7"}


def test_daily_digest_is_sent_by_smtp(db, smtp_server):
    target = unit(db, "so-xay-dung")
    target.email = "vanthu@soxaydung.lamdong.gov.vn"
    db.session.commit()
    assert send_daily_digests(local(2026, 11, 22, 8)) == 1
    (envelope,) = smtp_server
    assert envelope.rcpt_tos == ["vanthu@soxaydung.lamdong.gov.vn"]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert "Nhắc việc ngày 22/11/2026: 2 nhiệm vụ quá hạn" in message["Subject"]
    body = message.get_content()
    assert "Kính gửi: Sở Xây dựng" in body and "Đề án xây dựng đô thị thông minh" in body and "quá hạn" in body


def test_calendar_feed_behind_a_secret_link(client, db):
    secret = feed_secret(user("office"), "so-tai-chinh")
    response = client.get(f"/feeds/so-tai-chinh/{secret}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    from icalendar import Calendar

    calendar = Calendar.from_ical(response.data)
    events = [c for c in calendar.walk("VEVENT")]
    assert len(events) == 6  # the six open key tasks Sở Tài chính leads
    assert all("Hạn:" in str(e["summary"]) for e in events)
    assert client.get("/feeds/so-tai-chinh/wrong.ics").status_code == 404
    rotated = feed_secret(user("office"), "so-tai-chinh", rotate=True)
    assert rotated != secret and client.get(f"/feeds/so-tai-chinh/{secret}.ics").status_code == 404


def test_reminders_api(api):
    body = api.get("/api/v1/reminders", "taichinh").get_json()
    assert body["unit"]["code"] == "so-tai-chinh" and len(body["overdue"]) == 6
    assert api.get("/api/v1/reminders?unit=so-xay-dung", "taichinh").status_code == 403
    assert api.get("/api/v1/reminders?unit=so-xay-dung", "leader").status_code == 200
    assert api.get("/api/v1/reminders?unit=khong-co", "office").status_code == 400
