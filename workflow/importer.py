"""Read a Party dispatch (công văn) from its text or its .docx and recover what the office
would otherwise type: the header, the assignments with their units and deadlines, and the
items that name no unit to act (directives).

Pure: no Flask, no database, no clock. The caller passes the unit registry (any objects
with ``code``, ``name``, ``aliases``, ``kind``), the public holidays and the time zone;
:func:`parse_dispatch` returns an :class:`ImportResult` and :func:`draft_json` its JSON
form (the draft the office confirms). Nothing is guessed silently: a unit the registry
does not know is kept as written and listed in ``unmatched``; a deadline wording the
deadline rules cannot read keeps its text and carries the rules' Vietnamese message.

Reading rules (the seed documents 1534-CV/TU, 1640-CV/BTCTU and 1775-CV/TU are the
reference):

* Header: the issuing body is the capitalised lines above "Số …" (a parent line such as
  "TỈNH ỦY LÂM ĐỒNG" above "BAN TỔ CHỨC" names "Ban Tổ chức Tỉnh ủy"); the number is read
  in the forms "Số 1534-CV/TU", "Số ~~1534~~CV/TU", "Số 1640 -CV/BTCTU"; the place and
  date from "Lâm Đồng, ngày 08 tháng 5 năm 2026"; the subject from "V/v …", "Về việc …"
  (possibly over several lines); recipients after "Kính gửi" (inline or a "- " list);
  distribution after "Nơi nhận"; the signing authority (T/M …, K/T …), the signer's
  title and name; the documents implemented from "Thực hiện …"/"Căn cứ …".
* Items: "1.", "2.", "3.1.", and letters "a)" under the last numbered item ("2.a").
  A paragraph without a marker continues the item before it; a closing paragraph
  ("… triển khai thực hiện./.") ends the items.
* The unit to act is the one after "Giao", "Đề nghị", "Yêu cầu", or the unit an item
  starts with when it "chủ trì"; a heading "3. Giao Ban Tổ chức Tỉnh ủy" gives its unit to
  its sub-items. Coordinating units follow "phối hợp với". An item whose actor is a group
  ("các cấp ủy, tổ chức đảng …") or no one is a directive. An assignment to "các xã,
  phường, đặc khu" (or "124 xã, phường, đặc khu") as the actor fans out to every
  commune-level unit; a mere mention elsewhere does not.
* A dispatch without numbered items (1640) gives one task per unit it asks to act
  ("… đề nghị Ban Thường vụ Đảng ủy UBND tỉnh phối hợp …").
"""
from __future__ import annotations

import difflib
import io
import re
import unicodedata
import zipfile
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from workflow.deadlines import DEFAULT_TZ, DeadlineParseError, parse_deadline

MAX_TEXT_CHARS = 300_000          # a dispatch is a few pages; an appendix may be long
MAX_DOCX_UNCOMPRESSED = 60 * 1024 * 1024  # refuse zip bombs before python-docx inflates them
COMMUNE_FAN_OUT = "communes"


# ----------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------


class ImportRefused(ValueError):
    """The input cannot be imported; ``str(e)`` is Vietnamese, ``status`` the HTTP answer."""

    status = 422

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class NotADispatch(ImportRefused):
    status = 422


class UnreadableFile(ImportRefused):
    status = 422


class TooLarge(ImportRefused):
    status = 413


# ----------------------------------------------------------------------------------------
# Text helpers
# ----------------------------------------------------------------------------------------


def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", ch)[0]
    return base.lower() if len(base.lower()) == 1 else ch


def fold_keep(text: str) -> str:
    """Lower case without diacritics, one character for one: positions stay the same, so a
    match found in the folded text can be cut from the original."""
    return "".join(_fold_char(ch) for ch in text)


