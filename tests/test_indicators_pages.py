"""Indicator pages: a unit's form, the office's matrix, an indicator's chart, the 6-month table, the upload."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from models import IndicatorReport
from tests.conftest import PASSWORD, local
from tests.web_fixtures import csrf_token_from, sign_in, web  # noqa: F401  (fixture)
from workflow.services import indicators as service

COMMUNE = "xa-lac-duong"


@pytest.fixture()
def commune_user(db):
    from workflow.services.users import create_user

    return create_user("lacduong", PASSWORD, role="department", unit_code=COMMUNE, full_name="Xã Lạc Dương")


def test_a_commune_fills_its_form_on_the_page(web, db, commune_user, frozen_now):
    frozen_now(local(2026, 5, 15, 9, 0))
    sign_in(web, commune_user)
    page = web.get("/indicators/report?period=2026-05")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Báo cáo chỉ tiêu tháng 5/2026" in html and "Xã Lạc Dương" in html and "CT15" in html
    indicators = service.catalogue_indicators("1534-CV/TU")
    form = {"csrf_token": csrf_token_from(html), "action": "submit"}
    for i in indicators:
        form[f"value_{i.id}"] = "85,5" if i.code == "CT7" else "100"
        form[f"description_{i.id}"] = f"Mô tả {i.code}"
    response = web.post("/indicators/report?period=2026-05", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    reports = {r.indicator.code: r for r in db.session.scalars(select(IndicatorReport))}
    assert len(reports) == 13 and reports["CT7"].value == 85.5 and reports["CT7"].status == "submitted"
    again = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã gửi báo cáo." in again and 'value="85,5"' in again and "Vượt" in again and "Đạt" in again


def test_a_bad_value_on_the_page_saves_nothing(web, db, commune_user, frozen_now):
    frozen_now(local(2026, 5, 15, 9, 0))
    sign_in(web, commune_user)
    html = web.get("/indicators/report?period=2026-05").get_data(as_text=True)
    indicators = service.catalogue_indicators("1534-CV/TU")
    form = {"csrf_token": csrf_token_from(html), "action": "submit"}
    for i in indicators:
        form[f"value_{i.id}"] = "abc" if i.code == "CT9" else "90"
    response = web.post("/indicators/report?period=2026-05", data=form)
    assert response.status_code == 400
    assert "CT9 phải là một số" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(IndicatorReport)) == 0


def test_another_department_cannot_open_a_communes_form(web, users):
    sign_in(web, users["taichinh"])
    assert web.get(f"/indicators/report?unit={COMMUNE}&period=2026-05").status_code == 403
    sign_in(web, users["office"])
    assert web.get(f"/indicators/report?unit={COMMUNE}&period=2026-13").status_code == 400


def test_the_office_sees_the_matrix_for_may(web, db, users, frozen_now):
    indicators = service.catalogue_indicators("1534-CV/TU")
    service.save_unit_reports(users["office"], unit_code=COMMUNE, catalogue="1534-CV/TU", period="2026-05",
                              rows=[service.ReportInput(i, 100) for i in indicators], submit=True,
                              now=local(2026, 5, 16, 9, 0))
    frozen_now(local(2026, 5, 25, 9, 0))
    sign_in(web, users["office"])
    page = web.get("/indicators/matrix?period=2026-05")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "1/124" in html and "Xã Lạc Dương" in html and "Đúng hạn" in html and "Trễ hạn" in html
    assert "export.xlsx?period=2026-05" in html
    sign_in(web, users["leader"])
    assert web.get("/indicators/matrix?period=2026-05&kind=commune").status_code == 200
    assert web.get("/indicators/matrix?period=2026-13").status_code == 400
    sign_in(web, users["taichinh"])
    assert web.get("/indicators/matrix?period=2026-05").status_code == 403


def test_the_office_opens_a_period_and_accepts(web, db, users, frozen_now):
    frozen_now(local(2026, 5, 10, 9, 0))
    sign_in(web, users["office"])
    html = web.get("/indicators/matrix?period=2026-05").get_data(as_text=True)
    response = web.post("/indicators/periods", data={"csrf_token": csrf_token_from(html), "catalogue": "1534-CV/TU",
                                                    "period": "2026-05"})
    assert response.status_code == 302
    assert "126 nhiệm vụ báo cáo mới" in web.get(response.headers["Location"]).get_data(as_text=True)
    service.save_report(users["office"], indicator_code="CT7", unit_code=COMMUNE, period="2026-05", value=85,
                        now=local(2026, 5, 12, 9, 0))
    response = web.post("/indicators/accept", data={"csrf_token": csrf_token_from(html), "catalogue": "1534-CV/TU",
                                                   "period": "2026-05", "unit": COMMUNE})
    assert response.status_code == 302
    assert db.session.scalar(select(IndicatorReport)).status == "accepted"


def test_the_history_chart_and_the_six_month_table(web, db, users, frozen_now):
    for period, value in (("2026-05", 70), ("2026-06", 78), ("2026-07", 85)):
        service.save_report(users["office"], indicator_code="CT7", unit_code=COMMUNE, period=period, value=value,
                            now=local(2026, 8, 1, 9, 0))
    sign_in(web, users["leader"])
    html = web.get("/indicators/CT7").get_data(as_text=True)
    assert "<svg" in html and "2026-07" in html and "Mục tiêu 80" in html and "<path" in html
    assert web.get(f"/indicators/CT7?unit={COMMUNE}").status_code == 200
    assert web.get("/indicators/NOPE").status_code == 404
    table = web.get("/indicators/six-month").get_data(as_text=True)
    assert "Tốc độ tăng trưởng GRDP" in table and "9,32" in table and "Chưa đạt kịch bản" in table
    assert "51,43%" in table and "13,18 - 14,29" in table
    catalogue = web.get("/indicators").get_data(as_text=True)
    assert "Trục (1)" in catalogue and "CT15" in catalogue and "Tối thiểu 80 %" in catalogue


def test_upload_page_lists_every_bad_cell(web, db, commune_user, api, frozen_now):
    frozen_now(local(2026, 5, 16, 9, 0))
    data = api.get(f"/api/v1/indicators/export.xlsx?period=2026-05&unit={COMMUNE}", "office").data
    book = load_workbook(io.BytesIO(data))
    for row in book["Phụ lục"].iter_rows(min_row=6):
        if row[2].value:
            row[8].value = "sai" if row[2].value in ("CT5", "CT11") else 90
    out = io.BytesIO()
    book.save(out)
    sign_in(web, commune_user)
    html = web.get("/indicators/import").get_data(as_text=True)
    response = web.post("/indicators/import", data={"csrf_token": csrf_token_from(html),
                                                    "file": (io.BytesIO(out.getvalue()), "bieu.xlsx")},
                        content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "2 lỗi" in page and "Ô I7" in page and "CT11" in page
    assert db.session.scalar(select(func.count()).select_from(IndicatorReport)) == 0
    good = load_workbook(io.BytesIO(out.getvalue()))
    for row in good["Phụ lục"].iter_rows(min_row=6):
        if row[2].value:
            row[8].value = 95
    out = io.BytesIO()
    good.save(out)
    response = web.post("/indicators/import", data={"csrf_token": csrf_token_from(html),
                                                    "file": (io.BytesIO(out.getvalue()), "bieu.xlsx")},
                        content_type="multipart/form-data")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(IndicatorReport)) == 13
