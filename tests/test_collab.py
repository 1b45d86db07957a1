"""Collaboration on a task (issue 15): attachments, comments with mentions, the person a unit
assigns, and notifications derived at read time — through the services and the JSON API.

The task of these tests is led by Sở Tài chính (user ``taichinh``) with Sở Xây dựng (``xaydung``)
coordinating, issued on 22/11/2026 08:00 with a deadline on 24/11/2026 17:00; the clock is fixed.
"""
from __future__ import annotations

import io
import zipfile
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from models import (NotificationRead, NotificationState, StoredFile, TaskAssignment, TaskAttachment,
                    TaskComment)
from tests.conftest import local
from tests.factories import issued_dispatch_with_task, user
from workflow.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, UnsupportedType, ValidationError
from workflow.services import assignments, attachments, comments, notifications
from workflow.services.tasks import fire_event

NOW = local(2026, 11, 22, 8, 0)
DEADLINE = local(2026, 11, 24, 17, 0)

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def docx_bytes() -> bytes:
    from docx import Document

    out = io.BytesIO()
    document = Document()
    document.add_paragraph("Báo cáo kết quả thực hiện nhiệm vụ")
    document.save(out)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    out = io.BytesIO()
    workbook = Workbook()
    workbook.active["A1"] = "Sản phẩm"
    workbook.save(out)
    return out.getvalue()


def zip_bytes(files: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.fixture()
def task(db, frozen_now):
    _, made = issued_dispatch_with_task(lead="so-tai-chinh", coordinating=("so-xay-dung",), deadline=DEADLINE,
                                        title="Rà soát dự toán chuyển đổi số năm 2026", now=NOW)
    return made


@pytest.fixture()
def colleague(db, tokens, monkeypatch):
    """A second person of Sở Tài chính (with an API token), and one of Sở Xây dựng."""
    from workflow.services.users import create_token, create_user

    create_user("nguyenvana", "Mat-khau-2026", role="department", unit_code="so-tai-chinh",
                full_name="Nguyễn Văn A")
    create_user("tranthib", "Mat-khau-2026", role="department", unit_code="so-xay-dung", full_name="Trần Thị B")
    monkeypatch.setitem(tokens, "nguyenvana", create_token("nguyenvana"))
    return user("nguyenvana")


def count(model) -> int:
    from workflow.extensions import db

    return db.session.scalar(select(func.count()).select_from(model))


# --- Upload checks ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, data, kind", [
    ("Báo cáo số 125-BC-STC.pdf", PDF, "pdf"),
    ("Bao cao.docx", None, "docx"),
    ("Sản phẩm.xlsx", None, "xlsx"),
    ("ảnh chụp.PNG", PNG, "png"),
    ("scan.jpg", JPEG, "jpeg"),
    ("hồ sơ.zip", None, "zip"),
], ids=["pdf", "docx", "xlsx", "png", "jpeg", "zip"])
def test_accepted_files_are_recognised_by_their_content(app, name, data, kind):
    if data is None:
        data = {"docx": docx_bytes, "xlsx": xlsx_bytes}.get(kind, lambda: zip_bytes({"a.txt": b"noi dung"}))()
    with app.app_context():
        safe, detected, content_type = attachments.check_upload(name, data)
    assert detected == kind and safe == name
    assert content_type == attachments.FILE_TYPES[kind][1]


@pytest.mark.parametrize("name, data, error, words", [
    ("virus.exe", b"MZ\x90\x00", UnsupportedType, "Chỉ nhận tệp PDF"),
    ("bao-cao.pdf", b"<html><script>alert(1)</script></html>", UnsupportedType, "không phải PDF"),
    ("bao-cao.docx", None, UnsupportedType, "không phải Word"),  # an .xlsx renamed
    ("anh.png", JPEG, UnsupportedType, "không phải ảnh PNG"),
    ("rong.pdf", b"", ValidationError, "rỗng"),
    ("hong.zip", b"PK\x03\x04 not really a zip", UnsupportedType, "bị hỏng"),
    ("", PDF, ValidationError, "Thiếu tên tệp"),
], ids=["exe", "html-as-pdf", "xlsx-as-docx", "jpeg-as-png", "empty", "broken-zip", "no-name"])
def test_refused_files(app, name, data, error, words):
    if data is None:
        data = xlsx_bytes()
    with app.app_context(), pytest.raises(error) as refused:
        attachments.check_upload(name, data)
    assert words in refused.value.message


