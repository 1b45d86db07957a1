"""Units in sentences: the registry, who an item asks to act, who coordinates, groups."""
from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from workflow.importer.text import _fold_char, _ws, fold_keep

# ----------------------------------------------------------------------------------------
# The unit registry
# ----------------------------------------------------------------------------------------

# Abbreviations, written in capitals, and what they stand for (folded words).
ABBREVIATIONS = {
    "ubnd": "uy ban nhan dan", "hdnd": "hoi dong nhan dan", "btv": "ban thuong vu",
    "btc": "ban to chuc", "ubkt": "uy ban kiem tra", "vp": "van phong", "mttq": "mat tran to quoc",
    "ubmttq": "uy ban mat tran to quoc", "tu": "tinh uy", "vptu": "van phong tinh uy",
    "btctu": "ban to chuc tinh uy", "ubkttu": "uy ban kiem tra tinh uy", "tttu": "thuong truc tinh uy",
    "btvtu": "ban thuong vu tinh uy", "kh&cn": "khoa hoc va cong nghe", "khcn": "khoa hoc va cong nghe",
    "gd&dt": "giao duc va dao tao", "gddt": "giao duc va dao tao", "nn&mt": "nong nghiep va moi truong",
    "nnmt": "nong nghiep va moi truong", "vhttdl": "van hoa the thao va du lich",
    "vh,tt&dl": "van hoa the thao va du lich", "tw": "trung uong", "vptw": "van phong trung uong dang",
    "btctw": "ban to chuc trung uong", "bcd": "ban chi dao", "bql": "ban quan ly", "kcn": "khu cong nghiep",
    "tp": "thanh pho", "btg": "ban tuyen giao", "btgdv": "ban tuyen giao va dan van",
    "ct-xh": "chinh tri xa hoi", "ctxh": "chinh tri xa hoi", "dt&tg": "dan toc va ton giao",
    "vh": "van hoa", "tt&dl": "the thao va du lich", "kh&dt": "ke hoach va dau tu",
}

_WORD = re.compile(r"[^\W_]+(?:[&’'][^\W_]+)*")
# What may stand between two words of one unit name.
_NAME_GAP = re.compile(r"[\s,\-–&]*")
# After a short organ name, these words make it a different organ ("Ban Thường vụ các đảng ủy …").
_NOT_THIS_ORGAN = re.compile(r"\s*(?:cac |nhung )?(?:dang uy|dang bo|chi bo|cap uy|truc thuoc|co so)\b")
_STRIP_TAIL = ("lam", "dong")
_GENERIC_NAME_WORDS = {"so", "ban", "tinh", "uy", "van", "phong", "dang", "xa", "phuong", "va", "cac", "hoi"}


def _word_tokens(word: str, *, expand: bool) -> list[str]:
    folded = fold_keep(word).replace("’", "").replace("'", "")
    if expand and len(word) >= 2 and word.upper() == word and folded in ABBREVIATIONS:
        return ABBREVIATIONS[folded].split()
    if "&" in folded:
        return [t for part in folded.split("&") for t in (part, "va") if t][:-1]
    return [folded]


def canonical_tokens(text: str) -> tuple[str, ...]:
    """The folded words of a unit name with its capitalised abbreviations spelt out:
    "Sở KH&CN" and "sở khoa học và công nghệ" give the same tokens."""
    tokens: list[str] = []
    for match in _WORD.finditer(text or ""):
        tokens.extend(_word_tokens(match.group(0), expand=True))
    return tuple(tokens)


@dataclass(frozen=True)
class UnitRef:
    code: str
    name: str
    kind: str


@dataclass
class UnitMention:
    """A unit as the dispatch writes it, and the registry unit it designates (or None)."""

    text: str
    unit: UnitRef | None = None

    @property
    def matched(self) -> bool:
        return self.unit is not None



