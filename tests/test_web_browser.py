"""Browser tests: Debian's chromium driven by Playwright along the office's real story.

The office creates a dispatch with two tasks and issues it; the department signs in,
starts its task and completes it with evidence; after the overdue sweep the leader sees
the other task in the overdue list. Each role's dashboard is saved under tests/output/.

They need /usr/bin/chromium: without it they are skipped, except in CI (CI=true), where
they must run. Playwright's own browser download is never used.
"""
from __future__ import annotations

import os
import re

import pytest

from tests.conftest import PASSWORD, local
from tests.web_fixtures import live_server, output_dir  # noqa: F401  (fixture)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        _unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


class Session:
    """One person at their own browser (own cookies), signed in."""

    def __init__(self, browser, server, username: str):
        self.server = server
        self.context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN",
                                           timezone_id="Asia/Ho_Chi_Minh")
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.page.on("response", lambda r: self.errors.append(f"{r.status} {r.url}")
                     if r.status >= 400 and "/static/" in r.url or r.status >= 500 else None)
        self.page.on("dialog", lambda dialog: dialog.accept())  # the confirmations of data-confirm forms
        self.sign_in(username)

    def go(self, path: str):
        self.page.goto(self.server.url + path)

    def sign_in(self, username: str):
        self.go("/")
        assert self.page.url.startswith(self.server.url + "/login"), "anonymous visitors go to /login"
        assert self.page.title().startswith("Đăng nhập")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", PASSWORD)
        assert not self.page.is_checked("input[name=remember]"), "remember me is off by default"
        self.page.click("button:has-text('Đăng nhập')")
        self.page.wait_for_url(self.server.url + "/")

    def flash(self) -> str:
        return self.page.inner_text(".flash-area")

    def screenshot(self, name: str):
        self.page.screenshot(path=str(output_dir() / name), full_page=True)

    def close(self):
        assert not self.errors, f"errors in the browser console: {self.errors}"
        self.context.close()


