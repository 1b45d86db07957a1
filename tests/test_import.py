"""Importing a dispatch from its text or .docx (issue 7): the three seed dispatches give back
what the seed data holds; dispatches written in the same style with other units, numbers,
dates and deadline wordings import right; refusals; the confirmation creates a draft."""
from __future__ import annotations

import io
import re
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from models import Dispatch, Holiday, Task, Unit
from tests.conftest import TZ, local
from workflow.deadlines import add_working_days

# The seed dispatches' texts, copied from the project's shared seeds so a clean checkout tests them.
SEEDS = Path(__file__).resolve().parent / "data" / "seeds"
DATA = Path(__file__).resolve().parents[1] / "workflow" / "data" / "dispatches"
SEED_FILES = {"1534-CV-TU.yaml": "cv-1534-TU.txt", "1640-CV-BTCTU.yaml": "cv-1640-BTCTU.txt",
              "1775-CV-TU.yaml": "cv-1775-TU.txt"}
TEXT = "text/plain; charset=utf-8"


def ws(text) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip()


def seed_text(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


def post_text(api, text: str, user="office"):
    return api.post("/api/v1/dispatches/import", user, data=text.encode("utf-8"), content_type=TEXT)


def by_item(draft: dict) -> dict:
    return {t["item"]: t for t in draft["tasks"]}


# --- The three seed dispatches -------------------------------------------------------------------

@pytest.mark.parametrize("data_file", sorted(SEED_FILES))
def test_seed_dispatch_imports_as_the_seed_holds_it(api, db, data_file):
    seed = yaml.safe_load((DATA / data_file).read_text(encoding="utf-8"))
    response = post_text(api, seed_text(SEED_FILES[data_file]))
    assert response.status_code == 200, response.get_json()
    draft = response.get_json()

    # Header.
    assert draft["number"] == f"{seed['number']}-{seed['symbol']}"
    assert draft["kind"] == seed["kind"]
    assert draft["issuer"]["code"] == seed["issuer"]
    assert draft["issued_on"] == seed["issued_on"].isoformat()
    assert draft["subject"] == ws(seed["subject"])
    assert draft["recipients"] == seed["recipients"]
    assert draft["recipient_codes"] == seed["recipient_codes"]
    assert draft["distribution"] == seed["distribution"]
    for name in ("signing_authority", "signer_title", "signer_name"):
        assert draft[name] == seed[name], name
    assert [ws(r) for r in draft["references"]] == [ws(r) for r in seed["references"]]
    assert draft["status"] == "draft" and draft["unmatched"] == []
    assert [(d["item"], ws(d["text"])) for d in draft["directives"]] == \
        [(str(d["item"]), ws(d["text"])) for d in seed["directives"]]

    # Tasks: the same items, lead and coordinating units, deadline wordings, and the deadlines,
    # recurrences and periods the seeded tasks carry in the database.
    seeded = {t.item: t for t in db.session.scalars(
        select(Task).join(Dispatch).where(Dispatch.number == seed["number"], Dispatch.symbol == seed["symbol"],
                                          Task.series_id.is_(None)))}
    tasks = by_item(draft)
    assert list(tasks) == [str(t["item"]) for t in seed["tasks"]]
    for spec in seed["tasks"]:
        item = str(spec["item"])
        got, task = tasks[item], seeded[item]
        assert got["lead_unit"]["code"] == spec["lead"], item
        assert sorted(c["code"] for c in got["coordinating_units"]) == sorted(spec.get("coordinating", [])), item
        assert got["deadline_text"] == spec["deadline_text"], item
        expected = task.deadline.astimezone(TZ).isoformat() if task.deadline else None
        assert got["deadline"] == expected, item
        assert got["recurrence"] == task.recurrence and got["period"] == task.period, item
        assert got["fan_out"] is None
        if data_file != "1640-CV-BTCTU.yaml":  # 1640's task title is composed by the seed's author
            assert got["title"] == ws(spec["title"]), item


def test_1640_is_one_task_for_dang_uy_ubnd_tinh_not_a_fan_out(api):
    draft = post_text(api, seed_text("cv-1640-BTCTU.txt")).get_json()
    assert len(draft["tasks"]) == 1
    task = draft["tasks"][0]
    assert task["lead_unit"]["code"] == "dang-uy-ubnd-tinh"
    assert task["deadline"] == "2026-06-30T00:00:00+07:00"
    assert "124 xã, phường, đặc khu" in task["title"] and "gửi về Ban Tổ chức Tỉnh ủy" in task["title"]
    # The quotation of Hướng dẫn 01-HD/TU ("Giao Đảng UBND tỉnh …") is not a task of this dispatch.
    assert "trước ngày 30 của tháng cuối quý" not in task["title"]


def test_import_does_not_save_anything(api, db):
    before = db.session.scalar(select(Dispatch.id).order_by(Dispatch.id.desc()))
    assert post_text(api, seed_text("cv-1775-TU.txt")).status_code == 200
    assert db.session.scalar(select(Dispatch.id).order_by(Dispatch.id.desc())) == before


# --- Dispatches written in the same style by someone else --------------------------------------

BAN_TUYEN_GIAO = """\
TỈNH ỦY LÂM ĐỒNG
BAN TUYÊN GIÁO VÀ DÂN VẬN
*
Số 245-CV/BTGDVTU

V/v tuyên truyền kỷ niệm 80 năm Ngày Toàn quốc kháng chiến
và triển khai sổ tay chuyển đổi số

ĐẢNG CỘNG SẢN VIỆT NAM

Lâm Đồng, ngày 20 tháng 11 năm 2026

Kính gửi:
- Sở Văn hóa, Thể thao và Du lịch,
- Sở Giáo dục và Đào tạo,
- Sở KH&CN,
- Các xã, phường, đặc khu.

Căn cứ Kế hoạch số 12-KH/TU, ngày 05/11/2026 của Ban Thường vụ Tỉnh ủy về công tác tuyên truyền năm 2027, Ban Tuyên giáo và Dân vận Tỉnh ủy đề nghị các cơ quan, đơn vị thực hiện các nội dung sau:

1. Các cơ quan, đơn vị quán triệt, tuyên truyền sâu rộng ý nghĩa lịch sử của Ngày Toàn quốc kháng chiến trong cán bộ, đảng viên và Nhân dân.

2. Giao Sở Văn hóa, Thể thao và Du lịch chủ trì, phối hợp với Sở GD&ĐT và Sở Khoa học và Công nghệ xây dựng kế hoạch tổ chức các hoạt động kỷ niệm, hoàn thành **chậm nhất ngày 15/12/2026**.

3. Đề nghị Sở KH&CN rà soát, biên soạn sổ tay chuyển đổi số cho cán bộ cơ sở, gửi dự thảo về Ban Tuyên giáo và Dân vận Tỉnh ủy **trong 10 ngày làm việc kể từ ngày ban hành công văn**.

4. Giao các xã, phường, đặc khu tổ chức tuyên truyền trên hệ thống truyền thanh cơ sở, báo cáo kết quả về Ban Tuyên giáo và Dân vận Tỉnh ủy **trước ngày 25 hằng tháng**.

5. Giao Sở Nội vụ tổng hợp kết quả tuyên truyền của các xã, phường, đặc khu, báo cáo Thường trực Tỉnh ủy **trong quý I/2027**.

6. Giao Sở Du lịch phối hợp với Trung tâm Phát triển quỹ đất tỉnh khảo sát các di tích kháng chiến, báo cáo **trước ngày 10/01/2027**.

Ban Tuyên giáo và Dân vận Tỉnh ủy đề nghị các cơ quan, đơn vị quan tâm phối hợp thực hiện./.

Nơi nhận:
- Như trên,
- Thường trực Tỉnh ủy (để b/c),
- Lưu VT.

K/T TRƯỞNG BAN
PHÓ TRƯỞNG BAN



Trần Thị Mai
"""

VAN_PHONG = """\
TỈNH ỦY LÂM ĐỒNG
VĂN PHÒNG
*
Số: 88-CV/VPTU
Về việc chuẩn bị báo cáo kinh tế - xã hội năm 2026
ĐẢNG CỘNG SẢN VIỆT NAM
Lâm Đồng, ngày 02 tháng 12 năm 2026
Kính gửi: Sở Tài chính; Sở Xây dựng; UBND Tỉnh.
Căn cứ Kết luận số 15-KL/TU ngày 20/11/2026 của Ban Thường vụ Tỉnh ủy, Văn phòng Tỉnh ủy đề nghị:
1. Sở Tài chính chủ trì, phối hợp với Sở Xây dựng rà soát số liệu giải ngân vốn đầu tư công, gửi Văn phòng Tỉnh ủy trước 16 giờ 00 phút ngày 10/12/2026.
2. Giao Ủy ban nhân dân tỉnh:
a) Chỉ đạo hoàn thiện dự thảo báo cáo kinh tế - xã hội năm 2026, hoàn thành trong tháng 12/2026.
b) Phối hợp với UBKT TU và Ban Tổ chức TU cập nhật tình hình thực hiện các chỉ tiêu trước ngày 30 của tháng cuối quý.
3. Giao Văn phòng UBND tỉnh theo dõi, đôn đốc và báo cáo tiến độ thường xuyên.
Văn phòng Tỉnh ủy đề nghị các cơ quan quan tâm thực hiện./.
Nơi nhận:
- Như trên,
- Lưu VPTU.
TL. BAN THƯỜNG VỤ
CHÁNH VĂN PHÒNG
Nguyễn Văn An
"""


@pytest.fixture()
def ban_tuyen_giao(db):
    """The organ created by the 2025 merger, as the administrator would add it."""
    unit = Unit(code="ban-tuyen-giao-va-dan-van-tinh-uy", name="Ban Tuyên giáo và Dân vận Tỉnh ủy", kind="party",
                aliases=["BTGDVTU"], active=True)
    db.session.add(unit)
    db.session.flush()
    return unit


def test_ban_tuyen_giao_dispatch_with_fan_out_working_days_and_an_unknown_unit(api, db, ban_tuyen_giao):
    response = post_text(api, BAN_TUYEN_GIAO)
    assert response.status_code == 200, response.get_json()
    draft = response.get_json()
    assert draft["number"] == "245-CV/BTGDVTU" and draft["issued_on"] == "2026-11-20"
    assert draft["issuer"]["code"] == "ban-tuyen-giao-va-dan-van-tinh-uy"
    assert draft["subject"] == ("V/v tuyên truyền kỷ niệm 80 năm Ngày Toàn quốc kháng chiến "
                                "và triển khai sổ tay chuyển đổi số")
    assert draft["recipients"] == ["Sở Văn hóa, Thể thao và Du lịch", "Sở Giáo dục và Đào tạo", "Sở KH&CN",
                                   "Các xã, phường, đặc khu"]
    assert draft["recipient_codes"] == ["so-van-hoa-the-thao-va-du-lich", "so-giao-duc-va-dao-tao",
                                        "so-khoa-hoc-va-cong-nghe"]
    assert draft["references"] == ["Kế hoạch số 12-KH/TU, ngày 05/11/2026 của Ban Thường vụ Tỉnh ủy về công tác "
                                   "tuyên truyền năm 2027"]
    assert (draft["signing_authority"], draft["signer_title"], draft["signer_name"]) == \
        ("K/T TRƯỞNG BAN", "PHÓ TRƯỞNG BAN", "Trần Thị Mai")
    assert draft["distribution"] == ["Như trên", "Thường trực Tỉnh ủy (để b/c)", "Lưu VT"]
    assert [d["item"] for d in draft["directives"]] == ["1"]

    tasks = draft["tasks"]
    item2 = [t for t in tasks if t["item"] == "2"]
    assert len(item2) == 1 and item2[0]["lead_unit"]["code"] == "so-van-hoa-the-thao-va-du-lich"
    assert [c["code"] for c in item2[0]["coordinating_units"]] == ["so-giao-duc-va-dao-tao", "so-khoa-hoc-va-cong-nghe"]
    assert item2[0]["deadline_text"] == "chậm nhất ngày 15/12/2026"
    assert item2[0]["deadline"] == "2026-12-15T23:59:59+07:00"
    assert item2[0]["title"].startswith("Xây dựng kế hoạch tổ chức các hoạt động kỷ niệm")

    item3 = [t for t in tasks if t["item"] == "3"]
    assert item3[0]["lead_unit"]["code"] == "so-khoa-hoc-va-cong-nghe"  # "Sở KH&CN"
    assert item3[0]["deadline_text"] == "trong 10 ngày làm việc kể từ ngày ban hành công văn"
    # Ten working days from Friday 20/11/2026, skipping the weekends and the holiday of 24/11
    # (Ngày Văn hóa Việt Nam, in the holiday table): Monday 7/12/2026.
    holidays = [h.date for h in db.session.scalars(select(Holiday))]
    assert date(2026, 11, 24) in holidays
    assert add_working_days(date(2026, 11, 20), 10, holidays) == date(2026, 12, 7)
    assert item3[0]["deadline"] == "2026-12-07T23:59:59+07:00"

    # Item 4 is addressed to the communes: one task per commune-level unit.
    communes = set(db.session.scalars(select(Unit.code).where(Unit.kind == "commune")))
    item4 = [t for t in tasks if t["item"] == "4"]
    assert len(communes) == 124 and {t["lead_unit"]["code"] for t in item4} == communes and len(item4) == 124
    assert all(t["fan_out"] == "communes" and t["recurrence"] == "FREQ=MONTHLY;BYMONTHDAY=25" for t in item4)
    assert item4[0]["deadline"] == "2026-11-25T00:00:00+07:00" and item4[0]["period"] == "2026-11"

    # Item 5 only mentions the communes: one task for Sở Nội vụ.
    item5 = [t for t in tasks if t["item"] == "5"]
    assert len(item5) == 1 and item5[0]["lead_unit"]["code"] == "so-noi-vu"
    assert item5[0]["deadline"] == "2027-03-31T23:59:59+07:00"

    # Item 6: "Sở Du lịch" is no unit of the registry: flagged, with the coordinating unit it names.
    item6 = [t for t in tasks if t["item"] == "6"][0]
    assert item6["lead_unit"] == {"code": None, "name": None, "text": "Sở Du lịch"}
    assert [c["code"] for c in item6["coordinating_units"]] == ["trung-tam-phat-trien-quy-dat-tinh"]
    assert item6["deadline"] == "2027-01-10T00:00:00+07:00"
    assert [(u["field"], u["item"], u["text"]) for u in draft["unmatched"]] == [("lead_unit", "6", "Sở Du lịch")]
    assert any(s["code"] == "so-van-hoa-the-thao-va-du-lich" for s in draft["unmatched"][0]["suggestions"])
    assert len(tasks) == 1 + 1 + 124 + 1 + 1


def test_van_phong_dispatch_with_subject_first_lead_heading_letters_and_abbreviations(api):
    response = post_text(api, VAN_PHONG)
    assert response.status_code == 200, response.get_json()
    draft = response.get_json()
    assert draft["number"] == "88-CV/VPTU" and draft["issuer"]["code"] == "van-phong-tinh-uy"
    assert draft["issued_on"] == "2026-12-02"
    assert draft["subject"] == "Về việc chuẩn bị báo cáo kinh tế - xã hội năm 2026"
    assert draft["recipients"] == ["Sở Tài chính", "Sở Xây dựng", "UBND Tỉnh"]
    assert draft["recipient_codes"] == ["so-tai-chinh", "so-xay-dung", "ubnd-tinh"]
    assert draft["references"] == ["Kết luận số 15-KL/TU ngày 20/11/2026 của Ban Thường vụ Tỉnh ủy"]
    assert (draft["signing_authority"], draft["signer_title"], draft["signer_name"]) == \
        ("TL. BAN THƯỜNG VỤ", "CHÁNH VĂN PHÒNG", "Nguyễn Văn An")
    tasks = by_item(draft)
    assert list(tasks) == ["1", "2.a", "2.b", "3"] and draft["directives"] == []
    assert tasks["1"]["lead_unit"]["code"] == "so-tai-chinh"
    assert [c["code"] for c in tasks["1"]["coordinating_units"]] == ["so-xay-dung"]
    assert tasks["1"]["deadline"] == "2026-12-10T16:00:00+07:00"
    assert tasks["2.a"]["lead_unit"]["code"] == "ubnd-tinh"
    assert tasks["2.a"]["deadline"] == "2026-12-31T23:59:59+07:00"
    assert tasks["2.b"]["lead_unit"]["code"] == "ubnd-tinh"
    assert [c["code"] for c in tasks["2.b"]["coordinating_units"]] == ["uy-ban-kiem-tra-tinh-uy",
                                                                       "ban-to-chuc-tinh-uy"]
    assert tasks["2.b"]["recurrence"] == "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=30"
    assert tasks["2.b"]["deadline"] == "2026-12-30T00:00:00+07:00"
    assert tasks["3"]["lead_unit"]["code"] == "van-phong-ubnd-tinh"
    assert tasks["3"]["deadline_text"] is None and tasks["3"]["deadline"] is None


def docx_bytes() -> bytes:
    """A dispatch as Word lays it out: the header and the signature in tables, a data table."""
    from docx import Document

    document = Document()
    header = document.add_table(rows=2, cols=2)
    header.cell(0, 0).text = "TỈNH ỦY LÂM ĐỒNG"
    header.cell(0, 0).add_paragraph("*")
    header.cell(0, 1).text = "ĐẢNG CỘNG SẢN VIỆT NAM"
    header.cell(1, 0).text = "Số 312-CV/TU"
    header.cell(1, 0).add_paragraph("V/v tăng cường phòng, chống dịch sốt xuất huyết")
    header.cell(1, 1).text = "Lâm Đồng, ngày 14 tháng 01 năm 2027"
    document.add_paragraph("Kính gửi:")
    document.add_paragraph("- Đảng ủy UBND tỉnh,")
    document.add_paragraph("- Sở Y tế.")
    document.add_paragraph("Thực hiện Chỉ thị số 05-CT/TW, ngày 02/01/2027 của Ban Bí thư; "
                           "Ban Thường vụ Tỉnh ủy yêu cầu:")
    paragraph = document.add_paragraph("1. Giao Sở Y tế chủ trì, phối hợp với Sở Giáo dục và Đào tạo tổ chức chiến "
                                       "dịch diệt lăng quăng, báo cáo kết quả ")
    paragraph.add_run("chậm nhất ngày 20/01/2027").bold = True
    paragraph.add_run(".")
    document.add_paragraph("2. Đề nghị Đảng ủy các xã, phường, đặc khu lãnh đạo ra quân vệ sinh môi trường, "
                           "báo cáo Sở Y tế trước ngày 31/01/2027.")
    data = document.add_table(rows=2, cols=3)
    for col, value in enumerate(("TT", "Chỉ tiêu", "Kết quả")):
        data.cell(0, col).text = value
    for col, value in enumerate(("1", "Số ổ dịch được xử lý", "")):
        data.cell(1, col).text = value
    document.add_paragraph("Ban Thường vụ Tỉnh ủy yêu cầu các cơ quan, đơn vị nghiêm túc thực hiện./.")
    footer = document.add_table(rows=1, cols=2)
    footer.cell(0, 0).text = "Nơi nhận:"
    footer.cell(0, 0).add_paragraph("- Như trên,")
    footer.cell(0, 0).add_paragraph("- Lưu Văn phòng Tỉnh ủy.")
    footer.cell(0, 1).text = "T/M BAN THƯỜNG VỤ"
    footer.cell(0, 1).add_paragraph("BÍ THƯ")
    footer.cell(0, 1).add_paragraph("")
    footer.cell(0, 1).add_paragraph("Lê Văn Bình")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_upload_is_read_with_its_tables(api, db):
    response = api.post("/api/v1/dispatches/import", "office",
                        data={"file": (io.BytesIO(docx_bytes()), "cv-312.docx")}, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    draft = response.get_json()
    assert draft["number"] == "312-CV/TU" and draft["issued_on"] == "2027-01-14"
    assert draft["subject"] == "V/v tăng cường phòng, chống dịch sốt xuất huyết"
    assert draft["recipients"] == ["Đảng ủy UBND tỉnh", "Sở Y tế"]
    assert draft["references"] == ["Chỉ thị số 05-CT/TW, ngày 02/01/2027 của Ban Bí thư"]
    assert draft["distribution"] == ["Như trên", "Lưu Văn phòng Tỉnh ủy"]
    assert (draft["signing_authority"], draft["signer_title"], draft["signer_name"]) == \
        ("T/M BAN THƯỜNG VỤ", "BÍ THƯ", "Lê Văn Bình")
    first = [t for t in draft["tasks"] if t["item"] == "1"]
    assert len(first) == 1 and first[0]["lead_unit"]["code"] == "so-y-te"
    assert first[0]["coordinating_units"][0]["code"] == "so-giao-duc-va-dao-tao"
    assert first[0]["deadline"] == "2027-01-20T23:59:59+07:00"
    second = [t for t in draft["tasks"] if t["item"] == "2"]
    assert len(second) == 124 and all(t["deadline"] == "2027-01-31T00:00:00+07:00" for t in second)


def test_txt_upload_and_json_body(api):
    response = api.post("/api/v1/dispatches/import", "office", content_type="multipart/form-data",
                        data={"file": (io.BytesIO(VAN_PHONG.encode("utf-8")), "cv-88.txt")})
    assert response.status_code == 200 and response.get_json()["number"] == "88-CV/VPTU"
    response = api.post("/api/v1/dispatches/import", "office", json={"text": VAN_PHONG})
    assert response.status_code == 200 and response.get_json()["number"] == "88-CV/VPTU"


# --- Refusals ------------------------------------------------------------------------------------

def test_text_that_is_not_a_dispatch_is_refused_with_a_vietnamese_message(api):
    response = post_text(api, "Danh sách mua sắm:\n- Giấy A4\n- Mực in\n")
    assert response.status_code == 422
    assert response.get_json()["error"].startswith("Nội dung không phải là một công văn")
    assert "Số 1534-CV/TU" in response.get_json()["error"]
    response = post_text(api, "   \n")
    assert response.status_code == 422 and "trống" in response.get_json()["error"]


def test_unreadable_docx_and_wrong_types_and_sizes(api, app, monkeypatch):
    def upload(data: bytes, name: str):
        return api.post("/api/v1/dispatches/import", "office", content_type="multipart/form-data",
                        data={"file": (io.BytesIO(data), name)})

    response = upload(b"this is not a zip", "hong.docx")
    assert response.status_code == 422 and "Không đọc được tệp .docx" in response.get_json()["error"]
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "xin chào")
    response = upload(buffer.getvalue(), "khong-phai-word.docx")
    assert response.status_code == 422 and "word/document.xml" in response.get_json()["error"]
    response = upload(b"%PDF-1.7", "cong-van.pdf")
    assert response.status_code == 415 and ".txt hoặc .docx" in response.get_json()["error"]
    response = upload("Số 1-CV/TU".encode("cp1258", errors="replace") + b"\xff\xfe", "latin.txt")
    assert response.status_code == 400 and "UTF-8" in response.get_json()["error"]
    response = api.post("/api/v1/dispatches/import", "office", data=b"<xml/>", content_type="application/xml")
    assert response.status_code == 415
    response = api.post("/api/v1/dispatches/import", "office", data="abc".encode("utf-16"),
                        content_type="text/plain; charset=utf-16")
    assert response.status_code == 415
    response = api.post("/api/v1/dispatches/import", "office", content_type="multipart/form-data", data={})
    assert response.status_code == 400 and "file" in response.get_json()["error"]
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1000)
    response = post_text(api, VAN_PHONG * 3)
    assert response.status_code == 413 and "quá lớn" in response.get_json()["error"]


