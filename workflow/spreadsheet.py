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
:func:`set_value` instead of ``sheet.append`` / ``cell.value = …``
(``tests/test_spreadsheet_safety.py`` checks that no other module creates a workbook).
"""
from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    """``=1+1`` → ``'=1+1``; other text unchanged."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def unquote(text):
    """The inverse of :func:`safe_text` for text read back from an exported workbook."""
    if isinstance(text, str) and text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text


def new_workbook():
    """An empty workbook that does not ask spreadsheet programs to recalculate on opening."""
    from openpyxl import Workbook

    book = Workbook()
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
