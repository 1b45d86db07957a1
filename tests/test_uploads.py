"""Uploads (issue 14, findings 1, 2 and the damaged worksheet of 7): every .docx and .xlsx is
unpacked by workflow/uploads.py, counting the bytes that come out, with entries, paragraphs,
rows, cells, characters and time capped before python-docx or openpyxl parses anything."""
from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile

import pytest
from sqlalchemy import func, select

from models import Dispatch, IndicatorReport
from tests.test_import import docx_bytes
from tests.test_indicators import _fill, _unit_form, codes_1534, commune_user  # noqa: F401
from workflow import uploads

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def replace_member(data: bytes, name: str, content, *, lie_size: int | None = None) -> bytes:
    """A copy of a zip with one member replaced. ``content`` is bytes or an iterable of chunks
    (streamed, so a member of hundreds of megabytes costs no memory here); ``lie_size`` writes a
    false uncompressed size for it into the local header and the central directory."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == name:
                continue
            target.writestr(info, source.read(info.filename))
        member = zipfile.ZipInfo(name)
        member.compress_type = zipfile.ZIP_DEFLATED
        with target.open(member, "w", force_zip64=False) as handle:
            for chunk in ([content] if isinstance(content, bytes) else content):
                handle.write(chunk)
    raw = bytearray(out.getvalue())
    if lie_size is not None:
        encoded = name.encode()
        local = raw.find(b"PK\x03\x04")
        while local != -1:
            length = struct.unpack_from("<H", raw, local + 26)[0]
            if raw[local + 30:local + 30 + length] == encoded:
                struct.pack_into("<I", raw, local + 22, lie_size)
                break
            local = raw.find(b"PK\x03\x04", local + 4)
        central = raw.find(b"PK\x01\x02")
        while central != -1:
            length = struct.unpack_from("<H", raw, central + 28)[0]
            if raw[central + 46:central + 46 + length] == encoded:
                struct.pack_into("<I", raw, central + 24, lie_size)
                break
            central = raw.find(b"PK\x01\x02", central + 4)
    return bytes(raw)


def document_xml(paragraphs) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{W_NS}"><w:body>'
            + "".join(paragraphs) + "</w:body></w:document>").encode()


def upload_docx(api, data: bytes):
    return api.post("/api/v1/dispatches/import", "office", content_type="multipart/form-data",
                    data={"file": (io.BytesIO(data), "cong-van.docx")})


def upload_xlsx(client, token, data: bytes):
    return client.post("/api/v1/indicators/import", headers={"Authorization": f"Bearer {token}"},
                       data={"file": (io.BytesIO(data), "bieu.xlsx")}, content_type="multipart/form-data")


# --- .docx (finding 2) -------------------------------------------------------------------------


def test_a_docx_lying_about_its_size_is_refused_without_inflating_it(api, db):
    """document.xml declares 2 KB and holds 120 MB: it was let through the size check, and reading
    it inflated the whole member at once; now at most one chunk is inflated before the lie shows."""
    chunk = b"<w:p><w:r><w:t>" + b"a" * 1000 + b"</w:t></w:r></w:p>"
    body = (chunk * 1024 for _ in range(120))  # 120 x ~1 MB
    head = f'<w:document xmlns:w="{W_NS}"><w:body>'.encode()
    data = replace_member(docx_bytes(), "word/document.xml",
                          iter([head, *body, b"</w:body></w:document>"]), lie_size=2048)
    assert len(data) < 1024 * 1024
    tracemalloc.start()
    try:
        response = upload_docx(api, data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_code in (413, 422), response.get_json()
    assert "docx" in response.get_json()["error"]
    assert peak < 40 * 1024 * 1024, f"peak {peak / 2**20:.0f} MB"
    assert db.session.scalar(select(func.count()).select_from(Dispatch).where(Dispatch.status == "draft")) == 0


def test_a_docx_of_two_million_paragraphs_is_refused_before_python_docx_reads_it(api, db, monkeypatch):
    import docx

    opened = []
    data = replace_member(docx_bytes(), "word/document.xml", iter(
        [document_xml([])[:-len(b"</w:body></w:document>")]] + [b"<w:p/>" * 100_000] * 18
        + [b"</w:body></w:document>"]))
    assert len(data) < 300 * 1024
    monkeypatch.setattr(docx, "Document", lambda *a, **k: opened.append(1))
    response = upload_docx(api, data)
    assert response.status_code == 413
    assert "đoạn văn" in response.get_json()["error"] and "quá lớn" in response.get_json()["error"]
    assert opened == []


def test_a_docx_with_more_text_than_a_dispatch_is_refused_while_counting(api, db, monkeypatch):
    import docx

    opened = []
    text = "Nội dung " * 4000
    data = replace_member(docx_bytes(), "word/document.xml",
                          document_xml([f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"] * 12))
    monkeypatch.setattr(docx, "Document", lambda *a, **k: opened.append(1))
    response = upload_docx(api, data)
    assert response.status_code == 413 and "ký tự" in response.get_json()["error"]
    assert opened == []


def test_a_docx_with_too_many_entries_is_refused(api, db):
    out = io.BytesIO(docx_bytes())
    with zipfile.ZipFile(out, "a") as archive:
        for i in range(1001):
            archive.writestr(f"customXml/item{i}.bin", b"")
    response = upload_docx(api, out.getvalue())
    assert response.status_code == 413 and "thành phần" in response.get_json()["error"]


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>',
    '<!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
])
def test_xxe_and_billion_laughs_in_a_docx_are_refused(api, db, doctype):
    xml = (f'<?xml version="1.0"?>{doctype}<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r>'
           f'<w:t>Số 1-CV/TU &{"xxe" if "xxe" in doctype else "d"};</w:t></w:r></w:p></w:body></w:document>').encode()
    response = upload_docx(api, replace_member(docx_bytes(), "word/document.xml", xml))
    assert response.status_code == 422 and "DOCTYPE" in response.get_json()["error"]


def test_an_ordinary_docx_still_reads(api, db):
    response = upload_docx(api, docx_bytes())
    assert response.status_code == 200 and response.get_json()["number"] == "312-CV/TU"


# --- .xlsx (finding 1 and the damaged worksheet) -------------------------------------------------


def _form(api) -> bytes:
    return _fill(_unit_form(api), {code: 90 for code in codes_1534()})


def test_an_xlsx_whose_shared_strings_unpack_to_hundreds_of_megabytes_is_refused(db, client, api, commune_user,
                                                                                  frozen_now, monkeypatch):
    """Finding 1: 400 MB of shared strings in a file under 1 MB hung a worker in load_workbook."""
    import openpyxl

    opened = []
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: opened.append(1))
    _, token = commune_user
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    piece = b"<si><t>" + b"x" * 4000 + b"</t></si>"
    strings = iter([f'<sst xmlns="{ns}">'.encode(), *(piece * 256 for _ in range(400)), b"</sst>"])
    data = replace_member(_form(api), "xl/sharedStrings.xml", strings)
    assert len(data) < 2 * 1024 * 1024
    tracemalloc.start()
    try:
        response = upload_xlsx(client, token, data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_code == 413, response.get_json()
    assert "Bảng tính quá lớn khi giải nén" in response.get_json()["error"]
    assert peak < 120 * 1024 * 1024 and opened == []
    assert db.session.scalar(select(func.count()).select_from(IndicatorReport)) == 0


def test_an_xlsx_with_too_many_cells_is_refused_before_openpyxl(db, client, api, commune_user, frozen_now,
                                                                monkeypatch):
    import openpyxl

    opened = []
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: opened.append(1))
    _, token = commune_user
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    row = b'<row>' + b'<c t="n"><v>1</v></c>' * 300 + b"</row>"
    sheet = iter([f'<worksheet xmlns="{ns}"><sheetData>'.encode(), *(row * 10 for _ in range(40)),
                  b"</sheetData></worksheet>"])
    response = upload_xlsx(client, token, replace_member(_form(api), "xl/worksheets/sheet1.xml", sheet))
    assert response.status_code == 413 and "ô" in response.get_json()["error"] and opened == []


@pytest.mark.parametrize("sheet", [
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
    b'<c r="A1" t="n"><v>kh\xc3\xb4ng ph\xe1\xba\xa3i s\xe1\xbb\x91</v></c></row></sheetData></worksheet>',
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
    b'<c r="A1" t="s"><v>999999</v></c></row></sheetData></worksheet>',
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="x">'
    b'<c r="@@" t="d"><v>2026-99-99</v></c></row></sheetData></worksheet>',
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">',
])
def test_a_damaged_worksheet_is_a_400_not_a_500(db, client, api, commune_user, frozen_now, sheet):
    _, token = commune_user
    response = upload_xlsx(client, token, replace_member(_form(api), "xl/worksheets/sheet1.xml", sheet))
    assert response.status_code == 400, response.get_json()
    assert "bị hỏng" in response.get_json()["error"]
    assert db.session.scalar(select(func.count()).select_from(IndicatorReport)) == 0


def test_xxe_in_an_xlsx_is_refused(db, client, api, commune_user, frozen_now):
    _, token = commune_user
    xml = (b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>'
           b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&xxe;</t></si></sst>')
    response = upload_xlsx(client, token, replace_member(_form(api), "xl/sharedStrings.xml", xml))
    assert response.status_code == 400 and "DOCTYPE" in response.get_json()["error"]


def test_an_ordinary_workbook_still_imports(db, client, api, commune_user, frozen_now):
    from tests.conftest import local

    _, token = commune_user
    frozen_now(local(2026, 5, 16, 9, 0))
    response = upload_xlsx(client, token, _form(api))
    assert response.status_code == 200 and response.get_json()["saved"] == 13


# --- the entry point for future uploads ------------------------------------------------------------


def test_accept_checks_kind_size_and_content():
    from workflow.errors import UnsupportedType

    assert uploads.accept(b"%PDF-1.7\n...", "ky-so.pdf").kind == "pdf"
    with pytest.raises(UnsupportedType):
        uploads.accept(b"%PDF-1.7", "ky-so.exe")
    with pytest.raises(uploads.UploadUnreadable):
        uploads.accept(b"MZ\x90\x00", "ky-so.pdf")  # a program named .pdf
    with pytest.raises(uploads.UploadTooLarge):
        uploads.accept(b"%PDF-" + b"0" * 2048, "a.pdf", max_bytes=1024)
    assert uploads.accept(docx_bytes(), "cv.docx", kinds=("pdf", "docx")).kind == "docx"
    bomb = replace_member(docx_bytes(), "word/document.xml", document_xml(["<w:p/>"] * 20_001))
    with pytest.raises(uploads.UploadTooLarge):
        uploads.accept(bomb, "cv.docx", kinds=("docx",))
    with pytest.raises(uploads.UploadUnreadable):
        uploads.accept(b"PK\x03\x04broken", "a.xlsx", kinds=("xlsx",))


def test_the_time_budget_stops_a_slow_check(monkeypatch):
    clock = iter([0.0] + [100.0] * 10_000)
    monkeypatch.setattr(uploads.time, "monotonic", lambda: next(clock))
    with pytest.raises(uploads.UploadTooLarge, match="thời gian"):
        uploads.check_office(docx_bytes(), uploads.DOCX_LIMITS)


def test_a_damaged_compressed_stream_is_unreadable_not_a_crash():
    data = replace_member(docx_bytes(), "word/document.xml", document_xml(["<w:p/>"] * 50))
    raw = bytearray(data)
    start = raw.find(b"word/document.xml") + len("word/document.xml")  # its local header, then the stream
    raw[start:start + 16] = b"\xff" * 16
    with pytest.raises(uploads.UploadUnreadable):
        uploads.check_office(bytes(raw), uploads.DOCX_LIMITS)


def test_task_attachments_and_every_other_upload_read_the_same_magic_numbers(db):
    """One table of magic numbers (``uploads.sniff``): a task's attachment and an import agree on what
    a file is; an empty zip named .docx is refused by both with a message, never stored or parsed."""
    import io
    import zipfile

    from workflow.errors import UnsupportedType
    from workflow.services import attachments

    empty = io.BytesIO()
    zipfile.ZipFile(empty, "w").close()
    samples = {b"%PDF-1.7\n": ("pdf", "pdf"), b"\x89PNG\r\n\x1a\n....": ("png", "png"),
               b"\xff\xd8\xff\xe0....": ("jpg", "jpeg"), docx_bytes(): ("zip", "docx"),
               empty.getvalue(): ("zip", "zip"), b"MZ\x90\x00": (None, None)}
    for data, (sniffed, attachment_kind) in samples.items():
        assert uploads.sniff(data) == sniffed
        assert attachments.detect_type(data) == attachment_kind
    with pytest.raises(uploads.UploadUnreadable, match="word/document.xml"):
        uploads.accept(empty.getvalue(), "cv.docx", kinds=("docx",))
    with pytest.raises(UnsupportedType):
        attachments.check_upload("bao-cao.docx", empty.getvalue())
