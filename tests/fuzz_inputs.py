"""Hypothesis strategies of uploaded files and pasted text, and the requests that send them.

Shared by ``tests/test_fuzz.py`` (a few examples each, in CI) and ``bench/fuzz.py`` (thousands,
printing "inputs tried, 5xx = 0"). Each target is a function ``send(client, token, value)``
returning the HTTP status; a 5xx is the only failure.
"""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path

from hypothesis import strategies as st

SEEDS = Path(__file__).resolve().parent / "data" / "seeds"
DOCX_TYPE = "multipart/form-data"

# Characters a Word document can hold (no surrogates, no C0 controls but tab and newline).
XML_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="".join(
    chr(c) for c in range(32) if chr(c) not in "\t\n")), max_size=120)
FORMULAS = ["=1+1", "+1", "-1", "@SUM(A1)", '=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "#N/A",
            "'=1", "\t=1", "CT7", "CT4", "85,5", "≥80", "2026-05"]
CELL = st.one_of(st.none(), st.integers(-10**18, 10**18), st.floats(allow_nan=False, allow_infinity=False),
                 XML_TEXT.map(lambda t: t[:60]), st.sampled_from(FORMULAS), st.booleans(),
                 st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))


def _mutate(data: bytes, flips: list[tuple[int, int]], cut: int | None) -> bytes:
    raw = bytearray(data)
    for position, value in flips:
        raw[position % len(raw)] = value
    return bytes(raw[:cut] if cut else raw)


def mutations(data: bytes):
    """Byte flips and truncations of a valid file."""
    return st.builds(lambda flips, cut: _mutate(data, flips, cut), st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 255)),
                                                      max_size=12),
                     st.one_of(st.none(), st.integers(1, len(data))))


def _replace(data: bytes, name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, content if info.filename == name else source.read(info.filename))
    return out.getvalue()


# --- .docx ----------------------------------------------------------------------------------


def make_docx(paragraphs: list[str], table: list[list[str]]) -> bytes:
    from docx import Document

    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        width = max(len(row) for row in table) or 1
        grid = document.add_table(rows=len(table), cols=width)
        for r, row in enumerate(table):
            for c, text in enumerate(row):
                grid.cell(r, c).text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


SEED_LINES = (SEEDS / "cv-1775-TU.txt").read_text(encoding="utf-8").splitlines()


@st.composite
def dispatch_like_lines(draw) -> list[str]:
    """Lines of a real dispatch with lines dropped, repeated and random text spliced in."""
    lines = list(SEED_LINES)
    for _ in range(draw(st.integers(0, 6))):
        action = draw(st.sampled_from(["drop", "dup", "insert", "edit"]))
        index = draw(st.integers(0, max(0, len(lines) - 1)))
        if not lines:
            break
        if action == "drop":
            lines.pop(index)
        elif action == "dup":
            lines.insert(index, lines[index])
        elif action == "insert":
            lines.insert(index, draw(XML_TEXT))
        else:
            cut = draw(st.integers(0, len(lines[index])))
            lines[index] = lines[index][:cut] + draw(XML_TEXT) + lines[index][cut:]
    return lines


DOCX_VALID = st.builds(make_docx, st.one_of(dispatch_like_lines(), st.lists(XML_TEXT, max_size=12)),
                       st.lists(st.lists(XML_TEXT.map(lambda t: t[:30]), min_size=1, max_size=4), max_size=4))
_BASE_DOCX = make_docx(SEED_LINES[:40], [["TT", "Nội dung"], ["1", "Việc"]])
DOCX_XML = st.one_of(st.binary(max_size=3000), XML_TEXT.map(str.encode),
                     st.lists(st.sampled_from([b"<w:p>", b"</w:p>", b"<w:t>", b"</w:t>", b"<w:tbl>", b"<w:tr>",
                                               b"<w:tc>", b"<!DOCTYPE x>", b"&amp;", b"&x;", b"<?xml?>", b"x"]),
                              max_size=40).map(b"".join)).map(
    lambda body: _replace(_BASE_DOCX, "word/document.xml", b'<w:document xmlns:w="http://schemas.openxmlformats'
                          b'.org/wordprocessingml/2006/main"><w:body>' + body + b"</w:body></w:document>"))
DOCX = st.one_of(DOCX_VALID, DOCX_XML, mutations(_BASE_DOCX), st.binary(max_size=2000))


def send_docx(client, token: str, data: bytes) -> int:
    return client.post("/api/v1/dispatches/import", headers={"Authorization": f"Bearer {token}"},
                       data={"file": (io.BytesIO(data), "cong-van.docx")}, content_type=DOCX_TYPE).status_code


# --- .xlsx ----------------------------------------------------------------------------------


def make_xlsx(template: bytes, edits: list[tuple[int, int, object]], extra_rows: list[list]) -> bytes:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    from openpyxl.cell.cell import MergedCell

    for row, column, value in edits:
        cell = sheet.cell(row=1 + row % 30, column=1 + column % 14)
        if not isinstance(cell, MergedCell):  # the unit line is merged across the columns
            cell.value = value
    for values in extra_rows:
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_strategy(template: bytes):
    """A unit's exported form with cells overwritten by random values, rows added, XML parts
    replaced by garbage, or bytes flipped."""
    valid = st.builds(lambda edits, rows: make_xlsx(template, edits, rows),
                      st.lists(st.tuples(st.integers(0, 29), st.integers(0, 13), CELL), max_size=12),
                      st.lists(st.lists(CELL, max_size=14), max_size=3))
    parts = st.builds(lambda name, content: _replace(template, name, content),
                      st.sampled_from(["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/workbook.xml",
                                       "xl/styles.xml"]),
                      st.one_of(st.binary(max_size=2000), XML_TEXT.map(str.encode)))
    return st.one_of(valid, parts, mutations(template), st.binary(max_size=2000))


def send_xlsx(client, token: str, data: bytes) -> int:
    return client.post("/api/v1/indicators/import", headers={"Authorization": f"Bearer {token}"},
                       data={"file": (io.BytesIO(data), "bieu.xlsx"), "unit": "xa-lac-duong", "period": "2026-05",
                             "submit": "false"},
                       content_type=DOCX_TYPE).status_code


# --- pasted text ------------------------------------------------------------------------------

TEXT = st.one_of(dispatch_like_lines().map("\n".join), st.text(max_size=2000))


def send_text(client, token: str, text: str) -> int:
    data = text.encode("utf-8", "surrogatepass")
    return client.post("/api/v1/dispatches/import", headers={"Authorization": f"Bearer {token}"},
                       data=data, content_type="text/plain; charset=utf-8").status_code


def export_form(client, token: str) -> bytes:
    response = client.get("/api/v1/indicators/export.xlsx?period=2026-05&unit=xa-lac-duong",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return response.data


NOW = datetime(2026, 11, 22, 8, 0)
