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

from workflow.importer.actors import (ABBREVIATIONS, Registry, UnitRef, canonical_tokens, find_actor,
                                      find_coordinating)
from workflow.importer.draft import (draft_json, fan_out_sizes, fan_out_units, highlight_segments, source_line,
                                     task_count)
from workflow.importer.reading_deadlines import find_deadline
from workflow.importer.results import Assignment, ImportResult, UnitMention
from workflow.importer.structure import GENRES, parse_dispatch, prefill
from workflow.importer.tables import docx_to_text
from workflow.importer.text import (COMMUNE_FAN_OUT, DEPARTMENT_FAN_OUT, MAX_DOCX_UNCOMPRESSED, MAX_TEXT_CHARS, ImportRefused,
                                    NotADispatch, TooLarge, UnreadableFile, fold_keep, normalise_source)

__all__ = [
    "ABBREVIATIONS", "COMMUNE_FAN_OUT", "MAX_DOCX_UNCOMPRESSED", "MAX_TEXT_CHARS", "Assignment", "ImportRefused",
    "ImportResult", "NotADispatch", "Registry", "TooLarge", "UnitMention", "UnitRef", "UnreadableFile",
    "canonical_tokens", "docx_to_text", "draft_json", "fan_out_sizes", "find_actor", "find_coordinating",
    "find_deadline", "fold_keep", "highlight_segments", "normalise_source", "parse_dispatch", "prefill",
    "source_line", "task_count", "GENRES", "DEPARTMENT_FAN_OUT", "fan_out_units",
]
