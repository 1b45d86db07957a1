"""Authorization matrix of the JSON API: every route × (anonymous, office, department of the unit,
department of another unit, leader, admin). Objects of another unit are not reachable by id."""
from __future__ import annotations

import string

import pytest
from sqlalchemy import select

from models import Dispatch, Task

ROLES = ["anonymous", "office", "department", "other_department", "leader", "admin"]
USERS = {"office": "office", "department": "danguy", "other_department": "taichinh", "leader": "leader",
         "admin": "admin"}


def expect(default, **overrides):
    table = {role: default for role in ROLES}
    table["anonymous"] = 401
    table.update(overrides)
    return table


READ = expect(200)
READ_ALL_ONLY = expect(200, department=403, other_department=403)
OFFICE_WRITE = expect(403, office=201)

# (method, path, json body, expected status per role); {task}, {version}, {document}, {job}, {entry},
# {holiday} are filled in from the fixtures.
MATRIX = [
    ("GET", "/api/v1/openapi.json", None, expect(200, anonymous=200)),  # public description
    ("GET", "/api/v1/dispatches", None, READ),
    ("GET", "/api/v1/dispatches/1534-CV/TU", None, READ),
    ("GET", "/api/v1/dispatches/{draft}", None, expect(404, office=200)),
    ("GET", "/api/v1/tasks", None, READ),
    ("GET", "/api/v1/tasks/{task}", None, expect(200, other_department=404)),
    ("POST", "/api/v1/tasks", {"dispatch": "1534-CV/TU", "title": "Nhiệm vụ thử quyền",
                               "lead_unit": "dang-uy-ubnd-tinh", "deadline": "2026-12-31"}, OFFICE_WRITE),
    ("POST", "/api/v1/tasks/{task}/events", {"event": "start", "version": "{version}"},
     expect(403, department=200, other_department=404)),
    ("POST", "/api/v1/tasks/{task}/events", {"event": "directive", "version": "{version}", "note": "Khẩn trương"},
     expect(403, leader=200, other_department=404)),
    ("POST", "/api/v1/tasks/{task}/events", {"event": "reopen", "version": "{version}", "note": "x"},
     expect(409, other_department=404, department=403, leader=403, admin=403)),
    ("GET", "/api/v1/overdue", None, READ),
    ("GET", "/api/v1/tasks.xlsx?status=assigned", None, READ),
    ("GET", "/api/v1/overdue.xlsx?as_of=2026-11-22", None, READ),
    ("GET", "/api/v1/reminders?unit=dang-uy-ubnd-tinh", None, expect(200, other_department=403)),
    ("GET", "/api/v1/holidays", None, READ),
    ("POST", "/api/v1/holidays", {"date": "2026-12-30", "name": "Nghỉ thử"}, expect(403, admin=201)),
    ("DELETE", "/api/v1/holidays/{holiday}", None, expect(403, admin=200)),
    ("GET", "/api/v1/documents/kinds", None, READ),
    ("GET", "/api/v1/documents", None, READ_ALL_ONLY),
    ("GET", "/api/v1/documents/{document}", None, READ_ALL_ONLY),
    ("GET", "/api/v1/documents/{document}.docx", None, READ_ALL_ONLY),
    ("POST", "/api/v1/documents/preview", {"kind": "overdue_list", "as_of": "2026-11-22"},
     expect(403, office=200, leader=200)),
    ("POST", "/api/v1/documents", {"kind": "reminder", "as_of": "2026-11-22"}, expect(403, office=201)),
    ("POST", "/api/v1/documents/indicator-forms", {"period": "2026-05"}, expect(403, office=202)),
    ("GET", "/api/v1/jobs/{job}", None, READ_ALL_ONLY),
    ("GET", "/api/v1/register", None, READ_ALL_ONLY),
    ("POST", "/api/v1/register", {"issuer": "tinh-uy", "symbol": "CV/TU", "reason": "Giữ số thử"},
     expect(403, office=201)),
    ("POST", "/api/v1/register/{entry}/void", {"reason": "Hủy thử"}, expect(403, office=200)),
    ("POST", "/api/v1/dispatches/import", {"text": "TỈNH ỦY LÂM ĐỒNG\nSố 901-CV/TU\nV/v thử quyền\n"
                                                    "Lâm Đồng, ngày 20 tháng 11 năm 2026\nKính gửi: Sở Tài chính.\n"
                                                    "1. Giao Sở Tài chính rà soát trước ngày 30/11/2026."},
     expect(403, office=200)),
    ("POST", "/api/v1/dispatches/import/confirm", {"number": "901-CV/TU", "issuer": "tinh-uy",
                                                   "issued_on": "2026-11-20", "subject": "V/v thử quyền",
                                                   "tasks": [{"item": "1", "title": "Rà soát",
                                                              "lead_unit": "so-tai-chinh"}]},
     expect(403, office=201)),
    # Indicators (issue 6)
    ("GET", "/api/v1/indicators", None, READ),
    ("GET", "/api/v1/indicators/CT7", None, READ),
    ("GET", "/api/v1/indicators/CT7/reports", None, READ),
    ("POST", "/api/v1/indicators/CT7/reports", {"unit": "van-phong-ubnd-tinh", "period": "2026-05", "value": 85},
     expect(403, office=201)),
    ("GET", "/api/v1/indicators/export.xlsx?period=2026-05", None, READ_ALL_ONLY),
    ("POST", "/api/v1/indicators/import", {}, expect(400, leader=403, admin=403)),
    ("POST", "/api/v1/indicators/periods", {"catalogue": "1534-CV/TU", "period": "2026-05"}, expect(403, office=200)),
    ("GET", "/api/v1/indicators/matrix?period=2026-05", None, READ_ALL_ONLY),
    ("GET", "/api/v1/indicator-reports/{report}", None, expect(200, department=404, other_department=404)),
    ("POST", "/api/v1/indicator-reports/{report}/events", {"event": "accept"}, expect(403, office=200)),
    # The outgoing document's life (issue 13): a reminder submitted to the leader, delivered to Đảng ủy UBND tỉnh
    ("GET", "/api/v1/documents/{lifedoc}/lifecycle", None, READ_ALL_ONLY),
    ("GET", "/api/v1/documents/{lifedoc}/signing.pdf", None, READ_ALL_ONLY),
    ("POST", "/api/v1/documents/{lifedoc}/events", {"event": "submit", "version": 1, "signer": "leader"},
     expect(403, office=409)),
    ("POST", "/api/v1/documents/{lifedoc}/events", {"event": "sign", "version": 1, "passphrase": "sai"},
     expect(403, leader=400)),
    ("POST", "/api/v1/documents/{lifedoc}/events", {"event": "return", "version": 1, "note": "Thử quyền"},
     expect(403, leader=200)),
    ("POST", "/api/v1/documents/{lifedoc}/events", {"event": "issue", "version": 1, "passphrase": "sai"},
     expect(403, office=409)),
    ("POST", "/api/v1/documents/{lifedoc}/signed", None, expect(403, leader=400)),
    ("POST", "/api/v1/signatures/verify", None, expect(400)),
    ("GET", "/api/v1/inbox", None, READ),
    ("GET", "/api/v1/inbox/{inbox}.pdf", None, expect(404, department=200)),
    # Collaboration on a task (issue 15); admin reads every task but takes no part in it.
    ("GET", "/api/v1/tasks/{task}/attachments", None, expect(200, other_department=404)),
    ("POST", "/api/v1/tasks/{task}/attachments", {}, expect(415, admin=403, other_department=404)),
    ("GET", "/api/v1/attachments/{attachment}", None, expect(200, other_department=404)),
    ("GET", "/api/v1/tasks/{task}/comments", None, expect(200, other_department=404)),
    ("POST", "/api/v1/tasks/{task}/comments", {"body": "Ý kiến thử quyền"},
     expect(201, admin=403, other_department=404)),
    ("POST", "/api/v1/tasks/{task}/assignee", {"user": None}, expect(403, department=409, other_department=404)),
    ("GET", "/api/v1/my-tasks", None, READ),
    ("GET", "/api/v1/notifications", None, READ),
    ("POST", "/api/v1/notifications/read", {"all": True}, READ),
    # Issue 15: drafts edited before issue, extensions decided together, the calendar, accounts
    ("PATCH", "/api/v1/dispatches/{draft}", {"subject": "V/v sửa thử quyền"}, expect(404, office=200)),
    ("DELETE", "/api/v1/dispatches/{draft}", None, expect(404, office=200)),
    ("PATCH", "/api/v1/tasks/{drafttask}", {"title": "Sửa thử quyền"}, expect(404, office=200)),
    ("DELETE", "/api/v1/tasks/{drafttask}", None, expect(404, office=200)),
    ("POST", "/api/v1/tasks/extensions", {"tasks": ["{task}"], "event": "approve_extension"},
     expect(403, office=200)),
    ("GET", "/api/v1/calendar?month=2026-12", None, READ),
    ("PATCH", "/api/v1/users/{user}", {"full_name": "Cán bộ thử quyền"}, expect(403, admin=200)),
]
COVERED_ELSEWHERE = {
    "/api/v1/indicators/<code>": "the CT7 rows",
    "/api/v1/indicators/<code>/reports": "the CT7 rows",
    "/api/v1/documents/<int:document_id>.<any(docx, pdf):fmt>": "the .docx row; the .pdf in test_documents_api",
    "/api/v1/jobs/<int:job_id>/result": "test_documents_api (needs a finished job)",
}