def test_office_department_leader_story(browser, live_server):
    server = live_server
    sweep_at = local(2026, 11, 26, 8, 0)
    first = "Rà soát, báo cáo kết quả chuyển đổi số trong quản lý ngân sách năm 2026"
    second = "Tổng hợp danh mục dự án đô thị chậm tiến độ, đề xuất giải pháp tháo gỡ"

    # 1. The office drafts a dispatch, adds two tasks and issues it.
    office = Session(browser, server, "office")
    page = office.page
    assert page.is_visible("h1:has-text('Tổng quan công việc')")
    office.screenshot("dashboard-office.png")
    page.click("nav.app-nav >> text=Tạo công văn")
    page.select_option("select[name=issuer]", "tinh-uy")
    page.fill("textarea[name=subject]", "V/v triển khai rà soát chuyển đổi số và phát triển đô thị")
    page.fill("textarea[name=recipients]", "Sở Tài chính\nSở Xây dựng")
    page.fill("textarea[name=distribution]", "- Như trên,\n- Lưu Văn phòng Tỉnh ủy.")
    page.fill("input[name=signer_name]", "Nguyễn Văn A")
    page.click("button:has-text('Lưu dự thảo')")
    assert "Đã tạo dự thảo công văn" in office.flash()

    page.fill("#form-nhiem-vu input[name=item]", "1")
    page.fill("#form-nhiem-vu textarea[name=title]", first)
    page.select_option("#form-nhiem-vu select[name=lead_unit]", "so-tai-chinh")
    page.fill("#form-nhiem-vu input[name=deadline_text]", "trước ngày 31/12/2026")
    page.fill("#form-nhiem-vu input[name=product]", "Báo cáo")
    page.fill("#form-nhiem-vu input[name=person_in_charge]", "Giám đốc Sở Tài chính")
    page.fill("#form-nhiem-vu input[name=authority]", "Thường trực Tỉnh ủy")
    page.click("#form-nhiem-vu button:has-text('Thêm nhiệm vụ')")
    assert "Đã thêm nhiệm vụ 1 cho Sở Tài chính" in office.flash()

    page.fill("#form-nhiem-vu input[name=item]", "2")
    page.fill("#form-nhiem-vu textarea[name=title]", second)
    page.select_option("#form-nhiem-vu select[name=lead_unit]", "so-xay-dung")
    page.select_option("#form-nhiem-vu select[name=coordinating]", ["so-tai-chinh"])
    page.fill("#form-nhiem-vu input[name=deadline]", "2026-11-25T17:00")
    page.click("#form-nhiem-vu button:has-text('Thêm nhiệm vụ')")
    assert "Đã thêm nhiệm vụ 2 cho Sở Xây dựng" in office.flash()
    assert page.is_visible(f"text={first}") and page.is_visible(f"text={second}")

    page.click("button:has-text('Ban hành công văn')")  # confirms through the dialog handler
    flash = office.flash()
    match = re.search(r"Công văn số (\d+-CV/TU)", flash)
    assert match, flash
    number = match.group(1)
    assert page.is_visible("h1:has-text('Công văn số')")
    assert "Đã ban hành" in page.inner_text(".page-head")
    assert "ngày 22 tháng 11 năm 2026" in page.inner_text(".page-head")
    office.close()

    # 2. The department of Sở Tài chính starts its task and completes it with evidence.
    department = Session(browser, server, "taichinh")
    page = department.page
    todo = page.inner_text("table.table-tasks")
    assert first in todo and second not in todo.split("Nhiệm vụ đơn vị phối hợp")[0]
    department.screenshot("dashboard-department.png")
    page.click(f"a:has-text('{first}')")
    assert page.is_visible("text=Rõ người") and "Đủ 6/6" in page.inner_text("body")
    assert page.is_visible("text=31/12/2026")  # the wording "trước ngày 31/12/2026" became a date
    assert not page.is_visible("text=Đồng ý gia hạn"), "the office's actions are not offered to a department"
    page.click("button:has-text('Bắt đầu thực hiện')")
    assert "Đã ghi nhận: Bắt đầu thực hiện." in department.flash()
    assert "Đang thực hiện" in page.inner_text(".page-head")
    page.click("summary:has-text('Hoàn thành')")
    page.fill("#complete-evidence_number", "125-BC/STC")
    page.fill("#complete-evidence_date", "2026-11-22")
    page.fill("#complete-evidence_note", "Đã gửi báo cáo kết quả rà soát.")
    page.click("button:has-text('Xác nhận hoàn thành')")
    assert "Đã ghi nhận: Hoàn thành." in department.flash()
    assert "Đã hoàn thành" in page.inner_text(".page-head")
    body = page.inner_text("body")
    assert "Văn bản số 125-BC/STC ngày 22/11/2026" in body and "đúng hạn" in body
    department.screenshot("task-completed.png")
    department.close()

    # 3. Days pass; the sweep marks the other task overdue; the leader reads the overdue list.
    from workflow.services.tasks import sweep

    with server.app.app_context():
        assert sweep(sweep_at) >= 1
    server.set_now(sweep_at)
    leader = Session(browser, server, "leader")
    page = leader.page
    assert page.is_visible("h1:has-text('Tình hình thực hiện nhiệm vụ')")
    assert page.is_visible("svg.chart-svg"), "the chart of open vs overdue by unit is drawn"
    leader.screenshot("dashboard-leader.png")
    page.click("nav.app-nav >> text=Nhiệm vụ quá hạn")
    rows = page.locator("table.table-overdue tbody tr")
    texts = [rows.nth(i).inner_text() for i in range(rows.count())]
    ours = [t for t in texts if second in t]
    assert len(ours) == 1 and "Quá hạn" in ours[0] and number in ours[0]
    assert not any(first in t for t in texts), "the completed task is not overdue"
    days = [int(rows.nth(i).locator(".days-late").inner_text()) for i in range(rows.count())]
    assert days == sorted(days, reverse=True), "most days late first"
    page.click("a:has-text('Bản in')")
    assert page.is_visible("h1:has-text('DANH SÁCH NHIỆM VỤ QUÁ HẠN')")
    assert second in page.inner_text("table.grid")
    leader.screenshot("overdue-print.png")
    leader.close()

    # 4. The administrator's dashboard, for the record.
    admin = Session(browser, server, "admin")
    assert admin.page.is_visible("h1:has-text('Quản trị hệ thống')")
    admin.screenshot("dashboard-admin.png")
    admin.page.click("nav.app-nav >> text=Người dùng")
    assert admin.page.is_visible("text=taichinh")
    admin.close()
