"""Vietnamese order of names and the date formats of the pages."""
from __future__ import annotations

import random
from datetime import date, datetime, timezone

import pytest

from tests.conftest import local
from workflow.text import vi_sort_key, vi_sorted
from workflow.web.charts import nice_max
from workflow.web.filters import date_in_words, due_phrase, format_date, format_datetime, number_vn, percent_vn


def shuffled(items):
    items = list(items)
    random.Random(7).shuffle(items)
    return items


@pytest.mark.parametrize("expected", [
    # letters in the order of the Vietnamese alphabet: a ă â b c d đ e ê … o ô ơ … u ư v x y
    ["a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "g", "h", "i", "k", "l", "m", "n", "o", "ô", "ơ", "p",
     "q", "r", "s", "t", "u", "ư", "v", "x", "y"],
    # tones after letters: none, huyền, hỏi, ngã, sắc, nặng
    ["ma", "mà", "mả", "mã", "má", "mạ"],
    # the whole word's letters decide before any tone does
    ["Ma Văn B", "Mà Văn C", "Mai Thị A"],
    # d before đ, however the rest is spelled
    ["Di Linh", "Dũng", "Đà Lạt", "Đạ Tẻh"],
    ["On", "Ông", "Ơn", "Pa"],
    ["U Minh", "Ưng Hòa", "Vân"],
    # lower case before upper case when all else is equal
    ["an", "An"],
])
def test_vietnamese_alphabet_and_tones(expected):
    assert vi_sorted(shuffled(expected)) == expected


def test_unit_names_sort_as_a_vietnamese_reader_expects():
    names = ["Sở Y tế", "Ủy ban Kiểm tra Tỉnh ủy", "Ban Tổ chức Tỉnh ủy", "Đảng ủy UBND tỉnh", "Sở Tài chính",
             "Sở Xây dựng", "Văn phòng Tỉnh ủy", "Sở Dân tộc và Tôn giáo", "Sở Công Thương", "Xã Đạ Huoai",
             "Xã Di Linh", "Phường Lâm Viên - Đà Lạt", "Phường Bảo Lộc 1", "Ủy ban nhân dân tỉnh"]
    expected = [
        "Ban Tổ chức Tỉnh ủy", "Đảng ủy UBND tỉnh", "Phường Bảo Lộc 1", "Phường Lâm Viên - Đà Lạt",
        "Sở Công Thương", "Sở Dân tộc và Tôn giáo", "Sở Tài chính", "Sở Xây dựng", "Sở Y tế",
        "Ủy ban Kiểm tra Tỉnh ủy", "Ủy ban nhân dân tỉnh", "Văn phòng Tỉnh ủy", "Xã Di Linh", "Xã Đạ Huoai",
    ]
    assert vi_sorted(shuffled(names)) == expected
    assert sorted(names) != expected  # Python's own order puts Đ and Ủ after every ASCII letter


def test_sort_key_is_the_same_for_nfc_and_nfd_and_tolerates_anything():
    import unicodedata

    word = "Nguyễn Thị Ánh Tuyết"
    assert vi_sort_key(unicodedata.normalize("NFD", word)) == vi_sort_key(word)
    for text in ["", None, "123", "  ", "\u0301", "ñandú", "漢字", "A&B <x>"]:
        vi_sort_key(text)  # never raises


def test_dates_as_the_pages_show_them():
    moment = local(2026, 5, 9, 9, 0)
    assert format_datetime(moment) == "09/05/2026 09:00"
    assert format_datetime(moment.astimezone(timezone.utc)) == "09/05/2026 09:00"  # stored as UTC
    assert format_datetime(datetime(2026, 5, 9, 2, 0)) == "09/05/2026 09:00"  # naive values are UTC
    assert format_datetime(None) == "—"
    assert format_date(date(2026, 6, 30)) == "30/06/2026"
    assert format_date(local(2026, 7, 1, 0, 30).astimezone(timezone.utc)) == "01/07/2026"


def test_dates_in_the_words_of_documents():
    assert date_in_words(date(2026, 5, 8)) == "ngày 08 tháng 5 năm 2026"
    assert date_in_words(date(2026, 1, 15)) == "ngày 15 tháng 01 năm 2026"
    assert date_in_words(date(2026, 2, 3)) == "ngày 03 tháng 02 năm 2026"
    assert date_in_words(date(2026, 11, 22)) == "ngày 22 tháng 11 năm 2026"


def test_numbers_percentages_and_how_far_a_deadline_is():
    class T:
        status = "in_progress"

        def __init__(self, deadline):
            self.deadline = deadline

    now = local(2026, 11, 22, 8, 0)
    assert number_vn(12345) == "12.345"
    assert percent_vn(0.875, 1) == "87,5%" and percent_vn(None) == "—"
    assert due_phrase(T(local(2026, 11, 25, 8, 0)), now) == "Còn 3 ngày"
    assert due_phrase(T(local(2026, 11, 22, 13, 0)), now) == "Còn 5 giờ"
    assert due_phrase(T(local(2026, 11, 20, 8, 0)), now) == "Trễ 2 ngày"
    assert due_phrase(T(None), now) == ""


@pytest.mark.parametrize("value, axis", [(0, 1), (1, 1), (4, 4), (6, 6), (7, 8), (23, 25), (118, 150)])
def test_chart_axis_is_round(value, axis):
    assert nice_max(value) == axis
