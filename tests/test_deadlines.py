"""Deadline rules: the wordings of the seed dispatches read the way the office reads them.

Each story below is what a person in the office would answer when asked
"so when is this due?" for a wording copied from a dispatch.
"""
from __future__ import annotations

import dataclasses
import unicodedata
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from workflow.deadlines import (
    DeadlineParseError,
    ParsedDeadline,
    add_working_days,
    end_of_month,
    end_of_quarter,
    is_working_day,
    load_holidays,
    occurrences,
    parse_deadline,
    period_for,
    warning_level,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
HOLIDAY_ROWS = load_holidays()
HOLIDAYS = [row["date"] for row in HOLIDAY_ROWS]

# Issue dates of the four seed documents (the 6-month report is a June draft).
CV_1534 = date(2026, 5, 8)
CV_1640 = date(2026, 6, 26)
CV_1775 = date(2026, 6, 3)
BC_6_THANG = date(2026, 6, 30)

MONTHLY_17 = "FREQ=MONTHLY;BYMONTHDAY=17"
QUARTERLY_NEXT_5 = "FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=5"
QUARTER_LAST_MONTH_30 = "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=30"
END_OF_DAY = ";BYHOUR=23;BYMINUTE=59;BYSECOND=59"


def local(*args) -> datetime:
    """An aware datetime in the office's time zone."""
    return datetime(*args, tzinfo=TZ)


def eod(y, m, d) -> datetime:
    """23:59:59 local on that day: "at the latest on that day"."""
    return local(y, m, d, 23, 59, 59)


def parse(text, issued_on=CV_1534, **kwargs) -> ParsedDeadline:
    return parse_deadline(text, issued_on=issued_on, holidays=HOLIDAYS, **kwargs)


# ---------------------------------------------------------------------------
# Every deadline wording in the four seed documents
# ---------------------------------------------------------------------------

SEED_WORDINGS = [
    # (document, wording, issued on, deadline, rrule, period, precision)
    ("1534 §2.a", "trước 09 giờ 00 phút ngày 09/5/2026", CV_1534,
     local(2026, 5, 9, 9, 0), None, None, "minute"),
    ("1534 §2.a bold", "**trước 09 giờ 00 phút ngày 09/5/2026**.", CV_1534,
     local(2026, 5, 9, 9, 0), None, None, "minute"),
    ("1534 §2.c", "trước ngày 17 hàng tháng", CV_1534,
     local(2026, 5, 17), MONTHLY_17, "2026-05", "recurring"),
    ("1640", "trước ngày 30/6/2026", CV_1640,
     local(2026, 6, 30), None, None, "day"),
    ("1640 quoting 01-HD/TU", "trước ngày 30 của tháng cuối quý", CV_1640,
     local(2026, 6, 30), QUARTER_LAST_MONTH_30, "2026-Q2", "recurring"),
    ("1775 §3.2", "trước ngày 05 tháng đầu của quý tiếp theo", CV_1775,
     local(2026, 7, 5), QUARTERLY_NEXT_5, "2026-Q2", "recurring"),
    ("1775 §4", "**trước ngày 05 tháng đầu của quý tiếp theo**", CV_1775,
     local(2026, 7, 5), QUARTERLY_NEXT_5, "2026-Q2", "recurring"),
    ("1775 §1", "hằng quý", CV_1775,
     eod(2026, 6, 30), "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1" + END_OF_DAY, "2026-Q2",
     "recurring"),
    ("1775 §1", "hằng năm", CV_1775,
     eod(2026, 12, 31), "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=-1" + END_OF_DAY, "2026", "recurring"),
    ("BC C.2 #1-3", "4/2026", BC_6_THANG, eod(2026, 4, 30), None, None, "month"),
    ("BC C.2 #4-6", "5/2026", BC_6_THANG, eod(2026, 5, 31), None, None, "month"),
    ("BC C.2 #7-11", "6/2026", BC_6_THANG, eod(2026, 6, 30), None, None, "month"),
    ("BC III #1-13", "7/2026", BC_6_THANG, eod(2026, 7, 31), None, None, "month"),
    ("BC III #14-17", "8/2026", BC_6_THANG, eod(2026, 8, 31), None, None, "month"),
    ("BC III #18-20", "9/2026", BC_6_THANG, eod(2026, 9, 30), None, None, "month"),
    ("BC III #21", "10/2026", BC_6_THANG, eod(2026, 10, 31), None, None, "month"),
    ("BC B.I.a.4", "Quý III/2026", BC_6_THANG, eod(2026, 9, 30), None, None, "quarter"),
    ("BC V.5", "trong quý III/2026", BC_6_THANG, eod(2026, 9, 30), None, None, "quarter"),
    ("BC C.2 #8", "quý II/2026", BC_6_THANG, eod(2026, 6, 30), None, None, "quarter"),
    ("BC C.2 #8", "trong quý II/2026", BC_6_THANG, eod(2026, 6, 30), None, None, "quarter"),
    ("BC B.I.b.10", "đến hết tháng 6/2026", BC_6_THANG, eod(2026, 6, 30), None, None, "month"),
    ("BC II", "đến hết năm 2026", BC_6_THANG, eod(2026, 12, 31), None, None, "year"),
    ("BC IV.5", "trong năm 2026", BC_6_THANG, eod(2026, 12, 31), None, None, "year"),
    ("BC V.8", "hằng tháng", BC_6_THANG,
     eod(2026, 6, 30), "FREQ=MONTHLY;BYMONTHDAY=-1" + END_OF_DAY, "2026-06", "recurring"),
]


@pytest.mark.parametrize(
    "wording, issued_on, deadline, rrule, period, precision",
    [row[1:] for row in SEED_WORDINGS],
    ids=[f"{row[0]}: {row[1]}" for row in SEED_WORDINGS],
)
def test_every_seed_wording_reads_as_the_office_reads_it(
    wording, issued_on, deadline, rrule, period, precision
):
    parsed = parse(wording, issued_on)
    assert parsed.deadline == deadline
    assert parsed.deadline.tzinfo is TZ
    assert (parsed.rrule, parsed.period, parsed.precision) == (rrule, period, precision)
    assert parsed.text == unicodedata.normalize("NFC", wording).strip("*.")


@pytest.mark.parametrize(
    "wording",
    [
        "Khẩn trương",  # 1775 §5.1: no date, the caller may treat it as "no fixed deadline"
        "khẩn trương",
        "thường xuyên",  # 1534 §1, 1775 §3.3
        "Thường xuyên",
        "hằng quý, hằng năm",  # 1775 §2: two periods, not one deadline
        "Dự kiến tổ chức Quý III/2026",  # a status sentence, not a deadline wording
    ],
)
def test_seed_phrases_that_are_not_deadlines_are_refused(wording):
    with pytest.raises(DeadlineParseError) as excinfo:
        parse(wording)
    assert f'"{unicodedata.normalize("NFC", wording)}"' in str(excinfo.value)


# ---------------------------------------------------------------------------
# Normalisation: how people actually type
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wording",
    [
        "trước 09 giờ 00 phút ngày 09/5/2026",
        "truoc 09 gio 00 phut ngay 09/5/2026",
        "TRƯỚC 09 GIỜ 00 PHÚT NGÀY 09/5/2026",
        "Trước 9 giờ 00 phút ngày 9/05/2026.",
        "  trước   09 giờ 00 phút   ngày 09/05/2026  ",
        "**trước 09 giờ 00 phút ngày 09/5/2026**",
        "trước 09h00 ngày 09/5/2026",
        "trước 9h ngày 9/5/2026",
        "9 giờ ngày 9/5/2026",
        "09:00 ngày 09/5/2026",
        "ngày 09/5/2026 lúc 9 giờ",
        "trước 09 giờ 00 phút ngày 09 / 5 / 2026",
        unicodedata.normalize("NFD", "trước 09 giờ 00 phút ngày 09/5/2026"),
    ],
)
def test_a_deadline_with_a_time_is_that_minute(wording):
    parsed = parse(wording)
    assert parsed.deadline == local(2026, 5, 9, 9, 0)
    assert parsed.precision == "minute"
    assert unicodedata.is_normalized("NFC", parsed.text)
    assert "**" not in parsed.text and parsed.text == parsed.text.strip()


