"""What every page pays besides its content (issue 16), kept without changing what anyone sees or
may do: the session cookie verified once per distinct cookie, the navigation bar kept per user kind
and path, the sign-in check in one statement (workflow/page_overhead.py, workflow/web/filters.py:
layout_nav, workflow/services/users.py: user_for_session)."""
from __future__ import annotations

import re
import time

import pytest

from tests.conftest import PASSWORD
from tests.web_fixtures import WebClient, csrf_token_from, sign_in, web_client

NAV = re.compile(r'<nav class="app-nav.*?</nav>', re.S)


def _session_cookie(app, username: str) -> str:
    """A real sign-in through /login, then the first page (which shows the greeting kept in the
    session): the session cookie the browser holds from then on."""
    client = web_client(app)
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "username": username, "password": PASSWORD})
    assert response.status_code == 302
    response = client.get("/")
    assert response.status_code == 200
    cookie = next(h.split(";", 1)[0].partition("=")[2] for h in response.headers.getlist("Set-Cookie")
                  if h.startswith("session="))
    assert app.session_interface.get_signing_serializer(app).loads(cookie).keys() >= {"_user_id", "csrf_token"}
    assert "_flashes" not in app.session_interface.get_signing_serializer(app).loads(cookie)
    return cookie


def _status_with(app, cookie: str) -> int:
    """GET /account/password from a browser holding only this session cookie: 200 signed in, 302 not."""
    browser = WebClient(app, app.response_class, use_cookies=False)
    return browser.get("/account/password", headers={"Cookie": f"session={cookie}"}).status_code


def test_a_kept_session_cookie_is_refused_once_changed_expired_or_under_another_key(app, db, frozen_now,
                                                                                     monkeypatch):
    cookie = _session_cookie(app, "office")
    assert _status_with(app, cookie) == 200
    assert _status_with(app, cookie) == 200  # the second time from what was kept
    payload, stamp, signature = cookie.rsplit(".", 2)
    flipped = "A" if signature[-2] != "A" else "B"
    for forged in (f"{payload}.{stamp}.{signature[:-2]}{flipped}{signature[-1]}",  # another signature
                   f"{payload[:-1]}{'x' if payload[-1] != 'x' else 'y'}.{stamp}.{signature}",  # another payload
                   f"{payload}.{stamp}.", cookie + "A"):
        assert _status_with(app, forged) == 302, forged
    assert _status_with(app, cookie) == 200

    real = time.time
    lifetime = app.permanent_session_lifetime.total_seconds()
    monkeypatch.setattr(time, "time", lambda: real() + lifetime + 5)  # the cookie's signature too old
    assert _status_with(app, cookie) == 302
    monkeypatch.setattr(time, "time", lambda: real() - 3600)  # signed "in the future"
    assert _status_with(app, cookie) == 302
    monkeypatch.setattr(time, "time", real)
    assert _status_with(app, cookie) == 200

    old_key = app.config["SECRET_KEY"]
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret-key-of-this-installation")
    assert _status_with(app, cookie) == 302, "a new secret key refuses the cookies signed with the old one"
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [old_key])
    assert _status_with(app, cookie) == 200, "unless the old key is kept as a fallback (Flask's rule)"


def test_each_request_gets_its_own_session_from_a_kept_cookie(app, db):
    """A request changing its session (a flashed message, a kept form) changes nothing for the next
    request carrying the same cookie; sessions holding lists are read from the cookie every time."""
    interface = app.session_interface
    serializer = interface.get_signing_serializer(app)
    plain = serializer.dumps({"_user_id": "1.0.x", "_fresh": True, "csrf_token": "abc"})
    listed = serializer.dumps({"_user_id": "1.0.x", "_flashes": [["info", "Xin chào"]]})
    for cookie in (plain, listed):
        with app.test_request_context("/", headers={"Cookie": f"session={cookie}"}):
            from flask import request

            first = interface.open_session(app, request)
            first["csrf_token"] = "changed"
            first.setdefault("_flashes", []).append(["danger", "Lỗi"])
            second = interface.open_session(app, request)
        assert second.get("csrf_token") == ("abc" if cookie == plain else None)
        assert second.get("_flashes", []) == ([] if cookie == plain else [["info", "Xin chào"]])
        assert not second.modified


