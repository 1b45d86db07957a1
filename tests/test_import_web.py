"""The import pages (issue 7): paste or upload, check the draft beside the source with the
unmatched units highlighted, edit, confirm; refusals; only the office."""
from __future__ import annotations

import io
import re
from html.parser import HTMLParser

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from models import Dispatch
from tests.test_import import BAN_TUYEN_GIAO, ban_tuyen_giao, docx_bytes  # noqa: F401  (fixture)
from tests.web_fixtures import csrf_token_from, sign_in, web  # noqa: F401


class FormValues(HTMLParser):
    """The values a browser would submit for the form posting to ``action``."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.values = action, False, []
        self._select = self._textarea = None
        self._text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("action") == self.action
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.values.append((a["name"], a.get("value", "y")))
            elif a.get("type") not in ("submit", "file"):
                self.values.append((a["name"], a.get("value", "")))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], []
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.values.append((self._select, a.get("value", "")))

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            self.values.append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None
        elif tag == "select":
            self._select = None


def form_values(html: str, action: str) -> list[tuple[str, str]]:
    import html as html_lib

    parser = FormValues(action)
    parser.feed(html)
    return [(k, html_lib.unescape(v)) for k, v in parser.values]


def office(web, users):
    sign_in(web, users["office"])
    page = web.get("/dispatches/import")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_office_pastes_checks_edits_and_confirms(web, db, users, ban_tuyen_giao, frozen_now):  # noqa: F811
    page = office(web, users)
    assert "Nhập công văn từ văn bản" in page and 'href="/dispatches/import"' in page  # nav link
    token = csrf_token_from(page)
    response = web.post("/dispatches/import", data={"csrf_token": token, "text": BAN_TUYEN_GIAO})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # Side by side: the source, the draft; the unmatched unit highlighted in both.
    assert "Văn bản gốc" in html and "Bản nháp đọc được" in html
    assert html.count('<mark class="import-unmatched">Sở Du lịch</mark>') >= 3
    assert "chưa có gì được lưu" in html
    assert 'value="245-CV/BTGDVTU"' in html and 'value="2026-11-20"' in html
    assert "Các xã, phường, đặc khu (124 đơn vị" in html
    assert "Thời hạn tính được: 23:59 ngày 07/12/2026" in html
    assert db.session.scalar(select(Dispatch).where(Dispatch.number == 245)) is None

    values = form_values(html, "/dispatches/import/confirm")
    fields = dict(values)
    assert fields["tasks-2-lead_unit"] == "__communes__" and fields["tasks-4-lead_unit"] == ""
    assert fields["issuer"] == "ban-tuyen-giao-va-dan-van-tinh-uy"

    # Confirming without choosing the unit is refused, nothing saved, the page shown again.
    response = web.post("/dispatches/import/confirm", data=MultiDict(values))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Chưa chọn đơn vị chủ trì cho mục 6" in html and '<mark class="import-unmatched">Sở Du lịch</mark>' in html

    # The office chooses the unit, corrects a title and drops the directive.
    edited = [(k, v) for k, v in values if k not in ("tasks-4-lead_unit", "tasks-0-title", "directives-0-include")]
    edited += [("tasks-4-lead_unit", "so-van-hoa-the-thao-va-du-lich"),
               ("tasks-0-title", "Xây dựng kế hoạch kỷ niệm 80 năm Ngày Toàn quốc kháng chiến")]
    response = web.post("/dispatches/import/confirm", data=MultiDict(edited))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    dispatch = db.session.scalar(select(Dispatch).where(Dispatch.number == 245, Dispatch.symbol == "CV/BTGDVTU"))
    assert dispatch.status == "draft" and dispatch.issued_on.isoformat() == "2026-11-20"
    assert response.headers["Location"].endswith("/dispatches/245-CV/BTGDVTU")
    assert len(dispatch.tasks) == 1 + 1 + 124 + 1 + 1 and dispatch.directives == []
    assert dispatch.recipients[2] == "Sở KH&CN" and "so-khoa-hoc-va-cong-nghe" in dispatch.recipient_codes
    first = [t for t in dispatch.tasks if t.item == "2"][0]
    assert first.title == "Xây dựng kế hoạch kỷ niệm 80 năm Ngày Toàn quốc kháng chiến"
    assert [u.code for u in first.coordinating_units] == ["so-giao-duc-va-dao-tao", "so-khoa-hoc-va-cong-nghe"]
    assert [t.lead_unit.code for t in dispatch.tasks if t.item == "6"] == ["so-van-hoa-the-thao-va-du-lich"]
    assert dispatch.source_text.startswith("TỈNH ỦY LÂM ĐỒNG")
    detail = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã tạo dự thảo Công văn số 245-CV/BTGDVTU với 128 nhiệm vụ" in detail


def test_docx_upload_through_the_page(web, users):
    token = csrf_token_from(office(web, users))
    response = web.post("/dispatches/import", data={"csrf_token": token,
                                                     "file": (io.BytesIO(docx_bytes()), "cv-312.docx")},
                        content_type="multipart/form-data")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'value="312-CV/TU"' in html and "tăng cường phòng, chống dịch sốt xuất huyết" in html
    assert re.search(r'<option selected value="so-y-te">', html)


def test_refusals_on_the_page(web, users):
    token = csrf_token_from(office(web, users))
    response = web.post("/dispatches/import", data={"csrf_token": token, "text": "Xin chào, hẹn gặp lại."})
    assert response.status_code == 422
    assert "Nội dung không phải là một công văn" in response.get_data(as_text=True)
    response = web.post("/dispatches/import", data={"csrf_token": token, "text": ""})
    assert response.status_code == 400 and "Dán nội dung công văn hoặc chọn một tệp" in response.get_data(as_text=True)
    response = web.post("/dispatches/import", data={"csrf_token": token, "file": (io.BytesIO(b"xx"), "a.docx")},
                        content_type="multipart/form-data")
    assert response.status_code == 422 and "Không đọc được tệp .docx" in response.get_data(as_text=True)
    response = web.post("/dispatches/import", data={"csrf_token": token, "file": (io.BytesIO(b"xx"), "a.pdf")},
                        content_type="multipart/form-data")
    assert response.status_code == 415
    # Without the CSRF token.
    assert web.post("/dispatches/import", data={"text": BAN_TUYEN_GIAO}).status_code == 400
    assert web.post("/dispatches/import/confirm", data={}).status_code == 400


def test_only_the_office_sees_the_import_pages(web, users):
    sign_in(web, users["taichinh"])
    assert web.get("/dispatches/import").status_code == 403
    assert 'href="/dispatches/import"' not in web.get("/").get_data(as_text=True)
    sign_in(web, users["leader"])
    assert web.get("/dispatches/import").status_code == 403


def test_paragraphs_not_taken_are_shown_beside_their_line_and_become_tasks_in_one_click(web, db, users):
    """Issue 12: nothing dropped silently. A unit named in a results section and a table row
    without a lead unit are listed under "Đoạn chưa thành nhiệm vụ" with a link to their source
    line (marked); "Tạo nhiệm vụ" adds a task row pre-filled with the unit and the deadline
    read; a directive has the same button; the confirmation creates them."""
    from tests.conftest import TZ
    from tests.test_import_corpus import NOT_TAKEN

    token = csrf_token_from(office(web, users))
    html = web.post("/dispatches/import", data={"csrf_token": token, "text": NOT_TAKEN}).get_data(as_text=True)
    assert "Đoạn chưa thành nhiệm vụ (2)" in html and "2 đoạn chưa thành nhiệm vụ" in html
    line = NOT_TAKEN.split("\n").index("1. Sở Nội vụ đã hoàn thành đánh giá công chức trước ngày 31/12/2025.") + 1
    assert f'href="#dong-{line}"' in html
    assert f'<span id="dong-{line}" class="import-line import-not-taken"' in html
    assert 'name="take" value="n-0"' in html and 'name="take" value="d-0"' in html
    values = form_values(html, "/dispatches/import/confirm")
    assert dict(values)["tasks-0-lead_unit"] == "ban-to-chuc-tinh-uy" and "tasks-1-title" not in dict(values)

    # One click on the first paragraph: a task row with the unit and the deadline read.
    response = web.post("/dispatches/import/confirm", data=MultiDict(values + [("take", "n-0")]))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Đoạn chưa thành nhiệm vụ (1)" in html and "Đã thêm nhiệm vụ từ đoạn mục I.1" in html
    values = form_values(html, "/dispatches/import/confirm")
    fields = dict(values)
    assert fields["tasks-1-lead_unit"] == "so-noi-vu" and fields["tasks-1-deadline_text"] == "trước ngày 31/12/2025"
    assert fields["tasks-1-item"] == "I.1" and fields["tasks-1-title"].strip().startswith("Sở Nội vụ đã hoàn thành")

    # The directive (a deadline without a unit) too; its unit is chosen by the office.
    response = web.post("/dispatches/import/confirm", data=MultiDict(values + [("take", "d-0")]))
    html = response.get_data(as_text=True)
    values = form_values(html, "/dispatches/import/confirm")
    fields = dict(values)
    assert fields["tasks-2-deadline_text"] == "trước ngày 20/12" and fields["tasks-2-lead_unit"] == ""
    assert "directives-0-text" not in fields
    assert db.session.scalar(select(Dispatch).where(Dispatch.number == 9, Dispatch.symbol == "HD/BTCTU")) is None

    values = [(k, v) for k, v in values if k != "tasks-2-lead_unit"] + [("tasks-2-lead_unit", "ban-to-chuc-tinh-uy")]
    response = web.post("/dispatches/import/confirm", data=MultiDict(values))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    dispatch = db.session.scalar(select(Dispatch).where(Dispatch.number == 9, Dispatch.symbol == "HD/BTCTU"))
    assert sorted((t.item, t.lead_unit.code) for t in dispatch.tasks) == [
        ("I.1", "so-noi-vu"), ("II.1", "ban-to-chuc-tinh-uy"), ("III.1", "ban-to-chuc-tinh-uy")]
    # "trước ngày 20/12" in a document of 10/11/2026 is 20/12/2026.
    taken = [t for t in dispatch.tasks if t.item == "II.1"][0]
    assert taken.deadline_text == "trước ngày 20/12"
    assert taken.deadline.astimezone(TZ).isoformat() == "2026-12-20T00:00:00+07:00"
    assert dispatch.directives == []


def test_a_bad_take_value_is_refused_without_saving(web, db, users):
    from tests.test_import_corpus import NOT_TAKEN

    token = csrf_token_from(office(web, users))
    html = web.post("/dispatches/import", data={"csrf_token": token, "text": NOT_TAKEN}).get_data(as_text=True)
    values = form_values(html, "/dispatches/import/confirm")
    for bad in ("n-99", "x-0", "n-", "d-abc"):
        response = web.post("/dispatches/import/confirm", data=MultiDict(values + [("take", bad)]))
        assert response.status_code == 400 and "Không tìm thấy đoạn cần tạo nhiệm vụ" in response.get_data(as_text=True)
    assert db.session.scalar(select(Dispatch).where(Dispatch.number == 9, Dispatch.symbol == "HD/BTCTU")) is None


def test_a_document_too_long_to_check_on_the_page_is_refused_with_a_message(web, users):
    """More directives than the confirmation page shows: a clear 413, not an error page."""
    from tests.test_import_corpus import NOT_TAKEN

    items = "\n".join(f"{n}.{m}. Các cơ quan, đơn vị quán triệt nội dung {n}.{m}."
                      for n in range(1, 27) for m in range(1, 21))
    text = NOT_TAKEN.replace("I. KẾT QUẢ NĂM 2025", items + "\n\nI. KẾT QUẢ NĂM 2025")
    token = csrf_token_from(office(web, users))
    response = web.post("/dispatches/import", data={"csrf_token": token, "text": text})
    assert response.status_code == 413
    assert "521 chỉ đạo chung, quá số dòng trang đối chiếu hiển thị được (tối đa 500)" in response.get_data(as_text=True)
