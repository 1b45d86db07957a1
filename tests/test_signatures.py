"""The outgoing document's life (issue 13) with a test CA generated here: submit to a named signer,
sign on the server or outside, return, issue with the number, date and seal, deliver to the inboxes;
PDF/A-2b; every refusal in Vietnamese and changing nothing; both signatures verified by pyHanko.

LibreOffice converts each document kind once per test session for signature (PDF/A); later tests
reuse that conversion's output (``pdfa_cache``), so the suite stays lean.
"""
from __future__ import annotations

import io
import re
import subprocess

import pytest
from sqlalchemy import func, select

from tests.conftest import local
from tests.pki import PASSPHRASE, TestPKI, seal_png, signature_png

SIGNER_TITLE = "Phó Bí thư Thường trực"
SIGNER_NAME = "Đặng Hồng Sỹ"
_PDFA: dict[str, bytes] = {}


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    return TestPKI(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def credentials(pki):
    from datetime import datetime, timezone

    return {
        "leader": pki.issue(SIGNER_NAME),
        "organisation": pki.issue("Tỉnh ủy Lâm Đồng"),
        "expired": pki.issue(SIGNER_NAME, not_before=datetime(2024, 1, 1, tzinfo=timezone.utc),
                             not_after=datetime(2025, 12, 31, tzinfo=timezone.utc)),
        "other_ca": TestPKI(pki.directory / "other", name="CA lạ").issue(SIGNER_NAME),
    }


@pytest.fixture()
def pdfa_cache(monkeypatch):
    """Convert each kind once (real LibreOffice, PDF/A-2b); reuse the output afterwards."""
    from workflow import documents

    real = documents.docx_to_pdfa
    calls = []

    def cached(docx: bytes) -> bytes:
        import hashlib
        import zipfile

        text = hashlib.sha256(zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml")).hexdigest()
        if text not in _PDFA:
            _PDFA[text] = real(docx)
        calls.append(text)
        return _PDFA[text]

    monkeypatch.setattr(documents, "docx_to_pdfa", cached)
    return calls


@pytest.fixture()
def signing_setup(app, db, users, pki, credentials, frozen_now, monkeypatch, pdfa_cache):
    """The leader has a title and a name fitting Tỉnh ủy's signing block, a certificate and an image;
    Tỉnh ủy has its seal; the test CA is the trust anchor."""
    from models import SigningCredential, Unit

    monkeypatch.setitem(app.config, "SIGNATURE_TRUST_ANCHORS", [str(pki.root_path)])
    leader = users["leader"]
    leader.title, leader.full_name = SIGNER_TITLE, SIGNER_NAME
    tinh_uy = db.session.scalar(select(Unit).where(Unit.code == "tinh-uy"))
    db.session.add(SigningCredential(user_id=leader.id, pkcs12=credentials["leader"], image=signature_png(),
                                     subject=SIGNER_NAME, active=True))
    db.session.add(SigningCredential(unit_id=tinh_uy.id, pkcs12=credentials["organisation"], image=seal_png(),
                                     subject="Tỉnh ủy Lâm Đồng", active=True))
    db.session.flush()
    return {"leader": leader, "office": users["office"], "tinh_uy": tinh_uy}


def _draft_reminder(office, now):
    from workflow.services.documents import generate_document

    return generate_document(office, "reminder", {"draft": True, "as_of": "2026-11-22"}, now)


@pytest.fixture()
def stub_draft_pdf(monkeypatch):
    """The draft's own PDF is not what gets signed: skip its LibreOffice call."""
    from workflow import documents

    monkeypatch.setattr(documents, "render_pdf", lambda kind, data, docx: b"%PDF-1.7\n% draft\n")


def _submitted(setup, now):
    from workflow.services import outgoing

    document = _draft_reminder(setup["office"], now)
    outgoing.submit(setup["office"], document.id, version=0, signer="leader", now=now)
    return document


def _verify(pdf: bytes, pki):
    """pyHanko's own validation, independent of the application's summary."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from workflow.signing import load_trust_roots

    reader = PdfFileReader(io.BytesIO(pdf))
    return {sig.field_name: validate_pdf_signature(
        sig, ValidationContext(trust_roots=load_trust_roots([pki.root_path]), allow_fetching=False))
        for sig in reader.embedded_signatures}


def _text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode("utf-8")


def test_signed_on_the_server_then_issued_with_number_date_and_seal_both_signatures_verify(
        db, signing_setup, frozen_now, pki, stub_draft_pdf):
    from models import DocumentEvent, InboxItem, RegisterEntry
    from workflow.services import outgoing

    now = frozen_now.current()
    office, leader = signing_setup["office"], signing_setup["leader"]
    document = _draft_reminder(office, now)
    assert document.number is None and document.data["context"]["draft"] is True
    entries_before = db.session.scalar(select(func.count()).select_from(RegisterEntry))

    lifecycle = outgoing.submit(office, document.id, version=0, signer="leader", now=now)
    assert (lifecycle.status, lifecycle.version, lifecycle.signer_id) == ("submitted", 1, leader.id)
    assert [d.document_id for d in outgoing.waiting_for(leader)] == [document.id]
    unsigned = outgoing.lifecycle_pdf(office, document.id)[1]
    text = _text(unsigned)
    assert "DỰ THẢO" not in text and SIGNER_NAME in text and "PHÓ BÍ THƯ THƯỜNG TRỰC" in text
    assert re.search(r"Số\s+-CV/TU", text) and re.search(r"ngày\s+tháng\s+năm 2026", text)
    # no number yet: the register is untouched until văn thư issues it
    assert db.session.scalar(select(func.count()).select_from(RegisterEntry)) == entries_before

    frozen_now(local(2026, 11, 23, 9, 30))
    lifecycle = outgoing.sign(leader, document.id, version=1, passphrase=PASSPHRASE, now=frozen_now.current())
    assert (lifecycle.status, lifecycle.sign_method, lifecycle.version) == ("signed", "server", 2)
    signed = outgoing.lifecycle_pdf(leader, document.id)[1]
    assert signed.startswith(unsigned)  # an incremental update over the file that was submitted

    frozen_now(local(2026, 12, 3, 14, 0))
    lifecycle = outgoing.issue(office, document.id, version=2, passphrase=PASSPHRASE, now=frozen_now.current())
    assert lifecycle.status == "delivered" and lifecycle.version == 4
    assert re.fullmatch(r"\d+-CV/TU", lifecycle.number) and lifecycle.issued_on.isoformat() == "2026-12-03"
    entry = db.session.get(RegisterEntry, lifecycle.register_entry_id)
    assert (entry.status, entry.document_id, entry.full_number) == ("used", document.id, lifecycle.number)

    issued = outgoing.lifecycle_pdf(office, document.id)[1]
    assert issued.startswith(signed)
    text = _text(issued)
    assert re.search(rf"Số\s+{lifecycle.number.split('-')[0]}\s*-CV/TU", text)
    assert re.search(r"ngày\s+03\s+tháng\s+12\s+năm 2026", text)

    statuses = _verify(issued, pki)
    assert set(statuses) == {"ChuKyLanhDao", "ChuKyCoQuan"}
    for status in statuses.values():
        assert status.intact and status.valid and status.trusted and status.bottom_line
    from pyhanko.sign.diff_analysis import ModificationLevel

    assert statuses["ChuKyLanhDao"].modification_level == ModificationLevel.FORM_FILLING
    assert statuses["ChuKyLanhDao"].docmdp_ok
    summary = outgoing.verify_pdf(office, issued, now=frozen_now.current())
    assert [(s["signer"], s["ok"], s["certify"]) for s in summary] == [
        (SIGNER_NAME, True, True), ("Tỉnh ủy Lâm Đồng", True, False)]

    events = db.session.scalars(select(DocumentEvent).where(DocumentEvent.document_id == document.id)
                                .order_by(DocumentEvent.id)).all()
    assert [(e.event, e.from_status, e.to_status, e.version) for e in events] == [
        ("submit", "draft", "submitted", 1), ("sign", "submitted", "signed", 2),
        ("issue", "signed", "issued", 3), ("deliver", "issued", "delivered", 4)]
    inbox = db.session.scalars(select(InboxItem).where(InboxItem.document_id == document.id)).all()
    assert inbox and all(item.read_at is None for item in inbox)


def test_the_signed_pdf_is_pdfa_2b_with_embedded_fonts_and_names_the_issuing_body(
        db, signing_setup, frozen_now, stub_draft_pdf):
    from workflow.services import outgoing

    now = frozen_now.current()
    document = _submitted(signing_setup, now)
    outgoing.sign(signing_setup["leader"], document.id, version=1, passphrase=PASSPHRASE, now=now)
    outgoing.issue(signing_setup["office"], document.id, version=2, passphrase=PASSPHRASE, now=now)
    pdf = outgoing.lifecycle_pdf(signing_setup["office"], document.id)[1]
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert "<pdfaid:part>2</pdfaid:part>" in xmp and "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    assert "Tỉnh ủy Lâm Đồng" in xmp  # dc:creator: the issuing body
    assert reader.metadata.author == "Tỉnh ủy Lâm Đồng"
    intents = reader.trailer["/Root"]["/OutputIntents"]
    assert intents[0].get_object()["/S"] == "/GTS_PDFA1" and "/DestOutputProfile" in intents[0].get_object()
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert rows and all("yes" in row[-5:-2][:1] for row in rows), fonts  # every font embedded


def test_signed_outside_and_uploaded_is_accepted_when_it_is_the_same_document(
        db, signing_setup, frozen_now, credentials, stub_draft_pdf):
    from workflow import signing
    from workflow.services import outgoing

    now = frozen_now.current()
    document = _submitted(signing_setup, now)
    unsigned = outgoing.lifecycle_pdf(signing_setup["office"], document.id)[1]
    outside = signing.sign_as_signer(unsigned, signing.unlock(credentials["leader"], PASSPHRASE),
                                     name=SIGNER_NAME, title=SIGNER_TITLE, when=now, image=None)
    lifecycle = outgoing.upload_signed(signing_setup["leader"], document.id, outside, now=now)
    assert (lifecycle.status, lifecycle.sign_method) == ("signed", "upload")
    assert outgoing.lifecycle_pdf(signing_setup["leader"], document.id)[1] == outside


def _refused(call, message):
    from workflow.errors import DomainError

    with pytest.raises(DomainError) as caught:
        call()
    assert message in caught.value.message
    return caught.value


def test_uploads_that_are_not_the_same_signed_document_are_refused_in_vietnamese(
        db, signing_setup, frozen_now, credentials, stub_draft_pdf):
    from workflow import signing
    from workflow.services import outgoing

    now = frozen_now.current()
    office, leader = signing_setup["office"], signing_setup["leader"]
    document = _submitted(signing_setup, now)
    unsigned = outgoing.lifecycle_pdf(office, document.id)[1]
    key = signing.unlock(credentials["leader"], PASSPHRASE)
    good = signing.sign_as_signer(unsigned, key, name=SIGNER_NAME, title=SIGNER_TITLE, when=now, image=None)

    # one byte changed inside the signed content
    position = good.index(b"/Type /Catalog") if b"/Type /Catalog" in good else len(unsigned) // 2
    tampered = bytearray(good)
    tampered[position + 2] ^= 0x01
    _refused(lambda: outgoing.upload_signed(leader, document.id, bytes(tampered), now=now),
             "Tệp đã ký không phải là văn bản này")
    # a byte changed after the unsigned part: the signing date in the signature's own revision
    tail = bytearray(good)
    at = good.index(b"/M (D", len(unsigned)) + len(b"/M (D\\07220") + 1
    tail[at] = ord("9") if tail[at] != ord("9") else ord("8")
    _refused(lambda: outgoing.upload_signed(leader, document.id, bytes(tail), now=now),
             "Chữ ký số không toàn vẹn")
    # another document (a key-task report), properly signed in its own signature field
    from workflow import documents as rendering
    from workflow.services.documents import generate_document

    other = generate_document(office, "task_report", {"draft": True, "as_of": "2026-06-30"}, now)
    data = dict(other.data["context"], draft=False, number=f"{signing.NUMBER_BLANK}-BC/ĐU", signer_name=SIGNER_NAME,
                place_date=rendering.place_date(None, year=2026))
    other_pdf = rendering.docx_to_pdfa(rendering.render_docx("task_report", data))
    other_unsigned = signing.prepare(other_pdf, signing.locate_fields(
        other_pdf, symbol="BC/ĐU", signer_title=data["signer_title"], signer_name=SIGNER_NAME))
    other_signed = signing.sign_as_signer(other_unsigned, key, name=SIGNER_NAME, title=SIGNER_TITLE, when=now,
                                          image=None)
    assert signing.verify(other_signed, signing.load_trust_roots([_root(signing_setup)]), moment=now)[0]["ok"]
    _refused(lambda: outgoing.upload_signed(leader, document.id, other_signed, now=now),
             "Tệp đã ký không phải là văn bản này")
    # the right document signed with an expired certificate (signed in its validity, checked now)
    expired = signing.unlock(credentials["expired"], PASSPHRASE)
    from datetime import datetime, timezone

    old = signing._sign(unsigned, expired, field=signing.SIGNER_FIELD, certify=True, name=SIGNER_NAME,
                        when=datetime(2025, 6, 1, tzinfo=timezone.utc), image=None, text="x", reason="test")
    _refused(lambda: outgoing.upload_signed(leader, document.id, old, now=now), "đã hết hạn từ ngày 31/12/2025")
    # a certificate from a CA that is not a trust anchor
    stranger = signing.sign_as_signer(unsigned, signing.unlock(credentials["other_ca"], PASSPHRASE),
                                      name=SIGNER_NAME, title=SIGNER_TITLE, when=now, image=None)
    _refused(lambda: outgoing.upload_signed(leader, document.id, stranger, now=now), "tin cậy")
    # the unsigned file itself, and not a PDF
    _refused(lambda: outgoing.upload_signed(leader, document.id, unsigned, now=now), "chưa có chữ ký số")
    _refused(lambda: outgoing.upload_signed(leader, document.id, b"hello", now=now), "không phải tệp PDF")
    # nothing changed
    lifecycle = outgoing.lifecycle_of(document.id)
    assert (lifecycle.status, lifecycle.version, lifecycle.signed_key) == ("submitted", 1, None)


def _root(setup) -> str:
    from flask import current_app

    return current_app.config["SIGNATURE_TRUST_ANCHORS"][0]


def test_a_wrong_passphrase_or_an_expired_certificate_is_refused_and_changes_nothing(
        db, signing_setup, frozen_now, credentials, stub_draft_pdf):
    from models import SigningCredential
    from workflow.services import outgoing

    now = frozen_now.current()
    leader = signing_setup["leader"]
    document = _submitted(signing_setup, now)
    _refused(lambda: outgoing.sign(leader, document.id, version=1, passphrase="sai-mat-khau", now=now),
             "Mật khẩu của chứng thư số không đúng")
    _refused(lambda: outgoing.sign(leader, document.id, version=1, passphrase="", now=now),
             "Cần nhập mật khẩu")
    db.session.add(SigningCredential(user_id=leader.id, pkcs12=credentials["expired"], subject="x", active=True))
    db.session.flush()
    _refused(lambda: outgoing.sign(leader, document.id, version=1, passphrase=PASSPHRASE, now=now),
             "đã hết hạn từ ngày 31/12/2025")
    lifecycle = outgoing.lifecycle_of(document.id)
    assert (lifecycle.status, lifecycle.version, lifecycle.signed_key) == ("submitted", 1, None)


def test_who_may_act_versions_and_the_signing_block_fit(db, signing_setup, frozen_now, users, stub_draft_pdf):
    from workflow.errors import Conflict, Forbidden, StaleVersion
    from workflow.services import outgoing

    now = frozen_now.current()
    office, leader = signing_setup["office"], signing_setup["leader"]
    document = _draft_reminder(office, now)
    with pytest.raises(Forbidden):
        outgoing.submit(leader, document.id, version=0, signer="leader", now=now)
    leader.title = "Bí thư"
    _refused(lambda: outgoing.submit(office, document.id, version=0, signer="leader", now=now),
             "không khớp với khối chữ ký")
    _refused(lambda: outgoing.submit(office, document.id, version=0, signer="taichinh", now=now),
             "không phải lãnh đạo")
    leader.title = SIGNER_TITLE
    outgoing.submit(office, document.id, version=0, signer="leader", now=now)
    with pytest.raises(StaleVersion):
        outgoing.sign(leader, document.id, version=0, passphrase=PASSPHRASE, now=now)
    with pytest.raises(Forbidden):
        outgoing.sign(office, document.id, version=1, passphrase=PASSPHRASE, now=now)
    with pytest.raises(Conflict):  # nothing signed yet
        outgoing.issue(office, document.id, version=1, passphrase=PASSPHRASE, now=now)
    _refused(lambda: outgoing.return_document(leader, document.id, version=1, note=" ", now=now),
             "Cần ghi ý kiến")
    lifecycle = outgoing.return_document(leader, document.id, version=1, note="Bổ sung thời hạn.", now=now)
    assert (lifecycle.status, lifecycle.note, lifecycle.version) == ("returned", "Bổ sung thời hạn.", 2)
    assert outgoing.waiting_for(leader) == []
    # a numbered (non-draft) document does not enter the lifecycle
    from workflow.services.documents import generate_document

    numbered = generate_document(office, "reminder", {"as_of": "2026-11-22"}, now)
    _refused(lambda: outgoing.submit(office, numbered.id, version=0, signer="leader", now=now), "đã được cấp số")


def test_issue_with_a_wrong_organisation_passphrase_takes_no_number(
        db, signing_setup, frozen_now, stub_draft_pdf):
    from models import NumberRegister, RegisterEntry
    from workflow.services import outgoing

    now = frozen_now.current()
    document = _submitted(signing_setup, now)
    outgoing.sign(signing_setup["leader"], document.id, version=1, passphrase=PASSPHRASE, now=now)
    counters = [(r.id, r.last_number) for r in db.session.scalars(select(NumberRegister))]
    entries = db.session.scalar(select(func.count()).select_from(RegisterEntry))
    _refused(lambda: outgoing.issue(signing_setup["office"], document.id, version=2, passphrase="sai", now=now),
             "Mật khẩu của chứng thư số không đúng")
    db.session.expire_all()
    assert [(r.id, r.last_number) for r in db.session.scalars(select(NumberRegister))] == counters
    assert db.session.scalar(select(func.count()).select_from(RegisterEntry)) == entries
    assert outgoing.lifecycle_of(document.id).status == "signed"


def test_the_api_walks_the_life_and_the_recipient_reads_its_inbox(api, db, signing_setup, frozen_now, users,
                                                                    credentials, stub_draft_pdf):
    from workflow import signing

    created = api.post("/api/v1/documents", "office", json={"kind": "reminder", "as_of": "2026-11-22",
                                                             "draft": True}).get_json()
    document_id = created["id"]
    life = api.get(f"/api/v1/documents/{document_id}/lifecycle", "office").get_json()
    assert (life["status"], life["version"]) == ("draft", 0)
    stale = api.post(f"/api/v1/documents/{document_id}/events", "office",
                     json={"event": "submit", "version": 3, "signer": "leader"})
    assert stale.status_code == 409 and "vừa được người khác cập nhật" in stale.get_json()["error"]
    response = api.post(f"/api/v1/documents/{document_id}/events", "office",
                        json={"event": "submit", "version": 0, "signer": "leader", "note": "Kính trình"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "submitted" and response.get_json()["signer"]["title"] == SIGNER_TITLE

    unsigned = api.get(f"/api/v1/documents/{document_id}/signing.pdf", "leader").data
    wrong = api.post(f"/api/v1/documents/{document_id}/events", "leader",
                     json={"event": "sign", "version": 1, "passphrase": "sai"})
    assert wrong.status_code == 400 and "Mật khẩu của chứng thư số không đúng" in wrong.get_json()["error"]
    signed = signing.sign_as_signer(unsigned, signing.unlock(credentials["leader"], PASSPHRASE), name=SIGNER_NAME,
                                    title=SIGNER_TITLE, when=frozen_now.current(), image=signature_png())
    upload = api.client.post(f"/api/v1/documents/{document_id}/signed",
                             headers={"Authorization": f"Bearer {api.tokens['leader']}"},
                             data={"file": (io.BytesIO(signed), "da-ky.pdf")}, content_type="multipart/form-data")
    assert upload.status_code == 200, upload.get_json()
    assert (upload.get_json()["status"], upload.get_json()["sign_method"]) == ("signed", "upload")

    issued = api.post(f"/api/v1/documents/{document_id}/events", "office",
                      json={"event": "issue", "version": 2, "passphrase": PASSPHRASE}).get_json()
    assert issued["status"] == "delivered" and issued["number"].endswith("-CV/TU")
    assert [h["event"] for h in issued["history"]] == ["submit", "sign", "issue", "deliver"]
    units = {i["unit"]["code"] for i in issued["inbox"]}
    assert units and all(i["read_at"] is None for i in issued["inbox"])

    verified = api.client.post("/api/v1/signatures/verify", headers={"Authorization": f"Bearer {api.tokens['taichinh']}"},
                               data={"file": (io.BytesIO(api.get(f"/api/v1/documents/{document_id}/signing.pdf",
                                                                 "office").data), "vb.pdf")},
                               content_type="multipart/form-data").get_json()
    assert verified["count"] == 2 and verified["all_ok"] is True
    assert [s["signer"] for s in verified["signatures"]] == [SIGNER_NAME, "Tỉnh ủy Lâm Đồng"]

    # a recipient unit's user (the reminder goes to the units with overdue tasks)
    from models import User

    recipient = next(u for u in users.values() if u.role == "department" and u.unit.code in units)
    inbox = api.get("/api/v1/inbox", recipient.username).get_json()
    item = next(i for i in inbox["items"] if i["document"] == document_id)
    assert item["read_at"] is None and item["number"] == issued["number"]
    pdf = api.get(item["links"]["pdf"], recipient.username)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    again = api.get("/api/v1/inbox", recipient.username).get_json()
    read = next(i for i in again["items"] if i["document"] == document_id)
    assert read["read_at"] == frozen_now.current().isoformat() and read["read_by"] == recipient.username
    outsider = next(u for u in users.values() if u.role == "department" and u.unit.code not in units)
    assert api.get(item["links"]["pdf"], outsider.username).status_code == 404
    assert isinstance(db.session.get(User, recipient.id), User)


def test_the_command_line_installs_a_certificate_and_refuses_a_key_in_clear(app, db, pki, tmp_path):
    from models import SigningCredential, User

    runner = app.test_cli_runner()
    path = tmp_path / "leader.p12"
    path.write_bytes(pki.issue(SIGNER_NAME))
    result = runner.invoke(args=["install-certificate", "--user", "leader", "--p12", str(path), "--title",
                                 SIGNER_TITLE], input="sai\n")
    assert result.exit_code == 1 and "Mật khẩu của chứng thư số không đúng" in result.output
    result = runner.invoke(args=["install-certificate", "--user", "leader", "--p12", str(path), "--title",
                                 SIGNER_TITLE], input=PASSPHRASE + "\n")
    assert result.exit_code == 0, result.output
    credential = db.session.scalars(select(SigningCredential)).one()
    assert credential.pkcs12 == path.read_bytes() and SIGNER_NAME in credential.subject
    assert PASSPHRASE.encode() not in credential.pkcs12
    assert db.session.scalar(select(User.title).where(User.username == "leader")) == SIGNER_TITLE
    clear = tmp_path / "clear.p12"
    clear.write_bytes(pki.issue(SIGNER_NAME, passphrase=None))
    result = runner.invoke(args=["install-certificate", "--user", "leader", "--p12", str(clear)], input="\n")
    assert result.exit_code == 1 and "phải được bảo vệ bằng mật khẩu" in result.output


def test_the_pages_offer_each_step_to_the_right_person(app, db, signing_setup, frozen_now, users, stub_draft_pdf):
    from tests.web_fixtures import csrf_token_from, sign_in, web_client

    now = frozen_now.current()
    document = _draft_reminder(signing_setup["office"], now)
    office = web_client(app)
    sign_in(office, users["office"])
    page = office.get("/documents/new?kind=reminder").get_data(as_text=True)
    draft_box = re.search(r'<input[^>]*name="draft"[^>]*>', page).group(0)
    assert "checked" in draft_box, "a new document is a draft unless the office unticks it"
    page = office.get(f"/documents/{document.id}").get_data(as_text=True)
    assert "Trình ký" in page and "Đặng Hồng Sỹ — Phó Bí thư Thường trực" in page
    response = office.post(f"/documents/{document.id}/submit", data={
        "csrf_token": csrf_token_from(page), "version": "0", "signer": "leader"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Đã trình ký văn bản tới Đặng Hồng Sỹ (Phó Bí thư Thường trực)." in page and "Chờ ký" in page
    assert "Ký số trên máy chủ" not in page, "the office does not sign"

    leader = web_client(app)
    sign_in(leader, users["leader"])
    dashboard = leader.get("/").get_data(as_text=True)
    assert "Văn bản chờ ký (1)" in dashboard and f"/documents/{document.id}#trinh-ky" in dashboard
    page = leader.get(f"/documents/{document.id}").get_data(as_text=True)
    assert "Ký số trên máy chủ" in page and "Trả lại Văn phòng" in page and "Tải tệp đã ký lên" in page
    response = leader.post(f"/documents/{document.id}/sign", data={
        "csrf_token": csrf_token_from(page), "version": "1", "passphrase": "sai"}, follow_redirects=True)
    assert "Mật khẩu của chứng thư số không đúng" in response.get_data(as_text=True)
    response = leader.post(f"/documents/{document.id}/signed", data={
        "csrf_token": csrf_token_from(page), "version": "1",
        "file": (io.BytesIO(b"%PDF-1.7 not signed"), "x.pdf")}, content_type="multipart/form-data",
        follow_redirects=True)
    assert "Tệp đã ký không phải là văn bản này" in response.get_data(as_text=True)
    response = leader.post(f"/documents/{document.id}/sign", data={
        "csrf_token": csrf_token_from(page), "version": "1", "passphrase": PASSPHRASE}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Đã ký số văn bản" in page and "Đã ký" in page

    page = office.get(f"/documents/{document.id}").get_data(as_text=True)
    assert "Cấp số, đóng dấu và phát hành" in page
    response = office.post(f"/documents/{document.id}/issue", data={
        "csrf_token": csrf_token_from(page), "version": "2", "passphrase": PASSPHRASE, "reservation": ""},
        follow_redirects=True)
    page = response.get_data(as_text=True)
    number = re.search(r"Đã phát hành văn bản số (\d+-CV/TU); đã gửi tới \d+ cơ quan, đơn vị", page).group(1)
    assert "Chưa đọc" in page and "Đã gửi" in page
    assert f"{number} (cấp khi phát hành) · Đã dùng trong sổ đăng ký" in page


def test_issuing_a_signed_assignment_issues_its_dispatch_and_its_tasks_go_live(
        db, signing_setup, frozen_now, users, stub_draft_pdf):
    from models import Dispatch, InboxItem
    from workflow import permissions
    from workflow.services import outgoing
    from workflow.services.dispatches import create_dispatch
    from workflow.services.documents import generate_document
    from workflow.services.tasks import create_task

    now = frozen_now.current()
    office = signing_setup["office"]
    dispatch = create_dispatch(office, issuer="tinh-uy", subject="V/v rà soát hồ sơ chuyển đổi số",
                               recipients=["Sở Tài chính", "Sở Xây dựng", "Hội Nông dân thôn Đạ Sar"],
                               distribution=["- Như trên,", "- Lưu Văn phòng Tỉnh ủy."],
                               signing_authority="T/M BAN THƯỜNG VỤ", signer_title="PHÓ BÍ THƯ THƯỜNG TRỰC",
                               now=now)
    task = create_task(office, dispatch_ref=str(dispatch.id), title="Rà soát hồ sơ", lead_unit="so-tai-chinh",
                       deadline_text="trước ngày 31/12/2026", item="1", now=now)
    document = generate_document(office, "assignment", {"dispatch": str(dispatch.id)}, now)
    assert document.number is None and document.data["context"]["draft"] is True
    assert not permissions.can_view_task(users["taichinh"], task), "a draft dispatch's task is not live yet"

    outgoing.submit(office, document.id, version=0, signer="leader", now=now)
    outgoing.sign(signing_setup["leader"], document.id, version=1, passphrase=PASSPHRASE, now=now)
    assert db.session.get(Dispatch, dispatch.id).status == "draft" and dispatch.number is None
    lifecycle = outgoing.issue(office, document.id, version=2, passphrase=PASSPHRASE, now=now)

    dispatch = db.session.get(Dispatch, dispatch.id)
    assert dispatch.status == "issued" and lifecycle.number == dispatch.full_number
    assert dispatch.issued_on.isoformat() == "2026-11-22" and lifecycle.register_entry_id is None
    assert permissions.can_view_task(users["taichinh"], task), "the tasks go live when the document is issued"
    units = {i.unit.code for i in db.session.scalars(select(InboxItem).where(InboxItem.document_id == document.id))}
    assert units == {"so-tai-chinh", "so-xay-dung"}
    assert lifecycle.external_recipients == ["Hội Nông dân thôn Đạ Sar"]
    text = _text(outgoing.lifecycle_pdf(office, document.id)[1])
    assert re.search(rf"Số\s+{dispatch.number}\s*-CV/TU", text)


def test_the_admin_records_a_title_and_installs_a_certificate_on_the_page(app, db, users, pki, tmp_path):
    from models import SigningCredential
    from tests.web_fixtures import csrf_token_from, sign_in, web_client

    admin = web_client(app)
    sign_in(admin, users["admin"])
    page = admin.get("/admin/signing").get_data(as_text=True)
    response = admin.post("/admin/signing", data={"csrf_token": csrf_token_from(page), "owner": "user:leader",
                                                  "title": "Phó Bí thư  Thường trực"}, follow_redirects=True)
    assert "Đã ghi chức vụ của leader: Phó Bí thư Thường trực." in response.get_data(as_text=True)
    assert users["leader"].title == "Phó Bí thư Thường trực"
    response = admin.post("/admin/signing", data={
        "csrf_token": csrf_token_from(page), "owner": "unit:tinh-uy", "passphrase": "sai",
        "file": (io.BytesIO(pki.issue("Tỉnh ủy Lâm Đồng")), "tinh-uy.p12")}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Mật khẩu của chứng thư số không đúng" in response.get_data(as_text=True)
    response = admin.post("/admin/signing", data={
        "csrf_token": csrf_token_from(page), "owner": "unit:tinh-uy", "passphrase": PASSPHRASE,
        "file": (io.BytesIO(pki.issue("Tỉnh ủy Lâm Đồng")), "tinh-uy.p12"),
        "image": (io.BytesIO(b"GIF89a not a png"), "dau.png")}, content_type="multipart/form-data")
    assert response.status_code == 400 and "phải là tệp PNG" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SigningCredential)) == 0
    seal = seal_png()
    response = admin.post("/admin/signing", data={
        "csrf_token": csrf_token_from(page), "owner": "unit:tinh-uy", "passphrase": PASSPHRASE,
        "file": (io.BytesIO(pki.issue("Tỉnh ủy Lâm Đồng")), "tinh-uy.p12"),
        "image": (io.BytesIO(seal), "dau.png")}, content_type="multipart/form-data", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Đã cài đặt chứng thư số" in page and "mật khẩu không được lưu" in page
    credential = db.session.scalars(select(SigningCredential)).one()
    assert credential.unit.code == "tinh-uy" and credential.image == seal and credential.user_id is None


def test_an_archived_document_pdf_is_pdfa_2b(db, users, frozen_now):
    """The archive's PDFs (LibreOffice path) are PDF/A-2b too, not only the signed ones."""
    from pypdf import PdfReader

    from workflow.services.documents import document_file, generate_document

    document = generate_document(users["office"], "reminder", {"draft": True, "as_of": "2026-11-22"},
                                 frozen_now.current())
    pdf = document_file(users["office"], document.id, "pdf")[1]
    reader = PdfReader(io.BytesIO(pdf))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert "<pdfaid:part>2</pdfaid:part>" in xmp and "/OutputIntents" in reader.trailer["/Root"]
    assert "DỰ THẢO" in _text(pdf)


def test_a_pdf_without_the_blanks_or_the_signing_block_is_a_clear_error(db, signing_setup, frozen_now,
                                                                        monkeypatch, stub_draft_pdf):
    from workflow import documents as rendering
    from workflow.services import outgoing

    now = frozen_now.current()
    document = _draft_reminder(signing_setup["office"], now)
    monkeypatch.setattr(rendering, "docx_to_pdfa", lambda docx: b"%PDF-1.7\n% a template without the blanks\n")
    monkeypatch.setattr("workflow.signing.page_words", lambda pdf: [])  # no "Số … -CV/TU", no date, no block
    error = _refused(lambda: outgoing.submit(signing_setup["office"], document.id, version=0, signer="leader",
                                             now=now), "Không đặt được ô số, ngày và chữ ký")
    assert error.status == 503 and outgoing.lifecycle_of(document.id) is None


@pytest.mark.parametrize("content", [b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n",
                                     b"%PDF-1.4\n" + bytes(range(256)) * 4, b"%PDF-"])
def test_verifying_a_broken_pdf_answers_in_vietnamese(api, db, content):
    response = api.client.post("/api/v1/signatures/verify", headers={"Authorization": f"Bearer {api.tokens['taichinh']}"},
                               data={"file": (io.BytesIO(content), "hong.pdf")}, content_type="multipart/form-data")
    assert response.status_code in (200, 400), response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert ("không đọc được" in body["error"]) if response.status_code == 400 else body["count"] == 0