@pytest.mark.parametrize(
    "wording, expected",
    [
        ("trước 14 giờ 30 phút ngày 30/6/2026", local(2026, 6, 30, 14, 30)),
        ("trước 2 giờ chiều ngày 30/6/2026", local(2026, 6, 30, 14, 0)),
        ("trước 8 giờ sáng ngày 30/6/2026", local(2026, 6, 30, 8, 0)),
        ("trước 17h30 ngày 30/6/2026", local(2026, 6, 30, 17, 30)),
        ("trước 24 giờ ngày 30/6/2026", local(2026, 7, 1, 0, 0)),
        ("trước 0 giờ ngày 30/6/2026", local(2026, 6, 30, 0, 0)),
    ],
)
def test_times_of_day(wording, expected):
    assert parse(wording).deadline == expected


@pytest.mark.parametrize(
    "wording",
    [
        "trước ngày 17 hàng tháng",
        "trước ngày 17 hằng tháng",
        "truoc ngay 17 hang thang",
        "Trước ngày 17 hằng tháng.",
        "hằng tháng trước ngày 17",
        "hằng tháng, trước ngày 17",
        "định kỳ hằng tháng trước ngày 17",
        "trước ngày 17 của mỗi tháng",
        "**trước ngày 17 hàng tháng**",
    ],
)
def test_the_monthly_wording_in_all_its_spellings(wording):
    parsed = parse(wording)
    assert parsed.rrule == MONTHLY_17
    assert parsed.deadline == local(2026, 5, 17)
    assert parsed.period == "2026-05"


# ---------------------------------------------------------------------------
# One-off deadlines: day, month, quarter, year
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wording, expected",
    [
        # "trước ngày X": before the day starts
        ("trước ngày 30/6/2026", local(2026, 6, 30)),
        ("truoc ngay 30/06/2026", local(2026, 6, 30)),
        ("trước 30/6/2026", local(2026, 6, 30)),
        ("trước ngày 30 tháng 6 năm 2026", local(2026, 6, 30)),
        # everything else: at the latest on that day
        ("chậm nhất ngày 30/6/2026", eod(2026, 6, 30)),
        ("cham nhat ngay 30/6/2026", eod(2026, 6, 30)),
        ("ngày 30/6/2026", eod(2026, 6, 30)),
        ("hạn 30/6/2026", eod(2026, 6, 30)),
        ("Thời hạn: 30/6/2026", eod(2026, 6, 30)),
        ("hạn chót 30/6/2026", eod(2026, 6, 30)),
        ("đến ngày 30/6/2026", eod(2026, 6, 30)),
        ("đến hết ngày 30/6/2026", eod(2026, 6, 30)),
        ("trong ngày 30/6/2026", eod(2026, 6, 30)),
        ("30/6/2026", eod(2026, 6, 30)),
        ("30-6-2026", eod(2026, 6, 30)),
        ("30.06.2026", eod(2026, 6, 30)),
        ("ngày 30 tháng 6 năm 2026", eod(2026, 6, 30)),
        ("ngày 30 tháng 06, năm 2026", eod(2026, 6, 30)),
        ("ngay 29/2/2028", eod(2028, 2, 29)),
    ],
)
def test_a_day(wording, expected):
    parsed = parse(wording)
    assert parsed.deadline == expected
    assert (parsed.precision, parsed.rrule, parsed.period) == ("day", None, None)


@pytest.mark.parametrize(
    "wording, expected, precision",
    [
        ("4/2026", eod(2026, 4, 30), "month"),
        ("04/2026", eod(2026, 4, 30), "month"),
        ("tháng 4/2026", eod(2026, 4, 30), "month"),
        ("thang 4/2026", eod(2026, 4, 30), "month"),
        ("tháng 4 năm 2026", eod(2026, 4, 30), "month"),
        ("trong tháng 12/2026", eod(2026, 12, 31), "month"),
        ("T12/2026", eod(2026, 12, 31), "month"),
        ("t2/2028", eod(2028, 2, 29), "month"),
        ("cuối tháng 2/2027", eod(2027, 2, 28), "month"),
        ("trước tháng 7/2026", local(2026, 7, 1), "month"),
        ("Quý III/2026", eod(2026, 9, 30), "quarter"),
        ("quý II/2026", eod(2026, 6, 30), "quarter"),
        ("quý 2/2026", eod(2026, 6, 30), "quarter"),
        ("quy 1/2027", eod(2027, 3, 31), "quarter"),
        ("trong quý IV năm 2026", eod(2026, 12, 31), "quarter"),
        ("quý I năm 2027", eod(2027, 3, 31), "quarter"),
        ("trước quý III/2026", local(2026, 7, 1), "quarter"),
        ("6 tháng đầu năm 2026", eod(2026, 6, 30), "month"),
        ("6 tháng cuối năm 2026", eod(2026, 12, 31), "month"),
        ("năm 2026", eod(2026, 12, 31), "year"),
        ("Năm 2027", eod(2027, 12, 31), "year"),
        ("trước năm 2027", local(2027, 1, 1), "year"),
    ],
)
def test_a_month_quarter_or_year_ends_on_its_last_second(wording, expected, precision):
    parsed = parse(wording)
    assert parsed.deadline == expected
    assert (parsed.precision, parsed.rrule, parsed.period) == (precision, None, None)


