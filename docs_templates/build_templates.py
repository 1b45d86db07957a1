"""Regenerate the default .docx templates of docs_templates/ (one per document kind).

Run from the project root:

    .venv/bin/python docs_templates/build_templates.py

The templates are ordinary Word files that office staff may open and edit;
this script keeps their default layout reviewable in code. The text holds
docxtpl (Jinja) tags: ``{{ var }}`` values, ``{{r var }}`` rich text (runs
with bold deadlines), ``{%p ... %}`` paragraph-level and ``{%tr ... %}``
table-row-level loops and conditions. The variables each template uses are
exactly those its context builder in ``workflow/documents.py`` supplies (a
test checks this).

Party document format (Quy định 66-QĐ/TW, Hướng dẫn 36-HD/VPTW): A4; margins
top and bottom 20 mm, left 30 mm, right 15 mm; Times New Roman; body 14 pt,
justified, first-line indent; issuing body top left with ``*`` under it;
"ĐẢNG CỘNG SẢN VIỆT NAM" top right (15 pt, bold, underlined); the number
under the issuing body; the subject line "V/v …" (12 pt italic); place and
date in italics; "Kính gửi:"; the signing block with room to sign; "Nơi
nhận:"; page numbers centred at the top from page 2 on.
"""
from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT, WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

HERE = Path(__file__).resolve().parent
FONT = "Times New Roman"
BODY_PT = 14
TEXT_WIDTH_PORTRAIT = 165  # mm: 210 - 30 - 15
TEXT_WIDTH_LANDSCAPE = 252  # mm: 297 - 30 - 15

CENTER, LEFT, RIGHT, JUSTIFY = (WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT,
                                WD_ALIGN_PARAGRAPH.RIGHT, WD_ALIGN_PARAGRAPH.JUSTIFY)


# --------------------------------------------------------------------------
# Document, page and styles
# --------------------------------------------------------------------------


