"""Every workbook the application writes is made here (openpyxl), so that no text becomes a formula.

A department's text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return used to come
out of the indicator export as a live formula (``=HYPERLINK(…)``, ``=cmd|…``), in a workbook that
recalculated on opening. Here, as OWASP advises for CSV/formula injection:

* every text cell is written as text (``data_type = "s"``, never ``"f"`` or an error code), and a
  text starting with one of :data:`FORMULA_PREFIXES` is prefixed with a single quote, so that even
  a cell edited or saved again as CSV stays inert;
* workbooks carry no ``fullCalcOnLoad`` flag (openpyxl sets it by default).

:func:`unquote` takes the quote off again when a workbook the application exported comes back
(the indicator import), so a round trip does not pile up quotes.

Use :func:`new_workbook` instead of ``openpyxl.Workbook()`` and :func:`append_row` /
:func:`set_value` instead of ``sheet.append`` / ``cell.value = …``; for the large exports of task
lists (write-only workbooks) :func:`append_cells` and :func:`task_workbook`
(``tests/test_spreadsheet_safety.py`` checks that no other module creates a workbook).
"""
from __future__ import annotations

import io
from datetime import date, datetime

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    """``=1+1`` → ``'=1+1``; control characters that XML cannot hold (a search typed with U+001F, a
    title pasted with a form feed) left out, where openpyxl would refuse the whole workbook; other text
    unchanged."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def unquote(text):
    """The inverse of :func:`safe_text` for text read back from an exported workbook."""
    if isinstance(text, str) and text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text


def new_workbook(*, write_only: bool = False):
    """An empty workbook that does not ask spreadsheet programs to recalculate on opening."""
    from openpyxl import Workbook

    book = Workbook(write_only=write_only)
    book.calculation.fullCalcOnLoad = None  # omitted from workbook.xml
    return book


def set_value(cell, value) -> None:
    """Write ``value``: numbers, dates and booleans as they are, anything else as inert text."""
    if value is None or isinstance(value, (bool, int, float)) or hasattr(value, "isoformat"):
        cell.value = value
        return
    cell.value = safe_text(str(value))
    cell.data_type = "s"  # never "f" (formula) or "e" (an error code such as "#N/A")


def append_row(sheet, values) -> None:
    """``sheet.append(values)`` with every text neutralised and typed as text."""
    values = [v if v is None or isinstance(v, (bool, int, float)) or hasattr(v, "isoformat") else safe_text(str(v))
              for v in values]
    sheet.append(values)
    if any(isinstance(v, str) for v in values):
        row = sheet.max_row  # the row just appended (it holds text)
        for column, value in enumerate(values, start=1):
            if isinstance(value, str):
                sheet.cell(row=row, column=column).data_type = "s"


# --- Write-only exports of task lists (issue 15) -------------------------------------------------
MAX_ROWS = 20_000  # rows written to one export (the list's first rows, in its order)
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
DATE_FORMAT = "dd/mm/yyyy"


def value_cell(sheet, value, *, bold: bool = False):
    """A write-only sheet's cell for any value: text as inert text, a datetime in local time, a
    date, a number."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from workflow.clock import to_local

    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=None)
        cell.value = safe_text(value)
        cell.data_type = "s"  # openpyxl reads a leading "=" as a formula: this keeps it a string
    elif isinstance(value, datetime):
        local = to_local(value) if value.tzinfo is not None else value
        cell = WriteOnlyCell(sheet, value=local.replace(tzinfo=None))
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
    else:
        cell = WriteOnlyCell(sheet, value=value)
    if bold:
        cell.font = Font(bold=True)
    return cell


def append_cells(sheet, values, *, bold: bool = False) -> None:
    """A row of a write-only sheet, every value through :func:`value_cell`."""
    sheet.append([value_cell(sheet, v, bold=bold) for v in values])


TASK_COLUMNS = (
    ("STT", 6), ("Công văn", 16), ("Mục", 7), ("Nội dung nhiệm vụ", 60), ("Đơn vị chủ trì", 28),
    ("Đơn vị phối hợp", 28), ("Thời hạn", 17), ("Thời hạn theo công văn", 28), ("Trạng thái", 18),
    ("Số ngày trễ", 10), ("Hoàn thành lúc", 17), ("Sản phẩm", 24), ("Người phụ trách", 22),
    ("Thẩm quyền phê duyệt", 22),
)


def task_workbook(title: str, subtitle: str, tasks, *, at: datetime, days_late=None, truncated: bool = False) -> bytes:
    """A workbook of tasks (a list's rows in its order): a title, the filters it was made with, a
    header row, one row per task. ``days_late(task)`` gives the days late column (default: as of ``at``)."""
    from workflow.queries import days_late as late_days
    from workflow.text import vi_sort_key
    from workflow.web.filters import dispatch_label, task_state

    book = new_workbook(write_only=True)
    sheet = book.create_sheet("Nhiệm vụ")
    for index, (_, width) in enumerate(TASK_COLUMNS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A4"
    append_cells(sheet, [title], bold=True)
    append_cells(sheet, [subtitle + (f" · chỉ {MAX_ROWS:,} dòng đầu".replace(",", ".") if truncated else "")])
    append_cells(sheet, [name for name, _ in TASK_COLUMNS], bold=True)
    for number, task in enumerate(tasks, start=1):
        coordinating = ", ".join(sorted((u.name for u in task.coordinating_units), key=vi_sort_key))
        late = days_late(task) if days_late is not None else late_days(task, at)
        completed = ""
        if task.status == "completed" and task.completed_at is not None:
            completed = task.completed_at
        append_cells(sheet, [
            number, dispatch_label(task.dispatch), task.item or "", task.title, task.lead_unit.name, coordinating,
            task.deadline if task.deadline is not None else "Chưa xác định", task.deadline_text or "",
            task_state(task, at)[0], late if task.status != "completed" else 0, completed,
            task.product or "", task.person_in_charge or "", task.authority or "",
        ])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_response(data: bytes, filename: str):
    """A download of a workbook (ASCII file name, no cache)."""
    from flask import Response

    response = Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
