"""Findings 7 and 8 of issue 14: odd dates, numbers and JSON are 400s (never 500s), and a department
cannot tell whether a draft dispatch exists."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from models import Dispatch, Task
from tests.conftest import local

BAD_DATES = ["0001-01-01", "9999-12-31T23:59:59-12:00", "1899-12-31", "2201-01-01T00:00:00+07:00",
             "0001-01-01T00:00:00+14:00"]


def _task_of(db, unit_code: str) -> Task:
    from models import Unit

    return db.session.scalar(select(Task).join(Unit, Unit.id == Task.lead_unit_id).where(
        Unit.code == unit_code, Task.status.in_(("assigned", "in_progress"))).order_by(Task.id))


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("value", BAD_DATES)
def test_task_deadlines_outside_1900_2200_are_400(api, db, value):
    before = _count(db, Task)
    response = api.post("/api/v1/tasks", "office", json={"dispatch": "1775-CV/TU", "title": "Nhiệm vụ thử",
                                                         "lead_unit": "so-tai-chinh", "deadline": value})
    assert response.status_code == 400 and "error" in response.get_json(), response.get_json()
    assert _count(db, Task) == before


@pytest.mark.parametrize("value", BAD_DATES)
def test_list_filters_and_overdue_as_of_outside_1900_2200_are_400(api, value):
    for path in [f"/api/v1/tasks?deadline_from={value}", f"/api/v1/tasks?deadline_to={value}",
                 f"/api/v1/overdue?as_of={value}"]:
        response = api.get(path.replace("+", "%2B"), "office")
        assert response.status_code == 400 and "error" in response.get_json(), (path, response.get_json())


@pytest.mark.parametrize("value", BAD_DATES)
def test_an_extension_request_outside_1900_2200_is_400(api, db, value):
    task = _task_of(db, "so-tai-chinh")
    response = api.post(f"/api/v1/tasks/{task.id}/events", "taichinh",
                        json={"event": "request_extension", "version": task.version, "note": "Xin gia hạn",
                              "deadline": value})
    assert response.status_code == 400, response.get_json()
    db.session.refresh(task)
    assert task.extension_deadline is None


def test_evidence_dates_outside_1900_2200_are_400(api, db):
    task = _task_of(db, "so-tai-chinh")
    response = api.post(f"/api/v1/tasks/{task.id}/events", "taichinh",
                        json={"event": "complete", "version": task.version,
                              "evidence": {"number": "12/BC", "date": "0001-01-01"}})
    assert response.status_code == 400


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00", "9999-12-31T23:59:59-12:00"])
def test_import_confirm_with_a_deadline_outside_1900_2200_is_400(api, db, value):
    before = _count(db, Dispatch)
    draft = {"number": "77-CV/TU", "issuer": "tinh-uy", "issued_on": "2026-11-20", "subject": "Thử",
             "tasks": [{"item": "1", "title": "Việc", "lead_unit": "so-tai-chinh", "deadline": value}]}
    response = api.post("/api/v1/dispatches/import/confirm", "office", json=draft)
    assert response.status_code == 400, response.get_json()
    assert _count(db, Dispatch) == before


def test_register_years_are_bounded(api, db):
    from models import RegisterEntry

    assert api.get("/api/v1/register?year=99999999999999999999", "office").status_code == 400
    assert api.get("/api/v1/register?year=1899", "office").status_code == 400
    assert api.get("/api/v1/register?year=2026", "office").status_code == 200
    before = _count(db, RegisterEntry)
    for year in (0, -1, 1899, 2201, 10**30):
        response = api.post("/api/v1/register", "office", json={"issuer": "tinh-uy", "symbol": "CV/TU",
                                                                "reason": "Giữ số", "year": year})
        error = response.get_json()["error"]
        assert response.status_code == 400 and ("year" in error or "số quá lớn" in error), (year, error)
    assert _count(db, RegisterEntry) == before


def test_json_nested_100000_deep_is_400(api):
    body = "[" * 100_000 + "]" * 100_000
    for path in ["/api/v1/tasks", "/api/v1/dispatches/import/confirm", "/api/v1/indicators/periods"]:
        response = api.client.post(path, data=body, content_type="application/json",
                                   headers={"Authorization": f"Bearer {api.tokens['office']}"})
        assert response.status_code == 400 and "error" in response.get_json(), path


def test_a_lone_surrogate_is_400_and_a_real_pair_still_works(api, db):
    before = _count(db, Task)
    raw = '{"dispatch": "1775-CV/TU", "title": "a\\ud800b", "lead_unit": "so-tai-chinh", "deadline": "2026-12-01"}'
    response = api.client.post("/api/v1/tasks", data=raw, content_type="application/json",
                               headers={"Authorization": f"Bearer {api.tokens['office']}"})
    assert response.status_code == 400 and "error" in response.get_json()
    assert _count(db, Task) == before
    raw = raw.replace("\\ud800", "\\ud83d\\udcc4")  # 📄, a valid pair
    response = api.client.post("/api/v1/tasks", data=raw, content_type="application/json",
                               headers={"Authorization": f"Bearer {api.tokens['office']}"})
    assert response.status_code == 201 and response.get_json()["title"] == "a📄b"


@pytest.mark.parametrize("raw", ["1" + "0" * 400, "1e400", "-1e400", "Infinity", "NaN"])
def test_numbers_too_large_or_not_finite_are_400(api, db, raw):
    body = ('{"unit": "so-tai-chinh", "period": "2026-05", "value": ' + raw + ', "submit": false}')
    response = api.client.post("/api/v1/indicators/CT7/reports", data=body, content_type="application/json",
                               headers={"Authorization": f"Bearer {api.tokens['office']}"})
    assert response.status_code == 400 and "error" in response.get_json(), response.get_json()


def test_a_value_of_ten_to_the_400_is_400_in_the_service_too(db, users, frozen_now):
    from workflow.errors import ValidationError
    from workflow.services import indicators as service

    frozen_now(local(2026, 5, 16, 9, 0))
    with pytest.raises(ValidationError):
        service.save_report(users["office"], indicator_code="CT7", unit_code="xa-lac-duong", period="2026-05",
                            value=10**400, submit=False, now=local(2026, 5, 16, 9, 0))


@pytest.mark.parametrize("catalogue", [{}, [], 5, True])
def test_a_catalogue_that_is_not_text_is_400(api, catalogue):
    response = api.post("/api/v1/indicators/periods", "office", json={"catalogue": catalogue, "period": "2026-05"})
    assert response.status_code == 400 and "error" in response.get_json()
    response = api.post("/api/v1/indicators/periods", "office", json={"period": {"a": 1}})
    assert response.status_code == 400
    response = api.post("/api/v1/documents/indicator-forms", "office",
                        json={"catalogue": catalogue or {"a": 1}, "period": "2026-05"})
    assert response.status_code == 400 and "error" in response.get_json()


@pytest.mark.parametrize("stored", [datetime(1, 1, 1, 0, 0, tzinfo=timezone.utc),
                                    datetime(1, 1, 1, 23, 59, 59, tzinfo=timezone.utc),
                                    datetime(9999, 12, 31, 20, 0, tzinfo=timezone.utc)])
def test_a_stored_year_one_deadline_does_not_break_the_assignment_document(db, users, frozen_now, stored):
    """Rows written before the bounds existed (or by hand) still render."""
    from workflow.services.documents import generate_document

    frozen_now(local(2026, 11, 22, 8, 0))
    dispatch = db.session.scalar(select(Dispatch).where(Dispatch.number == 1534))
    task = dispatch.tasks[0]
    task.deadline = stored
    db.session.flush()
    document = generate_document(users["office"], "assignment", {"dispatch": "1534-CV/TU"},
                                 local(2026, 11, 22, 8, 0))
    assert document.id is not None


# --- finding 8 ---------------------------------------------------------------------------------


def test_a_department_cannot_tell_a_hidden_draft_from_a_missing_dispatch(api, db, users, frozen_now):
    from workflow.services.dispatches import create_dispatch

    draft = create_dispatch(users["office"], issuer="tinh-uy", subject="Bản nháp mật", now=local(2026, 11, 22, 8))
    missing = draft.id + 1000
    hidden = api.get(f"/api/v1/tasks?dispatch={draft.id}", "taichinh")
    absent = api.get(f"/api/v1/tasks?dispatch={missing}", "taichinh")
    assert hidden.status_code == absent.status_code == 400
    assert hidden.get_json()["error"].replace(f'"{draft.id}"', '"#"') == \
        absent.get_json()["error"].replace(f'"{missing}"', '"#"')
    assert set(hidden.get_json()) == set(absent.get_json()) == {"error"}
    # the office still sees its draft's tasks, and a missing dispatch stays a clear refusal for it
    assert api.get(f"/api/v1/tasks?dispatch={draft.id}", "office").status_code == 200
    assert api.get(f"/api/v1/tasks?dispatch={missing}", "office").status_code == 400


@pytest.mark.parametrize("wording", ["trước ngày 31/12/9999", "trước ngày 01/01/0001", "chậm nhất ngày 31/12/2201",
                                     "trong tháng 12/9999", "trong quý IV/9999", "trước 23 giờ 59 phút ngày 31/12/9999"])
def test_absurd_years_in_a_dispatchs_wording_are_refused_not_500(api, db, wording):
    text = ("TỈNH ỦY LÂM ĐỒNG\nSố 903-CV/TU\nV/v thử thời hạn\nLâm Đồng, ngày 20 tháng 11 năm 2026\n"
            f"Kính gửi: Sở Tài chính.\n1. Giao Sở Tài chính rà soát, báo cáo {wording}.\nNơi nhận:\n- Như trên.")
    response = api.post("/api/v1/dispatches/import", "office", data=text.encode(),
                        content_type="text/plain; charset=utf-8")
    assert response.status_code in (200, 422), response.get_json()
    if response.status_code == 200:
        task = response.get_json()["tasks"][0]
        assert task["deadline"] is None or task["deadline"][:4] in {str(y) for y in range(1900, 2201)}
        confirm = api.post("/api/v1/dispatches/import/confirm", "office", json=response.get_json())
        assert confirm.status_code in (201, 400), confirm.get_json()
