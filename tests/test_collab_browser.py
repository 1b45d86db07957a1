"""Browser tests of the collaboration on a task (issue 15), one per role, in Debian's chromium
through Playwright (launched as in tests/test_web_browser.py).

One story on the module's live server, in order: the lead department attaches the signed report,
comments and assigns a person; the coordinating department gives its "ý kiến phối hợp" and
downloads the file; the person finds the task in "Việc của tôi"; the leader follows a mention from
the bell; the office mentions the person, chooses e-mails and reads a unit's digest; the
administrator reads without taking part. Each page is saved at 1366 px and 390 px under
tests/output/ (collab-<role>-<page>-<width>.png), and at 390 px no page is wider than the screen.
"""
from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD, local
from tests.test_collab import PDF
from tests.test_web_browser import Session, browser  # noqa: F401  (fixture)
from tests.web_fixtures import live_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

TITLE = "Rà soát dự toán chuyển đổi số năm 2026"
FILE_NAME = "Báo cáo đã ký số 125-BC-STC.pdf"


@pytest.fixture(scope="module")
def story(live_server):
    """A task of Sở Tài chính (Sở Xây dựng coordinating) due in two days, and a person of the unit."""
    from tests.factories import issued_dispatch_with_task
    from workflow.services.users import create_user

    with live_server.app.app_context():
        create_user("nguyenvana", PASSWORD, role="department", unit_code="so-tai-chinh", full_name="Nguyễn Văn A")
        _, task = issued_dispatch_with_task(lead="so-tai-chinh", coordinating=("so-xay-dung",),
                                            deadline=local(2026, 11, 24, 17, 0), title=TITLE,
                                            now=local(2026, 11, 22, 8, 0))
        return {"task": task.id}


def shoot(session: Session, name: str):
    """Save the page at 1366 px and at 390 px; at 390 px nothing may stick out sideways."""
    page = session.page
    session.screenshot(f"collab-{name}-1366.png")
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{name}: the page is {width} px wide on a 390 px screen"
        session.screenshot(f"collab-{name}-390.png")
    finally:
        page.set_viewport_size({"width": 1366, "height": 900})


def bell(session: Session) -> int:
    badge = session.page.locator("a.btn-bell .bell-count")
    return int(badge.inner_text()) if badge.count() else 0


def test_lead_department_attaches_comments_and_assigns(browser, live_server, story):
    lead = Session(browser, live_server, "taichinh")
    page = lead.page
    assert bell(lead) >= 2, "the new task and its deadline within 3 days"
    lead.go(f"/tasks/{story['task']}")
    page.click("summary:has-text('Đính kèm tệp')")
    page.set_input_files("#attach-file", files=[{"name": FILE_NAME, "mimeType": "application/pdf", "buffer": PDF}])
    page.select_option("#attach-purpose", "completion")
    page.fill("#attach-note", "Bản đã ký số")
    page.click("button:has-text('Tải lên')")
    assert f"Đã đính kèm tệp “{FILE_NAME}”." in lead.flash()
    assert page.locator("#tep-dinh-kem").get_by_text(FILE_NAME).is_visible()
    assert "Đính kèm minh chứng hoàn thành" in page.inner_text("#lich-su")

    page.fill("#comment-body", "Đề nghị @so-xay-dung gửi số liệu trước 23/11.")
    page.click("button:has-text('Gửi ý kiến')")
    assert "Đã gửi ý kiến." in lead.flash()
    first = page.locator("#lich-su .timeline-item").first
    assert "Đề nghị @so-xay-dung gửi số liệu" in first.inner_text() and "Sở Xây dựng" in first.inner_text()

    page.select_option("#assign-person", "nguyenvana")
    page.fill("#assign-note", "Đồng chí A soạn báo cáo")
    page.click("button:has-text('Lưu phân công')")
    assert "Đã phân công Nguyễn Văn A phụ trách nhiệm vụ." in lead.flash()
    assert page.inner_text(".assignee") == "Nguyễn Văn A"
    shoot(lead, "department-task")

    page.click("a.btn-bell")
    assert page.is_visible("h1:has-text('Thông báo')")
    shoot(lead, "department-notifications")
    page.click("button:has-text('Đánh dấu tất cả đã đọc')")
    assert "Đã đánh dấu tất cả thông báo là đã đọc." in lead.flash() and bell(lead) == 0
    lead.close()


