"""The structure of a document: header, items, sections, body, signature."""
from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from workflow.deadlines import DEFAULT_TZ, DeadlineParseError, parse_deadline
from workflow.importer.actors import (Registry, _Actor, _actor_at, _looks_like_unit, _unit_at,
                                      _unknown_unit_phrase, find_coordinating, find_leads, split_units)
from workflow.importer.tables import TextTable, table_at
from workflow.importer.reading_deadlines import find_deadline
from workflow.importer.results import Assignment, ImportResult, UnitMention
from workflow.importer.text import (COMMUNE_FAN_OUT, MAX_TEXT_CHARS, NotADispatch, TooLarge, _capitalise,
                                    _clean_line, _strip_item_punct, _tidy_sentence, _ws, fold_keep,
                                    normalise_source)

# ----------------------------------------------------------------------------------------
# Header
# ----------------------------------------------------------------------------------------

_NUMBER = re.compile(
    r"^\s*S[ốỐoO]\s*:?\s*(?P<n>\d{1,7})\s*[-–]?\s*(?P<sym>[A-ZĐ][A-ZĐ0-9]*(?:\s*/\s*[A-ZĐ0-9][A-ZĐ0-9\-]*)+)",
)
_DATE_LINE = re.compile(
    r"^\s*(?P<place>[^\W\d_][^\W\d_ .]*(?:[ .][^\W\d_]+){0,5})\s*,\s*ngày\s+(?P<d>\d{1,2})"
    r"(?:\s+tháng\s+(?P<m>\d{1,2})\s+năm\s+(?P<y>\d{4})|\s*/\s*(?P<m2>\d{1,2})\s*/\s*(?P<y2>\d{4}))",
    re.I,
)
_SUBJECT = re.compile(r"^\s*(?:V/v|V/V|Vv\.?|Về việc|về việc|VỀ VIỆC)\b\s*:?\s*", re.I)
_RECIPIENTS = re.compile(r"^\s*[-–•]?\s*K[íi]nh\s+g[ửu]i\s*:?\s*", re.I)
_DISTRIBUTION = re.compile(r"^\s*N[ơo]i\s+nh[ậa]n\s*:?\s*", re.I)
_AUTHORITY = re.compile(r"^\s*(?:T/M|TM\.|TM|K/T|KT\.|KT|T/L|TL\.|TL|TUQ\.|T/UQ|Q\.|Q/)\s+\S", re.I)
# The title of a document that is not a công văn, and the kind its symbol gives.
GENRES = {"thong bao": "TB", "ke hoach": "KH", "quyet dinh": "QĐ", "chi thi": "CT", "bao cao": "BC",
          "huong dan": "HD", "cong van": "CV", "to trinh": "TTr", "chuong trinh": "CTr", "ket luan": "KL",
          "quy dinh": "QĐi", "nghi quyet": "NQ"}
_PARTY = re.compile(r"^(ĐẢNG CỘNG SẢN VIỆT NAM|CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM|CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"
                    r"|Độc lập\s*-\s*Tự do\s*-\s*Hạnh phúc)\s*$", re.I)
_BULLET = re.compile(r"^\s*[-–•+]\s*")
_STOP_HEADER = re.compile(r"^\s*(?:Thực hiện|Thuc hien|Căn cứ|Can cu|K[íi]nh g[ửu]i|N[ơo]i nh[ậa]n|Để\s|Theo\s)", re.I)