class LazyObjects(dict):
    """The objects a row needs, made on first use (a generated document costs a PDF conversion)."""

    def __init__(self, makers):
        super().__init__()
        self.makers = makers

    def __missing__(self, key):
        self[key] = self.makers[key]()
        return self[key]


@pytest.fixture()
def objects(app, db, users, frozen_now, monkeypatch):
    from models import Holiday
    from workflow.services import documents as document_service
    from workflow.services import jobs
    from workflow.services.dispatches import create_dispatch
    from workflow.services.register import reserve

    monkeypatch.setattr(jobs, "start_in_background", lambda app, job_id: None)  # no worker thread in tests
    monkeypatch.setitem(app.config, "DOCUMENT_JOBS", "queue")  # queue the bulk job; do not render 124 forms
    now = frozen_now.current()
    office = users["office"]

    def task():
        return db.session.scalar(select(Task).join(Dispatch).where(Dispatch.number == 1534, Task.item == "2.a"))

    made = {}

    def lifecycle():
        from tests.test_web_access import lifecycle_objects

        if not made:
            made.update(lifecycle_objects(users, now))
        return made

    def draft_task():
        from workflow.services.tasks import create_task

        draft = create_dispatch(office, issuer="tinh-uy", subject="Dự thảo có nhiệm vụ", now=now)
        return create_task(office, dispatch_ref=str(draft.id), title="Việc trong dự thảo", lead_unit="so-tai-chinh",
                           deadline_text="trước ngày 31/12/2026", now=now)

    def indicator_report():
        from workflow.services.indicators import save_report

        return save_report(office, indicator_code="CT7", unit_code="xa-lac-duong", period="2026-05", value=85, now=now)

    def attachment():
        from workflow.services.attachments import add_attachment

        return add_attachment(office, task().id, filename="Công văn đôn đốc.pdf", data=b"%PDF-1.4 thu quyen\n%%EOF",
                              now=now)

    return LazyObjects({
        "task": lambda: task().id,
        "version": lambda: task().version,
        "draft": lambda: create_dispatch(office, issuer="tinh-uy", subject="Dự thảo thử quyền", now=now).id,
        "document": lambda: document_service.generate_document(office, "overdue_list",
                                                               {"as_of": "2026-11-22"}, now).id,
        "job": lambda: document_service.start_indicator_forms(office, period="2026-05", now=now).id,
        "entry": lambda: reserve(office, issuer="tinh-uy", symbol="CV/TU", reason="Giữ số cho ma trận", now=now).id,
        "holiday": lambda: db.session.scalar(select(Holiday).order_by(Holiday.date.desc())).id,
        "report": lambda: indicator_report().id,
        "lifedoc": lambda: lifecycle()["lifedoc"],
        "inbox": lambda: lifecycle()["inbox"],
        "attachment": lambda: attachment().id,
        "drafttask": lambda: draft_task().id,
        "user": lambda: users["xaydung"].id,
    })