class Registry:
    """The units a dispatch may name, indexed for matching whole names and name prefixes."""

    def __init__(self, units: Iterable):
        self.units: dict[str, UnitRef] = {}
        self._keys: dict[tuple[str, ...], set[str]] = {}
        self._prefixes: set[tuple[str, ...]] = set()
        for unit in units:
            if getattr(unit, "active", True) is False:
                continue
            ref = UnitRef(unit.code, unit.name, getattr(unit, "kind", "other") or "other")
            self.units[ref.code] = ref
            names = [unit.name, *(getattr(unit, "aliases", None) or [])]
            keys = {canonical_tokens(n) for n in names if n}
            keys.add(tuple(unit.code.split("-")))
            for key in list(keys):
                if len(key) > 2 and key[-2:] == _STRIP_TAIL:
                    keys.add(key[:-2])
            # "Sở Giáo dục - Đào tạo", "Sở Văn hóa, Thể thao, Du lịch": a name without its "và".
            for key in list(keys):
                if "va" in key[1:-1]:
                    keys.add(tuple(t for i, t in enumerate(key) if t != "va" or i in (0, len(key) - 1)))
            for key in keys:
                if not key:
                    continue
                self._keys.setdefault(key, set()).add(ref.code)
                for n in range(1, len(key) + 1):
                    self._prefixes.add(key[:n])
        self.max_len = max((len(k) for k in self._keys), default=0)

    @property
    def communes(self) -> list[UnitRef]:
        return [u for u in self.units.values() if u.kind == "commune"]

    def lookup(self, text: str) -> UnitRef | None:
        """The unit a whole name designates (case, diacritics and abbreviations aside)."""
        cleaned = re.sub(r"\s*\([^)]*\)\s*$", "", text or "").strip()
        cleaned = re.sub(r"^(?:đồng chí|đ/c)\s+", "", cleaned, flags=re.I)
        key = canonical_tokens(cleaned)
        if len(key) > 2 and key[-2:] == _STRIP_TAIL and key not in self._keys:
            key = key[:-2]
        codes = self._keys.get(key)
        if codes and len(codes) == 1:
            return self.units[next(iter(codes))]
        return None

    def lookup_short(self, text: str) -> UnitRef | None:
        """The unit a shortened name designates when it starts exactly one unit's name
        ("Ban Quản lý" after "Ban Quản lý các Khu Công nghiệp tỉnh"; at least two words)."""
        key = canonical_tokens(text)
        if len(key) < 2 or key not in self._prefixes:
            return None
        codes = {code for name_key, codes in self._keys.items() if name_key[:len(key)] == key for code in codes}
        if len(codes) == 1:
            return self.units[next(iter(codes))]
        return None

    def match_prefix(self, text: str, pos: int) -> tuple[UnitRef | None, int]:
        """The longest unit name starting at ``pos`` (leading spaces skipped): the unit and
        where its name ends in ``text``; (None, pos) when no name starts there."""
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        tokens: list[str] = []
        best: tuple[UnitRef | None, int] = (None, pos)
        cursor = pos
        for _ in range(40):
            match = _WORD.match(text, cursor)
            if match is None:
                break
            tokens.extend(_word_tokens(match.group(0), expand=True))
            key = tuple(tokens)
            if key not in self._prefixes:
                break
            codes = self._keys.get(key)
            if codes and len(codes) == 1:
                end = match.end()
                if not _NOT_THIS_ORGAN.match(fold_keep(text[end:end + 40])):
                    best = (self.units[next(iter(codes))], end)
            gap = _NAME_GAP.match(text, match.end())
            cursor = gap.end()
            if cursor == match.end() and cursor < len(text):
                break
        return best

    def suggestions(self, text: str, limit: int = 3) -> list[UnitRef]:
        """Registry units whose names look like ``text`` (for the office to choose from)."""
        tokens = canonical_tokens(text)
        wanted = " ".join(tokens)
        if not wanted:
            return []
        distinctive = set(tokens) - _GENERIC_NAME_WORDS
        scored = []
        for ref in self.units.values():
            name_tokens = canonical_tokens(ref.name)
            name = " ".join(name_tokens)
            score = difflib.SequenceMatcher(None, wanted, name).ratio()
            if distinctive and distinctive <= set(name_tokens):
                score = max(score, 0.9)
            if score >= 0.6:
                scored.append((score, ref.name, ref))
        scored.sort(key=lambda item: (-item[0], item[1]))
        return [ref for _, _, ref in scored[:limit]]


# ----------------------------------------------------------------------------------------
# Units in sentences
# ----------------------------------------------------------------------------------------

