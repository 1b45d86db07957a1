"""Documents through the API, the service and the command line: the archive,
downloads, permissions, the numbering register (never the same number twice),
bulk forms as a job, and the storage backends.

Tests about numbering and permissions replace the PDF step with a stub (the
rendering tests convert with the real LibreOffice); the ones that download or
write a file go through the real converters.
"""
from __future__ import annotations

import hashlib
import io
import subprocess
import threading
import zipfile

import pytest
from sqlalchemy import select

from models import Document, RegisterEntry
from tests.conftest import local

FAKE_PDF = b"%PDF-1.4\n% stub for tests that are not about the PDF\n" + b"0" * 200


@pytest.fixture()
def stub_pdf(monkeypatch):
    """Skip LibreOffice where the test is about numbering, permissions or validation."""
    from workflow import documents

    calls = []

    def fake(kind, data, docx):
        calls.append(kind)
        return FAKE_PDF

    monkeypatch.setattr(documents, "render_pdf", fake)
    return calls


def pdf_text(content: bytes) -> str:
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", "-raw", "-", "-"], input=content, capture_output=True,
                            check=True)
    return " ".join(result.stdout.decode("utf-8").split())


# --------------------------------------------------------------------------
# Generating and downloading
# --------------------------------------------------------------------------


def test_the_office_generates_a_reminder_and_downloads_both_files(api, db):
    response = api.post("/api/v1/documents", "office", json={"kind": "reminder", "as_of": "2026-11-22"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["number"].endswith("-CV/TU") and int(body["number"].split("-")[0]) > 1775
    assert body["links"]["docx"] == f"/api/v1/documents/{body['id']}.docx"
    assert body["links"]["pdf"] == f"/api/v1/documents/{body['id']}.pdf"
    assert response.headers["Location"] == f"/api/v1/documents/{body['id']}"

    docx = api.get(body["links"]["docx"], "office")
    assert docx.status_code == 200
    assert docx.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert "attachment" in docx.headers["Content-Disposition"]
    assert hashlib.sha256(docx.data).hexdigest() == body["docx_sha256"]
    pdf = api.get(body["links"]["pdf"], "leader")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    assert hashlib.sha256(pdf.data).hexdigest() == body["pdf_sha256"]
    text = pdf_text(pdf.data)
    assert f"Số {body['number']}" in text and "V/v đôn đốc thực hiện các nhiệm vụ quá hạn" in text
    assert "Lâm Đồng, ngày 22 tháng 11 năm 2026" in text
    info = subprocess.run(["pdfinfo", "-"], input=pdf.data, capture_output=True).stdout.decode("utf-8")
    assert "Công văn đôn đốc thực hiện các nhiệm vụ quá hạn" in info  # the file's title

    document = db.session.get(Document, body["id"])
    assert document.kind == "reminder" and document.created_by.username == "office"
    assert document.data["params"]["as_of"] == "2026-11-22T23:59:59+07:00"
    assert document.data["context"]["number"] == body["number"]
    assert document.data["pdf"]["engine"] == "libreoffice"
    from workflow.documents import template_sha256

    assert document.template_sha256 == template_sha256("reminder") and len(document.template_sha256) == 64
    entry = db.session.scalar(select(RegisterEntry).where(RegisterEntry.document_id == document.id))
    assert entry.full_number == body["number"] and entry.status == "used" and entry.kind == "reminder"

    detail = api.get(f"/api/v1/documents/{body['id']}", "leader").get_json()
    assert detail["data"]["subject_line"] == "V/v đôn đốc thực hiện các nhiệm vụ quá hạn"
    listing = api.get("/api/v1/documents?kind=reminder", "office").get_json()
    assert listing["total"] >= 1 and listing["items"][0]["id"] == body["id"]


def test_the_assignment_carries_its_dispatch_number_and_takes_none(api, db, stub_pdf):
    before = db.session.scalar(select(RegisterEntry.id).order_by(RegisterEntry.id.desc()))
    body = api.post("/api/v1/documents", "office", json={"kind": "assignment", "dispatch": "1775-CV/TU"}).get_json()
    assert body["number"] == "1775-CV/TU" and body["title"].startswith("Công văn 1775-CV/TU V/v triển khai")
    assert db.session.scalar(select(RegisterEntry.id).order_by(RegisterEntry.id.desc())) == before


def test_a_leader_makes_the_overdue_list_its_pdf_from_the_docx(api, db):
    response = api.post("/api/v1/documents", "leader", json={"kind": "overdue_list"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["number"] is None
    pdf = api.get(body["links"]["pdf"], "leader").data
    assert "DANH SÁCH" in pdf_text(pdf) and "(tính đến ngày 22 tháng 11 năm 2026)" in pdf_text(pdf)
    # from its landscape .docx by LibreOffice, like every document (page numbers, repeated header row)
    assert db.session.get(Document, body["id"]).data["pdf"] == {"engine": "libreoffice",
                                                                "template": "docs_templates/overdue_list.docx"}


@pytest.mark.parametrize("user,kind,status", [
    ("leader", "task_report", 403), ("leader", "reminder", 403), ("taichinh", "overdue_list", 403),
    ("taichinh", "indicator_form", 403), ("admin", "assignment", 403),
])
def test_who_may_generate(api, db, stub_pdf, user, kind, status):
    params = {"assignment": {"dispatch": "1775-CV/TU"}, "indicator_form": {"unit": "xa-lac-duong",
                                                                          "period": "2026-05"}}.get(kind, {})
    response = api.post("/api/v1/documents", user, json={"kind": kind, **params})
    assert response.status_code == status and "error" in response.get_json()
    assert stub_pdf == []


def test_who_may_read_and_download(api, db, stub_pdf):
    body = api.post("/api/v1/documents", "office", json={"kind": "overdue_list"}).get_json()
    for user in ("office", "leader", "admin"):
        assert api.get(body["links"]["docx"], user).status_code == 200
    for path in (body["links"]["self"], body["links"]["docx"], body["links"]["pdf"], "/api/v1/documents"):
        assert api.get(path, "taichinh").status_code == 403
        assert api.get(path).status_code == 401
    assert api.get("/api/v1/documents/999999.pdf", "office").status_code == 404
    assert api.get(f"/api/v1/documents/{body['id']}.txt", "office").status_code == 404


@pytest.mark.parametrize("payload,message", [
    ({}, "kind"),
    ({"kind": "letter"}, "Loại văn bản không hợp lệ"),
    ({"kind": "assignment"}, "dispatch"),
    ({"kind": "assignment", "dispatch": "9999-CV/TU"}, "Không tìm thấy công văn"),
    ({"kind": "reminder", "as_of": "30/6/2026"}, "as_of không hợp lệ"),
    ({"kind": "task_report", "as_of": "2026-06-30", "colour": "red"}, "Tham số không dùng"),
    ({"kind": "indicator_form", "period": "2026-05"}, "unit"),
    ({"kind": "indicator_form", "unit": "xa-khong-co", "period": "2026-05"}, "Không tìm thấy đơn vị"),
    ({"kind": "indicator_form", "unit": "xa-lac-duong", "period": "tháng 5"}, "Kỳ báo cáo không hợp lệ"),
    ({"kind": "overdue_list", "draft": "yes"}, "draft"),
    ({"kind": "reminder", "as_of": "2026-01-10"}, "Không có nhiệm vụ quá hạn"),
    ({"kind": "overdue_list", "issuer": "tinh-uy"}, "không lấy số"),
    ({"kind": "reminder", "issuer": "khong-co"}, "Không tìm thấy đơn vị"),
])
def test_bad_requests_are_400_and_take_no_number(api, db, stub_pdf, payload, message):
    count = db.session.query(RegisterEntry).count()
    response = api.post("/api/v1/documents", "office", json=payload)
    assert response.status_code == 400, response.get_json()
    assert message in response.get_json()["error"]
    assert db.session.query(RegisterEntry).count() == count and stub_pdf == []


def test_a_body_that_is_not_json_is_400(api, db):
    response = api.client.post("/api/v1/documents", data="kind=reminder",
                               headers={"Authorization": f"Bearer {api.tokens['office']}"})
    assert response.status_code == 400 and "error" in response.get_json()


def test_preview_shows_the_data_and_stores_nothing(api, db):
    count = db.session.query(Document).count()
    response = api.post("/api/v1/documents/preview", "office", json={"kind": "task_report", "as_of": "2026-06-30"})
    assert response.status_code == 200
    body = response.get_json()
    assert len(body["data"]["completed"]) == 13 and len(body["data"]["pending"]) == 11
    assert "Đang thực hiện (xin gia hạn trong quý II/2026)" in body["text"]
    assert body["data"]["number"] == "(số sẽ cấp)-BC/ĐU"
    assert db.session.query(Document).count() == count
    kinds = api.get("/api/v1/documents/kinds", "leader").get_json()["items"]
    assert {k["kind"]: k["allowed"] for k in kinds} == {"assignment": False, "reminder": False,
                                                        "task_report": False, "indicator_form": False,
                                                        "overdue_list": True}


def test_documents_are_never_modified(db, stub_pdf):
    from models.document import ImmutableError
    from tests.factories import user
    from workflow.services.documents import generate_document

    document = generate_document(user("office"), "overdue_list", {}, local(2026, 11, 22, 8, 0))
    document.title = "sửa lại"
    with pytest.raises(ImmutableError):
        db.session.flush()
    db.session.rollback()


# --------------------------------------------------------------------------
# The numbering register
# --------------------------------------------------------------------------


def test_numbered_documents_take_consecutive_numbers_and_drafts_take_none(api, db, stub_pdf):
    numbers = []
    for _ in range(3):
        body = api.post("/api/v1/documents", "office", json={"kind": "task_report", "as_of": "2026-06-30"}).get_json()
        numbers.append(body["number"])
    first = int(numbers[0].split("-")[0])
    assert numbers == [f"{first}-BC/ĐU", f"{first + 1}-BC/ĐU", f"{first + 2}-BC/ĐU"]
    draft = api.post("/api/v1/documents", "office",
                     json={"kind": "task_report", "as_of": "2026-06-30", "draft": True}).get_json()
    assert draft["number"] is None
    detail = api.get(draft["links"]["self"], "office").get_json()
    assert detail["data"]["draft"] is True and detail["data"]["number"] == "        -BC/ĐU"
    after = api.post("/api/v1/documents", "office", json={"kind": "task_report", "as_of": "2026-06-30"}).get_json()
    assert after["number"] == f"{first + 3}-BC/ĐU"


def test_a_failed_rendering_voids_its_number_with_the_reason(api, db, monkeypatch):
    from workflow import documents
    from workflow.documents import ConversionError

    def broken(kind, data, docx):
        raise ConversionError("LibreOffice không tạo được PDF cho document.docx (mã thoát 0)")

    monkeypatch.setattr(documents, "render_pdf", broken)
    response = api.post("/api/v1/documents", "office", json={"kind": "reminder"})
    assert response.status_code == 503 and "LibreOffice" in response.get_json()["error"]
    entry = db.session.scalar(select(RegisterEntry).order_by(RegisterEntry.id.desc()))
    assert entry.status == "voided" and "LibreOffice" in entry.void_reason and entry.document_id is None
    monkeypatch.setattr(documents, "render_pdf", lambda kind, data, docx: FAKE_PDF)
    body = api.post("/api/v1/documents", "office", json={"kind": "reminder"}).get_json()
    assert body["number"] == f"{entry.number + 1}-CV/TU"  # the voided number is not given again


def test_reserve_then_use_and_void_numbers(api, db, stub_pdf):
    response = api.post("/api/v1/register", "office",
                        json={"issuer": "tinh-uy", "symbol": "CV/TU", "reason": "Công văn trình ký tay"})
    assert response.status_code == 201, response.get_json()
    reserved = response.get_json()
    assert reserved["status"] == "reserved" and reserved["reason"] == "Công văn trình ký tay"
    second = api.post("/api/v1/register", "office",
                      json={"issuer": "tinh-uy", "symbol": "CV/TU", "reason": "Dự phòng"}).get_json()
    assert int(second["number"].split("-")[0]) == int(reserved["number"].split("-")[0]) + 1

    body = api.post("/api/v1/documents", "office",
                    json={"kind": "reminder", "reservation": reserved["id"]}).get_json()
    assert body["number"] == reserved["number"]
    again = api.post("/api/v1/documents", "office", json={"kind": "reminder", "reservation": reserved["id"]})
    assert again.status_code == 409
    wrong = api.post("/api/v1/documents", "office", json={"kind": "task_report", "reservation": second["id"]})
    assert wrong.status_code == 400 and "khác" in wrong.get_json()["error"]

    voided = api.post(f"/api/v1/register/{second['id']}/void", "office", json={"reason": "Không dùng đến"})
    assert voided.status_code == 200 and voided.get_json()["status"] == "voided"
    assert api.post(f"/api/v1/register/{second['id']}/void", "office", json={"reason": "x"}).status_code == 409
    assert api.post(f"/api/v1/register/{second['id']}/void", "office", json={}).status_code == 400
    assert api.post("/api/v1/register/999999/void", "office", json={"reason": "x"}).status_code == 404
    assert api.post("/api/v1/register", "leader", json={"issuer": "tinh-uy", "symbol": "CV/TU",
                                                        "reason": "x"}).status_code == 403
    assert api.post("/api/v1/register", "office", json={"issuer": "tinh-uy", "symbol": "CV/TU"}).status_code == 400

    rows = api.get("/api/v1/register?issuer=tinh-uy&symbol=CV/TU&year=2026", "leader").get_json()["items"]
    by_number = {r["number"]: r for r in rows}
    assert by_number[reserved["number"]]["status"] == "used" and by_number[reserved["number"]]["document"]
    assert by_number[second["number"]]["void_reason"] == "Không dùng đến"
    assert by_number["1775-CV/TU"]["kind"] == "dispatch"


def test_concurrent_requests_never_get_the_same_number(app, fresh_db):
    """Eight threads, five numbers each, real commits: forty different numbers."""
    from sqlalchemy import select as sql_select

    from models import Unit
    from workflow.extensions import db
    from workflow.services import register, unit_of_work

    issuer_id = db.session.scalar(sql_select(Unit.id).where(Unit.code == "tinh-uy"))
    db.session.remove()
    threads_count, each = 8, 5
    barrier = threading.Barrier(threads_count)
    numbers, errors, lock = [], [], threading.Lock()

    def worker(i: int):
        with app.app_context():
            try:
                barrier.wait()
                issuer = db.session.get(Unit, issuer_id)
                for n in range(each):
                    with unit_of_work():
                        entry = register.take(issuer, "CV/TU", 2026, status="used", kind="test", actor=None,
                                              now=local(2026, 11, 22, 9, i, n))
                    with lock:
                        numbers.append(entry.number)
            except Exception as exc:  # pragma: no cover - reported below
                with lock:
                    errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(numbers) == len(set(numbers)) == threads_count * each
    assert sorted(numbers) == list(range(1776, 1776 + threads_count * each))


# --------------------------------------------------------------------------
# Bulk: the communes' forms as one zip, through a job row
# --------------------------------------------------------------------------


def test_bulk_indicator_forms_as_one_zip(api, db, monkeypatch):
    from models import Unit
    from workflow.services import documents as service

    few = list(db.session.scalars(select(Unit).where(Unit.kind == "commune").order_by(Unit.id).limit(3)))
    monkeypatch.setattr(service, "_bulk_units", lambda unit_kind: few)
    response = api.post("/api/v1/documents/indicator-forms", "office", json={"period": "2026-05"})
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    assert job["status"] == "done", job  # run inline under test; a thread or `flask run-jobs` otherwise
    assert job["percent"] == 100 and job["links"]["result"] == f"/api/v1/jobs/{job['id']}/result"
    status = api.get(job["links"]["self"], "leader").get_json()
    assert status["status"] == "done" and status["result"]["name"] == "bieu-chi-tieu-2026-05-3-don-vi.zip"
    result = api.get(job["links"]["result"], "office")
    assert result.status_code == 200 and result.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(result.data))
    names = archive.namelist()
    assert names == [f"{n:03d}-{u.code}.{ext}" for n, u in enumerate(few, start=1) for ext in ("docx", "pdf")] \
        + ["danh-sach.txt"]
    for n, unit in enumerate(few, start=1):
        pdf = archive.read(f"{n:03d}-{unit.code}.pdf")
        assert f"Đơn vị báo cáo: {unit.name} - Kỳ báo cáo: tháng 5/2026" in pdf_text(pdf)
    assert api.post("/api/v1/documents/indicator-forms", "office", json={"period": "05/2026"}).status_code == 400
    assert api.post("/api/v1/documents/indicator-forms", "leader", json={"period": "2026-05"}).status_code == 403
    assert api.get(job["links"]["self"], "taichinh").status_code == 403


def test_a_job_is_claimed_once_and_a_failure_is_recorded(db, monkeypatch):
    from tests.factories import user
    from workflow.services import documents as service
    from workflow.services import jobs

    job = service.start_indicator_forms(user("office"), period="2026-05", now=local(2026, 11, 22, 8, 0))
    assert job.status == "queued" and job.total == 248
    assert jobs.claim(job.id) is True
    assert jobs.claim(job.id) is False  # a second worker does not get it

    def broken(*args, **kwargs):
        raise RuntimeError("hết bộ nhớ")

    monkeypatch.setattr(service, "indicator_forms_zip", broken)
    with pytest.raises(RuntimeError):
        service.run_indicator_forms(job.id)
    failed = jobs.get(job.id)
    assert failed.status == "failed" and "hết bộ nhớ" in failed.error
    with pytest.raises(Exception, match="chưa hoàn thành"):
        service.job_result(user("office"), job.id)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def test_render_document_from_the_command_line(app, db, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "bao-cao.pdf"
    result = runner.invoke(args=["render-document", "task_report", "--as-of", "2026-06-30", "--out", str(out),
                                 "--now", "2026-11-22T08:00:00+07:00"])
    assert result.exit_code == 0, result.output
    assert "-BC/ĐU" in result.output
    text = pdf_text(out.read_bytes())
    assert "1. Các nhiệm vụ đã hoàn thành (13 nhiệm vụ):" in text
    assert "2. Các nhiệm vụ đang thực hiện, chưa hoàn thành (11 nhiệm vụ):" in text
    document = db.session.scalar(select(Document).order_by(Document.id.desc()))
    assert document.kind == "task_report" and document.created_by_id is None

    bad = runner.invoke(args=["render-document", "indicator_form", "--period", "2026-05", "--out",
                              str(tmp_path / "x.docx")])
    assert bad.exit_code == 2 and "unit" in bad.output
    assert runner.invoke(args=["render-document", "reminder", "--out", str(tmp_path / "x.txt")]).exit_code == 2


def test_the_register_from_the_command_line(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["numbers", "reserve", "--issuer", "tinh-uy", "--symbol", "CV/TU",
                                 "--reason", "Văn bản mật, đăng ký tay"])
    assert result.exit_code == 0 and "Đã giữ số 1776-CV/TU" in result.output
    entry_id = result.output.split("mã ")[1].split(")")[0]
    assert runner.invoke(args=["numbers", "void", entry_id, "--reason", "Hủy"]).exit_code == 0
    listing = runner.invoke(args=["numbers", "list", "--issuer", "tinh-uy"])
    assert "1776-CV/TU" in listing.output and "Đã hủy số" in listing.output and "1775-CV/TU" in listing.output


# --------------------------------------------------------------------------
# Storage
# --------------------------------------------------------------------------


def test_directory_storage_never_overwrites_and_stays_inside_its_root(tmp_path):
    from workflow.storage import DirectoryStorage, StorageError

    storage = DirectoryStorage(tmp_path)
    stored = storage.put("documents/a.pdf", b"%PDF-abc", "application/pdf")
    assert stored.sha256 == hashlib.sha256(b"%PDF-abc").hexdigest()
    assert storage.get("documents/a.pdf") == b"%PDF-abc" and storage.exists("documents/a.pdf")
    with pytest.raises(StorageError):
        storage.put("documents/a.pdf", b"other", "application/pdf")
    with pytest.raises(StorageError):
        storage.put("../escape.pdf", b"x", "application/pdf")
    with pytest.raises(FileNotFoundError):
        storage.get("documents/missing.pdf")


def test_the_default_storage_keeps_files_in_the_database(app, db):
    from models import StoredFile
    from workflow.storage import DatabaseStorage, get_storage

    storage = get_storage()
    assert isinstance(storage, DatabaseStorage)
    storage.put("test/x.bin", b"abc", "application/octet-stream")
    db.session.flush()
    row = db.session.scalar(select(StoredFile).where(StoredFile.key == "test/x.bin"))
    assert row.size == 3 and storage.get("test/x.bin") == b"abc"
