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
