"""Browser test of the outgoing document's life (issue 13), in Debian's chromium through Playwright:
the admin installs the leader's and Tỉnh ủy's certificates (a test CA); the office drafts a reminder
and submits it to the leader; the leader finds it on the dashboard, types a wrong passphrase (refused)
then signs; văn thư issues it (number, date, seal); a recipient unit reads it in "Văn bản đến" and
verifies its two signatures. Screenshots go to tests/output/ (signing-*.png), with the issued PDF.
"""
from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import select

from tests.pki import PASSPHRASE, TestPKI, seal_png, signature_png
from tests.test_web_browser import CHROMIUM, CHROMIUM_ARGS, Session, browser  # noqa: F401  (fixture)
from tests.web_fixtures import live_server, output_dir  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

SIGNER_NAME = "Đặng Hồng Sỹ"


def test_office_signer_clerk_recipient_story(browser, live_server, tmp_path):  # noqa: F811
    server = live_server
    pki = TestPKI(tmp_path / "pki")
    files = {"leader.p12": pki.issue(SIGNER_NAME), "tinh-uy.p12": pki.issue("Tỉnh ủy Lâm Đồng"),
             "chu-ky.png": signature_png(), "con-dau.png": seal_png()}
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    server.app.config["SIGNATURE_TRUST_ANCHORS"] = [str(pki.root_path)]
    with server.app.app_context():
        from models import User
        from workflow.extensions import db

        leader = db.session.scalar(select(User).where(User.username == "leader"))
        leader.full_name = SIGNER_NAME
        db.session.commit()

    # 0. The admin installs the certificates (the passphrase checks the file and is not kept).
    admin = Session(browser, server, "admin")
    page = admin.page
    page.click("nav.app-nav >> text=Ký số")
    page.click("text=Chứng thư số")
    page.select_option("#cred-owner", "user:leader")
    page.fill("#cred-title", "Phó Bí thư Thường trực")
    page.set_input_files("#cred-file", str(tmp_path / "leader.p12"))
    page.fill("#cred-passphrase", PASSPHRASE)
    page.set_input_files("#cred-image", str(tmp_path / "chu-ky.png"))
    page.click("button:has-text('Cài đặt')")
    assert f"Đã cài đặt chứng thư số" in admin.flash() and "mật khẩu không được lưu" in admin.flash()
    page.select_option("#cred-owner", "unit:tinh-uy")
    page.set_input_files("#cred-file", str(tmp_path / "tinh-uy.p12"))
    page.fill("#cred-passphrase", PASSPHRASE)
    page.set_input_files("#cred-image", str(tmp_path / "con-dau.png"))
    page.click("button:has-text('Cài đặt')")
    assert page.locator("table.credentials-table tbody tr").count() == 2
    admin.screenshot("signing-0-admin-certificates.png")
    admin.close()

    # 1. The office drafts a reminder (no number) and submits it to the leader.
    office = Session(browser, server, "office")
    page = office.page
    office.go("/documents/new?kind=reminder")
    page.check("input[name=draft]")
    page.click("button:has-text('Tạo văn bản')")
    assert "Đã tạo văn bản:" in office.flash() and "số" not in office.flash().split(":")[0]
    document_url = page.url
    page.select_option("#submit-signer", "leader")
    page.fill("#submit-note", "Kính trình đồng chí Phó Bí thư Thường trực.")
    page.click("button:has-text('Trình ký')")
    assert "Đã trình ký văn bản tới Đặng Hồng Sỹ" in office.flash()
    assert page.inner_text(".lifecycle-status") == "Chờ ký"
    office.screenshot("signing-1-office-submitted.png")
    office.close()

    # 2. The leader sees it waiting, types a wrong passphrase, then signs.
    leader = Session(browser, server, "leader")
    page = leader.page
    waiting = page.inner_text("section.to-sign")
    assert "Văn bản chờ ký (1)" in waiting and "đôn đốc" in waiting
    page.click("section.to-sign a")
    page.fill("#sign-passphrase", "mat-khau-sai")
    page.click("button:has-text('Ký số')")
    assert "Mật khẩu của chứng thư số không đúng" in leader.flash()
    assert page.inner_text(".lifecycle-status") == "Chờ ký"
    page.fill("#sign-passphrase", PASSPHRASE)
    page.click("button:has-text('Ký số')")
    assert "Đã ký số văn bản" in leader.flash() and page.inner_text(".lifecycle-status") == "Đã ký"
    leader.screenshot("signing-2-leader-signed.png")
    leader.close()

    # 3. Văn thư issues it: number and date from the register now, then Tỉnh ủy's seal; delivered.
    server.set_now(server.now.replace(day=24, hour=9))
    office = Session(browser, server, "office")
    page = office.page
    page.goto(document_url)
    page.fill("#issue-passphrase", PASSPHRASE)
    page.click("button:has-text('Cấp số, đóng dấu và phát hành')")
    flash = office.flash()
    assert "Đã phát hành văn bản số" in flash and "-CV/TU" in flash, flash
    number = flash.split("số ", 1)[1].split(";")[0]
    assert page.inner_text(".lifecycle-status") == "Đã gửi"
    assert "Chưa đọc" in page.inner_text("table.lifecycle-inbox")
    office.screenshot("signing-3-clerk-issued.png")
    office.close()

    with server.app.app_context():
        from models import DocumentLifecycle, InboxItem, User
        from workflow.extensions import db
        from workflow.storage import get_storage

        lifecycle = db.session.scalar(select(DocumentLifecycle).where(DocumentLifecycle.number == number))
        issued = get_storage().get(lifecycle.issued_key)
        unit_ids = {i.unit_id for i in db.session.scalars(select(InboxItem).where(
            InboxItem.document_id == lifecycle.document_id))}
        recipient = db.session.scalars(select(User).where(User.role == "department", User.unit_id.in_(unit_ids))
                                       .order_by(User.username)).first()
        recipient_name = recipient.username
    pdf_path = output_dir() / "signing-issued.pdf"
    pdf_path.write_bytes(issued)
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf_path),
                    str(output_dir() / "signing-issued-page1")], check=True)

    # 4. A recipient unit reads it in its inbox (the time and the reader are recorded) and verifies it.
    recipient = Session(browser, server, recipient_name)
    page = recipient.page
    page.click("nav.app-nav >> text=Ký số")
    page.click("text=Văn bản đến")
    row = page.locator("table.inbox-table tbody tr", has_text=number)
    assert "Chưa đọc" in row.inner_text()
    row.locator("a").click()
    assert "24/11/2026" in page.inner_text(".inbox-read-at")
    recipient.screenshot("signing-4-recipient-inbox.png")
    page.click(".inbox-detail >> text=Kiểm tra chữ ký số")
    page.set_input_files("#verify-file", str(pdf_path))
    page.click("button:has-text('Kiểm tra')")
    rows = page.locator(".verify-results tbody tr")
    assert rows.count() == 2
    texts = [rows.nth(i).inner_text() for i in range(2)]
    assert SIGNER_NAME in texts[0] and "Tỉnh ủy Lâm Đồng" in texts[1]
    assert all("Còn toàn vẹn" in t and "Hợp lệ" in t for t in texts), texts
    recipient.screenshot("signing-5-verified.png")
    recipient.close()