def test_only_the_office_imports(api):
    text = seed_text("cv-1534-TU.txt")
    assert post_text(api, text, user="taichinh").status_code == 403
    assert post_text(api, text, user="leader").status_code == 403
    assert post_text(api, text, user=None).status_code == 401
    assert api.post("/api/v1/dispatches/import/confirm", "leader", json={}).status_code == 403


# --- Confirmation --------------------------------------------------------------------------------

def test_confirm_creates_a_draft_keeping_number_and_date_with_its_tasks(api, db, users, ban_tuyen_giao,
                                                                        frozen_now):
    frozen_now(local(2026, 11, 21, 9, 0))
    draft = post_text(api, BAN_TUYEN_GIAO).get_json()
    # The office chooses the unit for the unmatched "Sở Du lịch" and drops one commune task.
    for task in draft["tasks"]:
        if task["lead_unit"]["code"] is None:
            task["lead_unit"] = {"code": "so-van-hoa-the-thao-va-du-lich"}
    dropped = draft["tasks"].pop(5)
    assert dropped["fan_out"] == "communes"
    response = api.post("/api/v1/dispatches/import/confirm", "office", json=draft)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["number"] == "245-CV/BTGDVTU" and body["status"] == "draft" and body["issued_on"] == "2026-11-20"
    assert response.headers["Location"] == "/api/v1/dispatches/245-CV/BTGDVTU"
    assert len(body["tasks"]) == 1 + 1 + 123 + 1 + 1
    assert body["directives"] == draft["directives"]
    dispatch = db.session.scalar(select(Dispatch).where(Dispatch.number == 245, Dispatch.symbol == "CV/BTGDVTU"))
    assert dispatch.source_text.startswith("TỈNH ỦY LÂM ĐỒNG") and dispatch.year == 2026
    assert dispatch.created_by_id is not None and dispatch.recipient_codes[0] == "so-van-hoa-the-thao-va-du-lich"
    item3 = [t for t in dispatch.tasks if t.item == "3"][0]
    assert item3.deadline == datetime(2026, 12, 7, 23, 59, 59, tzinfo=TZ)
    assert item3.events[0].event == "create" and "245-CV/BTGDVTU" in item3.events[0].note
    item6 = [t for t in dispatch.tasks if t.item == "6"][0]
    assert item6.lead_unit.code == "so-van-hoa-the-thao-va-du-lich"
    assert [u.code for u in item6.coordinating_units] == ["trung-tam-phat-trien-quy-dat-tinh"]
    # The draft is visible through the dispatch API and can be issued keeping its number.
    detail = api.get("/api/v1/dispatches/245-CV/BTGDVTU", "office").get_json()
    assert detail["status"] == "draft" and len(detail["tasks"]) == 127
    # Drafts are the office's: a department does not see it yet.
    assert api.get("/api/v1/dispatches/245-CV/BTGDVTU", "taichinh").status_code == 404
    from workflow.services.dispatches import issue_dispatch

    issued = issue_dispatch(users["office"], str(dispatch.id), now=local(2026, 11, 21, 10, 0))
    assert issued.status == "issued" and issued.full_number == "245-CV/BTGDVTU"
    assert issued.issued_on == date(2026, 11, 20)