_ACT = re.compile(r"(?:giao(?: cho)?|de nghi|yeu cau|phan cong|uy quyen)\s+")
_GENERIC = re.compile(
    r"(?:cac|nhung|moi|toan the|tat ca|cap uy|to chuc dang|dia phuong|co quan|don vi|nguoi dung dau|tap the)\b"
)
# The communes as an actor: "các xã, phường, đặc khu", "Đảng ủy các xã, phường, đặc khu",
# "Ủy ban kiểm tra đảng ủy các xã, phường, đặc khu", "124 xã, phường, đặc khu".
_FAN_OUT = re.compile(
    r"(?:(?:uy ban kiem tra |ubkt |ban thuong vu |btv |thuong truc )?"
    r"(?:(?:dang uy|uy ban nhan dan|ubnd|chinh quyen|cap uy|ban chi dao)(?:,\s*|\s+va\s+))*"
    r"(?:dang uy|uy ban nhan dan|ubnd|chinh quyen|cap uy|ban chi dao)\s+)?"
    r"(?:cac|tat ca cac|toan bo|\d{1,3}|\d{1,3} don vi)\s+"
    r"(?:xa,?\s+phuong(?:,|\s+va)?\s+(?:va\s+)?dac khu|don vi hanh chinh cap xa|dia phuong cap xa|xa,\s*phuong)\b"
)
# The departments as an actor: "các sở, ban, ngành (tỉnh)", "các sở, ngành".
_DEPARTMENTS = re.compile(r"(?:(?:ban thuong vu\s+)?(?:dang uy|dang bo|cap uy)\s+)?"
                          r"(?:cac|tat ca cac)\s+so,?\s+(?:ban,?\s+)?nganh(?:\s+(?:cua\s+)?tinh)?\b")
# A person named by the office they head ("Đồng chí Trưởng Ban Tổ chức Tỉnh ủy", "đồng chí Nguyễn Văn A,
# Chánh Văn phòng Tỉnh ủy", "Giám đốc Sở Y tế"): the task goes to that office.
_HEAD_OF = re.compile(
    r"(?:(?:dong chi|d/c)\s+(?:[a-z]+(?:\s+[a-z]+){1,4},\s+)?)?(?:(?:uy vien ban thuong vu tinh uy|tinh uy vien),\s+)?"
    r"(?:pho\s+)?(?:truong|chanh|chu nhiem|giam doc|chu tich|thu truong)\s+(?=\S)"
)
# The party committee of a commune is that commune's unit ("Đảng ủy xã Tuy Phong", "Đảng ủy phường
# Xuân Hương - Đà Lạt"). A department's party committee ("Đảng ủy Sở Xây dựng") is not the department:
# it stays an organ the registry lacks, flagged with the department as first suggestion.
_COMMITTEE_OF = re.compile(r"(?:ban thuong vu\s+)?(?:dang uy|dang bo|chi bo)\s+(?=\S)")
# The first words of an organ's name (folded, capitalised). Common words that begin a sentence
# as well ("Báo cáo", "Ban hành", "Bảo đảm", "Trường hợp", "Hội nghị" …) are not.
_UNIT_HEAD = re.compile(
    r"(?:So|Ban(?! hanh| giao)|Van phong|Uy ban|UBND|HDND|Hoi(?! nghi| thao| dap| vien)|Mat tran|Dang uy|Dang bo|"
    r"Cong an|Bo Chi huy|Trung tam|Truong(?! hop)|Bao(?! cao| dam| ve| ton| quan| hiem)|Dai(?! hoi| dien)|"
    r"Tinh [Dd]oan|Lien doan|Thanh tra|Kho bac|Cuc|Chi cuc|Xa(?! hoi)|Phuong(?! an| thuc| huong| phap| tien)|"
    r"Dac khu|Toa an|Vien(?! chuc)|Hoi dong|Doan (?:giam sat|kiem tra|cong tac)|Doan(?! ket| vien)|Phong(?!,| chong| ngua| va)|To cong tac|"
    r"To giup viec)\b"
)
_STOP_PHRASES = (
    "chu tri", "phoi hop", "thuc hien", "tham muu", "xay dung", "tong hop", "bao cao", "theo doi", "huong dan",
    "trien khai", "to chuc", "ra soat", "kiem tra", "don doc", "cung cap", "chi dao", "lanh dao", "khan truong",
    "nghien cuu", "de xuat", "gui", "hoan thanh", "trinh", "cap nhat", "tuyen truyen", "pho bien", "quan triet",
    "ban hanh", "danh gia", "giam sat", "thong ke", "chuan bi", "bo tri", "lap", "xu ly", "bao dam", "dam bao",
    "tiep tuc", "thuong xuyen", "tang cuong", "so ket", "tong ket", "phat dong", "bien soan", "tap huan",
    "boi duong", "tiep nhan", "giai quyet", "tham dinh", "kien toan", "co trach nhiem", "chiu trach nhiem",
    "de", "trong", "truoc", "theo", "ve", "tai", "cac", "co", "duoc", "cham nhat", "cho", "voi", "khi", "sau",
    "moi", "nham", "ket hop", "cung", "va cac", "phan cong", "thuoc", "mo", "van dong", "tap trung", "day manh",
    "khao sat", "dinh huong", "dieu chinh", "sap xep", "rut kinh nghiem", "lam viec", "cua", "thao go", "la",
    "chu dong", "nam chac", "kip thoi", "nghiem tuc",
    # (import4) adverbs and verbs that follow an organ's name
    "tich cuc", "quan tam", "day nhanh", "nang cao", "khac phuc", "cung co", "xem xet", "uu tien", "bam sat",
    "tien hanh", "xac minh", "duy tri", "phan dau", "som", "khan cap", "can cu", "tiep thu", "hoan thien",
    "lien he",
)
# Lower-case words that end an organ's name only as written with their diacritics: folded, they
# would also be words of names ("tự" giám sát, not "Đầu tư"; "từ" ngày …).
_STOP_WORDS_EXACT = ("tự", "từ", "đã", "đang", "sẽ", "cần", "phải", "luôn", "vẫn")
# Lower-case words that belong to an organ's name although they would end a name elsewhere
# ("Đảng ủy các cơ quan Đảng tỉnh").
_NAME_CONTINUATIONS = ("cac co quan dang", "cac khu cong nghiep", "cac to chuc chinh tri")
# After a unit that opens an item, these verbs make it the speaker, not the actor
# ("Thường trực Tỉnh ủy ghi nhận …", "Ban Thường vụ Tỉnh ủy yêu cầu Sở … ").
_SPEAKING = re.compile(
    r"[\s,]*(?:co ban )?(?:ghi nhan|danh gia cao|danh gia|bieu duong|ket luan|thong nhat|nhat tri|dong y|luu y|nhan manh|"
    r"yeu cau|de nghi|giao|chi dao chung|co y kien)\b"
)


