"""The structure of a document: header, items, sections, body, signature."""
from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from workflow.deadlines import DEFAULT_TZ
from workflow.importer.actors import (Registry, _Actor, _actor_at, find_actor, find_coordinating)
from workflow.importer.reading_deadlines import find_deadline
from workflow.importer.results import Assignment, ImportResult, UnitMention
from workflow.importer.text import (COMMUNE_FAN_OUT, MAX_TEXT_CHARS, NotADispatch, TooLarge, _capitalise,
                                    _clean_line, _strip_item_punct, _tidy_sentence, _ws, fold_keep,
                                    normalise_source)

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
