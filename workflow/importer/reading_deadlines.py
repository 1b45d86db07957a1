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

_D_DATE = r"\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4}|\d{1,2}\s+thang\s+\d{1,2}\s*,?\s+nam\s+\d{4}"
_D_TIME = r"\d{1,2}\s*(?:gio|h)(?:\s*\d{1,2}\s*(?:phut|p)?)?(?:\s+(?:sang|chieu))?"
_D_LEAD = r"(?:truoc|cham nhat(?: la| vao)?|muon nhat(?: la)?|han chot(?: la)?|thoi han(?: la)?|den het|den|xong truoc)"
_DEADLINE_PATTERNS = [re.compile(p) for p in (
    rf"(?<![a-z]){_D_LEAD}\s+(?:(?:luc\s+)?{_D_TIME},?\s+)?ngay\s+(?:{_D_DATE})(?:,?\s+(?:luc\s+)?{_D_TIME})?",
    r"(?<![a-z])(?:truoc|cham nhat(?: la| vao)?|han chot|vao)\s+ngay\s+\d{1,2}(?:\s+cua)?\s+thang\s+dau(?:\s+tien)?"
    r"(?:\s+cua)?\s+quy\s+(?:tiep theo|sau|ke tiep|ke sau)",
    r"(?<![a-z])(?:truoc|cham nhat(?: la| vao)?|han chot|vao)\s+ngay\s+\d{1,2}(?:\s+cua)?\s+thang\s+cuoi"
    r"(?:\s+cua)?(?:\s+(?:moi|hang))?\s+quy",
    r"(?<![a-z])(?:truoc|cham nhat(?: la| vao)?|han chot|vao)\s+ngay\s+\d{1,2}(?:\s+cua)?\s+(?:hang|moi|cac)\s+thang",
    r"(?<![a-z])(?:hang|moi)\s+thang,?\s+(?:truoc|cham nhat|vao)\s+ngay\s+\d{1,2}(?!\s*/)",
    r"(?<![a-z])(?:hang|moi)\s+nam,?\s+(?:truoc|cham nhat|vao)\s+ngay\s+\d{1,2}\s*/\s*\d{1,2}(?!\s*/)",
    r"(?<![a-z])trong(?:\s+vong|\s+thoi han)?\s+\d{1,3}\s+ngay(?:\s+lam viec)?"
    r"(?:\s+(?:ke\s+)?tu\s+ngay\s+(?:ban hanh|ky)(?:\s+(?:van ban|cong van|ke hoach)(?:\s+nay)?)?)?",
    r"(?<![a-z])(?:truoc|trong|cham nhat(?: trong| la| vao)?|den het|han chot)\s+"
    r"(?:thang\s+\d{1,2}\s*/\s*\d{4}|quy\s+(?:iv|i{1,3}|[1-4])\s*/\s*\d{4}|(?:6|sau)\s+thang\s+(?:dau|cuoi)\s+nam\s+\d{4})",
    rf"(?<![a-z])(?:trong|vao)\s+ngay\s+(?:{_D_DATE})",
)]


def find_deadline(text: str, issued_on: date | None, *, tz: ZoneInfo, holidays: Collection[date]):
    """The deadline wording in ``text`` and what it means: (span, text, parsed or None, error)."""
    folded = fold_keep(text)
    found = []
    for pattern in _DEADLINE_PATTERNS:
        for match in pattern.finditer(folded):
            found.append((match.start(), match.end()))
    if not found:
        return None
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
        try:
            parsed = parse_deadline(wording, issued_on=issued_on, tz=tz, holidays=holidays)
        except DeadlineParseError as exc:
            first_error = first_error or ((start, end), wording, None, str(exc))
            continue
        return (start, end), wording, parsed, None
    return first_error