def _unknown_unit_phrase(text: str, pos: int) -> tuple[str, int, str]:
    """A unit name the registry does not know, written from ``pos``: up to the first
    punctuation, list separator or lower-case verb. Also says what ended it: "verb",
    "punct" (and which), "length" or "end"."""
    folded = fold_keep(text)
    end, words, why = pos, 0, "end"
    head = _UNIT_HEAD.match(text[pos:].translate(_ASCII))
    protected = pos + head.end() if head else pos  # words no stop phrase may end the name at
    for match in _WORD.finditer(text, pos):
        between = text[end:match.start()]
        if words and re.search(r"[,;:.()\n“”\"]", between):
            why = "punct" + re.search(r"[,;:.()\n“”\"]", between).group(0)
            break
        word = match.group(0)
        lower = word[:1].islower()
        rest = folded[match.start():]
        continuation = next((c for c in _NAME_CONTINUATIONS if words and lower and rest.startswith(c)), None)
        if continuation:
            protected = max(protected, match.start() + len(continuation))
        if words and lower and match.start() >= protected and any(
                rest.startswith(p + " ") or rest == p or rest.startswith(p + ",") for p in _STOP_PHRASES):
            why = "verb"
            break
        if words and lower and match.start() >= protected and (
                unicodedata.normalize("NFC", word) in _STOP_WORDS_EXACT or _after_province(folded, match.start())):
            # "Đảng ủy Quân sự tỉnh tự giám sát …", "Công an tỉnh khẩn trương …": an organ's name
            # ends at "tỉnh" / "Tỉnh ủy" when a lower-case word follows (not "ủy").
            why = "verb"
            break
        if words and lower and rest.startswith("va ") and _UNIT_HEAD.match(text[match.end():].lstrip()
                                                                             .translate(_ASCII)):
            why = "and"
            break
        end = match.end()
        words += 1
        if words >= 10:
            why = "length"
            break
    else:
        rest = text[end:].lstrip(" \t")
        if rest[:1] in (":", ",", ";", "."):
            why = "punct" + rest[:1]
    return text[pos:end].strip(), end, why