def test_the_kept_navigation_bar_is_each_users_and_each_pages(app, db, users, frozen_now, monkeypatch):
    """Each page's bar, coming from what was kept for an earlier user or page, equals the bar rendered
    afresh: for each role, two users of one role in different units, the active page, and the leader's
    count of documents waiting for a signature (fails when any of them is left out of the key)."""
    from workflow.kept import Kept
    from workflow.services import outgoing, users as user_service
    from workflow.web import filters

    user_service.create_user("office2", PASSWORD, role="office", unit_code=None, full_name="Người thứ hai")
    waiting: list = []
    monkeypatch.setattr(outgoing, "waiting_for", lambda actor: list(waiting))
    clients = {}
    for name in ("office", "office2", "leader", "admin", "taichinh", "xaydung"):
        clients[name] = web_client(app)
        sign_in(clients[name], users.get(name) or user_service.get_user(name))
    visits = [(name, path) for path in ("/", "/tasks", "/overdue", "/notifications", "/calendar", "/documents",
                                        "/indicators", "/inbox", "/account/password")
              for name in ("office", "office2", "leader", "admin", "taichinh", "xaydung")]
    visits += [("leader", "/tasks"), ("leader", "/account/password")]  # after the leader's count changed
    seen = set()
    for number, (name, path) in enumerate(visits):
        if number == len(visits) - 2:
            waiting.extend(["một", "hai"])
        kept = clients[name].get(path)
        store = filters._NAVS
        monkeypatch.setattr(filters, "_NAVS", Kept(filters.NAV_LIMIT))  # nothing kept: rendered afresh
        fresh = clients[name].get(path)
        monkeypatch.setattr(filters, "_NAVS", store)  # what was kept from the earlier users and pages
        assert kept.status_code == fresh.status_code
        bars = NAV.findall(kept.get_data(as_text=True)), NAV.findall(fresh.get_data(as_text=True))
        assert bars[0] == bars[1], (name, path)
        seen.add(bars[1][0] if bars[1] else "")
    assert any("Văn bản chờ ký (2)" in bar for bar in seen) and any("Văn bản chờ ký (0)" in bar for bar in seen)
    assert any('aria-current="page">Nhiệm vụ quá hạn' in bar for bar in seen)
    assert any("Báo cáo chỉ tiêu của đơn vị" in bar for bar in seen)
    assert len(seen) > 20  # the bars differ by role, unit and page


def test_the_sign_in_check_reads_the_user_and_the_unit_in_one_statement(app, db, users, frozen_now):
    """The layout shows the user's unit on every page: read with the sign-in, not by a second
    statement; a unit renamed shows on the next page."""
    from sqlalchemy import event

    from workflow.extensions import db as database

    office = web_client(app)
    sign_in(office, users["office"])
    office.get("/account/password")
    database.session.expunge_all()  # as in production: every request starts with an empty session
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(database.engine, "before_cursor_execute", listener)
    try:
        page = office.get("/account/password").get_data(as_text=True)
    finally:
        event.remove(database.engine, "before_cursor_execute", listener)
    assert "Văn phòng (giao việc) · Văn phòng Tỉnh ủy" in page
    assert not any(s.lstrip().startswith("SELECT units.") for s in statements), statements
    assert sum("FROM users" in s for s in statements) == 1, statements
    from sqlalchemy import select

    from models import Unit

    database.session.scalar(select(Unit).where(Unit.code == "van-phong-tinh-uy")).name = "Văn phòng Tỉnh ủy (đổi tên)"
    database.session.commit()
    assert "· Văn phòng Tỉnh ủy (đổi tên)" in office.get("/account/password").get_data(as_text=True)


@pytest.mark.parametrize("hook", ["plain", "unhashable"])
def test_hooks_are_run_as_flask_runs_them(app, hook):
    """``ensure_sync`` answered once per function is Flask's own answer."""
    from flask import Flask

    def plain():
        return "x"

    class Unhashable:
        __hash__ = None

        def __call__(self):
            return "y"

    func = plain if hook == "plain" else Unhashable()
    assert app.ensure_sync(func) is Flask.ensure_sync(app, func)
    assert app.ensure_sync(func) is Flask.ensure_sync(app, func)
    assert app.ensure_sync(func)() == func()


def test_the_bell_of_each_units_user_is_their_own_from_statements_built_once(db, frozen_now):
    """The bell's statements of a department's user are built once for every unit (issue 16): each user
    is told of their own unit's news only — the unit, the user and the marker are parameters."""
    from tests.conftest import local
    from tests.factories import issued_dispatch_with_task, user
    from workflow.services import comments, notifications

    now = local(2026, 11, 22, 8, 0)
    _, led = issued_dispatch_with_task(lead="so-tai-chinh", coordinating=("so-xay-dung",), title="Việc của Sở Tài chính",
                                       deadline=local(2026, 11, 24, 17), now=now)
    _, other = issued_dispatch_with_task(lead="ban-to-chuc-tinh-uy", coordinating=(), title="Việc của Ban Tổ chức",
                                         deadline=local(2027, 3, 1, 17), now=now)
    comments.add_comment(user("office"), other.id, "Đề nghị báo cáo tiến độ.", now=now)
    at = local(2026, 11, 22, 9, 0)

    def news(name):
        return sorted((n.kind, n.task_id) for n in notifications.derive(user(name), at) if n.task_id in (led.id, other.id))

    for _ in range(2):  # each user after the others: the statements are shared
        assert news("taichinh") == [("due_soon", led.id), ("new_task", led.id)]
        assert news("xaydung") == [("new_task", led.id)]
        assert news("btc") == [("comment", other.id), ("new_task", other.id)]
        assert news("ubkt") == news("danguy") == []
    notifications.mark_read(user("taichinh"), at, everything=True)
    assert notifications.unread_count(user("taichinh"), local(2026, 11, 22, 10, 0)) == 0
    assert notifications.unread_count(user("btc"), local(2026, 11, 22, 10, 0)) >= 1
