"""Reading .docx files: paragraphs and Word tables in reading order."""
from __future__ import annotations

import io
import re
import zipfile

from workflow.importer.text import (MAX_DOCX_UNCOMPRESSED, ImportRefused, TooLarge,
                                    UnreadableFile, _ws)

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
    if not data or not zipfile.is_zipfile(io.BytesIO(data)):
        raise UnreadableFile("Không đọc được tệp .docx: tệp không đúng định dạng Word (.docx).")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UnreadableFile("Không đọc được tệp .docx: tệp bị hỏng.") from None
    if total > MAX_DOCX_UNCOMPRESSED:
        raise TooLarge("Tệp .docx quá lớn khi giải nén; hãy bỏ bớt hình ảnh hoặc phụ lục rồi thử lại.")
    if "word/document.xml" not in names:
        raise UnreadableFile("Không đọc được tệp .docx: thiếu phần nội dung văn bản (word/document.xml).")
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