def _set_run_fonts(rpr, name: str = FONT) -> None:
    """Name the font for every script (ascii, hAnsi, eastAsia, cs) and drop theme fonts."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def _set_language(rpr, lang: str = "vi-VN") -> None:
    node = rpr.find(qn("w:lang"))
    if node is None:
        node = OxmlElement("w:lang")
        rpr.append(node)
    node.set(qn("w:val"), lang)


def new_document(*, landscape: bool = False) -> Document:
    """An empty A4 document in the Party format: margins, Times New Roman 14 pt, page numbers from page 2."""
    doc = Document()
    section = doc.sections[0]
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = Mm(10)
    section.footer_distance = Mm(10)

    # Document defaults: every run is Times New Roman 14 pt, Vietnamese, unless a style says otherwise.
    styles_root = doc.styles.element
    rpr_default = styles_root.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_run_fonts(rpr_default)
    _set_language(rpr_default)
    for style in doc.styles:
        rpr = style.element.find(qn("w:rPr"))
        if rpr is not None and rpr.find(qn("w:rFonts")) is not None:
            _set_run_fonts(rpr)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    _set_run_fonts(normal.element.get_or_add_rPr())
    pf = normal.paragraph_format
    pf.space_before, pf.space_after = Pt(0), Pt(0)
    pf.line_spacing_rule = WD_LINE_SPACING.SINGLE

    # Page numbers: centred in the header, not on the first page.
    section.different_first_page_header_footer = True
    first = section.first_page_header
    first.is_linked_to_previous = False
    first.paragraphs[0].text = ""
    header = section.header
    header.is_linked_to_previous = False
    para = header.paragraphs[0]
    para.alignment = CENTER
    _add_page_field(para)
    # python-docx starts with one empty paragraph in the body: reuse it as the first line.
    return doc


def _add_page_field(paragraph) -> None:
    """A PAGE field (Word and LibreOffice fill in the number)."""
    def run_with(child):
        run = paragraph.add_run()
        run.font.size = Pt(13)
        run._r.append(child)
        return run

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    run_with(instr)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run_with(separate)
    placeholder = paragraph.add_run("2")
    placeholder.font.size = Pt(13)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def first_paragraph(doc):
    """The empty paragraph python-docx leaves in a new body (removed so the page starts with our content)."""
    body = doc.element.body
    para = body.find(qn("w:p"))
    if para is not None and not "".join(t.text or "" for t in para.iter(qn("w:t"))):
        body.remove(para)


# --------------------------------------------------------------------------
# Paragraphs and tables
# --------------------------------------------------------------------------


def para(container, text: str = "", *, align=None, bold: bool = False, italic: bool = False,
         underline: bool = False, size: float | None = None, indent_mm: float | None = None,
         before: float = 0, after: float = 0, keep_next: bool = False, line_exact: float | None = None):
    """Add one paragraph with one run (docxtpl tags must sit in a single run)."""
    p = container.add_paragraph()
    if align is not None:
        p.alignment = align
    pf = p.paragraph_format
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    if indent_mm is not None:
        pf.first_line_indent = Mm(indent_mm)
    if keep_next:
        pf.keep_with_next = True
    if line_exact is not None:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(line_exact)
    if text:
        run = p.add_run(text)
        run.bold, run.italic = bold or None, italic or None
        if underline:
            run.underline = True
        if size is not None:
            run.font.size = Pt(size)
    return p


def tag(container, text: str):
    """A paragraph holding only a ``{%p … %}`` tag (docxtpl removes the paragraph)."""
    return para(container, text)


def body_para(container, text: str):
    """A body paragraph: 14 pt, justified, first-line indent 12.7 mm, 6 pt after."""
    return para(container, text, align=JUSTIFY, indent_mm=12.7, after=6)


def _cell_margins(cell, left_mm: float = 1.5, right_mm: float = 1.5) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    mar = OxmlElement("w:tcMar")
    for side, value in (("left", left_mm), ("right", right_mm)):
        node = OxmlElement(f"w:{side}")
        node.set(qn("w:w"), str(int(value * 56.7)))
        node.set(qn("w:type"), "dxa")
        mar.append(node)
    successor = next((child for child in tcpr if child.tag in {
        qn("w:textDirection"), qn("w:tcFitText"), qn("w:vAlign"), qn("w:hideMark")}), None)
    if successor is not None:
        successor.addprevious(mar)
    else:
        tcpr.append(mar)


def table(container, widths_mm: list[float], *, rows: int = 1, borders: bool = False, align_center=True,
          indent_mm: float | None = None):
    """A fixed-layout table with the given column widths (Word reads the cell widths, LibreOffice the grid)."""
    t = container.add_table(rows=rows, cols=len(widths_mm))
    if borders:
        t.style = "Table Grid"
    t.autofit = False
    if align_center and indent_mm is None:
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
    tblpr = t._tbl.tblPr
    if indent_mm is not None:
        ind = OxmlElement("w:tblInd")
        ind.set(qn("w:w"), str(int(indent_mm * 56.7)))
        ind.set(qn("w:type"), "dxa")
        successor = next((c for c in tblpr if c.tag in {qn("w:tblBorders"), qn("w:shd"), qn("w:tblLayout"),
                                                        qn("w:tblCellMar"), qn("w:tblLook")}), None)
        if successor is not None:
            successor.addprevious(ind)
        else:
            tblpr.append(ind)
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    # Schema order inside tblPr: tblLayout comes before tblCellMar and tblLook.
    successor = next((child for child in tblpr if child.tag in {qn("w:tblCellMar"), qn("w:tblLook")}), None)
    if successor is not None:
        successor.addprevious(layout)
    else:
        tblpr.append(layout)
    for i, width in enumerate(widths_mm):
        t.columns[i].width = Mm(width)
        for cell in t.columns[i].cells:
            cell.width = Mm(width)
    # Drop the empty paragraph python-docx puts in each new cell; callers add their own.
    for row in t.rows:
        for cell in row.cells:
            for p in list(cell.paragraphs):
                p._element.getparent().remove(p._element)
    return t


def cell_para(cell, text: str = "", **kw):
    return para(cell, text, **kw)


def repeat_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    node = OxmlElement("w:tblHeader")
    node.set(qn("w:val"), "true")
    trpr.append(node)


def cant_split(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    trpr.append(OxmlElement("w:cantSplit"))


def header_cells(t, labels: list[str], size: float) -> None:
    row = t.rows[0]
    repeat_header(row)
    for cell, label in zip(row.cells, labels):
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        _cell_margins(cell)
        cell_para(cell, label, align=CENTER, bold=True, size=size, before=2, after=2)


def new_row(t):
    """A table row whose cells start empty (python-docx puts an empty paragraph in each)."""
    row = t.add_row()
    for cell in row.cells:
        for p in list(cell.paragraphs):
            p._element.getparent().remove(p._element)
        _cell_margins(cell)
    return row


def loop_rows(t, start: str, cells: list[list[tuple]], end: str = "{%tr endfor %}", size: float = 13,
              last_with=None, widths_mm: list[float] | None = None) -> None:
    """Append the rows of a docxtpl row loop: ``{%tr for %}``, the repeated row, ``{%tr endfor %}``.

    ``cells``: one list per column of (text, options) paragraphs. ``last_with(cell)``: the last row
    is written as one row that never splits, holding (nested) that row and what ``last_with`` adds
    after it, e.g. the signing block: the last row and the signatures then always share a page, and
    the signing block is never alone on a page nor cut from its date line (LibreOffice keeps no
    table row with the next paragraph, whatever keep-with-next says).
    """
    def fill(row) -> None:
        for cell, paragraphs in zip(row.cells, cells):
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
            for text, options in paragraphs:
                options = {"size": size, "before": 2, "after": 2, **options}
                cell_para(cell, text, **options)

    row = new_row(t)
    cell_para(row.cells[0], start)
    if last_with is not None:
        cell_para(new_row(t).cells[0], "{%tr if not loop.last %}")
    row = new_row(t)
    cant_split(row)
    fill(row)
    if last_with is not None:
        cell_para(new_row(t).cells[0], "{%tr else %}")
        row = t.add_row()
        cant_split(row)
        merged = row.cells[0].merge(row.cells[-1])
        for p in list(merged.paragraphs):
            p._element.getparent().remove(p._element)
        tcpr = merged._tc.get_or_add_tcPr()
        borders = OxmlElement("w:tcBorders")
        for side in ("top", "left", "bottom", "right"):
            node = OxmlElement(f"w:{side}")
            node.set(qn("w:val"), "nil")
            borders.append(node)
        tcpr.append(borders)
        margins = OxmlElement("w:tcMar")
        for side in ("left", "right"):
            node = OxmlElement(f"w:{side}")
            node.set(qn("w:w"), "0")
            node.set(qn("w:type"), "dxa")
            margins.append(node)
        tcpr.append(margins)
        inner = table(merged, widths_mm, borders=True, align_center=False)
        inner.rows[0]._tr.getparent().remove(inner.rows[0]._tr)
        inner_row = new_row(inner)
        cant_split(inner_row)
        fill(inner_row)
        last_with(merged)
        cell_para(new_row(t).cells[0], "{%tr endif %}")
    row = new_row(t)
    cell_para(row.cells[0], end)


# --------------------------------------------------------------------------
# Blocks of the Party format
# --------------------------------------------------------------------------


def party_heading(doc, *, width_mm: float, with_subject: bool = True, left_mm: float = 90) -> None:
    """Issuing body (top left, ``*`` under it, number, subject) and ĐẢNG CỘNG SẢN VIỆT NAM (top right).

    The block starts 12 mm left of the text, so that a long issuing body
    ("ĐẢNG ỦY ỦY BAN NHÂN DÂN TỈNH") and the date fit on one line at 14 pt.
    """
    t = table(doc, [left_mm, width_mm + 12 - left_mm], indent_mm=-12)
    left, right = t.rows[0].cells
    tag(left, "{%p if issuer_parent %}")
    cell_para(left, "{{ issuer_parent }}", align=CENTER)
    tag(left, "{%p endif %}")
    cell_para(left, "{{ issuer_name }}", align=CENTER, bold=True)
    cell_para(left, "*", align=CENTER)
    tag(left, "{%p if number %}")
    cell_para(left, "Số {{ number }}", align=CENTER)
    tag(left, "{%p endif %}")
    tag(left, "{%p if draft %}")
    cell_para(left, "DỰ THẢO", align=CENTER, bold=True, size=12)
    tag(left, "{%p endif %}")
    if with_subject:
        tag(left, "{%p if subject_line %}")
        cell_para(left, "{{ subject_line }}", align=CENTER, italic=True, size=12, before=3)
        tag(left, "{%p endif %}")
    cell_para(right, "ĐẢNG CỘNG SẢN VIỆT NAM", align=CENTER, bold=True, underline=True, size=15)
    cell_para(right, "", size=10, after=6)
    cell_para(right, "{{ place_date }}", align=CENTER, italic=True)
    para(doc, "", after=6)


def recipients_block(doc, width_mm: float) -> None:
    """``Kính gửi:`` and the recipients, one per line, aligned after the words."""
    t = table(doc, [40, width_mm - 40])
    label, names = t.rows[0].cells
    cell_para(label, "Kính gửi:", align=RIGHT)
    tag(names, "{%p for r in recipients %}")
    cell_para(names, "{{ r }}")
    tag(names, "{%p endfor %}")
    para(doc, "", after=6)


def body_loop(doc, variable: str = "body") -> None:
    """Numbered items and paragraphs as rich text, one body paragraph each, and tables (a block
    ``{"table": …}``, written by ``DocxTable`` in workflow/documents.py: a dispatch's own tables, such
    as the criteria of 1640-CV/BTCTU). A paragraph marked ``keep`` stays on the page of what follows
    it: a heading ("3. Giao Ban Tổ chức Tỉnh ủy") with its item, the closing sentence with the
    signing block (never a signature alone)."""
    tag(doc, f"{{%p for p in {variable} %}}")
    tag(doc, "{%p if p.table is defined %}")
    para(doc, "{{p p.table }}")
    tag(doc, "{%p elif p.keep %}")
    para(doc, "{{r p.text }}", align=JUSTIFY, indent_mm=12.7, after=6, keep_next=True)
    tag(doc, "{%p else %}")
    body_para(doc, "{{r p.text }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")


def signature_block(doc, *, width_mm: float, left_mm: float = 80) -> None:
    """``Nơi nhận:`` (left, 12 pt) and the signing block (right) with room to sign."""
    t = table(doc, [left_mm, width_mm - left_mm])
    cant_split(t.rows[0])  # the signing block never breaks across pages
    left, right = t.rows[0].cells
    cell_para(left, "Nơi nhận:", bold=True, italic=True, size=12, before=6)
    tag(left, "{%p for d in distribution %}")
    cell_para(left, "{{ d }}", size=11)
    tag(left, "{%p endfor %}")
    cell_para(right, "{{ signing_authority }}", align=CENTER, bold=True, before=6)
    cell_para(right, "{{ signer_title }}", align=CENTER, bold=True)
    for _ in range(4):  # room for the signature and the seal
        cell_para(right, "", line_exact=20)
    cell_para(right, "{{ signer_name }}", align=CENTER, bold=True)


def report_title(doc, title_lines: list[str]) -> None:
    para(doc, "{{ doc_type }}", align=CENTER, bold=True, before=6)
    for line in title_lines:
        para(doc, line, align=CENTER, bold=True)
    para(doc, "-----", align=CENTER, after=12)


# --------------------------------------------------------------------------
# The five templates
# --------------------------------------------------------------------------


def build_assignment() -> Document:
    """Outgoing dispatch assigning tasks (công văn giao nhiệm vụ), e.g. 1775-CV/TU."""
    doc = new_document()
    first_paragraph(doc)
    w = TEXT_WIDTH_PORTRAIT
    party_heading(doc, width_mm=w)
    recipients_block(doc, w)
    body_loop(doc)
    signature_block(doc, width_mm=w)
    appendix_section(doc)
    return doc


def appendix_section(doc) -> None:
    """The appendix a dispatch carries ("(Chi tiết Phụ lục đính kèm)"): a landscape section after the
    signing block, its heading lines centred, then its table. Without an appendix the section break
    goes with it and the document keeps its first section's layout (workflow/documents.py)."""
    tag(doc, "{%p if appendix %}")
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    tag(doc, "{%p for h in appendix.heading %}")
    para(doc, "{{r h }}", align=CENTER, keep_next=True)
    tag(doc, "{%p endfor %}")
    para(doc, "", after=6, keep_next=True)
    body_loop(doc, "appendix.body")
    tag(doc, "{%p endif %}")


