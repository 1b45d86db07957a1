"""Read a document the Party office receives — công văn (CV), thông báo (TB), kế hoạch (KH),
quyết định (QĐ), chỉ thị (CT), báo cáo (BC), hướng dẫn (HD) — from its text or its .docx and
recover what the office would otherwise type: the header, the assignments with their units and
deadlines, the items that name no unit to act (directives), and every paragraph or table row
that names a unit, a group or a deadline but gave no task (``not_taken``).

Pure: no Flask, no database, no clock. The caller passes the unit registry (any objects
with ``code``, ``name``, ``aliases``, ``kind``), the public holidays and the time zone;
:func:`parse_dispatch` returns an :class:`ImportResult` and :func:`draft_json` its JSON
form (the draft the office confirms). Nothing is guessed silently and nothing is dropped
silently: a unit the registry does not know is kept as written and listed in ``unmatched``
with suggestions; a deadline wording the deadline rules cannot read keeps its text and
carries the rules' Vietnamese message; what gives no task is a directive or ``not_taken``.

The package, by concern: ``text`` (errors, folding, normalising), ``tables`` (.docx reading,
task tables by their header row), ``actors`` (the registry, who acts, who coordinates, groups
that fan out), ``reading_deadlines`` (where a deadline wording sits in a sentence; what it
means is :mod:`workflow.deadlines`), ``structure`` (header, items, sections, tables,
signature), ``results`` and ``draft``. Every reading rule is listed here, once.

Reading rules (the seeds 1534-CV/TU, 1640-CV/BTCTU, 1775-CV/TU and the corpus of
``tests/data/dispatches`` are the reference; ``bench/import_accuracy.py`` measures them):

* Header: the issuing body is the capitalised lines above "Số …" (a parent line such as
  "TỈNH ỦY LÂM ĐỒNG" above "BAN TỔ CHỨC" names "Ban Tổ chức Tỉnh ủy"; else the symbol's
  suffix); the number in the forms "Số 1534-CV/TU", "Số ~~1534~~CV/TU", "Số 1640 -CV/BTCTU",
  "Số: 88-CV/VPTU", "So 77-CV/VPTU"; the kind is the symbol's prefix (CV, TB, KH, QĐ, CT, BC,
  HD …); the place and date from "Lâm Đồng, ngày 08 tháng 5 năm 2026"; the subject from
  "V/v …", "Về việc …" (over several lines) or, for a document that is not a công văn, from
  the lines under its title ("THÔNG BÁO" / "Kết luận của Thường trực Tỉnh ủy …", up to a
  blank line or "-----"); recipients after "Kính gửi"/"Kinh gui" (inline or a "- " list);
  distribution after "Nơi nhận"; the signing authority (T/M, K/T, T/L, TL., TUQ.), the
  signer's title and name; what follows the signer (an annex) is read for task tables; the
  documents implemented from "Thực hiện …"/"Căn cứ …".
* Structure: Roman-numeral headings open sections whose items are coded "II.1"; items
  "1.", "1)", "3.1.", "Điều 1." ("Điều 1"), letters "a)" under the last numbered item
  ("2.a"); "-", "+", "•" bullets under an item ending with a colon are its sub-items
  ("II.1-1"), and after an introduction ending with a colon, top-level bullets are the items
  (numbered in order); a paragraph after bullets speaks for the item they detail; any other
  unmarked paragraph continues the item before it; a closing paragraph ("… thực hiện./.")
  ends the items; an unnumbered paragraph of a section that asks a unit to act is that
  section's task ("III"). Items of a section that reports results ("I. KẾT QUẢ …", "TÌNH
  HÌNH …") give no task (a unit there did something, it is not asked to).
* Task tables, in a Word table or as text lines separated by tabs or two spaces or more,
  are recognised by their header row whatever the column order: a lead column ("Cơ quan chủ
  trì", "Đơn vị chủ trì", "Cơ quan thực hiện"), a content column ("Nội dung nhiệm vụ",
  "Nhiệm vụ", "Nội dung công việc"), and optional "STT"/"TT", "Cơ quan phối hợp", "Thời gian
  hoàn thành"/"Thời hạn"/"Tiến độ", "Sản phẩm", "Ghi chú". Each row gives one task per lead
  unit of its lead cell, coded by the section and its STT ("III.4"; "4" in an annex). A
  time cell that is no instant ("Thường xuyên") goes into the title. A table with a lead
  column but no content column (the 1534 indicator annex) gives no task: its rows are
  listed in ``not_taken``.
* The unit to act is the one after "Giao", "Đề nghị", "Yêu cầu", "Phân công", or the unit
  an item starts with when a lower-case verb, "chủ trì" or a colon follows ("Sở Tài chính
  chủ trì …", "- Ban Tổ chức Tỉnh ủy: …", "Văn phòng Tỉnh ủy (Phòng Tổng hợp) tổng hợp …").
  Units listed before the verb are all leads: "Sở Y tế, Sở Giáo dục và Đào tạo chủ trì …"
  and "Sở Tài chính và Sở Nông nghiệp và Môi trường phối hợp …" give one task each. A unit
  followed by a verb of speaking ("ghi nhận", "thống nhất", "kết luận", "yêu cầu" …) is the
  speaker, not the actor. A heading "3. Giao Ban Tổ chức Tỉnh ủy" or "2. Ủy ban kiểm tra
  đảng ủy các xã, phường, đặc khu:" gives its actor (and its "phối hợp với") to its
  sub-items; a deadline said by the heading or after the sub-items ("Các cơ quan gửi báo
  cáo … trước ngày 15/12/2026") holds for those that say none. Coordinating units follow
  "phối hợp với", "phối hợp cùng", or "phối hợp" directly followed by a unit.
* Groups: "các xã, phường, đặc khu", "124 xã, phường, đặc khu", with "Đảng ủy", "Ban
  Thường vụ Đảng ủy", "Ủy ban kiểm tra đảng ủy", "Cấp ủy, chính quyền" … before them, as the
  actor → one task per commune-level unit (``fan_out: communes``); "các sở, ban, ngành",
  "các sở, ngành" → one task per department (``fan_out: departments``); a mere mention
  elsewhere fans out nothing (1640 is one task for Đảng ủy UBND tỉnh). Other groups ("các
  cấp ủy, tổ chức đảng", "các cơ quan, đơn vị") or no actor → a directive. The article of a
  decision that names who executes it ("… căn cứ Quyết định thi hành") is a directive.
* Units are matched by name, alias or code, ignoring case, diacritics (text typed without
  them, NFD input) and capitalised abbreviations (UBND, HĐND, BTV, BTC, UBKT, VP, TU, MTTQ,
  KH&CN, GD&ĐT …), longest name first ("Ban Thường vụ Đảng ủy UBND tỉnh" is Đảng ủy UBND
  tỉnh, "Ban Thường vụ các đảng ủy …" is no unit); a shortened name that starts exactly one
  unit's name is that unit ("Ban Quản lý"). An organ the registry lacks is read from its
  first words ("Sở", "Ban", "Ủy ban", "Đảng ủy", "Công an", "Bộ Chỉ huy", "Trường", "Báo",
  "Tỉnh đoàn", "Hội", "Phòng", "Đoàn giám sát", "Tổ công tác" …, but not "Báo cáo", "Ban
  hành", "Bảo đảm" …) up to its verb or punctuation, kept as written and flagged.
* Deadlines: the wordings :mod:`workflow.deadlines` reads, found in the item
  (``reading_deadlines``), computed against the document's date with ``infer_year`` (a day
  without its year is its next occurrence on or after that date) and cut from the title.
* A document without numbered items (1640) gives one task per unit it asks to act; its
  quotations of other documents are ignored. (import3) A paragraph of such a document that
  opens with its units and their verb ("Ban Tổ chức Tỉnh ủy chủ trì …", "Sở Y tế, Sở Giáo dục
  và Đào tạo báo cáo …") gives one task per unit; two organs the registry lacks stay two tasks.
* Added after blind set 3 (import3; ``tests/data/dispatches/blind3``):

  - Items may also be marked "1-", "I-", "a-" (a hyphen then a space), "1/", "a/", "(1)", "(a)".
  - A line broken inside a sentence (text copied from PDF) is joined to the line before it: the
    line before ends with no punctuation and this one starts in lower case, or with a date after
    "… ngày"/"trước"/"chậm nhất"; an item marker or a bullet never continues a line.
  - An unmarked paragraph after an item that opens with "Giao", "Đề nghị", "Yêu cầu", "Phân
    công" (or "Đồng thời, đề nghị …") followed by a unit, not a group, is an assignment of its
    own, coded by its section ("Giao Phòng Nghiên cứu - Tổng hợp theo dõi …"); each "Giao …"/
    "Đề nghị …" sentence of such a paragraph is one.
  - An item that is a whole sentence with its own actor (it does not end with a colon) above
    lettered sub-items that each have their own actor is a task too, and its deadline is not
    theirs.
  - A person named by the office they head is that office: "Đồng chí Trưởng Ban Tổ chức Tỉnh
    ủy", "đồng chí Nguyễn Văn A, Chánh Văn phòng Tỉnh ủy", "Giám đốc Sở Y tế" (titles Trưởng,
    Chánh, Chủ nhiệm, Giám đốc, Chủ tịch, Thủ trưởng, with "Phó"; not "Bí thư").
  - The party committee of a commune is that commune ("Đảng ủy xã Tuy Phong", "Đảng ủy phường
    Xuân Hương - Đà Lạt"); a department's ("Đảng ủy Sở Y tế") is not the department: it is kept
    as written and flagged, the department first among the suggestions. "Đảng ủy các sở, ban,
    ngành (tỉnh)" fans out to the departments like "các sở, ban, ngành".
  - Several organs the registry lacks listed before the verb are each a lead ("Công an tỉnh,
    Bộ Chỉ huy Quân sự tỉnh chủ động …").
  - Top-level bullets that only name units ("• Sở Xây dựng;", "• Đảng ủy xã Tuy Phong.")
    followed by a paragraph asking "các cơ quan, đơn vị nêu trên" (kể trên, nói trên, có tên
    trên) to act give one task per listed unit, with that paragraph's request and deadline.
  - In a task table, a row with no STT under a numbered row carries on that row's cells unless
    its content cell is a sub-item ("- …", "+ …", "a) …"); without an STT column, a row whose
    content and lead cells are empty or go on in lower case does (a table copied from PDF wraps
    each cell over several lines: "Trước ngày" / "30/6/2027", "Sở Thông tin và" / "Truyền
    thông").
  - A table laid out with spaces whose full rows line up under the header is read by column
    position when a row has fewer cells (an empty cell shifts no column; a wrapped cell goes
    under its column).
  - A later sentence of an item or paragraph that opens with a registry unit (or a group that
    fans out) and its verb, or with "Giao …"/"Đề nghị …", is an assignment of its own ("Điều 2.
    Tổ công tác … . Giao Văn phòng Tỉnh ủy … . Sở Tài chính bố trí kinh phí …"); not when the
    verb is "đã", "đang", "được" (what the unit did).
  - A numbered heading that is a title naming only a unit ("1.1. Ban Tổ chức Tỉnh ủy", short,
    no closing punctuation) gives that unit to its paragraphs and its bullets; under such a
    title, "-" bullets are sub-items even without a colon.
  - A day in brackets right after a month, quarter or year makes it precise ("trong tháng
    12/2026 (chậm nhất ngày 25/12/2026)" is 25/12/2026 at the end of the day).
  - Under top-level "-" conclusions, "+" bullets are sub-items of the "-" item that introduces
    them, never new conclusions.
  - An organ's name with a comma in it ("Báo và Phát thanh, Truyền hình Lâm Đồng mở …"): after
    the comma a capitalised word, at most six words, then the verb.
  - Unit names match without their "và" and with "-", "&" between words ("Sở Giáo dục - Đào
    tạo", "Sở Nông nghiệp & Môi trường", "Sở Văn hóa, Thể thao, Du lịch"); abbreviations VH,
    TT&DL, KH&ĐT are spelt out.
  - Deadline wordings found in sentences: "định kỳ hằng tháng (trước ngày 20)", "hằng quý
    (trước ngày 20 của tháng cuối quý)"; "báo cáo tại phiên giao ban tháng 01/2027" reads
    "tháng 01/2027" (the meeting's day is not said: the month's last day).
  - A paragraph that names any unit (not the issuer), anywhere, and gives no task is listed in
    ``not_taken``.
* Added after blind set 4 (import4; ``tests/data/dispatches/blind4``):

  - A heading "Đối với …:" that names only units gives them to what it heads, one task per unit
    for each bullet or paragraph: "2.1. Đối với Sở Nội vụ:", "Đối với các xã, phường:" (fans out
    to the communes), "Đối với Ban Tổ chức Tỉnh ủy, Ủy ban Kiểm tra Tỉnh ủy:". "Đối với công tác
    cán bộ:" names no unit and gives none.
  - An organ's name ends where its verb or adverb starts: more verbs and adverbs end it ("tích
    cực", "đẩy nhanh", "sớm", "quan tâm" …); "tự", "từ", "đã", "đang", "sẽ", "cần", "phải" end it
    only as written with their diacritics (folded, "tư" is a word of "Đầu tư"); and a name ends at
    "tỉnh" or "Tỉnh ủy" when a lower-case word other than "ủy" follows ("Đảng ủy Quân sự tỉnh tự
    giám sát …" → "Đảng ủy Quân sự tỉnh").
* Added after blind set 5 (import4; ``tests/data/dispatches/blind5``):

  - An introduction that asks "các cơ quan, đơn vị sau (đây)" to act ("… đề nghị các cơ quan, đơn
    vị sau đây xây dựng báo cáo …:") over top-level bullets that only name units gives one task per
    unit with that request; the deadline of the paragraph after the list ("Báo cáo gửi về … trước
    ngày …") holds for them, and that paragraph is not listed again. A statement ("Đến nay còn các
    cơ quan, đơn vị sau chưa gửi báo cáo:") asks nothing: the "nêu trên" rule reads that list.
  - A room named before its unit ("Giao Phòng Tổng hợp, Văn phòng Tỉnh ủy theo dõi …") is that
    unit, not a second lead. "Giao Văn phòng Tỉnh ủy theo dõi, đôn đốc …" is a task of the office
    (a standing duty, without deadline unless one is said).
  - An item opening with a unit and "đã"/"đang" ("Đảng ủy UBND tỉnh đã tập trung …") says what was
    done, not what is asked: no task (a directive, listed).
  - A deadline said as before a meeting or event with no date ("trước kỳ họp Hội nghị Tỉnh ủy cuối
    năm", "trước Đại hội") gives no task with an invented date: the item is listed in ``not_taken``
    with that reason and the unit read. ("trình … tại kỳ họp thường lệ cuối năm" says where, not
    when: a task without deadline.)
  - A label and a bare period or day in the sentence after the task: "Thời gian: 6 tháng đầu năm
    2027", "Thời gian hoàn thành: quý I/2027", "Tiến độ: tháng 3/2027", "Thời hạn: ngày …".
  - "trong tuần đầu tháng 01/2027" (the end of the 7th), "tuần cuối tháng 12/2026" (the month's
    last day) — read by :mod:`workflow.deadlines`.
  - A day without its year in a clause that says "hằng năm" earlier ("định kỳ hằng năm tổng hợp,
    báo cáo … trước ngày 15/12") recurs every year; its wording becomes "trước ngày 15/12 hằng năm".
  - "Các đảng ủy trực thuộc Tỉnh ủy" (a set the registry cannot list: the communes' committees, Đảng
    ủy UBND tỉnh and organs it lacks) is neither fanned out nor a task: a directive with its "Tạo
    nhiệm vụ" button (the convention of corpus/hd-20-BTCTU).
* ``not_taken`` lists, with the reason and what the office would pre-fill (unit or group,
  deadline wording, source line): introduction and section paragraphs, closing paragraphs
  and results items that name a unit, a group or a deadline without giving a task; table
  rows without a lead unit; rows of tables that are not phân công tables.
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
