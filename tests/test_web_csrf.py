"""Sign-in, sign-out and every form with and without its CSRF token.

The test configuration keeps WTF_CSRF_ENABLED on; tokens are read from the rendered
forms the way a browser sends them. A form without a valid token answers 400 with a
Vietnamese page and changes nothing.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from models import Dispatch, Task, TaskEvent, User
from tests.conftest import PASSWORD
from tests.web_fixtures import csrf_token_from, login, sign_in, web, web_client  # noqa: F401

CSRF_MESSAGE = "thiếu mã bảo mật"


@pytest.fixture()
def lead_task(db):
    return db.session.scalar(select(Task).join(Dispatch).where(Dispatch.number == 1534, Task.item == "2.a"))


def signed_in(web, users, username):
    sign_in(web, users[username])
    return csrf_token_from(web.get("/account/password").get_data(as_text=True))


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- Sign-in --------------------------------------------------------------------------------

def test_login_page_has_the_fields_the_design_names(web):
    page = web.get("/login").get_data(as_text=True)
    assert "<title>Đăng nhập" in page
    for name in ('name="username"', 'name="password"', 'name="csrf_token"', 'name="remember"'):
        assert name in page
    remember = re.search(r'<input[^>]*name="remember"[^>]*>', page).group(0)
    assert "checked" not in remember, "remember me is off by default"


def test_login_without_csrf_is_refused(web):
    response = web.post("/login", data={"username": "office", "password": PASSWORD})
    assert response.status_code == 400
    assert CSRF_MESSAGE in response.get_data(as_text=True)
    assert web.get("/").status_code == 302  # still anonymous


def test_login_with_a_forged_token_is_refused(web):
    web.get("/login")
    response = web.post("/login", data={"username": "office", "password": PASSWORD, "csrf_token": "gia-mao"})
    assert response.status_code == 400


def test_login_with_csrf_signs_in_with_safe_cookies_and_no_remember_me(web):
    response = login(web, "office")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert not any(c.startswith("remember_token=") for c in cookies), "remember me is off unless ticked"
    page = web.get("/")
    assert page.status_code == 200 and "Tổng quan công việc" in page.get_data(as_text=True)


def test_remember_me_when_ticked(web):
    token = csrf_token_from(web.get("/login").get_data(as_text=True))
    response = web.post("/login", data={"username": "leader", "password": PASSWORD, "remember": "y",
                                           "csrf_token": token})
    assert response.status_code == 302
    remember = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0]


def test_wrong_password_and_unknown_user_get_the_same_vietnamese_answer(web):
    wrong = login(web, "office", "sai-mat-khau-1")
    unknown = login(web, "khong-co-ai", "sai-mat-khau-1")
    assert wrong.status_code == unknown.status_code == 401
    for response in (wrong, unknown):
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.get_data(as_text=True)


def test_user_names_are_case_insensitive(web):
    assert login(web, "OFFICE").status_code == 302


def test_next_goes_back_to_the_page_but_never_to_another_site(web):
    first = web.get("/tasks?status=overdue")
    assert first.status_code == 302 and "next=" in first.headers["Location"]
    page = web.get(first.headers["Location"]).get_data(as_text=True)
    token = csrf_token_from(page)
    assert 'value="/tasks?status=overdue"' in page
    response = web.post("/login", data={"username": "office", "password": PASSWORD, "csrf_token": token,
                                           "next": "/tasks?status=overdue"})
    assert response.headers["Location"] == "/tasks?status=overdue"
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        other = web_client(web.application)
        token = csrf_token_from(other.get("/login").get_data(as_text=True))
        response = other.post("/login", data={"username": "office", "password": PASSWORD, "csrf_token": token,
                                              "next": evil})
        assert response.headers["Location"] == "/", evil


def test_deactivated_user_cannot_sign_in_and_loses_the_session(web, db, users):
    sign_in(web, users["xaydung"])
    assert web.get("/").status_code == 200
    users["xaydung"].active = False
    db.session.commit()
    assert web.get("/").status_code == 302  # the session no longer counts
    response = login(web_client(web.application), "xaydung")
    assert response.status_code == 401


# --- Sign-out -------------------------------------------------------------------------------

def test_logout_is_a_post_with_csrf(web, users):
    token = signed_in(web, users, "office")
    assert web.get("/logout").status_code == 405
    refused = web.post("/logout")
    assert refused.status_code == 400
    assert web.get("/").status_code == 200  # still signed in
    response = web.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert web.get("/").status_code == 302


# --- Forms that change state ----------------------------------------------------------------

def test_task_action_without_csrf_changes_nothing(web, db, users, lead_task, frozen_now):
    token = signed_in(web, users, "danguy")
    version, events = lead_task.version, count(db, TaskEvent)
    refused = web.post(f"/tasks/{lead_task.id}/events/start", data={"version": version})
    assert refused.status_code == 400 and CSRF_MESSAGE in refused.get_data(as_text=True)
    db.session.refresh(lead_task)
    assert (lead_task.status, lead_task.version, count(db, TaskEvent)) == ("assigned", version, events)
    done = web.post(f"/tasks/{lead_task.id}/events/start", data={"version": version, "csrf_token": token})
    assert done.status_code == 303
    db.session.refresh(lead_task)
    assert (lead_task.status, lead_task.version, count(db, TaskEvent)) == ("in_progress", version + 1, events + 1)


def test_create_dispatch_without_csrf_creates_nothing(web, db, users, frozen_now):
    token = signed_in(web, users, "office")
    data = {"issuer": "tinh-uy", "symbol": "CV/TU", "subject": "V/v thử CSRF"}
    before = count(db, Dispatch)
    assert web.post("/dispatches/new", data=data).status_code == 400
    assert count(db, Dispatch) == before
    assert web.post("/dispatches/new", data={**data, "csrf_token": token}).status_code == 302
    assert count(db, Dispatch) == before + 1


def test_add_task_and_issue_without_csrf_change_nothing(web, db, users, frozen_now):
    from workflow.services.dispatches import create_dispatch

    token = signed_in(web, users, "office")
    draft = create_dispatch(users["office"], issuer="tinh-uy", subject="Dự thảo", now=frozen_now.current())
    task = {"title": "Nhiệm vụ", "lead_unit": "so-tai-chinh", "deadline_text": "trước ngày 31/12/2026"}
    tasks = count(db, Task)
    assert web.post(f"/dispatches/{draft.id}/tasks", data=task).status_code == 400
    assert count(db, Task) == tasks
    assert web.post(f"/dispatches/{draft.id}/tasks", data={**task, "csrf_token": token}).status_code == 302
    assert count(db, Task) == tasks + 1
    assert web.post(f"/dispatches/{draft.id}/issue", data={}).status_code == 400
    db.session.refresh(draft)
    assert draft.status == "draft"
    assert web.post(f"/dispatches/{draft.id}/issue", data={"csrf_token": token}).status_code == 302
    db.session.refresh(draft)
    assert draft.status == "issued" and draft.number is not None


def test_change_password_without_csrf_changes_nothing(web, users):
    token = signed_in(web, users, "leader")
    data = {"old_password": PASSWORD, "new_password": "Mat-khau-moi-9", "confirm": "Mat-khau-moi-9"}
    assert web.post("/account/password", data=data).status_code == 400
    assert users["leader"].check_password(PASSWORD)
    assert web.post("/account/password", data={**data, "csrf_token": token}).status_code == 302
    assert users["leader"].check_password("Mat-khau-moi-9")


@pytest.mark.parametrize("action, data", [
    ("deactivate", {}),
    ("reset-password", {"new_password": "Mat-khau-moi-7"}),
])
def test_admin_actions_without_csrf_change_nothing(web, db, users, action, data):
    token = signed_in(web, users, "admin")
    target = users["xaydung"]
    assert web.post(f"/admin/users/{target.id}/{action}", data=data).status_code == 400
    db.session.refresh(target)
    assert target.active and target.check_password(PASSWORD)
    assert web.post(f"/admin/users/{target.id}/{action}", data={**data, "csrf_token": token}).status_code == 303
    db.session.refresh(target)
    assert (not target.active) if action == "deactivate" else target.check_password("Mat-khau-moi-7")


def test_admin_create_user_without_csrf_creates_nothing(web, db, users):
    token = signed_in(web, users, "admin")
    data = {"username": "chuyenvien", "full_name": "Chuyên viên mới", "role": "department",
            "unit": "so-y-te", "password": "Mat-khau-moi-5"}
    before = count(db, User)
    assert web.post("/admin/users", data=data).status_code == 400
    assert count(db, User) == before
    assert web.post("/admin/users", data={**data, "csrf_token": token}).status_code == 303
    assert count(db, User) == before + 1