def test_a_zip_bomb_is_refused_from_its_directory(app):
    bomb = zip_bytes({"zeros.bin": b"\0" * (5 * 1024 * 1024)})  # 5 MB of zeros in a few kilobytes
    assert len(bomb) < 20_000
    with app.app_context(), pytest.raises(UnsupportedType) as refused:
        attachments.check_upload("du-lieu.zip", bomb)
    assert "quá lớn so với dung lượng" in refused.value.message


def test_size_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 1024)
    with app.app_context(), pytest.raises(PayloadTooLarge) as refused:
        attachments.check_upload("lon.pdf", PDF + b"0" * 2000)
    assert "tối đa" in refused.value.message


def test_filenames_are_made_safe_and_vietnamese_kept(app):
    assert attachments.safe_filename("C:\\Users\\a\\..\\Báo cáo \"cuối\".pdf") == "Báo cáo cuối.pdf"
    assert attachments.safe_filename("../../etc/passwd\r\n.pdf") == "passwd.pdf"
    decomposed = "Ba\u0301o ca\u0301o.pdf"  # NFD, as some keyboards send it
    assert attachments.safe_filename(decomposed) == "Báo cáo.pdf"
    long = attachments.safe_filename("a" * 300 + ".docx")
    assert len(long) == 200 and long.endswith(".docx")
    header = attachments.content_disposition("Báo cáo đợt 1.pdf")
    assert header == ("attachment; filename=\"Bao cao dot 1.pdf\"; "
                      f"filename*=UTF-8''{quote('Báo cáo đợt 1.pdf', safe='')}")


# --- Attachments through the services ----------------------------------------------------------------

def test_lead_unit_attaches_the_signed_report_stored_through_the_storage(db, task):
    before = count(StoredFile)
    attachment = attachments.add_attachment(user("taichinh"), task.id, filename="C:\\Scan\\Báo cáo 125-BC-STC.pdf",
                                            data=PDF, now=NOW, purpose="completion", note="Bản ký số")
    assert count(StoredFile) == before + 1
    stored = db.session.scalar(select(StoredFile).where(StoredFile.key == attachment.storage_key))
    assert stored.content == PDF and stored.sha256 == attachment.sha256
    assert attachment.filename == "Báo cáo 125-BC-STC.pdf"  # the directory is dropped, the name kept
    got, data = attachments.get_attachment(user("leader"), attachment.id)
    assert data == PDF and got.purpose_label == "Minh chứng hoàn thành"
    # Nothing about the task itself changed: no event, same version.
    assert [e.event for e in task.events] == ["create"] and task.version == 1


def test_who_may_attach(db, task):
    coordinating = attachments.add_attachment(user("xaydung"), task.id, filename="góp ý.docx", data=docx_bytes(),
                                              now=NOW)
    assert coordinating.unit.code == "so-xay-dung"
    with pytest.raises(Forbidden, match="Chỉ đơn vị chủ trì"):
        attachments.add_attachment(user("xaydung"), task.id, filename="x.pdf", data=PDF, now=NOW, purpose="completion")
    with pytest.raises(Forbidden):
        attachments.add_attachment(user("admin"), task.id, filename="x.pdf", data=PDF, now=NOW)
    with pytest.raises(NotFound):
        attachments.add_attachment(user("btc"), task.id, filename="x.pdf", data=PDF, now=NOW)
    with pytest.raises(ValidationError, match="Loại tệp"):
        attachments.add_attachment(user("taichinh"), task.id, filename="x.pdf", data=PDF, now=NOW, purpose="khac")
    # Another unit cannot read the file either: the same 404 as the task.
    with pytest.raises(NotFound, match="tệp đính kèm"):
        attachments.get_attachment(user("btc"), coordinating.id)


def test_a_refused_upload_stores_nothing(db, task):
    files, rows = count(StoredFile), count(TaskAttachment)
    with pytest.raises(UnsupportedType):
        attachments.add_attachment(user("taichinh"), task.id, filename="bao-cao.pdf", data=b"GIF89a", now=NOW)
    assert (count(StoredFile), count(TaskAttachment)) == (files, rows)


