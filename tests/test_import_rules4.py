"""Import rules added in round 4 (import4, after blind set 4): headings "Đối với …:" that give
their units to what they head, and an organ's name that ends where its verb or adverb starts."""
from __future__ import annotations

import pytest

from bench import import_accuracy as bench
from tests.test_import import post_text
from workflow import importer

FOR_UNITS = """\
TỈNH ỦY LÂM ĐỒNG
*
Số 590-TB/TU

ĐẢNG CỘNG SẢN VIỆT NAM

Lâm Đồng, ngày 16 tháng 12 năm 2026

THÔNG BÁO
Kết luận của Thường trực Tỉnh ủy
-----

Thường trực Tỉnh ủy kết luận như sau:

1. Nhiệm vụ thời gian tới

1.1. Đối với Sở Nội vụ:
- Tham mưu UBND tỉnh hoàn thiện Đề án vị trí việc làm, trình trước ngày 31/3/2027.
- Phối hợp với Ban Tổ chức Tỉnh ủy rà soát cán bộ sau sắp xếp, hoàn thành trong quý II/2027.

1.2. Đối với các xã, phường:
- Rà soát, kiện toàn tổ chức bộ máy, báo cáo trước ngày 15/01/2027.

1.3. Đối với Ban Tổ chức Tỉnh ủy, Ủy ban Kiểm tra Tỉnh ủy:
- Hướng dẫn kiểm điểm, đánh giá, xếp loại cuối năm, xong trong tháng 12/2026.

1.4. Đối với công tác cán bộ:
- Bảo đảm đúng quy trình, công khai, minh bạch.

Văn phòng Tỉnh ủy thông báo để các cơ quan biết, thực hiện./.

Nơi nhận:
- Như trên,
- Lưu Văn phòng Tỉnh ủy.

T/L BAN THƯỜNG VỤ
CHÁNH VĂN PHÒNG

Trần Quốc Việt
"""


def test_a_heading_for_units_gives_them_to_its_bullets(api):
    """"1.1. Đối với Sở Nội vụ:" gives Sở Nội vụ to each bullet; "Đối với các xã, phường:" fans
    out to the communes; "Đối với Ban Tổ chức Tỉnh ủy, Ủy ban Kiểm tra Tỉnh ủy:" gives one task per
    unit; "Đối với công tác cán bộ:" names no unit: its bullet is a directive, not a task."""
    response = post_text(api, FOR_UNITS)
    assert response.status_code == 200, response.get_json()
    draft = response.get_json()
    communes = [t for t in draft["tasks"] if t["fan_out"] == "communes"]
    assert len(communes) == len({t["lead_unit"]["code"] for t in communes}) == 124
    got = [(t["item"], t["fan_out"] or t["lead_unit"]["code"], t["deadline"],
            [c["code"] for c in t["coordinating_units"]]) for t in draft["tasks"] if t not in communes[1:]]
    assert got == [
        ("1.1-1", "so-noi-vu", "2027-03-31T00:00:00+07:00", []),
        ("1.1-2", "so-noi-vu", "2027-06-30T23:59:59+07:00", ["ban-to-chuc-tinh-uy"]),
        ("1.2-1", "communes", "2027-01-15T00:00:00+07:00", []),
        ("1.3-1", "ban-to-chuc-tinh-uy", "2026-12-31T23:59:59+07:00", []),
        ("1.3-1", "uy-ban-kiem-tra-tinh-uy", "2026-12-31T23:59:59+07:00", []),
    ]
    assert draft["tasks"][0]["title"].startswith("Tham mưu UBND tỉnh hoàn thiện Đề án")
    assert [d["item"] for d in draft["directives"]] == ["1.4-1"]
    assert draft["unmatched"] == []


@pytest.fixture(scope="module")
def registry():
    return importer.Registry(bench.seed_units())


