"""Holidays are data an admin edits; working-day deadlines follow the edit."""
from datetime import date

from tests.conftest import local
from workflow.services.tasks import resolve_deadline


def test_an_added_holiday_moves_a_working_day_deadline(api, db):
    # Issued Monday 7/12/2026: 10 working days → Monday 21/12/2026.
    before, _, _ = resolve_deadline("trong 10 ngày làm việc kể từ ngày ban hành", date(2026, 12, 7), local(2026, 12, 7))
    assert before.date() == date(2026, 12, 21)
    response = api.post("/api/v1/holidays", "admin", json={"date": "2026-12-10", "name": "Nghỉ đột xuất"})
    assert response.status_code == 201
    after, _, _ = resolve_deadline("trong 10 ngày làm việc kể từ ngày ban hành", date(2026, 12, 7), local(2026, 12, 7))
    assert after.date() == date(2026, 12, 22)
    items = api.get("/api/v1/holidays?year=2026", "taichinh").get_json()["items"]
    assert {"date": "2026-12-10", "name": "Nghỉ đột xuất"} in [{k: i[k] for k in ("date", "name")} for i in items]
    holiday_id = response.get_json()["id"]
    assert api.client.delete(f"/api/v1/holidays/{holiday_id}",
                             headers={"Authorization": f"Bearer {api.tokens['office']}"}).status_code == 403
    assert api.client.delete(f"/api/v1/holidays/{holiday_id}",
                             headers={"Authorization": f"Bearer {api.tokens['admin']}"}).status_code == 200


def test_holiday_refusals(api):
    assert api.post("/api/v1/holidays", "office", json={"date": "2026-12-10", "name": "x"}).status_code == 403
    assert api.post("/api/v1/holidays", "admin", json={"date": "10/12/2026", "name": "x"}).status_code == 400
    assert api.post("/api/v1/holidays", "admin", json={"date": "2026-09-02", "name": "Quốc khánh"}).status_code == 409
    assert api.get("/api/v1/holidays?year=abc", "admin").status_code == 400