def fill(value, objects):
    if isinstance(value, str):
        if value in ("{version}", "{task}"):  # a whole value that is an id: the number itself
            return objects[value[1:-1]]
        return string.Formatter().vformat(value, (), objects)
    if isinstance(value, dict):
        return {k: fill(v, objects) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, objects) for v in value]
    return value


CASES = [(i, role) for i in range(len(MATRIX)) for role in ROLES]


@pytest.mark.parametrize("index,role", CASES, ids=[f"{MATRIX[i][0]} {MATRIX[i][1]} {r}" for i, r in CASES])
def test_api_matrix(client, tokens, objects, index, role):
    method, path, body, expected = MATRIX[index]
    headers = {"Authorization": f"Bearer {tokens[USERS[role]]}"} if role != "anonymous" else {}
    response = client.open(fill(path, objects), method=method, headers=headers,
                           json=fill(body, objects) if body is not None else None)
    assert response.status_code == expected[role], response.get_data(as_text=True)[:300]
    if response.status_code >= 400:
        assert "error" in response.get_json()


def test_every_api_route_is_in_the_matrix(app):
    covered = set()
    for _, path, _, _ in MATRIX:
        rule = path.split("?")[0]
        for name, converter in [("{task}", "<int:task_id>"), ("{document}", "<int:document_id>"),
                                ("{job}", "<int:job_id>"), ("{entry}", "<int:entry_id>"),
                                ("{holiday}", "<int:holiday_id>"), ("{report}", "<int:report_id>"),
                                ("{lifedoc}", "<int:document_id>"), ("{inbox}", "<int:item_id>"),
                                ("{attachment}", "<int:attachment_id>"),
                                ("{drafttask}", "<int:task_id>"), ("{user}", "<int:user_id>"),
                                ("{draft}", "<int:dispatch_id>")]:
            rule = rule.replace(name, converter)
        covered.add(rule)
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.rule in COVERED_ELSEWHERE:
            continue
        if rule.rule == "/api/v1/dispatches/<path:ref>":
            continue  # /dispatches/1534-CV/TU and /dispatches/{draft}
        if rule.rule == "/api/v1/documents/<int:document_id>.<any(docx, pdf):fmt>":
            continue
        if rule.rule not in covered:
            missing.append(rule.rule)
    assert not missing, f"API routes without access tests: {missing}"