def test_coordinating_department_gives_its_opinion_and_downloads(browser, live_server, story):
    coordinating = Session(browser, live_server, "xaydung")
    page = coordinating.page
    assert bell(coordinating) >= 1, "mentioned by the lead unit"
    coordinating.go("/notifications?kind=comment")
    notice = page.locator(".notification").first
    assert "nhắc đến bạn" in notice.inner_text()
    notice.locator("button.btn-link >> nth=0").click()  # opening it marks it read
    assert page.is_visible(f"h1:has-text('{TITLE}')") and page.url.endswith("#lich-su")
    coordinating.go("/notifications?kind=comment")
    assert "is-read" in page.locator(".notification").first.get_attribute("class").split()
    page.locator(".notification a").first.click()
    assert page.locator("#attach-purpose option[value=completion]").count() == 0
    page.fill("#comment-body", "Sở Xây dựng thống nhất; đề nghị @leader cho ý kiến về nguồn vốn.")
    page.click("button:has-text('Gửi ý kiến')")
    assert "Ý kiến phối hợp" in page.locator("#lich-su .timeline-item").first.inner_text()
    with page.expect_download() as info:
        page.locator("#tep-dinh-kem").get_by_text(FILE_NAME).click()
    download = info.value
    assert download.suggested_filename == FILE_NAME
    with open(download.path(), "rb") as handle:
        assert handle.read() == PDF
    shoot(coordinating, "coordinating-task")
    coordinating.close()


def test_the_person_finds_the_task_in_my_tasks(browser, live_server, story):
    person = Session(browser, live_server, "nguyenvana")
    page = person.page
    assert bell(person) >= 1
    page.click("nav.app-nav >> text=Việc của tôi")
    assert page.is_visible("h1:has-text('Việc của tôi')")
    rows = page.locator("table.table-mine tbody tr")
    assert rows.count() == 1 and TITLE in rows.first.inner_text()
    shoot(person, "person-my-tasks")
    person.go("/notifications")
    assert "phân công bạn phụ trách" in page.inner_text(".notification-list")
    shoot(person, "person-notifications")
    person.close()


def test_leader_follows_a_mention_from_the_bell(browser, live_server, story):
    leader = Session(browser, live_server, "leader")
    page = leader.page
    assert bell(leader) == 1
    page.click("a.btn-bell")
    notice = page.locator(".notification.is-unread")
    assert notice.count() == 1 and "nhắc đến bạn" in notice.inner_text()
    shoot(leader, "leader-notifications")
    notice.locator("button:has-text('Đánh dấu đã đọc')").click()
    assert bell(leader) == 0
    page.locator(".notification a").first.click()
    page.fill("#comment-body", "Đồng ý với ý kiến của Sở Xây dựng.")
    page.click("button:has-text('Gửi ý kiến')")
    assert "Lãnh đạo" in page.locator("#lich-su .timeline-item").first.inner_text()
    assert page.locator("#assign-person").count() == 0, "only the lead unit assigns a person"
    shoot(leader, "leader-task")
    leader.close()


def test_office_mentions_a_person_sets_emails_and_reads_a_digest(browser, live_server, story):
    office = Session(browser, live_server, "office")
    page = office.page
    office.go(f"/tasks/{story['task']}")
    page.fill("#comment-body", "Đề nghị @nguyenvana gửi bản mềm cho Văn phòng.")
    page.click("button:has-text('Gửi ý kiến')")
    assert "Đã gửi ý kiến." in office.flash()
    shoot(office, "office-task")

    page.click("button.btn-user")
    page.click("text=Nhận thông báo qua e-mail")
    page.fill("#pref-email", "chuyenvien@vptu.lamdong.gov.vn")
    page.check("input[value=directive]")
    page.check("input[value=comment]")
    page.click("button:has-text('Lưu cài đặt')")
    assert "Đã lưu cài đặt thông báo qua e-mail." in office.flash()
    assert page.is_checked("input[value=directive]") and not page.is_checked("input[value=overdue]")
    shoot(office, "office-settings")

    page.click("text=Bản nhắc việc hằng ngày của đơn vị")
    page.select_option("#unit", "so-tai-chinh")
    page.click("button:has-text('Xem')")
    assert "Kính gửi: Sở Tài chính" in page.inner_text(".digest-body")
    assert re.search(r"Nhắc việc ngày 22/11/2026: \d+ nhiệm vụ quá hạn", page.inner_text(".digest-card"))
    shoot(office, "office-digest")
    office.close()

    person = Session(browser, live_server, "nguyenvana")
    person.go("/notifications?kind=comment")
    assert "Đề nghị @nguyenvana gửi bản mềm" in person.page.inner_text(".notification-list")
    person.close()


def test_admin_reads_without_taking_part(browser, live_server, story):
    admin = Session(browser, live_server, "admin")
    page = admin.page
    admin.go(f"/tasks/{story['task']}")
    history = page.inner_text("#lich-su")
    assert "Ý kiến phối hợp" in history and FILE_NAME in history and "Phân công người phụ trách" in history
    assert page.locator("#comment-body").count() == 0 and page.locator("#attach-file").count() == 0
    shoot(admin, "admin-task")
    admin.go("/notifications")
    assert "Không có thông báo nào" in page.inner_text("main")
    shoot(admin, "admin-notifications")
    admin.close()
