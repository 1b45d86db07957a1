"""Deadline rules: every way this office writes a deadline, and what it means.

This module is the one place that turns a deadline wording copied from a
dispatch ("trước 09 giờ 00 phút ngày 09/5/2026", "trước ngày 17 hàng tháng",
"Quý III/2026", "trong 10 ngày làm việc" …) into an aware datetime and, for
recurring deadlines, an RFC 5545 RRULE and the reporting period it closes.
It also counts working days, computes the warning colour and reads the
holiday table.

It is pure Python: no Flask, no database and no clock. Every function that
needs "now" takes it as an argument.

Conventions (see DESIGN.md §5):

* "trước ngày X" means *before day X starts*: X at 00:00 local time.
  "chậm nhất ngày X", "hạn X", "đến ngày X", "ngày X" and a bare "X" mean *at
  the latest on day X*: X at 23:59:59.
* A month, quarter, half-year or year ("4/2026", "Quý III/2026", "năm 2026")
  ends at 23:59:59 on its last day; "trước tháng 7/2026" (and likewise for a
  quarter or a year) is the start of that period, 00:00 on its first day.
* A recurring rule is an RRULE without DTSTART. Its occurrences are counted
  from local midnight of the start date, so a rule without BYHOUR/BYMINUTE/
  BYSECOND is due at 00:00 ("trước ngày 17" = before the 17th starts); a rule
  due at the end of a day carries ``BYHOUR=23;BYMINUTE=59;BYSECOND=59``.
* The period an occurrence closes is read from the rule alone
  (:func:`period_for`): a monthly rule closes the month it falls in; a rule
  with one month per quarter, half-year or year closes the period it falls in,
  except that an occurrence in the *first* month of a period closes the
  previous one ("trước ngày 05 tháng đầu của quý tiếp theo": the instance due
  2026-07-05 is the report for 2026-Q2).
* The recurring wordings and their rules ("trước" → due 00:00, otherwise the
  rule carries the end-of-day time):

  ==========================================  ==========================================
  "trước ngày 17 hằng tháng"                  FREQ=MONTHLY;BYMONTHDAY=17
  "hằng tháng"                                FREQ=MONTHLY;BYMONTHDAY=-1 + end of day
  "trước ngày 05 tháng đầu của quý tiếp theo" FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=5
  "trước ngày 30 của tháng cuối quý"          FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=30
  "hằng quý", "tháng cuối quý"                FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1 + end of day
  "6 tháng"                                   FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=-1 + end of day
  "hằng năm"                                  FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=-1 + end of day
  "hằng năm trước ngày 15/12"                 FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=15
  "trước ngày 31/12 hằng năm"                 FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31
  "định kỳ 6 tháng (trước ngày 15/6 và 15/12)" FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=15
  "hằng quý, trước ngày 20 của tháng cuối quý" FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=20
  "định kỳ hằng tháng (trước ngày 20)"        FREQ=MONTHLY;BYMONTHDAY=20
  "trước ngày 25 tháng cuối mỗi quý"          FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=25
  ==========================================  ==========================================

  Two days of the year ("trước ngày 15/6 và 15/12") make one rule only when they are the
  same day of their months; otherwise the wording is refused.

* "hoàn thành xong trước ngày X" and "xong trước ngày X" read as "trước ngày X"; "chậm nhất
  trong tháng 01/2027" reads as "trong tháng 01/2027".
* "định kỳ 6 tháng, năm (trước ngày 15/6 và 15/12)" (the half-year and the year reports) reads
  as "định kỳ 6 tháng (trước ngày 15/6 và 15/12)".
* A week of a month: "trong tuần đầu (tiên của) tháng 01/2027" is the end of its 7th day (the first
  seven days), "tuần cuối tháng 12/2026" the end of the month; after "trước" the start of that
  week. A week with a month out of range is refused.
* A month without its year ("trong tháng 12") is refused alone; in a dispatch (``infer_year``)
  it is that month of the issue year, or of the next year when the issue date is past that
  month (the office's reading: a dispatch of 20/11/2026 asking "trong tháng 01" means 01/2027).
* "trong thời hạn 07 ngày làm việc kể từ ngày nhận được công văn" counts from the issue
  date: the office's dispatches reach the units through the e-office system the day they
  are issued, and the receipt date is not in the text.
* A day without a year ("trước ngày 20/10") is refused by default (a lone wording has no
  context). A dispatch gives it one: with ``infer_year=True`` (the import, and the
  confirmation of an imported draft) it is the next such date on or after the issue date
  ("trước ngày 20/10" in a dispatch of 15/9/2026 is 20/10/2026; in one of 25/10/2026,
  20/10/2027).

  A day some of the months lack ("trước ngày 31 hằng tháng") falls on the last
  day of those months: ``FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1``.

Anything that cannot be read with certainty raises :class:`DeadlineParseError`
with a Vietnamese message quoting the wording; nothing is guessed.
"""
from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule as RRule
from dateutil.rrule import rrulestr

DEFAULT_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
HOLIDAYS_FILE = Path(__file__).resolve().parent / "data" / "holidays.yaml"

END_OF_DAY = time(23, 59, 59)
# Appended to a rule whose occurrences are due at the end of the day.
END_OF_DAY_RULE = ";BYHOUR=23;BYMINUTE=59;BYSECOND=59"

PRECISIONS = ("minute", "day", "month", "quarter", "year", "working_days", "recurring")
WARNING_LEVELS = ("green", "yellow", "red")

# Sane bounds, so that a typing slip fails loudly instead of producing a
# deadline centuries away (or looping over millions of days).
MIN_YEAR, MAX_YEAR = 1900, 2199
MAX_WORKING_DAYS = 1000
MAX_CALENDAR_DAYS = 3660
MAX_MONTHS = 120

_EXAMPLES = (
    'hãy ghi rõ ngày (ví dụ "trước ngày 30/6/2026" hoặc "trước 09 giờ 00 phút ngày 09/5/2026"), '
    'tháng ("tháng 4/2026"), quý ("quý III/2026"), số ngày làm việc ("trong 10 ngày làm việc") '
    'hoặc lịch định kỳ ("trước ngày 17 hằng tháng").'
)