@pytest.mark.parametrize(("sentence", "leads"), [
    ("Đảng ủy Quân sự tỉnh tự giám sát việc thực hiện.", ["Đảng ủy Quân sự tỉnh"]),
    ("Công an tỉnh khẩn trương rà soát hồ sơ.", ["Công an tỉnh"]),
    ("Bộ Chỉ huy Quân sự tỉnh chủ động xây dựng phương án.", ["Bộ Chỉ huy Quân sự tỉnh"]),
    ("Liên đoàn Lao động tỉnh tích cực vận động đoàn viên.", ["Liên đoàn Lao động tỉnh"]),
    ("Trường Chính trị tỉnh sớm hoàn thiện chương trình.", ["Trường Chính trị tỉnh"]),
    ("Ban Nội chính Tỉnh ủy kịp thời tham mưu xử lý.", ["Ban Nội chính Tỉnh ủy"]),
    ("Hội Nông dân tỉnh đẩy nhanh việc giải ngân.", ["Hội Nông dân tỉnh"]),
    ("Đảng ủy các cơ quan Đảng tỉnh tự kiểm tra việc chấp hành.", ["Đảng ủy các cơ quan Đảng tỉnh"]),
    ("Đảng ủy Công an tỉnh, Đảng ủy Quân sự tỉnh tự rà soát nhân sự.",
     ["Đảng ủy Công an tỉnh", "Đảng ủy Quân sự tỉnh"]),
    # Words of a name are not verbs: "Đầu tư" is not "tự", "Tỉnh ủy" goes on after "tỉnh".
    ("Sở Kế hoạch và Đầu tư rà soát danh mục dự án.", ["Sở Kế hoạch và Đầu tư"]),
    ("Ban Tuyên giáo và Dân vận tỉnh ủy chủ trì tuyên truyền.", ["Ban Tuyên giáo và Dân vận tỉnh ủy"]),
])
def test_an_organs_name_ends_where_its_verb_starts(registry, sentence, leads):
    found = importer.actors.find_leads(sentence, registry)
    assert [a.mention.text for a in found] == leads
    assert all(a.mention.unit is None for a in found)


LIST_AND_EVENTS = """\
TỈNH ỦY LÂM ĐỒNG
VĂN PHÒNG
*
Số 260-CV/VPTU
V/v báo cáo công tác năm 2026

ĐẢNG CỘNG SẢN VIỆT NAM

Lâm Đồng, ngày 03 tháng 12 năm 2026

Kính gửi: Các cơ quan, đơn vị.

Văn phòng Tỉnh ủy đề nghị các cơ quan, đơn vị sau đây xây dựng báo cáo công tác năm 2026:
- Sở Y tế;
- Hội Nông dân tỉnh.
Báo cáo gửi về Văn phòng Tỉnh ủy trước ngày 15 tháng 12 năm 2026.

Giao Phòng Tổng hợp, Văn phòng Tỉnh ủy theo dõi, đôn đốc; định kỳ hằng năm tổng hợp, báo cáo Thường trực Tỉnh ủy trước ngày 20/12.

Văn phòng Tỉnh ủy đề nghị các cơ quan, đơn vị quan tâm thực hiện./.

Nơi nhận:
- Như trên,
- Lưu VPTU.

K/T CHÁNH VĂN PHÒNG
PHÓ CHÁNH VĂN PHÒNG

Nguyễn Văn Lâm
"""


