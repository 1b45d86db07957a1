"""The collaboration pages (issue 15): files and comments on the task page and in its timeline,
the unit's assignment of a person and "Việc của tôi", the bell, the notifications page, the
e-mail preferences and the unit's daily digest."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from models import StoredFile, TaskAttachment, TaskComment
from tests.conftest import local
from tests.test_collab import DEADLINE, NOW, PDF
from tests.test_web_pages import as_user, flashes, text
from tests.web_fixtures import web  # noqa: F401  (fixture)
from tests.factories import issued_dispatch_with_task


@pytest.fixture()
def task(db, frozen_now):
    _, made = issued_dispatch_with_task(lead="so-tai-chinh", coordinating=("so-xay-dung",), deadline=DEADLINE,
                                        title="Rà soát dự toán chuyển đổi số năm 2026", now=NOW)
    return made


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def bell(page: str) -> str | None:
    match = re.search(r'<span class="bell-count[^"]*">([^<]+)</span>', page)
    return match.group(1) if match else None


def timeline(page: str) -> str:
    return page[page.index('id="lich-su"'):]


def test_lead_unit_attaches_the_signed_report_and_it_shows_in_the_timeline(web, db, users, task):
    token = as_user(web, users, "taichinh")
    page = text(web.get(f"/tasks/{task.id}"))
    assert "Tệp đính kèm" in page and 'enctype="multipart/form-data"' in page
    assert '<option value="completion">Minh chứng hoàn thành</option>' in page
    response = web.post(f"/tasks/{task.id}/attachments", data={
        "csrf_token": token, "purpose": "completion", "note": "Bản đã ký",
        "file": (io.BytesIO(PDF), "Báo cáo kết quả đã ký.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/tasks/{task.id}#tep-dinh-kem")
    page = text(web.get(f"/tasks/{task.id}"))
    assert "Đã đính kèm tệp “Báo cáo kết quả đã ký.pdf”." in flashes(page)
    assert "Đính kèm minh chứng hoàn thành" in timeline(page) and "Báo cáo kết quả đã ký.pdf" in timeline(page)
    link = re.search(r'href="(/attachments/\d+)"', page).group(1)

    # Another person reads it through the same permission as the task.
    as_user(web, users, "leader")
    download = web.get(link)
    assert download.status_code == 200 and download.data == PDF and download.mimetype == "application/pdf"
    assert "filename*=UTF-8''B%C3%A1o%20c%C3%A1o" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    as_user(web, users, "btc")
    assert web.get(link).status_code == 404


def test_a_coordinating_unit_is_not_offered_the_proof_of_completion(web, db, users, task):
    as_user(web, users, "xaydung")
    page = text(web.get(f"/tasks/{task.id}"))
    assert "Đính kèm tệp" in page and 'value="completion"' not in page
    as_user(web, users, "admin")
    page = text(web.get(f"/tasks/{task.id}"))
    assert "Đính kèm tệp" not in page and "Gửi ý kiến" not in page, "the administrator only reads"


def test_a_refused_upload_says_why_and_stores_nothing(web, db, users, task):
    token = as_user(web, users, "taichinh")
    files, rows = count(db, StoredFile), count(db, TaskAttachment)
    response = web.post(f"/tasks/{task.id}/attachments", data={
        "csrf_token": token, "purpose": "task", "note": "Ghi chú giữ lại",
        "file": (io.BytesIO(b"MZ\x90\x00"), "cai-dat.exe")}, content_type="multipart/form-data")
    assert response.status_code == 415
    page = text(response)
    assert "Chỉ nhận tệp PDF, Word (.docx), Excel (.xlsx), ảnh PNG/JPEG hoặc ZIP." in flashes(page)
    assert 'value="Ghi chú giữ lại"' in page, "what was typed is kept"
    response = web.post(f"/tasks/{task.id}/attachments", data={"csrf_token": token, "purpose": "task"},
                        content_type="multipart/form-data")
    assert response.status_code == 400 and "Hãy chọn tệp cần đính kèm." in flashes(text(response))
    from flask import current_app

    limit = current_app.config["MAX_CONTENT_LENGTH"]
    current_app.config["MAX_CONTENT_LENGTH"] = 4096
    try:
        response = web.post(f"/tasks/{task.id}/attachments", data={
            "csrf_token": token, "purpose": "task", "file": (io.BytesIO(b"%PDF-" + b"0" * 8000), "lon.pdf")},
            content_type="multipart/form-data")
    finally:
        current_app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413 and "quá lớn" in text(response)
    assert (count(db, StoredFile), count(db, TaskAttachment)) == (files, rows)


def test_comments_and_mentions_on_the_task_page(web, db, users, task):
    token = as_user(web, users, "xaydung")
    response = web.post(f"/tasks/{task.id}/comments", data={
        "csrf_token": token, "body": "Sở Xây dựng thống nhất; đề nghị @so-tai-chinh tổng hợp <b>sớm</b>."})
    assert response.status_code == 303
    page = text(web.get(f"/tasks/{task.id}"))
    assert "Đã gửi ý kiến." in flashes(page)
    history = timeline(page)
    assert "Ý kiến phối hợp" in history and "&lt;b&gt;sớm&lt;/b&gt;" in history and "<b>sớm</b>" not in history
    assert 'class="badge text-bg-light border mention">Sở Tài chính</span>' in history

    before = count(db, TaskComment)
    response = web.post(f"/tasks/{task.id}/comments", data={"csrf_token": token, "body": "Nhờ @ai-do xem giúp"})
    assert response.status_code == 400
    page = text(response)
    assert any("Không có đơn vị hay người dùng nào tên “@ai-do”" in f for f in flashes(page))
    assert "Nhờ @ai-do xem giúp</textarea>" in page, "the typed comment is kept"
    assert count(db, TaskComment) == before


def test_the_unit_assigns_a_person_who_finds_it_in_my_tasks(web, db, users, task):
    from workflow.services.users import create_user

    create_user("nguyenvana", "Mat-khau-2026", role="department", unit_code="so-tai-chinh", full_name="Nguyễn Văn A")
    token = as_user(web, users, "taichinh")
    page = text(web.get(f"/tasks/{task.id}"))
    assert "Phân công trong đơn vị" in page and "Nguyễn Văn A (nguyenvana)" in page
    assert "Thiếu 3/6" in page  # no person, product or approving authority written on the task
    response = web.post(f"/tasks/{task.id}/assignee", data={"csrf_token": token, "person": "nguyenvana",
                                                            "note": "Đồng chí A chủ trì soạn báo cáo"},
                        follow_redirects=True)
    page = text(response)
    assert "Đã phân công Nguyễn Văn A phụ trách nhiệm vụ." in flashes(page)
    assert '<span class="fw-semibold assignee">Nguyễn Văn A</span>' in page
    assert "Thiếu 2/6" in page, "the person assigned makes the task's person clear (Rõ người)"
    assert "Phân công người phụ trách: Nguyễn Văn A" in timeline(page)
    response = web.post(f"/tasks/{task.id}/assignee", data={"csrf_token": token, "person": "xaydung"})
    assert response.status_code == 400 and "không phải người dùng đang hoạt động của Sở Tài chính" in text(response)

    from models import User

    person = db.session.scalar(select(User).where(User.username == "nguyenvana"))
    as_user(web, {"nguyenvana": person}, "nguyenvana")
    page = text(web.get("/my-tasks"))
    assert ">Việc của tôi</a>" in page and "Rà soát dự toán chuyển đổi số năm 2026" in page
    assert "1 nhiệm vụ đơn vị phân công bạn phụ trách" in page
    assert bell(text(web.get("/"))) is not None, "the assignment is a notification"
    as_user(web, users, "xaydung")
    assert "Phân công trong đơn vị" not in text(web.get(f"/tasks/{task.id}"))
    assert "Chưa có nhiệm vụ nào được phân công cho bạn" in text(web.get("/my-tasks"))


def test_the_bell_and_the_notifications_page(web, db, users, task, frozen_now):
    from workflow.services.tasks import fire_event

    token = as_user(web, users, "taichinh")
    assert bell(text(web.get("/"))) == "8"  # the new task, its deadline, and the seed's six late tasks
    response = web.post("/notifications/read", data={"csrf_token": token})
    assert response.status_code == 303
    page = text(web.get("/notifications"))
    assert bell(page) is None and "Đã đánh dấu tất cả thông báo là đã đọc." in flashes(page)

    frozen_now(local(2026, 11, 22, 9, 0))
    fire_event(users["leader"], task.id, "directive", version=task.version, now=frozen_now.current(),
               note="Đề nghị Sở Tài chính khẩn trương.")
    page = text(web.get("/notifications"))
    assert bell(page) == "1" and 'aria-label="Thông báo: 1 chưa đọc"' in page
    first = page.index("notification is-unread")
    assert first < page.index("notification is-read"), "unread first"
    assert "Ý kiến chỉ đạo của leader: “Đề nghị Sở Tài chính khẩn trương.”" in page
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    assert f'name="next" value="/tasks/{task.id}#lich-su"' in page, "opening an unread one marks it read"
    assert key.startswith("ev:")
    page = text(web.get("/notifications?kind=directive"))
    assert page.count("list-group-item notification") == 1
    response = web.post("/notifications/read", data={"csrf_token": token, "key": key,
                                                     "next": "/notifications?kind=directive"})
    assert response.status_code == 303 and response.headers["Location"] == "/notifications?kind=directive"
    assert bell(text(web.get("/notifications"))) is None
    response = web.post("/notifications/read", data={"csrf_token": token, "key": "khong-hop-le",
                                                     "next": "https://example.com/"}, follow_redirects=True)
    assert "Mã thông báo không hợp lệ" in " ".join(flashes(text(response)))
    assert response.request.path == "/notifications", "never sent to another site"
    assert "Loại thông báo không hợp lệ" in " ".join(flashes(text(web.get("/notifications?kind=spam"))))


def test_email_preferences_page(web, db, users):
    token = as_user(web, users, "taichinh")
    page = text(web.get("/notifications/settings"))
    assert "Nhận thông báo qua e-mail" in page and "Ý kiến chỉ đạo" in page and "xem bản nhắc việc" in page
    response = web.post("/notifications/settings", data={"csrf_token": token, "email": "sai-dia-chi",
                                                        "kinds": ["directive"]})
    assert response.status_code == 400 and "Địa chỉ e-mail không hợp lệ" in " ".join(flashes(text(response)))
    response = web.post("/notifications/settings", data={"csrf_token": token, "email": "cv@stc.lamdong.gov.vn",
                                                        "kinds": ["directive", "overdue"]}, follow_redirects=True)
    page = text(response)
    assert "Đã lưu cài đặt thông báo qua e-mail." in flashes(page)
    assert 'value="cv@stc.lamdong.gov.vn"' in page
    checked = re.findall(r'<input checked[^>]*value="(\w+)"|<input[^>]*value="(\w+)"[^>]*checked', page)
    assert {a or b for a, b in checked} == {"directive", "overdue"}


def test_the_units_daily_digest_is_linked_from_the_ui(web, db, users):
    as_user(web, users, "xaydung")
    page = text(web.get("/notifications/digest"))
    assert "Bản nhắc việc hằng ngày — Sở Xây dựng" in page
    assert "Kính gửi: Sở Xây dựng" in page and "Các nhiệm vụ đã quá hạn:" in page
    assert web.get("/notifications/digest?unit=so-tai-chinh").status_code == 403
    as_user(web, users, "office")
    page = text(web.get("/notifications/digest?unit=so-tai-chinh"))
    assert "Kính gửi: Sở Tài chính" in page and '<option value="so-tai-chinh" selected>' in page
    assert "Chọn đơn vị để xem bản nhắc việc." in text(web.get("/notifications/digest"))


def test_each_user_who_sees_every_task_has_their_own_bell(app, web, db, users, task, frozen_now):
    """The bell's queries for the office, the leader and the administrator are built once (issue 16) and run
    with each user's own id and unit: a directive is news to every office user until each marks it read, a
    mention to the person named only, and nobody is told of their own comment."""
    from models import User
    from tests.conftest import PASSWORD
    from tests.web_fixtures import csrf_token_from, sign_in, web_client
    from workflow.services.comments import add_comment
    from workflow.services.tasks import fire_event
    from workflow.services.users import create_user

    create_user("office2", PASSWORD, role="office", unit_code="van-phong-tinh-uy", full_name="Văn phòng 2")
    office2 = db.session.scalar(select(User).where(User.username == "office2"))
    clients = {"office": web, "office2": web_client(app), "leader": web_client(app)}
    tokens = {"office": as_user(web, users, "office")}
    for name in ("office2", "leader"):
        sign_in(clients[name], office2 if name == "office2" else users[name])
        tokens[name] = csrf_token_from(text(clients[name].get("/account/password")))

    def bells() -> dict:
        return {name: bell(text(client.get("/"))) for name, client in clients.items()}

    for name, client in clients.items():  # start with nothing unread
        client.post("/notifications/read", data={"csrf_token": tokens[name]})
    assert bells() == {"office": None, "office2": None, "leader": None}

    frozen_now(local(2026, 11, 22, 9, 0))
    fire_event(users["leader"], task.id, "directive", version=task.version, now=frozen_now.current(),
               note="Đề nghị khẩn trương.")
    assert bells() == {"office": "1", "office2": "1", "leader": None}  # not news to its writer
    clients["office"].post("/notifications/read", data={"csrf_token": tokens["office"]})
    assert bells() == {"office": None, "office2": "1", "leader": None}

    frozen_now(local(2026, 11, 22, 9, 30))
    add_comment(users["taichinh"], task.id, "Đề nghị @office2 cho ý kiến.", now=frozen_now.current())
    assert bells() == {"office": None, "office2": "2", "leader": None}
    add_comment(office2, task.id, "Kính trình @leader xem xét.", now=frozen_now.current())
    assert bells() == {"office": None, "office2": "2", "leader": "1"}