def test_the_time_zone_is_the_one_asked_for():
    bangkok = ZoneInfo("Asia/Bangkok")
    parsed = parse_deadline("trước ngày 30/6/2026", issued_on=CV_1640, tz=bangkok)
    assert parsed.deadline == datetime(2026, 6, 30, tzinfo=bangkok)
    assert parsed.deadline.tzinfo is bangkok
    assert parse_deadline("4/2026", issued_on=CV_1534, tz=bangkok).deadline.utcoffset() == timedelta(hours=7)


def test_parsed_deadline_is_immutable():
    parsed = parse("4/2026")
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.deadline = None  # type: ignore[misc]


# ---------------------------------------------------------------------------
# Working days and counted days
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wording",
    [
        "trong 10 ngày làm việc",
        "trong 10 ngày làm việc kể từ ngày ban hành",
        "10 ngày làm việc",
        "trong vòng 10 ngày làm việc",
        "trong 10 ngay lam viec ke tu ngay ban hanh",
        "10 ngày làm việc kể từ ngày ký",
    ],
)
def test_ten_working_days_from_the_1534_issue_date(wording):
    # Issued Friday 8/5/2026: Mon 11 … Fri 15, Mon 18 … Fri 22.
    parsed = parse(wording, CV_1534)
    assert parsed.deadline == eod(2026, 5, 22)
    assert parsed.precision == "working_days"
    assert parsed.rrule is None and parsed.period is None


def test_working_days_skip_the_holidays_passed_in():
    # Issued Friday 24/4/2026: Giỗ Tổ (Mon 27/4 nghỉ bù), 30/4 and 1/5 are off.
    with_holidays = parse_deadline("trong 5 ngày làm việc", issued_on=date(2026, 4, 24), holidays=HOLIDAYS)
    without = parse_deadline("trong 5 ngày làm việc", issued_on=date(2026, 4, 24))
    assert without.deadline == eod(2026, 5, 1)
    assert with_holidays.deadline == eod(2026, 5, 6)


def test_working_days_across_tet_2027():
    # Wednesday 3/2/2027; Tết off Thu 4/2 … Wed 10/2.
    assert add_working_days(date(2027, 2, 3), 1, HOLIDAYS) == date(2027, 2, 11)
    assert add_working_days(date(2027, 2, 1), 5, HOLIDAYS) == date(2027, 2, 15)  # Tue 2, Wed 3, Thu 11, Fri 12, Mon 15
    parsed = parse_deadline("trong 10 ngày làm việc", issued_on=date(2027, 2, 1), holidays=HOLIDAYS)
    # Tue 2, Wed 3, Thu 11, Fri 12, Mon 15 … Fri 19, Mon 22
    assert parsed.deadline == eod(2027, 2, 22)


def test_working_days_across_tet_2026():
    # Friday 13/2/2026; Tết off Mon 16 … Fri 20/2.
    assert add_working_days(date(2026, 2, 13), 1, HOLIDAYS) == date(2026, 2, 23)


def test_working_days_across_national_day():
    # 2026: Mon 31/8 (swapped), Tue 1/9 and Wed 2/9 are off.
    assert add_working_days(date(2026, 8, 28), 1, HOLIDAYS) == date(2026, 9, 3)
    # 2027: Thu 2/9 and Fri 3/9 are off.
    assert add_working_days(date(2027, 9, 1), 1, HOLIDAYS) == date(2027, 9, 6)
    assert add_working_days(date(2027, 8, 31), 3, HOLIDAYS) == date(2027, 9, 7)


def test_working_days_edge_cases():
    assert add_working_days(date(2026, 5, 8), 0, HOLIDAYS) == date(2026, 5, 8)
    assert add_working_days(date(2026, 5, 9), 1, ()) == date(2026, 5, 11)  # from a Saturday
    assert add_working_days(date(2026, 5, 11), -1, ()) == date(2026, 5, 8)
    assert add_working_days(date(2026, 5, 8), 1, HOLIDAY_ROWS) == date(2026, 5, 11)  # rows work too


def test_is_working_day():
    assert is_working_day(date(2026, 5, 8), HOLIDAYS)  # a Friday
    assert not is_working_day(date(2026, 5, 9), HOLIDAYS)  # Saturday
    assert not is_working_day(date(2026, 5, 10), HOLIDAYS)  # Sunday
    assert not is_working_day(date(2026, 9, 2), HOLIDAYS)  # Quốc khánh
    assert is_working_day(date(2026, 9, 2), ())


@pytest.mark.parametrize(
    "wording, expected",
    [
        ("trong 15 ngày kể từ ngày ban hành", eod(2026, 5, 23)),
        ("trong 15 ngày", eod(2026, 5, 23)),
        ("15 ngày kể từ ngày ban hành", eod(2026, 5, 23)),
        ("trong vòng 30 ngày", eod(2026, 6, 7)),
        ("trong 3 tháng kể từ ngày ban hành", eod(2026, 8, 8)),
    ],
)
def test_calendar_days_and_months_from_the_issue_date(wording, expected):
    parsed = parse(wording, CV_1534)
    assert parsed.deadline == expected
    assert parsed.precision == "day"