def _ws(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _strip_item_punct(text: str) -> str:
    """A list entry without its bullet and the punctuation that separates entries."""
    text = re.sub(r"^[\-–—•+*]\s*", "", text.strip())
    return re.sub(r"[\s,;.]+$", "", text).strip()


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _tidy_sentence(text: str) -> str:
    """Spaces before punctuation removed, runs collapsed, the closing full stop dropped."""
    text = _ws(text)
    text = re.sub(r"\s+([,.;:!?)])", r"\1", text)
    text = re.sub(r"([(“])\s+", r"\1", text)
    text = re.sub(r"(?:,\s*)+,", ",", text)
    return re.sub(r"[\s,;:.]+$", "", text).strip()


_CONTROL = {c: None for c in range(32) if chr(c) not in "\t\n"} | {127: None}


def normalise_source(text: str) -> str:
    """NFC, Unix line ends, no control characters, no trailing spaces."""
    text = unicodedata.normalize("NFC", text or "")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\u200b", "")
    text = text.replace("\f", "\n").replace("\v", "\n").translate(_CONTROL)
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def _clean_line(line: str) -> str:
    """A line without the light markup of the seeds: **bold**, ~~strike~~, *italic*, and the
    signature scribbles after the last sentence ("… thực hiện. *sh*", "./. *Bala*")."""
    line = line.replace("**", "").replace("~~", "").replace("__", "")
    line = re.sub(r"(?<=[.;:!?/])\s+\*[^\s*]{1,12}\*\s*$", "", line)
    if line.strip() == "*":
        return "*"
    line = re.sub(r"\*([^*\n]+)\*", r"\1", line)
    line = re.sub(r"\s*\*+\s*$", "", line)
    line = re.sub(r"^(\s*)\*+\s*", r"\1", line)
    return line.rstrip()


# ----------------------------------------------------------------------------------------
# .docx
# ----------------------------------------------------------------------------------------

_LAYOUT_MARKERS = re.compile(
    r"(ĐẢNG CỘNG SẢN VIỆT NAM|CỘNG HÒA XÃ HỘI|^\s*Số\s*:?\s*[~\d]|Kính gửi|Nơi nhận|^\s*(T/M|K/T|TM\.|KT\.|TL\.|TUQ\.)\s)",
    re.I | re.M,
)


def docx_to_text(data: bytes) -> str:
    """The paragraphs and tables of a .docx in reading order, as plain text.

    A table that lays out the header or the signature (it contains "Số …", "ĐẢNG CỘNG SẢN
    VIỆT NAM", "Nơi nhận", "T/M …") gives its cells' paragraphs, a blank line between
    cells; a data table gives one line per row, the cells separated by tabs.
    """
    from dataclasses import replace

    from workflow import uploads

    if not data or not zipfile.is_zipfile(io.BytesIO(data)):
        raise UnreadableFile("Không đọc được tệp .docx: tệp không đúng định dạng Word (.docx).")
    # Counted while unpacking (declared sizes are not trusted); paragraphs, cells, elements and
    # characters capped before python-docx builds its tree (workflow/uploads.py).
    limits = replace(uploads.DOCX_LIMITS, max_bytes=max(len(data), uploads.DOCX_LIMITS.max_bytes),
                     max_total_bytes=MAX_DOCX_UNCOMPRESSED, max_text_chars=MAX_TEXT_CHARS)
    try:
        data = uploads.safe_docx(data, limits)
    except uploads.UploadTooLarge as exc:
        raise TooLarge(exc.message) from None
    except uploads.UploadUnreadable as exc:
        raise UnreadableFile(exc.message) from None
    try:
        from docx import Document as open_docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = open_docx(io.BytesIO(data))
        lines: list[str] = []

        def table_lines(table) -> None:
            texts = [cell.text for row in table.rows for cell in row.cells]
            layout = any(_LAYOUT_MARKERS.search(t or "") for t in texts)
            for row in table.rows:
                seen, cells = set(), []
                for cell in row.cells:  # merged cells repeat: keep each once
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    cells.append(cell)
                if layout:
                    for cell in cells:
                        for paragraph in cell.paragraphs:
                            lines.extend(paragraph.text.split("\n"))
                        for inner in cell.tables:
                            table_lines(inner)
                        lines.append("")
                else:
                    lines.append("\t".join(_ws(cell.text) for cell in cells))
            lines.append("")

        body = document.element.body
        for child in body.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "p":
                lines.extend(Paragraph(child, document).text.split("\n"))
            elif tag == "tbl":
                table_lines(Table(child, document))
        return "\n".join(lines)
    except ImportRefused:
        raise
    except Exception:  # python-docx raises many kinds of errors on a damaged file
        raise UnreadableFile("Không đọc được tệp .docx: nội dung bị hỏng hoặc không phải văn bản Word.") from None


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
}

_WORD = re.compile(r"[^\W_]+(?:[&’'][^\W_]+)*")
# What may stand between two words of one unit name.
_NAME_GAP = re.compile(r"[\s,\-–]*")
# After a short organ name, these words make it a different organ ("Ban Thường vụ các đảng ủy …").
_NOT_THIS_ORGAN = re.compile(r"[\s,]*(?:cac |nhung )?(?:dang uy|dang bo|chi bo|cap uy|truc thuoc|co so)\b")
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
# Results
# ----------------------------------------------------------------------------------------


@dataclass
class UnitMention:
    """A unit as the dispatch writes it, and the registry unit it designates (or None)."""

    text: str
    unit: UnitRef | None = None

    @property
    def matched(self) -> bool:
        return self.unit is not None


@dataclass
class Assignment:
    item: str
    title: str
    lead: UnitMention | None = None
    fan_out: str | None = None
    coordinating: list[UnitMention] = field(default_factory=list)
    deadline_text: str | None = None
    deadline: object = None            # aware datetime or None
    recurrence: str | None = None
    period: str | None = None
    deadline_error: str | None = None
    source: str = ""


@dataclass
class ImportResult:
    number: int | None = None
    symbol: str | None = None
    kind: str | None = None
    issuer: UnitMention | None = None
    place: str | None = None
    issued_on: date | None = None
    subject: str = ""
    recipients: list[str] = field(default_factory=list)
    recipient_codes: list[str] = field(default_factory=list)
    distribution: list[str] = field(default_factory=list)
    signing_authority: str = ""
    signer_title: str = ""
    signer_name: str = ""
    references: list[str] = field(default_factory=list)
    preamble: str = ""
    directives: list[dict] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    source_text: str = ""

    @property
    def full_number(self) -> str | None:
        return f"{self.number}-{self.symbol}" if self.number is not None and self.symbol else None


# ----------------------------------------------------------------------------------------
# Header
# ----------------------------------------------------------------------------------------

