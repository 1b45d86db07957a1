"""Deadline wordings in sentences: where they are; their meaning is workflow.deadlines'."""
from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date
from zoneinfo import ZoneInfo

from workflow.deadlines import DeadlineParseError, parse_deadline
from workflow.importer.text import _ws, fold_keep

# ----------------------------------------------------------------------------------------
# Deadlines in sentences
# ----------------------------------------------------------------------------------------

_D_DATE = (r"\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4}|\d{1,2}\s+thang\s+\d{1,2}\s*,?\s+nam\s+\d{4}"
           r"|\d{1,2}([.-])\d{1,2}\1\d{4}")  # also "30-11-2026", "30.11.2026"
_D_DAY_MONTH = r"\d{1,2}\s*/\s*\d{1,2}(?!\s*/\s*\d)(?!\d)"  # a day without its year
_D_TIME = r"\d{1,2}\s*(?:gio|h)(?:\s*\d{1,2}\s*(?:phut|p)?)?(?:\s+(?:sang|chieu))?"
_D_LEAD = (r"(?:truoc|cham nhat(?: la| vao)?|muon nhat(?: la)?|han chot(?: la)?|thoi han(?: la|\s*:)?|den het|den|"
           r"hoan thanh xong truoc|xong truoc)")
_D_EVERY = r"(?:hang|moi)"
_D_SINCE = (r"(?:\s+(?:ke\s+)?tu\s+ngay\s+(?:ban hanh|ky|nhan duoc)"
            r"(?:\s+(?:van ban|cong van|ke hoach|thong bao|chi thi|quyet dinh|huong dan|ket luan))?(?:\s+nay)?)?")
