"""The JSON API of DESIGN section 7: representations and status codes."""
from __future__ import annotations

import re

import pytest

from tests.conftest import local
from workflow.services.tasks import sweep

ISO_LOCAL = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+07:00$")


def test_anonymous_and_bad_tokens_get_401(api):
    for path in ["/api/v1/dispatches", "/api/v1/tasks", "/api/v1/tasks/1", "/api/v1/overdue"]:
        response = api.get(path)
        assert response.status_code == 401 and "error" in response.get_json()
    response = api.client.get("/api/v1/tasks", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


def test_dispatch_1775_after_seed_and_sweep(api, db, frozen_now):
    response = api.get("/api/v1/dispatches/1775-CV/TU", "leader")
    assert response.status_code == 200
    body = response.get_json()
    assert body["number"] == "1775-CV/TU" and body["issued_on"] == "2026-06-03"
    assert body["issuer"] == {"code": "tinh-uy", "name": "Tỉnh ủy Lâm Đồng"}
    assert body["signing_authority"] == "T/M BAN THƯỜNG VỤ" and body["signer_name"] == "Đặng Hồng Sỹ"
    leads = {t["lead_unit"]["name"] for t in body["tasks"]}
    assert leads == {"Ban Tổ chức Tỉnh ủy", "Văn phòng Tỉnh ủy", "Ủy ban Kiểm tra Tỉnh ủy"}
    for key in ["kind", "subject", "recipients", "distribution", "signer_title", "references", "status"]:
        assert key in body

    assert sweep(local(2026, 11, 22, 8, 0)) == 26
    overdue = api.get("/api/v1/overdue?per_page=500", "leader").get_json()
    assert overdue["total"] == 26
    days = [item["days_late"] for item in overdue["items"]]
    assert days == sorted(days, reverse=True) and days[0] > days[-1]
    first = overdue["items"][0]
    assert first["dispatch"] == "1534-CV/TU" and first["item"] == "2.a" and first["status"] == "overdue"
    quarterly = {i["item"] for i in overdue["items"] if i["dispatch"] == "1775-CV/TU"}
    assert quarterly == {"3.2", "4"}


def test_task_representation(api):
    body = api.get("/api/v1/tasks?dispatch=1534-CV/TU&q=cung cap thong tin", "office").get_json()
    assert body["total"] == 1 and body["page"] == 1 and body["per_page"] == 50
    task = body["items"][0]
    for key in ["id", "dispatch", "item", "title", "lead_unit", "coordinating_units", "deadline", "deadline_text",
                "recurrence", "period", "status", "warning", "version", "completed_at", "on_time", "evidence"]:
        assert key in task
    assert task["deadline"] == "2026-05-09T09:00:00+07:00" and task["warning"] == "red"
    detail = api.get(f"/api/v1/tasks/{task['id']}", "office").get_json()
    assert detail["history"][0]["event"] == "create"
    assert all(ISO_LOCAL.match(h["at"]) for h in detail["history"])


def test_search_ignores_diacritics(api):
    body = api.get("/api/v1/tasks?q=do thi", "office").get_json()
    titles = [t["title"] for t in body["items"]]
    assert "Đề án xây dựng đô thị thông minh" in titles
    assert all("đô thị" in t.lower() for t in titles)


def test_list_filters_and_pagination(api):
    body = api.get("/api/v1/tasks?unit=so-tai-chinh&per_page=2&page=2", "office").get_json()
    assert body["per_page"] == 2 and body["page"] == 2 and len(body["items"]) == 2
    assert body["total"] == 6  # it leads C2.1, C2.2, C2.4, C2.6, C2.9, C2.10 of the key tasks
    assert all(t["lead_unit"]["code"] == "so-tai-chinh" for t in body["items"])
    assert api.get("/api/v1/tasks?per_page=100000", "office").get_json()["per_page"] == 500
    for bad in ["status=done", "unit=khong-co", "page=0", "per_page=abc", "dispatch=9999-CV/XX", "warning=blue",
                "deadline_from=hôm qua"]:
        response = api.get(f"/api/v1/tasks?{bad}", "office")
        assert response.status_code == 400 and response.get_json()["error"], bad


def test_department_sees_only_its_unit(api):
    body = api.get("/api/v1/tasks?per_page=500", "taichinh").get_json()
    assert body["total"] > 0
    for t in body["items"]:
        assert t["lead_unit"]["code"] == "so-tai-chinh" or "so-tai-chinh" in [u["code"] for u in
                                                                              t["coordinating_units"]]
    other = api.get("/api/v1/tasks?unit=dang-uy-ubnd-tinh", "office").get_json()["items"][0]
    assert api.get(f"/api/v1/tasks/{other['id']}", "taichinh").status_code == 404


def new_task(api, **extra):
    body = {"dispatch": "1775-CV/TU", "title": "Tổng hợp báo cáo đánh giá cán bộ quý IV",
            "lead_unit": "so-tai-chinh", "deadline": "2026-12-15T17:00:00+07:00", **extra}
    return api.post("/api/v1/tasks", "office", json=body)


def test_office_creates_a_task_others_cannot(api):
    response = new_task(api, coordinating_units=["so-xay-dung"], product="Báo cáo", person_in_charge="Đ/c Lan")
    assert response.status_code == 201
    task = response.get_json()
    assert task["status"] == "assigned" and task["version"] == 1 and task["dispatch"] == "1775-CV/TU"
    assert task["deadline"] == "2026-12-15T17:00:00+07:00"
    assert task["coordinating_units"] == [{"code": "so-xay-dung", "name": "Sở Xây dựng"}]
    for user in ["taichinh", "leader", "admin"]:
        assert api.post("/api/v1/tasks", user, json={"dispatch": "1775-CV/TU", "title": "x",
                                                     "lead_unit": "so-tai-chinh",
                                                     "deadline": "2026-12-15"}).status_code == 403


def test_create_task_with_deadline_wording(api):
    task = new_task(api, deadline=None, deadline_text="trước ngày 17 hàng tháng").get_json()
    assert task["recurrence"] == "FREQ=MONTHLY;BYMONTHDAY=17"
    assert task["deadline"] == "2026-06-17T00:00:00+07:00"  # first occurrence after 03/6/2026
    assert task["deadline_text"] == "trước ngày 17 hàng tháng"


@pytest.mark.parametrize("body,fragment", [
    ({"title": "x", "lead_unit": "so-tai-chinh", "deadline": "2026-12-01"}, "dispatch"),
    ({"dispatch": "1775-CV/TU", "lead_unit": "so-tai-chinh", "deadline": "2026-12-01"}, "title"),
    ({"dispatch": "1775-CV/TU", "title": "x", "deadline": "2026-12-01"}, "lead_unit"),
    ({"dispatch": "1775-CV/TU", "title": "x", "lead_unit": "so-tai-chinh"}, "thời hạn"),
    ({"dispatch": "1775-CV/TU", "title": "x", "lead_unit": "so-khong-co", "deadline": "2026-12-01"}, "đơn vị"),
    ({"dispatch": "1775-CV/TU", "title": "x", "lead_unit": "so-tai-chinh", "deadline": "mai"}, "deadline"),
    ({"dispatch": "1775-CV/TU", "title": "x", "lead_unit": "so-tai-chinh", "deadline_text": "sớm nhất có thể"},
     "thời hạn"),
    ({"dispatch": "1775-CV/TU", "title": 5, "lead_unit": "so-tai-chinh", "deadline": "2026-12-01"}, "title"),
])
def test_bad_task_input_is_400_and_creates_nothing(api, body, fragment):
    before = api.get("/api/v1/tasks?per_page=1", "office").get_json()["total"]
    response = api.post("/api/v1/tasks", "office", json=body)
    assert response.status_code == 400
    assert fragment.lower() in response.get_json()["error"].lower()
    assert api.get("/api/v1/tasks?per_page=1", "office").get_json()["total"] == before


def test_unknown_dispatch_is_404_and_non_json_is_400(api):
    assert api.post("/api/v1/tasks", "office", json={"dispatch": "9-CV/TU", "title": "x", "lead_unit": "so-tai-chinh",
                                                     "deadline": "2026-12-01"}).status_code == 404
    assert api.get("/api/v1/dispatches/9999-CV/TU", "office").status_code == 404
    response = api.client.post("/api/v1/tasks", data="not json",
                               headers={"Authorization": f"Bearer {api.tokens['office']}"})
    assert response.status_code == 400 and "JSON" in response.get_json()["error"]


def test_events_through_the_api(api, frozen_now):
    task = new_task(api, coordinating_units=["so-xay-dung"]).get_json()
    url = f"/api/v1/tasks/{task['id']}/events"
    started = api.post(url, "taichinh", json={"event": "start", "version": 1})
    assert started.status_code == 200 and started.get_json()["status"] == "in_progress"
    stale = api.post(url, "taichinh", json={"event": "report", "version": 1, "note": "50%"})
    assert stale.status_code == 409
    assert api.post(url, "xaydung", json={"event": "report", "version": 2, "note": "x"}).status_code == 403
    assert api.post(url, "danguy", json={"event": "report", "version": 2, "note": "x"}).status_code == 404
    assert api.post(url, "leader", json={"event": "start", "version": 2}).status_code == 403
    assert api.post(url, "taichinh", json={"event": "start", "version": 2}).status_code == 409
    assert api.post(url, "taichinh", json={"event": "fly", "version": 2}).status_code == 400
    assert api.post(url, "taichinh", json={"event": "complete", "version": 2}).status_code == 400
    assert api.post(url, "taichinh", json={"event": "complete", "version": "2",
                                           "evidence": "x"}).status_code == 400
    done = api.post(url, "taichinh", json={"event": "complete", "version": 2,
                                           "evidence": {"number": "30-BC/STC", "date": "2026-11-20"}})
    body = done.get_json()
    assert done.status_code == 200 and body["status"] == "completed" and body["on_time"] is True
    assert body["evidence"]["number"] == "30-BC/STC" and body["completed_at"] == "2026-11-22T08:00:00+07:00"
    assert [h["event"] for h in body["history"]] == ["create", "start", "complete"]
    assert api.post(url, "office", json={"event": "reopen", "version": 3}).status_code == 400  # needs a reason


def test_each_department_fires_on_its_own_tasks_only_whichever_fires_first(api, frozen_now):
    """The event path keeps its statement per event and permission: one unit's permission never
    serves another unit (each leads one task and coordinates the other's)."""
    tasks = {lead: new_task(api, lead_unit=lead, coordinating_units=[other]).get_json()
             for lead, other in (("so-tai-chinh", "so-xay-dung"), ("so-xay-dung", "so-tai-chinh"))}
    url = {lead: f"/api/v1/tasks/{task['id']}/events" for lead, task in tasks.items()}
    for _ in range(2):  # again, once every statement has been built
        before = {lead: api.get(f"/api/v1/tasks/{t['id']}", "office").get_json()["version"] for lead, t in tasks.items()}
        assert api.post(url["so-tai-chinh"], "xaydung", json={"event": "report", "version": before["so-tai-chinh"],
                                                              "note": "x"}).status_code == 403
        assert api.post(url["so-xay-dung"], "taichinh", json={"event": "report", "version": before["so-xay-dung"],
                                                              "note": "x"}).status_code == 403
        for lead, user in (("so-tai-chinh", "taichinh"), ("so-xay-dung", "xaydung")):
            answer = api.post(url[lead], user, json={"event": "report", "version": before[lead], "note": "tiến độ"})
            assert answer.status_code == 200 and answer.get_json()["version"] == before[lead] + 1
        assert api.post(url["so-tai-chinh"], "xaydung", json={"event": "report", "version": before["so-tai-chinh"] + 1,
                                                              "note": "x"}).status_code == 403
    for lead, task in tasks.items():
        history = api.get(f"/api/v1/tasks/{task['id']}", "office").get_json()["history"]
        assert [h["event"] for h in history] == ["create", "report", "report"]


def test_extension_flow_through_the_api(api, frozen_now):
    task = new_task(api).get_json()
    url = f"/api/v1/tasks/{task['id']}/events"
    asked = api.post(url, "taichinh", json={"event": "request_extension", "version": 1,
                                            "deadline": "2027-01-20", "note": "Chờ số liệu"})
    assert asked.status_code == 200
    assert asked.get_json()["pending_extension"]["deadline"] == "2027-01-20T23:59:59+07:00"
    approved = api.post(url, "office", json={"event": "approve_extension", "version": 2}).get_json()
    assert approved["deadline"] == "2027-01-20T23:59:59+07:00" and approved["pending_extension"] is None
    assert approved["history"][-1]["deadline_before"] == "2026-12-15T17:00:00+07:00"


def test_overdue_as_of_and_late_before_the_sweep(api):
    body = api.get("/api/v1/overdue?as_of=2026-07-01", "office").get_json()
    items = {(i["dispatch"], i["item"]) for i in body["items"]}
    assert ("1534-CV/TU", "2.a") in items and ("1640-CV/BTCTU", "1") in items
    assert all(i["warning"] == "red" for i in body["items"])
    assert api.get("/api/v1/overdue?as_of=yesterday", "office").status_code == 400


def test_session_writes_need_csrf(app, db, client):
    from tests.conftest import PASSWORD

    with client.session_transaction() as session:
        from sqlalchemy import select

        from models import User

        from datetime import timedelta

        from workflow import clock
        from workflow.services.users import start_session

        office = db.session.scalar(select(User).where(User.username == "office"))
        session["_user_id"] = start_session(office, remember=False, now=clock.utcnow(), lifetime=timedelta(hours=1))
        session["_fresh"] = True
    assert client.get("/api/v1/dispatches").status_code == 200
    response = client.post("/api/v1/tasks", json={"dispatch": "1775-CV/TU", "title": "x",
                                                  "lead_unit": "so-tai-chinh", "deadline": "2026-12-01"})
    assert response.status_code == 400 and "CSRF" in response.get_json()["error"]
    assert PASSWORD


def test_unknown_api_route_is_json_404(api):
    response = api.get("/api/v1/nothing-here", "office")
    assert response.status_code == 404 and response.get_json() == {"error": "Không tìm thấy."}


def test_the_event_statement_is_kept_by_everything_the_permission_reads():
    """The event path keeps its first statement per ``permissions.fire_condition_inputs``: the
    condition must read nothing of the user beyond that key, and equal keys give equal conditions."""
    from itertools import product

    from sqlalchemy.dialects import postgresql

    from workflow import permissions
    from workflow.statemachine import TASK_EVENTS

    class Recording:
        def __init__(self, **values):
            object.__setattr__(self, "_values", values)
            object.__setattr__(self, "read", set())

        def __getattr__(self, name):
            self.read.add(name)
            return self._values[name]

    def sql(condition):
        if isinstance(condition, bool):
            return condition
        compiled = condition.compile(dialect=postgresql.dialect())
        return str(compiled), tuple(sorted(compiled.params.items()))

    seen: dict = {}
    for event, role, unit_id, active, signed_in, other in product(
            TASK_EVENTS + ["nope"], ["office", "leader", "department", "admin"], [None, 3, 4], [True, False],
            [True, False], ["a", "b"]):
        user = Recording(role=role, unit_id=unit_id, active=active, is_authenticated=signed_in, id=7,
                         username=other, full_name=other)
        condition = sql(permissions.fire_condition(user, event))
        assert user.read <= {"role", "unit_id", "active", "is_authenticated"}, user.read
        key = permissions.fire_condition_inputs(user, event)
        assert seen.setdefault(key, condition) == condition, key
    assert len({v for v in seen.values() if isinstance(v, tuple)}) >= 3  # a unit's condition differs by unit