def build_reminder() -> Document:
    """Reminder dispatch (công văn đôn đốc) to the units with overdue tasks as of a date."""
    doc = new_document()
    first_paragraph(doc)
    w = TEXT_WIDTH_PORTRAIT
    party_heading(doc, width_mm=w)
    recipients_block(doc, w)
    body_para(doc, "{{ opening }}")
    tag(doc, "{%p for u in units %}")
    para(doc, "{{r u.heading }}", align=JUSTIFY, indent_mm=12.7, after=3, keep_next=True)
    tag(doc, "{%p for t in u.tasks %}")
    para(doc, "{{r t }}", align=JUSTIFY, indent_mm=12.7, after=3)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endfor %}")
    body_loop(doc, "closing")
    signature_block(doc, width_mm=w)
    return doc


def build_task_report() -> Document:
    """Report on key tasks as of a date (like section C of the 6-month report)."""
    doc = new_document()
    first_paragraph(doc)
    w = TEXT_WIDTH_PORTRAIT
    party_heading(doc, width_mm=w, with_subject=False)
    report_title(doc, ["{{ title }}", "{{ as_of_line }}"])
    body_para(doc, "{{ opening }}")

    para(doc, "{{ completed_heading }}", align=JUSTIFY, indent_mm=12.7, bold=True, after=6, keep_next=True)
    widths = [12, 95, 58]
    t = table(doc, widths, borders=True)
    header_cells(t, ["STT", "Nội dung nhiệm vụ", "Đảng bộ sở, ngành chủ trì"], 13)
    loop_rows(t, "{%tr for r in completed %}", [
        [("{{ r.no }}", {"align": CENTER})],
        [("{{ r.title }}", {"align": JUSTIFY})],
        [("{{ r.lead }}", {})],
    ])
    para(doc, "", after=6)

    para(doc, "{{ pending_heading }}", align=JUSTIFY, indent_mm=12.7, bold=True, after=6, keep_next=True)
    widths = [12, 51, 31, 23, 48]  # Thời hạn: "20/5/2026", "10/2026" at 13 pt on one line
    t = table(doc, widths, borders=True)
    header_cells(t, ["STT", "Nội dung nhiệm vụ", "Đảng bộ sở, ngành chủ trì", "Thời hạn",
                     "Tình hình thực hiện"], 13)
    loop_rows(t, "{%tr for r in pending %}", [
        [("{{ r.no }}", {"align": CENTER})],
        [("{{ r.title }}", {"align": JUSTIFY})],
        [("{{ r.lead }}", {})],
        [("{{ r.deadline }}", {"align": CENTER})],
        [("{{ r.status }}", {"size": 12}), ("{%p if r.note %}", {}),
         ("{{ r.note }}", {"italic": True, "size": 11}), ("{%p endif %}", {})],
    ])
    para(doc, "", after=6)
    body_loop(doc, "closing")
    signature_block(doc, width_mm=w)
    return doc