# --- Attachments through the API ----------------------------------------------------------------------

def test_api_upload_list_and_download(api, task):
    name = "Báo cáo kết quả đợt 1.pdf"
    response = api.post(f"/api/v1/tasks/{task.id}/attachments", "taichinh",
                        data={"file": (io.BytesIO(PDF), name), "purpose": "completion", "note": "Bản ký"},
                        content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["filename"] == name and body["file_type"] == "pdf" and body["purpose"] == "completion"
    assert body["uploaded_by"]["username"] == "taichinh" and body["unit"]["code"] == "so-tai-chinh"
    assert body["created_at"] == "2026-11-22T08:00:00+07:00"
    listed = api.get(f"/api/v1/tasks/{task.id}/attachments", "xaydung").get_json()
    assert [a["id"] for a in listed["items"]] == [body["id"]]

    download = api.get(body["url"], "leader")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''B%C3%A1o%20c%C3%A1o" in disposition
    assert 'filename="Bao cao ket qua dot 1.pdf"' in disposition

    assert api.get(body["url"], "btc").status_code == 404
    assert api.get(f"/api/v1/tasks/{task.id}/attachments", "btc").status_code == 404
    assert api.get("/api/v1/attachments/999999", "office").status_code == 404


def test_api_refusals_are_json_and_change_nothing(api, task, app, monkeypatch):
    url = f"/api/v1/tasks/{task.id}/attachments"
    before = count(TaskAttachment)
    cases = [
        ({"file": (io.BytesIO(b"<svg onload=alert(1)>"), "anh.svg")}, 415, "Chỉ nhận tệp"),
        ({"file": (io.BytesIO(b"MZ"), "bao-cao.pdf")}, 415, "không phải PDF"),
        ({"note": "không có tệp"}, 400, "Thiếu tệp"),
    ]
    for data, status, words in cases:
        response = api.post(url, "taichinh", data=data, content_type="multipart/form-data")
        assert response.status_code == status and words in response.get_json()["error"]
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 100)
    response = api.post(url, "taichinh", data={"file": (io.BytesIO(PDF * 3), "lon.pdf")},
                        content_type="multipart/form-data")
    assert response.status_code == 413 and "quá lớn" in response.get_json()["error"]
    response = api.post(url, "taichinh", json={"file": "x"})
    assert response.status_code == 415
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)  # the whole request is capped too
    response = api.post(url, "taichinh", data={"file": (io.BytesIO(b"%PDF-" + b"0" * 8000), "lon.pdf")},
                        content_type="multipart/form-data")
    assert response.status_code == 413 and "error" in response.get_json()
    assert count(TaskAttachment) == before


# --- Comments ------------------------------------------------------------------------------------------

def test_comments_by_each_taking_part_with_their_capacity(db, task):
    made = [comments.add_comment(user(u), task.id, f"Ý kiến của {u}", now=NOW)
            for u in ("taichinh", "xaydung", "office", "leader")]
    assert [c.capacity for c in made] == ["lead", "coordinating", "office", "leader"]
    assert made[1].capacity_label == "Ý kiến phối hợp"
    with pytest.raises(Forbidden):
        comments.add_comment(user("admin"), task.id, "Quản trị không trao đổi", now=NOW)
    with pytest.raises(NotFound):
        comments.add_comment(user("btc"), task.id, "Đơn vị khác không thấy nhiệm vụ", now=NOW)
    assert [c.body for c in comments.list_comments(user("admin"), task.id)][0] == "Ý kiến của taichinh"


def test_mentions_of_units_and_people(db, task, colleague):
    comment = comments.add_comment(
        user("xaydung"), task.id,
        "Đề nghị @so-tai-chinh và @leader cho ý kiến; anh @nguyenvana. gửi số liệu (e-mail: vanthu@stc.gov.vn).",
        now=NOW)
    assert [m.unit.code for m in comment.mentions if m.unit] == ["so-tai-chinh"]
    assert [m.user.username for m in comment.mentions if m.user] == ["leader", "nguyenvana"]
    assert comments.mention_names("gửi vanthu@stc.gov.vn") == []


