"""The indicator workbook (openpyxl): the column layout of the appendix to Công văn 1534-CV/TU.

Pure: builds and reads .xlsx bytes; the service (``workflow.services.indicators``) supplies the rows and
saves what it reads. One sheet "Phụ lục" has the title lines, a line naming the unit and the period
(``Đơn vị báo cáo: Xã Lạc Dương (mã: xa-lac-duong) · Kỳ báo cáo: tháng 5/2026 (2026-05)``), the header row
with the 13 columns below, and one row per indicator; an export of many units repeats a unit line before
each unit's rows. An optional second sheet "Tổng hợp" summarises a period (units × indicators).
"""
from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

from workflow.spreadsheet import new_workbook, unquote

HEADERS = [
    "STT", "Tên chỉ tiêu", "Mã số", "Mã số chi", "Đơn vị tính", "Mục tiêu", "Cơ quan chủ trì thực hiện",
    "Văn bản nguồn", "Kết quả thực hiện trong kỳ", "Mô tả tình hình thực hiện trong kỳ", "Khó khăn, vướng mắc",
    "Đề xuất, kiến nghị", "Ghi chú",
]
KEYS = ["no", "name", "code", "sub_code", "measure_unit", "target", "lead", "source", "value", "description",
        "difficulties", "proposals", "notes"]
WIDTHS = [6, 48, 10, 9, 10, 10, 24, 40, 14, 36, 28, 28, 18]
FILLED = ("value", "description", "difficulties", "proposals", "notes")  # the columns a unit fills
COLUMN = {key: chr(ord("A") + i) for i, key in enumerate(KEYS)}
SHEET_TITLE = "Phụ lục"
UNIT_LINE = re.compile(r"Đơn vị báo cáo:\s*(?P<name>.*?)\s*\(mã:\s*(?P<code>[a-z0-9-]+)\)", re.I)
PERIOD_LINE = re.compile(r"Kỳ báo cáo:.*?\((?P<period>\d{4}-(?:\d{2}|Q\d))\)", re.I)
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000


def _fold(text) -> str:
    text = unicodedata.normalize("NFD", str(text or "")).replace("đ", "d").replace("Đ", "D")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn").lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


FOLDED_HEADERS = [_fold(h) for h in HEADERS]


def unit_line(name: str, code: str, period_label: str, period: str) -> str:
    return f"Đơn vị báo cáo: {name} (mã: {code}) · Kỳ báo cáo: {period_label} ({period})"


@dataclass
class Section:
    unit_line: str | None
    rows: list[dict]


def build(title: str, subtitle: str, sections: list[Section], *, summary: list[list] | None = None,
          summary_title: str | None = None, attainment_fills: dict | None = None) -> bytes:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    from workflow.spreadsheet import append_row

    # Every text cell written as text, formula prefixes quoted, no recalculation on opening
    # (workflow/spreadsheet.py).
    book = new_workbook()
    sheet = book.active
    sheet.title = SHEET_TITLE
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    append_row(sheet, [title])
    sheet["A1"].font = Font(name="Times New Roman", bold=True, size=13)
    append_row(sheet, [subtitle])
    sheet["A2"].font = Font(name="Times New Roman", italic=True, size=12)
    sheet.append([])
    append_row(sheet, HEADERS)
    header_row = sheet.max_row
    for col, width in enumerate(WIDTHS, start=1):
        cell = sheet.cell(row=header_row, column=col)
        cell.font = Font(name="Times New Roman", bold=True, size=11)
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.border = border
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet.freeze_panes = f"C{header_row + 1}"
    for section in sections:
        if section.unit_line:
            append_row(sheet, [section.unit_line])
            row = sheet.max_row
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(HEADERS))
            sheet.cell(row=row, column=1).font = Font(name="Times New Roman", bold=True, size=12)
        for data in section.rows:
            append_row(sheet, [data.get(key) if data.get(key) not in ("",) else None for key in KEYS])
            row = sheet.max_row
            for col in range(1, len(HEADERS) + 1):
                cell = sheet.cell(row=row, column=col)
                cell.alignment = wrap
                cell.border = border
                cell.font = Font(name="Times New Roman", size=11)
            fill = (attainment_fills or {}).get(data.get("attainment"))
            if fill:
                sheet.cell(row=row, column=KEYS.index("value") + 1).fill = PatternFill("solid", fgColor=fill)
    if summary:
        other = book.create_sheet("Tổng hợp")
        if summary_title:
            append_row(other, [summary_title])
            other["A1"].font = Font(name="Times New Roman", bold=True, size=12)
        for line in summary:
            append_row(other, line)
        other.column_dimensions["A"].width = 34
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass
class ReadRow:
    row: int
    values: dict  # key -> cell value