_NUMBER = re.compile(
    r"^\s*S[ốỐ]\s*:?\s*(?P<n>\d{1,7})\s*[-–]?\s*(?P<sym>[A-ZĐ][A-ZĐ0-9]*(?:\s*/\s*[A-ZĐ0-9][A-ZĐ0-9\-]*)+)",
)
_DATE_LINE = re.compile(
    r"^\s*(?P<place>[^\W\d_][^\W\d_ .]*(?:[ .][^\W\d_]+){0,5})\s*,\s*ngày\s+(?P<d>\d{1,2})"
    r"(?:\s+tháng\s+(?P<m>\d{1,2})\s+năm\s+(?P<y>\d{4})|\s*/\s*(?P<m2>\d{1,2})\s*/\s*(?P<y2>\d{4}))",
    re.I,
)
_SUBJECT = re.compile(r"^\s*(?:V/v|V/V|Vv\.?|Về việc|về việc|VỀ VIỆC)\b\s*:?\s*", re.I)
_RECIPIENTS = re.compile(r"^\s*[-–•]?\s*Kính\s+gửi\s*:?\s*", re.I)
_DISTRIBUTION = re.compile(r"^\s*Nơi\s+nhận\s*:?\s*", re.I)
_AUTHORITY = re.compile(r"^\s*(?:T/M|TM\.|TM|K/T|KT\.|KT|TL\.|TUQ\.|Q\.|Q/)\s+\S", re.I)
_PARTY = re.compile(r"^(ĐẢNG CỘNG SẢN VIỆT NAM|CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM|CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"
                    r"|Độc lập\s*-\s*Tự do\s*-\s*Hạnh phúc)\s*$", re.I)
_BULLET = re.compile(r"^\s*[-–•+]\s*")
_STOP_HEADER = re.compile(r"^\s*(?:Thực hiện|Căn cứ|Kính gửi|Nơi nhận|Để\s|Theo\s)", re.I)