@pytest.mark.parametrize("body, words", [
    ("Nhờ @khong-ai-ca xem", "Không có đơn vị hay người dùng nào tên “@khong-ai-ca”"),
    ("Báo @ban-to-chuc-tinh-uy biết", "không tham gia nhiệm vụ này"),
    ("Nhờ @btc xem", "không xem được nhiệm vụ này"),
    ("   ", "Cần nhập nội dung"),
    ("x" * 5001, "quá dài"),
])
def test_refused_comments_change_nothing(db, task, body, words):
    before = count(TaskComment)
    with pytest.raises(ValidationError) as refused:
        comments.add_comment(user("taichinh"), task.id, body, now=NOW)
    assert words in refused.value.message
    assert count(TaskComment) == before


def test_the_office_unit_may_be_mentioned(db, task):
    comment = comments.add_comment(user("taichinh"), task.id, "Kính gửi @van-phong-tinh-uy", now=NOW)
    assert comment.mentions[0].unit.code == "van-phong-tinh-uy"


def test_comments_api(api, task):
    url = f"/api/v1/tasks/{task.id}/comments"
    response = api.post(url, "xaydung", json={"body": "Sở Xây dựng thống nhất, đề nghị @so-tai-chinh tổng hợp."})
    assert response.status_code == 201
    body = response.get_json()
    assert body["capacity"] == "coordinating" and body["capacity_label"] == "Ý kiến phối hợp"
    assert body["mentions"] == {"units": ["so-tai-chinh"], "users": []}
    assert body["author"]["username"] == "xaydung" and body["created_at"] == "2026-11-22T08:00:00+07:00"
    items = api.get(url, "leader").get_json()["items"]
    assert [c["id"] for c in items] == [body["id"]]
    assert api.post(url, "taichinh", json={"body": ""}).status_code == 400
    assert api.post(url, "taichinh", json={"body": 5}).status_code == 400
    assert api.post(url, "taichinh", json={"body": "@ai-day"}).get_json()["error"].startswith("Không có đơn vị")
    assert api.post(url, "admin", json={"body": "x"}).status_code == 403
    assert api.get(url, "btc").status_code == 404


# --- Assigning a person -------------------------------------------------------------------------------

def test_the_lead_unit_assigns_a_person_and_my_tasks_lists_it(db, task, colleague, api):
    assignment = assignments.assign_person(user("taichinh"), task.id, "nguyenvana", now=NOW, note="Chủ trì soạn")
    assert assignment.user.username == "nguyenvana"
    from workflow.extensions import db as database

    mine = database.session.scalars(assignments.my_tasks_query(colleague)).all()
    assert [t.id for t in mine] == [task.id]
    assert api.get("/api/v1/my-tasks", "nguyenvana").get_json()["items"][0]["id"] == task.id
    assert api.get("/api/v1/my-tasks", "taichinh").get_json()["total"] == 0
    # Not an event of the state machine: the history and the version are untouched.
    database.session.refresh(task)
    assert [e.event for e in task.events] == ["create"] and task.version == 1

    with pytest.raises(Conflict):
        assignments.assign_person(user("taichinh"), task.id, "nguyenvana", now=NOW)
    with pytest.raises(ValidationError, match="không phải người dùng đang hoạt động của Sở Tài chính"):
        assignments.assign_person(user("taichinh"), task.id, "tranthib", now=NOW)
    with pytest.raises(Forbidden):
        assignments.assign_person(user("xaydung"), task.id, "tranthib", now=NOW)
    with pytest.raises(Forbidden):
        assignments.assign_person(user("office"), task.id, "nguyenvana", now=NOW)
    assignments.assign_person(user("nguyenvana"), task.id, None, now=NOW)
    assert database.session.scalars(assignments.my_tasks_query(colleague)).all() == []
    assert count(TaskAssignment) == 2


def test_assignee_api(api, task, colleague):
    url = f"/api/v1/tasks/{task.id}/assignee"
    response = api.post(url, "taichinh", json={"user": "nguyenvana", "note": "Phụ trách chính"})
    assert response.status_code == 200
    assert response.get_json()["assignee"]["user"] == {"username": "nguyenvana", "full_name": "Nguyễn Văn A"}
    detail = api.get(f"/api/v1/tasks/{task.id}", "xaydung").get_json()
    assert detail["assignee"] == {"username": "nguyenvana", "full_name": "Nguyễn Văn A"}
    assert api.post(url, "taichinh", json={}).status_code == 400
    assert api.post(url, "taichinh", json={"user": 7}).status_code == 400
    assert api.post(url, "taichinh", json={"user": "leader"}).status_code == 400
    assert api.post(url, "leader", json={"user": "nguyenvana"}).status_code == 403