def build_indicator_form() -> Document:
    """The 1534 appendix for a unit and a period (landscape), with the columns the unit fills in."""
    doc = new_document(landscape=True)
    first_paragraph(doc)
    w = TEXT_WIDTH_LANDSCAPE
    para(doc, "PHỤ LỤC", align=CENTER, bold=True)
    para(doc, "{{ appendix_title }}", align=CENTER, bold=True)
    para(doc, "{{ appendix_source }}", align=CENTER, italic=True, after=6)
    para(doc, "Đơn vị báo cáo: {{ unit_name }} - Kỳ báo cáo: {{ period_label }}", align=CENTER, bold=True,
         after=8)
    labels = ["STT", "Tên chỉ tiêu", "Mã số", "Mã số chi", "Đơn vị tính", "Mục tiêu",
              "Cơ quan chủ trì thực hiện", "Văn bản nguồn", "Kết quả thực hiện trong kỳ (Điền số)",
              "Mô tả tình hình thực hiện trong kỳ", "Khó khăn, vướng mắc", "Đề xuất, kiến nghị", "Ghi chú"]
    widths = [10, 42, 12, 11, 12, 13, 22, 46, 17, 21, 17, 16, 13]
    assert abs(sum(widths) - w) < 0.5, sum(widths)
    t = table(doc, widths, borders=True)
    header_cells(t, labels, 10)
    small = {"size": 10}
    loop_rows(t, "{%tr for r in rows %}", [
        [("{{ r.no }}", {"align": CENTER, **small})],
        [("{{ r.name }}", {"align": JUSTIFY, **small})],
        [("{{ r.code }}", {"align": CENTER, **small})],
        [("{{ r.sub_code }}", {"align": CENTER, **small})],
        [("{{ r.measure_unit }}", {"align": CENTER, **small})],
        [("{{ r.target }}", {"align": CENTER, **small})],
        [("{{ r.lead }}", small)],
        [("{{ r.source }}", {"align": JUSTIFY, "size": 9})],
        [("{{ r.value }}", {"align": CENTER, "bold": True, **small})],
        [("{{ r.description }}", small)],
        [("{{ r.difficulties }}", small)],
        [("{{ r.proposals }}", small)],
        [("{{ r.notes }}", small)],
    ], size=10, last_with=lambda cell: form_signatures(cell, w), widths_mm=widths)
    return doc


