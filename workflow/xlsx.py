"""Excel workbooks written by the application (openpyxl): the one place that writes a cell.

Every text is written as text, never as a formula: a value a user typed that starts with ``=``,
``+``, ``-``, ``@`` (or a tab or carriage return, which some programs strip before reading a
formula) is stored as a string cell marked "quote prefix", so Excel and LibreOffice show it as typed
and never evaluate it (``=HYPERLINK(…)``, ``=cmd|…``). ``text_cell`` is that rule; ``append_row``
applies it to every value of a row. Dates and datetimes are real date cells in local time.

The exports of task lists and of the overdue list (``task_workbook``) are built here too.
"""
from __future__ import annotations

import io
from datetime import date, datetime

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 20_000  # rows written to one export (the list's first rows, in its order)
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
DATE_FORMAT = "dd/mm/yyyy"


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def text_cell(sheet, value: str):
    """A cell holding ``value`` as text, whatever its first character (a write-only sheet's cell)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=None)
    cell.value = value
    cell.data_type = "s"  # openpyxl reads a leading "=" as a formula: this keeps it a string
    if is_formula_like(value):
        cell.quotePrefix = True  # the "text" mark Excel sets for a value typed after an apostrophe
    return cell


def neutralise(cell) -> None:
    """Make an existing (normal-mode) cell that holds a string a plain text cell."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if is_formula_like(cell.value):
            cell.quotePrefix = True


def value_cell(sheet, value, *, bold: bool = False):
    """A cell for any value: text as text, a datetime in local time, a date, a number."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from workflow.clock import to_local

    if isinstance(value, str):
        cell = text_cell(sheet, value)
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


def append_row(sheet, values, *, bold: bool = False) -> None:
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
    from openpyxl import Workbook

    from workflow.queries import days_late as late_days
    from workflow.web.filters import dispatch_label, task_state
    from workflow.text import vi_sort_key

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Nhiệm vụ")
    for index, (_, width) in enumerate(TASK_COLUMNS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A4"
    append_row(sheet, [title], bold=True)
    append_row(sheet, [subtitle + (f" · chỉ {MAX_ROWS:,} dòng đầu".replace(",", ".") if truncated else "")])
    append_row(sheet, [name for name, _ in TASK_COLUMNS], bold=True)
    for number, task in enumerate(tasks, start=1):
        coordinating = ", ".join(sorted((u.name for u in task.coordinating_units), key=vi_sort_key))
        late = days_late(task) if days_late is not None else late_days(task, at)
        completed = ""
        if task.status == "completed" and task.completed_at is not None:
            completed = task.completed_at
        append_row(sheet, [
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