def _is_upper_line(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _split_entries(text: str) -> list[str]:
    parts = [p for p in re.split(r";\s*", text) if p.strip()]
    return [_strip_item_punct(p) for p in parts if _strip_item_punct(p)]


# ----------------------------------------------------------------------------------------
# Units in sentences
# ----------------------------------------------------------------------------------------

_ACT = re.compile(r"(?:giao(?: cho)?|de nghi|yeu cau|phan cong|uy quyen)\s+")
_GENERIC = re.compile(
    r"(?:cac|nhung|moi|toan the|tat ca|cap uy|to chuc dang|dia phuong|co quan|don vi|nguoi dung dau|tap the)\b"
)
_FAN_OUT = re.compile(
    r"(?:(?:ban thuong vu |thuong truc )?(?:dang uy|uy ban nhan dan|ubnd|chinh quyen|cap uy|ban chi dao)\s+)?"
    r"(?:cac|tat ca cac|toan bo|\d{1,3}|\d{1,3} don vi)\s+"
    r"(?:xa,?\s+phuong(?:,|\s+va)?\s+(?:va\s+)?dac khu|don vi hanh chinh cap xa|dia phuong cap xa|xa,\s*phuong)\b"
)
_UNIT_HEAD = re.compile(
    r"(?:So|Ban|Van phong|Uy ban|UBND|HDND|Hoi|Mat tran|Dang uy|Dang bo|Cong an|Bo Chi huy|Trung tam|Truong|"
    r"Bao|Dai|Tinh doan|Lien doan|Thanh tra|Kho bac|Cuc|Chi cuc|Xa|Phuong|Dac khu|Toa an|Vien|Hoi dong|Doan)\b"
)
_STOP_PHRASES = (
    "chu tri", "phoi hop", "thuc hien", "tham muu", "xay dung", "tong hop", "bao cao", "theo doi", "huong dan",
    "trien khai", "to chuc", "ra soat", "kiem tra", "don doc", "cung cap", "chi dao", "lanh dao", "khan truong",
    "nghien cuu", "de xuat", "gui", "hoan thanh", "trinh", "cap nhat", "tuyen truyen", "pho bien", "quan triet",
    "ban hanh", "danh gia", "giam sat", "thong ke", "chuan bi", "bo tri", "lap", "xu ly", "bao dam", "dam bao",
    "tiep tuc", "thuong xuyen", "tang cuong", "so ket", "tong ket", "phat dong", "bien soan", "tap huan",
    "boi duong", "tiep nhan", "giai quyet", "tham dinh", "kien toan", "co trach nhiem", "chiu trach nhiem",
    "de", "trong", "truoc", "theo", "ve", "tai", "cac", "co", "duoc", "cham nhat", "cho", "voi", "khi", "sau",
    "moi", "nham", "ket hop", "cung", "va cac", "phan cong",
)


def _unknown_unit_phrase(text: str, pos: int) -> tuple[str, int]:
    """A unit name the registry does not know, written from ``pos``: up to the first
    punctuation, list separator or lower-case verb."""
    folded = fold_keep(text)
    end, words = pos, 0
    for match in _WORD.finditer(text, pos):
        between = text[end:match.start()]
        if words and re.search(r"[,;:.()\n“”\"]", between):
            break
        word = match.group(0)
        lower = word[:1].islower()
        rest = folded[match.start():]
        if words and lower and any(rest.startswith(p + " ") or rest == p or rest.startswith(p + ",")
                                   for p in _STOP_PHRASES):
            break
        if words and lower and rest.startswith("va ") and _UNIT_HEAD.match(text[match.end():].lstrip()
                                                                             .translate(_ASCII)):
            break
        end = match.end()
        words += 1
        if words >= 10:
            break
    return text[pos:end].strip(), end


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


def _actor_at(text: str, pos: int, registry: Registry, *, allow_unknown: bool) -> _Actor | None:
    """Who is named at ``pos``: a registry unit, the communes, a group, or an unknown unit."""
    folded = fold_keep(text)
    while pos < len(text) and text[pos] == " ":
        pos += 1
    fan = _FAN_OUT.match(folded, pos)
    if fan:
        return _Actor("fan_out", UnitMention(_ws(text[pos:fan.end()])), pos, fan.end())
    unit, end = registry.match_prefix(text, pos)
    if unit is not None:
        return _Actor("unit", UnitMention(_ws(text[pos:end]), unit), pos, end)
    if _GENERIC.match(folded, pos):
        return _Actor("generic", None, pos, pos)
    if allow_unknown and _looks_like_unit(text, pos):
        phrase, end = _unknown_unit_phrase(text, pos)
        if phrase:
            return _Actor("unit", UnitMention(phrase, None), pos, end)
    return None


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
    # The item starts with its actor: "Các xã, phường, đặc khu chủ trì …", "Sở Tài chính chủ trì …".
    fan = _FAN_OUT.match(folded)
    if fan and re.match(r"[\s,:]*(?:chu tri|thuc hien|khan truong|tiep tuc|co trach nhiem|chiu trach nhiem|"
                        r"to chuc|xay dung|bao cao|ra soat|trien khai|:)", folded[fan.end():]):
        return _Actor("fan_out", UnitMention(_ws(text[:fan.end()])), 0, fan.end())
    if _GENERIC.match(folded):
        return _Actor("generic", None, 0, 0)
    unit, end = registry.match_prefix(text, 0)
    if unit is not None and unit.code != issuer_code:
        after = text[end:end + 3]
        if re.match(r"\s*[,:]|\s+[^\W\d_]", after) and (after.strip()[:1] in (",", ":") or
                                                         text[end:].strip()[:1].islower()):
            return _Actor("unit", UnitMention(_ws(text[:end]), unit), 0, end)
    sentence = re.split(r"(?<=[.:;])\s", text, maxsplit=1)[0]
    chu_tri = re.search(r"\s+chủ\s+trì\b", sentence, re.I)
    if chu_tri and unit is None and _looks_like_unit(text, 0) and chu_tri.start() < 90:
        phrase = _ws(text[:chu_tri.start()])
        return _Actor("unit", UnitMention(phrase, registry.lookup(phrase)), 0, chu_tri.start())
    # "Ban Thường vụ Tỉnh ủy giao Sở Tài chính …": an act verb inside the first sentence.
    for act in re.finditer(r"(?<![^\W\d_])(?:giao(?: cho)?|de nghi|yeu cau)\s+", fold_keep(sentence)):
        actor = _actor_at(text, act.end(), registry, allow_unknown=False)
        if actor is not None and actor.kind != "generic" and \
                not (actor.mention and actor.mention.unit and actor.mention.unit.code == issuer_code):
            actor.start = act.start()
            return actor
    return None


def find_coordinating(text: str, registry: Registry) -> tuple[list[UnitMention], list[tuple[int, int]]]:
    """The units after "phối hợp với" (all occurrences), and the spans of those phrases."""
    folded = fold_keep(text)
    mentions: list[UnitMention] = []
    spans: list[tuple[int, int]] = []
    for hit in re.finditer(r"phoi hop(?: chat che)?(?: voi| cung)\s+", folded):
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


# ----------------------------------------------------------------------------------------
# The body: items
# ----------------------------------------------------------------------------------------

_ITEM_MARKERS = (
    ("3", re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{1,2})\.?\s+(?=\S)")),
    ("2", re.compile(r"^(\d{1,2})\.(\d{1,2})\.?\s+(?=\S)")),
    ("1", re.compile(r"^(\d{1,2})[.)]\s+(?=\S)")),
    ("a", re.compile(r"^([a-zđ])\)\s+(?=\S)")),
    ("roman", re.compile(r"^([IVX]{1,5})[.)]\s+(?=\S)")),
)
_CLOSING = re.compile(r"\./\.\s*$|^Nhận được (?:công văn|văn bản)", re.I)


@dataclass
class _Node:
    code: str
    level: int
    heading: str
    body: list[str] = field(default_factory=list)
    children: list["_Node"] = field(default_factory=list)
    parent: "_Node | None" = None

    @property
    def text(self) -> str:
        return _ws(" ".join([self.heading, *self.body]))


def _item_marker(line: str):
    for kind, pattern in _ITEM_MARKERS:
        match = pattern.match(line)
        if match:
            return kind, match
    return None


def _parse_items(paragraphs: list[str]) -> tuple[list[str], list[_Node], list[str]]:
    """Split body paragraphs into the preamble, the item tree and the closing paragraphs."""
    preamble: list[str] = []
    roots: list[_Node] = []
    closing: list[str] = []
    current: _Node | None = None
    last_numbered: _Node | None = None
    by_code: dict[str, _Node] = {}
    for paragraph in paragraphs:
        if closing:
            closing.append(paragraph)
            continue
        if "\t" in paragraph:  # a table row belongs to what precedes it
            if current is not None:
                current.body.append("")
            continue
        marker = _item_marker(paragraph)
        if marker is None:
            if current is not None and _CLOSING.search(paragraph) and not paragraph[:1].islower():
                closing.append(paragraph)
            elif current is None:
                preamble.append(paragraph)
            else:
                current.body.append(paragraph)
            continue
        kind, match = marker
        rest = paragraph[match.end():].strip()
        if kind == "roman":
            current = last_numbered = None
            continue
        if kind == "a":
            parent = last_numbered
            code = f"{parent.code}.{match.group(1)}" if parent else match.group(1)
            node = _Node(code, (parent.level + 1) if parent else 1, rest, parent=parent)
            (parent.children if parent else roots).append(node)
            current = node
            continue
        code = ".".join(g for g in match.groups())
        level = len(match.groups())
        parent = by_code.get(".".join(match.groups()[:-1])) if level > 1 else None
        node = _Node(code, level, rest, parent=parent)
        (parent.children if parent else roots).append(node)
        by_code[code] = node
        current = last_numbered = node
    if closing:
        pass
    for node in _walk(roots):
        node.body = [b for b in node.body if b]
    return preamble, roots, closing


def _walk(nodes: list[_Node]):
    for node in nodes:
        yield node
        yield from _walk(node.children)


# ----------------------------------------------------------------------------------------
# The whole dispatch
# ----------------------------------------------------------------------------------------


def _outside_quotes_split(text: str, pattern: str) -> list[str]:
    """Split ``text`` at ``pattern`` where the match is not inside “…” or "…"."""
    parts, depth, last = [], 0, 0
    regex = re.compile(pattern)
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "“":
            depth += 1
        elif ch == "”":
            depth = max(0, depth - 1)
        elif ch == '"':
            depth = 0 if depth else 1
        if depth == 0:
            match = regex.match(text, i)
            if match and match.end() > i:
                parts.append(text[last:i])
                last = i = match.end()
                continue
        i += 1
    parts.append(text[last:])
    return parts


_DOC_KINDS = (r"(?:Công văn|Kết luận|Nghị quyết|Hướng dẫn|Chỉ thị|Quyết định|Kế hoạch|Thông báo|Quy định|"
              r"Chương trình|Báo cáo|Đề án|Tờ trình|Thông tư|Nghị định|Luật|Văn bản|Điện)")


def _references(paragraph: str) -> tuple[list[str], str]:
    """The documents a "Thực hiện …"/"Căn cứ …" paragraph names, and the rest of it."""
    body = re.sub(r"^(?:Thực hiện|Căn cứ|Triển khai)\s+", "", paragraph, flags=re.I)
    head, *tail = _outside_quotes_split(body, r";\s*")
    rest = "; ".join(t.strip() for t in tail if t.strip())
    if not tail:
        act = re.search(r",\s+(?=[^,]{0,80}\b(?:yêu cầu|đề nghị|chỉ đạo|giao)\b)", head)
        if act:
            head, rest = head[:act.start()], head[act.end():]
    docs = _outside_quotes_split(head, rf"\s*(?:,|;)?\s+và\s+(?={_DOC_KINDS}\s+số)|\s*[,;]\s+(?={_DOC_KINDS}\s+số)")
    return [_strip_item_punct(d) for d in docs if _strip_item_punct(d)], _ws(rest)


def _lines(text: str) -> list[str]:
    return [_clean_line(line) for line in text.split("\n")]


def parse_dispatch(text: str, registry: Registry, *, holidays: Collection[date] = (),
                   tz: ZoneInfo = DEFAULT_TZ) -> ImportResult:
    """Read a dispatch's text. Raises :class:`NotADispatch` when it is not one."""
    if not isinstance(text, str) or not text.strip():
        raise NotADispatch("Nội dung trống: hãy dán toàn văn công văn hoặc chọn tệp .txt/.docx.")
    if len(text) > MAX_TEXT_CHARS:
        raise TooLarge(f"Nội dung quá dài (hơn {MAX_TEXT_CHARS:,} ký tự); hãy bỏ bớt phụ lục.".replace(",", "."))
    source = normalise_source(text)
    lines = _lines(source)
    result = ImportResult(source_text=source)

    # --- the header ---------------------------------------------------------------------
    number_at = next((i for i, line in enumerate(lines) if _NUMBER.match(line)), None)
    recipients_at = next((i for i, line in enumerate(lines) if _RECIPIENTS.match(line)), None)
    distribution_at = next((i for i, line in enumerate(lines) if _DISTRIBUTION.match(line)), None)
    header_end = recipients_at if recipients_at is not None else min(
        [i for i, line in enumerate(lines) if re.match(r"^\s*(?:Thực hiện|Căn cứ)\s", line, re.I)] or [len(lines)])
    if number_at is not None and number_at > header_end:
        number_at = None
    date_at = next((i for i, line in enumerate(lines[:header_end + 1]) if _DATE_LINE.match(line)), None)
    subject_at = next((i for i, line in enumerate(lines[:header_end]) if _SUBJECT.match(line)), None)
    found = sum(x is not None for x in (date_at, subject_at, recipients_at, distribution_at))
    if number_at is None or found < 2:
        missing = []
        if number_at is None:
            missing.append("số và ký hiệu (ví dụ “Số 1534-CV/TU”)")
        if date_at is None:
            missing.append("địa danh, ngày tháng (“Lâm Đồng, ngày 08 tháng 5 năm 2026”)")
        if recipients_at is None:
            missing.append("nơi gửi (“Kính gửi: …”)")
        if subject_at is None:
            missing.append("trích yếu (“V/v …”)")
        raise NotADispatch("Nội dung không phải là một công văn: không tìm thấy " + "; ".join(missing) + ".")

    match = _NUMBER.match(lines[number_at])
    result.number = int(match["n"])
    result.symbol = re.sub(r"\s+", "", match["sym"]).upper().rstrip("-")
    result.kind = result.symbol.split("/")[0]

    if date_at is not None:
        dm = _DATE_LINE.match(lines[date_at])
        day, month, year = int(dm["d"]), int(dm["m"] or dm["m2"]), int(dm["y"] or dm["y2"])
        result.place = _ws(dm["place"])
        try:
            result.issued_on = date(year, month, day)
        except ValueError:
            result.warnings.append(f"Ngày ban hành không hợp lệ: ngày {day} tháng {month} năm {year}.")
    else:
        result.warnings.append("Không tìm thấy ngày ban hành (“…, ngày … tháng … năm …”); hãy nhập ngày.")

    # Issuing body: the capitalised lines above the number.
    issuer_lines = [line.strip() for line in lines[:number_at]
                    if line.strip() and line.strip() != "*" and not _PARTY.match(line.strip())
                    and not _DATE_LINE.match(line) and not re.fullmatch(r"[-_=*]+", line.strip())]
    result.issuer = _issuer(issuer_lines, result.symbol, registry)

    if subject_at is not None:
        parts = [lines[subject_at].strip()]
        for line in lines[subject_at + 1:header_end]:
            stripped = line.strip()
            if not stripped or stripped == "*" or _PARTY.match(stripped) or _DATE_LINE.match(line) \
                    or _STOP_HEADER.match(line) or _NUMBER.match(line):
                break
            parts.append(stripped)
        result.subject = _capitalise(_ws(" ".join(parts)))
    else:
        result.warnings.append("Không tìm thấy trích yếu (“V/v …” hoặc “Về việc …”).")

    # Recipients.
    body_start = header_end
    if recipients_at is not None:
        entries: list[str] = []
        inline = _RECIPIENTS.sub("", lines[recipients_at]).strip()
        if inline:
            entries.extend(_split_entries(inline))
        i = recipients_at + 1
        while i < len(lines):
            line = lines[i]
            stripped = line.strip()
            if not stripped:
                if entries:
                    break
                i += 1
                continue
            continuing = bool(_BULLET.match(line)) or (
                entries and re.search(r"[,;]\s*$", lines[i - 1] if lines[i - 1].strip() else "")
                and len(stripped) <= 160 and not _STOP_HEADER.match(line) and not _item_marker(stripped))
            if not continuing or _STOP_HEADER.match(_BULLET.sub("", line)):
                break
            entries.extend(_split_entries(stripped))
            i += 1
        result.recipients = entries
        result.recipient_codes = [u.code for u in (registry.lookup(e) for e in entries) if u is not None]
        body_start = i

    # Body, distribution, signature.
    body_end = distribution_at if distribution_at is not None and distribution_at >= body_start else None
    signature_at = None
    if body_end is None:
        signature_at = next((i for i in range(body_start, len(lines)) if _AUTHORITY.match(lines[i])), None)
        body_end = signature_at if signature_at is not None else len(lines)
    else:
        entries = []
        inline = _DISTRIBUTION.sub("", lines[distribution_at]).strip()
        if inline:
            entries.append(_strip_item_punct(inline))
        i = distribution_at + 1
        while i < len(lines):
            line = lines[i].strip()
            if not line:
                i += 1
                if entries and i < len(lines) and lines[i].strip() and not _BULLET.match(lines[i]):
                    break
                continue
            if _AUTHORITY.match(line) or (_is_upper_line(line) and not _BULLET.match(line)):
                break
            if not _BULLET.match(line) and entries:
                break
            entries.append(_strip_item_punct(line))
            i += 1
        result.distribution = [e for e in entries if e]
        signature_at = i
    _signature(lines, signature_at, result)

    paragraphs = [line.strip() for line in lines[body_start:body_end] if line.strip() and line.strip() != "*"]
    _body(paragraphs, result, registry, holidays=holidays, tz=tz)
    return result


def _issuer(lines: list[str], symbol: str | None, registry: Registry) -> UnitMention | None:
    candidates = []
    if lines:
        last = lines[-1]
        if len(lines) > 1:
            parent = re.sub(r"\s+LÂM ĐỒNG$", "", lines[-2].strip(), flags=re.I)
            candidates.append(f"{last} {parent}")
        candidates.append(last)
        candidates.append(" ".join(lines))
    for candidate in candidates:
        unit = registry.lookup(candidate)
        if unit is not None:
            return UnitMention(_ws(" - ".join(lines)), unit)
    if symbol and "/" in symbol:  # "CV/BTCTU": the issuer's abbreviation
        unit = registry.lookup(symbol.split("/", 1)[1])
        if unit is not None:
            return UnitMention(_ws(" ".join(lines)) or symbol, unit)
    if lines:
        return UnitMention(_ws(" - ".join(lines)), None)
    return None


def _signature(lines: list[str], start: int | None, result: ImportResult) -> None:
    if start is None:
        return
    i = start
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines):
        return
    first = lines[i].strip()
    if _AUTHORITY.match(first):
        result.signing_authority = _ws(first)
        i += 1
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i < len(lines) and _is_upper_line(lines[i].strip()):
            result.signer_title = _ws(lines[i])
            i += 1
    elif _is_upper_line(first):
        result.signer_title = _ws(first)
        i += 1
    for line in lines[i:i + 12]:
        stripped = line.strip()
        if not stripped:
            continue
        words = stripped.split()
        if 2 <= len(words) <= 6 and all(w[:1].isupper() for w in words) and not _is_upper_line(stripped):
            result.signer_name = stripped
        break