# ---------------------------------------------------------------------------
# Recurring deadlines
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wording, issued_on, rrule, first, period",
    [
        ("trước ngày 17 hàng tháng", date(2026, 5, 8), MONTHLY_17, local(2026, 5, 17), "2026-05"),
        # issued on the 17th itself: that day has already started
        ("trước ngày 17 hàng tháng", date(2026, 5, 17), MONTHLY_17, local(2026, 6, 17), "2026-06"),
        ("trước ngày 17 hàng tháng", date(2026, 12, 20), MONTHLY_17, local(2027, 1, 17), "2027-01"),
        ("chậm nhất ngày 17 hằng tháng", date(2026, 5, 17), MONTHLY_17 + END_OF_DAY,
         eod(2026, 5, 17), "2026-05"),
        ("trước ngày 31 hằng tháng", date(2026, 2, 3),
         "FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1", local(2026, 2, 28), "2026-02"),
        ("hằng tháng", date(2026, 5, 8),
         "FREQ=MONTHLY;BYMONTHDAY=-1" + END_OF_DAY, eod(2026, 5, 31), "2026-05"),
        ("định kỳ hằng tháng", date(2026, 2, 1),
         "FREQ=MONTHLY;BYMONTHDAY=-1" + END_OF_DAY, eod(2026, 2, 28), "2026-02"),
        ("trước ngày 05 tháng đầu của quý tiếp theo", date(2026, 6, 3), QUARTERLY_NEXT_5,
         local(2026, 7, 5), "2026-Q2"),
        ("trước ngày 05 tháng đầu của quý tiếp theo", date(2026, 7, 5), QUARTERLY_NEXT_5,
         local(2026, 10, 5), "2026-Q3"),
        ("trước ngày 05 tháng đầu của quý tiếp theo", date(2026, 11, 1), QUARTERLY_NEXT_5,
         local(2027, 1, 5), "2026-Q4"),
        ("truoc ngay 5 thang dau cua quy tiep theo", date(2026, 6, 3), QUARTERLY_NEXT_5,
         local(2026, 7, 5), "2026-Q2"),
        ("hằng quý", date(2026, 5, 8),
         "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1" + END_OF_DAY, eod(2026, 6, 30), "2026-Q2"),
        ("định kỳ hằng quý", date(2026, 10, 1),
         "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1" + END_OF_DAY, eod(2026, 12, 31), "2026-Q4"),
        ("trước ngày 30 của tháng cuối quý", date(2026, 6, 26), QUARTER_LAST_MONTH_30,
         local(2026, 6, 30), "2026-Q2"),
        ("trước ngày 30 của tháng cuối quý", date(2026, 12, 30), QUARTER_LAST_MONTH_30,
         local(2027, 3, 30), "2027-Q1"),
        ("tháng cuối quý", date(2026, 7, 1),
         "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1" + END_OF_DAY, eod(2026, 9, 30), "2026-Q3"),
        ("6 tháng", date(2026, 5, 8),
         "FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=-1" + END_OF_DAY, eod(2026, 6, 30), "2026-H1"),
        ("định kỳ 6 tháng", date(2026, 7, 1),
         "FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=-1" + END_OF_DAY, eod(2026, 12, 31), "2026-H2"),
        ("hằng năm", date(2026, 5, 8),
         "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=-1" + END_OF_DAY, eod(2026, 12, 31), "2026"),
        ("hằng năm trước ngày 15/12", date(2026, 12, 20),
         "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=15", local(2027, 12, 15), "2027"),
        ("trước ngày 15/01 hằng năm", date(2026, 5, 8),
         "FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=15", local(2027, 1, 15), "2026"),
    ],
)
def test_recurring_wordings(wording, issued_on, rrule, first, period):
    parsed = parse(wording, issued_on)
    assert parsed.precision == "recurring"
    assert parsed.rrule == rrule
    assert parsed.deadline == first
    assert parsed.period == period
    # The stored rule and the first deadline agree with occurrences().
    start = local(issued_on.year, issued_on.month, issued_on.day)
    assert occurrences(rrule, dtstart=start, until=first + timedelta(days=400))[0] == first


def test_the_1534_monthly_rule_until_end_of_2027():
    found = occurrences(MONTHLY_17, dtstart=local(2026, 5, 8), until=eod(2027, 12, 31))
    assert len(found) == 20
    assert found[0] == local(2026, 5, 17) and found[-1] == local(2027, 12, 17)
    assert all(o.day == 17 and o.hour == 0 and o.tzinfo is TZ for o in found)
    assert [period_for(MONTHLY_17, o) for o in found] == [
        f"{y}-{m:02d}" for y, m in [(2026, m) for m in range(5, 13)] + [(2027, m) for m in range(1, 13)]
    ]


def test_the_1775_quarterly_rule_until_end_of_2027():
    found = occurrences(QUARTERLY_NEXT_5, dtstart=local(2026, 6, 3), until=eod(2027, 12, 31))
    assert [(o, period_for(QUARTERLY_NEXT_5, o)) for o in found] == [
        (local(2026, 7, 5), "2026-Q2"),
        (local(2026, 10, 5), "2026-Q3"),
        (local(2027, 1, 5), "2026-Q4"),
        (local(2027, 4, 5), "2027-Q1"),
        (local(2027, 7, 5), "2027-Q2"),
        (local(2027, 10, 5), "2027-Q3"),
    ]


def test_occurrences_are_strictly_after_the_start_and_include_until():
    found = occurrences(MONTHLY_17, dtstart=local(2026, 5, 17), until=local(2026, 7, 17))
    assert found == [local(2026, 6, 17), local(2026, 7, 17)]
    # a start later in the day than the due time
    found = occurrences(MONTHLY_17 + END_OF_DAY, dtstart=local(2026, 5, 17, 10), until=eod(2026, 6, 17))
    assert found == [eod(2026, 5, 17), eod(2026, 6, 17)]
    assert occurrences(MONTHLY_17, dtstart=local(2026, 5, 8), until=local(2026, 5, 1)) == []


def test_occurrences_are_computed_in_local_wall_clock_time():
    # until given in UTC: 2026-06-16 17:00Z is 2026-06-17 00:00 in Vietnam
    until = datetime(2026, 6, 16, 17, 0, tzinfo=timezone.utc)
    found = occurrences(MONTHLY_17, dtstart=local(2026, 5, 8), until=until)
    assert found == [local(2026, 5, 17), local(2026, 6, 17)]
    assert found[0].isoformat() == "2026-05-17T00:00:00+07:00"


