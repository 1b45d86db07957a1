"""A bearer token is checked against the database on every API request (issue 16: its user is read
in Core and nothing is kept between requests), so revoking it, locking its user, changing the user's
role or unit take effect on the very next request, events included; and a request that sends a token
neither verifies nor writes the browser's session cookie."""
from __future__ import annotations

from sqlalchemy import func, select

from models import TaskEvent
from tests.test_api import new_task
from tests.web_fixtures import sign_in


def report(api, user, task):
    version = api.get(f"/api/v1/tasks/{task['id']}", "office").get_json()["version"]
    return api.post(f"/api/v1/tasks/{task['id']}/events", user,
                    json={"event": "report", "version": version, "note": "Tiến độ"})


def admin(db):
    from models import User

    return db.session.scalar(select(User).where(User.username == "admin"))


def as_a_new_request(db) -> None:
    """The test's requests share its session: forget every object, as a server's next request starts
    with none (else the request would act on the very object the change just modified)."""
    db.session.expunge_all()


def history_length(db, task) -> int:
    return db.session.scalar(select(func.count()).select_from(TaskEvent).where(TaskEvent.task_id == task["id"]))


def test_a_revoked_token_fires_no_event_from_its_next_request(api, db):
    from workflow.services.users import revoke_tokens

    task = new_task(api).get_json()
    assert report(api, "taichinh", task).status_code == 200
    assert revoke_tokens("taichinh") == 1
    as_a_new_request(db)
    refused = report(api, "taichinh", task)
    assert refused.status_code == 401
    assert refused.get_json() == {"error": "Cần đăng nhập hoặc token hợp lệ."}
    assert history_length(db, task) == 2  # create, the report before the revocation
    assert api.get("/api/v1/tasks", "taichinh").status_code == 401


def test_locking_an_account_refuses_its_token_at_once_and_opening_it_again_restores_it(api, db):
    from workflow.services.users import activate_user, deactivate_user

    task = new_task(api).get_json()
    assert report(api, "taichinh", task).status_code == 200
    deactivate_user(admin(db), "taichinh")
    as_a_new_request(db)
    assert report(api, "taichinh", task).status_code == 401
    assert api.get("/api/v1/tasks", "taichinh").status_code == 401
    assert history_length(db, task) == 2
    activate_user(admin(db), "taichinh")
    as_a_new_request(db)
    assert report(api, "taichinh", task).status_code == 200


def test_a_new_unit_or_role_applies_to_the_next_request(api, db, users):
    from workflow.services.users import update_user

    finance, building = new_task(api).get_json(), new_task(api, lead_unit="so-xay-dung").get_json()
    assert report(api, "taichinh", finance).status_code == 200
    assert report(api, "taichinh", building).status_code in (403, 404)
    user_id = users["taichinh"].id
    update_user(admin(db), user_id, full_name="taichinh", role="department", unit_code="so-xay-dung")
    as_a_new_request(db)
    assert report(api, "taichinh", finance).status_code in (403, 404)  # no longer its unit's task
    answer = report(api, "taichinh", building)
    assert answer.status_code == 200 and answer.get_json()["history"][-1]["actor"] == "taichinh"
    update_user(admin(db), user_id, full_name="taichinh", role="leader", unit_code=None)
    as_a_new_request(db)
    assert report(api, "taichinh", building).status_code == 403  # a leader sees the task, reports nothing
    assert api.get("/api/v1/tasks?per_page=1", "taichinh").get_json()["total"] == \
        api.get("/api/v1/tasks?per_page=1", "leader").get_json()["total"]  # and now reads every task
    assert history_length(db, finance) == 2 and history_length(db, building) == 2


def test_a_request_with_a_token_leaves_the_cookie_session_alone(app, api, db, users, monkeypatch):
    """The token alone authenticates: the browser's signed-in session (office) is not even verified,
    a bad token is a 401 whatever the cookie, and the session cookie is never rewritten."""
    client = api.client
    sign_in(client, users["office"])
    interface = type(app.session_interface)
    verified = []
    original = interface.get_signing_serializer
    monkeypatch.setattr(interface, "get_signing_serializer",
                        lambda self, app_: verified.append(1) or original(self, app_))
    task = new_task(api).get_json()  # office, by its own token
    verified.clear()
    answer = report(api, "taichinh", task)
    assert answer.status_code == 200 and answer.get_json()["history"][-1]["actor"] == "taichinh"
    assert "Set-Cookie" not in answer.headers
    refused = client.get("/api/v1/tasks", headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401 and "Set-Cookie" not in refused.headers
    assert verified == []  # no request above read the cookie
    by_session = client.get("/api/v1/tasks?per_page=1")  # no token: the session, as before
    assert by_session.status_code == 200 and verified


def test_a_dead_token_gets_its_401_before_any_other_answer(api, db, users):
    """A token used a moment ago, then revoked or its user locked: whatever the request (bad JSON, an
    unknown event, a stale version, a task it cannot see), the answer is the 401 — never a message about
    the request to a caller who is no longer anyone (a guard for any future shortcut on the token)."""
    from workflow.services.users import deactivate_user, revoke_tokens

    task = new_task(api).get_json()
    url = f"/api/v1/tasks/{task['id']}/events"
    assert report(api, "taichinh", task).status_code == 200
    assert report(api, "xaydung", task).status_code in (403, 404)  # its token read too
    revoke_tokens("taichinh")
    deactivate_user(admin(db), "xaydung")
    as_a_new_request(db)
    for user in ("taichinh", "xaydung"):
        for body in ({"event": "report", "version": 1}, {"event": "no-such-event", "version": 2},
                     {"event": "report"}, {"event": "report", "version": "x"}, [1, 2]):
            answer = api.post(url, user, json=body)
            assert answer.status_code == 401, (user, body, answer.get_json())
        assert api.client.post(url, headers={"Authorization": f"Bearer {api.tokens[user]}",
                                             "Content-Type": "application/json"},
                               data=b"{not json").status_code == 401
        assert api.post("/api/v1/tasks/999999999/events", user, json={"event": "report", "version": 1}) \
            .status_code == 401
    assert history_length(db, task) == 2