def _body(paragraphs: list[str], result: ImportResult, registry: Registry, *, holidays, tz) -> None:
    preamble, roots, _closing = _parse_items(paragraphs)
    issuer_code = result.issuer.unit.code if result.issuer and result.issuer.unit else None
    rest_of_preamble: list[str] = []
    for paragraph in preamble:
        if re.match(r"^(?:Thực hiện|Căn cứ)\s", paragraph, re.I):
            docs, rest = _references(paragraph)
            result.references.extend(docs)
            if rest:
                rest_of_preamble.append(_capitalise(rest))
        else:
            rest_of_preamble.append(paragraph)
    result.preamble = _ws(" ".join(rest_of_preamble))

    def deadline_into(assignment: Assignment, text: str) -> str:
        found = find_deadline(text, result.issued_on, tz=tz, holidays=holidays)
        if found is None:
            return text
        (start, end), wording, parsed, error = found
        assignment.deadline_text = wording
        if parsed is not None:
            assignment.deadline, assignment.recurrence, assignment.period = (
                parsed.deadline, parsed.rrule, parsed.period)
        assignment.deadline_error = error
        return text[:start] + " " + text[end:]

    if not roots:  # no numbered items: one task per unit the dispatch asks to act (1640)
        _unnumbered(preamble, result, registry, issuer_code, deadline_into)
        return

    def visit(node: _Node, inherited: _Actor | None, inherited_coord: list[UnitMention]) -> None:
        actor = find_actor(node.heading, registry, issuer_code)
        if node.children:
            coord = inherited_coord
            if actor is not None and actor.kind != "generic":
                coord = find_coordinating(node.heading, registry)[0] or inherited_coord
            heading_rest = _tidy_sentence(node.heading[actor.end:]) if actor else ""
            if actor is None and heading_rest == "" and node.heading:
                pass
            for child in node.children:
                visit(child, actor if actor is not None and actor.kind != "generic" else inherited, coord)
            if node.body and (actor is None or actor.kind == "generic"):
                result.directives.append({"item": node.code, "text": _ws(" ".join(node.body))})
            return
        own = actor is not None
        chosen = actor if own else inherited
        if chosen is None or chosen.kind == "generic":
            result.directives.append({"item": node.code, "text": node.text})
            return
        if own:
            heading_rest = node.heading[actor.end:]
            # "… chủ trì, phối hợp với X" right after the actor is said by the fields.
            lead_in = re.match(r"[\s,:]*(?:chủ\s+trì)?[\s,]*", heading_rest, re.I)
            after = heading_rest[lead_in.end():] if lead_in else heading_rest
            coord_here, spans = find_coordinating(after, registry)
            if spans and spans[0][0] == 0 and coord_here:
                after = after[spans[0][1]:]
            elif lead_in and lead_in.group(0).strip(" ,:"):
                after = heading_rest[lead_in.end():]
            title_source = _ws(" ".join([after, *node.body]))
        else:
            title_source = node.text
        assignment = Assignment(item=node.code, title="", source=node.text)
        coordinating, _ = find_coordinating(node.text, registry)
        if not coordinating and not own:
            coordinating = list(inherited_coord)
        assignment.coordinating = coordinating
        if chosen.kind == "fan_out":
            assignment.fan_out = COMMUNE_FAN_OUT
            assignment.lead = chosen.mention
        else:
            assignment.lead = chosen.mention
        title_source = deadline_into(assignment, title_source)
        assignment.title = _capitalise(_tidy_sentence(title_source)) or _capitalise(_tidy_sentence(node.text))
        if assignment.lead is not None and assignment.lead.unit is not None:
            assignment.coordinating = [c for c in assignment.coordinating
                                       if c.unit is None or c.unit.code != assignment.lead.unit.code]
        result.assignments.append(assignment)

    for root in roots:
        visit(root, None, [])