def _after_province(folded: str, start: int) -> bool:
    """The word at ``start`` follows "tỉnh" or "Tỉnh ủy" (an organ's name ends there) and is
    not "ủy" itself, nor a word that names the province ("tỉnh Lâm Đồng" is capitalised)."""
    before = folded[:start].rstrip()
    if folded.startswith("uy", start) and not folded[start + 2:start + 3].isalpha():
        return False
    return bool(re.search(r"(?<![^\W\d_])tinh(?: uy)?$", before))


_ASCII = str.maketrans({ch: _fold_char(ch).upper() if ch.isupper() else _fold_char(ch)
                        for ch in "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
                                                         "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợ"
                                                         "ùúủũụưừứửữựỳýỷỹỵ"})


def _looks_like_unit(text: str, pos: int) -> bool:
    return bool(_UNIT_HEAD.match(text[pos:].translate(_ASCII)))


@dataclass
class _Actor:
    kind: str                     # "unit", "fan_out", "generic"
    mention: UnitMention | None
    start: int                    # where the act phrase ("Giao …") starts
    end: int                      # where the actor's name ends
    fan: str | None = None        # for a fan-out: "communes" or "departments"


def _group_at(text: str, folded: str, pos: int) -> _Actor | None:
    """A group of units that fans out, named at ``pos``."""
    from workflow.importer.text import COMMUNE_FAN_OUT, DEPARTMENT_FAN_OUT

    for pattern, fan in ((_FAN_OUT, COMMUNE_FAN_OUT), (_DEPARTMENTS, DEPARTMENT_FAN_OUT)):
        match = pattern.match(folded, pos)
        if match:
            return _Actor("fan_out", UnitMention(_ws(text[pos:match.end()])), pos, match.end(), fan)
    return None


def _unit_at(text: str, pos: int, registry: Registry, *, allow_unknown: bool = False) -> tuple[UnitRef | None, int]:
    """The registry unit named at ``pos``, also when written as the office its head holds
    ("Đồng chí Trưởng Ban Tổ chức Tỉnh ủy") or as the party committee of a commune ("Đảng ủy
    xã Tuy Phong"); and where its name ends. With ``allow_unknown``, an organ the
    registry lacks after a head's title ("Đồng chí Giám đốc Công an tỉnh") is returned as
    (None, end) with end > pos."""
    unit, end = registry.match_prefix(text, pos)
    if unit is not None:
        return unit, end
    folded = fold_keep(text)
    start = pos
    while start < len(text) and text[start] == " ":
        start += 1
    head = _HEAD_OF.match(folded, start)
    if head is not None:
        unit, end = registry.match_prefix(text, head.end())
        if unit is not None:
            return unit, end
        if allow_unknown and _looks_like_unit(text, head.end()):
            phrase, end, why = _unknown_unit_phrase(text, head.end())
            if phrase and why in ("verb", "punct:", "punct,"):
                return None, end
        return None, pos
    committee = _COMMITTEE_OF.match(folded, start)
    if committee is not None:
        unit, end = registry.match_prefix(text, committee.end())
        if unit is not None and unit.kind == "commune":
            return unit, end
    return None, pos


def _actor_at(text: str, pos: int, registry: Registry, *, allow_unknown: bool) -> _Actor | None:
    """Who is named at ``pos``: a registry unit, a group that fans out (the communes, the
    departments), a group that does not (a directive), or an unknown unit."""
    folded = fold_keep(text)
    while pos < len(text) and text[pos] == " ":
        pos += 1
    group = _group_at(text, folded, pos)
    if group is not None:
        return group
    unit, end = _unit_at(text, pos, registry)
    if unit is not None:
        return _Actor("unit", UnitMention(_ws(text[pos:end]), unit), pos, end)
    if _GENERIC.match(folded, pos):
        return _Actor("generic", None, pos, pos)
    if allow_unknown and _looks_like_unit(text, pos):
        phrase, end, _why = _unknown_unit_phrase(text, pos)
        if phrase:
            return _Actor("unit", UnitMention(phrase, registry.lookup_short(phrase)), pos, end)
    return None


def _followed_by_action(text: str, folded: str, end: int) -> bool:
    """After a name at the start of an item: a lower-case verb or a colon (its task follows)."""
    rest = text[end:]
    aside = re.match(r"\s*\([^()]{1,80}\)", rest)  # "Văn phòng Tỉnh ủy (Phòng Tổng hợp) tổng hợp …"
    if aside:
        rest = rest[aside.end():]
    stripped = rest.lstrip(" \t")
    if stripped[:1] in (":", ","):
        return True
    if rest[:1] not in (" ", "\t"):
        return False
    after = stripped.lstrip(", ")
    # "Đảng ủy UBND tỉnh đã tập trung …", "Sở Y tế đang triển khai …": what the unit did or is
    # doing (a report), not what it is asked to do (import4).
    if re.match(r"(?:đã|đang)(?![^\W\d_])", unicodedata.normalize("NFC", after)):
        return False
    return bool(after[:1].islower()) and not _SPEAKING.match(folded, end)