# --------------------------------------------------------------------------
# Public types
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedDeadline:
    """A deadline wording and what it means.

    ``deadline`` is aware in the requested time zone. For a recurring rule it
    is the first occurrence strictly after the issue date's start (00:00),
    ``rrule`` is the RRULE (without DTSTART) and ``period`` the reporting
    period of that first occurrence; both are ``None`` for a one-off deadline.
    """

    text: str
    deadline: datetime | None
    rrule: str | None
    period: str | None
    precision: str
    # Counted from the issue date ("trong 10 ngày làm việc", "trong 30 ngày kể từ ngày ký", the first
    # occurrence of a recurring rule): provisional on a draft, recomputed when the dispatch is issued.
    from_issue_date: bool = False


class DeadlineParseError(ValueError):
    """A deadline wording (or rule) that cannot be read; ``str(e)`` is Vietnamese."""

    def __init__(self, message: str, text: str | None = None):
        super().__init__(message)
        self.text = text


# --------------------------------------------------------------------------
# Holidays and working days
# --------------------------------------------------------------------------


def load_holidays(path: str | Path | None = None) -> list[dict]:
    """Read the holiday table (default ``workflow/data/holidays.yaml``).

    Returns ``[{"date": date, "name": str}, …]`` sorted by date. The YAML file
    is the seed of the admin-editable holiday table.
    """
    source = Path(path) if path is not None else HOLIDAYS_FILE
    with open(source, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or []
    if isinstance(data, dict):  # tolerate a top-level "holidays:" key
        data = data.get("holidays") or []
    if not isinstance(data, list):
        raise ValueError(f"Tệp ngày nghỉ lễ {source} không đúng định dạng: cần một danh sách.")
    holidays = []
    for index, entry in enumerate(data, start=1):
        if not isinstance(entry, dict) or "date" not in entry:
            raise ValueError(f"Dòng thứ {index} của tệp ngày nghỉ lễ {source} thiếu ngày (date).")
        value = entry["date"]
        if isinstance(value, datetime):
            value = value.date()
        elif isinstance(value, str):
            try:
                value = date.fromisoformat(value.strip())
            except ValueError:
                raise ValueError(
                    f'Ngày "{value}" ở dòng thứ {index} của tệp ngày nghỉ lễ không hợp lệ '
                    "(cần dạng YYYY-MM-DD)."
                ) from None
        elif not isinstance(value, date):
            raise ValueError(f"Ngày ở dòng thứ {index} của tệp ngày nghỉ lễ không hợp lệ.")
        name = unicodedata.normalize("NFC", str(entry.get("name") or "")).strip()
        holidays.append({"date": value, "name": name})
    holidays.sort(key=lambda h: h["date"])
    return holidays


def _holiday_set(holidays: Iterable | None) -> frozenset[date]:
    """Dates of ``holidays``: plain dates, or rows as returned by load_holidays."""
    if not holidays:
        return frozenset()
    if isinstance(holidays, frozenset):
        return holidays
    dates = set()
    for item in holidays:
        if isinstance(item, dict):
            item = item["date"]
        if isinstance(item, datetime):
            item = item.date()
        dates.add(item)
    return frozenset(dates)


def is_working_day(d: date, holidays: Collection[date]) -> bool:
    """True on Monday to Friday unless ``d`` is a public holiday."""
    if isinstance(d, datetime):
        d = d.date()
    return d.weekday() < 5 and d not in _holiday_set(holidays)


def add_working_days(start: date, n: int, holidays: Collection[date]) -> date:
    """The day ``n`` working days after ``start`` (``start`` itself not counted).

    Saturdays, Sundays and the given holidays are skipped. A negative ``n``
    counts backwards; ``n == 0`` returns ``start``.
    """
    if isinstance(start, datetime):
        start = start.date()
    off = _holiday_set(holidays)
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    day = start
    while remaining:
        day += timedelta(days=step)
        if day.weekday() < 5 and day not in off:
            remaining -= 1
    return day


# --------------------------------------------------------------------------
# Period ends
# --------------------------------------------------------------------------


def end_of_month(year: int, month: int, tz: tzinfo = DEFAULT_TZ) -> datetime:
    """23:59:59 local time on the last day of the month."""
    if not 1 <= month <= 12:
        raise ValueError(f"Tháng không hợp lệ: {month} (tháng phải từ 1 đến 12).")
    last = calendar.monthrange(year, month)[1]
    return datetime.combine(date(year, month, last), END_OF_DAY, tzinfo=tz)


def end_of_quarter(year: int, quarter: int, tz: tzinfo = DEFAULT_TZ) -> datetime:
    """23:59:59 local time on the last day of the quarter (1–4)."""
    if not 1 <= quarter <= 4:
        raise ValueError(f"Quý không hợp lệ: {quarter} (quý phải từ 1 đến 4).")
    return end_of_month(year, quarter * 3, tz)


def _end_of_day(d: date, tz: tzinfo) -> datetime:
    return datetime.combine(d, END_OF_DAY, tzinfo=tz)


def _start_of_day(d: date, tz: tzinfo) -> datetime:
    return datetime.combine(d, time(), tzinfo=tz)


# --------------------------------------------------------------------------
# Warning colour
# --------------------------------------------------------------------------


def warning_level(
    deadline: datetime | None,
    now: datetime,
    *,
    completed: bool = False,
    overdue: bool = False,
    yellow_days: int = 3,
) -> str:
    """The colour of a task as seen at ``now``: "green", "yellow" or "red".

    A completed task, or one without a deadline, is green. An open task is red
    when it is flagged overdue or its deadline has passed (whether or not the
    sweep has run), yellow when the deadline is at most ``yellow_days`` days
    away, green otherwise.
    """
    if completed:
        return "green"
    if overdue:
        return "red"
    if deadline is None:
        return "green"
    if deadline.tzinfo is None or now.tzinfo is None:
        raise ValueError("Thời hạn và thời điểm hiện tại phải kèm múi giờ.")
    if deadline < now:
        return "red"
    if deadline - now <= timedelta(days=yellow_days):
        return "yellow"
    return "green"


# --------------------------------------------------------------------------
# Recurrence rules
# --------------------------------------------------------------------------


def _rule_parts(rule_text: str) -> dict[str, str]:
    """``"FREQ=MONTHLY;BYMONTHDAY=17"`` → ``{"FREQ": "MONTHLY", "BYMONTHDAY": "17"}``."""
    text = (rule_text or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    parts: dict[str, str] = {}
    for chunk in text.split(";"):
        if not chunk.strip():
            continue
        key, sep, value = chunk.partition("=")
        if not sep or not value.strip():
            raise DeadlineParseError(f'Quy tắc lặp lại không hợp lệ: "{rule_text}".', rule_text)
        parts[key.strip().upper()] = value.strip().upper()
    if "FREQ" not in parts:
        raise DeadlineParseError(
            f'Quy tắc lặp lại không hợp lệ: "{rule_text}" (thiếu FREQ).', rule_text
        )
    return parts


def _compile_rule(rule_text: str, anchor: datetime) -> RRule:
    """A dateutil rule for ``rule_text`` anchored at the naive local ``anchor``."""
    parts = _rule_parts(rule_text)
    if "DTSTART" in parts:
        raise DeadlineParseError(
            f'Quy tắc lặp lại không được chứa DTSTART: "{rule_text}".', rule_text
        )
    normalized = ";".join(f"{k}={v}" for k, v in parts.items())
    try:
        return rrulestr(normalized, dtstart=anchor)
    except (ValueError, TypeError, KeyError, AttributeError):
        raise DeadlineParseError(f'Quy tắc lặp lại không hợp lệ: "{rule_text}".', rule_text) from None


def occurrences(rrule: str, *, dtstart: datetime, until: datetime) -> list[datetime]:
    """The due times of ``rrule`` strictly after ``dtstart`` and not after ``until``.

    The rule is evaluated in local wall-clock time of ``dtstart``'s time zone,
    anchored at local midnight of ``dtstart``'s day (so a rule without BYHOUR
    is due at 00:00). The results are aware datetimes in that time zone.
    """
    if dtstart.tzinfo is None or until.tzinfo is None:
        raise ValueError("dtstart và until phải là thời điểm kèm múi giờ.")
    tz = dtstart.tzinfo
    start_local = dtstart.replace(tzinfo=None)
    until_local = until.astimezone(tz).replace(tzinfo=None)
    if until_local <= start_local:
        return []
    anchor = datetime.combine(start_local.date(), time())
    rule = _compile_rule(rrule, anchor)
    try:
        found = rule.between(start_local, until_local, inc=True)
    except TypeError:  # e.g. an UNTIL with a time zone: the rule is evaluated in wall-clock time
        raise DeadlineParseError(f'Quy tắc lặp lại không hợp lệ: "{rrule}".', rrule) from None
    return [occurrence.replace(tzinfo=tz) for occurrence in found if occurrence > start_local]


def _first_occurrence_after(rule_text: str, start: date, tz: tzinfo) -> datetime:
    """The first due time of the rule strictly after ``start`` 00:00 local."""
    anchor = datetime.combine(start, time())
    found = _compile_rule(rule_text, anchor).after(anchor, inc=False)
    if found is None:
        raise DeadlineParseError(f'Quy tắc lặp lại "{rule_text}" không có lần nào.', rule_text)
    return found.replace(tzinfo=tz)


def _months_per_period(parts: dict[str, str], rule_text: str) -> int:
    """How many months one reporting period of the rule spans (1, 3, 6 or 12)."""
    bad = DeadlineParseError(
        f'Không xác định được kỳ báo cáo của quy tắc lặp lại "{rule_text}".', rule_text
    )
    freq = parts["FREQ"]
    try:
        interval = int(parts.get("INTERVAL", "1"))
        months = sorted({int(m) for m in parts["BYMONTH"].split(",")}) if "BYMONTH" in parts else []
    except ValueError:
        raise bad from None
    if freq == "MONTHLY" and not months and interval in (1, 3, 6, 12):
        return interval  # every month, or every 3, 6 or 12 months
    if freq == "YEARLY" and not months and interval == 1:
        return 12
    if freq not in ("MONTHLY", "YEARLY") or not months or interval != 1:
        raise bad
    if any(not 1 <= m <= 12 for m in months):
        raise bad
    if len(months) == 12:
        return 1
    span = {1: 12, 2: 6, 4: 3}.get(len(months))
    if span is None or len({(m - 1) // span for m in months}) != len(months):
        raise bad  # not exactly one month in each period
    return span


def period_for(rrule: str, occurrence: datetime) -> str:
    """The reporting period an occurrence of ``rrule`` closes.

    Returns "2026-05" (month), "2026-Q2" (quarter), "2026-H1" (half-year) or
    "2026" (year). A monthly rule closes the month the occurrence falls in.
    A rule with one month per quarter, half-year or year closes the period the
    occurrence falls in, except that an occurrence in the first month of a
    period closes the previous period (a report due in early July is the
    report for the second quarter).
    """
    parts = _rule_parts(rrule)
    year, month = occurrence.year, occurrence.month
    span = _months_per_period(parts, rrule)
    if span == 1:
        return f"{year:04d}-{month:02d}"
    index = (month - 1) // span  # 0-based period within the year
    if (month - 1) % span == 0:  # first month of a period: the previous one closes
        index -= 1
        if index < 0:
            year, index = year - 1, 12 // span - 1
    if span == 3:
        return f"{year:04d}-Q{index + 1}"
    if span == 6:
        return f"{year:04d}-H{index + 1}"
    return f"{year:04d}"


def _monthday_rule(day: int, months: tuple[int, ...] | None, due_end_of_day: bool) -> str:
    """An RRULE due on ``day`` of the given months (every month if ``None``).

    When some of the months are shorter than ``day`` (the 31st in April, the
    30th in February) the rule falls on the last day of those months:
    ``BYMONTHDAY=30,31;BYSETPOS=-1`` picks the latest of the listed days that
    exists in each month.
    """
    month_list = months or tuple(range(1, 13))
    shortest = min(28 if m == 2 else calendar.monthrange(2001, m)[1] for m in month_list)
    by_month = f";BYMONTH={','.join(str(m) for m in months)}" if months else ""
    if day <= shortest:
        freq = "MONTHLY" if months is None else "YEARLY"
        rule = f"FREQ={freq}{by_month};BYMONTHDAY={day}"
    else:
        days = ",".join(str(d) for d in range(shortest, day + 1))
        rule = f"FREQ=MONTHLY{by_month};BYMONTHDAY={days};BYSETPOS=-1"
    return rule + (END_OF_DAY_RULE if due_end_of_day else "")


def _end_of_month_rule(months: tuple[int, ...] | None) -> str:
    """An RRULE due at 23:59:59 on the last day of the given months."""
    if months is None:
        return "FREQ=MONTHLY;BYMONTHDAY=-1" + END_OF_DAY_RULE
    return f"FREQ=YEARLY;BYMONTH={','.join(str(m) for m in months)};BYMONTHDAY=-1" + END_OF_DAY_RULE


QUARTER_FIRST_MONTHS = (1, 4, 7, 10)
QUARTER_LAST_MONTHS = (3, 6, 9, 12)
HALF_LAST_MONTHS = (6, 12)


def describe_rule(rule_text: str | None) -> str:
    """A recurring rule in the office's words, for the pages: ``FREQ=MONTHLY;BYMONTHDAY=17`` →
    "Hằng tháng, trước ngày 17"; with the end-of-day time "chậm nhất ngày 17"; the last day
    (``BYMONTHDAY=-1``) → "ngày cuối tháng"; ``BYMONTH=1,4,7,10`` → "Hằng quý (tháng đầu quý)".
    A rule it cannot describe is "Định kỳ" (never the RRULE itself)."""
    try:
        parts = _rule_parts(rule_text or "")
    except DeadlineParseError:
        return "Định kỳ"
    months = tuple(int(m) for m in parts.get("BYMONTH", "").split(",") if m.strip().lstrip("-").isdecimal())
    days = [int(d) for d in parts.get("BYMONTHDAY", "").split(",") if d.strip().lstrip("-").isdecimal()]
    end_of_day = parts.get("BYHOUR") == "23"
    if parts["FREQ"] == "MONTHLY" and not months:
        period = "Hằng tháng"
    elif months == QUARTER_FIRST_MONTHS:
        period = "Hằng quý (tháng đầu quý)"
    elif months == QUARTER_LAST_MONTHS:
        period = "Hằng quý (tháng cuối quý)"
    elif months == HALF_LAST_MONTHS:
        period = "6 tháng một lần (tháng 6 và tháng 12)"
    elif len(months) == 1:
        period = f"Hằng năm (tháng {months[0]})"
    elif months:
        period = "Các tháng " + ", ".join(str(m) for m in months)
    else:
        return "Định kỳ"
    if not days:
        return period
    if days == [-1]:
        return f"{period}, chậm nhất ngày cuối tháng" if end_of_day else f"{period}, ngày cuối tháng"
    day = max(days)
    last = " (hoặc ngày cuối tháng nếu tháng không có ngày này)" if len(days) > 1 else ""
    lead = "chậm nhất ngày" if end_of_day else "trước ngày"
    return f"{period}, {lead} {day:02d}{last}"

# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------

_VAGUE = {
    "som": "sớm",
    "som nhat": "sớm nhất",
    "cang som cang tot": "càng sớm càng tốt",
    "khan truong": "khẩn trương",
    "khan": "khẩn",
    "thuong xuyen": "thường xuyên",
    "kip thoi": "kịp thời",
    "ngay": "ngay",
    "ngay lap tuc": "ngay lập tức",
    "lien tuc": "liên tục",
    "dinh ky": "định kỳ",
    "dot xuat": "đột xuất",
    "theo yeu cau": "theo yêu cầu",
    "khi co yeu cau": "khi có yêu cầu",
    "hang ngay": "hằng ngày",
    "hang tuan": "hằng tuần",
    "lau dai": "lâu dài",
    "truoc mat": "trước mắt",
}

_BOLD = re.compile(r"\*\*|__")
_EDGE_CHARS = " *_\"'“”‘’«»-–—•+"
_TRAILING = re.compile(r"(?:\s*(?:\./\.|[.;,:!]))+$")


def _clean(text: str) -> str:
    """The wording as shown back to people: NFC, no bold markers, single spaces."""
    cleaned = unicodedata.normalize("NFC", text)
    cleaned = _BOLD.sub("", cleaned)
    cleaned = re.sub(r"\s+", " ", cleaned).strip(_EDGE_CHARS)
    cleaned = _TRAILING.sub("", cleaned).strip(_EDGE_CHARS)
    return cleaned


def _fold(text: str) -> str:
    """Lower case ASCII-ish form used for matching: "Trước ngày" → "truoc ngay"."""
    folded = text.lower().replace("đ", "d")
    folded = unicodedata.normalize("NFD", folded)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = unicodedata.normalize("NFC", folded)
    folded = re.sub(r"[–—−]", "-", folded)
    folded = re.sub(r" ?([/:]) ?", r"\1", folded)  # "09 / 5 / 2026" → "09/5/2026"
    folded = re.sub(r"^(thoi han|han chot|han):", r"\1 ", folded)  # a "Thời hạn:" label
    folded = re.sub(r"\s*,\s*", ", ", folded)
    return re.sub(r"\s+", " ", folded).strip()


# Leading words. "trước" means before the day (or period) starts; the others
# mean at the latest by its end.
_LEAD = (
    r"(?:(?P<lead>truoc|cham nhat la|cham nhat vao|cham nhat|muon nhat la|muon nhat|"
    r"han chot la|han chot|thoi han la|thoi han|han la|han|den het|den|toi|trong|vao|het|cuoi) )?"
)
_TIME = r"[0-9]{1,2} ?(?:gio|h|g|:)(?: ?[0-9]{1,2}(?: ?(?:phut|p|'))?)?(?: (?:sang|chieu))?"
_DATE = r"[0-9]{1,2}(?:[/.-][0-9]{1,2}[/.-][0-9]{4}| thang [0-9]{1,2},? nam [0-9]{4})"

_RE_DAY = re.compile(
    rf"{_LEAD}(?:(?:luc )?(?P<t1>{_TIME}),? )?(?:ngay )?(?P<date>{_DATE})"
    rf"(?:,? (?:luc |vao luc )?(?P<t2>{_TIME}))?"
)
_RE_DATE_NUM = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})")
_RE_DATE_WORDS = re.compile(r"([0-9]{1,2}) thang ([0-9]{1,2}),? nam ([0-9]{4})")
_RE_TIME = re.compile(
    r"(?P<h>[0-9]{1,2}) ?(?:gio|h|g|:)(?: ?(?P<m>[0-9]{1,2})(?: ?(?:phut|p|'))?)?"
    r"(?: (?P<ap>sang|chieu))?"
)
_RE_MONTH = re.compile(
    rf"{_LEAD}(?:(?:thang|t) ?)?(?P<m>[0-9]{{1,2}})(?:/|-|\.|,? nam )(?P<y>[0-9]{{4}})"
)
_RE_QUARTER = re.compile(
    rf"{_LEAD}(?:quy|q) ?(?P<q>[ivxlcdm]+|[0-9]{{1,2}})(?:/|-|,? nam | )(?P<y>[0-9]{{4}})"
)
_RE_HALF = re.compile(rf"{_LEAD}(?:6|sau) thang (?P<h>dau|cuoi) nam,? (?:nam )?(?P<y>[0-9]{{4}})")
_RE_YEAR = re.compile(rf"{_LEAD}(?:nam )?(?P<y>[0-9]{{4}})")
# "trong tuần đầu tháng 01/2027": the first seven days of the month (the end of the 7th);
# "tuần cuối tháng 12/2026": the month's last day. (import4)
_RE_WEEK_OF_MONTH = re.compile(
    rf"{_LEAD}tuan (?P<w>dau tien|dau|thu nhat|cuoi cung|cuoi) (?:cua )?thang ?(?P<m>[0-9]{{1,2}})"
    rf"(?:/|-|\.|,? nam )(?P<y>[0-9]{{4}})"
)

_DOCUMENT_WORDS = r"(?:van ban|cong van|ke hoach|thong bao|chi thi|quyet dinh|huong dan|ket luan)"
_SINCE_ISSUE = rf"(?: (?:ke )?tu ngay (?:ban hanh|ky|nhan duoc)(?: {_DOCUMENT_WORDS})?(?: nay)?)?"
_WITHIN = r"(?:(?:trong vong|trong thoi han|trong|han|thoi han|han chot) )?"
_RE_WORKING_DAYS = re.compile(rf"{_WITHIN}(?P<n>[0-9]{{1,6}}) ngay lam viec{_SINCE_ISSUE}")
_RE_CALENDAR_DAYS = re.compile(rf"{_WITHIN}(?P<n>[0-9]{{1,6}}) ngay{_SINCE_ISSUE}")
_RE_RELATIVE_MONTHS = re.compile(
    r"(?:(?P<within>trong vong|trong thoi han|trong) )?(?P<n>[0-9]{1,4}) thang"
    rf"(?P<since> (?:ke )?tu ngay (?:ban hanh|ky|nhan duoc)(?: {_DOCUMENT_WORDS})?(?: nay)?)?"
)

# Recurring wordings. "hằng"/"hàng" both fold to "hang"; "mỗi" to "moi".
_EVERY = r"(?:hang|moi)"
_DAY_LEAD = (
    r"(?:(?P<lead>truoc|cham nhat la|cham nhat vao|cham nhat|muon nhat la|muon nhat|han chot|"
    r"han|vao|den|trong) )?"
)
_D = r"(?P<d>[0-9]{1,2})"
_RE_MONTHLY_DAY = (
    re.compile(rf"{_DAY_LEAD}ngay {_D}(?: cua)? (?:{_EVERY}|cac) thang"),
    re.compile(rf"{_EVERY} thang,? {_DAY_LEAD}ngay {_D}"),
)
_RE_MONTHLY_END = re.compile(rf"(?:(?:vao )?cuoi )?{_EVERY} thang|cuoi (?:moi|hang|cac) thang")
_RE_QUARTER_NEXT_DAY = re.compile(
    rf"(?:{_EVERY} quy,? )?{_DAY_LEAD}ngay {_D}(?: cua)? thang dau(?: tien)?(?: cua)? "
    r"quy (?:tiep theo|sau|ke tiep|ke sau|sau do)"
)
_RE_QUARTER_LAST_MONTH_DAY = re.compile(
    rf"(?:{_EVERY} quy,? )?{_DAY_LEAD}ngay {_D}(?: cua)? thang cuoi(?: cua)?(?: (?:moi|hang))? quy"
)
_RE_QUARTER_END = re.compile(
    rf"(?:(?:vao )?cuoi )?{_EVERY} quy|cuoi (?:moi|hang|cac) quy|"
    r"(?:trong |vao )?thang cuoi(?: cua)?(?: (?:moi|hang))? quy"
)
_RE_HALF_END = re.compile(
    rf"(?:{_EVERY} |cuoi )?(?:6|sau) thang(?: (?:mot|1) lan)?|(?:{_EVERY} )?nua nam(?: (?:mot|1) lan)?"
)
_RE_YEARLY_END = re.compile(rf"(?:(?:vao )?cuoi )?{_EVERY} nam|cuoi (?:moi|hang|cac) nam")
_DM = r"(?P<d>[0-9]{1,2})(?:/|-| thang )(?P<m>[0-9]{1,2})"
_RE_YEARLY_DAY = (
    re.compile(rf"{_EVERY} nam,? {_DAY_LEAD}ngay {_DM}"),
    re.compile(rf"{_DAY_LEAD}ngay {_DM}(?: cua)? {_EVERY} nam"),
)

# "định kỳ 6 tháng (trước ngày 15/6 và 15/12)", "trước ngày 15/6 và 15/12 hằng năm".
_RE_TWO_DAYS_A_YEAR = re.compile(
    rf"(?P<six>(?:{_EVERY} )?(?:6|sau) thang(?:,? (?:va )?(?:ca )?nam)?(?: (?:mot|1) lan)?,? )?\(?{_DAY_LEAD}ngay "
    r"(?P<d>[0-9]{1,2})/(?P<m>[0-9]{1,2}) va (?:ngay )?(?P<d2>[0-9]{1,2})/(?P<m2>[0-9]{1,2})\)?"
    rf"(?P<yearly>,? {_EVERY} nam)?"
)
# What may precede a deadline's leading word without changing it ("hoàn thành xong trước …").
_DONE_PREFIX = re.compile(r"^(?:(?:hoan thanh xong|hoan thanh|xong) (?=truoc |cham nhat |trong |vao |den )|"
                          r"cham nhat (?=trong ))")
# A month without its year ("trong tháng 12"), alone in the wording.
_YEARLESS_MONTH = re.compile(r"^(?P<lead>(?:trong|truoc|den het|den) )?thang (?P<m>[0-9]{1,2})$")
# A day and month without a year, alone in the wording.
_YEARLESS = re.compile(r"(?<![0-9/.-])(?P<d>[0-9]{1,2})/(?P<m>[0-9]{1,2})(?![0-9/.-])")

_ROMAN_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_BY_END = object()  # marker: "at the latest by the end of"


def parse_deadline(
    text: str,
    *,
    issued_on: date,
    tz: ZoneInfo = DEFAULT_TZ,
    holidays: Collection[date] = (),
    infer_year: bool = False,
) -> ParsedDeadline:
    """Read a deadline wording as the office means it.

    ``issued_on`` is the dispatch's issue date (the start for "trong 10 ngày
    làm việc" and for the first occurrence of a recurring rule); ``holidays``
    are the public holidays skipped when counting working days. Raises
    :class:`DeadlineParseError` (Vietnamese message) for any wording it cannot
    read with certainty. ``infer_year`` gives a day written without its year the
    year of its next occurrence on or after ``issued_on`` (wordings read in a
    dispatch).
    """
    if isinstance(issued_on, datetime):
        issued_on = issued_on.date()
    cleaned = _clean(text) if isinstance(text, str) else ""
    if not cleaned:
        raise DeadlineParseError(
            "Thời hạn đang để trống: " + _EXAMPLES, cleaned
        )
    folded = _DONE_PREFIX.sub("", _fold(cleaned))
    if infer_year:
        folded = _complete_year(folded, issued_on)
    for reader in (_read_recurring, _read_relative, _read_day, _read_period):
        result = reader(folded, cleaned, issued_on, tz, holidays)
        if result is not None:
            return result
    raise _unreadable(folded, cleaned)


def _complete_year(folded: str, issued_on: date) -> str:
    """A one-off wording with a single day written without its year ("trước ngày 20/10"),
    given the year of that day's next occurrence on or after ``issued_on``."""
    if re.search(r"\b(?:hang|moi|dinh ky|cac) (?:thang|quy|nam)\b|\bdinh ky\b|[0-9]{4}", folded):
        return folded
    month_only = _YEARLESS_MONTH.fullmatch(folded)
    if month_only is not None:
        # "trong tháng 12" in a dispatch: that month of the issue year, or of the next year when the
        # issue date is past that month ("trong tháng 01" in a dispatch of 20/11/2026 is 01/2027).
        month = int(month_only["m"])
        if 1 <= month <= 12:
            year = issued_on.year if month >= issued_on.month else issued_on.year + 1
            return f"{folded}/{year}"
        return folded
    matches = list(_YEARLESS.finditer(folded))
    if len(matches) != 1:
        return folded
    match = matches[0]
    day, month = int(match["d"]), int(match["m"])
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        return folded
    year = issued_on.year
    for candidate in (year, year + 1):
        try:
            if date(candidate, month, day) >= issued_on:
                year = candidate
                break
        except ValueError:  # 29/2 in a common year, 31/4: the error names the date
            year = candidate
            break
    return f"{folded[:match.end()]}/{year}{folded[match.end():]}"


def counts_from_issue_date(text: str | None) -> bool:
    """Whether a wording's deadline is counted from the dispatch's issue date (a number of days or
    months, or a recurring rule's first occurrence). Such a deadline on a draft is provisional
    ("tạm tính"): it is recomputed from the issue date when the dispatch is issued
    (``workflow.services.dispatches.issue_dispatch``). Unreadable wording: False."""
    if not text:
        return False
    try:
        return parse_deadline(text, issued_on=date(2000, 1, 3)).from_issue_date
    except DeadlineParseError:
        return False


def _unreadable(folded: str, cleaned: str) -> DeadlineParseError:
    """The error for a wording none of the readers understood."""
    bare = re.sub(r"^(?:can |phai |duoc )", "", folded)
    if bare in _VAGUE:
        return DeadlineParseError(
            f'Thời hạn "{cleaned}" không phải là một thời điểm cụ thể: {_EXAMPLES}', cleaned
        )
    if re.search(r"(?<![0-9/.-])[0-9]{1,2}[/.-][0-9]{1,2}(?![0-9/.-])", folded) and not re.search(
        r"[0-9]{4}", folded
    ):
        return DeadlineParseError(
            f'Thời hạn "{cleaned}" thiếu năm: hãy ghi rõ ngày, tháng và năm '
            '(ví dụ "trước ngày 30/6/2026").',
            cleaned,
        )
    if re.search(r"[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2}(?![0-9])", folded):
        return DeadlineParseError(
            f'Thời hạn "{cleaned}" ghi năm bằng hai chữ số: hãy ghi năm đủ bốn chữ số '
            '(ví dụ "trước ngày 30/6/2026").',
            cleaned,
        )
    return DeadlineParseError(f'Không hiểu thời hạn "{cleaned}": {_EXAMPLES}', cleaned)


def _lead_kind(lead: str | None):
    """``"before"`` for "trước", otherwise the "at the latest by" marker."""
    return "before" if lead == "truoc" else _BY_END


def _check_year(year: int, cleaned: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise DeadlineParseError(
            f'Năm không hợp lệ trong thời hạn "{cleaned}": {year} '
            f"(năm phải từ {MIN_YEAR} đến {MAX_YEAR}).",
            cleaned,
        )


def _check_month(month: int, cleaned: str) -> None:
    if not 1 <= month <= 12:
        raise DeadlineParseError(
            f'Tháng không hợp lệ trong thời hạn "{cleaned}": {month} (tháng phải từ 1 đến 12).',
            cleaned,
        )


def _make_date(day: int, month: int, year: int, cleaned: str) -> date:
    """A calendar date, or a Vietnamese error naming what is wrong."""
    _check_year(year, cleaned)
    _check_month(month, cleaned)
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise DeadlineParseError(
            f'Ngày không hợp lệ trong thời hạn "{cleaned}": tháng {month} năm {year} '
            f"không có ngày {day}.",
            cleaned,
        )
    return date(year, month, day)


def _parse_time(raw: str, cleaned: str) -> tuple[int, int]:
    """Hours and minutes of a folded time ("09 gio 00 phut" → (9, 0)), validated."""
    match = _RE_TIME.fullmatch(raw)
    assert match is not None  # raw was matched by the same shape
    hour = int(match["h"])
    minute = int(match["m"]) if match["m"] is not None else 0
    if match["ap"] == "chieu" and 1 <= hour <= 11:
        hour += 12
    bad_morning = match["ap"] == "sang" and hour > 12
    if hour > 24 or minute > 59 or (hour == 24 and minute != 0) or bad_morning:
        raise DeadlineParseError(
            f'Giờ không hợp lệ trong thời hạn "{cleaned}": giờ phải từ 0 đến 23 '
            "và phút từ 0 đến 59.",
            cleaned,
        )
    return hour, minute


def _read_day(folded, cleaned, issued_on, tz, holidays) -> ParsedDeadline | None:
    """A deadline on a given day, optionally at a given time."""
    match = _RE_DAY.fullmatch(folded)
    if match is None:
        return None
    if match["t1"] and match["t2"]:
        return None  # two times: not a wording we read
    raw_date = match["date"]
    parts = _RE_DATE_NUM.fullmatch(raw_date) or _RE_DATE_WORDS.fullmatch(raw_date)
    day, month, year = (int(v) for v in parts.groups())
    due = _make_date(day, month, year, cleaned)
    raw_time = match["t1"] or match["t2"]
    if raw_time:
        hour, minute = _parse_time(raw_time, cleaned)
        if hour == 24:  # "24 giờ ngày X" is the end of day X
            deadline = _start_of_day(due + timedelta(days=1), tz)
        else:
            deadline = datetime.combine(due, time(hour, minute), tzinfo=tz)
        return ParsedDeadline(cleaned, deadline, None, None, "minute")
    if _lead_kind(match["lead"]) == "before":
        deadline = _start_of_day(due, tz)
    else:
        deadline = _end_of_day(due, tz)
    return ParsedDeadline(cleaned, deadline, None, None, "day")


def _period_deadline(start: date, end_month: int, end_year: int, lead, tz) -> datetime:
    """Start of the period for "trước …", otherwise the end of its last month."""
    if _lead_kind(lead) == "before":
        return _start_of_day(start, tz)
    return end_of_month(end_year, end_month, tz)


def _read_period(folded, cleaned, issued_on, tz, holidays) -> ParsedDeadline | None:
    """A month, quarter, half-year or year as the deadline."""
    match = _RE_MONTH.fullmatch(folded)
    if match:
        month, year = int(match["m"]), int(match["y"])
        _check_month(month, cleaned)
        _check_year(year, cleaned)
        deadline = _period_deadline(date(year, month, 1), month, year, match["lead"], tz)
        return ParsedDeadline(cleaned, deadline, None, None, "month")

    match = _RE_QUARTER.fullmatch(folded)
    if match:
        raw, year = match["q"], int(match["y"])
        quarter = _ROMAN_QUARTERS.get(raw) if not raw.isdecimal() else int(raw)
        if quarter is None or not 1 <= quarter <= 4:
            raise DeadlineParseError(
                f'Quý không hợp lệ trong thời hạn "{cleaned}": quý phải từ I đến IV '
                "(hoặc từ 1 đến 4).",
                cleaned,
            )
        _check_year(year, cleaned)
        first = date(year, quarter * 3 - 2, 1)
        deadline = _period_deadline(first, quarter * 3, year, match["lead"], tz)
        return ParsedDeadline(cleaned, deadline, None, None, "quarter")

    match = _RE_HALF.fullmatch(folded)
    if match:
        year = int(match["y"])
        _check_year(year, cleaned)
        first_month = 1 if match["h"] == "dau" else 7
        deadline = _period_deadline(
            date(year, first_month, 1), first_month + 5, year, match["lead"], tz
        )
        return ParsedDeadline(cleaned, deadline, None, None, "month")

    match = _RE_WEEK_OF_MONTH.fullmatch(folded)
    if match:
        month, year = int(match["m"]), int(match["y"])
        _check_month(month, cleaned)
        _check_year(year, cleaned)
        if match["w"].startswith("cuoi"):
            last = calendar.monthrange(year, month)[1]
            first_day, deadline = date(year, month, last - 6), end_of_month(year, month, tz)
        else:
            first_day = date(year, month, 1)
            deadline = datetime.combine(date(year, month, 7), END_OF_DAY, tzinfo=tz)
        if _lead_kind(match["lead"]) == "before":
            deadline = _start_of_day(first_day, tz)
        return ParsedDeadline(cleaned, deadline, None, None, "day")

    match = _RE_YEAR.fullmatch(folded)
    if match:
        year = int(match["y"])
        _check_year(year, cleaned)
        deadline = _period_deadline(date(year, 1, 1), 12, year, match["lead"], tz)
        return ParsedDeadline(cleaned, deadline, None, None, "year")
    return None


def _read_relative(folded, cleaned, issued_on, tz, holidays) -> ParsedDeadline | None:
    """A number of working days, days or months counted from the issue date."""
    match = _RE_WORKING_DAYS.fullmatch(folded)
    if match:
        n = int(match["n"])
        if not 1 <= n <= MAX_WORKING_DAYS:
            raise DeadlineParseError(
                f'Số ngày làm việc không hợp lệ trong thời hạn "{cleaned}": '
                f"phải từ 1 đến {MAX_WORKING_DAYS}.",
                cleaned,
            )
        due = add_working_days(issued_on, n, holidays)
        return ParsedDeadline(cleaned, _end_of_day(due, tz), None, None, "working_days", True)

    match = _RE_CALENDAR_DAYS.fullmatch(folded)
    if match:
        n = int(match["n"])
        if not 1 <= n <= MAX_CALENDAR_DAYS:
            raise DeadlineParseError(
                f'Số ngày không hợp lệ trong thời hạn "{cleaned}": phải từ 1 đến {MAX_CALENDAR_DAYS}.',
                cleaned,
            )
        return ParsedDeadline(
            cleaned, _end_of_day(issued_on + timedelta(days=n), tz), None, None, "day", True
        )

    match = _RE_RELATIVE_MONTHS.fullmatch(folded)
    if match and (match["within"] or match["since"]):  # a bare "6 tháng" is recurring
        n = int(match["n"])
        if not 1 <= n <= MAX_MONTHS:
            raise DeadlineParseError(
                f'Số tháng không hợp lệ trong thời hạn "{cleaned}": phải từ 1 đến {MAX_MONTHS}.',
                cleaned,
            )
        due = issued_on + relativedelta(months=n)
        return ParsedDeadline(cleaned, _end_of_day(due, tz), None, None, "day", True)
    return None


def _check_rule_day(day: int, months: tuple[int, ...] | None, cleaned: str) -> None:
    """The day of a recurring rule must exist in at least one of its months."""
    longest = max(
        (29 if m == 2 else calendar.monthrange(2001, m)[1]) for m in (months or range(1, 13))
    )
    if not 1 <= day <= longest:
        raise DeadlineParseError(
            f'Ngày không hợp lệ trong thời hạn "{cleaned}": ngày {day} không có trong tháng '
            "được nêu.",
            cleaned,
        )


def _recurring(cleaned: str, rule: str, issued_on: date, tz) -> ParsedDeadline:
    first = _first_occurrence_after(rule, issued_on, tz)
    return ParsedDeadline(cleaned, first, rule, period_for(rule, first), "recurring", True)


def _read_recurring(folded, cleaned, issued_on, tz, holidays) -> ParsedDeadline | None:
    """A deadline that comes back every month, quarter, half-year or year."""
    text = re.sub(r"^(?:dinh ky|theo dinh ky),? ", "", folded)
    # "hằng tháng (trước ngày 20)": the day in brackets after the period reads as "hằng tháng, trước ngày 20".
    text = re.sub(rf"^({_EVERY} (?:thang|quy|nam)) ?\((.+?)\)?$", r"\1, \2", text)

    def on_day(match, months):
        day = int(match["d"])
        _check_rule_day(day, months, cleaned)
        end_of_day = _lead_kind(match["lead"]) is _BY_END
        return _recurring(cleaned, _monthday_rule(day, months, end_of_day), issued_on, tz)

    for pattern in _RE_MONTHLY_DAY:
        match = pattern.fullmatch(text)
        if match:
            return on_day(match, None)
    match = _RE_QUARTER_NEXT_DAY.fullmatch(text)
    if match:
        return on_day(match, QUARTER_FIRST_MONTHS)
    match = _RE_QUARTER_LAST_MONTH_DAY.fullmatch(text)
    if match:
        return on_day(match, QUARTER_LAST_MONTHS)
    for pattern in _RE_YEARLY_DAY:
        match = pattern.fullmatch(text)
        if match:
            month = int(match["m"])
            _check_month(month, cleaned)
            return on_day(match, (month,))
    match = _RE_TWO_DAYS_A_YEAR.fullmatch(text)
    if match and (match["six"] or match["yearly"] or text != folded):
        months = tuple(sorted({int(match["m"]), int(match["m2"])}))
        for month in months:
            _check_month(month, cleaned)
        if int(match["d"]) != int(match["d2"]) or len(months) != 2:
            raise DeadlineParseError(
                f'Thời hạn "{cleaned}" nêu hai ngày khác nhau trong năm: hãy tách thành hai nhiệm vụ '
                '(ví dụ "trước ngày 15/6 hằng năm" và "trước ngày 15/12 hằng năm").',
                cleaned,
            )
        return on_day(match, months)

    if _RE_MONTHLY_END.fullmatch(text):
        return _recurring(cleaned, _end_of_month_rule(None), issued_on, tz)
    if _RE_QUARTER_END.fullmatch(text):
        return _recurring(cleaned, _end_of_month_rule(QUARTER_LAST_MONTHS), issued_on, tz)
    if _RE_HALF_END.fullmatch(text):
        return _recurring(cleaned, _end_of_month_rule(HALF_LAST_MONTHS), issued_on, tz)
    if _RE_YEARLY_END.fullmatch(text):
        return _recurring(cleaned, _end_of_month_rule((12,)), issued_on, tz)
    return None