# --- Notifications -------------------------------------------------------------------------------------

def about(username, now, task):
    """A user's notifications about ``task`` (the seed's late tasks give Sở Tài chính six more)."""
    return [n for n in notifications.derive(user(username), now) if n.task_id == task.id]


def kinds(username, now, task):
    return [(n.kind, n.read) for n in about(username, now, task)]


def test_notifications_are_derived_from_the_history_comments_and_deadlines(db, task, colleague, frozen_now):
    tables = (count(NotificationState), count(NotificationRead))
    later = local(2026, 11, 22, 9, 0)
    # The new task and its deadline in two days and nine hours (within the 3 days).
    assert sorted(kinds("taichinh", later, task)) == [("due_soon", False), ("new_task", False)]
    assert [k for k, _ in kinds("xaydung", later, task)] == ["new_task"]  # coordinating: no deadline alerts
    assert kinds("btc", later, task) == []
    seed_late = [n for n in notifications.derive(user("taichinh"), later) if n.task_id != task.id]
    assert len(seed_late) == 6 and {n.kind for n in seed_late} == {"overdue"}

    fire_event(user("leader"), task.id, "directive", version=task.version, now=later,
               note="Đề nghị hoàn thành trước thời hạn.")
    comments.add_comment(user("xaydung"), task.id, "Đề nghị @leader cho ý kiến về số liệu.", now=later)
    assignments.assign_person(user("taichinh"), task.id, "nguyenvana", now=later)
    at = local(2026, 11, 22, 10, 0)
    lead = about("taichinh", at, task)
    assert {n.kind for n in lead} == {"new_task", "due_soon", "directive", "comment"}
    directive = next(n for n in lead if n.kind == "directive")
    assert "Đề nghị hoàn thành trước thời hạn" in directive.text and directive.task_id == task.id
    assert {n.kind for n in notifications.derive(user("office"), at)} == {"directive"}
    (mention,) = notifications.derive(user("leader"), at)  # the leader's own directive is not news to them
    assert mention.kind == "comment" and "nhắc đến bạn" in mention.text
    person = notifications.derive(user("nguyenvana"), at)
    assert {n.kind for n in person} >= {"new_task", "due_soon"}
    assert any("phân công bạn" in n.text for n in person)
    # Nothing was written for them: they were all computed from what was recorded.
    assert (count(NotificationState), count(NotificationRead)) == tables

    # An extension decided, then the deadline passes.
    version = fire_event(user("taichinh"), task.id, "request_extension", version=task.version, now=at,
                         deadline=local(2026, 12, 10, 17), note="Chờ số liệu").version
    fire_event(user("office"), task.id, "approve_extension", version=version, now=at)
    decided = [n for n in about("taichinh", at, task) if n.kind == "extension"]
    assert len(decided) == 1 and "đồng ý gia hạn; thời hạn mới 10/12/2026 17:00" in decided[0].text
    late = local(2026, 12, 11, 8, 0)
    assert [n.kind for n in about("taichinh", late, task) if n.kind in ("overdue", "due_soon")] == ["overdue"]


def test_a_task_drafted_long_before_its_dispatch_is_issued_is_news_from_the_issue(db, frozen_now):
    from workflow.services.dispatches import create_dispatch, issue_dispatch
    from workflow.services.tasks import create_task

    office, drafted, issued = user("office"), local(2026, 10, 1, 9, 0), local(2026, 11, 20, 15, 0)
    dispatch = create_dispatch(office, issuer="tinh-uy", subject="V/v dự thảo để lâu", now=drafted)
    task = create_task(office, dispatch_ref=str(dispatch.id), title="Nhiệm vụ soạn từ tháng 10",
                       lead_unit="so-xay-dung", deadline=local(2026, 12, 31, 17), now=drafted)
    notifications.mark_read(user("xaydung"), local(2026, 11, 20, 10, 0), everything=True)  # read that morning
    assert about("xaydung", local(2026, 11, 20, 14, 0), task) == [], "a draft is nobody's news"
    issue_dispatch(office, str(dispatch.id), now=issued)
    (news,) = about("xaydung", local(2026, 11, 22, 8, 0), task)
    assert (news.kind, news.at, news.read) == ("new_task", issued, False)
    assert notifications.unread_count(user("xaydung"), local(2026, 11, 22, 8, 0)) >= 1


