"""The documents pages: the archive, generating through the form (preview first), the
communes' indicator forms as a job with a progress bar, and the outgoing register.

The PDF step is replaced by a stub where the test is about the pages (LibreOffice
takes seconds; tests/test_documents.py converts for real); the leader's overdue list
goes once through the real LibreOffice, as every document's PDF does.
"""
from __future__ import annotations

import io
import re
import shutil
import zipfile
from html import unescape

import pytest
from sqlalchemy import func, select

from models import Document, Job, RegisterEntry
from tests.web_fixtures import csrf_token_from, sign_in, web, web_client  # noqa: F401

FAKE_PDF = b"%PDF-1.4\n% stub: these tests are about the pages, not the PDF\n" + b"0" * 200
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture()
def stub_pdf(monkeypatch):
    from workflow import documents

    calls = []

    def fake(kind, data, docx):
        calls.append(kind)
        return FAKE_PDF

    monkeypatch.setattr(documents, "render_pdf", fake)
    return calls


def as_user(client, users, username) -> str:
    sign_in(client, users[username])
    return csrf_token_from(client.get("/account/password").get_data(as_text=True))


def text(response) -> str:
    return response.get_data(as_text=True)


def flashes(html: str) -> list[str]:
    return [unescape(re.sub(r"\s+", " ", m).strip()) for m in re.findall(r'<div class="alert [^"]*"[^>]*>(.*?)<button', html, re.S)]


def counts(db) -> tuple[int, int]:
    return (db.session.scalar(select(func.count(Document.id))),
            db.session.scalar(select(func.count(RegisterEntry.id))))


