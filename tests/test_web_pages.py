"""What the pages show and do: the office's dispatch, the department's task, the leader's
lists, the administrator's accounts; Vietnamese dates and messages; escaping; bad input."""
from __future__ import annotations

import re
import shutil
from urllib.parse import quote

import pytest
from sqlalchemy import select

from models import Dispatch, Task, User
from tests.conftest import PASSWORD, local
from tests.web_fixtures import csrf_token_from, login, sign_in, web, web_client  # noqa: F401


def as_user(web, users, username):
    sign_in(web, users[username])
    return csrf_token_from(web.get("/account/password").get_data(as_text=True))


def text(response) -> str:
    return response.get_data(as_text=True)


def flashes(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", m).strip() for m in re.findall(r'<div class="alert [^"]*"[^>]*>(.*?)<button', html, re.S)]


def task_by_item(db, number: int, item: str) -> Task:
    return db.session.scalar(select(Task).join(Dispatch).where(Dispatch.number == number, Task.item == item))


# --- The office's story through the forms ----------------------------------------------------

def test_office_drafts_adds_tasks_and_issues_a_dispatch(web, db, users, frozen_now):
    token = as_user(web, users, "office")
    form = text(web.get("/dispatches/new"))
    assert "Tạo dự thảo công văn" in form and re.search(r'<option selected value="tinh-uy">', form)
    response = web.post("/dispatches/new", data={
        "csrf_token": token, "issuer": "tinh-uy", "symbol": "cv/tu", "subject": "V/v rà soát đô thị",
        "recipients": "Sở Xây dựng\r\nSở Tài chính\r\n", "distribution": "- Như trên,\n- Lưu VPTU.",
        "references": "2085-CV/VPTW", "signing_authority": "T/M BAN THƯỜNG VỤ",
        "signer_title": "PHÓ BÍ THƯ THƯỜNG TRỰC", "signer_name": "Nguyễn Văn A"}, follow_redirects=True)
    page = text(response)
    assert "Đã tạo dự thảo công văn" in page and "Dự thảo chưa ban hành" in page
    draft = db.session.scalar(select(Dispatch).where(Dispatch.subject == "V/v rà soát đô thị"))
    assert draft.status == "draft" and draft.recipients == ["Sở Xây dựng", "Sở Tài chính"]
    assert draft.symbol == "CV/TU"

    # A task from the dispatch's wording, with coordinating units and the "6 rõ" fields.
    response = web.post(f"/dispatches/{draft.id}/tasks", data={
        "csrf_token": token, "item": "1", "title": "Rà soát quy hoạch đô thị", "lead_unit": "so-xay-dung",
        "coordinating": ["so-tai-chinh", "so-noi-vu"], "deadline_text": "trước ngày 30/12/2026",
        "product": "Báo cáo", "person_in_charge": "Giám đốc Sở Xây dựng", "authority": "Thường trực Tỉnh ủy"},
        follow_redirects=True)
    assert "Đã thêm nhiệm vụ 1 cho Sở Xây dựng." in flashes(text(response))
    # A task with a date and time typed in local time.
    response = web.post(f"/dispatches/{draft.id}/tasks", data={
        "csrf_token": token, "item": "2", "title": "Báo cáo tiến độ", "lead_unit": "so-tai-chinh",
        "deadline": "2026-12-05T17:00"}, follow_redirects=True)
    assert response.status_code == 200
    first, second = sorted(draft.tasks, key=lambda t: t.item)
    assert first.deadline == local(2026, 12, 30, 0, 0) and first.deadline_text == "trước ngày 30/12/2026"
    assert {u.code for u in first.coordinating_units} == {"so-tai-chinh", "so-noi-vu"}
    assert second.deadline == local(2026, 12, 5, 17, 0)
    assert first.missing_six_clear() == [] and "Rõ người" in second.missing_six_clear()

    # Drafts are the office's alone.
    other = web_client(web.application)
    sign_in(other, users["xaydung"])
    assert other.get(f"/tasks/{first.id}").status_code == 404

    response = web.post(f"/dispatches/{draft.id}/issue", data={"csrf_token": token}, follow_redirects=True)
    page = text(response)
    assert draft.status == "issued" and draft.number is not None
    assert f"Đã ban hành Công văn số {draft.number}-CV/TU" in page
    assert "Lâm Đồng, ngày 22 tháng 11 năm 2026" in page
    assert "Sở Xây dựng" in page and "Nguyễn Văn A" in page and "Lưu VPTU." in page
    assert other.get(f"/tasks/{first.id}").status_code == 200


def test_task_form_errors_are_shown_in_vietnamese(web, db, users, frozen_now):
    from workflow.services.dispatches import create_dispatch

    token = as_user(web, users, "office")
    draft = create_dispatch(users["office"], issuer="tinh-uy", subject="Dự thảo", now=frozen_now.current())
    response = web.post(f"/dispatches/{draft.id}/tasks", data={"csrf_token": token, "title": "",
                                                                "lead_unit": "khong-co", "deadline": "hôm qua"})
    page = text(response)
    assert response.status_code == 400
    assert "Lựa chọn không hợp lệ." in page and "Ngày giờ không hợp lệ." in page and "Không được để trống." in page
    response = web.post(f"/dispatches/{draft.id}/tasks", data={"csrf_token": token, "title": "Việc",
                                                                "lead_unit": "so-y-te", "deadline_text": "sớm nhất"})
    assert response.status_code == 400
    assert any("không phải là một thời điểm cụ thể" in f for f in flashes(text(response).replace("&#34;", '"')))
    response = web.post(f"/dispatches/{draft.id}/issue", data={"csrf_token": token}, follow_redirects=True)
    assert "Công văn chưa có nhiệm vụ nào để ban hành." in flashes(text(response))


# --- The department's task page ----------------------------------------------------------------

def actions_on(html: str) -> list[str]:
    return re.findall(r'action="/tasks/\d+/events/([a-z_]+)"', html)


def test_each_role_is_offered_only_its_own_actions(web, db, users, frozen_now):
    task = task_by_item(db, 1534, "2.a")
    offered = {}
    for username in ("danguy", "office", "leader", "admin", "btc"):
        client = web_client(web.application)
        sign_in(client, users[username])
        response = client.get(f"/tasks/{task.id}")
        offered[username] = actions_on(text(response)) if response.status_code == 200 else response.status_code
    assert offered == {
        "danguy": ["start", "report", "complete", "request_extension"],
        "office": ["approve_extension"],  # the office may extend a deadline; reject only answers a request
        "leader": ["directive"],
        "admin": [],
        "btc": 404,
    }


def test_department_starts_reports_and_completes_with_evidence(web, db, users, frozen_now):
    task = task_by_item(db, 1534, "2.a")
    token = as_user(web, users, "danguy")
    page = text(web.get(f"/tasks/{task.id}"))
    assert "09/05/2026 09:00" in page and "trước 09 giờ 00 phút ngày 09/5/2026" in page
    assert "Rõ người" in page and "Thiếu 1/6" in page
    assert f'name="version" value="{task.version}"' in page

    response = web.post(f"/tasks/{task.id}/events/start", data={"csrf_token": token, "version": task.version},
                        follow_redirects=True)
    assert "Đã ghi nhận: Bắt đầu thực hiện." in flashes(text(response))
    response = web.post(f"/tasks/{task.id}/events/report", data={
        "csrf_token": token, "version": task.version, "note": "Đã gửi danh sách 3 đồng chí."},
        follow_redirects=True)
    assert "Đã gửi danh sách 3 đồng chí." in text(response)

    # Completion needs evidence; the message says which.
    response = web.post(f"/tasks/{task.id}/events/complete", data={"csrf_token": token, "version": task.version})
    # Refused: back to the task page (a GET address, issue 15 defect 3) with the message.
    assert response.status_code == 303 and response.headers["Location"] == f"/tasks/{task.id}#thao-tac"
    assert "Cần số và ngày văn bản minh chứng, hoặc ghi chú kết quả." in text(web.get(f"/tasks/{task.id}"))
    response = web.post(f"/tasks/{task.id}/events/complete", data={
        "csrf_token": token, "version": task.version, "evidence_number": "125-CV/ĐU", "evidence_date": "2026-11-21"},
        follow_redirects=True)
    page = text(response)
    assert "Đã ghi nhận: Hoàn thành." in flashes(page)
    assert task.status == "completed" and task.evidence_number == "125-CV/ĐU" and task.on_time is False
    assert "Văn bản số 125-CV/ĐU ngày 21/11/2026" in page and "trễ hạn" in page
    assert [e.event for e in task.events][-3:] == ["start", "report", "complete"]


def test_a_stale_version_is_refused_with_a_clear_message(web, db, users, frozen_now):
    task = task_by_item(db, 1534, "2.a")
    token = as_user(web, users, "danguy")
    response = web.post(f"/tasks/{task.id}/events/start", data={"csrf_token": token, "version": task.version - 1
                                                               if task.version > 1 else 99})
    assert response.status_code == 303 and response.headers["Location"] == f"/tasks/{task.id}#thao-tac"
    assert "Nhiệm vụ đã được cập nhật" in text(web.get(f"/tasks/{task.id}"))
    assert task.status == "assigned"


def test_an_event_not_allowed_in_this_state_is_explained(web, db, users, frozen_now):
    task = task_by_item(db, 1534, "2.a")
    token = as_user(web, users, "office")
    response = web.post(f"/tasks/{task.id}/events/reopen", data={"csrf_token": token, "version": task.version,
                                                                 "note": "Mở lại"})
    assert response.status_code == 303
    assert 'Không thể thực hiện "Mở lại" khi đang ở trạng thái "Đã giao".' in \
        text(web.get(f"/tasks/{task.id}")).replace("&#34;", '"')
    assert web.post(f"/tasks/{task.id}/events/khong-co", data={"csrf_token": token}).status_code == 404


def test_extension_requested_by_the_department_and_approved_by_the_office(web, db, users, frozen_now):
    task = task_by_item(db, 1775, "3.2")
    department = web_client(web.application)
    token = as_user(department, users, "btc")
    response = department.post(f"/tasks/{task.id}/events/request_extension", data={
        "csrf_token": token, "version": task.version, "deadline": "2027-01-20T17:00",
        "note": "Chờ số liệu của các xã."}, follow_redirects=True)
    assert "Đã ghi nhận: Xin gia hạn." in flashes(text(response))
    assert "request_extension" not in actions_on(text(response)), "one pending request at a time"

    token = as_user(web, users, "office")
    page = text(web.get("/"))
    assert "Đề nghị gia hạn chờ Văn phòng xem xét" in page and task.title[:30] in page
    page = text(web.get(f"/tasks/{task.id}"))
    assert actions_on(page) == ["approve_extension", "reject_extension"]
    assert "20/01/2027 17:00" in page and "Chờ số liệu của các xã." in page
    response = web.post(f"/tasks/{task.id}/events/approve_extension", data={
        "csrf_token": token, "version": task.version}, follow_redirects=True)
    assert "Đã ghi nhận: Đồng ý gia hạn." in flashes(text(response))
    assert task.deadline == local(2027, 1, 20, 17, 0) and task.extended and not task.has_pending_extension


def test_leader_writes_a_directive_note(web, db, users, frozen_now):
    task = task_by_item(db, 1640, "1")
    token = as_user(web, users, "leader")
    response = web.post(f"/tasks/{task.id}/events/directive", data={"csrf_token": token, "version": task.version,
                                                                    "note": "Yêu cầu hoàn thành trước 30/11."},
                        follow_redirects=True)
    page = text(response)
    assert "Đã ghi nhận: Ý kiến chỉ đạo." in flashes(page) and "Yêu cầu hoàn thành trước 30/11." in page
    assert task.events[-1].event == "directive" and task.events[-1].actor.username == "leader"


# --- Dashboards and lists ------------------------------------------------------------------------

def test_department_dashboard_lists_its_tasks_most_urgent_first(web, db, users, frozen_now):
    as_user(web, users, "taichinh")
    page = text(web.get("/"))
    assert "Nhiệm vụ của Sở Tài chính" in page
    levels = re.findall(r'<tr class="row-warn-(red|yellow|green)">', page.split("Nhiệm vụ đơn vị phối hợp")[0])
    assert levels and levels == sorted(levels, key=["red", "yellow", "green"].index)
    assert "Đảng ủy UBND tỉnh" not in page.split("Việc cần làm")[1].split("Nhiệm vụ đơn vị phối hợp")[0]


def test_office_dashboard_counts_late_tasks_without_the_sweep(web, db, users, frozen_now):
    as_user(web, users, "office")
    page = text(web.get("/"))
    late = re.search(r'stat-late".*?stat-value">(\d+)<', page, re.S)
    assert late and int(late.group(1)) > 0  # no sweep has run: late is computed from deadlines
    assert "Trễ hạn theo đơn vị" in page and "Thay đổi gần đây" in page


def test_leader_dashboard_has_the_overdue_list_rates_and_a_chart(web, db, users, frozen_now):
    as_user(web, users, "leader")
    page = text(web.get("/"))
    days = [int(d) for d in re.findall(r'<span class="days-late">(\d+)</span>', page)]
    assert days and days == sorted(days, reverse=True)
    assert "<svg" in page and 'class="bar-late"' in page and "Sở Tài chính" in page
    assert "Tỷ lệ hoàn thành đúng hạn theo đơn vị" in page


def test_task_search_ignores_diacritics(web, db, users, frozen_now):
    as_user(web, users, "office")
    page = text(web.get("/tasks?q=do+thi"))
    titles = re.findall(r'class="text-truncate-2">([^<]+)</a>', page)
    assert titles and all("đô thị" in t.lower() for t in titles)
    assert "Chương trình phát triển đô thị" in page and "Đề án xây dựng đô thị thông minh" in page
    assert text(web.get("/tasks?q=%C4%90%C3%94+TH%E1%BB%8A")).count("row-warn-") == len(titles)  # "ĐÔ THỊ"


@pytest.mark.parametrize("query, check", [
    ("status=completed", lambda p: "Đã hoàn thành" in p and "Đang thực hiện</span>" not in p),
    ("unit=so-xay-dung", lambda p: set(re.findall(r'col-unit[^"]*">([^<]+)<', p)) == {"Sở Xây dựng"}),
    ("dispatch=1775-CV/TU", lambda p: "1775-CV/TU" in p and "1534-CV/TU</div>" not in p),
    ("warning=red", lambda p: "row-warn-green" not in p and "row-warn-red" in p),
    ("deadline_from=2026-07-01&deadline_to=2026-07-31", lambda p: "/07/2026" in p and "/05/2026" not in p),
    ("deadline_from=01/07/2026&deadline_to=31/07/2026&sort=-deadline", lambda p: "/07/2026" in p),
])
def test_task_filters(web, db, users, frozen_now, query, check):
    as_user(web, users, "office")
    response = web.get("/tasks?" + query)
    assert response.status_code == 200
    assert check(text(response))


def test_task_list_paginates_and_sorts(web, db, users, frozen_now):
    as_user(web, users, "office")
    first = text(web.get("/tasks?per_page=20"))
    assert "Trang 1/3" in first and 'aria-label="Trang sau"' in first
    third = text(web.get("/tasks?per_page=20&page=3"))
    assert "Trang 3/3" in third
    beyond = text(web.get("/tasks?per_page=20&page=50"))
    assert "Trang 3/3" in beyond  # a page past the end shows the last one
    ids = lambda html: re.findall(r'href="/tasks/(\d+)"', html)  # noqa: E731
    assert ids(text(web.get("/tasks?sort=deadline&per_page=100"))) != ids(text(web.get("/tasks?sort=-deadline&per_page=100")))


def test_dispatch_list_search_and_progress(web, db, users, frozen_now):
    as_user(web, users, "office")
    page = text(web.get("/dispatches?q=ket+luan+29"))
    assert "1775-CV/TU" in page and "1534-CV/TU" not in page
    page = text(web.get("/dispatches"))
    assert page.count('role="progressbar"') >= 4 and "13/34 hoàn thành" in page
    page = text(web.get("/dispatches/1775-CV/TU"))
    assert "Kính gửi" in page and "Người ký" in page and "Trễ hạn" in page and "ngày 03 tháng 6 năm 2026" in page


def test_a_department_sees_first_the_dispatches_that_give_it_work(web, db, users):
    as_user(web, users, "btc")
    mine = text(web.get("/dispatches"))
    assert "1775-CV/TU" in mine and "1640-CV/BTCTU" not in mine and "1534-CV/TU" not in mine
    everything = text(web.get("/dispatches?all=1"))
    assert all(number in everything for number in ("1775-CV/TU", "1640-CV/BTCTU", "1534-CV/TU"))


def test_office_dashboard_lists_unfinished_drafts(web, db, users, frozen_now):
    from workflow.services.dispatches import create_dispatch

    create_dispatch(users["office"], issuer="tinh-uy", subject="V/v dự thảo còn dở", now=frozen_now.current())
    as_user(web, users, "office")
    page = text(web.get("/"))
    assert "Dự thảo chưa ban hành" in page and "V/v dự thảo còn dở" in page


def test_overdue_list_most_days_late_first_and_printable(web, db, users, frozen_now):
    from workflow.services.tasks import sweep

    sweep(local(2026, 11, 22, 8, 0))
    as_user(web, users, "leader")
    page = text(web.get("/overdue"))
    days = [int(d) for d in re.findall(r'<span class="days-late">(\d+)</span>', page)]
    assert len(days) > 10 and days == sorted(days, reverse=True)
    assert "Quá hạn" in page
    page = text(web.get("/overdue?as_of=2026-06-01"))
    assert "31/05/2026 23:59" in page or "01/06/2026 23:59" in page
    printable = text(web.get("/overdue/print"))
    assert "DANH SÁCH NHIỆM VỤ QUÁ HẠN" in printable and "ĐẢNG CỘNG SẢN VIỆT NAM" in printable
    assert "Lâm Đồng, ngày 22 tháng 11 năm 2026" in printable


@pytest.mark.skipif(shutil.which("wkhtmltopdf") is None, reason="wkhtmltopdf is not installed")
def test_overdue_list_as_pdf(web, db, users, frozen_now):
    as_user(web, users, "office")
    response = web.get("/overdue.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")


# --- Administration ----------------------------------------------------------------------------

def test_admin_creates_resets_and_deactivates_an_account(web, db, users):
    token = as_user(web, users, "admin")
    page = text(web.get("/admin/users"))
    names = re.findall(r'<td class="small">([^<]+)</td>\s*<td>(?:<span class="badge)', page)
    assert names == sorted(names, key=__import__("workflow.text", fromlist=["vi_sort_key"]).vi_sort_key)
    response = web.post("/admin/users", data={"csrf_token": token, "username": "ChuyenVien.Yte",
                                              "full_name": "Trần Thị Ánh", "role": "department", "unit": "so-y-te",
                                              "password": "Mat-khau-moi-1"}, follow_redirects=True)
    assert 'Đã tạo tài khoản "chuyenvien.yte".' in " ".join(flashes(text(response))).replace("&#34;", '"')
    account = db.session.scalar(select(User).where(User.username == "chuyenvien.yte"))
    assert account.unit.code == "so-y-te" and account.full_name == "Trần Thị Ánh"

    response = web.post("/admin/users", data={"csrf_token": token, "username": "yeu", "full_name": "Yếu",
                                              "role": "leader", "unit": "", "password": "12345678"})
    assert response.status_code == 400 and "Mật khẩu phải có cả chữ và số" in text(response)
    response = web.post("/admin/users", data={"csrf_token": token, "username": "office", "full_name": "Trùng",
                                              "role": "leader", "unit": "", "password": "Mat-khau-moi-1"})
    assert response.status_code == 409 and "đã tồn tại" in text(response)

    web.post(f"/admin/users/{account.id}/reset-password", data={"csrf_token": token, "new_password": "Doi-mat-khau-2"})
    assert account.check_password("Doi-mat-khau-2")
    web.post(f"/admin/users/{account.id}/deactivate", data={"csrf_token": token})
    assert account.active is False
    assert login(web_client(web.application), "chuyenvien.yte", "Doi-mat-khau-2").status_code == 401
    web.post(f"/admin/users/{account.id}/activate", data={"csrf_token": token})
    assert account.active is True
    response = web.post(f"/admin/users/{users['admin'].id}/deactivate", data={"csrf_token": token},
                        follow_redirects=True)
    assert "Không thể tự khóa tài khoản đang đăng nhập." in flashes(text(response))
    assert web.post("/admin/users/999999/deactivate", data={"csrf_token": token}).status_code == 404


def test_admin_units_in_vietnamese_order(web, db, users):
    from workflow.text import vi_sort_key

    as_user(web, users, "admin")
    page = text(web.get("/admin/units?kind=commune"))
    names = re.findall(r"<tr>\s*<td>([^<]+?)(?:\s*<span|</td>)", page)
    assert len(names) == 124 and names == sorted(names, key=vi_sort_key)


def test_change_password(web, db, users):
    token = as_user(web, users, "taichinh")
    response = web.post("/account/password", data={"csrf_token": token, "old_password": "sai",
                                                   "new_password": "Mat-khau-moi-1", "confirm": "Mat-khau-moi-1"})
    assert response.status_code == 400 and "Mật khẩu hiện tại không đúng." in text(response)
    response = web.post("/account/password", data={"csrf_token": token, "old_password": PASSWORD,
                                                   "new_password": "Mat-khau-moi-1", "confirm": "khac"})
    assert response.status_code == 400 and "Hai mật khẩu không khớp." in text(response)
    response = web.post("/account/password", data={"csrf_token": token, "old_password": PASSWORD,
                                                   "new_password": "Mat-khau-moi-1", "confirm": "Mat-khau-moi-1"},
                        follow_redirects=True)
    assert "Đã đổi mật khẩu." in flashes(text(response))


def test_bootstrap_is_served_from_the_application_itself(web):
    from pathlib import Path

    for path in ("/static/vendor/bootstrap/bootstrap.min.css", "/static/vendor/bootstrap/bootstrap.bundle.min.js",
                 "/static/css/app.css", "/static/js/app.js", "/static/img/logo.svg"):
        assert web.get(path).status_code == 200, path
    licence = Path(web.application.static_folder) / "vendor" / "bootstrap" / "LICENSE"
    assert "MIT License" in licence.read_text(encoding="utf-8")
    assert web.get("/favicon.ico").status_code == 301  # public, like the sign-in page


# --- Safety: escaping, no inline code, no 500 ------------------------------------------------------

NASTY = '<script>alert("x")</script><img src=x onerror=alert(1)> & "Công ty A&B"'


def test_user_text_is_escaped_everywhere(web, db, users, frozen_now):
    from workflow.services.dispatches import create_dispatch, issue_dispatch
    from workflow.services.tasks import create_task, fire_event

    office = users["office"]
    dispatch = create_dispatch(office, issuer="tinh-uy", subject=NASTY, recipients=[NASTY], now=frozen_now.current())
    task = create_task(office, dispatch_ref=str(dispatch.id), title=NASTY, lead_unit="so-tai-chinh",
                       deadline_text="trước ngày 30/12/2026", product=NASTY, person_in_charge=NASTY,
                       now=frozen_now.current())
    issue_dispatch(office, str(dispatch.id), now=frozen_now.current())
    fire_event(users["taichinh"], task.id, "report", version=task.version, note=NASTY, now=frozen_now.current())
    as_user(web, users, "office")
    for path in ("/", f"/tasks/{task.id}", f"/dispatches/{dispatch.reference}", "/dispatches", "/tasks",
                 "/tasks?q=" + quote(NASTY), "/dispatches?q=" + quote(NASTY)):
        page = text(web.get(path))
        assert "<script>alert" not in page and "<img src=x" not in page, path
    page = text(web.get(f"/tasks/{task.id}"))
    assert "&lt;script&gt;alert(" in page and "Công ty A&amp;B" in page


def test_pages_carry_no_inline_scripts_styles_or_handlers(web, db, users, frozen_now):
    """A Content-Security-Policy without 'unsafe-inline' must keep every page working."""
    task = task_by_item(db, 1534, "2.a")
    pages = {"office": ["/", "/dispatches", "/dispatches/new", "/dispatches/1534-CV/TU", "/tasks",
                        f"/tasks/{task.id}", "/overdue", "/overdue/print", "/account/password"],
             "leader": ["/"], "danguy": ["/", f"/tasks/{task.id}"], "admin": ["/", "/admin/users", "/admin/units"]}
    anonymous = web_client(web.application)
    checked = [("anonymous", "/login", text(anonymous.get("/login")))]
    for username, paths in pages.items():
        client = web_client(web.application)
        sign_in(client, users[username])
        checked += [(username, path, text(client.get(path))) for path in paths]
    for username, path, page in checked:
        where = f"{username} {path}"
        for tag in re.findall(r"<script\b[^>]*>", page):
            assert "src=" in tag, f"inline script on {where}"
        assert all(not body.strip() for body in re.findall(r"<script\b[^>]*>(.*?)</script>", page, re.S)), where
        assert not re.search(r"\son[a-z]+\s*=", page), f"event handler attribute on {where}"
        assert not re.search(r"\sstyle\s*=", page), f"style attribute on {where}"
        assert "<style" not in page and "javascript:" not in page, where
        assert "cdn" not in page.lower() and "https://" not in page, f"external resource on {where}"


BAD_QUERIES = [
    "page=-1", "page=abc", "page=99999999999999999999999", "per_page=0", "per_page=1000000", "per_page=x",
    "status=deleted", "status=%00", "unit=..%2F..%2Fetc", "unit=%00", "dispatch=99999999999999999999999",
    "dispatch=%27%3B+DROP+TABLE+tasks%3B--", "deadline_from=0001-01-01", "deadline_to=9999-12-31",
    "deadline_from=2026-02-30", "deadline_from=%F0%9F%98%80", "warning=purple", "sort=id;drop", "q=" + "a" * 5000,
    "q=%00%01%02", "q=%E2%80%AE", "as_of=0000-00-00", "as_of=2026-13-01", "kind=rocket", "q[]=1&q[]=2",
    # "¹" and "²³": digits for str.isdigit() that int() refuses (a 500 once); "١" is a decimal int() reads
    "dispatch=%C2%B9", "dispatch=%C2%B2%C2%B3", "page=%C2%B9", "per_page=%C2%B9", "unit=%C2%B9", "page=%D9%A1",
]


@pytest.mark.parametrize("path", ["/tasks", "/dispatches", "/overdue", "/overdue/print", "/admin/units", "/"])
def test_bad_query_parameters_never_break_a_page(web, db, users, frozen_now, path):
    as_user(web, users, "admin")
    for query in BAD_QUERIES:
        response = web.get(f"{path}?{query}")
        assert response.status_code in (200, 400), f"{path}?{query} → {response.status_code}"
        if response.status_code == 400:
            assert flashes(text(response)) or "không hợp lệ" in text(response), f"{path}?{query}: no explanation"


@pytest.mark.parametrize("path", [
    "/tasks/0", "/tasks/99999999999999999999999", "/dispatches/99999999999999999999999",
    "/dispatches/1534-CV", "/dispatches/..%2F..%2F", "/khong-co-trang-nay", "/tasks/1/events/start",
])
def test_unknown_things_are_a_vietnamese_404(web, db, users, frozen_now, path):
    as_user(web, users, "office")
    response = web.get(path)
    assert response.status_code in (404, 405)
    page = text(response)
    assert ("Không tìm thấy" in page) if response.status_code == 404 else ("không được hỗ trợ" in page)
    assert '<html lang="vi">' in page


def test_forms_with_odd_values_never_answer_500(web, db, users, frozen_now):
    from workflow.services.dispatches import create_dispatch

    token = as_user(web, users, "office")
    draft = create_dispatch(users["office"], issuer="tinh-uy", subject="Dự thảo", now=frozen_now.current())
    task = task_by_item(db, 1534, "2.a")
    posts = [
        (f"/dispatches/{draft.id}/tasks", {"title": "x" * 6000, "lead_unit": "so-y-te", "deadline": "0001-01-01T00:00"}),
        (f"/dispatches/{draft.id}/tasks", {"title": "Việc", "lead_unit": "so-y-te", "deadline": "9999-12-31T23:59"}),
        (f"/dispatches/{draft.id}/tasks", {"title": "Việc", "lead_unit": "so-y-te", "coordinating": ["khong-co"],
                                           "deadline_text": "trước ngày 31/12/2026"}),
        (f"/dispatches/{draft.id}/issue", {"issued_on": "0001-01-01"}),
        ("/dispatches/new", {"issuer": "tinh-uy", "symbol": "<>", "subject": "x"}),
        ("/dispatches/new", {"issuer": "khong-co", "symbol": "CV/TU", "subject": "x"}),
        (f"/tasks/{task.id}/events/approve_extension", {"version": "abc"}),
        (f"/tasks/{task.id}/events/approve_extension", {"version": str(task.version), "deadline": "2020-01-01T00:00"}),
        (f"/tasks/{task.id}/events/approve_extension", {"version": "99999999999999999999999"}),
        ("/tasks/99999999999999999999/events/start", {"version": "1"}),
        ("/dispatches/99999999999999999999/tasks", {"title": "x"}),
        ("/dispatches/new", {"issuer": "tinh-uy", "symbol": "CV/TU", "subject": "Trích\x00yếu\x07"}),
        (f"/dispatches/{draft.id}/tasks", {"title": "Nhiệm\x00vụ", "lead_unit": "so-y-te", "item": "\x00",
                                           "deadline_text": "trước ngày\x00 31/12/2026"}),
        (f"/tasks/{task.id}/events/directive", {"version": str(task.version), "note": "\x00"}),
    ]
    for url, data in posts:
        response = web.post(url, data={**data, "csrf_token": token})
        assert response.status_code < 500, f"{url} {data} → {response.status_code}"
    # A NUL character is refused at the door (400) and nothing is stored.
    assert db.session.scalar(select(Dispatch).where(Dispatch.subject.like("Trích%"))) is None
    anonymous = web_client(web.application)
    token = csrf_token_from(text(anonymous.get("/login")))
    response = anonymous.post("/login", data={"csrf_token": token, "username": "office\x00", "password": "x\x00"})
    assert response.status_code == 400


def test_a_nul_character_anywhere_is_a_vietnamese_400(web, db, users, frozen_now):
    as_user(web, users, "office")
    for path in ["/dispatches/%00", "/tasks?q=%00"]:
        response = web.get(path)
        assert response.status_code == 400 and '<html lang="vi">' in text(response)


def test_an_unexpected_error_is_a_vietnamese_500_page(web, db, users, frozen_now, monkeypatch):
    from workflow.web import reads

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(reads, "status_counts", broken)
    as_user(web, users, "office")
    response = web.get("/")
    page = text(response)
    assert response.status_code == 500
    assert "Lỗi hệ thống" in page and "boom" not in page and "Traceback" not in page
    assert 'href="/static/css/app.css"' in page  # the error page wears the application's layout


def test_links_built_once_per_list_are_the_addresses_url_for_builds(app):
    """``url_maker`` (the /overdue page's unit and task links, built once per page) gives exactly
    ``url_for``'s address for every kind of value, including ones that need quoting."""
    from flask import url_for

    from workflow.web.helpers import url_maker

    with app.test_request_context("/overdue"):
        for as_of in (None, "2026-12-31"):
            unit_href = url_maker("web.overdue_list", "unit", as_of=as_of)
            for code in ("so-01", "xa-001", "a b&c=d/é?#%", "", 7):
                assert unit_href(code) == url_for("web.overdue_list", unit=code, as_of=as_of)
        task_href = url_maker("web.task_detail", "task_id")
        for task_id in (1, 42, 2147483647):
            assert task_href(task_id) == url_for("web.task_detail", task_id=task_id)
    with app.test_request_context("/overdue", base_url="http://example.test/office/"):  # under a prefix
        assert url_maker("web.task_detail", "task_id")(5) == url_for("web.task_detail", task_id=5)
        assert url_maker("web.overdue_list", "unit")("so-01") == url_for("web.overdue_list", unit="so-01")


def test_pieces_kept_between_pages_show_every_change_at_once(web, db, users, frozen_now):
    """/overdue's rows, units and unit picker and the leader's on-time table and charts are rendered once per
    distinct input and kept (``helpers.fragment``, issue 16). They are keyed by what they show, so a change made
    anywhere — here straight in the database, as another worker, the sweep or a script would — shows on the
    very next page, with nothing to invalidate."""
    from models import Unit
    from workflow.services.tasks import sweep

    sweep(local(2026, 11, 22, 8, 0))
    as_user(web, users, "leader")
    # An open task not late yet, of a unit that has late tasks too.
    task = next(t for t in db.session.scalars(select(Task).join(Dispatch).where(
        Task.status.in_(("assigned", "in_progress")), Dispatch.status != "draft").order_by(Task.id))
        if db.session.scalar(select(Task.id).where(Task.lead_unit_id == t.lead_unit_id, Task.status == "overdue")))
    unit = db.session.get(Unit, task.lead_unit_id)
    code, old_name = unit.code, unit.name

    def late_count(page: str):
        found = re.search(rf'<a href="/overdue\?unit={code}">([^<]*)</a><span class="badge[^"]*">(\d+)</span>', page)
        return found and (found.group(1), int(found.group(2)))

    def without_tokens(page: str) -> str:  # the CSRF token is signed with the time
        return re.sub(r'name="csrf_token" value="[^"]+"', "", page)

    page = text(web.get("/overdue"))
    assert without_tokens(text(web.get("/overdue"))) == without_tokens(page)  # served from the kept pieces
    name, late = late_count(page)
    assert name == old_name and late > 0
    unit.name = "Đơn vị đã đổi tên"
    db.session.commit()
    page = text(web.get("/overdue"))
    assert late_count(page) == ("Đơn vị đã đổi tên", late)  # the units' list
    assert f'<option value="{code}">Đơn vị đã đổi tên</option>' in page  # the unit picker
    assert '<td class="small d-none d-md-table-cell">Đơn vị đã đổi tên</td>' in page  # the rows' lead unit

    # One more of its tasks late (an open task whose deadline has passed, not yet swept): the count moves.
    task.deadline, task.title = local(2026, 11, 1, 17, 0), "Nhiệm vụ vừa trễ hạn"
    db.session.commit()
    page = text(web.get("/overdue"))
    assert late_count(page) == ("Đơn vị đã đổi tên", late + 1) and "Nhiệm vụ vừa trễ hạn" in page
    row = page.split("Nhiệm vụ vừa trễ hạn")[1].split("</tr>")[0]
    assert '<span class="days-late">21</span>' in row and "01/11/2026 17:00" in row
    task.deadline = local(2026, 10, 22, 17, 0)  # ten days earlier: the same row, ten more days late
    db.session.commit()
    row = text(web.get("/overdue")).split("Nhiệm vụ vừa trễ hạn")[1].split("</tr>")[0]
    assert '<span class="days-late">31</span>' in row and "22/10/2026 17:00" in row
    task.deadline = local(2026, 10, 22, 16, 0)  # an hour earlier: as many days late, another time shown
    db.session.commit()
    row = text(web.get("/overdue")).split("Nhiệm vụ vừa trễ hạn")[1].split("</tr>")[0]
    assert '<span class="days-late">31</span>' in row and "22/10/2026 16:00" in row

    # The selected unit and the date in the units' links.
    assert f'<option value="{code}" selected>' in text(web.get(f"/overdue?unit={code}"))
    assert f'<option value="{code}" selected>' not in text(web.get("/overdue"))
    page = text(web.get("/overdue?as_of=2026-12-31"))
    assert re.search(rf'<a href="/overdue\?(unit={code}&amp;as_of=2026-12-31|as_of=2026-12-31&amp;unit={code})">', page)

    # The leader's dashboard: the on-time table and the charts.
    page = text(web.get("/"))
    assert 'aria-label="Tỷ lệ đúng hạn của Đơn vị đã đổi tên"' in page
    unit.name = "Đơn vị có tên mới"
    db.session.commit()
    page = text(web.get("/"))
    assert 'aria-label="Tỷ lệ đúng hạn của Đơn vị có tên mới"' in page and "Đơn vị đã đổi tên" not in page


def test_kept_urls_are_flasks_urls_under_every_root(app):
    """The templates' ``url_for`` keeps the URL of each plain call (issue 16): it must give Flask's own
    address for each root, endpoint and values, and leave every other kind of call to Flask."""
    from flask import url_for

    kept = app.jinja_env.globals["url_for"]
    calls = [("web.task_detail", {"task_id": 5}), ("web.task_detail", {"task_id": 6}),
             ("web.overdue_list", {"unit": "so-01"}), ("web.overdue_list", {"unit": "a b&c=d/é?#%"}),
             ("web.overdue_list", {"page": 2, "unit": "so-01"}), ("web.overdue_list", {"unit": "so-01", "page": 2}),
             ("web.overdue_list", {"page": True}), ("web.overdue_list", {"page": 1}),
             ("web.overdue_list", {"_anchor": "units"}), ("static", {"filename": "css/app.css"})]
    for base_url in ("http://localhost/", "http://example.test/office/", "http://localhost/"):
        with app.test_request_context("/overdue", base_url=base_url):
            for _ in range(2):  # built, then kept
                for endpoint, values in calls:
                    assert kept(endpoint, **values) == url_for(endpoint, **values)
            assert kept("web.task_detail", task_id=5) == base_url.split("localhost" if "localhost" in base_url
                                                                        else "example.test")[1] + "tasks/5"


def test_office_timeline_shows_each_new_change_at_once(web, db, users, frozen_now):
    """The office's "recent changes" are read as plain rows (issue 16): a directive made since the last page
    is at the top of the timeline of the next one, with its task and who made it."""
    task = task_by_item(db, 1640, "1")
    token = as_user(web, users, "leader")
    as_user(web, users, "office")
    before = text(web.get("/")).split("Thay đổi gần đây")[1]
    token = as_user(web, users, "leader")
    web.post(f"/tasks/{task.id}/events/directive", data={"csrf_token": token, "version": task.version,
                                                         "note": "Khẩn trương."})
    as_user(web, users, "office")
    timeline = text(web.get("/")).split("Thay đổi gần đây")[1].split("</ol>")[0]
    first = timeline.split('<li class="timeline-item')[1]
    assert 'ev-directive' in first and f'href="/tasks/{task.id}"' in first and task.title in first
    leader = users["leader"]
    assert (leader.full_name or leader.username) in first and timeline != before.split("</ol>")[0]