def test_occurrences_need_aware_datetimes_and_a_valid_rule():
    with pytest.raises(ValueError):
        occurrences(MONTHLY_17, dtstart=datetime(2026, 5, 8), until=eod(2026, 12, 31))
    with pytest.raises(DeadlineParseError):
        occurrences("BYMONTHDAY=17", dtstart=local(2026, 5, 8), until=eod(2026, 12, 31))
    with pytest.raises(DeadlineParseError):
        occurrences("FREQ=SOMETIMES", dtstart=local(2026, 5, 8), until=eod(2026, 12, 31))


@pytest.mark.parametrize(
    "rrule, occurrence, period",
    [
        (MONTHLY_17, local(2026, 12, 17), "2026-12"),
        (MONTHLY_17, local(2027, 1, 17), "2027-01"),
        ("FREQ=MONTHLY;BYMONTHDAY=-1" + END_OF_DAY, eod(2026, 12, 31), "2026-12"),
        ("FREQ=MONTHLY;BYMONTHDAY=-1" + END_OF_DAY, eod(2027, 1, 31), "2027-01"),
        (QUARTERLY_NEXT_5, local(2026, 7, 5), "2026-Q2"),
        (QUARTERLY_NEXT_5, local(2027, 1, 5), "2026-Q4"),
        (QUARTERLY_NEXT_5, local(2027, 4, 5), "2027-Q1"),
        ("FREQ=MONTHLY;BYMONTH=1,4,7,10;BYMONTHDAY=30,31;BYSETPOS=-1", local(2026, 4, 30), "2026-Q1"),
        (QUARTER_LAST_MONTH_30, local(2026, 12, 30), "2026-Q4"),
        (QUARTER_LAST_MONTH_30, local(2027, 3, 30), "2027-Q1"),
        ("FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1" + END_OF_DAY, eod(2026, 12, 31), "2026-Q4"),
        ("FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=-1" + END_OF_DAY, eod(2026, 6, 30), "2026-H1"),
        ("FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=-1" + END_OF_DAY, eod(2026, 12, 31), "2026-H2"),
        ("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=-1" + END_OF_DAY, eod(2026, 12, 31), "2026"),
        ("FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=15", local(2027, 1, 15), "2026"),
        ("RRULE:FREQ=MONTHLY;BYMONTHDAY=17", local(2026, 5, 17), "2026-05"),
    ],
)
def test_period_for_reads_the_rule_alone(rrule, occurrence, period):
    assert period_for(rrule, occurrence) == period


@pytest.mark.parametrize(
    "rrule", ["FREQ=WEEKLY;BYDAY=FR", "FREQ=DAILY", "FREQ=YEARLY;BYMONTH=1,2,3;BYMONTHDAY=5", "nonsense"]
)
def test_period_for_refuses_rules_without_a_clear_period(rrule):
    with pytest.raises(DeadlineParseError):
        period_for(rrule, local(2026, 5, 17))


# ---------------------------------------------------------------------------
# What the parser refuses
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wording, fragment",
    [
        ("", "để trống"),
        ("   ", "để trống"),
        ("****", "để trống"),
        ("sớm", "không phải là một thời điểm cụ thể"),
        ("khẩn trương", "không phải là một thời điểm cụ thể"),
        ("thường xuyên", "không phải là một thời điểm cụ thể"),
        ("kịp thời", "không phải là một thời điểm cụ thể"),
        ("31/2/2026", "không có ngày 31"),
        ("trước ngày 31/4/2026", "không có ngày 31"),
        ("29/2/2027", "không có ngày 29"),
        ("13/2026", "Tháng không hợp lệ"),
        ("30/13/2026", "Tháng không hợp lệ"),
        ("Quý V/2026", "Quý không hợp lệ"),
        ("quý 5/2026", "Quý không hợp lệ"),
        ("trước 25 giờ ngày 09/5/2026", "Giờ không hợp lệ"),
        ("trước 9 giờ 60 phút ngày 09/5/2026", "Giờ không hợp lệ"),
        ("trước ngày 30/6", "thiếu năm"),
        ("30/6/26", "bốn chữ số"),
        ("trước ngày 32 hằng tháng", "Ngày không hợp lệ"),
        ("hằng năm trước ngày 30/2", "Ngày không hợp lệ"),
        ("trong 0 ngày làm việc", "Số ngày làm việc không hợp lệ"),
        ("trong 99999 ngày làm việc", "Số ngày làm việc không hợp lệ"),
        ("năm 99", "Không hiểu thời hạn"),
        ("năm 3026", "Năm không hợp lệ"),
        ("ngày mai", "Không hiểu thời hạn"),
        ("trước ngày 30/6/2026 và 15/7/2026", "Không hiểu thời hạn"),
        ("tuần sau", "Không hiểu thời hạn"),
    ],
)
def test_unreadable_wordings_raise_a_clear_vietnamese_error(wording, fragment):
    with pytest.raises(DeadlineParseError) as excinfo:
        parse(wording)
    message = str(excinfo.value)
    assert fragment in message
    assert isinstance(excinfo.value, ValueError)
    assert unicodedata.is_normalized("NFC", message)
    if wording.strip(" *"):
        assert f'"{wording.strip()}"' in message  # the wording is quoted back
    assert "ví dụ" in message or "phải" in message or "không có" in message


def test_the_generic_error_suggests_how_to_write_it():
    with pytest.raises(DeadlineParseError) as excinfo:
        parse("trong thời gian sớm nhất có thể")
    assert str(excinfo.value).startswith(
        'Không hiểu thời hạn "trong thời gian sớm nhất có thể": hãy ghi rõ ngày (ví dụ "trước ngày 30/6/2026"'
    )


# ---------------------------------------------------------------------------
# Warning colours
# ---------------------------------------------------------------------------

NOW = local(2026, 6, 26, 10, 0)


@pytest.mark.parametrize(
    "deadline, kwargs, level",
    [
        (local(2026, 7, 30), {}, "green"),
        (local(2026, 6, 29, 10, 0), {}, "yellow"),  # exactly 3 days away
        (local(2026, 6, 29, 10, 1), {}, "green"),
        (local(2026, 6, 26, 10, 0), {}, "yellow"),  # due right now, not yet late
        (local(2026, 6, 26, 9, 59), {}, "red"),
        (local(2026, 6, 20), {}, "red"),
        (local(2026, 6, 20), {"completed": True}, "green"),
        (local(2026, 7, 30), {"overdue": True}, "red"),
        (local(2026, 7, 30), {"overdue": True, "completed": True}, "green"),
        (None, {}, "green"),
        (None, {"overdue": True}, "red"),
        (local(2026, 7, 3), {"yellow_days": 7}, "yellow"),
        (local(2026, 6, 27), {"yellow_days": 0}, "green"),
        # a deadline in another time zone is compared as an instant
        (datetime(2026, 6, 26, 2, 30, tzinfo=timezone.utc), {}, "red"),
    ],
)
def test_warning_level(deadline, kwargs, level):
    assert warning_level(deadline, NOW, **kwargs) == level