def form_signatures(container, width_mm: float) -> None:
    """The form's date line and its two signatures (the preparer, the head of the unit), with room to
    sign; written inside the table's last row (``loop_rows``), so they stay with it."""
    para(container, "", size=8, after=8)
    s = table(container, [width_mm / 2, width_mm / 2], align_center=False)
    cant_split(s.rows[0])
    left, right = s.rows[0].cells
    cell_para(left, "", size=13)
    cell_para(left, "NGƯỜI LẬP BIỂU", align=CENTER, bold=True, size=13)
    cell_para(left, "(Ký, ghi rõ họ tên)", align=CENTER, italic=True, size=12)
    cell_para(right, "{{ sign_place_date }}", align=CENTER, italic=True, size=13)
    cell_para(right, "THỦ TRƯỞNG ĐƠN VỊ", align=CENTER, bold=True, size=13)
    cell_para(right, "(Ký, ghi rõ họ tên, đóng dấu)", align=CENTER, italic=True, size=12)
    for cell in (left, right):
        for _ in range(3):  # room to sign
            cell_para(cell, "", line_exact=18)


def build_overdue_list() -> Document:
    """The list of overdue tasks for leaders, most days late first."""
    doc = new_document(landscape=True)
    first_paragraph(doc)
    w = TEXT_WIDTH_LANDSCAPE
    party_heading(doc, width_mm=w, with_subject=False, left_mm=120)
    report_title(doc, ["{{ title }}", "{{ as_of_line }}"])
    body_para(doc, "{{ summary }}")
    widths = [12, 92, 34, 40, 26, 18, 30]
    t = table(doc, widths, borders=True)
    header_cells(t, ["STT", "Nội dung nhiệm vụ", "Văn bản giao", "Đơn vị chủ trì", "Thời hạn",
                     "Số ngày quá hạn", "Tình hình"], 12)
    loop_rows(t, "{%tr for r in rows %}", [
        [("{{ r.no }}", {"align": CENTER})],
        [("{{ r.title }}", {"align": JUSTIFY})],
        [("{{ r.source }}", {})],
        [("{{ r.lead }}", {})],
        [("{{ r.deadline }}", {"align": CENTER})],
        [("{{ r.days_late }}", {"align": CENTER, "bold": True})],
        [("{{ r.status }}", {})],
    ], size=12)
    para(doc, "", after=6)
    para(doc, "{{ by_unit_heading }}", align=JUSTIFY, indent_mm=12.7, bold=True, after=6, keep_next=True)
    t = table(doc, [12, 150, 40], borders=True)
    header_cells(t, ["STT", "Cơ quan, đơn vị chủ trì", "Số nhiệm vụ quá hạn"], 12)
    loop_rows(t, "{%tr for u in by_unit %}", [
        [("{{ u.no }}", {"align": CENTER})],
        [("{{ u.name }}", {})],
        [("{{ u.count }}", {"align": CENTER})],
    ], size=12)
    para(doc, "", after=6)
    signature_block(doc, width_mm=w, left_mm=130)
    return doc


