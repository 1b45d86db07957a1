"""Reading .docx files: paragraphs and Word tables in reading order."""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from workflow.importer.text import (MAX_DOCX_UNCOMPRESSED, MAX_TEXT_CHARS, ImportRefused,
                                    TooLarge, UnreadableFile, _ws)

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
# Task tables in text (a Word table arrives here as tab-separated rows)
# ----------------------------------------------------------------------------------------

# A column's role, read from its header cell (folded). The first rule that matches wins, so
# "Cơ quan phối hợp" is never read as the lead column and "Thời gian hoàn thành" is the deadline.
_COLUMN_ROLES = (
    ("stt", re.compile(r"^(?:stt|tt|so tt|so thu tu)$")),
    ("coordinating", re.compile(r"phoi hop")),
    ("lead", re.compile(r"chu tri|(?:co quan|don vi) (?:thuc hien|dau moi)|^(?:co quan|don vi)$")),
    ("deadline", re.compile(r"thoi gian|thoi han|tien do|hoan thanh|^han\b")),
    ("product", re.compile(r"san pham|ket qua dau ra")),
    ("content", re.compile(r"noi dung|nhiem vu|cong viec|de an")),
    ("note", re.compile(r"ghi chu")),
)
_CELL_SPLIT = re.compile(r"\t| {2,}")


def split_cells(line: str) -> list[str]:
    """The cells of a text table row: separated by tabs, or by two spaces or more."""
    if "\t" in line:
        return [_ws(c) for c in line.split("\t")]
    return [_ws(c) for c in _CELL_SPLIT.split(line.strip())]


def column_roles(cells: list[str]) -> dict[str, int]:
    """Which column holds what, from a header row ({} when it is not a header)."""
    from workflow.importer.text import fold_keep

    roles: dict[str, int] = {}
    for index, cell in enumerate(cells):
        folded = _ws(fold_keep(cell))
        if not folded or len(folded) > 60:
            continue
        for role, pattern in _COLUMN_ROLES:
            if pattern.search(folded):
                roles.setdefault(role, index)
                break
    return roles


@dataclass
class TextTable:
    """A table read from text lines: its header, its column roles and its rows (each with the
    index of its line in the list it was read from)."""

    header: list[str]
    roles: dict[str, int]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)

    @property
    def assigns_tasks(self) -> bool:
        """A phân công table: a content column and a lead column."""
        return "content" in self.roles and "lead" in self.roles

    def cell(self, cells: list[str], role: str) -> str:
        index = self.roles.get(role)
        return cells[index] if index is not None and index < len(cells) else ""


def _continues_row(table: TextTable, previous: list[str], cells: list[str]) -> bool:
    """A row that carries on the cells of the row above (a table copied from PDF wraps each
    cell over several lines): no STT of its own under a numbered row, its content cell not a
    sub-item of its own ("- …", "+ …", "a) …"); without an STT column, its content cell goes on
    in lower case and its lead cell is empty or goes on too."""
    content = table.cell(cells, "content")
    if not any(cells):
        return False
    if "stt" in table.roles:
        return (not table.cell(cells, "stt") and bool(table.cell(previous, "stt"))
                and not re.match(r"[-+•–]|[a-zđ]\)|\d{1,2}[.)]", content))
    lead = table.cell(cells, "lead")
    return bool(content) and content[:1].islower() and (not lead or lead[:1].islower())


def _positioned_cells(line: str) -> list[tuple[int, str]]:
    """The cells of a row separated by two spaces or more, with the column where each starts."""
    return [(m.start(), _ws(m.group(0))) for m in re.finditer(r"\S(?:(?!\s{2}).)*", line)]


def _align(header: list[tuple[int, str]], line: str) -> list[str]:
    """A space-separated row's cells put under the header's columns by where they start (a cell
    left empty shifts nothing): each cell goes to the last column starting at most two
    characters after it."""
    starts = [start for start, _text in header]
    cells = [""] * len(header)
    for start, text in _positioned_cells(line):
        column = max((i for i, s in enumerate(starts) if s <= start + 2), default=0)
        cells[column] = _ws(f"{cells[column]} {text}")
    return cells


def table_at(lines: list[str], start: int) -> tuple[TextTable, int] | None:
    """The table whose header row is ``lines[start]`` and where it ends, or None. A header is
    recognised by its columns whatever their order: it must name a lead column ("Cơ quan chủ
    trì") and at least two other known columns. Rows follow with the same separator; blank
    lines between rows are allowed; a line that is not a row ends the table."""
    line = lines[start]
    if "\t" not in line and not re.search(r"\S {2,}\S", line.strip()):
        return None
    header = split_cells(line)
    if len(header) < 3:
        return None
    roles = column_roles(header)
    if "lead" not in roles or len(roles) < 3:
        return None
    table = TextTable(header, roles)
    positioned = None if "\t" in line else _positioned_cells(line)
    if positioned is not None and len(positioned) != len(header):
        positioned = None
    i = start + 1
    while i < len(lines):
        row = lines[i]
        if not row.strip():
            i += 1
            continue
        tabbed = "\t" in row
        if not tabbed and not re.search(r"\S {2,}\S", row.strip()):
            break
        cells = split_cells(row)
        if len(cells) < 2 and not (table.rows and positioned is not None and not tabbed and row[:1] == " "):
            break
        if positioned is not None and not tabbed:
            # A row with every cell is read in order; it also shows whether the columns line up
            # under the header. Where they do, a shorter row (an empty cell, a cell wrapped onto
            # the next line) is read by position: an empty cell shifts nothing.
            if len(cells) == len(header):
                if any(abs(a - b) > 2 for (a, _), (b, _) in zip(_positioned_cells(row), positioned)):
                    positioned = None
            else:
                cells = _align(positioned, row)
        cells += [""] * (len(header) - len(cells))
        if table.rows and _continues_row(table, table.rows[-1][1], cells):
            previous = table.rows[-1][1]
            for c, text in enumerate(cells):
                if text and c < len(previous):
                    previous[c] = _ws(f"{previous[c]} {text}")
            i += 1
            continue
        table.rows.append((i, cells))
        i += 1
    while i > start + 1 and not lines[i - 1].strip():
        i -= 1
    return table, i