# ---------------------------------------------------------------------------
# Period ends and the holiday table
# ---------------------------------------------------------------------------


def test_end_of_month_and_quarter():
    assert end_of_month(2026, 2, TZ) == eod(2026, 2, 28)
    assert end_of_month(2028, 2, TZ) == eod(2028, 2, 29)
    assert end_of_month(2026, 12, TZ) == eod(2026, 12, 31)
    assert [end_of_quarter(2026, q, TZ) for q in (1, 2, 3, 4)] == [
        eod(2026, 3, 31), eod(2026, 6, 30), eod(2026, 9, 30), eod(2026, 12, 31)
    ]
    assert end_of_month(2026, 4, TZ).tzinfo is TZ
    with pytest.raises(ValueError):
        end_of_month(2026, 13, TZ)
    with pytest.raises(ValueError):
        end_of_quarter(2026, 5, TZ)


def test_the_holiday_table_has_the_public_holidays_of_2026_and_2027():
    assert HOLIDAYS == sorted(HOLIDAYS)
    assert all(isinstance(d, date) and not isinstance(d, datetime) for d in HOLIDAYS)
    assert all(row["name"] and unicodedata.is_normalized("NFC", row["name"]) for row in HOLIDAY_ROWS)
    days = set(HOLIDAYS)
    for expected in [
        date(2026, 1, 1), date(2027, 1, 1),  # Tết Dương lịch
        date(2026, 4, 30), date(2026, 5, 1), date(2027, 4, 30), date(2027, 5, 1),
        date(2026, 9, 2), date(2027, 9, 2),
        date(2026, 4, 26), date(2026, 4, 27),  # Giỗ Tổ on a Sunday and its nghỉ bù
        date(2027, 4, 16),
        date(2027, 5, 3),  # 1/5/2027 is a Saturday: nghỉ bù on Monday
    ]:
        assert expected in days, expected
    # Tết Nguyên đán: five working days off each year (Labour Code art. 112)
    tet_2026 = [d for d in days if date(2026, 2, 1) <= d <= date(2026, 2, 28)]
    tet_2027 = [d for d in days if date(2027, 1, 25) <= d <= date(2027, 2, 20)]
    assert sum(d.weekday() < 5 for d in tet_2026) == 5
    assert sum(d.weekday() < 5 for d in tet_2027) == 5
    assert date(2026, 2, 17) in days and date(2027, 2, 6) in days  # mùng 1
    # Quốc khánh: 2/9 and the day before or after
    for year in (2026, 2027):
        assert {date(year, 9, 1), date(year, 9, 3)} & days
    names = {row["name"] for row in HOLIDAY_ROWS}
    assert any(name.startswith("Tết Nguyên đán") for name in names)
    assert "Quốc khánh" in names and "Tết Dương lịch" in names


def test_load_holidays_from_another_file(tmp_path):
    path = tmp_path / "holidays.yaml"
    path.write_text(
        '# a comment\n- {date: 2026-09-02, name: "Quốc khánh"}\n- {date: "2026-01-01", name: "Tết Dương lịch"}\n',
        encoding="utf-8",
    )
    assert load_holidays(path) == [
        {"date": date(2026, 1, 1), "name": "Tết Dương lịch"},
        {"date": date(2026, 9, 2), "name": "Quốc khánh"},
    ]
    path.write_text("- {date: 2026-02-30, name: x}\n", encoding="utf-8")
    with pytest.raises(ValueError):
        load_holidays(path)


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


@st.composite
def written_dates(draw):
    """A valid date written the ways people write it, with the expected meaning."""
    d = draw(dates)
    day = draw(st.sampled_from([str(d.day), f"{d.day:02d}"]))
    month = draw(st.sampled_from([str(d.month), f"{d.month:02d}"]))
    lead, before = draw(
        st.sampled_from(
            [("", False), ("trước ", True), ("truoc ", True), ("Trước ", True), ("chậm nhất ", False),
             ("cham nhat ", False), ("hạn ", False), ("han ", False), ("đến ", False), ("den ", False)]
        )
    )
    ngay = draw(st.sampled_from(["ngày ", "ngay ", "Ngày ", ""]))
    sep = draw(st.sampled_from(["/", "-", "."]))
    body = draw(
        st.sampled_from(
            [f"{day}{sep}{month}{sep}{d.year}", f"{day} tháng {month} năm {d.year}",
             f"{day} thang {month} nam {d.year}"]
        )
    )
    if "th" in body and not ngay:
        ngay = "ngày "
    decor = draw(st.sampled_from([("", ""), ("**", "**"), ("  ", ". "), ("", ".")]))
    text = f"{decor[0]}{lead}{ngay}{body}{decor[1]}"
    if draw(st.booleans()):
        text = unicodedata.normalize("NFD", text)
    return text, d, before


@FAST
@given(written_dates())
def test_any_valid_date_parses_to_that_date(case):
    text, d, before = case
    parsed = parse_deadline(text, issued_on=date(2026, 1, 1))
    assert parsed.precision == "day"
    assert parsed.deadline.tzinfo is TZ
    assert parsed.deadline.date() == d
    assert parsed.deadline.timetz().replace(tzinfo=None) == (
        datetime.min.time() if before else datetime(2000, 1, 1, 23, 59, 59).time()
    )


VOCABULARY = [
    "trước", "truoc", "ngày", "ngay", "giờ", "phút", "h", ":", "/", "-", ".", ",", "tháng", "năm",
    "quý", "III", "IV", "V", "hằng", "hàng", "mỗi", "đầu", "cuối", "của", "tiếp theo", "làm việc",
    "kể từ", "ban hành", "trong", "đến", "hết", "chậm nhất", "6", "0", "05", "17", "24", "25", "29",
    "30", "31", "99", "2026", "2027", "0000", "9999", "999999", "**", "định kỳ", "sáng", "chiều", "T",
]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=60),
        st.lists(st.sampled_from(VOCABULARY), max_size=10).map(" ".join),
        st.lists(st.sampled_from(VOCABULARY), max_size=10).map("".join),
    ),
    dates,
)
def test_the_parser_raises_nothing_but_deadline_parse_error(text, issued_on):
    try:
        parsed = parse_deadline(text, issued_on=issued_on, holidays=HOLIDAYS)
    except DeadlineParseError as error:
        assert str(error)
        return
    assert parsed.deadline is not None and parsed.deadline.tzinfo is TZ
    assert parsed.precision in {"minute", "day", "month", "quarter", "year", "working_days", "recurring"}
    assert (parsed.rrule is None) == (parsed.period is None) == (parsed.precision != "recurring")


