"""Targets as the documents write them, and results judged against them.

Pure functions, no Flask and no database. A target is the text of the "Mục tiêu"
or "Kế hoạch" column of a seed document:

=========================  =============================================================
``100``, ``05``, ``34.435``  a figure to reach (comparator ``=``): reaching it exactly is
                             ``Đạt``, going beyond it ``Vượt``
``≥80``, ``≥ 10``, ``>= 5``  at least (``>=``)
``> 46,78``, ``trên 70``     more than (``>``): every value that meets it is beyond it
``≤ 2``, ``< 2``, ``dưới 2``  at most / less than (lower is better)
``13,18 - 14,29``          a range (``range``): inside is ``Đạt``, above it ``Vượt``
``1-1,5 / 2-3``            several targets, one per component (``multi``)
``35,44/26,45/ 33,65/4,46``  likewise (an economic structure); ``7,7; 23,4`` too
``-``, empty               no target (comparator ``None``): nothing can be judged
=========================  =============================================================

Numbers are Vietnamese: ``,`` is the decimal mark and ``.`` groups thousands
(``4.250,105`` is 4250.105; ``34.435`` is 34435). A dot followed by other than
three digits is read as a decimal point (``7.5``), as people also type that.

``judge(target, value)`` answers ``Judgement(met, attainment)``: ``met`` is
``True``/``False``, or ``None`` where the target cannot judge the value; the
attainment is ``Vượt`` (beyond the target in the good direction), ``Đạt``
(meets it exactly) or ``Chưa đạt``.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

EXCEEDED, MET, NOT_MET = "Vượt", "Đạt", "Chưa đạt"

COMPARATORS = ("=", ">=", ">", "<=", "<", "range", "multi")
COMPARATOR_SYMBOLS = {"=": "", ">=": "≥", ">": ">", "<=": "≤", "<": "<"}

MAX_ABS = 1e15  # figures beyond this are typing errors, not data


class TargetParseError(ValueError):
    """The text is not a target (or a number) the parser understands; the message is Vietnamese."""


# --- numbers -----------------------------------------------------------------------

_NUMBER = r"[+-]?\d+(?:[.,\s]\d+)*"
_NUMBER_RE = re.compile(rf"^\s*({_NUMBER})\s*(.*?)\s*$", re.S)
_GROUPED = re.compile(r"^\d{1,3}(?:\.\d{3})+$")          # 34.435 · 4.250
_GROUPED_DEC = re.compile(r"^\d{1,3}(?:\.\d{3})+,\d+$")   # 4.250,105
_SPACED = re.compile(r"^\d{1,3}(?: \d{3})+(?:,\d+)?$")    # 34 435 (a space as grouping)


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return (text.replace("\u00a0", " ").replace("\u202f", " ").replace("−", "-").replace("–", "-")
            .replace("—", "-").replace("＞", ">").replace("＜", "<"))


def parse_number(text) -> float:
    """A number as written in Vietnamese documents: ``85,5`` · ``34.435`` · ``4.250,105`` · ``05``.

    Ints and floats pass through. Raises ``TargetParseError`` for anything else
    (``""``, ``"abc"``, ``"1,2,3"``, infinities, NaN).
    """
    if isinstance(text, bool):
        raise TargetParseError("Giá trị phải là một số.")
    if isinstance(text, (int, float)):
        try:
            value = float(text)
        except OverflowError:  # an int such as 10**400
            raise TargetParseError("Giá trị số quá lớn hoặc không hữu hạn.") from None
        if not math.isfinite(value) or abs(value) > MAX_ABS:
            raise TargetParseError("Giá trị số quá lớn hoặc không hữu hạn.")
        return value
    if not isinstance(text, str):
        raise TargetParseError("Giá trị phải là một số.")
    raw = _norm(text).strip()
    sign = 1.0
    if raw[:1] in "+-" and len(raw) > 1:
        sign = -1.0 if raw[0] == "-" else 1.0
        raw = raw[1:].strip()
    if raw.endswith("%"):
        raw = raw[:-1].strip()
    if not raw or not re.fullmatch(r"\d+(?:[., ]\d+)*", raw):
        raise TargetParseError(f"\"{text.strip()[:60]}\" không phải là số (ví dụ: 85 hoặc 85,5 hoặc 34.435).")
    if _GROUPED.match(raw):
        number = raw.replace(".", "")
    elif _GROUPED_DEC.match(raw):
        number = raw.replace(".", "").replace(",", ".")
    elif _SPACED.match(raw):
        number = raw.replace(" ", "").replace(",", ".")
    elif raw.count(",") == 1 and "." not in raw and " " not in raw:
        number = raw.replace(",", ".")
    elif raw.count(".") == 1 and "," not in raw and " " not in raw:
        number = raw  # 7.5: a decimal point typed the English way
    elif re.fullmatch(r"\d+", raw):
        number = raw
    else:
        raise TargetParseError(f"\"{text.strip()[:60]}\" không phải là số hợp lệ (dấu phẩy là dấu thập phân, "
                               "dấu chấm phân cách hàng nghìn).")
    value = sign * float(number)
    if abs(value) > MAX_ABS:
        raise TargetParseError("Giá trị số quá lớn.")
    return value


def format_number(value: float | None) -> str:
    """Vietnamese separators: ``1234.5`` → ``1.234,5``; whole numbers without decimals."""
    if value is None:
        return ""
    number = float(value)
    if number.is_integer():
        decimals = 0
    else:
        text = f"{number:.6f}".rstrip("0")
        decimals = len(text.split(".")[1]) if "." in text else 0
    text = f"{abs(number):,.{decimals}f}".translate(str.maketrans(",.", ".,"))
    return "-" + text if number < 0 and text.strip("0.,") else text


# --- targets -------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    text: str
    comparator: str | None             # one of COMPARATORS, or None: no target
    values: tuple[float, ...] = ()      # the bound(s): (80,) · (13.18, 14.29) · the parts' first values
    unit: str | None = None
    parts: tuple["Target", ...] = field(default=())  # for "multi"

    @property
    def judgeable(self) -> bool:
        return self.comparator is not None and self.comparator != "multi"

    @property
    def higher_is_better(self) -> bool:
        return self.comparator not in ("<=", "<")

    @property
    def plan_value(self) -> float | None:
        """The single figure the annual plan sets (for progress), or None."""
        if self.comparator in ("=", ">=", ">"):
            return self.values[0]
        if self.comparator == "range":
            return self.values[0]
        return None

    def as_dict(self) -> dict:
        out = {"text": self.text, "comparator": self.comparator, "values": list(self.values), "unit": self.unit}
        if self.comparator == "multi":
            out["parts"] = [p.as_dict() for p in self.parts]
        return out

    def describe(self) -> str:
        """Vietnamese words for the target (``tối thiểu 80 %``)."""
        unit = f" {self.unit}" if self.unit else ""
        if self.comparator is None:
            return "Không có mục tiêu định lượng"
        if self.comparator == "=":
            return f"Đạt {format_number(self.values[0])}{unit}"
        if self.comparator == ">=":
            return f"Tối thiểu {format_number(self.values[0])}{unit}"
        if self.comparator == ">":
            return f"Trên {format_number(self.values[0])}{unit}"
        if self.comparator == "<=":
            return f"Tối đa {format_number(self.values[0])}{unit}"
        if self.comparator == "<":
            return f"Dưới {format_number(self.values[0])}{unit}"
        if self.comparator == "range":
            return f"Từ {format_number(self.values[0])} đến {format_number(self.values[1])}{unit}"
        return "; ".join(p.describe() for p in self.parts)


NO_TARGET_WORDS = {"", "-", "--", "—", "x", "không", "khong", "n/a"}

_PREFIXES = [
    ("≥", ">="), (">=", ">="), ("=>", ">="), ("≤", "<="), ("<=", "<="), ("=<", "<="),
    (">", ">"), ("<", "<"), ("=", "="),
    ("tối thiểu", ">="), ("toi thieu", ">="), ("ít nhất", ">="), ("từ", ">="),
    ("trên", ">"), ("hơn", ">"), ("tối đa", "<="), ("dưới", "<"), ("không quá", "<="),
]
_RANGE_RE = re.compile(rf"^({_NUMBER})\s*(?:-|đến|tới)\s*({_NUMBER})\s*(.*?)$", re.S)
_MULTI_SPLIT = re.compile(r"\s*[/;]\s*")


def _split_unit(rest: str, default_unit: str | None) -> str | None:
    rest = rest.strip().strip("()").strip()
    if not rest:
        return default_unit
    if rest.lower() in ("trở lên", "tro len"):
        return default_unit
    if rest.lower().endswith("trở lên"):
        rest = rest[: -len("trở lên")].strip()
    if re.search(r"\d", rest) or len(rest) > 30:
        raise TargetParseError("Phần sau con số không phải là đơn vị tính.")
    return rest or default_unit


def _single(text: str, default_unit: str | None) -> Target:
    raw = text.strip()
    comparator = word = None
    lowered = raw.lower()
    for prefix, comp in _PREFIXES:
        if lowered.startswith(prefix):
            comparator, word, raw = comp, prefix, raw[len(prefix):].strip()
            break
    if comparator is None or word == "từ":
        match = _RANGE_RE.match(raw)
        if match:
            low, high = parse_number(match[1]), parse_number(match[2])
            if low > high:
                raise TargetParseError(f"Khoảng mục tiêu \"{text.strip()}\" có cận dưới lớn hơn cận trên.")
            return Target(text=text.strip(), comparator="range", values=(low, high),
                          unit=_split_unit(match[3], default_unit))
    match = _NUMBER_RE.match(raw)
    if not match:
        raise TargetParseError(f"Không đọc được mục tiêu \"{text.strip()[:60]}\".")
    number_text, rest = match[1], match[2]
    value = parse_number(number_text.strip())
    return Target(text=text.strip(), comparator=comparator or "=", values=(value,),
                  unit=_split_unit(rest, default_unit))


def parse_target(text, unit: str | None = None) -> Target:
    """Parse a target as written; ``unit`` is the indicator's measure unit (the default).

    Raises ``TargetParseError`` with a Vietnamese message when the text is not a target.
    """
    if text is None:
        return Target(text="", comparator=None, unit=unit)
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = parse_number(text)
        return Target(text=format_number(value), comparator="=", values=(value,), unit=unit)
    if not isinstance(text, str):
        raise TargetParseError("Mục tiêu phải là chuỗi ký tự.")
    cleaned = " ".join(_norm(text).split())
    if cleaned.lower() in NO_TARGET_WORDS:
        return Target(text=cleaned, comparator=None, unit=unit)
    pieces = [p for p in _MULTI_SPLIT.split(cleaned)]
    if len(pieces) > 1:
        if any(not p for p in pieces):
            raise TargetParseError(f"Không đọc được mục tiêu \"{cleaned[:60]}\".")
        parts = tuple(_single(p, None) for p in pieces)
        return Target(text=cleaned, comparator="multi", values=tuple(p.values[0] for p in parts), unit=unit,
                      parts=parts)
    return _single(cleaned, unit)


def try_parse_target(text, unit: str | None = None) -> Target | None:
    try:
        return parse_target(text, unit)
    except TargetParseError:
        return None


# --- judging -------------------------------------------------------------------------

EPSILON = 1e-9


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= EPSILON * max(1.0, abs(a), abs(b))


@dataclass(frozen=True)
class Judgement:
    met: bool | None
    attainment: str | None  # EXCEEDED, MET, NOT_MET, or None when not judged

    def as_dict(self) -> dict:
        return {"met": self.met, "attainment": self.attainment}


NOT_JUDGED = Judgement(None, None)


def _judge_one(target: Target, value: float) -> Judgement:
    comp = target.comparator
    if comp == "range":
        low, high = target.values
        if value > high and not _close(value, high):
            return Judgement(True, EXCEEDED)
        if value < low and not _close(value, low):
            return Judgement(False, NOT_MET)
        return Judgement(True, MET)
    bound = target.values[0]
    if comp in ("=", ">="):
        if _close(value, bound):
            return Judgement(True, MET)
        return Judgement(True, EXCEEDED) if value > bound else Judgement(False, NOT_MET)
    if comp == ">":
        return Judgement(True, EXCEEDED) if value > bound and not _close(value, bound) else Judgement(False, NOT_MET)
    if comp == "<=":
        if _close(value, bound):
            return Judgement(True, MET)
        return Judgement(True, EXCEEDED) if value < bound else Judgement(False, NOT_MET)
    if comp == "<":
        return Judgement(True, EXCEEDED) if value < bound and not _close(value, bound) else Judgement(False, NOT_MET)
    return NOT_JUDGED


def judge(target: Target | None, value) -> Judgement:
    """Judge ``value`` (a number, or a sequence of numbers for a ``multi`` target) against ``target``."""
    if target is None or target.comparator is None or value is None:
        return NOT_JUDGED
    if target.comparator == "multi":
        if not isinstance(value, (list, tuple)) or len(value) != len(target.parts):
            return NOT_JUDGED
        results = [judge(part, v) for part, v in zip(target.parts, value)]
        if any(r.met is None for r in results):
            return NOT_JUDGED
        if not all(r.met for r in results):
            return Judgement(False, NOT_MET)
        return Judgement(True, EXCEEDED if any(r.attainment == EXCEEDED for r in results) else MET)
    if isinstance(value, (list, tuple)):
        return NOT_JUDGED
    try:
        number = parse_number(value)
    except TargetParseError:
        return NOT_JUDGED
    return _judge_one(target, number)


def progress(actual, target: Target | None) -> float | None:
    """Progress against the annual plan, in percent (``36.000`` of ``70.000`` → 51.43), or None.

    Only targets with one plan figure in the good direction "higher" give progress.
    """
    if target is None or actual is None:
        return None
    plan = target.plan_value
    if plan is None or plan <= 0:
        return None
    try:
        number = parse_number(actual)
    except TargetParseError:
        return None
    return round(number / plan * 100, 2)


def parse_values(text) -> tuple[float, ...]:
    """Several figures written ``288/181/188`` or ``7,55; 23`` (for ``multi`` targets)."""
    if isinstance(text, (list, tuple)):
        return tuple(parse_number(v) for v in text)
    if not isinstance(text, str):
        return (parse_number(text),)
    pieces = _MULTI_SPLIT.split(_norm(text).strip())
    return tuple(parse_number(p) for p in pieces)