@dataclass
class ReadBook:
    unit_codes: list[str] = field(default_factory=list)
    period: str | None = None
    rows: list[ReadRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def cell_ref(key: str, row: int) -> str:
    return f"{COLUMN[key]}{row}"


def read(data: bytes) -> ReadBook:
    """The rows of a filled workbook; layout problems are in ``errors`` (Vietnamese)."""
    from openpyxl import load_workbook

    result = ReadBook()
    if not data:
        result.errors.append("Tệp tải lên rỗng.")
        return result
    if len(data) > MAX_BYTES:
        result.errors.append("Tệp quá lớn (tối đa 5 MB).")
        return result
    if not zipfile.is_zipfile(io.BytesIO(data)):
        result.errors.append("Tệp không phải là bảng tính Excel .xlsx (hãy lưu bằng Excel với định dạng .xlsx).")
        return result
    from workflow import uploads

    damaged = "Không mở được bảng tính: tệp .xlsx bị hỏng hoặc không đúng định dạng."
    # Counted while unpacking, rows, cells and strings capped, before openpyxl reads anything
    # (workflow/uploads.py: a 413 is raised for a workbook that unpacks too large).
    try:
        data = uploads.safe_xlsx(data)
    except uploads.UploadUnreadable as exc:
        result.errors.append(f"{damaged} ({exc.message})")
        return result
    budget = uploads.Budget(uploads.XLSX_LIMITS.max_seconds, "bảng tính")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a damaged file
        result.errors.append(damaged)
        return result
    try:
        _read_rows(book, result, budget)
    except uploads.UploadTooLarge:
        raise
    except Exception:  # a damaged worksheet (bad cell references, types, numbers) found while reading
        result.rows.clear()
        result.errors.append(damaged)
    finally:
        book.close()
    return result


def _plain(value):
    """A cell's value as the service expects it: text, a number or None (dates become text)."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _read_rows(book, result: ReadBook, budget) -> None:
    if not book.sheetnames:
        result.errors.append("Bảng tính không có trang nào.")
        return
    sheet = book[SHEET_TITLE] if SHEET_TITLE in book.sheetnames else book.worksheets[0]
    header_row = None
    rows = sheet.iter_rows(max_col=len(KEYS), values_only=True)
    for number, values in enumerate(rows, start=1):
        budget.check()
        if number > MAX_ROWS:
            result.errors.append(f"Bảng tính có quá nhiều dòng (tối đa {MAX_ROWS}).")
            break
        values = [unquote(_plain(v)) for v in values]  # our own export's quotes come off
        cells = list(values) + [None] * (len(KEYS) - len(values))
        first = cells[0]
        if header_row is None:
            text = " ".join(str(c) for c in cells if c is not None)
            match = UNIT_LINE.search(text)
            if match:
                result.unit_codes.append(match["code"].lower())
            match = PERIOD_LINE.search(text)
            if match:
                result.period = match["period"].upper()
            folded = [_fold(c) for c in cells[:len(KEYS)]]
            if folded[0] == "stt" and any(f for f in folded[1:]):
                problems = [f"Cột {COLUMN[KEYS[i]]} của dòng tiêu đề (dòng {number}) phải là "
                            f"\"{HEADERS[i]}\", không phải \"{cells[i] or ''}\"."
                            for i in range(len(KEYS)) if not folded[i].startswith(FOLDED_HEADERS[i])]
                result.errors.extend(problems)
                header_row = number
            continue
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells[:len(KEYS)]):
            continue
        text = str(first or "")
        match = UNIT_LINE.search(text)
        if match and all(c is None for c in cells[1:len(KEYS)]):
            result.unit_codes.append(match["code"].lower())
            period = PERIOD_LINE.search(text)
            if period:
                result.period = result.period or period["period"].upper()
            continue
        result.rows.append(ReadRow(row=number, values=dict(zip(KEYS, cells[:len(KEYS)]))))
    if header_row is None:
        result.errors.append("Không tìm thấy dòng tiêu đề của biểu (STT, Tên chỉ tiêu, Mã số, … Ghi chú) theo "
                             "mẫu Phụ lục Công văn 1534-CV/TU.")