def docx_text(content: bytes) -> str:
    from docx import Document as Docx

    document = Docx(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


# --- generating through the form ------------------------------------------------------------

def test_the_office_generates_a_report_through_the_form_and_downloads_it(web, db, users, frozen_now, stub_pdf):
    token = as_user(web, users, "office")
    page = text(web.get("/documents/new?kind=task_report"))
    assert "Xem trước" in page and "Tạo văn bản" in page
    assert re.search(r'<option selected value="task_report">', page)
    assert 'data-kinds="indicator_form"' in page  # the period field, hidden by app.js for other kinds

    response = web.post("/documents/new", data={
        "csrf_token": token, "action": "generate", "kind": "task_report", "as_of": "2026-06-30",
        "doc_date": "2026-07-02", "signer_name": "Nguyễn Văn B", "unit": "",
        "distribution": "Ban Thường vụ Tỉnh ủy (báo cáo)\r\nLưu Văn phòng\r\n",
        "period": "2026-05"})  # a field of another kind is not sent to the service
    assert response.status_code == 303, flashes(text(response))
    document = db.session.scalar(select(Document).order_by(Document.id.desc()))
    assert response.headers["Location"] == f"/documents/{document.id}"
    assert document.kind == "task_report" and document.number.endswith("-BC/ĐU")
    assert document.created_by.username == "office"
    params = document.data["params"]
    assert params["as_of"] == "2026-06-30T23:59:59+07:00" and params["date"] == "2026-07-02"
    assert params["distribution"] == ["Ban Thường vụ Tỉnh ủy (báo cáo)", "Lưu Văn phòng"]
    assert "period" not in params and params["draft"] is False
    assert stub_pdf == ["task_report"]

    detail = text(web.get(response.headers["Location"]))
    assert f"Đã tạo văn bản số {document.number}" in " ".join(flashes(detail))
    assert document.number in detail and "13 nhiệm vụ" in detail and "11 nhiệm vụ" in detail
    assert "Nguyễn Văn B" in detail and "ngày 02 tháng 7 năm 2026" in detail
    assert f'href="/documents/{document.id}.docx"' in detail and f'href="/documents/{document.id}.pdf"' in detail

    docx = web.get(f"/documents/{document.id}.docx")
    assert docx.status_code == 200 and docx.mimetype == DOCX
    disposition = docx.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and f"-{document.id}.docx" in disposition
    body = docx_text(docx.data)
    assert f"Số {document.number}" in body and "NGUYỄN VĂN B" in body.upper()
    assert "Các nhiệm vụ đã hoàn thành (13 nhiệm vụ)" in body
    pdf = web.get(f"/documents/{document.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data == FAKE_PDF
    assert "private" in pdf.headers["Cache-Control"]

    listing = text(web.get("/documents"))
    assert listing.index(document.title) < listing.index("</tbody>") and document.number in listing
    assert document.title not in text(web.get("/documents?kind=reminder"))

    leader = web_client(web.application)
    sign_in(leader, users["leader"])
    assert leader.get(f"/documents/{document.id}.docx").data == docx.data
    department = web_client(web.application)
    sign_in(department, users["taichinh"])
    for path in (f"/documents/{document.id}", f"/documents/{document.id}.docx", "/documents"):
        assert department.get(path).status_code == 403
    assert web.get("/documents/99999999999999999999999.docx").status_code == 404
    assert web.get("/documents/999999.pdf").status_code == 404


def test_preview_shows_the_data_and_changes_nothing(web, db, users, frozen_now, stub_pdf):
    token = as_user(web, users, "office")
    before = counts(db)
    response = web.post("/documents/new", data={"csrf_token": token, "action": "preview", "kind": "task_report",
                                                 "as_of": "2026-06-30"})
    page = text(response)
    assert response.status_code == 200
    assert "Chưa lấy số, chưa lưu văn bản nào" in page
    assert "(số sẽ cấp)-BC/ĐU" in page and "13 nhiệm vụ" in page and "11 nhiệm vụ" in page
    assert "Đang thực hiện (xin gia hạn trong quý II/2026)" in page  # the full text, folded
    assert counts(db) == before and stub_pdf == []

    # The form keeps what was typed, so "Tạo văn bản" makes what was previewed.
    assert 'value="2026-06-30"' in page

    response = web.post("/documents/new", data={"csrf_token": token, "action": "preview", "kind": "indicator_form",
                                                 "unit": "xa-lac-duong", "period": "2026-05"})
    page = text(response)
    assert response.status_code == 200 and "Xã Lạc Dương" in page and "tháng 5/2026" in page
    assert counts(db) == before


def test_preview_says_who_signs_and_what_the_dispatch_carries(web, db, users, frozen_now, stub_pdf):
    """The signer's name comes from the office's signers file (the seeds name nobody for Đảng ủy UBND
    tỉnh: the preview says so); an assignment shows its own tables and its appendix."""
    from workflow.services.dispatches import find_dispatch

    token = as_user(web, users, "office")

    def preview(**fields):
        page = unescape(text(web.post("/documents/new", data={"csrf_token": token, "action": "preview", **fields})))
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))

    page = preview(kind="task_report", as_of="2026-06-30")
    assert "T/M BAN THƯỜNG VỤ · BÍ THƯ · chưa có họ tên người ký" in page
    page = preview(kind="reminder", as_of="2026-11-22")
    assert "PHÓ BÍ THƯ THƯỜNG TRỰC · Đặng Hồng Sỹ" in page and "chưa có họ tên" not in page
    page = preview(kind="assignment", dispatch=str(find_dispatch("1640-CV/BTCTU").id))
    assert "Nội dung 3 đoạn, 1 bảng" in page and "Tiêu chí / Nội dung" in page
    page = preview(kind="assignment", dispatch=str(find_dispatch("1534-CV/TU").id))
    assert "Phụ lục PHỤ LỤC Chỉ tiêu cụ thể giao địa phương theo Quyết định số 11/QĐ-BCĐCP" in page
    assert stub_pdf == []


@pytest.mark.parametrize("data, status, message", [
    ({"kind": "reminder", "as_of": "2026-01-10"}, 400, "Không có nhiệm vụ quá hạn tính đến ngày 10 tháng 01 năm 2026"),
    ({"kind": "indicator_form", "period": "2026-05"}, 400, "Thiếu mục \"Đơn vị\" (mã đơn vị báo cáo)."),
    ({"kind": "indicator_form", "unit": "xa-lac-duong", "period": "tháng 5"}, 400, "Kỳ báo cáo không hợp lệ"),
    ({"kind": "assignment"}, 400, "Thiếu mục \"Công văn\" (số công văn, ví dụ 1775-CV/TU)."),
    ({"kind": "letter"}, 400, "Loại văn bản: Lựa chọn không hợp lệ."),
    ({"kind": "reminder", "as_of": "2026-02-30"}, 400, "Tính đến hết ngày: Ngày không hợp lệ."),
    ({"kind": "overdue_list", "unit": "khong-co"}, 400, "Đơn vị: Lựa chọn không hợp lệ."),
])
def test_a_refused_request_says_why_in_vietnamese_and_takes_no_number(web, db, users, frozen_now, stub_pdf,
                                                                      data, status, message):
    token = as_user(web, users, "office")
    before = counts(db)
    for action in ("preview", "generate"):
        response = web.post("/documents/new", data={"csrf_token": token, "action": action, **data})
        assert response.status_code == status
        assert any(message in f for f in flashes(text(response))), flashes(text(response))
    assert counts(db) == before and stub_pdf == []