def test_confirm_refuses_unmatched_units_existing_numbers_and_bad_wordings(api, db, ban_tuyen_giao):
    draft = post_text(api, BAN_TUYEN_GIAO).get_json()
    before = db.session.scalar(select(Task.id).order_by(Task.id.desc()))
    response = api.post("/api/v1/dispatches/import/confirm", "office", json=draft)
    assert response.status_code == 400 and "Chưa chọn đơn vị chủ trì cho mục 6" in response.get_json()["error"]
    assert "Sở Du lịch" in response.get_json()["error"]
    for task in draft["tasks"]:
        if task["lead_unit"]["code"] is None:
            task["lead_unit"] = "so-van-hoa-the-thao-va-du-lich"
    draft["tasks"][0]["deadline_text"] = "khi nào xong"
    response = api.post("/api/v1/dispatches/import/confirm", "office", json=draft)
    assert response.status_code == 400 and "khi nào xong" in response.get_json()["error"]
    draft["tasks"][0]["deadline_text"] = None
    draft["tasks"][0]["coordinating_units"] = [{"code": None, "text": "Sở Bí ẩn"}]
    response = api.post("/api/v1/dispatches/import/confirm", "office", json=draft)
    assert response.status_code == 400 and "Sở Bí ẩn" in response.get_json()["error"]
    assert db.session.scalar(select(Task.id).order_by(Task.id.desc())) == before

    # 1534-CV/TU of 2026 is already in the system (the seed).
    seed = post_text(api, seed_text("cv-1534-TU.txt")).get_json()
    assert any("đã có trong hệ thống" in w for w in seed["warnings"])
    response = api.post("/api/v1/dispatches/import/confirm", "office", json=seed)
    assert response.status_code == 409 and "1534-CV/TU" in response.get_json()["error"]
    for bad in ({"number": "abc"}, {"issuer": None}, {"issued_on": "08/05/2026"}, {"subject": ""}, {"tasks": "x"}):
        response = api.post("/api/v1/dispatches/import/confirm", "office", json={**seed, **bad})
        assert response.status_code == 400, bad
    assert api.post("/api/v1/dispatches/import/confirm", "office", json=[1]).status_code == 400


