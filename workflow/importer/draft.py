"""The draft as the API returns it, and the source text cut for highlighting."""
from __future__ import annotations

import re
from collections.abc import Iterable

from workflow.importer.actors import Registry
from workflow.importer.results import ImportResult, UnitMention
from workflow.importer.text import COMMUNE_FAN_OUT, DEPARTMENT_FAN_OUT, TooLarge

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


def source_line(source: str, text: str) -> int | None:
    """The number (from 1) of the source line where ``text`` starts, to show it beside it."""
    from workflow.importer.text import _clean_line, _ws, fold_keep

    wanted = _ws(fold_keep(re.sub(r"^[-–•+|\s]+", "", text or "")))[:40]
    if not wanted:
        return None
    for number, line in enumerate((source or "").split("\n"), start=1):
        cleaned = _ws(fold_keep(_clean_line(line).replace("\t", " | ")))
        if wanted[:25] and wanted[:25] in cleaned:
            return number
    return None


def task_count(result: ImportResult, registry: Registry) -> int:
    """How many tasks the draft makes once each group is fanned out to its units."""
    sizes = fan_out_sizes(registry)
    return sum(sizes.get(a.fan_out, 1) if a.fan_out else 1 for a in result.assignments)


def draft_json(result: ImportResult, registry: Registry, *, expand_fan_out: bool = True,
               max_tasks: int | None = None) -> dict:
    """The draft dispatch as the API returns it (nothing saved).

    ``tasks`` lists one task per lead unit: an assignment to the communes becomes one task
    per commune-level unit (each marked ``"fan_out": "communes"``) unless
    ``expand_fan_out`` is false; an assignment to "các sở, ban, ngành" one task per
    department (``"fan_out": "departments"``, always expanded). ``unmatched`` lists every
    unit the registry did not know, with where it is and a few suggestions. ``not_taken``
    lists the paragraphs and table rows that name a unit, a group or a deadline and gave
    no task, with why and what the office would pre-fill to make one. More than
    ``max_tasks`` tasks once fanned out is refused (:class:`TooLarge`, HTTP 413).
    """
    if max_tasks is not None:
        count = task_count(result, registry)
        if count > max_tasks:
            raise TooLarge(
                f"Văn bản giao {count:,} nhiệm vụ sau khi tách cho từng đơn vị, vượt mức tối đa {max_tasks:,} "
                "nhiệm vụ mỗi lần nhập. Hãy tách văn bản thành nhiều lần nhập hoặc bỏ bớt mục giao cho "
                "toàn bộ các xã, phường, đặc khu.".replace(",", "."))
    unmatched: list[dict] = []

    def flag(where: str, item: str | None, text: str) -> None:
        unmatched.append({"field": where, "item": item, "text": text,
                          "suggestions": [{"code": u.code, "name": u.name} for u in registry.suggestions(text)]})

    if result.issuer is None or result.issuer.unit is None:
        flag("issuer", None, result.issuer.text if result.issuer else "")
    tasks: list[dict] = []
    for index, a in enumerate(result.assignments):
        base = {
            "item": a.item, "title": a.title, "coordinating_units": [_unit_json(c) for c in a.coordinating],
            "deadline_text": a.deadline_text, "deadline": _iso(a.deadline), "recurrence": a.recurrence,
            "period": a.period, "deadline_error": a.deadline_error, "fan_out": a.fan_out, "group": index,
            "product": a.product,
        }
        for c in a.coordinating:
            if c.unit is None:
                flag("coordinating_units", a.item, c.text)
        if a.fan_out:
            members = fan_out_units(registry, a.fan_out)
            if not members:
                flag("lead_unit", a.item, a.lead.text if a.lead else "các xã, phường, đặc khu")
            if expand_fan_out or a.fan_out != COMMUNE_FAN_OUT:
                for unit in members:
                    tasks.append({**base, "lead_unit": {"code": unit.code, "name": unit.name,
                                                        "text": a.lead.text if a.lead else ""}})
                continue
            tasks.append({**base, "lead_unit": _unit_json(a.lead)})
            continue
        if a.lead is None or a.lead.unit is None:
            flag("lead_unit", a.item, a.lead.text if a.lead else "")
        tasks.append({**base, "lead_unit": _unit_json(a.lead)})
    not_taken = [{**entry, "line": source_line(result.source_text, entry["text"])} for entry in result.not_taken]
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
        "not_taken": not_taken,
        "tasks": tasks,
        "unmatched": unmatched,
        "warnings": list(result.warnings),
        "source_text": result.source_text,
    }


FAN_OUT_KINDS = {COMMUNE_FAN_OUT: "commune", DEPARTMENT_FAN_OUT: "department"}


def fan_out_units(registry: Registry, fan_out: str) -> list:
    """The registry units a group actor stands for, by code."""
    kind = FAN_OUT_KINDS.get(fan_out)
    return sorted((u for u in registry.units.values() if u.kind == kind), key=lambda u: u.code)


def fan_out_sizes(registry: Registry) -> dict[str, int]:
    return {name: len(fan_out_units(registry, name)) for name in FAN_OUT_KINDS}