def test_a_libreoffice_failure_is_explained_and_its_number_voided(web, db, users, frozen_now, monkeypatch):
    from workflow import documents
    from workflow.documents import ConversionError

    def broken(kind, data, docx):
        raise ConversionError("LibreOffice không tạo được PDF cho document.docx (mã thoát 0)")

    monkeypatch.setattr(documents, "render_pdf", broken)
    token = as_user(web, users, "office")
    documents_before = counts(db)[0]
    response = web.post("/documents/new", data={"csrf_token": token, "action": "generate", "kind": "reminder",
                                                 "as_of": "2026-11-22"})
    assert response.status_code == 503
    message = " ".join(flashes(text(response)))
    assert "Không tạo được văn bản: LibreOffice không tạo được PDF" in message and "đã được hủy" in message
    assert counts(db)[0] == documents_before
    entry = db.session.scalar(select(RegisterEntry).order_by(RegisterEntry.id.desc()))
    assert entry.status == "voided" and "LibreOffice" in entry.void_reason


def test_only_the_kinds_a_role_may_make_are_offered(web, db, users, frozen_now, stub_pdf):
    token = as_user(web, users, "leader")
    before = counts(db)
    page = text(web.get("/documents/new"))
    assert re.findall(r'<option[^>]*value="([a-z_]+)"', page.split('name="kind"')[1].split("</select>")[0]) \
        == ["overdue_list"]
    response = web.post("/documents/new", data={"csrf_token": token, "action": "generate", "kind": "reminder"})
    assert response.status_code == 400 and counts(db) == before
    assert "Loại văn bản: Lựa chọn không hợp lệ." in flashes(text(response))
    # Without the CSRF token nothing is made.
    assert web.post("/documents/new", data={"action": "generate", "kind": "overdue_list"}).status_code == 400
    assert counts(db) == before


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_a_leader_makes_the_overdue_list_with_its_real_pdf(web, db, users, frozen_now):
    token = as_user(web, users, "leader")
    response = web.post("/documents/new", data={"csrf_token": token, "action": "generate", "kind": "overdue_list",
                                                 "draft": "y"}, follow_redirects=True)
    page = text(response)
    assert response.status_code == 200 and "Danh sách các nhiệm vụ quá hạn" in page
    document = db.session.scalar(select(Document).order_by(Document.id.desc()))
    assert document.kind == "overdue_list" and document.number is None
    assert document.created_by.username == "leader" and document.data["pdf"]["engine"] == "libreoffice"
    pdf = web.get(f"/documents/{document.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-") and pdf.mimetype == "application/pdf"
    assert "DANH SÁCH" in docx_text(web.get(f"/documents/{document.id}.docx").data)


# --- the communes' forms as one zip, with a progress bar --------------------------------------