# --- Unit matching ---------------------------------------------------------------------------------

def test_unit_names_match_across_case_diacritics_and_abbreviations(db):
    from workflow.services.imports import registry

    units = registry()
    cases = {
        "Sở KH&CN": "so-khoa-hoc-va-cong-nghe", "SỞ KHOA HỌC VÀ CÔNG NGHỆ": "so-khoa-hoc-va-cong-nghe",
        "so khoa hoc va cong nghe": "so-khoa-hoc-va-cong-nghe", "UBND tỉnh": "ubnd-tinh",
        "Ủy ban nhân dân tỉnh Lâm Đồng": "ubnd-tinh", "Uỷ ban Kiểm tra Tỉnh uỷ": "uy-ban-kiem-tra-tinh-uy",
        "UBKT Tỉnh ủy": "uy-ban-kiem-tra-tinh-uy", "BTV Tỉnh ủy": "ban-thuong-vu-tinh-uy",
        "BTC Tỉnh ủy": "ban-to-chuc-tinh-uy", "VP UBND tỉnh": "van-phong-ubnd-tinh", "HĐND tỉnh": "hoi-dong-nhan-dan-tinh",
        "Ban thường vụ Đảng ủy UBND tỉnh": "dang-uy-ubnd-tinh", "Đảng ủy Ủy ban nhân dân tỉnh": "dang-uy-ubnd-tinh",
        "VP Tỉnh ủy": "van-phong-tinh-uy", "Văn phòng TU": "van-phong-tinh-uy", "so-tai-chinh": "so-tai-chinh",
        "Phường Lâm Viên - Đà Lạt": "phuong-lam-vien-da-lat", "phuong lam vien da lat": "phuong-lam-vien-da-lat",
    }
    for text, code in cases.items():
        found = units.lookup(text)
        assert found is not None and found.code == code, text
    for text in ("Sở Du lịch", "Ban Thường vụ các đảng ủy trực thuộc Tỉnh ủy", "tu", ""):
        assert units.lookup(text) is None, text
    # "Ban Thường vụ" is Ban Thường vụ Tỉnh ủy, but not inside "Ban Thường vụ các đảng ủy …".
    assert units.match_prefix("Ban Thường vụ các đảng ủy trực thuộc", 0)[0] is None