def _unnumbered(paragraphs: list[str], result: ImportResult, registry: Registry, issuer_code, deadline_into) -> None:
    """A dispatch written as prose: each paragraph asking a unit to act adds to its task."""
    by_lead: dict[str, Assignment] = {}
    clauses: dict[str, list[str]] = {}
    for paragraph in paragraphs:
        if re.match(r"^(?:Thực hiện|Căn cứ)\s", paragraph, re.I) or _CLOSING.search(paragraph):
            continue
        unquoted = re.sub(r"“[^”]*”", lambda m: " " * len(m.group(0)), paragraph)
        folded = fold_keep(unquoted)
        for act in re.finditer(r"(?<![^\W\d_])(?:giao(?: cho)?|de nghi|yeu cau)\s+", folded):
            actor = _actor_at(paragraph, act.end(), registry, allow_unknown=False)
            if actor is None or actor.kind == "generic":
                continue
            if actor.mention.unit is not None and actor.mention.unit.code == issuer_code:
                continue
            key = actor.mention.unit.code if actor.mention.unit else "*" + actor.kind
            assignment = by_lead.get(key)
            if assignment is None:
                assignment = Assignment(item=str(len(by_lead) + 1), title="", lead=actor.mention,
                                        fan_out=COMMUNE_FAN_OUT if actor.kind == "fan_out" else None)
                by_lead[key] = assignment
                clauses[key] = []
            clause = paragraph[actor.end:]
            clause = re.split(r"(?<=[.;])\s+(?=[A-ZĐ])", clause, maxsplit=1)[0]
            clause = re.sub(r",?\s*(?:như sau|cụ thể như sau|cụ thể)\s*:?\s*$", "", clause.strip(), flags=re.I)
            if assignment.deadline_text is None:
                clause = deadline_into(assignment, clause)
            coordinating, _ = find_coordinating(clause, registry)
            for mention in coordinating:
                if all((m.unit or m.text) != (mention.unit or mention.text) for m in assignment.coordinating):
                    assignment.coordinating.append(mention)
            clauses[key].append(_tidy_sentence(clause))
            assignment.source = _ws(f"{assignment.source} {paragraph}")
            break
    for key, assignment in by_lead.items():
        assignment.title = _capitalise("; ".join(c for c in clauses[key] if c))
        result.assignments.append(assignment)