def _quarter(y, m):
    return f"{y}-Q{(m - 1) // 3 + 1}"


def _previous_quarter(y, m):
    q = (m - 1) // 3
    return f"{y - 1}-Q4" if q == 0 else f"{y}-Q{q}"


# wording -> the period an occurrence on (year, month) closes, computed independently
RECURRING_CASES = {
    "trước ngày 17 hàng tháng": lambda y, m: f"{y}-{m:02d}",
    "trước ngày 31 hằng tháng": lambda y, m: f"{y}-{m:02d}",
    "hằng tháng": lambda y, m: f"{y}-{m:02d}",
    "trước ngày 05 tháng đầu của quý tiếp theo": _previous_quarter,
    "trước ngày 31 tháng đầu của quý tiếp theo": _previous_quarter,
    "trước ngày 30 của tháng cuối quý": _quarter,
    "hằng quý": _quarter,
    "6 tháng": lambda y, m: f"{y}-H{1 if m <= 6 else 2}",
    "hằng năm": lambda y, m: f"{y}",
    "hằng năm trước ngày 29/2": lambda y, m: f"{y}",
}


@FAST
@given(st.sampled_from(sorted(RECURRING_CASES)), dates, st.integers(min_value=1, max_value=40))
def test_occurrences_increase_and_each_closes_its_own_period(wording, issued_on, months):
    parsed = parse_deadline(wording, issued_on=issued_on)
    start = datetime.combine(issued_on, datetime.min.time(), tzinfo=TZ)
    found = occurrences(parsed.rrule, dtstart=start, until=start + timedelta(days=31 * months))
    assume(found)
    assert found[0] == parsed.deadline
    assert parsed.period == period_for(parsed.rrule, parsed.deadline)
    assert all(a < b for a, b in zip(found, found[1:]))
    assert all(o > start and o.tzinfo is TZ for o in found)
    periods = [period_for(parsed.rrule, o) for o in found]
    assert len(set(periods)) == len(periods)
    expected = RECURRING_CASES[wording]
    assert periods == [expected(o.year, o.month) for o in found]


holiday_sets = st.one_of(
    st.just(HOLIDAYS),
    st.lists(st.dates(min_value=date(2025, 12, 1), max_value=date(2028, 6, 30)), max_size=40),
)


@FAST
@given(
    st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
    st.integers(min_value=0, max_value=60),
    holiday_sets,
)
def test_add_working_days_counts_exactly_n_working_days(start, n, holidays):
    end = add_working_days(start, n, holidays)
    counted = sum(
        is_working_day(start + timedelta(days=i), holidays) for i in range(1, (end - start).days + 1)
    )
    assert counted == n
    if n:
        assert is_working_day(end, holidays)
        assert end.weekday() < 5 and end not in set(holidays)
    else:
        assert end == start
    assert add_working_days(end, -n, holidays) <= start or n == 0


# ---------------------------------------------------------------------------
# Wordings of the documents the office receives (issue 12)
# ---------------------------------------------------------------------------

TB_412 = date(2026, 9, 15)  # a Tuesday


@pytest.mark.parametrize(
    "wording, deadline, rrule, period",
    [
        ("hoàn thành xong trước ngày 30/9/2026", datetime(2026, 9, 30, tzinfo=TZ), None, None),
        ("xong trước ngày 30/11/2026", datetime(2026, 11, 30, tzinfo=TZ), None, None),
        ("định kỳ 6 tháng (trước ngày 15/6 và 15/12)", datetime(2026, 12, 15, tzinfo=TZ),
         "FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=15", "2026-H2"),
        ("trước ngày 15/6 và 15/12 hằng năm", datetime(2026, 12, 15, tzinfo=TZ),
         "FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=15", "2026-H2"),
        ("hằng quý, trước ngày 20 của tháng cuối quý", datetime(2026, 9, 20, tzinfo=TZ),
         "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=20", "2026-Q3"),
        ("trước ngày 31/12 hằng năm", datetime(2026, 12, 31, tzinfo=TZ), "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31", "2026"),
        # Seven working days from Tuesday 15/9/2026: Thursday 24/9 (counted from the issue date).
        ("trong thời hạn 07 ngày làm việc kể từ ngày nhận được Thông báo này",
         datetime(2026, 9, 24, 23, 59, 59, tzinfo=TZ), None, None),
        ("trong 10 ngày làm việc kể từ ngày nhận được công văn", datetime(2026, 9, 29, 23, 59, 59, tzinfo=TZ),
         None, None),
        ("trong 06 tháng kể từ ngày ký Quyết định", datetime(2027, 3, 15, 23, 59, 59, tzinfo=TZ), None, None),
    ],
)
def test_wordings_of_notices_plans_and_directives(wording, deadline, rrule, period):
    parsed = parse(wording, issued_on=TB_412)
    assert (parsed.deadline, parsed.rrule, parsed.period) == (deadline, rrule, period)
    assert parse(wording, issued_on=TB_412, infer_year=True).deadline == deadline


@pytest.mark.parametrize(
    "wording, issued_on, deadline",
    [
        ("trước ngày 20/10", date(2026, 9, 15), datetime(2026, 10, 20, tzinfo=TZ)),
        ("trước ngày 20/10", date(2026, 10, 20), datetime(2026, 10, 20, tzinfo=TZ)),  # on the issue date
        ("trước ngày 20/10", date(2026, 10, 25), datetime(2027, 10, 20, tzinfo=TZ)),  # next year's
        ("chậm nhất ngày 05/01", date(2026, 12, 14), datetime(2027, 1, 5, 23, 59, 59, tzinfo=TZ)),
        ("hoàn thành trước ngày 10/12", date(2026, 11, 2), datetime(2026, 12, 10, tzinfo=TZ)),
    ],
)
def test_a_day_without_its_year_in_a_dispatch_is_its_next_occurrence(wording, issued_on, deadline):
    assert parse(wording, issued_on=issued_on, infer_year=True).deadline == deadline
    with pytest.raises(DeadlineParseError, match="thiếu năm"):
        parse(wording, issued_on=issued_on)  # alone, without a dispatch: refused as before