# Each wording the deadline rules read, as it sits in a sentence (folded text). Where two
# overlap, the longest from the same start wins ("trước ngày 31/12 hằng năm" over "trước
# ngày 31/12").
_DEADLINE_PATTERNS = [re.compile(p) for p in (
    rf"(?<![a-z]){_D_LEAD}\s+(?:(?:luc\s+)?{_D_TIME},?\s+)?ngay\s+(?:{_D_DATE})(?:,?\s+(?:luc\s+)?{_D_TIME})?",
    # "trước 30/11/2026", "chậm nhất 17 giờ 00, 30/11/2026": the same without "ngày".
    rf"(?<![a-z])(?:truoc|cham nhat(?: la)?|han chot(?: la)?|den het)\s+(?:(?:luc\s+)?{_D_TIME},?\s+)?(?:{_D_DATE})",
    # "trước ngày 20/10": the next 20/10 on or after the issue date.
    rf"(?<![a-z]){_D_LEAD}\s+(?:(?:luc\s+)?{_D_TIME},?\s+)?ngay\s+{_D_DAY_MONTH}",
    rf"(?<![a-z])(?:{_D_EVERY}\s+quy,?\s+)?(?:truoc|cham nhat(?: la| vao)?|han chot|vao)\s+ngay\s+\d{{1,2}}"
    r"(?:\s+cua)?\s+thang\s+dau(?:\s+tien)?(?:\s+cua)?\s+quy\s+(?:tiep theo|sau|ke tiep|ke sau)",
    rf"(?<![a-z])(?:{_D_EVERY}\s+quy,?\s+)?(?:truoc|cham nhat(?: la| vao)?|han chot|vao)\s+ngay\s+\d{{1,2}}"
    r"(?:\s+cua)?\s+thang\s+cuoi(?:\s+cua)?(?:\s+(?:moi|hang))?\s+quy",
    r"(?<![a-z])(?:truoc|cham nhat(?: la| vao)?|han chot|vao)\s+ngay\s+\d{1,2}(?:\s+cua)?\s+(?:hang|moi|cac)\s+thang",
    r"(?<![a-z])(?:hang|moi)\s+thang,?\s+(?:truoc|cham nhat|vao)\s+ngay\s+\d{1,2}(?!\s*/)",
    # "định kỳ hằng tháng (trước ngày 20)", "hằng quý (trước ngày 20 của tháng cuối quý)"
    r"(?<![a-z])(?:dinh ky\s+)?(?:hang|moi)\s+thang\s*\(\s*(?:truoc|cham nhat(?: la)?|vao)\s+ngay\s+\d{1,2}\s*\)",
    r"(?<![a-z])(?:dinh ky\s+)?(?:hang|moi)\s+quy\s*\(\s*(?:truoc|cham nhat(?: la)?|vao)\s+ngay\s+\d{1,2}"
    r"(?:\s+cua)?\s+thang\s+cuoi(?:\s+cua)?(?:\s+(?:moi|hang))?\s+quy\s*\)",
    r"(?<![a-z])(?:hang|moi)\s+nam,?\s+(?:truoc|cham nhat|vao)\s+ngay\s+\d{1,2}\s*/\s*\d{1,2}(?!\s*/)",
    # "trước ngày 31/12 hằng năm"
    rf"(?<![a-z])(?:truoc|cham nhat(?: la| vao)?|han chot|vao)\s+ngay\s+{_D_DAY_MONTH}(?:\s+cua)?\s+{_D_EVERY}\s+nam",
    # "định kỳ 6 tháng (trước ngày 15/6 và 15/12)", "trước ngày 15/6 và 15/12 hằng năm"
    rf"(?<![a-z])(?:dinh ky,?\s+)?(?:{_D_EVERY}\s+)?(?:6|sau)\s+thang(?:,?\s+(?:va\s+)?(?:ca\s+)?nam)?"
    rf"(?:\s+(?:mot|1)\s+lan)?,?\s*\(?\s*"
    rf"(?:truoc|cham nhat|vao)\s+ngay\s+\d{{1,2}}\s*/\s*\d{{1,2}}\s+va\s+(?:ngay\s+)?\d{{1,2}}\s*/\s*\d{{1,2}}\s*\)?"
    rf"(?:,?\s+{_D_EVERY}\s+nam)?",
    rf"(?<![a-z])(?:truoc|cham nhat|vao)\s+ngay\s+\d{{1,2}}\s*/\s*\d{{1,2}}\s+va\s+(?:ngay\s+)?\d{{1,2}}\s*/\s*"
    rf"\d{{1,2}}(?!\s*/)\s+{_D_EVERY}\s+nam",
    rf"(?<![a-z])trong(?:\s+vong|\s+thoi han)?\s+\d{{1,3}}\s+ngay(?:\s+lam viec)?{_D_SINCE}",
    r"(?<![a-z])(?:truoc|trong|cham nhat(?: trong| la| vao)?|den het|den|han chot)\s+"
    r"(?:thang\s+\d{1,2}\s*(?:/|,?\s+nam)\s*\d{4}|quy\s+(?:iv|i{1,3}|[1-4])\s*/\s*\d{4}|(?:6|sau)\s+thang\s+(?:dau|cuoi)\s+nam\s+\d{4})",
    rf"(?<![a-z])(?:trong|vao)\s+ngay\s+(?:{_D_DATE})",
    # "trong tháng 12" (no year): that month on or after the issue date's month.
    r"(?<![a-z])(?:trong|cham nhat trong|den het|truoc)\s+thang\s+\d{1,2}(?![\d/]|\s*[/.-]\s*\d|\s+nam\b|\s*,?\s*(?:va|hoac)\s+thang|\s*,\s*thang)",
    # "báo cáo tại phiên giao ban tháng 01/2027": the meeting of that month, whose day the
    # dispatch does not say; the month is the deadline (its last day), the wording "tháng 01/2027".
    r"(?<![a-z])(?:tai|vao|trong)\s+(?:phien|ky|cuoc|buoi)\s+(?:hop|giao ban|hoi nghi|lam viec)"
    r"(?:\s+(?:thuong ky|dinh ky|thuong le|cua [a-z ]{3,40}?))?\s+(?P<w>thang\s+\d{1,2}\s*/\s*\d{4})",
    r"(?<![a-z])(?:trong|truoc|den het|cham nhat trong)\s+nam\s+\d{4}(?!\s*[-–])",
    # (import4) "trong tuần đầu tháng 01/2027", "tuần cuối tháng 12/2026".
    r"(?<![a-z])(?:(?:trong|truoc|vao|cham nhat(?: trong| la| vao)?)\s+)?tuan\s+(?:dau tien|dau|thu nhat|cuoi cung|cuoi)"
    r"\s+(?:cua\s+)?thang\s*\d{1,2}\s*(?:/|,?\s+nam)\s*\d{4}",
    # (import4) a label then a bare period or day, in the sentence after the task: "Thời gian: 6
    # tháng đầu năm 2027", "Thời gian hoàn thành: quý I/2027", "Tiến độ: tháng 3/2027".
    r"(?<![a-z])(?:thoi gian(?:\s+(?:hoan thanh|thuc hien|bao cao|gui))?|tien do|thoi han)\s*:\s*"
    r"(?P<w>thang\s+\d{1,2}\s*(?:/|,?\s+nam)\s*\d{4}|quy\s+(?:iv|i{1,3}|[1-4])\s*/\s*\d{4}"
    r"|(?:6|sau)\s+thang\s+(?:dau|cuoi)\s+nam\s+\d{4}|nam\s+\d{4}|ngay\s+\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4})",
)]


