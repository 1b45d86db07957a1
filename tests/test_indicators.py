"""Indicators: the seeded catalogues, units' reports through the service and the API, their tasks, Excel."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from models import Indicator, IndicatorPeriodTask, IndicatorReport, Task, TaskEvent
from tests.conftest import PASSWORD, local
from workflow.errors import Conflict, Forbidden, ValidationError
from workflow.indicator_workbook import HEADERS
from workflow.services import indicators as service

COMMUNE = "xa-lac-duong"


@pytest.fixture()
def commune_user(db):
    from workflow.services.users import create_token, create_user

    user = create_user("lacduong", PASSWORD, role="department", unit_code=COMMUNE, full_name="Xã Lạc Dương")
    return user, create_token("lacduong")


@pytest.fixture()
def khcn_user(db):
    from workflow.services.users import create_token, create_user

    user = create_user("khcn", PASSWORD, role="department", unit_code="so-khoa-hoc-va-cong-nghe", full_name="Sở KHCN")
    return user, create_token("khcn")


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def codes_1534():
    return ["CT4", "CT5", "CT7", "CT8", "CT9", "CT6.2", "CT6.3", "CT10", "CT11", "CT12", "CT13", "CT14", "CT15"]


# --- catalogue ------------------------------------------------------------------------


def test_the_three_catalogues_are_seeded(db):
    counts = dict(db.session.execute(select(Indicator.catalogue, func.count()).group_by(Indicator.catalogue)).all())
    assert counts == {"1534-CV/TU": 13, "1640-CV/BTCTU": 15, "bc-6-thang-2026": 49}
    criteria = service.catalogue_indicators("1640-CV/BTCTU")
    assert [i.figures["item"] for i in criteria] == ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "3.1", "3.2",
                                                     "3.3", "4.1", "4.2", "4.3", "4.4", "4.5"]
    assert sorted({i.figures["axis"] for i in criteria}) == [1, 2, 3, 5]
    assert criteria[0].group.startswith("Trục (1) - THỰC HIỆN MỤC TIÊU")
    grdp = db.session.scalar(select(Indicator).where(Indicator.code == "BC6T-01"))
    assert grdp.target_text == "≥ 10"
    assert grdp.figures["scenario"] == "9,32" and grdp.figures["actual"] == "7,97"
    assert grdp.figures["progress"] == "Chưa đạt kịch bản"
    assert grdp.figures["second_half"]["goal"].startswith("Tăng tốc các khu vực")
    jobs = db.session.scalar(select(Indicator).where(Indicator.code == "BC6T-18"))
    assert (jobs.target_text, jobs.figures["actual"], jobs.figures["progress"]) == ("70.000", "36.000", "51,4%")
    industry = db.session.scalar(select(Indicator).where(Indicator.code == "BC6T-01.2"))
    assert industry.figures["second_half"]["plan"] == "13,18 - 14,29"


def test_seeding_again_adds_nothing(db):
    from workflow.seeding import seed_indicators

    assert seed_indicators() == 0


def test_api_catalogue_has_parsed_targets(api):
    body = api.get("/api/v1/indicators?catalogue=1534-CV/TU", "office").get_json()
    assert body["total"] == 13 and [i["code"] for i in body["items"]] == codes_1534()
    ct7 = body["items"][2]
    assert ct7["target"] == {"text": "≥80", "comparator": ">=", "values": [80.0], "unit": "%"}
    assert ct7["lead_unit"]["code"] == "van-phong-ubnd-tinh"
    everything = api.get("/api/v1/indicators?per_page=500", "taichinh").get_json()
    assert everything["total"] == 77
    structure = next(i for i in everything["items"] if i["code"] == "BC6T-03")
    assert structure["target"]["comparator"] == "multi" and len(structure["target"]["parts"]) == 4
    assert api.get("/api/v1/indicators?q=thuong+mai+hoa", "office").get_json()["items"][0]["code"] == "CT15"
    assert api.get("/api/v1/indicators?catalogue=nope", "office").status_code == 400
    assert api.get("/api/v1/indicators").status_code == 401


def test_api_one_indicator_with_computed_progress(api):
    body = api.get("/api/v1/indicators/BC6T-18", "leader").get_json()
    assert body["computed_progress"] == pytest.approx(51.43)
    assert api.get("/api/v1/indicators/NOPE", "leader").status_code == 404


# --- periods --------------------------------------------------------------------------


def test_periods(db, frozen_now):
    now = frozen_now.current()
    assert service.parse_period("2026-05", "monthly", now=now).label == "tháng 5/2026"
    assert service.parse_period("2026-q2", "quarterly", now=now).code == "2026-Q2"
    for bad in ("2026-13", "2026-00", "2026-Q5", "2026-5", "abc", "", None, "1999-01"):
        with pytest.raises(ValidationError):
            service.parse_period(bad, "monthly", now=now)
    with pytest.raises(ValidationError, match="chưa bắt đầu"):
        service.parse_period("2026-12", "monthly", now=now)
    with pytest.raises(ValidationError, match="theo tháng"):
        service.parse_period("2026-Q2", "monthly", now=now)
    cat = service.get_catalogue("1534-CV/TU")
    with pytest.raises(ValidationError, match="trước khi"):
        service.catalogue_period(cat, "2026-03", now)
    assert service.period_deadline(cat, service.parse_period("2026-05", "monthly")) == local(2026, 5, 17)
    quarterly = service.get_catalogue("1640-CV/BTCTU")
    assert service.period_deadline(quarterly, service.parse_period("2026-Q2", "quarterly")) == local(2026, 6, 30)


# --- reports through the API ----------------------------------------------------------


def post(client, token, code, **body):
    return client.post(f"/api/v1/indicators/{code}/reports", json=body, headers=bearer(token))


def test_a_commune_reports_and_gets_the_judgement(client, commune_user, frozen_now):
    _, token = commune_user
    frozen_now(local(2026, 5, 15, 9, 0))
    response = post(client, token, "CT7", unit=COMMUNE, period="2026-05", value="92,5", description="Đã triển khai")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["met"], body["attainment"], body["value"], body["status"]) == (True, "Vượt", 92.5, "submitted")
    assert body["history"][0]["event"] == "submit"
    exact = post(client, token, "CT4", unit=COMMUNE, period="2026-05", value=100).get_json()
    assert (exact["met"], exact["attainment"]) == (True, "Đạt")
    low = post(client, token, "CT14", unit=COMMUNE, period="2026-05", value=90).get_json()
    assert (low["met"], low["attainment"]) == (False, "Chưa đạt")
    again = post(client, token, "CT14", unit=COMMUNE, period="2026-05", value=96)
    assert again.status_code == 200 and again.get_json()["attainment"] == "Vượt"
    assert [h["event"] for h in again.get_json()["history"]] == ["submit", "submit"]


@pytest.mark.parametrize("body, message", [
    ({"unit": COMMUNE, "period": "2026-05", "value": "nhiều"}, "phải là một số"),
    ({"unit": COMMUNE, "period": "2026-05", "value": [1]}, "phải là một số"),
    ({"unit": COMMUNE, "period": "2026-05", "value": True}, "phải là một số"),
    ({"unit": COMMUNE, "period": "2026-05", "value": 120}, "từ 0 đến 100"),
    ({"unit": COMMUNE, "period": "2026-13", "value": 90}, "không tồn tại"),
    ({"unit": COMMUNE, "period": "2026-Q2", "value": 90}, "theo tháng"),
    ({"unit": COMMUNE, "period": "tháng 5", "value": 90}, "không hợp lệ"),
    ({"unit": COMMUNE, "value": 90}, "Thiếu kỳ"),
    ({"unit": "khong-co", "period": "2026-05", "value": 90}, "Không tìm thấy đơn vị"),
    ({"unit": COMMUNE, "period": "2026-05"}, "value"),
    ({"unit": COMMUNE, "period": "2026-05", "value": 90, "extra": 1}, "extra"),
])
def test_bad_input_is_a_clear_400(api, body, message):
    response = api.post("/api/v1/indicators/CT7/reports", "office", json=body)
    assert response.status_code == 400
    assert message in response.get_json()["error"]


def test_only_the_responsible_unit_or_the_office_may_submit(api, db, commune_user):
    _, token = commune_user
    body = {"unit": COMMUNE, "period": "2026-05", "value": 90}
    assert api.post("/api/v1/indicators/CT7/reports", "taichinh", json=body).status_code == 403
    assert api.post("/api/v1/indicators/CT7/reports", "leader", json=body).status_code == 403
    assert api.post("/api/v1/indicators/CT7/reports", "office", json=body).status_code == 201
    other = {"unit": "so-tai-chinh", "period": "2026-05", "value": 90}
    response = api.post("/api/v1/indicators/CT7/reports", "taichinh", json=other)
    assert response.status_code == 400 and "không phải đơn vị báo cáo" in response.get_json()["error"]
    assert db.session.scalar(select(func.count()).select_from(IndicatorReport)) == 1


def test_a_lead_agency_reports_only_its_own_indicators(client, khcn_user):
    _, token = khcn_user
    assert post(client, token, "CT4", unit="so-khoa-hoc-va-cong-nghe", period="2026-05", value=97).status_code == 201
    refused = post(client, token, "CT7", unit="so-khoa-hoc-va-cong-nghe", period="2026-05", value=97)
    assert refused.status_code == 400


# --- the task in the engine ------------------------------------------------------------


def _task(db, unit_code, period="2026-05", catalogue="1534-CV/TU"):
    link = db.session.scalar(select(IndicatorPeriodTask).join(IndicatorPeriodTask.unit).where(
        IndicatorPeriodTask.catalogue == catalogue, IndicatorPeriodTask.period == period,
        IndicatorPeriodTask.unit.has(code=unit_code)))
    return link.task if link else None


def test_opening_a_period_makes_one_task_per_reporting_unit_due_the_17th(db, users, frozen_now, api):
    now = local(2026, 5, 10, 8, 0)
    frozen_now(now)
    created = service.open_period(users["office"], catalogue="1534-CV/TU", period="2026-05", now=now)
    assert created == 126  # Sở KH&CN, Văn phòng UBND tỉnh and the 124 communes
    assert service.open_period(users["office"], catalogue="1534-CV/TU", period="2026-05", now=now) == 0
    task = _task(db, COMMUNE)
    assert task.deadline == local(2026, 5, 17) and "1534-CV/TU" in task.dispatch.display_name
    assert task.item == "2.c" and task.period == "2026-05" and task.status == "assigned"
    with pytest.raises(Forbidden):
        service.open_period(users["taichinh"], catalogue="1534-CV/TU", period="2026-05", now=now)
    # Nobody reported: after the 17th every one of them is in the overdue list.
    frozen_now(local(2026, 5, 20, 8, 0))
    overdue = api.get("/api/v1/overdue?per_page=500", "office").get_json()
    late_units = {t["lead_unit"]["code"] for t in overdue["items"] if t["dispatch"] == "1534-CV/TU"
                  and t["period"] == "2026-05" and t["item"] == "2.c"}
    assert COMMUNE in late_units and len(late_units) >= 126 - 1


def test_submitting_every_indicator_completes_the_task_on_time(db, client, commune_user, frozen_now):
    user, token = commune_user
    frozen_now(local(2026, 5, 16, 10, 0))
    for code in codes_1534()[:-1]:
        assert post(client, token, code, unit=COMMUNE, period="2026-05", value=90).status_code == 201
    task = _task(db, COMMUNE)
    assert task.status == "assigned"
    assert post(client, token, "CT15", unit=COMMUNE, period="2026-05", value=5).status_code == 201
    db.session.refresh(task)
    assert task.status == "completed" and task.on_time is True
    assert task.events[-1].event == "complete" and task.events[-1].actor_id == user.id
    assert "13/13" in task.evidence_note


def test_a_late_report_completes_late_and_a_returned_one_reopens(db, api, users, frozen_now):
    frozen_now(local(2026, 6, 2, 9, 0))
    for code in codes_1534():
        assert api.post(f"/api/v1/indicators/{code}/reports", "office",
                        json={"unit": COMMUNE, "period": "2026-05", "value": 85}).status_code == 201
    task = _task(db, COMMUNE)
    assert task.status == "completed" and task.on_time is False
    report = db.session.scalar(select(IndicatorReport).join(Indicator).where(
        Indicator.code == "CT7", IndicatorReport.period == "2026-05"))
    refused = api.post(f"/api/v1/indicator-reports/{report.id}/events", "office", json={"event": "return"})
    assert refused.status_code == 400
    returned = api.post(f"/api/v1/indicator-reports/{report.id}/events", "office",
                        json={"event": "return", "note": "Số liệu chưa khớp"})
    assert returned.status_code == 200 and returned.get_json()["status"] == "draft"
    db.session.refresh(task)
    assert task.status == "in_progress" and task.events[-1].event == "reopen"
    assert api.post(f"/api/v1/indicator-reports/{report.id}/events", "taichinh",
                    json={"event": "accept"}).status_code == 403


def test_accepting_locks_the_report(db, api, users, frozen_now):
    frozen_now(local(2026, 5, 16, 9, 0))
    body = api.post("/api/v1/indicators/CT7/reports", "office",
                    json={"unit": COMMUNE, "period": "2026-05", "value": 85}).get_json()
    accepted = api.post(f"/api/v1/indicator-reports/{body['id']}/events", "office",
                        json={"event": "accept", "version": body["version"]})
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    again = api.post("/api/v1/indicators/CT7/reports", "office",
                     json={"unit": COMMUNE, "period": "2026-05", "value": 86})
    assert again.status_code == 409
    stale = api.post(f"/api/v1/indicator-reports/{body['id']}/events", "office",
                     json={"event": "return", "note": "x", "version": body["version"]})
    assert stale.status_code == 409
    history = api.get(f"/api/v1/indicator-reports/{body['id']}", "office").get_json()["history"]
    assert [h["event"] for h in history] == ["submit", "accept"]


def test_drafts_do_not_complete_the_task(db, users, frozen_now):
    now = local(2026, 5, 12, 9, 0)
    rows = [service.ReportInput(i, 90) for i in service.catalogue_indicators("1534-CV/TU")]
    service.save_unit_reports(users["office"], unit_code=COMMUNE, catalogue="1534-CV/TU", period="2026-05",
                              rows=rows, submit=False, now=now)
    assert _task(db, COMMUNE).status == "assigned"
    assert {r.status for r in db.session.scalars(select(IndicatorReport))} == {"draft"}


def test_a_bad_row_saves_nothing(db, users):
    now = local(2026, 5, 12, 9, 0)
    rows = [service.ReportInput(i, 90) for i in service.catalogue_indicators("1534-CV/TU")]
    rows[3].value = "chín mươi"
    with pytest.raises(ValidationError) as info:
        service.save_unit_reports(users["office"], unit_code=COMMUNE, catalogue="1534-CV/TU", period="2026-05",
                                  rows=rows, submit=True, now=now)
    assert "CT8" in info.value.message
    assert db.session.scalar(select(func.count()).select_from(IndicatorReport)) == 0
    assert _task(db, COMMUNE) is None


def test_quarterly_criteria_of_1640(db, users, frozen_now):
    now = local(2026, 6, 28, 9, 0)
    rows = [service.ReportInput(i, "Hoàn thành" if service.value_kind(i) == "text" else 80)
            for i in service.catalogue_indicators("1640-CV/BTCTU")]
    service.save_unit_reports(users["office"], unit_code=COMMUNE, catalogue="1640-CV/BTCTU", period="2026-Q2",
                              rows=rows, submit=True, now=now)
    task = _task(db, COMMUNE, "2026-Q2", "1640-CV/BTCTU")
    assert task.deadline == local(2026, 6, 30) and task.status == "completed" and task.on_time is True
    with pytest.raises(ValidationError):
        service.save_unit_reports(users["office"], unit_code=COMMUNE, catalogue="1640-CV/BTCTU", period="2026-05",
                                  rows=rows, submit=True, now=now)


# --- the matrix -------------------------------------------------------------------------


def test_matrix_counts_communes_reported_and_on_time(db, users, api, frozen_now):
    indicators = service.catalogue_indicators("1534-CV/TU")
    service.save_unit_reports(users["office"], unit_code=COMMUNE, catalogue="1534-CV/TU", period="2026-05",
                              rows=[service.ReportInput(i, 100) for i in indicators], submit=True,
                              now=local(2026, 5, 16, 9, 0))
    service.save_unit_reports(users["office"], unit_code="xa-dam-rong-1" if False else "phuong-mui-ne",
                              catalogue="1534-CV/TU", period="2026-05",
                              rows=[service.ReportInput(i, 50) for i in indicators], submit=True,
                              now=local(2026, 5, 20, 9, 0))
    service.save_report(users["office"], indicator_code="CT7", unit_code="van-phong-ubnd-tinh", period="2026-05",
                        value=81, now=local(2026, 5, 16, 9, 0))
    matrix = service.period_matrix("1534-CV/TU", "2026-05", now=local(2026, 5, 25))
    assert (matrix.communes_total, matrix.communes_reported, matrix.communes_on_time) == (124, 2, 1)
    assert matrix.units_total == 126 and matrix.cells_expected == 124 * 13 + 13
    assert matrix.cells_submitted == 13 + 13 + 1
    ct4 = next(i for i in indicators if i.code == "CT4")
    assert matrix.by_indicator[ct4.id] == {"expected": 125, "submitted": 2, "met": 1, "not_met": 1}
    body = api.get("/api/v1/indicators/matrix?period=2026-05", "leader").get_json()
    assert body["communes_reported"] == 2 and body["communes_on_time"] == 1
    lac = next(u for u in body["units"] if u["code"] == COMMUNE)
    assert lac["complete"] and lac["on_time"] and lac["cells"]["CT4"]["attainment"] == "Đạt"
    assert api.get("/api/v1/indicators/matrix?period=2026-05", "taichinh").status_code == 403


# --- Excel ---------------------------------------------------------------------------


def _sheet(data):
    return load_workbook(io.BytesIO(data))["Phụ lục"]


def test_export_has_the_columns_of_the_1534_appendix(db, users, api, frozen_now):
    service.save_report(users["office"], indicator_code="CT7", unit_code=COMMUNE, period="2026-05", value=85.5,
                        description="Mô tả & <kết quả>", now=local(2026, 5, 16, 9, 0))
    response = api.get("/api/v1/indicators/export.xlsx?period=2026-05", "office")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = _sheet(response.data)
    rows = list(sheet.iter_rows(values_only=True))
    header = next(r for r in rows if r[0] == "STT")
    assert list(header) == HEADERS
    assert rows[0][0].startswith("Phụ lục: Chỉ tiêu cụ thể giao địa phương")
    assert "1534-CV/TU, ngày 08 tháng 5 năm 2026 của Ban Thường vụ Tỉnh ủy" in rows[1][0]
    lac = [i for i, r in enumerate(rows) if r[0] and "(mã: xa-lac-duong)" in str(r[0])][0]
    ct7 = rows[lac + 3]
    assert ct7[2] == "CT7" and ct7[5] == "≥80" and ct7[8] == 85.5 and ct7[9] == "Mô tả & <kết quả>"
    assert "Tổng hợp" in load_workbook(io.BytesIO(response.data)).sheetnames
    assert api.get("/api/v1/indicators/export.xlsx?period=2026-05", "taichinh").status_code == 403
    assert api.get("/api/v1/indicators/export.xlsx", "office").status_code == 400
    assert api.get("/api/v1/indicators/export.xlsx?period=2026-14", "office").status_code == 400


def _unit_form(api, user="office", unit=COMMUNE, period="2026-05"):
    response = api.get(f"/api/v1/indicators/export.xlsx?period={period}&unit={unit}", user)
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.data))


def _fill(book, values):
    sheet = book["Phụ lục"]
    for row in sheet.iter_rows(min_row=1):
        code = row[2].value
        if code in values:
            row[8].value = values[code]
            row[9].value = f"Mô tả {code}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client, token, data, **form):
    return client.post("/api/v1/indicators/import", headers=bearer(token),
                       data={**form, "file": (io.BytesIO(data), "bieu.xlsx")}, content_type="multipart/form-data")


def test_a_unit_uploads_its_filled_workbook(db, client, api, commune_user, frozen_now):
    _, token = commune_user
    frozen_now(local(2026, 5, 16, 9, 0))
    data = _fill(_unit_form(api), {code: 90 for code in codes_1534()} | {"CT15": "05", "CT7": "85,5"})
    response = _upload(client, token, data)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["saved"] == 13
    reports = {r.indicator.code: r for r in db.session.scalars(select(IndicatorReport))}
    assert reports["CT7"].value == 85.5 and reports["CT15"].value == 5 and reports["CT4"].description == "Mô tả CT4"
    assert {r.status for r in reports.values()} == {"submitted"}
    assert reports["CT4"].events[0].via == "excel"
    assert _task(db, COMMUNE).status == "completed"


def test_a_bad_workbook_is_refused_with_every_bad_cell(db, client, api, commune_user, frozen_now):
    _, token = commune_user
    frozen_now(local(2026, 5, 16, 9, 0))
    values = {code: 90 for code in codes_1534()} | {"CT7": "tám mươi", "CT10": 150, "CT12": None}
    book = _unit_form(api)
    sheet = book["Phụ lục"]
    sheet.append([14, "Chỉ tiêu lạ", "CT99"])
    data = _fill(book, values)
    response = _upload(client, token, data)
    assert response.status_code == 400
    errors = response.get_json()["errors"]
    text = " ".join(errors)
    assert len(errors) == 4, errors
    assert "Ô I8: \"tám mươi\"" in text  # title, subtitle, blank, header, unit line, CT4, CT5, CT7
    assert "từ 0 đến 100" in text and "chưa nhập kết quả" in text and "CT99" in text
    assert db.session.scalar(select(func.count()).select_from(IndicatorReport)) == 0


def test_workbooks_of_another_unit_or_not_excel_are_refused(db, client, api, commune_user, frozen_now):
    _, token = commune_user
    frozen_now(local(2026, 5, 16, 9, 0))
    other = _fill(_unit_form(api, unit="phuong-mui-ne"), {code: 90 for code in codes_1534()})
    assert _upload(client, token, other).status_code == 403
    response = _upload(client, token, b"not a workbook")
    assert response.status_code == 400 and ".xlsx" in response.get_json()["error"]
    empty = Workbook()
    empty.active.append(["Một bảng tính khác"])
    out = io.BytesIO()
    empty.save(out)
    response = _upload(client, token, out.getvalue(), unit=COMMUNE, period="2026-05")
    assert response.status_code == 400 and "dòng tiêu đề" in response.get_json()["error"]
    assert db.session.scalar(select(func.count()).select_from(IndicatorReport)) == 0