def test_the_bulk_page_starts_a_job_and_its_progress_is_polled(web, db, users, frozen_now, monkeypatch, app):
    from models import Unit
    from workflow import documents as rendering
    from workflow.services import documents as service
    from workflow.services import jobs

    few = list(db.session.scalars(select(Unit).where(Unit.kind == "commune").order_by(Unit.id).limit(3)))
    monkeypatch.setattr(service, "_bulk_units", lambda unit_kind: few)

    def fake_batch(kind, datas, markers, progress=None, **kwargs):
        for n in range(len(datas)):
            progress(2 * (n + 1), 2 * len(datas), f"Đã tạo {n + 1}/{len(datas)} biểu mẫu")
        return [(b"docx " + d["unit_name"].encode(), FAKE_PDF) for d in datas]

    monkeypatch.setattr(rendering, "render_batch", fake_batch)
    monkeypatch.setitem(app.config, "DOCUMENT_JOBS", "queue")  # a worker runs it: below, synchronously

    token = as_user(web, users, "office")
    page = text(web.get("/documents/indicator-forms"))
    assert "Biểu mẫu chỉ tiêu của 124 xã, phường" in page and "Chưa có lần tạo nào" in page
    response = web.post("/documents/indicator-forms", data={"csrf_token": token, "period": "2026-05"})
    assert response.status_code == 303
    job = db.session.scalar(select(Job).order_by(Job.id.desc()))
    assert response.headers["Location"] == f"/documents/indicator-forms/{job.id}"
    assert job.status == "queued" and job.params["period"] == "2026-05" and job.total == 6

    page = text(web.get(response.headers["Location"]))
    assert f'data-job-id="{job.id}"' in page
    assert f'data-job-url="/documents/indicator-forms/{job.id}/progress"' in page
    assert 'data-job-status="queued"' in page and "w-pct-0" in page and "progress-bar-animated" in page
    assert re.search(r'class="btn btn-sm btn-success d-none" data-job-result', page)  # no zip yet

    progress_url = f"/documents/indicator-forms/{job.id}/progress"
    answer = web.get(progress_url)
    assert answer.mimetype == "application/json" and answer.headers["Cache-Control"] == "no-store"
    assert answer.get_json()["status"] == "queued" and answer.get_json()["finished"] is False
    jobs.progress(job.id, 3, 6, "Đã tạo 3/6 tệp")
    body = web.get(progress_url).get_json()
    assert body["percent"] == 50 and body["message"] == "Đã tạo 3/6 tệp" and body["result_url"] is None

    jobs.run(job.id)  # what a worker (or the web process's thread) does
    body = web.get(progress_url).get_json()
    assert body["status"] == "done" and body["percent"] == 100 and body["finished"] is True
    assert body["result_url"] == f"/documents/indicator-forms/{job.id}.zip"
    assert body["result_name"] == "bieu-chi-tieu-2026-05-3-don-vi.zip"
    page = text(web.get(f"/documents/indicator-forms/{job.id}"))
    assert "w-pct-100" in page and re.search(r'class="btn btn-sm btn-success" data-job-result', page)
    result = web.get(body["result_url"])
    assert result.status_code == 200 and result.mimetype == "application/zip"
    assert "bieu-chi-tieu-2026-05-3-don-vi.zip" in result.headers["Content-Disposition"]
    names = zipfile.ZipFile(io.BytesIO(result.data)).namelist()
    assert names == [f"{n:03d}-{u.code}.{ext}" for n, u in enumerate(few, start=1) for ext in ("docx", "pdf")] \
        + ["danh-sach.txt"]
    assert "Kỳ tháng 5/2026" in text(web.get("/documents/indicator-forms"))

    # Same permission as the page's data: leaders read, departments are refused in JSON.
    leader = web_client(web.application)
    sign_in(leader, users["leader"])
    assert leader.get(progress_url).get_json()["status"] == "done"
    assert leader.get("/documents/indicator-forms").status_code == 403
    department = web_client(web.application)
    sign_in(department, users["taichinh"])
    refused = department.get(progress_url)
    assert refused.status_code == 403 and refused.get_json()["error"] == "Không có quyền xem kho văn bản."
    assert web.get("/documents/indicator-forms/999999/progress").get_json()["error"] == "Không tìm thấy tác vụ."


def test_a_bad_period_or_an_unfinished_job_is_explained(web, db, users, frozen_now, monkeypatch, app):
    monkeypatch.setitem(app.config, "DOCUMENT_JOBS", "queue")
    token = as_user(web, users, "office")
    response = web.post("/documents/indicator-forms", data={"csrf_token": token, "period": "05/2026"})
    assert response.status_code == 400
    assert any("Kỳ báo cáo không hợp lệ" in f for f in flashes(text(response)))
    response = web.post("/documents/indicator-forms", data={"csrf_token": token, "period": ""})
    assert response.status_code == 400 and "Kỳ báo cáo: Không được để trống." in flashes(text(response))
    assert db.session.scalar(select(func.count(Job.id))) == 0
    web.post("/documents/indicator-forms", data={"csrf_token": token, "period": "2026-Q2"})
    job = db.session.scalar(select(Job).order_by(Job.id.desc()))
    early = web.get(f"/documents/indicator-forms/{job.id}.zip")
    assert early.status_code == 409 and "Tác vụ chưa hoàn thành (Đang chờ)" in text(early)


