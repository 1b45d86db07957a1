"""Who may open which page, and who may press which button: the role × page matrix.

Roles: anonymous, office, the department that leads the task (Đảng ủy UBND tỉnh for item
2.a of 1534-CV/TU), a department of another unit (Sở Tài chính), leader, admin. Every
route of the web blueprint must appear here (a test checks it), so a new page cannot
arrive without its row.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Dispatch, Task, TaskEvent
from tests.conftest import local
from tests.web_fixtures import csrf_token_from, sign_in, web_client

ROLES = {
    "anonymous": None,
    "office": "office",
    "department": "danguy",
    "other_department": "taichinh",
    "leader": "leader",
    "admin": "admin",
}


def expect(default=200, **by_role):
    """Expected status for each signed-in role (anonymous visitors are always sent to /login)."""
    return {role: by_role.get(role, default) for role in ROLES if role != "anonymous"}


EVERYONE = expect()
OFFICE_ONLY = expect(403, office=200)
ADMIN_ONLY = expect(403, admin=200)
READ_ALL = expect(200, department=403, other_department=403)

# (page, expected status per role); {task}, {draft} are filled in per test.
PAGES = [
    ("/", EVERYONE),
    ("/dispatches", EVERYONE),
    ("/dispatches?q=kiem+tra&status=issued", EVERYONE),
    ("/dispatches/1534-CV/TU", EVERYONE),
    ("/dispatches/{draft}", expect(404, office=200)),
    ("/dispatches/new", OFFICE_ONLY),
    ("/dispatches/import", OFFICE_ONLY),
    ("/tasks", EVERYONE),
    ("/tasks?unit=dang-uy-ubnd-tinh&status=assigned&sort=status", EVERYONE),
    ("/tasks/{task}", expect(200, other_department=404)),
    ("/overdue", READ_ALL),
    ("/overdue?as_of=2026-07-01", READ_ALL),
    ("/overdue/print", READ_ALL),
    ("/documents", READ_ALL),
    ("/documents?kind=overdue_list", READ_ALL),
    ("/documents/new", expect(403, office=200, leader=200)),
    ("/documents/{document}", READ_ALL),
    ("/documents/{document}.docx", READ_ALL),
    ("/documents/{document}.pdf", READ_ALL),
    ("/documents/indicator-forms", OFFICE_ONLY),
    ("/documents/indicator-forms/{job}", READ_ALL),
    ("/documents/indicator-forms/{job}/progress", READ_ALL),
    ("/documents/indicator-forms/{job}.zip", READ_ALL),
    ("/register", READ_ALL),
    ("/admin/users", ADMIN_ONLY),
    ("/admin/units", ADMIN_ONLY),
    ("/admin/units?kind=commune", ADMIN_ONLY),
    ("/admin/holidays", ADMIN_ONLY),
    ("/account/password", EVERYONE),
    # Indicators (issue 6)
    ("/indicators", EVERYONE),
    ("/indicators/report?unit=xa-lac-duong&period=2026-05", expect(200, department=403, other_department=403)),
    ("/indicators/matrix?period=2026-05", READ_ALL),
    ("/indicators/import", expect(200, leader=403, admin=403)),
    ("/indicators/six-month", EVERYONE),
    ("/indicators/CT7", EVERYONE),
    # The outgoing document's life, signatures, inbox (issue 13)
    ("/documents/{lifedoc}", READ_ALL),
    ("/documents/{lifedoc}/signing.pdf", READ_ALL),
    ("/signatures/waiting", expect(403, leader=200)),
    ("/inbox", EVERYONE),
    ("/inbox/{inbox}", expect(404, department=200)),
    ("/inbox/{inbox}.pdf", expect(404, department=200)),
    ("/signatures/verify", EVERYONE),
    ("/admin/signing", ADMIN_ONLY),
    # Issue 15: editing before issue, accounts
    ("/dispatches/{draft}/edit", OFFICE_ONLY),
    ("/dispatches/{draft}/tasks/{drafttask}/edit", OFFICE_ONLY),
    ("/admin/users/{user}/edit", ADMIN_ONLY),
    ("/calendar?month=2026-12&scope=all", EVERYONE),
    # Collaboration on a task (issue 15)
    ("/my-tasks", EVERYONE),
    ("/notifications", EVERYONE),
    ("/notifications?kind=directive", EVERYONE),
    ("/notifications/settings", EVERYONE),
    ("/notifications/digest", EVERYONE),
    ("/notifications/digest?unit=so-tai-chinh", expect(200, department=403, other_department=200)),
    ("/attachments/{attachment}", expect(200, other_department=404)),
]

# (method path, form data, expected status per role); the CSRF token is always sent.
ACTIONS = [
    ("/tasks/{task}/events/start", {"version": "{version}"},
     expect(403, department=303, other_department=404)),
    ("/tasks/{task}/events/directive", {"version": "{version}", "note": "Đề nghị khẩn trương hoàn thành."},
     expect(403, leader=303, other_department=404)),
    ("/tasks/{task}/events/approve_extension", {"version": "{version}", "deadline": "2027-01-15T17:00"},
     expect(403, office=303, other_department=404)),
    ("/dispatches/new", {"issuer": "tinh-uy", "symbol": "CV/TU", "subject": "V/v thử quyền"},
     expect(403, office=302)),
    ("/dispatches/{draft}/tasks", {"title": "Nhiệm vụ thử quyền", "lead_unit": "so-tai-chinh",
                                   "deadline_text": "trước ngày 31/12/2026"}, expect(403, office=302)),
    ("/dispatches/{draft}/issue", {}, expect(403, office=302)),
    ("/documents/new", {"kind": "overdue_list", "action": "preview"}, expect(403, office=200, leader=200)),
    # A bad period: the office passes the permission check and is told why (no job is started).
    ("/documents/indicator-forms", {"period": "05/2026"}, expect(403, office=400)),
    ("/register/reserve", {"issuer": "tinh-uy", "symbol": "CV/TU", "reason": "Thử quyền"}, expect(403, office=303)),
    ("/register/{entry}/void", {"reason": "Thử quyền"}, expect(403, office=303)),
    ("/admin/users", {"username": "moi", "full_name": "Người mới", "role": "leader", "unit": "",
                      "password": "Mat-khau-moi-1"}, expect(403, admin=303)),
    ("/admin/users/{user}/deactivate", {}, expect(403, admin=303)),
    ("/admin/holidays", {"day": "2026-12-31", "name": "Nghỉ cuối năm"}, expect(403, admin=302)),
    ("/admin/holidays/{holiday}/delete", {}, expect(403, admin=302)),
    ("/admin/users/{user}/activate", {}, expect(403, admin=303)),
    ("/indicators/periods", {"catalogue": "1534-CV/TU", "period": "2026-05"}, expect(403, office=302)),
    ("/indicators/accept", {"catalogue": "1534-CV/TU", "period": "2026-05", "unit": "xa-lac-duong"},
     expect(403, office=302)),
    ("/admin/users/{user}/reset-password", {"new_password": "Mat-khau-moi-2"}, expect(403, admin=303)),
    ("/account/password", {"old_password": "Mat-khau-2026", "new_password": "Mat-khau-moi-3",
                           "confirm": "Mat-khau-moi-3"}, expect(302)),
    ("/account/sign-out-everywhere", {}, expect(302)),  # issue 14: every role ends its own sign-ins
    ("/dispatches/import", {"text": "TỈNH ỦY LÂM ĐỒNG\nSố 902-CV/TU\nV/v thử quyền\n"
                                    "Lâm Đồng, ngày 20 tháng 11 năm 2026\nKính gửi: Sở Tài chính.\n"
                                    "1. Giao Sở Tài chính rà soát trước ngày 30/11/2026."}, expect(403, office=200)),
    ("/dispatches/import/confirm", {"number": "902-CV/TU", "issuer": "tinh-uy", "issued_on": "2026-11-20",
                                    "subject": "V/v thử quyền", "tasks-0-include": "y", "tasks-0-item": "1",
                                    "tasks-0-title": "Rà soát", "tasks-0-lead_unit": "so-tai-chinh"},
     expect(403, office=302)),
    # The outgoing document's life (issue 13): refusals are flashed on the document page (303).
    ("/documents/{lifedoc}/submit", {"version": "1", "signer": "leader"},
     expect(403, office=303)),
    ("/documents/{lifedoc}/sign", {"version": "1", "passphrase": "sai"},
     expect(403, leader=303)),
    ("/documents/{lifedoc}/signed", {"version": "1"}, expect(403, leader=303)),
    ("/documents/{lifedoc}/return", {"version": "1", "note": "Thử quyền"},
     expect(403, leader=303)),
    ("/documents/{lifedoc}/issue", {"version": "1", "passphrase": "sai"},
     expect(403, office=303)),
    ("/signatures/verify", {}, expect(400)),
    ("/admin/signing", {"owner": "user:leader", "passphrase": "x"}, expect(403, admin=400)),
    # Issue 15: editing before issue, accounts
    ("/dispatches/{draft}/edit", {"issuer": "tinh-uy", "symbol": "CV/TU", "subject": "V/v sửa thử quyền"},
     expect(403, office=303)),
    ("/dispatches/{draft}/tasks/{drafttask}/edit", {"title": "Sửa thử quyền", "lead_unit": "so-tai-chinh",
                                                    "deadline_text": "trước ngày 31/12/2026"}, expect(403, office=303)),
    ("/dispatches/{draft}/tasks/{drafttask}/delete", {}, expect(403, office=303)),
    ("/dispatches/{draft}/delete", {}, expect(403, office=303)),
    ("/tasks/bulk", {"action": "approve_extension", "task": "{task}"}, expect(403, office=303)),
    ("/admin/users/{user}/edit", {"full_name": "Cán bộ Sở Xây dựng", "role": "department", "unit": "so-xay-dung"},
     expect(403, admin=303)),
    # Collaboration on a task (issue 15): admin reads every task but takes no part in it.
    ("/tasks/{task}/comments", {"body": "Ý kiến thử quyền"}, expect(303, admin=403, other_department=404)),
    ("/tasks/{task}/attachments", {"purpose": "task"}, expect(400, admin=403, other_department=404)),
    ("/tasks/{task}/assignee", {"person": ""}, expect(403, department=409, other_department=404)),
    ("/notifications/read", {}, expect(303)),
    ("/notifications/settings", {"email": "vanthu@lamdong.gov.vn", "kinds": "directive"}, expect(303)),
]


@pytest.fixture()
def objects(db, users, frozen_now):
    """The task of the matrix, a draft dispatch of the office, and an account to act on."""
    from workflow.services.dispatches import create_dispatch

    task = db.session.scalar(select(Task).join(Dispatch).where(Dispatch.number == 1534, Task.item == "2.a"))
    assert task.lead_unit.code == "dang-uy-ubnd-tinh"
    draft = create_dispatch(users["office"], issuer="tinh-uy", subject="Dự thảo thử quyền", now=frozen_now.current())
    from workflow.services.tasks import create_task

    drafttask = create_task(users["office"], dispatch_ref=str(draft.id), title="Nhiệm vụ trong dự thảo",
                            lead_unit="so-tai-chinh", deadline_text="trước ngày 31/12/2026", now=frozen_now.current())
    from models import Holiday

    holiday = db.session.scalar(select(Holiday).order_by(Holiday.date.desc()))
    documents = document_objects(users, frozen_now.current())
    from workflow.services.attachments import add_attachment

    attachment = add_attachment(users["office"], task.id, filename="Công văn đôn đốc.pdf",
                                data=b"%PDF-1.4 thu quyen\n%%EOF", now=frozen_now.current())
    return {"task": task.id, "version": task.version, "draft": draft.id, "drafttask": drafttask.id,
            "user": users["xaydung"].id, "holiday": holiday.id, "attachment": attachment.id, **documents,
            **lifecycle_objects(users, frozen_now.current())}


def lifecycle_objects(users, now):
    """A draft reminder submitted to the leader (stub files) and its delivery to Đảng ủy UBND tỉnh."""
    from models import Document, DocumentLifecycle, InboxItem, Unit
    from workflow.extensions import db
    from workflow.services import unit_of_work
    from workflow.storage import get_storage, new_key

    with unit_of_work():
        pdf = get_storage().put(new_key("documents", ".pdf"), b"%PDF-1.4 stub", "application/pdf")
        document = Document(kind="reminder", title="Công văn đôn đốc thử quyền",
                            template_name="docs_templates/reminder.docx", template_sha256="0" * 64,
                            data={"params": {"issuer": "tinh-uy", "symbol": "CV/TU"}, "context": {"draft": True}},
                            pdf_key=pdf.key, pdf_sha256=pdf.sha256, created_by_id=users["office"].id, created_at=now)
        db.session.add(document)
        db.session.flush()
        db.session.add(DocumentLifecycle(document_id=document.id, status="submitted", version=1,
                                         signer_id=users["leader"].id, symbol="CV/TU", context={},
                                         external_recipients=[], unsigned_key=pdf.key, unsigned_sha256=pdf.sha256,
                                         issued_key=pdf.key, issued_sha256=pdf.sha256, updated_at=now))
        db.session.flush()
        unit = db.session.scalar(select(Unit).where(Unit.code == "dang-uy-ubnd-tinh"))
        item = InboxItem(document_id=document.id, unit_id=unit.id, delivered_at=now)
        db.session.add(item)
    return {"lifedoc": document.id, "inbox": item.id}


def document_objects(users, now):
    """A document of the archive, a finished bulk job and a reserved number: rows and small files,
    without rendering anything (the pages' behaviour is in tests/test_web_documents.py)."""
    from models import Document
    from workflow.documents import DOCX_TYPE, PDF_TYPE
    from workflow.extensions import db
    from workflow.services import jobs, register, unit_of_work
    from workflow.services.documents import BULK_FORMS_JOB
    from workflow.storage import get_storage, new_key

    office = users["office"]
    with unit_of_work():
        storage = get_storage()
        docx = storage.put(new_key("documents", ".docx"), b"PK stub docx", DOCX_TYPE)
        pdf = storage.put(new_key("documents", ".pdf"), b"%PDF-1.4 stub", PDF_TYPE)
        document = Document(kind="overdue_list", title="Danh sách thử quyền",
                            template_name="docs_templates/overdue_list.docx", template_sha256="0" * 64,
                            data={"params": {}, "context": {}}, docx_key=docx.key, docx_sha256=docx.sha256,
                            pdf_key=pdf.key, pdf_sha256=pdf.sha256, created_by_id=office.id, created_at=now)
        db.session.add(document)
    job = jobs.create(BULK_FORMS_JOB, {"period": "2026-05", "catalogue": "1534-CV/TU", "unit_kind": "commune"},
                      actor=office, now=now, total=2)
    with unit_of_work():
        stored = get_storage().put(new_key("jobs", ".zip"), b"PK stub zip", "application/zip")
        jobs.finish(job.id, key=stored.key, name="bieu-chi-tieu-2026-05.zip", sha256=stored.sha256,
                    size=stored.size, message="Đã tạo")
    entry = register.reserve(office, issuer="tinh-uy", symbol="CV/TU", reason="Thử quyền", now=now)
    return {"document": document.id, "job": job.id, "entry": entry.id}


def client_as(app, users, role):
    client = web_client(app)
    if ROLES[role]:
        sign_in(client, users[ROLES[role]])
    return client


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("path, expected", PAGES, ids=[p for p, _ in PAGES])
def test_page_access(app, users, objects, role, path, expected):
    client = client_as(app, users, role)
    url = path.format(**objects)
    response = client.get(url)
    if role == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")
        return
    assert response.status_code == expected[role], f"{role} GET {url}"
    if response.status_code in (403, 404):
        page = response.get_data(as_text=True)
        assert ("Không có quyền" in page) if response.status_code == 403 else ("Không tìm thấy" in page)


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("path, data, expected", ACTIONS, ids=[a[0] for a in ACTIONS])
def test_action_access(app, db, users, objects, role, path, data, expected):
    client = client_as(app, users, role)
    token = csrf_token_from(client.get("/login" if role == "anonymous" else "/account/password").get_data(as_text=True))
    form = {key: value.format(**objects) for key, value in data.items()}
    url = path.format(**objects)
    events_before = db.session.scalar(select(TaskEvent.id).order_by(TaskEvent.id.desc()).limit(1))
    response = client.post(url, data={**form, "csrf_token": token})
    if role == "anonymous":
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
        return
    assert response.status_code == expected[role], f"{role} POST {url}: {response.get_data(as_text=True)[:300]}"
    if response.status_code in (403, 404) and "/events/" in url:
        events_after = db.session.scalar(select(TaskEvent.id).order_by(TaskEvent.id.desc()).limit(1))
        assert events_after == events_before, "a refused action leaves no history"


def test_signed_in_user_is_sent_from_login_to_the_dashboard(app, users):
    client = client_as(app, users, "leader")
    response = client.get("/login")
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_every_web_route_is_in_the_matrix(app):
    covered = {p.split("?")[0] for p, _ in PAGES} | {a[0] for a in ACTIONS}
    covered = {c.replace("{drafttask}", "<int:task_id>") for c in covered}
    covered = {c.replace("{task}", "<int:task_id>").replace("{draft}", "<int:dispatch_id>")
               .replace("{user}", "<int:user_id>").replace("{holiday}", "<int:holiday_id>") for c in covered}
    covered = {c.replace("{document}", "<int:document_id>").replace("{job}", "<int:job_id>")
               .replace("{entry}", "<int:entry_id>") for c in covered}
    covered = {c.replace("{lifedoc}", "<int:document_id>").replace("{inbox}", "<int:item_id>")
               .replace("{attachment}", "<int:attachment_id>") for c in covered}
    # Routes tested elsewhere (sign-in, sign-out, PDF) or not pages.
    elsewhere = {"/login", "/logout", "/favicon.ico", "/overdue.pdf"}
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("web.") or rule.rule in elsewhere:
            continue
        if rule.rule == "/dispatches/<path:ref>":
            continue  # covered by /dispatches/1534-CV/TU and /dispatches/{draft}
        if rule.rule == "/indicators/<code>":
            continue  # covered by /indicators/CT7
        if rule.rule == "/tasks/<int:task_id>/events/<event>":
            continue  # covered by the /events/ rows
        if rule.rule == "/admin/users/<int:user_id>/<action>":
            continue  # covered by deactivate, activate, reset-password
        if rule.rule == "/documents/<int:document_id>.<any(docx,pdf):fmt>":
            continue  # covered by /documents/{document}.docx and .pdf
        if rule.rule not in covered:
            missing.append(rule.rule)
    assert not missing, f"web routes without access tests: {missing}"