def test_read_marker_and_single_reads(db, task, frozen_now):
    at = local(2026, 11, 22, 9, 0)
    taichinh = user("taichinh")
    items = notifications.derive(taichinh, at)
    assert notifications.unread_count(taichinh, at) == len(items) >= 2
    first = items[0].key
    left = notifications.mark_read(taichinh, at, keys=[first])
    assert left == len(items) - 1
    assert notifications.mark_read(taichinh, at, keys=[first, first]) == left, "marking twice changes nothing"
    assert count(NotificationRead) == 1
    again = notifications.derive(taichinh, at)
    assert again[-1].key == first and again[-1].read, "unread first"
    assert notifications.mark_read(taichinh, at, everything=True) == 0
    assert count(NotificationRead) == 0, "the marker replaces the single reads"
    # Something new after the marker is unread again.
    fire_event(user("leader"), task.id, "directive", version=task.version, now=local(2026, 11, 22, 9, 30),
               note="Khẩn trương")
    assert notifications.unread_count(taichinh, local(2026, 11, 22, 10, 0)) == 1
    with pytest.raises(ValidationError):
        notifications.mark_read(taichinh, at, keys=["DROP TABLE"])
    with pytest.raises(ValidationError):
        notifications.mark_read(taichinh, at, keys=[])


def test_notifications_api(api, task, frozen_now):
    body = api.get("/api/v1/notifications", "taichinh").get_json()
    # The new task, its deadline within 3 days, and the six late key tasks of the seed.
    assert body["unread"] == body["total"] == 8
    assert api.post("/api/v1/notifications/read", "taichinh", json={"all": True}).get_json() == {"unread": 0}
    frozen_now(local(2026, 11, 22, 9, 0))
    api.post(f"/api/v1/tasks/{task.id}/comments", "xaydung", json={"body": "Đã gửi số liệu."})
    body = api.get("/api/v1/notifications", "taichinh").get_json()
    assert (body["unread"], body["total"]) == (1, 9)
    comment = body["items"][0]
    assert [n["read"] for n in body["items"]] == [False] + [True] * 8, "unread first"
    assert comment["kind"] == "comment" and comment["task"]["id"] == task.id
    assert comment["url"] == f"/tasks/{task.id}" and "Đã gửi số liệu." in comment["text"]
    assert comment["at"] == "2026-11-22T09:00:00+07:00"
    assert api.get("/api/v1/notifications?unread=1", "taichinh").get_json()["total"] == 1
    response = api.post("/api/v1/notifications/read", "taichinh", json={"keys": [comment["key"]]})
    assert response.get_json() == {"unread": 0}
    assert api.post("/api/v1/notifications/read", "taichinh", json={"all": "yes"}).status_code == 400
    assert api.post("/api/v1/notifications/read", "taichinh", json={"keys": ["ev:x"]}).status_code == 400
    assert api.post("/api/v1/notifications/read", "taichinh", json={}).status_code == 400


def test_email_preferences_are_checked(db):
    taichinh = user("taichinh")
    with pytest.raises(ValidationError, match="e-mail không hợp lệ"):
        notifications.save_preferences(taichinh, email="khong-phai-email", kinds=["directive"])
    with pytest.raises(ValidationError, match="Cần nhập địa chỉ e-mail"):
        notifications.save_preferences(taichinh, email="", kinds=["directive"])
    with pytest.raises(ValidationError, match="Loại thông báo không có"):
        notifications.save_preferences(taichinh, email="a@stc.gov.vn", kinds=["spam"])
    notifications.save_preferences(taichinh, email="a@stc.gov.vn", kinds=["overdue", "directive"])
    assert notifications.preferences(taichinh) == ("a@stc.gov.vn", ["directive", "overdue"])


