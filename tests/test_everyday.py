"""Issue 15, defects: what users hit in their everyday work, each with the test that failed before
its fix (relative deadlines, late badges, a form kept across a sign-in, one vocabulary for counts,
labels and messages without jargon, the reminder's signer)."""
from __future__ import annotations

import re

import pytest
from datetime import date

from sqlalchemy import select

from models import Dispatch, Holiday, Task
from tests.conftest import local
from tests.factories import issued_dispatch_with_task, user
from tests.web_fixtures import csrf_token_from, login, sign_in, web, web_client  # noqa: F401
from workflow.services.dispatches import create_dispatch, issue_dispatch
from workflow.services.tasks import create_task, fire_event


def text(response) -> str:
    return response.get_data(as_text=True)


def as_user(client, users, username) -> str:
    sign_in(client, users[username])
    return csrf_token_from(text(client.get("/account/password")))


def flashes(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", m).strip()
            for m in re.findall(r'<div class="alert [^"]*"[^>]*>(.*?)<button', html, re.S)]


# --- 1. Relative deadlines count from the issue date -------------------------------------------

RELATIVE = "trong 10 ngày làm việc kể từ ngày ban hành"


def test_a_relative_deadline_is_provisional_on_the_draft_and_counted_from_the_issue_date(web, db, users,
                                                                                          frozen_now):
    from workflow.audit import replay

    assert db.session.scalar(select(Holiday).where(Holiday.date == date(2026, 11, 24))) is not None  # seeded
    typed_at = frozen_now(local(2026, 11, 29, 9, 0))
    office = user("office")
    draft = create_dispatch(office, issuer="tinh-uy", subject="V/v báo cáo trong 10 ngày làm việc", now=typed_at)
    counted = create_task(office, dispatch_ref=str(draft.id), title="Báo cáo kết quả rà soát",
                          lead_unit="so-tai-chinh", deadline_text=RELATIVE, now=typed_at)
    typed = create_task(office, dispatch_ref=str(draft.id), title="Gửi danh sách", lead_unit="so-xay-dung",
                        deadline=local(2026, 12, 20, 17, 0), deadline_text=RELATIVE, now=typed_at)
    as_user(web, users, "office")
    page = text(web.get(f"/dispatches/{draft.id}"))
    assert page.count("tạm tính") == 1, "only the deadline computed from the wording is provisional"
    assert "tạm tính" in text(web.get(f"/tasks/{counted.id}"))

    issue_dispatch(office, str(draft.id), now=typed_at, issued_on=date(2026, 11, 20))
    # 20/11 (Friday) + 10 working days, skipping the weekends and 24/11: 07/12, end of day.
    assert counted.deadline == local(2026, 12, 7, 23, 59, 59)
    assert typed.deadline == local(2026, 12, 20, 17, 0), "a date the office typed is kept"
    assert replay(counted) == [] and replay(typed) == []
    revised = counted.events[-1]
    assert (revised.event, revised.deadline_before, revised.deadline_after) == \
        ("revise", local(2026, 12, 11, 23, 59, 59), counted.deadline)
    assert [e.event for e in typed.events] == ["create"]
    page = text(web.get(f"/dispatches/{draft.number}-CV/TU"))
    assert "07/12/2026 23:59" in page and "tạm tính" not in page


def test_a_recurring_first_occurrence_follows_the_issue_date(db, frozen_now):
    typed_at = frozen_now(local(2026, 11, 29, 9, 0))
    office = user("office")
    draft = create_dispatch(office, issuer="tinh-uy", subject="V/v báo cáo hằng tháng", now=typed_at)
    task = create_task(office, dispatch_ref=str(draft.id), title="Báo cáo tháng", lead_unit="so-tai-chinh",
                       deadline_text="trước ngày 17 hằng tháng", now=typed_at)
    assert task.deadline == local(2026, 12, 17, 0, 0)
    issue_dispatch(office, str(draft.id), now=typed_at, issued_on=date(2026, 11, 10))
    assert (task.deadline, task.period) == (local(2026, 11, 17, 0, 0), "2026-11")