# --- the outgoing register ------------------------------------------------------------------------

def test_the_office_reserves_uses_and_voids_numbers(web, db, users, frozen_now, stub_pdf):
    token = as_user(web, users, "office")
    page = text(web.get("/register"))
    assert "Sổ đăng ký văn bản đi" in page and "Giữ số tiếp theo" in page and "1775-CV/TU" in page

    response = web.post("/register/reserve", data={"csrf_token": token, "issuer": "tinh-uy", "symbol": "cv/tu",
                                                    "reason": "Công văn trình ký tay"})
    assert response.status_code == 303 and response.headers["Location"] == "/register"
    entry = db.session.scalar(select(RegisterEntry).order_by(RegisterEntry.id.desc()))
    assert entry.status == "reserved" and entry.full_number == "1776-CV/TU" and entry.reason == "Công văn trình ký tay"
    page = text(web.get("/register"))
    assert "Đã giữ số 1776-CV/TU (Tỉnh ủy Lâm Đồng) — lý do: Công văn trình ký tay." in flashes(page)
    assert "Lý do giữ số: Công văn trình ký tay" in page

    refused = web.post("/register/reserve", data={"csrf_token": token, "issuer": "tinh-uy", "symbol": "CV/TU",
                                                  "reason": ""})
    assert refused.status_code == 400 and "Lý do giữ số: Cần ghi lý do giữ số." in flashes(text(refused))
    refused = web.post("/register/reserve", data={"csrf_token": token, "issuer": "tinh-uy", "symbol": "<>",
                                                  "reason": "x"})
    assert refused.status_code == 400 and any("Ký hiệu văn bản không hợp lệ" in f for f in flashes(text(refused)))

    # The reserved number is offered on the form and a reminder takes it.
    form = text(web.get("/documents/new?kind=reminder"))
    assert f'value="{entry.id}"' in form and "1776-CV/TU" in form
    web.post("/documents/new", data={"csrf_token": token, "action": "generate", "kind": "reminder",
                                     "reservation": str(entry.id)})
    document = db.session.scalar(select(Document).order_by(Document.id.desc()))
    assert document.number == "1776-CV/TU" and entry.status == "used" and entry.document_id == document.id

    second = web.post("/register/reserve", data={"csrf_token": token, "issuer": "dang-uy-ubnd-tinh",
                                                 "symbol": "BC/ĐU", "reason": "Dự phòng"})
    assert second.status_code == 303
    spare = db.session.scalar(select(RegisterEntry).order_by(RegisterEntry.id.desc()))
    empty = web.post(f"/register/{spare.id}/void", data={"csrf_token": token, "reason": "  "})
    assert empty.status_code == 400 and "Lý do hủy số: Cần ghi lý do hủy số." in flashes(text(empty))
    assert spare.status == "reserved"
    voided = web.post(f"/register/{spare.id}/void", data={"csrf_token": token, "reason": "Không dùng đến"})
    assert voided.status_code == 303 and spare.status == "voided" and spare.void_reason == "Không dùng đến"
    page = text(web.get("/register?issuer=dang-uy-ubnd-tinh"))
    assert f"Đã hủy số {spare.full_number} — lý do: Không dùng đến. Số này không được cấp lại." in flashes(page)
    assert "Lý do hủy: Không dùng đến" in page and "1775-CV/TU" not in page
    again = web.post(f"/register/{spare.id}/void", data={"csrf_token": token, "reason": "Lần nữa"})
    assert again.status_code == 409 and "đã bị hủy trước đó" in " ".join(flashes(text(again)))
    missing = web.post("/register/999999/void", data={"csrf_token": token, "reason": "x"})
    assert missing.status_code == 404 and "Không tìm thấy số trong sổ đăng ký." in flashes(text(missing))

    leader = web_client(web.application)
    leader_token = as_user(leader, users, "leader")
    page = text(leader.get("/register"))
    assert "1776-CV/TU" in page and "Giữ số tiếp theo" not in page and "Hủy số</button>" not in page
    assert leader.post("/register/reserve", data={"csrf_token": leader_token, "issuer": "tinh-uy",
                                                  "symbol": "CV/TU", "reason": "x"}).status_code == 403