def test_a_day_without_its_year_that_does_not_exist_is_refused():
    with pytest.raises(DeadlineParseError, match="không có ngày 29"):
        parse("trước ngày 29/2", issued_on=date(2026, 3, 1), infer_year=True)
    with pytest.raises(DeadlineParseError, match="không có ngày 31"):
        parse("trước ngày 31/4", issued_on=date(2026, 3, 1), infer_year=True)


def test_two_different_days_a_year_are_refused_with_advice():
    with pytest.raises(DeadlineParseError, match="hai ngày khác nhau"):
        parse("định kỳ 6 tháng (trước ngày 15/6 và 20/12)", issued_on=TB_412)


# --- Wordings of blind set 3 (import3): the monthly day in brackets, the quarter's last month ---


@pytest.mark.parametrize(
    ("wording", "issued_on", "rrule", "first"),
    [
        # The day in brackets after the period: "định kỳ hằng tháng (trước ngày 20)".
        ("định kỳ hằng tháng (trước ngày 20)", date(2026, 11, 16), "FREQ=MONTHLY;BYMONTHDAY=20",
         local(2026, 11, 20)),
        ("định kỳ hằng tháng (trước ngày 20)", date(2026, 11, 20), "FREQ=MONTHLY;BYMONTHDAY=20",
         local(2026, 12, 20)),
        ("hằng tháng (trước ngày 20)", date(2026, 12, 21), "FREQ=MONTHLY;BYMONTHDAY=20", local(2027, 1, 20)),
        ("Định kỳ hằng tháng (chậm nhất ngày 25)", date(2026, 11, 16),
         "FREQ=MONTHLY;BYMONTHDAY=25" + END_OF_DAY, eod(2026, 11, 25)),
        ("hằng quý (trước ngày 20 của tháng cuối quý)", date(2026, 10, 1),
         "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=20", local(2026, 12, 20)),
        # "trước ngày 25 tháng cuối mỗi quý" (no "của"), in a dispatch of 2/12/2026.
        ("trước ngày 25 tháng cuối mỗi quý", date(2026, 12, 2),
         "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=25", local(2026, 12, 25)),
        ("trước ngày 25 tháng cuối mỗi quý", date(2026, 12, 26),
         "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=25", local(2027, 3, 25)),
    ],
)
def test_the_day_of_a_recurring_report_in_brackets_or_in_the_quarters_last_month(wording, issued_on, rrule, first):
    parsed = parse(wording, issued_on)
    assert (parsed.rrule, parsed.deadline) == (rrule, first)


@pytest.mark.parametrize(
    ("wording", "issued_on", "deadline"),
    [
        ("chậm nhất ngày 10/12/2026", date(2026, 11, 20), eod(2026, 12, 10)),
        ("trước 16 giờ 00 ngày 04/12/2026", date(2026, 11, 20), local(2026, 12, 4, 16)),
        ("trong quý I/2027", date(2026, 11, 20), eod(2027, 3, 31)),
        ("xong trong tháng 12/2026", date(2026, 11, 20), eod(2026, 12, 31)),
        # 24/11/2026 (Ngày Văn hóa Việt Nam) is a holiday of the table: ten working days end on 8/12.
        ("trong thời hạn 10 ngày làm việc kể từ ngày nhận được Công văn này", date(2026, 11, 23),
         eod(2026, 12, 8)),
    ],
)
def test_one_off_wordings_of_blind_set_3(wording, issued_on, deadline):
    assert parse(wording, issued_on).deadline == deadline  # with the holiday table


def test_a_bracket_that_is_not_a_day_is_still_refused():
    with pytest.raises(DeadlineParseError):
        parse("hằng tháng (theo yêu cầu)", date(2026, 11, 16))


@pytest.mark.parametrize(
    ("wording", "issued_on", "deadline", "rrule"),
    [
        ("trong tháng 12", date(2026, 11, 20), eod(2026, 12, 31), None),
        ("trong tháng 11", date(2026, 11, 20), eod(2026, 11, 30), None),   # the issue month itself
        ("trong tháng 01", date(2026, 11, 20), eod(2027, 1, 31), None),    # past: next year's
        ("chậm nhất trong tháng 01/2027", date(2026, 11, 20), eod(2027, 1, 31), None),
        ("trước ngày 30-11-2026", date(2026, 11, 20), local(2026, 11, 30), None),
        ("6 tháng, năm (trước ngày 15/6 và 15/12)", date(2026, 11, 20), local(2026, 12, 15),
         "FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=15"),
        ("định kỳ 6 tháng và năm (trước ngày 15/6 và 15/12)", date(2026, 12, 16), local(2027, 6, 15),
         "FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=15"),
    ],
)
def test_month_without_year_and_half_year_and_year_reports_in_a_dispatch(wording, issued_on, deadline, rrule):
    parsed = parse(wording, issued_on, infer_year=True)
    assert (parsed.deadline, parsed.rrule) == (deadline, rrule)


def test_a_month_without_its_year_alone_is_still_refused():
    with pytest.raises(DeadlineParseError):
        parse("trong tháng 12", date(2026, 11, 20))


@pytest.mark.parametrize(
    ("wording", "deadline"),
    [
        ("trong tuần đầu tháng 01/2027", eod(2027, 1, 7)),          # the first seven days of the month
        ("Trong tuần đầu tiên của tháng 3 năm 2027", eod(2027, 3, 7)),
        ("tuần cuối tháng 12/2026", eod(2026, 12, 31)),              # the month's last day
        ("trước tuần đầu tháng 3/2027", local(2027, 3, 1)),          # before it: the month's first day
    ],
)
def test_the_first_or_last_week_of_a_month(wording, deadline):
    assert parse(wording, date(2026, 12, 4)).deadline == deadline


def test_a_week_of_a_month_that_does_not_exist_is_refused():
    with pytest.raises(DeadlineParseError, match="Tháng không hợp lệ"):
        parse("trong tuần đầu tháng 13/2026", date(2026, 12, 4))