def test_units_listed_under_an_introduction_a_room_of_the_office_and_a_yearly_clause(api):
    """"… các cơ quan, đơn vị sau đây …:" over bullets naming units: one task each with the
    deadline of the paragraph after the list (that paragraph is used, not listed); "Phòng Tổng hợp,
    Văn phòng Tỉnh ủy" is the office itself; "định kỳ hằng năm … trước ngày 20/12" recurs yearly."""
    draft = post_text(api, LIST_AND_EVENTS).get_json()
    got = [(t["item"], (t["lead_unit"] or {}).get("code") or "?" + t["lead_unit"]["text"], t["deadline"],
            t["recurrence"]) for t in draft["tasks"]]
    assert got == [
        ("1", "so-y-te", "2026-12-15T00:00:00+07:00", None),
        ("2", "?Hội Nông dân tỉnh", "2026-12-15T00:00:00+07:00", None),
        ("", "van-phong-tinh-uy", "2026-12-20T00:00:00+07:00", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=20"),
    ]
    assert draft["tasks"][0]["title"].startswith("Xây dựng báo cáo công tác năm 2026")
    assert draft["tasks"][2]["deadline_text"] == "trước ngày 20/12 hằng năm"
    assert [u["text"] for u in draft["unmatched"]] == ["Hội Nông dân tỉnh"]
    assert not any("Báo cáo gửi về" in n["text"] for n in draft["not_taken"])


CONCLUSIONS = """\
TỈNH ỦY LÂM ĐỒNG
*
Số 580-TB/TU

ĐẢNG CỘNG SẢN VIỆT NAM

Lâm Đồng, ngày 10 tháng 12 năm 2026

THÔNG BÁO
Kết luận của Thường trực Tỉnh ủy
-----

Thường trực Tỉnh ủy kết luận:

1. Sở Xây dựng đã tập trung tháo gỡ vướng mắc về giải phóng mặt bằng.

2. Sở Tài chính rà soát nguồn vốn đầu tư công. Thời gian hoàn thành: quý I/2027.

3. Ủy ban Kiểm tra Tỉnh ủy giám sát việc thực hiện các dự án. Thời gian: 6 tháng đầu năm 2027.

4. Sở Nội vụ báo cáo Ban Thường vụ Tỉnh ủy kết quả sắp xếp bộ máy trước kỳ họp Hội nghị Tỉnh ủy cuối năm.

5. Sở Y tế trình UBND tỉnh phương án tại kỳ họp thường lệ cuối năm.

Văn phòng Tỉnh ủy thông báo để các cơ quan biết, thực hiện./.

Nơi nhận:
- Như trên,
- Lưu Văn phòng Tỉnh ủy.

T/L BAN THƯỜNG VỤ
CHÁNH VĂN PHÒNG

Lê Thị Thu Hà
"""


def test_a_report_a_deadline_in_the_next_sentence_and_a_meeting_without_a_date(api):
    """"Sở Xây dựng đã tập trung …" says what was done: no task (shown as a directive); "Thời gian
    hoàn thành: quý I/2027" / "Thời gian: 6 tháng đầu năm 2027" in the next sentence are the
    deadlines; "trước kỳ họp Hội nghị Tỉnh ủy cuối năm" has no date: no task with an invented date,
    listed with its reason and its unit; "trình … tại kỳ họp thường lệ cuối năm" says where, not
    when: a task without a deadline."""
    draft = post_text(api, CONCLUSIONS).get_json()
    got = [(t["item"], t["lead_unit"]["code"], t["deadline"]) for t in draft["tasks"]]
    assert got == [
        ("2", "so-tai-chinh", "2027-03-31T23:59:59+07:00"),
        ("3", "uy-ban-kiem-tra-tinh-uy", "2027-06-30T23:59:59+07:00"),
        ("5", "so-y-te", None),
    ]
    assert [d["item"] for d in draft["directives"]] == ["1"]
    [event] = [n for n in draft["not_taken"] if n["item"] == "4"]
    assert "trước kỳ họp Hội nghị Tỉnh ủy cuối năm" in event["reason"]
    assert event["lead_unit"]["code"] == "so-noi-vu"


@pytest.mark.parametrize("which", ["blind4", "blind5"])
def test_the_blind_sets_4_and_5_stay_read_in_full_after_their_first_measure(which):
    """Blind sets 4 and 5 (measured once at first sight, then the general rules above) stay at
    every task found, every field right, no extra task, every unknown unit flagged, nothing
    dropped silently (the undated meeting of blind5/tb-575 2.3 and the group of blind5/cv-1960
    item 1 listed, not made tasks)."""
    rows, total = bench.run(which)
    assert total.documents >= 4
    assert total.found_ratio == 1.0, total.errors
    assert total.fields_right == 1.0, total.errors
    assert total.extra == 0, total.errors
    assert total.flagged_ratio == 1.0, total.errors
    assert total.silent_drops == 0, total.errors