@pytest.mark.parametrize("query", ["kind=rocket", "page=abc", "page=-1", "kind=%00"])
def test_bad_archive_filters_are_explained(web, db, users, query):
    as_user(web, users, "admin")
    response = web.get(f"/documents?{query}")
    assert response.status_code == 400 and (flashes(text(response)) or "không hợp lệ" in text(response))


@pytest.mark.parametrize("query", ["year=abc", "year=99999", "issuer=khong-co", "symbol=%00"])
def test_bad_register_filters_are_explained(web, db, users, query):
    as_user(web, users, "office")
    response = web.get(f"/register?{query}")
    assert response.status_code == 400 and (flashes(text(response)) or "không hợp lệ" in text(response))


# --- navigation and the Content-Security-Policy ------------------------------------------------------

def test_the_documents_menu_follows_the_permissions(app, db, users):
    expected = {
        "office": ["Kho văn bản", "Tạo văn bản", "Biểu mẫu chỉ tiêu các xã (một tệp zip)", "Sổ đăng ký văn bản đi"],
        "leader": ["Kho văn bản", "Tạo danh sách nhiệm vụ quá hạn", "Sổ đăng ký văn bản đi"],
        "admin": ["Kho văn bản", "Sổ đăng ký văn bản đi"],
        "taichinh": [], "danguy": [],
    }
    for username, labels in expected.items():
        client = web_client(app)
        sign_in(client, users[username])
        page = text(client.get("/"))
        menu = re.findall(r'<a class="dropdown-item" href="(/documents[^"]*|/register)">([^<]+)</a>', page)
        assert [label for _, label in menu] == labels, username
    client = web_client(app)
    sign_in(client, users["office"])
    assert re.search(r'nav-link dropdown-toggle active" href="/documents"', text(client.get("/register")))


def test_the_documents_pages_carry_no_inline_scripts_or_styles(web, db, users, frozen_now, stub_pdf, app,
                                                             monkeypatch):
    from workflow.services import documents as service

    monkeypatch.setitem(app.config, "DOCUMENT_JOBS", "queue")
    token = as_user(web, users, "office")
    document = service.generate_document(users["office"], "overdue_list", {}, frozen_now.current())
    web.post("/documents/indicator-forms", data={"csrf_token": token, "period": "2026-05"})
    job = db.session.scalar(select(Job).order_by(Job.id.desc()))
    pages = ["/documents", "/documents/new", f"/documents/{document.id}", "/documents/indicator-forms",
             f"/documents/indicator-forms/{job.id}", "/register"]
    checked = [(path, text(web.get(path))) for path in pages]
    checked.append(("preview", text(web.post("/documents/new", data={
        "csrf_token": token, "action": "preview", "kind": "task_report", "as_of": "2026-06-30"}))))
    for where, page in checked:
        for tag in re.findall(r"<script\b[^>]*>", page):
            assert "src=" in tag, f"inline script on {where}"
        assert all(not body.strip() for body in re.findall(r"<script\b[^>]*>(.*?)</script>", page, re.S)), where
        assert not re.search(r"\son[a-z]+\s*=", page), f"event handler attribute on {where}"
        assert not re.search(r"\sstyle\s*=", page), f"style attribute on {where}"
        assert "<style" not in page and "javascript:" not in page, where
        assert "https://" not in page, where


def test_user_text_is_escaped_on_the_documents_pages(web, db, users, frozen_now, stub_pdf):
    nasty = '<script>alert("x")</script> & "A&B"'
    token = as_user(web, users, "office")
    response = web.post("/documents/new", data={"csrf_token": token, "action": "generate", "kind": "overdue_list",
                                                 "signer_name": nasty, "distribution": nasty},
                        follow_redirects=True)
    page = text(response)
    assert response.status_code == 200 and "<script>alert" not in page and "&lt;script&gt;alert(" in page
    web.post("/register/reserve", data={"csrf_token": token, "issuer": "tinh-uy", "symbol": "CV/TU",
                                        "reason": nasty})
    page = text(web.get("/register"))
    assert "<script>alert" not in page and "&lt;script&gt;alert(" in page