# ----------------------------------------------------------------------------------------
# JSON and display
# ----------------------------------------------------------------------------------------


def highlight_segments(source: str, phrases: Iterable[str]) -> list[tuple[str, bool]]:
    """``source`` cut into (text, highlighted) pieces, every occurrence of a phrase highlighted
    (for showing the unmatched units in the source text; the caller escapes the text)."""
    wanted = sorted({p for p in phrases if p and len(p) >= 2}, key=len, reverse=True)
    if not wanted or not source:
        return [(source or "", False)]
    pattern = re.compile("|".join(re.escape(p) for p in wanted))
    pieces, last = [], 0
    for match in pattern.finditer(source):
        if match.start() > last:
            pieces.append((source[last:match.start()], False))
        pieces.append((match.group(0), True))
        last = match.end()
    if last < len(source):
        pieces.append((source[last:], False))
    return pieces



def _unit_json(mention: UnitMention | None) -> dict | None:
    if mention is None:
        return None
    if mention.unit is None:
        return {"code": None, "name": None, "text": mention.text}
    return {"code": mention.unit.code, "name": mention.unit.name, "text": mention.text}


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def draft_json(result: ImportResult, registry: Registry, *, expand_fan_out: bool = True) -> dict:
    """The draft dispatch as the API returns it (nothing saved).

    ``tasks`` lists one task per lead unit: an assignment to the communes becomes one task
    per commune-level unit (each marked ``"fan_out": "communes"``) unless
    ``expand_fan_out`` is false. ``unmatched`` lists every unit the registry did not know,
    with where it is and a few suggestions.
    """
    unmatched: list[dict] = []

    def flag(where: str, item: str | None, text: str) -> None:
        unmatched.append({"field": where, "item": item, "text": text,
                          "suggestions": [{"code": u.code, "name": u.name} for u in registry.suggestions(text)]})

    if result.issuer is None or result.issuer.unit is None:
        flag("issuer", None, result.issuer.text if result.issuer else "")
    tasks: list[dict] = []
    communes = sorted(registry.communes, key=lambda u: u.code)
    for index, a in enumerate(result.assignments):
        base = {
            "item": a.item, "title": a.title, "coordinating_units": [_unit_json(c) for c in a.coordinating],
            "deadline_text": a.deadline_text, "deadline": _iso(a.deadline), "recurrence": a.recurrence,
            "period": a.period, "deadline_error": a.deadline_error, "fan_out": a.fan_out, "group": index,
        }
        for c in a.coordinating:
            if c.unit is None:
                flag("coordinating_units", a.item, c.text)
        if a.fan_out == COMMUNE_FAN_OUT:
            if not communes:
                flag("lead_unit", a.item, a.lead.text if a.lead else "các xã, phường, đặc khu")
            if expand_fan_out:
                for unit in communes:
                    tasks.append({**base, "lead_unit": {"code": unit.code, "name": unit.name,
                                                        "text": a.lead.text if a.lead else ""}})
                continue
            tasks.append({**base, "lead_unit": _unit_json(a.lead)})
            continue
        if a.lead is None or a.lead.unit is None:
            flag("lead_unit", a.item, a.lead.text if a.lead else "")
        tasks.append({**base, "lead_unit": _unit_json(a.lead)})
    return {
        "number": result.full_number,
        "symbol": result.symbol,
        "kind": result.kind,
        "issuer": _unit_json(result.issuer),
        "place": result.place,
        "issued_on": result.issued_on.isoformat() if result.issued_on else None,
        "subject": result.subject,
        "recipients": list(result.recipients),
        "recipient_codes": list(result.recipient_codes),
        "distribution": list(result.distribution),
        "signing_authority": result.signing_authority,
        "signer_title": result.signer_title,
        "signer_name": result.signer_name,
        "references": list(result.references),
        "preamble": result.preamble,
        "status": "draft",
        "directives": list(result.directives),
        "tasks": tasks,
        "unmatched": unmatched,
        "warnings": list(result.warnings),
        "source_text": result.source_text,
    }