_YEARLESS_DAY = re.compile(rf"(?:truoc|cham nhat(?: la| vao)?|han chot|vao)\s+ngay\s+{_D_DAY_MONTH}")

# A bare period after a report ("báo cáo Chánh Văn phòng hằng quý"): read only when the
# sentence says no more precise wording (1775's "các tiêu chí hàng quý … trước ngày 05 tháng
# đầu của quý tiếp theo" keeps the latter).
_BARE_PERIOD = re.compile(
    r"(?<![a-z])(?:bao cao|gui|cap nhat|tong hop)\b[^.;:]{0,100}?(?<![a-z])"
    r"((?:dinh ky\s+)?(?:hang|moi)\s+(?:thang|quy|nam)|dinh ky\s+(?:6|sau)\s+thang)\s*(?=[.;]|$)"
)


def find_deadline(text: str, issued_on: date | None, *, tz: ZoneInfo, holidays: Collection[date]):
    """The deadline wording in ``text`` and what it means: (span, text, parsed or None, error)."""
    folded = fold_keep(text)
    found = []
    for pattern in _DEADLINE_PATTERNS:
        for match in pattern.finditer(folded):
            # A pattern with a group "w" reads only that part of its match as the wording.
            found.append(match.span("w") if "w" in pattern.groupindex else (match.start(), match.end()))
    if not found:
        bare = _BARE_PERIOD.search(folded)
        if bare is None:
            return None
        found.append(bare.span(1))
    # Longest first at each position; no overlaps.
    found.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    spans: list[tuple[int, int]] = []
    for span in found:
        if spans and span[0] < spans[-1][1]:
            continue
        spans.append(span)
    first_error = None
    for start, end in spans:
        wording = _ws(text[start:end])
        if issued_on is None:
            return (start, end), wording, None, "Chưa xác định được ngày ban hành để tính thời hạn."
        # (import4) "định kỳ hằng năm tổng hợp, báo cáo … trước ngày 15/12": a day without its year
        # in a clause that says "hằng năm" earlier recurs every year ("trước ngày 15/12 hằng năm").
        clause = re.split(r"[.;]", folded[:start])[-1]
        if _YEARLESS_DAY.fullmatch(folded[start:end]) and re.search(r"(?<![a-z])(?:hang|moi) nam(?![a-z])", clause):
            wording = f"{wording} hằng năm"
        try:
            parsed = parse_deadline(wording, issued_on=issued_on, tz=tz, holidays=holidays, infer_year=True)
        except DeadlineParseError as exc:
            first_error = first_error or ((start, end), wording, None, str(exc))
            continue
        # "trong tháng 12/2026 (chậm nhất ngày 25/12/2026)": a day in brackets right after a
        # month, a quarter or a year makes it precise; the wording is the bracket's.
        bracket = re.match(r"\s*\(([^()]{6,80})\)", text[end:])
        if bracket is not None and parsed.precision in ("month", "quarter", "year"):
            inner = _ws(bracket.group(1))
            try:
                precise = parse_deadline(inner, issued_on=issued_on, tz=tz, holidays=holidays, infer_year=True)
            except DeadlineParseError:
                precise = None
            if precise is not None and precise.precision in ("day", "minute") and precise.rrule is None:
                return (start, end + bracket.end()), inner, precise, None
        return (start, end), wording, parsed, None
    return first_error