LABELS = {  # the file's title until a document sets its own
    "assignment": "Công văn giao nhiệm vụ",
    "reminder": "Công văn đôn đốc nhiệm vụ quá hạn",
    "task_report": "Báo cáo kết quả thực hiện nhiệm vụ",
    "indicator_form": "Biểu mẫu báo cáo chỉ tiêu",
    "overdue_list": "Danh sách nhiệm vụ quá hạn",
}

BUILDERS = {
    "assignment": build_assignment,
    "reminder": build_reminder,
    "task_report": build_task_report,
    "indicator_form": build_indicator_form,
    "overdue_list": build_overdue_list,
}


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
DROPPED_PARTS = ("word/stylesWithEffects.xml", "docProps/thumbnail.jpeg", "customXml/")


def _used_styles(parts: dict[str, bytes], styles) -> set[str]:
    """Style ids the document uses, the defaults, and what they are based on or linked to."""
    from lxml import etree

    used = set()
    for name, data in parts.items():
        if name in ("word/document.xml",) or name.startswith("word/header") or name.startswith("word/footer"):
            root = etree.fromstring(data)
            for tag in ("pStyle", "rStyle", "tblStyle"):
                used.update(node.get(f"{{{W}}}val") for node in root.iter(f"{{{W}}}{tag}"))
    by_id = {st.get(f"{{{W}}}styleId"): st for st in styles.iter(f"{{{W}}}style")}
    used.update(sid for sid, st in by_id.items() if st.get(f"{{{W}}}default") == "1")
    todo = list(used)
    while todo:
        style = by_id.get(todo.pop())
        if style is None:
            continue
        for tag in ("basedOn", "link", "next"):
            node = style.find(f"{{{W}}}{tag}")
            if node is not None and node.get(f"{{{W}}}val") not in used:
                used.add(node.get(f"{{{W}}}val"))
                todo.append(node.get(f"{{{W}}}val"))
    return used