# --- 2. A task completed late says so everywhere ----------------------------------------------

def test_a_task_completed_late_shows_a_late_badge_on_its_page_and_in_the_list(web, db, users, frozen_now):
    _, task = issued_dispatch_with_task(title="Hoàn thiện hồ sơ chuyển đổi số")
    late = frozen_now(local(2027, 4, 1, 9, 0))  # 121 days after the deadline of 01/12/2026
    lead = user("taichinh")
    fire_event(lead, task.id, "start", version=task.version, now=late)
    fire_event(lead, task.id, "complete", version=task.version, now=late, evidence_note="Đã nộp")
    assert task.on_time is False
    as_user(web, users, "office")
    page = text(web.get(f"/tasks/{task.id}"))
    head = page[page.index('<div class="page-head'):page.index('<div class="row g-4">')]
    assert "Hoàn thành trễ hạn" in head and "Trong hạn" not in head
    row = text(web.get("/tasks?q=chuyen+doi+so&status=completed"))
    row = row[row.index(f'href="/tasks/{task.id}"'):]
    row = row[:row.index("</tr>")]
    assert "Hoàn thành trễ hạn" in row and "Trong hạn" not in row


# --- 3. A form typed when the session ended ------------------------------------------------------

def test_a_form_posted_after_the_session_ended_comes_back_after_sign_in(web, db, users, frozen_now):
    _, task = issued_dispatch_with_task()
    token = as_user(web, users, "taichinh")
    web.get(f"/tasks/{task.id}")
    with web.session_transaction() as session:  # the session ends (sign-out elsewhere, expiry)
        for key in ("_user_id", "_fresh", "_id"):
            session.pop(key, None)
    note = "Đã họp với các phòng, đang tổng hợp số liệu của 12 xã."
    response = web.post(f"/tasks/{task.id}/events/report", data={
        "csrf_token": token, "version": task.version, "note": note},
        headers={"Referer": f"http://localhost/tasks/{task.id}"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=/tasks/{task.id}"
    assert "Phiên làm việc đã hết" in text(web.get(response.headers["Location"]))
    response = login(web, "taichinh")
    assert response.status_code == 302 and response.headers["Location"] == f"/tasks/{task.id}"
    page = text(web.get(f"/tasks/{task.id}"))
    assert note in page, "the typed text is back in the form"
    assert re.search(r'<details class="action mb-2" open>\s*<summary[^>]*>Báo cáo tiến độ', page)
    assert task.events[-1].event == "create", "nothing was recorded before the user sent it again"
    assert note not in text(web.get(f"/tasks/{task.id}")), "the kept form is shown once"


def test_a_form_posted_after_the_whole_session_was_cleared_is_kept_too(web, db, users, frozen_now):
    _, task = issued_dispatch_with_task()
    token = as_user(web, users, "taichinh")
    with web.session_transaction() as session:
        session.clear()  # the CSRF token went with the session
    response = web.post(f"/tasks/{task.id}/events/report", data={
        "csrf_token": token, "version": task.version, "note": "Nội dung dài đã gõ"},
        headers={"Referer": f"http://localhost/tasks/{task.id}"})
    assert response.status_code == 302 and response.headers["Location"] == f"/login?next=/tasks/{task.id}"
    login(web, "taichinh")
    assert "Nội dung dài đã gõ" in text(web.get(f"/tasks/{task.id}"))


def test_a_refused_action_redirects_to_the_task_page_with_the_text_kept(web, db, users, frozen_now):
    _, task = issued_dispatch_with_task()
    token = as_user(web, users, "taichinh")
    response = web.post(f"/tasks/{task.id}/events/request_extension", data={
        "csrf_token": token, "version": task.version, "deadline": "2020-01-01T00:00",
        "note": "Chờ số liệu của 12 xã"})
    assert response.status_code == 303 and response.headers["Location"] == f"/tasks/{task.id}#thao-tac"
    page = text(web.get(response.headers["Location"]))
    assert "Chờ số liệu của 12 xã" in page and flashes(page)
    assert task.events[-1].event == "create"


# --- 4. One vocabulary for the counts ----------------------------------------------------------

def _cards(html: str) -> dict[str, int]:
    return {key: int(value.replace(".", "")) for key, value in re.findall(
        r'data-count="([a-z_]+)"><span class="stat-label">[^<]*</span><span class="stat-value">([\d.]+)</span>', html)}


def test_the_dashboards_cards_partition_the_total_in_the_same_words(web, db, users, frozen_now):
    from workflow.web.reads import COUNT_TERMS

    as_user(web, users, "office")
    office = text(web.get("/"))
    cards = _cards(office)
    assert set(cards) == {"total", "assigned_on_track", "in_progress_on_track", "late", "completed"}
    assert cards["assigned_on_track"] + cards["in_progress_on_track"] + cards["late"] + cards["completed"] \
        == cards["total"] > 0
    leader_client = web_client(web.application)
    as_user(leader_client, users, "leader")
    leader = text(leader_client.get("/"))
    assert _cards(leader) == cards, "the leader and the office read the same numbers"
    for page in (office, leader):
        assert "Nhiệm vụ đang thực hiện" not in page
        for key in cards:
            assert COUNT_TERMS[key][0] in page
    # "Đang mở" is every open task, and says so.
    open_tasks = db.session.scalar(select(__import__("sqlalchemy").func.count()).select_from(Task).join(Dispatch)
                                   .where(Task.status != "completed", Dispatch.status != "draft"))
    assert f"<strong>Đang mở</strong>: {open_tasks}" in leader.replace(".", "")
    # Each card's link lists as many tasks as the card says.
    for key in ("assigned_on_track", "in_progress_on_track"):
        link = re.search(rf'href="([^"]+)" title="[^"]*" data-count="{key}"', office).group(1)
        listing = text(web.get(link.replace("&amp;", "&")))
        assert f"{cards[key]} kết quả" in listing.replace(".", "") or cards[key] == 0


# --- 5. Labels, messages, the overdue list ---------------------------------------------------------

def test_an_issued_dispatch_without_a_number_is_never_called_a_draft(web, db, users, frozen_now):
    dispatch, _ = issued_dispatch_with_task()
    dispatch.number = None  # an issued programme without a register number
    dispatch.title = None
    db.session.commit()
    as_user(web, users, "office")
    page = text(web.get(f"/dispatches/{dispatch.id}"))
    assert "Đã ban hành" in page and "Dự thảo #" not in page
    assert "Dự thảo #" not in text(web.get("/dispatches"))


def test_no_command_line_flag_in_the_admin_messages(web, db, users):
    token = as_user(web, users, "admin")
    response = web.post("/admin/users", data={"csrf_token": token, "username": "donvi-moi", "full_name": "Cán bộ",
                                              "role": "department", "unit": "", "password": "Mat-khau-moi-1"},
                        follow_redirects=True)
    page = text(response)
    assert "--unit" not in page and "chọn đơn vị" in page


def test_unmarked_late_tasks_show_quá_hạn_and_the_overdue_list_filters_by_unit(web, db, users, frozen_now):
    _, task = issued_dispatch_with_task(title="Rà soát hồ sơ chậm")
    _, other = issued_dispatch_with_task(title="Nhiệm vụ của Sở Xây dựng", lead="so-xay-dung", coordinating=())
    frozen_now(local(2026, 12, 3, 9, 0))  # past the deadline; the sweep has not run
    assert task.status == "assigned"
    as_user(web, users, "office")
    page = text(web.get("/overdue?unit=so-tai-chinh"))
    row = page[page.index(f'href="/tasks/{task.id}"'):]
    row = row[:row.index("</tr>")]
    assert "Quá hạn" in row and "Đã giao" not in row
    assert f'href="/tasks/{other.id}"' not in page
    assert f'href="/tasks/{other.id}"' in text(web.get("/overdue"))
    assert web.get("/overdue?unit=khong-co").status_code == 400


# --- 6. No jargon on screen --------------------------------------------------------------------------

def test_recurring_rules_and_conflicts_are_said_in_words(web, db, users, frozen_now):
    task = db.session.scalar(select(Task).where(Task.recurrence == "FREQ=MONTHLY;BYMONTHDAY=17"))
    as_user(web, users, "office")
    page = text(web.get(f"/tasks/{task.id}"))
    assert "Hằng tháng, trước ngày 17" in page and "FREQ=" not in page and "phiên bản" not in page
    assert "FREQ=" not in text(web.get(f"/dispatches/{task.dispatch.reference}"))
    new = text(web.get("/documents/new"))
    assert "Tham số" not in new and "tham số" not in new and "as_of (" not in new
    token = as_user(web, users, "office")
    response = web.post("/logout", data={})
    assert "(CSRF)" not in text(response) and "mã bảo mật" in text(response)
    assert token


# --- 8. The reminder's signer --------------------------------------------------------------------------

def test_the_reminder_is_never_signed_by_the_last_dispatchs_signer(app, db, frozen_now, monkeypatch, tmp_path):
    from workflow import documents

    office = user("office")
    dispatch = create_dispatch(office, issuer="tinh-uy", subject="V/v thử người ký", signer_name="Người Ký Thử",
                               signing_authority="T/M BAN THƯỜNG VỤ", signer_title="Thử", now=frozen_now.current())
    create_task(office, dispatch_ref=str(dispatch.id), title="Việc thử", lead_unit="so-tai-chinh",
                deadline=local(2026, 12, 30, 17, 0), now=frozen_now.current())
    issue_dispatch(office, str(dispatch.id), now=frozen_now.current(), issued_on=date(2026, 12, 1))
    params = documents.normalize_params("reminder", {}, frozen_now.current())
    data = documents.build_data("reminder", params)
    assert data["signer_name"] != "Người Ký Thử" and data["signer_title"] != "THỬ"
    assert (data["signing_authority"], data["signer_title"]) == ("T/M BAN THƯỜNG VỤ", "PHÓ BÍ THƯ THƯỜNG TRỰC")
    signers = tmp_path / "signers.yaml"
    signers.write_text("tinh-uy:\n  signing_authority: T/M BAN THƯỜNG VỤ\n"
                       "  signer_title: PHÓ BÍ THƯ THƯỜNG TRỰC\n  signer_name: Nguyễn Văn Ký\n", encoding="utf-8")
    monkeypatch.setitem(app.config, "DOCUMENT_SIGNERS_FILE", str(signers))
    assert documents.build_data("reminder", params)["signer_name"] == "Nguyễn Văn Ký"


def test_the_bulk_forms_progress_moves_through_the_pdf_conversion(app, monkeypatch):
    """124 forms used to sit at 50% for the whole LibreOffice conversion: the bar now moves as each
    group of forms is converted, and the conversion is most of the bar."""
    from workflow import documents

    class Converter:
        def convert(self, docx):
            return b"%PDF combined"

        def convert_each(self, documents, **kwargs):  # one LibreOffice process converts its groups in turn
            return ((n, b"%PDF combined") for n in range(len(documents)))

    monkeypatch.setattr(documents, "converter", lambda: Converter())
    monkeypatch.setattr(documents, "split_pdf_by_first_pages",
                        lambda pdf, markers, **kwargs: [b"%PDF"] * len(markers))
    monkeypatch.setattr(documents.WarmTemplate, "render_body", lambda self, data: "<w:p/>")
    monkeypatch.setattr(documents.WarmTemplate, "docx", lambda self, bodies, **kwargs: b"PK docx")
    monkeypatch.setattr(documents.WarmTemplate, "combined_for_conversion", lambda self, bodies, anchors: b"PK docx")
    monkeypatch.setattr(documents.WarmTemplate, "__init__", lambda self, kind: None)
    monkeypatch.setattr(documents, "document_properties", lambda kind, data, **kwargs: None)
    monkeypatch.setattr(documents, "document_title", lambda kind, params, data: "")
    seen = []
    results = documents.render_batch("indicator_form", [{}] * 124, ["m"] * 124, processes=2,
                                     progress=lambda done, total, message: seen.append(done / total))
    assert len(results) == 124
    docx_done = max(p for p in seen if p <= 0.1 + 1e-9)
    pdf_steps = [p for p in seen if p > docx_done]
    assert docx_done == pytest.approx(0.1) and len(pdf_steps) >= 4, seen  # 2 groups for each of 2 processes
    assert pdf_steps == sorted(pdf_steps) and pdf_steps[-1] == 1.0


# --- 7. Phones (390 px) -------------------------------------------------------------------------------

def test_phone_layout_puts_actions_first_folds_filters_and_keeps_days_late(web, db, users, frozen_now):
    from workflow.web.charts import narrow_chart, open_late_chart

    _, task = issued_dispatch_with_task()
    as_user(web, users, "taichinh")
    page = text(web.get(f"/tasks/{task.id}"))
    assert page.index('id="thao-tac"') < page.index("Lịch sử xử lý"), "the actions come before the history"
    tasks = text(web.get("/tasks"))
    assert re.search(r'<form class="[^"]*\bcollapse d-md-block\b[^"]*" id="bo-loc"', tasks)
    assert 'data-bs-target="#bo-loc"' in tasks
    as_user(web, users, "office")
    overdue = text(web.get("/overdue"))
    header = re.search(r"<thead>(.*?)</thead>", overdue, re.S).group(1)
    days = re.search(r'<th class="([^"]*)">Số ngày trễ</th>', header).group(1)
    assert "d-none" not in days and header.index("Số ngày trễ") < header.index("Đơn vị chủ trì")
    # The phone chart: 360 units wide for a ~340 px column, so its 13-unit labels stay near 12 px.
    from types import SimpleNamespace

    rows = [SimpleNamespace(unit=SimpleNamespace(name="Đảng ủy Ủy ban nhân dân tỉnh Lâm Đồng"), open=30, late=7)]
    assert narrow_chart(rows).width == 360 and open_late_chart(rows).width == 640
    assert 340 / narrow_chart(rows).width * 13 >= 12
    leader_client = web_client(web.application)
    as_user(leader_client, users, "leader")
    leader = text(leader_client.get("/"))
    assert 'class="d-sm-none chart-narrow"' in leader and 'viewBox="0 0 360' in leader
    css = (web.application.static_folder + "/css/app.css")
    assert ":focus-visible { outline: 3px solid" in open(css, encoding="utf-8").read()


def test_a_draft_task_typed_when_the_session_ended_is_filled_in_again(web, db, users, frozen_now):
    office = user("office")
    draft = create_dispatch(office, issuer="tinh-uy", subject="V/v thử phiên hết hạn", now=frozen_now.current())
    token = as_user(web, users, "office")
    with web.session_transaction() as session:
        session.clear()
    response = web.post(f"/dispatches/{draft.id}/tasks", data={
        "csrf_token": token, "title": "Rà soát đất đai đã gõ dở", "lead_unit": "so-tai-chinh",
        "deadline_text": "trước ngày 30/12/2026"}, headers={"Referer": f"http://localhost/dispatches/{draft.id}"})
    assert response.headers["Location"] == f"/login?next=/dispatches/{draft.id}"
    login(web, "office")
    page = text(web.get(f"/dispatches/{draft.id}"))
    assert "Rà soát đất đai đã gõ dở" in page and "trước ngày 30/12/2026" in page
    assert draft.tasks == []


def test_any_other_form_is_handed_to_the_page_to_fill_in(web, db, users, frozen_now):
    token = as_user(web, users, "office")
    with web.session_transaction() as session:
        session.clear()
    web.post("/documents/new", data={"csrf_token": token, "kind": "reminder", "signer_name": "Tên \"đã\" gõ <b>"},
             headers={"Referer": "http://localhost/documents/new"})
    login(web, "office")
    page = text(web.get("/documents/new"))
    kept = re.search(r'<div hidden id="kept-form" data-action="/documents/new" data-fields="([^"]*)"', page)
    assert kept and "<b>" not in kept.group(1)
    import html
    import json

    assert ["signer_name", 'Tên "đã" gõ <b>'] in json.loads(html.unescape(kept.group(1)))
    assert 'id="kept-form"' not in text(web.get("/documents/new")), "handed over once"