def _is_upper_line(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _split_entries(text: str) -> list[str]:
    parts = [p for p in re.split(r";\s*", text) if p.strip()]
    return [_strip_item_punct(p) for p in parts if _strip_item_punct(p)]


# ----------------------------------------------------------------------------------------
# The body: items
# ----------------------------------------------------------------------------------------

_ITEM_MARKERS = (
    ("3", re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{1,2})\.?\s+(?=\S)")),
    ("2", re.compile(r"^(\d{1,2})\.(\d{1,2})\.?\s+(?=\S)")),
    # "1.", "1)" and, as typed by some organs, "1-" / "I-" / "a-" (a hyphen then a space).
    ("1", re.compile(r"^(\d{1,2})(?:[.)/]|\s?-)\s+(?=\S)")),
    ("1", re.compile(r"^\((\d{1,2})\)\s*(?=\S)")),   # "(1)", and "1/" above
    ("a", re.compile(r"^([a-zđ])(?:[)/]|\s?-)\s+(?=\S)")),
    ("a", re.compile(r"^\(([a-zđ])\)\s*(?=\S)")),
    ("roman", re.compile(r"^([IVX]{1,5})(?:[.)]|\s?-)\s+(?=\S)")),
    ("article", re.compile(r"^(?:Điều|Dieu|ĐIỀU)\s+(\d{1,2})\s*[.:]\s*(?=\S)")),
)
_CLOSING = re.compile(r"\./\.\s*$|^Nhận được (?:công văn|văn bản)", re.I)
# "Văn phòng Tỉnh ủy, các cơ quan … căn cứ Quyết định thi hành": the article that closes a
# decision names who executes it, it assigns no task of its own.
# A section that reports results or the situation ("I. KẾT QUẢ ĐẠT ĐƯỢC", "I. TÌNH HÌNH THỰC
# HIỆN"): a unit its items name has done something, it is not asked to.
_RESULTS_SECTION = re.compile(r"^(?:ket qua|tinh hinh|danh gia|thuc trang|kiem diem)")
_TASKS_SECTION = re.compile(r"nhiem vu|giai phap|phuong huong|de xuat|kien nghi|to chuc thuc hien|phan cong")
_EXECUTION = re.compile(r"thi hanh (?:quyet dinh|chi thi)|(?:quyet dinh|chi thi)(?: nay)? thi hanh|"
                        r"chiu trach nhiem thi hanh")


# An unmarked paragraph that opens with an act verb ("Giao …", "Đề nghị …", "Đồng thời, đề nghị …")
# asks a unit to act on its own; a sentence inside a paragraph that opens so starts another one.
_ACT_PARAGRAPH = re.compile(r"^(?:dong thoi|ngoai ra|mat khac)?,?\s*(?:giao(?: cho)?|de nghi|yeu cau|phan cong)\s+"
                            r"(?!cac |nhung |moi |tat ca |toan the )\S")
# "… đề nghị các cơ quan, đơn vị nêu trên …": a paragraph after a list of bare unit names that
# asks those units to act.
_UNITS_ABOVE = re.compile(r"(?:cac|nhung)\s+(?:co quan|don vi|dia phuong|dong chi)(?:,?\s+(?:don vi|dia phuong))?"
                          r"\s+(?:neu tren|ke tren|noi tren|tren day|tren|co ten (?:o |neu )?tren|(?:vua )?neu)\b")
_UNITS_BELOW = re.compile(r"(?:cac|nhung)\s+(?:co quan|don vi|dia phuong)(?:,?\s+(?:don vi|dia phuong))?"
                          r"\s+(?:sau day|sau|duoi day|co ten (?:sau day|sau|duoi day))\b")
_ACT_SENTENCE = re.compile(r"(?<=[.;])\s+(?=(?:Giao|Đề nghị|Yêu cầu|Phân công|Đồng thời)\s)")


@dataclass
class _Node:
    code: str
    level: int
    heading: str
    body: list[str] = field(default_factory=list)
    children: list["_Node"] = field(default_factory=list)
    parent: "_Node | None" = None
    bullet: str | None = None           # the bullet character of a "- …"/"+ …" sub-item
    tail: list[str] = field(default_factory=list)  # paragraphs after its bullet sub-items
    table: object = None                # a task table standing in the item list
    section: str = ""                   # the Roman-numeral section it belongs to

    @property
    def text(self) -> str:
        return _ws(" ".join([self.heading, *self.body]))

    @property
    def all_text(self) -> str:
        return _ws(" ".join([self.heading, *self.body, *self.tail]))

    def introduces(self) -> bool:
        """Its last words end with a colon: what follows details it."""
        last = (self.body[-1] if self.body else self.heading).rstrip()
        return last.endswith(":")


def _item_marker(line: str):
    for kind, pattern in _ITEM_MARKERS:
        match = pattern.match(line)
        if match:
            return kind, match
    return None


@dataclass
class _Items:
    preamble: list[str] = field(default_factory=list)
    roots: list[_Node] = field(default_factory=list)
    closing: list[str] = field(default_factory=list)
    loose: list[tuple[str, str]] = field(default_factory=list)  # (section, paragraph) outside any item
    section_titles: dict[str, str] = field(default_factory=dict)


def _parse_items(entries: list) -> _Items:
    """Split the body into the preamble, the item tree and the closing paragraphs.

    ``entries`` are paragraphs (str) and task tables (:class:`TextTable`) in reading order.
    Roman-numeral headings open sections whose items are coded "II.1"; "Điều 1." items are
    coded "Điều 1"; "- …"/"+ …" bullets under an item that ends with a colon are its
    sub-items ("II.1-1"); a table stands in the item list where it is.
    """
    out = _Items()
    current: _Node | None = None
    last_numbered: _Node | None = None
    by_code: dict[str, _Node] = {}
    section = ""
    in_section_intro = False
    top_bullets = False
    for entry in entries:
        if out.closing:
            if isinstance(entry, str):
                out.closing.append(entry)
            continue
        if not isinstance(entry, str):  # a table
            node = _Node(f"{section}." if section else "", 1, "", table=entry, section=section)
            out.roots.append(node)
            current = None
            continue
        paragraph = entry
        marker = _item_marker(paragraph)
        bullet = _BULLET.match(paragraph)
        if marker is None and bullet and current is None and not in_section_intro and not out.roots \
                and out.preamble and out.preamble[-1].rstrip().endswith(":") \
                and not re.match(r"[-–•+]?\s*(?:Căn cứ|Thực hiện|Xét)\s", paragraph, re.I):
            top_bullets = True  # "… kết luận như sau:" then "- …", "- …": the items, numbered in order
        if marker is None and bullet and top_bullets and (current is None or current.bullet is not None):
            char = paragraph.lstrip()[0]
            # A new top-level item: the same bullet as the top-level items ("-"), not as the
            # sub-items of one of them ("+" under "- Về công tác tuyên truyền:").
            top_char = next((r.bullet for r in out.roots if r.bullet), None)
            if current is None or char == (top_char or current.bullet):
                n = sum(1 for r in out.roots if r.bullet) + 1
                node = _Node(str(n), 1, paragraph[bullet.end():].strip(), bullet=char, section=section)
                out.roots.append(node)
                current = node
                continue
        if marker is None and bullet and current is not None:
            char = paragraph.lstrip()[0]
            host = current
            if current.bullet is not None and not (current.introduces() and char != current.bullet):
                host = current.parent
            if host is not None and (host.introduces() or any(c.bullet for c in host.children)
                                     or (host.bullet is None and not host.body and _is_title(host.heading))):
                rest = paragraph[bullet.end():].strip()
                n = sum(1 for c in host.children if c.bullet) + 1
                node = _Node(f"{host.code}-{n}", host.level + 1, rest, parent=host, bullet=char, section=section)
                host.children.append(node)
                current = node
                continue
        if marker is None:
            if current is not None and _CLOSING.search(paragraph) and not paragraph[:1].islower():
                out.closing.append(paragraph)
            elif current is not None and _ACT_PARAGRAPH.match(fold_keep(paragraph)):
                # "Giao Phòng … theo dõi …" after an item: a new assignment, not more of that item;
                # each "Giao …"/"Đề nghị …" sentence of it is one.
                for sentence in _ACT_SENTENCE.split(paragraph):
                    if sentence.strip():
                        out.loose.append((section, sentence.strip()))
            elif current is None:
                if in_section_intro:
                    out.loose.append((section, paragraph))
                else:
                    out.preamble.append(paragraph)
            elif current.bullet is not None and not paragraph[:1].islower():
                # After the bullets, a paragraph speaks for the item they detail.
                host = current.parent
                while host is not None and host.bullet is not None:
                    host = host.parent
                if host is None and _UNITS_ABOVE.search(fold_keep(paragraph)):
                    # Top-level bullets naming units, then "… các cơ quan, đơn vị nêu trên …".
                    for root in out.roots:
                        if root.bullet is not None and not root.children and not root.tail:
                            root.tail.append(paragraph)
                    continue
                (host.tail if host is not None else out.preamble).append(paragraph)
                current = host if host is not None else current
            elif current.children and any(c.bullet for c in current.children):
                current.tail.append(paragraph)
            else:
                current.body.append(paragraph)
            continue
        kind, match = marker
        rest = paragraph[match.end():].strip()
        if kind != "roman":
            # "Điều 2. Tổ công tác … . Giao Văn phòng Tỉnh ủy …": each later "Giao …"/"Đề nghị …"
            # sentence of an item is an assignment of its own.
            rest, *later = _ACT_SENTENCE.split(rest)
            out.loose.extend((section, sentence.strip()) for sentence in later if sentence.strip())
        if kind == "roman":
            section = match.group(1)
            out.section_titles[section] = rest
            current = last_numbered = None
            in_section_intro = True
            continue
        if kind == "article":
            code = f"Điều {match.group(1)}"
            node = _Node(code, 1, rest, section=section)
            out.roots.append(node)
            by_code[code] = node
            current = last_numbered = node
            continue
        if kind == "a":
            parent = last_numbered
            code = f"{parent.code}.{match.group(1)}" if parent else match.group(1)
            node = _Node(code, (parent.level + 1) if parent else 1, rest, parent=parent, section=section)
            (parent.children if parent else out.roots).append(node)
            current = node
            continue
        numbers = match.groups()
        prefix = f"{section}." if section else ""
        code = prefix + ".".join(numbers)
        level = len(numbers)
        parent = by_code.get(prefix + ".".join(numbers[:-1])) if level > 1 else None
        node = _Node(code, level, rest, parent=parent, section=section)
        (parent.children if parent else out.roots).append(node)
        by_code[code] = node
        current = last_numbered = node
    for node in _walk(out.roots):
        node.body = [b for b in node.body if b]
    return out


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
    title_at, title_end = _genre_title(lines, number_at)
    if recipients_at is None and title_at is not None:
        header_end = title_end
    if number_at is not None and number_at > header_end:
        number_at = None
    date_at = next((i for i, line in enumerate(lines[:header_end + 1]) if _DATE_LINE.match(line)), None)
    subject_at = next((i for i, line in enumerate(lines[:header_end]) if _SUBJECT.match(line)), None)
    found = sum(x is not None for x in (date_at, subject_at if subject_at is not None else title_at,
                                         recipients_at, distribution_at))
    if number_at is None or found < 2:
        missing = []
        if number_at is None:
            missing.append("số và ký hiệu (ví dụ “Số 1534-CV/TU”)")
        if date_at is None:
            missing.append("địa danh, ngày tháng (“Lâm Đồng, ngày 08 tháng 5 năm 2026”)")
        if recipients_at is None:
            missing.append("nơi gửi (“Kính gửi: …”)")
        if subject_at is None and title_at is None:
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
    elif title_at is not None and title_end > title_at + 1:
        result.subject = _capitalise(_ws(" ".join(line.strip() for line in lines[title_at + 1:title_end]
                                                  if line.strip() and not re.fullmatch(r"[-_=*]+", line.strip()))))
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
    signature_end = _signature(lines, signature_at, result)
    appendix = lines[signature_end:] if signature_end is not None else []
    _body(lines[body_start:body_end], result, registry, holidays=holidays, tz=tz, appendix=appendix)
    return result


def _genre_title(lines: list[str], number_at: int | None) -> tuple[int | None, int]:
    """Where the title of a THÔNG BÁO, KẾ HOẠCH, QUYẾT ĐỊNH … is, and where its subject lines
    (below it, up to a blank line or "-----") end."""
    if number_at is None:
        return None, 0
    for i in range(number_at + 1, min(len(lines), number_at + 25)):
        stripped = lines[i].strip()
        if not stripped or not _is_upper_line(stripped):
            continue
        if _ws(fold_keep(stripped)) not in GENRES:
            continue
        end = i + 1
        while end < len(lines) and end < i + 6:
            line = lines[end].strip()
            if not line:
                break
            if re.fullmatch(r"[-_=*]+", line):
                end += 1
                break
            if _PARTY.match(line) or _DATE_LINE.match(lines[end]) or _STOP_HEADER.match(line) \
                    or _RECIPIENTS.match(line) or _item_marker(line):
                break
            end += 1
        return i, end
    return None, 0


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


def _signature(lines: list[str], start: int | None, result: ImportResult) -> int | None:
    """Read the signature from ``start``; where it ends (an annex may follow)."""
    if start is None:
        return None
    i = start
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines):
        return len(lines)
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
    for offset, line in enumerate(lines[i:i + 12]):
        stripped = line.strip()
        if not stripped:
            continue
        words = stripped.split()
        if 2 <= len(words) <= 6 and all(w[:1].isupper() for w in words) and not _is_upper_line(stripped):
            result.signer_name = stripped
            return i + offset + 1
        return i + offset
    return min(len(lines), i + 12)