def find_actor(text: str, registry: Registry, issuer_code: str | None = None) -> _Actor | None:
    """The unit an item asks to act, read from the item's first sentence."""
    folded = fold_keep(text)
    act = _ACT.match(folded)
    if act:
        actor = _actor_at(text, act.end(), registry, allow_unknown=True)
        if actor is not None:
            actor.start = 0
            return actor
        return None
    # The item starts with its actor: "Các xã, phường, đặc khu chủ trì …", "Các sở, ban, ngành
    # rà soát …", "Sở Tài chính chủ trì …", "Ban Tổ chức Tỉnh ủy: …".
    group = _group_at(text, folded, 0)
    if group is not None and _followed_by_action(text, folded, group.end):
        return group
    if _GENERIC.match(folded):
        return _Actor("generic", None, 0, 0)
    unit, end = _unit_at(text, 0, registry, allow_unknown=True)
    if unit is not None and _followed_by_action(text, folded, end):
        return _Actor("unit", UnitMention(_ws(text[:end]), unit), 0, end)
    if unit is None and end > 0 and _followed_by_action(text, folded, end):
        # A head's title before an organ the registry lacks: the organ, as written.
        head = _HEAD_OF.match(folded)
        phrase = _ws(text[head.end():end]) if head else _ws(text[:end])
        return _Actor("unit", UnitMention(phrase, None), 0, end)
    sentence = re.split(r"(?<=[.:;])\s", text, maxsplit=1)[0]
    folded_sentence = fold_keep(sentence)
    chu_tri = re.search(r"\s+chu\s+tri\b", folded_sentence)
    if chu_tri and unit is None and _looks_like_unit(text, 0) and chu_tri.start() < 90:
        phrase = _ws(text[:chu_tri.start()])
        return _Actor("unit", UnitMention(phrase, registry.lookup(phrase)), 0, chu_tri.start())
    # An organ the registry lacks, opening the item before its verb or a colon
    # ("Sở Kế hoạch và Đầu tư rà soát …", "- Ban Nội chính Tỉnh ủy: …").
    if unit is None and _looks_like_unit(text, 0):
        phrase, end, why = _unknown_unit_phrase(text, 0)
        if len(phrase.split()) >= 2 and (why == "verb" or why == "punct:") and not _SPEAKING.match(folded, end):
            return _Actor("unit", UnitMention(phrase, None), 0, end)
        # The first of a list of leads ("Công an tỉnh, Bộ Chỉ huy Quân sự tỉnh chủ động …"): another
        # organ follows the comma.
        if len(phrase.split()) >= 2 and why == "punct,":
            nxt = end + re.match(r"\s*,\s*", text[end:]).end()
            if _unit_at(text, nxt, registry)[0] is not None or _looks_like_unit(text, nxt):
                return _Actor("unit", UnitMention(phrase, None), 0, end)
            # A name with a comma in it ("Báo và Phát thanh, Truyền hình Lâm Đồng mở …"): after the
            # comma a capitalised word, at most six words, then a verb in lower case.
            if text[nxt:nxt + 1].isupper():
                tail, tail_end, tail_why = _unknown_unit_phrase(text, nxt)
                if tail_why == "verb" and 1 <= len(tail.split()) <= 6 and not _SPEAKING.match(folded, tail_end):
                    return _Actor("unit", UnitMention(_ws(text[:tail_end]), None), 0, tail_end)
    # "Ban Thường vụ Tỉnh ủy giao Sở Tài chính …": an act verb inside the first sentence.
    for act in re.finditer(r"(?<![^\W\d_])(?:giao(?: cho)?|de nghi|yeu cau)\s+", folded_sentence):
        actor = _actor_at(text, act.end(), registry, allow_unknown=False)
        if actor is not None and actor.kind != "generic" and \
                not (actor.mention and actor.mention.unit and actor.mention.unit.code == issuer_code):
            actor.start = act.start()
            return actor
    return None