def test_chosen_kinds_are_emailed_once(app, db, task, smtp_server):
    import email
    import email.policy

    taichinh = user("taichinh")
    notifications.save_preferences(taichinh, email="chuyenvien@stc.lamdong.gov.vn", kinds=["directive"])
    at = local(2026, 11, 22, 9, 0)
    fire_event(user("leader"), task.id, "directive", version=task.version, now=at, note="Báo cáo trước thứ Hai.")
    comments.add_comment(user("xaydung"), task.id, "Ý kiến không gửi e-mail", now=at)
    result = app.test_cli_runner().invoke(args=["send-notifications", "--now", "2026-11-22T10:00:00+07:00"])
    assert result.exit_code == 0 and result.stdout.strip() == "1"  # as cron runs it
    (envelope,) = smtp_server
    assert envelope.rcpt_tos == ["chuyenvien@stc.lamdong.gov.vn"]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    body = message.get_content()
    assert "Báo cáo trước thứ Hai." in body and "Ý kiến không gửi e-mail" not in body
    assert f"/tasks/{task.id}" in body and "1 thông báo mới" in message["Subject"]
    assert notifications.send_notification_emails(local(2026, 11, 22, 11, 0)) == 0, "not sent twice"


@pytest.fixture()
def smtp_server(app):
    """A local SMTP server (aiosmtpd) that keeps what it receives."""
    import socket

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
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SENDER="thongbao@tinhuy.lamdong.vn")
    yield received
    controller.stop()
    app.config.update(MAIL_SERVER="")


def test_the_bell_of_those_who_see_every_task_counts_what_derive_lists(db, task, colleague, frozen_now):
    """The office's, the leader's and the administrator's bell is counted by one UNION statement with the read
    marker applied in SQL (issue 16): after each of their own actions and each new event it must give exactly
    the unread notifications ``derive`` lists, the window of 30 days and the marker included."""
    from datetime import timedelta

    from workflow.services.users import create_user

    create_user("office2", "Mat-khau-2026", role="office", unit_code="van-phong-tinh-uy", full_name="Văn phòng 2")
    people = ("office", "office2", "leader", "admin")

    def check(now) -> dict:
        found = {}
        for name in people:
            listed = sum(1 for n in notifications.derive(user(name), now) if not n.read)
            assert notifications.unread_count(user(name), now) == listed, (name, now)
            found[name] = listed
        return found

    start = local(2026, 11, 22, 9, 0)
    for name in people:
        notifications.mark_read(user(name), start, everything=True)
    assert check(start) == dict.fromkeys(people, 0)
    at = start + timedelta(minutes=5)
    version = fire_event(user("leader"), task.id, "directive", version=task.version, now=at, note="Khẩn trương.").version
    assert check(at) == {"office": 1, "office2": 1, "leader": 0, "admin": 0}
    comments.add_comment(user("xaydung"), task.id, "Đề nghị @office2 và @leader cho ý kiến.", now=at)
    comments.add_comment(user("taichinh"), task.id, "Gửi @van-phong-tinh-uy số liệu.", now=at)  # the unit
    assert check(at) == {"office": 2, "office2": 3, "leader": 1, "admin": 1}  # the administrator is of the office
    comments.add_comment(user("office"), task.id, "Văn phòng @leader đã nhận.", now=at)  # not news to its writer
    assert check(at) == {"office": 2, "office2": 3, "leader": 2, "admin": 1}
    later = at + timedelta(minutes=5)
    directive = next(n.key for n in notifications.derive(user("office2"), later) if n.kind == "directive")
    assert notifications.mark_read(user("office2"), later, keys=[directive]) == 2  # one read by key
    assert notifications.mark_read(user("office"), later, everything=True) == 0  # all read
    assert check(later) == {"office": 0, "office2": 2, "leader": 2, "admin": 1}
    latest = later + timedelta(minutes=1)
    fire_event(user("leader"), task.id, "directive", version=version, now=latest, note="Báo cáo ngay.")
    assert check(latest) == {"office": 1, "office2": 3, "leader": 2, "admin": 1}
    # Notifications leave the 30 days' window as time passes; a marker older than the window changes nothing.
    assert check(latest + timedelta(days=30, minutes=-7)) == {"office": 1, "office2": 3, "leader": 2, "admin": 1}
    assert check(latest + timedelta(days=30, seconds=1)) == dict.fromkeys(people, 0)
    assert check(latest - timedelta(minutes=7)) == dict.fromkeys(people, 0)  # nothing from the future