def _entries(lines: list[str]) -> tuple[list, list[tuple[int, list[str]]]]:
    """Body lines as paragraphs and task tables, in reading order; and the rows of other
    tables that name a lead unit (to list them as not taken)."""
    entries: list = []
    other_rows: list[tuple[int, list[str]]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        found = table_at(lines, i)
        if found is not None:
            table, i = found
            if table.assigns_tasks:
                entries.append(table)
            else:
                other_rows.extend((n, cells) for n, cells in table.rows if table.cell(cells, "lead"))
            continue
        stripped = line.strip()
        cells = [c.strip() for c in stripped.split("\t") if c.strip()]
        if "\t" in stripped and len(cells) == 2 and re.fullmatch(
                r"\d{1,2}(?:\.\d{1,2})*[.)]|[a-zđ]\)|[IVX]{1,5}\.|[-+•–]|(?:Điều|Dieu)\s+\d{1,2}\.", cells[0]):
            stripped = " ".join(cells)  # "1.<tab>Giao …": an item typed with a tab after its number
        if stripped and stripped != "*" and "\t" not in stripped:
            if entries and isinstance(entries[-1], str) and lines[i - 1].strip() and _continues(entries[-1], stripped):
                entries[-1] = f"{entries[-1]} {stripped}"  # a line broken mid-sentence (text copied from PDF)
            else:
                entries.append(stripped)
        i += 1
    return entries, other_rows


# The words a sentence broken before its date ends with ("… trước ngày" / "05/02/2027").
_BROKEN_BEFORE_DATE = re.compile(r"(?:ngay|truoc|nhat|han|den|thang|nam|quy|luc|gio|phut)$")


def _continues(previous: str, line: str) -> bool:
    """``line`` continues the sentence of ``previous`` (a line break inside a sentence, as when
    text is copied from a PDF): the previous line ends with no punctuation and this one starts
    in lower case, or with a date after "… ngày"; an item marker or a bullet never continues."""
    if re.search(r"[.;:!?)”\"]$", previous) or _is_upper_line(previous):
        return False
    if _item_marker(line) or _BULLET.match(line):
        return False
    if line[:1].islower():
        return True
    return line[:1].isdigit() and bool(_BROKEN_BEFORE_DATE.search(fold_keep(previous)))


def prefill(text: str, registry: Registry, *, issuer_code: str | None, issued_on: date | None, tz,
            holidays) -> dict:
    """What a paragraph not taken as a task says, to pre-fill the task the office makes of it:
    the first unit or group it asks to act (or names first), and its deadline wording."""
    lead = None
    for actor in find_leads(text, registry, issuer_code):
        if actor.kind in ("unit", "fan_out"):
            lead = actor
            break
    if lead is None:
        folded = fold_keep(text)
        for act in re.finditer(r"(?<![^\W\d_])(?:giao(?: cho)?|de nghi|yeu cau|phan cong)\s+", folded):
            actor = _actor_at(text, act.end(), registry, allow_unknown=True)
            if actor is not None and actor.kind != "generic" and not (
                    actor.mention and actor.mention.unit and actor.mention.unit.code == issuer_code):
                lead = actor
                break
    if lead is None:
        for start in range(len(text)):
            if start and text[start - 1] not in " ,;:(-–\t|":
                continue
            unit, _end = registry.match_prefix(text, start)
            if unit is not None and unit.code != issuer_code:
                lead = _Actor("unit", UnitMention(_ws(text[start:_end]), unit), start, _end)
                break
    deadline_text = None
    found = find_deadline(text, issued_on, tz=tz, holidays=holidays) if issued_on is not None else None
    if found is not None and found[2] is not None:
        deadline_text = found[1]
    lead_json = None
    if lead is not None and lead.mention is not None:
        unit = lead.mention.unit
        lead_json = {"code": unit.code if unit else None, "name": unit.name if unit else None,
                     "text": lead.mention.text}
    return {"lead_unit": lead_json, "fan_out": lead.fan if lead is not None and lead.kind == "fan_out" else None,
            "deadline_text": deadline_text}


def _actor_sentences(text: str, registry: Registry, issuer_code) -> list[str]:
    """``text`` cut before each sentence after the first that opens with a registry unit (or a
    group that fans out) followed by its verb ("Sở Tài chính bố trí …"), not by "đã", "đang",
    "được" (what it did is no request)."""
    sentences = re.split(r"(?<=[.;])\s+(?=[A-ZĐ])", text)
    if len(sentences) < 2:
        return [text]
    parts = [sentences[0]]
    for sentence in sentences[1:]:
        leads = find_leads(sentence, registry, issuer_code)
        first = leads[0] if leads else None
        own = first is not None and first.start == 0 and (
            first.kind == "fan_out" or (first.kind == "unit" and first.mention.unit is not None
                                         and first.mention.unit.code != issuer_code))
        if own and not re.match(r"\s*(?:da|dang|duoc|vua|cung da|da va dang)\b", fold_keep(sentence[first.end:])):
            parts.append(sentence)
        else:
            parts[-1] = f"{parts[-1]} {sentence}"
    return parts



def _is_title(heading: str) -> bool:
    """A heading that is a title, not a sentence: short, no closing punctuation ("1.1. Ban Tổ
    chức Tỉnh ủy", "2. Về nhiệm vụ thời gian tới")."""
    heading = (heading or "").strip()
    return bool(heading) and len(heading.split()) <= 12 and not re.search(r"[.;,:!?]$", heading)


def _bare_unit(heading: str, registry: Registry) -> UnitMention | None:
    """The unit a list entry names and nothing else ("Sở Xây dựng;", "Đảng ủy xã Tuy Phong.",
    "Sở KH&ĐT;"), or None."""
    name = re.sub(r"[\s;,.]+$", "", heading or "")
    if not name or len(name) > 120:
        return None
    unit, end = _unit_at(name, 0, registry)
    if unit is not None:
        return UnitMention(_ws(name), unit) if not name[end:].strip() else None
    if _looks_like_unit(name, 0):
        phrase, end, _why = _unknown_unit_phrase(name, 0)
        if phrase and not name[end:].strip() and len(phrase.split()) >= 2:
            return UnitMention(_ws(phrase), registry.lookup_short(phrase))
    return None


# A deadline said as "before" a meeting or event with no date (import4): "trước kỳ họp Hội nghị Tỉnh
# ủy cuối năm", "trước Đại hội". ("trình … tại kỳ họp thường lệ cuối năm" says where the work is
# presented, not a deadline: a task without deadline, as blind3/cv-1920 fixed.)
_UNDATED_EVENT = re.compile(
    r"(?<![a-z])(?:truoc|cham nhat truoc|muon nhat truoc)\s+(?:cac\s+)?(?:ky hop|phien hop|cuoc hop|hoi nghi|dai hoi|buoi lam viec|"
    r"phien giao ban|ky giao ban)\b[^.;]{0,80}"
)
_FOR_UNITS = re.compile(r"(?:doi voi|rieng doi voi|rieng)\s+")


def _for_units(heading: str, registry: Registry) -> list[_Actor]:
    """The units a heading "Đối với …" gives to what it heads ("2.1. Đối với Sở Nội vụ:",
    "Đối với các xã, phường:", "Đối với Ban Tổ chức Tỉnh ủy, Ủy ban Kiểm tra Tỉnh ủy:"), with
    their positions in ``heading``; empty when what follows "Đối với" is not only units
    ("Đối với công tác cán bộ:")."""
    heading = heading or ""
    match = _FOR_UNITS.match(fold_keep(heading))
    if match is None:
        return []
    colon = heading.find(":", match.end())
    if colon < 0 and not _is_title(heading):
        return []
    stop = colon if colon >= 0 else len(heading)
    names = re.sub(r"[\s;,.]+$", "", heading[match.end():stop])
    actors = split_units(names, registry)
    if not actors or any(a.kind not in ("unit", "fan_out") for a in actors):
        return []
    for actor in actors:
        if actor.kind == "unit" and actor.mention.unit is None and not _looks_like_unit(names, actor.start):
            return []
    # The units must be all the heading says before its colon: "Đối với Sở Y tế và các đơn vị
    # liên quan" is not only units.
    if names[actors[-1].end:].strip(" ,;") or actors[0].start > 0:
        return []
    for actor in actors:
        actor.start, actor.end = actor.start + match.end(), actor.end + match.end()
    if colon >= 0:
        actors[-1].end = colon + 1
    return actors


def _mentions(paragraph: str, registry: Registry, issuer_code, issued_on, tz, holidays) -> bool:
    """The paragraph names a unit to act, a group of units, or a deadline."""
    if find_deadline(paragraph, issued_on, tz=tz, holidays=holidays) is not None:
        return True
    for actor in find_leads(paragraph, registry, issuer_code):
        if actor.kind in ("unit", "fan_out"):
            return True
    # Any unit named anywhere in it (not its issuer): shown, never dropped silently.
    return prefill(paragraph, registry, issuer_code=issuer_code, issued_on=None, tz=tz,
                   holidays=holidays)["lead_unit"] is not None


def _body(lines: list[str], result: ImportResult, registry: Registry, *, holidays, tz,
          appendix: list[str] = ()) -> None:
    entries, other_rows = _entries(lines)
    items = _parse_items(entries)
    preamble, roots = items.preamble, items.roots
    issuer_code = result.issuer.unit.code if result.issuer and result.issuer.unit else None
    rest_of_preamble: list[str] = []
    prose: list[str] = []  # the preamble without the documents it implements
    for paragraph in preamble:
        if re.match(r"^[-–•+]?\s*(?:Thực hiện|Căn cứ)\s", paragraph, re.I):
            docs, rest = _references(_BULLET.sub("", paragraph))
            result.references.extend(docs)
            if rest:
                rest_of_preamble.append(_capitalise(rest))
                prose.append(_capitalise(rest))
        else:
            rest_of_preamble.append(paragraph)
            prose.append(paragraph)
    result.preamble = _ws(" ".join(rest_of_preamble))

    # (import4) "… đề nghị các cơ quan, đơn vị sau đây xây dựng báo cáo …:" over top-level bullets
    # that only name units, then "Báo cáo gửi về … trước ngày …": one task per listed unit, with
    # the introduction's request and the deadline of the paragraph after the list.
    list_request, list_shared = "", ""
    if roots and all(r.bullet for r in roots):
        for k, paragraph in enumerate(prose):
            folded_paragraph = fold_keep(paragraph)
            cut = _UNITS_BELOW.search(folded_paragraph) if paragraph.rstrip().endswith(":") else None
            # Only a request ("đề nghị/yêu cầu/giao các cơ quan, đơn vị sau đây …"), not a statement
            # ("Đến nay còn các cơ quan, đơn vị sau chưa gửi báo cáo:").
            if cut is None or not re.search(r"(?:de nghi|yeu cau|giao(?: cho)?|phan cong)\s+$",
                                            folded_paragraph[:cut.start()]):
                continue
            list_request = paragraph[cut.end():].strip(" ,:")
            for later in prose[k + 1:]:
                if find_deadline(later, result.issued_on, tz=tz, holidays=holidays) is not None and not any(
                        a.kind in ("unit", "fan_out") for a in find_leads(later, registry, issuer_code)):
                    list_shared = later
                    break
            break

    def mentions(paragraph: str) -> bool:
        return _mentions(paragraph, registry, issuer_code, result.issued_on, tz, holidays)

    def not_taken(item: str, text: str, reason: str) -> None:
        if any(n["item"] == item and n["text"] == _ws(text) for n in result.not_taken):
            return
        result.not_taken.append({"item": item, "text": _ws(text), "reason": reason,
                                 **prefill(text, registry, issuer_code=issuer_code, issued_on=result.issued_on,
                                           tz=tz, holidays=holidays)})

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

    for _n, cells in other_rows:
        not_taken("", " | ".join(c for c in cells if c),
                  "Dòng của một bảng không có cột nội dung nhiệm vụ (bảng chỉ tiêu, số liệu): chưa tạo nhiệm vụ.")

    if not roots:  # no numbered items: one task per unit the dispatch asks to act (1640)
        used = _unnumbered(prose, result, registry, issuer_code, deadline_into)
        for paragraph in prose:
            if paragraph not in used and not paragraph.rstrip().endswith(":") and mentions(paragraph):
                not_taken("", paragraph, "Đoạn nêu đơn vị hoặc thời hạn nhưng không giao việc cho đơn vị cụ thể.")
    else:
        for paragraph in preamble:
            if paragraph == list_shared:
                continue
            if not paragraph.rstrip().endswith(":") and not re.match(r"^[-–•+]?\s*(?:Thực hiện|Căn cứ)\s",
                                                                     paragraph, re.I) and mentions(paragraph):
                not_taken("", paragraph, "Đoạn mở đầu nêu đơn vị hoặc thời hạn nhưng không thuộc mục nào.")

    def reports_results(section: str) -> bool:
        title = _ws(fold_keep(items.section_titles.get(section, "")))
        return bool(_RESULTS_SECTION.match(title)) and not _TASKS_SECTION.search(title)

    def leads_of(node: _Node) -> list[_Actor]:
        if fold_keep(node.text) and _EXECUTION.search(fold_keep(node.text)):
            return []
        leads = find_leads(node.heading, registry, issuer_code)
        if not leads:
            # "2.1. Đối với Sở Nội vụ:" over its bullets: that unit acts in them (import4).
            leads = _for_units(node.heading, registry)
        if not leads and (node.body or node.children) and _is_title(node.heading):
            # "1.1. Ban Tổ chức Tỉnh ủy" over its paragraphs or bullets: that unit acts in them.
            named = _bare_unit(node.heading, registry)
            if named is not None:
                return [_Actor("unit", named, 0, len(node.heading))]
        if leads and leads[0].kind == "generic":
            # "Các ban đảng, Văn phòng Tỉnh ủy: …": the units listed after a group act; the group,
            # which no registry kind stands for, is listed as not taken.
            folded = fold_keep(node.heading)
            group = re.match(r"(?:cac|nhung)\s+[a-z ]{2,40}?(?=,)", folded)
            if group is None:
                return []
            rest = find_leads(node.heading[group.end() + 1:].lstrip(), registry, issuer_code)
            if not rest or rest[0].kind != "unit":
                return []
            offset = len(node.heading) - len(node.heading[group.end() + 1:].lstrip())
            for actor in rest:
                actor.start += offset
                actor.end += offset
            not_taken(node.code, node.heading,
                      f"Nhóm “{_ws(node.heading[:group.end()])}” không tách được thành từng đơn vị của danh mục: "
                      "nhiệm vụ chỉ giao cho các đơn vị được nêu tên.")
            return rest
        return leads

    def make(node: _Node, actor: _Actor, own_end: int | None, inherited_coord: list[UnitMention],
             shared: str, item: str) -> None:
        if own_end is not None:
            heading_rest = node.heading[own_end:]
            # "… chủ trì, phối hợp với X" right after the actor is said by the fields.
            lead_in = re.match(r"[\s,:]*(?:chủ\s+trì|chu\s+tri)?[\s,:]*", heading_rest, re.I)
            after = heading_rest[lead_in.end():] if lead_in else heading_rest
            coord_here, spans = find_coordinating(after, registry)
            if spans and spans[0][0] == 0 and coord_here:
                after = after[spans[0][1]:]
            title_source = _ws(" ".join([after, *node.body]))
        else:
            title_source = node.text
        assignment = Assignment(item=item, title="", source=node.text)
        coordinating, _ = find_coordinating(node.text, registry)
        if not coordinating and own_end is None:
            coordinating = list(inherited_coord)
        assignment.coordinating = coordinating
        assignment.lead = actor.mention
        if actor.kind == "fan_out":
            assignment.fan_out = actor.fan or COMMUNE_FAN_OUT
        title_source = deadline_into(assignment, title_source)
        if assignment.deadline_text is None and shared:
            deadline_into(assignment, shared)
        if assignment.deadline_text is None:
            event = _UNDATED_EVENT.search(fold_keep(node.text))
            if event is not None:
                # "… trước kỳ họp Hội nghị Tỉnh ủy cuối năm": a deadline tied to a meeting whose
                # day the text does not say. No date is invented: listed, with the unit read.
                wording = _ws(node.text[event.start():event.end()])
                not_taken(item, node.text, f"Thời hạn “{wording}” gắn với một sự kiện không ghi ngày: chưa tạo "
                                           "nhiệm vụ để không tự đặt ngày; hãy tạo nhiệm vụ và ghi ngày cụ thể.")
                if actor.mention is not None:
                    unit = actor.mention.unit
                    result.not_taken[-1]["lead_unit"] = {"code": unit.code if unit else None,
                                                         "name": unit.name if unit else None,
                                                         "text": actor.mention.text}
                    result.not_taken[-1]["fan_out"] = actor.fan if actor.kind == "fan_out" else None
                return
        assignment.title = _capitalise(_tidy_sentence(title_source)) or _capitalise(_tidy_sentence(node.text))
        if assignment.lead is not None and assignment.lead.unit is not None:
            assignment.coordinating = [c for c in assignment.coordinating
                                       if c.unit is None or c.unit.code != assignment.lead.unit.code]
        result.assignments.append(assignment)

    def visit(node: _Node, inherited: list[_Actor], inherited_coord: list[UnitMention], shared: str) -> None:
        if node.table is not None:
            _table_tasks(node.table, node.code, result, registry, tz=tz, holidays=holidays, not_taken=not_taken)
            return
        if node.section and reports_results(node.section):
            for child in [node, *_walk(node.children)]:
                if mentions(child.text):
                    not_taken(child.code, child.text, "Mục thuộc phần kết quả, tình hình của văn bản: "
                                                      "nêu việc đã làm, không giao việc.")
            return
        if not node.children and not node.bullet:
            parts = _actor_sentences(node.text, registry, issuer_code)
            if len(parts) > 1:
                # "… . Sở Tài chính bố trí kinh phí trong tháng 12/2026.": a later sentence that opens
                # with a unit of the registry and its verb is an assignment of its own.
                for part in parts:
                    visit(_Node(node.code, node.level, part, parent=node.parent, section=node.section),
                          inherited, inherited_coord, shared)
                return
        leads = leads_of(node)
        if node.children and leads and not node.introduces() and not node.tail and all(
                not c.bullet and not c.children and leads_of(c) for c in node.children):
            # "2- Đảng ủy UBND tỉnh lãnh đạo …, báo cáo … ." then "a- Sở Xây dựng …", "b- …": a whole
            # sentence with its own actor is a task of its own, and so is each sub-item with its own.
            for actor in leads:
                make(node, actor, leads[-1].end, inherited_coord, shared, node.code)
            for child in node.children:
                visit(child, [], inherited_coord, shared)
            return
        if node.children:
            coord = inherited_coord
            if leads:
                coord = find_coordinating(node.heading, registry)[0] or inherited_coord
            # A deadline said by the heading or after the sub-items holds for those that say none.
            own_shared = _ws(" ".join([node.heading, *node.body, *node.tail]))
            has_deadline = find_deadline(own_shared, result.issued_on, tz=tz, holidays=holidays) is not None
            for child in node.children:
                visit(child, leads or inherited, coord, own_shared if has_deadline else shared)
            spoken = node.body + node.tail
            if spoken and not leads and not has_deadline:
                result.directives.append({"item": node.code, "text": _ws(" ".join(spoken))})
            elif not leads and not inherited and not node.children and mentions(node.heading):
                not_taken(node.code, node.heading, "Tiêu đề mục nêu đơn vị hoặc thời hạn nhưng không giao việc.")
            return
        if leads:
            item = node.parent.code if node.bullet and node.parent is not None else node.code
            for actor in leads:
                make(node, actor, leads[-1].end, inherited_coord, shared, item)
            return
        if node.bullet and node.parent is None and list_request and not inherited:
            named = _bare_unit(node.heading, registry)
            if named is not None:
                task_node = _Node(node.code, node.level, f"{named.text}: {list_request}", section=node.section)
                make(task_node, _Actor("unit", named, 0, len(named.text)), len(named.text), inherited_coord,
                     list_shared, node.code)
                return
        if node.bullet and node.tail:
            named = _bare_unit(node.heading, registry)
            if named is not None:
                # A bullet that only names a unit, asked to act by the paragraph after the list.
                request = node.tail[0]
                cut = _UNITS_ABOVE.search(fold_keep(request))
                said = request[cut.end():].lstrip(" ,:") if cut else request
                task_node = _Node(node.code, node.level, f"{named.text}: {said}", section=node.section)
                make(task_node, _Actor("unit", named, 0, len(named.text)), len(named.text), inherited_coord,
                     shared, node.code)
                return
        if inherited:
            for actor in inherited:
                make(node, actor, None, inherited_coord, shared, node.code)
            return
        result.directives.append({"item": node.code, "text": node.all_text})

    for root in roots:
        visit(root, [], [], "")
    for section, paragraph in items.loose:
        # An unnumbered paragraph of a section that asks a unit to act is that section's task.
        node = _Node(section, 1, paragraph, section=section)
        if not reports_results(section) and leads_of(node):
            visit(node, [], [], "")
        elif mentions(paragraph):
            not_taken(section, paragraph, "Đoạn trong phần " + section + " nêu đơn vị hoặc thời hạn nhưng không thuộc mục nào.")
    for paragraph in items.closing:
        if find_deadline(paragraph, result.issued_on, tz=tz, holidays=holidays) is not None:
            not_taken("", paragraph, "Đoạn kết nêu thời hạn nhưng không giao cho đơn vị cụ thể.")

    # Tables after the signature (a phân công annex of a decision or a plan).
    if appendix:
        entries, other_rows = _entries(list(appendix))
        for entry in entries:
            if not isinstance(entry, str):
                _table_tasks(entry, "", result, registry, tz=tz, holidays=holidays, not_taken=not_taken)
        for _n, cells in other_rows:
            not_taken("", " | ".join(c for c in cells if c),
                      "Dòng bảng ở phụ lục không có cột nội dung nhiệm vụ (bảng chỉ tiêu, số liệu): chưa tạo nhiệm vụ.")


def _table_tasks(table: TextTable, prefix: str, result: ImportResult, registry: Registry, *, tz, holidays,
                 not_taken) -> None:
    """One task per row and lead unit of a phân công table."""
    issuer_code = result.issuer.unit.code if result.issuer and result.issuer.unit else None
    for index, (_line, cells) in enumerate(table.rows, start=1):
        content = table.cell(cells, "content")
        lead_cell = table.cell(cells, "lead")
        number = table.cell(cells, "stt")
        if not content and not lead_cell:
            continue
        if not re.fullmatch(r"\d{1,3}|[IVX]{1,5}|[a-zđ]", number or ""):
            number = str(index)
        item = f"{prefix}{number}"
        leads = [a for a in split_units(lead_cell, registry) if a.kind in ("unit", "fan_out")]
        leads = [a for a in leads if not (a.mention and a.mention.unit and a.mention.unit.code == issuer_code
                                          and len(leads) > 1)]
        row_text = " | ".join(c for c in cells if c)
        if not content:
            continue  # a group heading row ("I | Nhiệm vụ chung")
        if not leads:
            not_taken(item, row_text, "Dòng bảng không ghi cơ quan chủ trì đọc được: hãy chọn đơn vị.")
            continue
        coordinating: list[UnitMention] = []
        for actor in split_units(table.cell(cells, "coordinating"), registry):
            if actor.kind == "unit" and all((m.unit or m.text) != (actor.mention.unit or actor.mention.text)
                                            for m in coordinating):
                coordinating.append(actor.mention)
        wording = table.cell(cells, "deadline")
        parsed = error = None
        deadline_text = None
        title = _capitalise(_tidy_sentence(content))
        if wording and result.issued_on is not None:
            try:
                parsed = parse_deadline(wording, issued_on=result.issued_on, tz=tz, holidays=holidays,
                                        infer_year=True)
                deadline_text = _ws(wording)
            except DeadlineParseError as exc:
                found = find_deadline(wording, result.issued_on, tz=tz, holidays=holidays)
                if found is not None:
                    _span, deadline_text, parsed, error = found
                elif re.search(r"\d", wording):
                    deadline_text, error = _ws(wording), str(exc)
                else:  # "Thường xuyên", "Hằng năm" read as no single instant: keep it in the title
                    title = f"{title} (thời gian: {_ws(wording).lower()})"
        elif wording:
            deadline_text, error = _ws(wording), "Chưa xác định được ngày ban hành để tính thời hạn."
        for actor in leads:
            assignment = Assignment(item=item, title=title, lead=actor.mention, source=row_text,
                                    coordinating=[c for c in coordinating if not (
                                        actor.mention.unit and c.unit and c.unit.code == actor.mention.unit.code)],
                                    deadline_text=deadline_text, deadline_error=error,
                                    product=table.cell(cells, "product") or None)
            if actor.kind == "fan_out":
                assignment.fan_out = actor.fan or COMMUNE_FAN_OUT
            if parsed is not None:
                assignment.deadline, assignment.recurrence, assignment.period = (
                    parsed.deadline, parsed.rrule, parsed.period)
            result.assignments.append(assignment)


def _unnumbered(paragraphs: list[str], result: ImportResult, registry: Registry, issuer_code,
                deadline_into) -> set[str]:
    """A dispatch written as prose: each paragraph asking a unit to act adds to its task.
    Returns the paragraphs that gave a task."""
    used: set[str] = set()
    by_lead: dict[str, Assignment] = {}
    clauses: dict[str, list[str]] = {}
    for paragraph in paragraphs:
        if re.match(r"^(?:Thực hiện|Căn cứ)\s", paragraph, re.I) or _CLOSING.search(paragraph):
            continue
        unquoted = re.sub(r"“[^”]*”", lambda m: " " * len(m.group(0)), paragraph)
        folded = fold_keep(unquoted)
        # The units a paragraph opens with, before their verb ("Ban Tổ chức Tỉnh ủy chủ trì …",
        # "Sở Y tế, Sở Giáo dục và Đào tạo báo cáo …"), each act; otherwise the unit after "Giao",
        # "Đề nghị", "Yêu cầu".
        opening = [a for a in find_leads(paragraph, registry, issuer_code)
                   if a.kind in ("unit", "fan_out") and not paragraph.rstrip().endswith(":")]
        candidates = [(a, opening[-1].end) for a in opening] if opening and opening[0].start == 0 else []
        if not candidates:
            for act in re.finditer(r"(?<![^\W\d_])(?:giao(?: cho)?|de nghi|yeu cau)\s+", folded):
                actor = _actor_at(paragraph, act.end(), registry, allow_unknown=True)
                if actor is None or actor.kind == "generic":
                    continue
                if actor.mention.unit is not None and actor.mention.unit.code == issuer_code:
                    continue
                candidates = [(actor, actor.end)]
                break
        for actor, clause_at in candidates:
            if actor.kind == "fan_out":
                key = "*" + (actor.fan or COMMUNE_FAN_OUT)
            else:
                key = actor.mention.unit.code if actor.mention.unit else "?" + fold_keep(actor.mention.text)
            assignment = by_lead.get(key)
            if assignment is None:
                assignment = Assignment(item=str(len(by_lead) + 1), title="", lead=actor.mention,
                                        fan_out=(actor.fan or COMMUNE_FAN_OUT) if actor.kind == "fan_out" else None)
                by_lead[key] = assignment
                clauses[key] = []
            clause = paragraph[clause_at:].lstrip(" ,:")
            clause = re.sub(r"^(?:chủ\s+trì|chu\s+tri)[\s,]*", "", clause, flags=re.I)
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
            used.add(paragraph)
    for key, assignment in by_lead.items():
        assignment.title = _capitalise("; ".join(c for c in clauses[key] if c))
        result.assignments.append(assignment)
    return used