def find_leads(text: str, registry: Registry, issuer_code: str | None = None) -> list[_Actor]:
    """The units an item asks to act: the first actor, and the units listed right after it
    ("Sở Y tế, Sở Giáo dục và Đào tạo chủ trì …" gives both). Empty when none."""
    first = find_actor(text, registry, issuer_code)
    if first is None:
        return []
    actors = [first]
    if first.kind != "unit":
        return actors
    folded = fold_keep(text)
    pos = first.end
    while True:
        sep = re.match(r"\s*(?:,|;|va\b|cung\b)\s*(?:va\s+)?", folded[pos:])
        if not sep:
            break
        nxt = pos + sep.end()
        actor = _actor_at(text, nxt, registry, allow_unknown=True)
        if actor is None or actor.kind != "unit" or actor.end <= nxt:
            break
        if actor.mention.unit is None:  # an unknown name must end before the verb
            _phrase, _end, why = _unknown_unit_phrase(text, actor.start)
            if why not in ("verb", "and", "punct,"):
                break
        actors.append(actor)
        pos = actor.end
    if len(actors) > 1:  # a list of leads is followed by its verb, not by more words of a name
        after = text[pos:].lstrip(" ,")
        if not after[:1].islower():
            return [first]
    # (import4) "Phòng Tổng hợp, Văn phòng Tỉnh ủy theo dõi …": a room of a unit, named before the
    # unit it belongs to, is that unit (the room stays in the task's source text).
    kept = [a for i, a in enumerate(actors)
            if not (a.mention is not None and a.mention.unit is None and i + 1 < len(actors)
                    and actors[i + 1].mention is not None and actors[i + 1].mention.unit is not None
                    and re.match(r"(?:phong|bo phan|to)\s", fold_keep(a.mention.text))
                    and re.match(r"\s*,\s*$", text[a.end:actors[i + 1].start] if actors[i + 1].start >= a.end else ","))]
    return kept or actors


def split_units(cell: str, registry: Registry) -> list[_Actor]:
    """The units a table cell names ("Sở Tài chính, Sở Nông nghiệp và Môi trường";
    "Các xã, phường, đặc khu"), in order."""
    actors: list[_Actor] = []
    folded = fold_keep(cell)
    pos = 0
    while pos < len(cell):
        skip = re.match(r"[\s,;+\-–•]*(?:va\s+|cung\s+)?", folded[pos:])
        pos += skip.end()
        if pos >= len(cell):
            break
        actor = _actor_at(cell, pos, registry, allow_unknown=True)
        if actor is None or actor.kind == "generic" or actor.end <= pos:
            nxt = re.search(r"[,;\n]", cell[pos:])
            if actor is None and not actors:
                phrase = _ws(re.split(r"[,;\n]", cell[pos:], maxsplit=1)[0])
                if phrase and phrase[:1].isupper():
                    actors.append(_Actor("unit", UnitMention(phrase, registry.lookup(phrase)), pos, pos + len(phrase)))
            if nxt is None:
                break
            pos += nxt.end()
            continue
        actors.append(actor)
        pos = actor.end
    return actors


def find_coordinating(text: str, registry: Registry) -> tuple[list[UnitMention], list[tuple[int, int]]]:
    """The units after "phối hợp với" (all occurrences), and the spans of those phrases."""
    folded = fold_keep(text)
    mentions: list[UnitMention] = []
    spans: list[tuple[int, int]] = []
    # "phối hợp với X", "phối hợp cùng X", and "phối hợp X" when a unit follows.
    for hit in re.finditer(r"phoi hop(?: chat che)?(?: voi| cung)?\s+", folded):
        pos, start = hit.end(), hit.start()
        while True:
            actor = _actor_at(text, pos, registry, allow_unknown=True)
            if actor is None or actor.kind != "unit":
                break
            mentions.append(actor.mention)
            pos = actor.end
            sep = re.match(r"\s*(?:,\s*(?:va\s+)?|va\s+|cung\s+)", folded[pos:])
            if not sep:
                break
            nxt = pos + sep.end()
            if not (registry.match_prefix(text, nxt)[0] or _looks_like_unit(text, nxt)):
                break
            pos = nxt
        if pos > hit.end():
            spans.append((start, pos))
    unique: dict = {}
    for mention in mentions:
        key = mention.unit.code if mention.unit else "?" + fold_keep(mention.text)
        unique.setdefault(key, mention)
    return list(unique.values()), spans