def _slim_and_fix(path: Path) -> None:
    """Drop what python-docx's default template carries and no document here needs (a 0.4 MB
    stylesWithEffects part, a thumbnail of a blank page, custom XML, unused and latent styles),
    and give every zip entry a fixed date so a rebuild gives identical bytes (stable sha256)."""
    import re
    import zipfile

    from lxml import etree

    with zipfile.ZipFile(path) as src:
        parts = {info.filename: src.read(info.filename) for info in src.infolist()}
    parts = {name: data for name, data in parts.items() if not name.startswith(DROPPED_PARTS)}
    for rels in ("_rels/.rels", "word/_rels/document.xml.rels"):
        xml = parts[rels].decode("utf-8")
        xml = re.sub(r'<Relationship [^>]*Target="[^"]*(?:stylesWithEffects\.xml|thumbnail\.jpeg|customXml/[^"]*)"'
                     r'[^>]*/>', "", xml)
        parts[rels] = xml.encode("utf-8")
    # The extended properties name no program (python-docx's default says "Microsoft Macintosh Word").
    app = parts["docProps/app.xml"].decode("utf-8")
    app = re.sub(r"\s*<(Template|Application|AppVersion)>[^<]*</\1>", "", app)
    app = re.sub(r"<Company/>|<Company>[^<]*</Company>", "<Company>Tỉnh ủy Lâm Đồng</Company>", app)
    parts["docProps/app.xml"] = app.encode("utf-8")
    types = parts["[Content_Types].xml"].decode("utf-8")
    types = re.sub(r'<Override PartName="/(?:word/stylesWithEffects\.xml|docProps/thumbnail\.jpeg|customXml/[^"]*)"'
                   r'[^>]*/>', "", types)
    parts["[Content_Types].xml"] = types.encode("utf-8")
    styles = etree.fromstring(parts["word/styles.xml"])
    latent = styles.find(f"{{{W}}}latentStyles")
    if latent is not None:
        styles.remove(latent)
    keep = _used_styles(parts, styles)
    for style in list(styles.iter(f"{{{W}}}style")):
        if style.get(f"{{{W}}}styleId") not in keep:
            styles.remove(style)
    parts["word/styles.xml"] = etree.tostring(styles, xml_declaration=True, encoding="UTF-8", standalone=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)


def build(out_dir: Path = HERE, kinds=None) -> list[Path]:
    written = []
    for kind in kinds or BUILDERS:
        doc = BUILDERS[kind]()
        core = doc.core_properties
        core.author = core.last_modified_by = "Văn phòng Tỉnh ủy Lâm Đồng"
        core.title = core.subject = LABELS[kind]
        core.comments = f"Mẫu {LABELS[kind].lower()} của Văn phòng Tỉnh ủy Lâm Đồng"
        core.category = LABELS[kind]
        core.language = "vi-VN"
        core.revision = 1
        from datetime import datetime

        core.created = core.modified = datetime(2026, 1, 1)
        path = out_dir / f"{kind}.docx"
        doc.save(path)
        _slim_and_fix(path)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in build(kinds=sys.argv[1:] or None):
        print(path.relative_to(HERE.parent))
