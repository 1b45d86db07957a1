"""Reads kept per PostgreSQL snapshot (workflow/snapshots.py, issue 16): the dashboards' and /overdue's
content and the body of GET /api/v1/tasks are served again while the database cannot have changed,
and never once it has, for another user, another query or another minute.

The PostgreSQL tests need real commits (a request must start its own transaction to get a key), so
they share data committed once for the module; the database is rebuilt after them."""
from __future__ import annotations

import json
import os
import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, text

from tests.conftest import build_database, local

POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
needs_postgres = pytest.mark.skipif(
    not POSTGRES, reason="the key is PostgreSQL's snapshot (pg_current_snapshot); SQLite keeps nothing "
                         "(test_without_a_key_every_request_computes_the_same_answer)")
CSRF = re.compile(r'(name="csrf_token" value=")[^"]+')
KEY = "pg_current_snapshot"
DEADLINE = local(2026, 11, 23, 17, 0)  # the tasks below: due on the 23rd at 17:00 (local)
BEFORE = local(2026, 11, 23, 16, 58, 20)  # not yet late
SAME_MINUTE = local(2026, 11, 23, 16, 58, 50)
NEXT_DAY = local(2026, 11, 24, 8, 0)  # late (not swept yet)


@contextmanager
def statements(app):
    """The SQL statements run while the block runs, in order."""
    from workflow.extensions import db

    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def hook(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", hook)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", hook)


def reads_tasks(statement: str) -> bool:
    return bool(re.search(r"\b(tasks|task_events|task_counts)\b", statement))


def fetch(app, client, path, token=None):
    """(status, body with the per-session CSRF tokens masked, statements run)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with statements(app) as seen:
        response = client.get(path, headers=headers)
    return response.status_code, CSRF.sub(r"\1…", response.get_data(as_text=True)), list(seen)


def signed_in(app, username):
    """A browser signed in as ``username`` (a sign-in valid for days: the tests move the clock)."""
    from tests.factories import user
    from tests.web_fixtures import web_client
    from workflow.services.users import start_session

    client = web_client(app)
    with app.test_request_context(environ_base=client.environ_base):
        identifier = app.login_manager._session_identifier_generator()
    with app.app_context():
        identity = start_session(user(username), remember=False, now=local(2026, 11, 20, 8, 0),
                                 lifetime=timedelta(days=30))
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"], session["_id"] = identity, True, identifier
    return client


@pytest.fixture(scope="module")
def world(app):
    """Two units' tasks due on the 23rd, committed; the database is rebuilt after the module."""
    from tests.factories import issued_dispatch_with_task
    from workflow.extensions import db

    with app.app_context():
        _, finance = issued_dispatch_with_task(lead="so-tai-chinh", coordinating=(), deadline=DEADLINE, tasks=2,
                                               title="Kiểm kê tài sản công")
        _, building = issued_dispatch_with_task(lead="so-xay-dung", coordinating=(), deadline=DEADLINE,
                                                title="Rà soát quy hoạch xây dựng")
        data = {"finance": [(t.id, t.version) for t in finance], "building": (building.id, building.version)}
        db.session.remove()
    yield data
    app.config["TOKENS"] = build_database(app)


@pytest.fixture()
def kept_pieces(app):
    """The store of the pieces, emptied before and after the test."""
    app.extensions.pop("snapshot_pieces", None)
    yield
    app.extensions.pop("snapshot_pieces", None)


PAGES = [("office", "/"), ("leader", "/"), ("taichinh", "/"), ("office", "/overdue"),
         ("leader", "/overdue?unit=so-tai-chinh&page=1"), ("office", "/overdue?as_of=bad")]
API = [("taichinh", "/api/v1/tasks?per_page=50"), ("office", "/api/v1/tasks?warning=yellow&per_page=20")]


@pytest.fixture()
def builds(monkeypatch):
    """The statements run by each piece's computation (``build``), in the order of the requests."""
    from workflow import snapshots

    kept, runs = snapshots.kept, []

    def spy(parts, build):
        def counted():
            from workflow.extensions import db

            engine = db.session.get_bind()
            seen: list[str] = []
            hook = lambda _c, _cur, statement, *_a: seen.append(statement)  # noqa: E731
            event.listen(engine, "before_cursor_execute", hook)
            try:
                return build()
            finally:
                event.remove(engine, "before_cursor_execute", hook)
                runs.append(seen)

        return kept(parts, counted)

    monkeypatch.setattr(snapshots, "kept", spy)
    return runs


@needs_postgres
def test_the_same_request_again_is_served_kept_after_a_key_taken_before_the_content(
        app, world, kept_pieces, frozen_now, tokens, builds):
    """The second identical request (in the same minute) does not compute the piece: fewer statements,
    the same bytes (the warning of a bad query string and its 400 included). On the first, the key is
    the first statement, before the sign-in or token check and every statement of the content."""
    frozen_now(BEFORE)
    clients = {name: signed_in(app, name) for name in ("office", "leader", "taichinh")}
    for who, path in PAGES + API:
        token = tokens[who] if path.startswith("/api/") else None
        client = clients.get(who) if token is None else app.test_client()
        del builds[:]
        first = fetch(app, client, path, token)
        assert len(builds) == 1 and any(reads_tasks(s) for s in builds[0]), (who, path)
        content = builds[0]
        frozen_now(SAME_MINUTE)  # the same minute: the same piece
        second = fetch(app, client, path, token)
        frozen_now(BEFORE)
        assert len(builds) == 1, (who, path)  # served kept
        assert first[0] == second[0] and first[1] == second[1], (who, path)
        assert first[0] == (400 if "bad" in path else 200)
        assert len(second[2]) < len(first[2]) and sum(KEY in s for s in second[2]) == 1
        keys = [i for i, s in enumerate(first[2]) if KEY in s]
        # The key is the request's first statement, before the sign-in or token check (so the user and
        # their unit, which the view finds in the identity map, are read after it too); the content last.
        assert keys == [0], (who, path, first[2][:2])
        at = [i for i in range(1, len(first[2])) if first[2][i:i + len(content)] == content]
        assert at, (who, path)  # the content's statements, together, after the key
        between = first[2][1:at[0]]
        assert between and all("FROM users" in s and not reads_tasks(s) for s in between), between
    status, page, _ = fetch(app, clients["office"], "/overdue?as_of=bad")
    assert status == 400 and "Ngày tính đến không hợp lệ" in page  # the warning, flashed per request


@needs_postgres
def test_a_change_made_elsewhere_shows_at_once(app, world, kept_pieces, frozen_now, tokens):
    """Pieces kept for the office, the leader and a unit; then another user or connection changes the
    data (an event through the API, an extension request and its approval, the sweep, a unit renamed
    in the database, a comment for the office): the next request shows it."""
    from workflow.extensions import db

    frozen_now(BEFORE)
    office, leader = signed_in(app, "office"), signed_in(app, "leader")
    api = app.test_client()

    def look():
        fetch(app, office, "/")  # kept, then served kept
        return (fetch(app, office, "/")[1], fetch(app, office, "/overdue")[1], fetch(app, leader, "/")[1],
                fetch(app, api, "/api/v1/tasks?q=Ki%E1%BB%83m+k%C3%AA&per_page=50", tokens["taichinh"])[1])

    def status(listed, task_id):
        return {item["id"]: item["status"] for item in json.loads(listed)["items"]}.get(task_id)

    task_id, version = world["finance"][0]
    other_id = world["finance"][1][0]
    dashboard, overdue, leader_page, listed = look()
    assert "Kiểm kê tài sản công 1" in dashboard and "Bắt đầu thực hiện" not in dashboard
    # An event through the API by the unit: the timeline and the JSON show it at once.
    answer = api.post(f"/api/v1/tasks/{task_id}/events", json={"event": "start", "version": version},
                      headers={"Authorization": f"Bearer {tokens['taichinh']}"})
    assert answer.status_code == 200
    dashboard, overdue, leader_page, listed = look()
    assert "Bắt đầu thực hiện" in dashboard and status(listed, task_id) == "in_progress"
    # An extension requested by the unit, then approved by the office (another connection each time).
    from tests.factories import user
    from workflow.services.tasks import fire_event

    with app.app_context():
        fire_event(user("taichinh"), task_id, "request_extension", version=version + 1, now=BEFORE,
                   deadline=local(2027, 1, 15, 17, 0), note="Chờ số liệu")
        db.session.remove()
    dashboard = look()[0]
    assert "đề nghị đến 15/01/2027 17:00" in dashboard
    with app.app_context():
        fire_event(user("office"), task_id, "approve_extension", version=version + 2, now=BEFORE)
        db.session.remove()
    dashboard = look()[0]
    assert "đề nghị đến 15/01/2027" not in dashboard and "Không có đề nghị gia hạn nào đang chờ." in dashboard
    # The next day the other tasks are late; the sweep marks them overdue: the timeline and the JSON show it.
    frozen_now(NEXT_DAY)
    dashboard, overdue, leader_page, listed = look()
    assert "Kiểm kê tài sản công 2" in overdue and status(listed, other_id) == "assigned"
    from workflow.services.tasks import sweep

    with app.app_context():
        assert sweep(NEXT_DAY) >= 2
        db.session.remove()
    dashboard, overdue, leader_page, listed = look()
    assert "Chuyển quá hạn" in dashboard and status(listed, other_id) == "overdue"
    # A unit renamed in the database by another connection: every piece naming it changes.
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE units SET name = 'Sở Tài chính (đã đổi tên)' WHERE code = 'so-tai-chinh'"))
    dashboard, overdue, leader_page, listed = look()
    assert "Sở Tài chính (đã đổi tên)" in overdue and "Sở Tài chính (đã đổi tên)" in leader_page
    # A comment naming the office: the bell, drawn per request around a kept piece, counts it.
    bell = re.compile(r'aria-label="Thông báo: (\d+) chưa đọc"')
    before = int(bell.search(fetch(app, office, "/")[1]).group(1))
    from workflow.services.comments import add_comment

    with app.app_context():
        add_comment(user("taichinh"), task_id, "Gửi @van-phong-tinh-uy số liệu kiểm kê.", now=NEXT_DAY)
        db.session.remove()
    fetch(app, office, "/")
    assert int(bell.search(fetch(app, office, "/")[1]).group(1)) == before + 1


@needs_postgres
def test_users_of_other_scopes_never_get_each_others_piece(app, world, kept_pieces, frozen_now, tokens):
    """The same query string by two units (API and dashboard), and the same page by the office and the
    leader: each gets its own answer, also when the other's was kept just before."""
    frozen_now(BEFORE)
    api = app.test_client()
    units = {"taichinh": "so-tai-chinh", "xaydung": "so-xay-dung"}
    for first, second in (("taichinh", "xaydung"), ("xaydung", "taichinh")):
        app.extensions.pop("snapshot_pieces", None)
        answers = {}
        for who in (first, second, first, second):
            items = json.loads(fetch(app, api, "/api/v1/tasks?per_page=50", tokens[who])[1])["items"]
            assert items and all(units[who] in [t["lead_unit"]["code"]] + [u["code"] for u in t["coordinating_units"]]
                                 for t in items), who
            assert answers.setdefault(who, items) == items
    pages = {name: signed_in(app, name) for name in ("taichinh", "xaydung", "office", "leader")}
    seen = {}
    for name in ("taichinh", "xaydung", "office", "leader", "taichinh", "xaydung", "office", "leader"):
        body = fetch(app, pages[name], "/")[1]
        assert seen.setdefault(name, body) == body
    assert "Kiểm kê tài sản công" in seen["taichinh"] and "Kiểm kê tài sản công" not in seen["xaydung"]
    assert "Rà soát quy hoạch" in seen["xaydung"] and "Rà soát quy hoạch" not in seen["taichinh"]
    assert "Tổng quan công việc" in seen["office"] and "Tình hình thực hiện nhiệm vụ" in seen["leader"]


@needs_postgres
def test_the_clock_moving_on_recomputes_with_the_database_unchanged(app, world, kept_pieces, frozen_now, tokens):
    """With nothing written, a later minute gives a new piece: once the deadline (17:00) has passed (for
    the minute the answer is computed for), the task is on /overdue and late in the API list, and the
    pages show the new time; the next day too."""
    from tests.factories import issued_dispatch_with_task
    from workflow.extensions import db

    due = local(2026, 11, 25, 17, 0)
    with app.app_context():
        task_id = issued_dispatch_with_task(lead="so-xay-dung", coordinating=(), deadline=due,
                                            title="Tổng kết công tác quy hoạch")[1].id
        db.session.remove()
    office, api = signed_in(app, "office"), app.test_client()
    # Computed for the minute shown: at 17:00:30 the page is "as of 17:00", when the task was not late yet.
    for at, late in ((due - timedelta(seconds=100), False), (due - timedelta(seconds=80), False),
                     (due + timedelta(seconds=30), False), (due + timedelta(seconds=90), True),
                     (due + timedelta(hours=15), True)):
        frozen_now(at)
        overdue, dashboard = fetch(app, office, "/overdue")[1], fetch(app, office, "/")[1]
        listed = json.loads(fetch(app, api, "/api/v1/tasks?q=T%E1%BB%95ng+k%E1%BA%BFt&per_page=50",
                                  tokens["xaydung"])[1])["items"]
        assert [t["late"] for t in listed if t["id"] == task_id] == [late], at
        assert ("Tổng kết công tác quy hoạch" in overdue) is late, at
        assert at.strftime("%d/%m/%Y %H:%M") in overdue and at.strftime("%d/%m/%Y %H:%M") in dashboard


@needs_postgres
def test_a_transaction_that_wrote_gets_no_key_and_keeps_nothing(app, db):
    """A request's own writes are not covered by the snapshot's text: no key after one, and a piece whose
    building ran anything but SELECT is not kept."""
    from workflow import snapshots

    with app.test_request_context("/"):
        app.extensions.pop("snapshot_pieces", None)
        assert snapshots.state() is not None  # nothing written yet in this transaction
        built = []

        def savepoint():
            built.append(1)
            db.session.execute(text("SAVEPOINT snap_test"))  # no transaction id, but not a plain read
            return "piece"

        assert snapshots.kept(("t",), savepoint) == snapshots.kept(("t",), savepoint) == "piece"
        assert len(built) == 2 and len(app.extensions["snapshot_pieces"]) == 0
        db.session.execute(text("UPDATE units SET name = name WHERE code = 'so-tai-chinh'"))
        assert snapshots.state() is None
        app.extensions.pop("snapshot_pieces", None)


def test_without_a_key_every_request_computes_the_same_answer(app, client, db, frozen_now, tokens):
    """SQLite has no key (and on PostgreSQL a transaction that wrote has none): every request runs the
    content's statements and answers what the store turned off answers."""
    from tests.factories import issued_dispatch_with_task
    from tests.web_fixtures import sign_in, web_client
    from workflow import snapshots

    issued_dispatch_with_task(lead="so-tai-chinh", coordinating=(), deadline=DEADLINE, title="Kiểm kê kho")
    frozen_now(BEFORE)
    with app.test_request_context("/"):
        assert snapshots.state() is None  # SQLite, or this test's transaction wrote
    answers, configured = {}, app.config.get("SNAPSHOT_PIECES")
    for limit in (0, snapshots.DEFAULT_LIMIT, snapshots.DEFAULT_LIMIT):
        app.config["SNAPSHOT_PIECES"] = limit
        try:
            for who, path in PAGES + API:
                if path.startswith("/api/"):
                    got = fetch(app, client, path, tokens[who])
                else:
                    browser = web_client(app)
                    from tests.factories import user

                    sign_in(browser, user(who))
                    got = fetch(app, browser, path)
                assert any(reads_tasks(s) for s in got[2]), (who, path)
                assert answers.setdefault((who, path), got[:2]) == got[:2], (who, path, limit)
        finally:
            app.config["SNAPSHOT_PIECES"] = configured
    assert "Kiểm kê kho" in answers[("taichinh", "/")][1]


def test_a_piece_is_served_only_for_the_state_it_was_kept_for():
    """The store: a piece of state S is never served for another state (even when an older state comes
    back after a newer one emptied the store), and stays bounded."""
    from workflow.snapshots import Pieces

    store = Pieces(limit=2)
    store.keep("S1", "a", "A of S1")
    assert store.find("S1", "a") == "A of S1" and store.find("S2", "a") is None and store.find("S1", "b") is None
    store.keep("S2", "a", "A of S2")  # a newer state: the older pieces go
    assert store.find("S2", "a") == "A of S2" and store.find("S1", "a") is None and len(store) == 1
    store.keep("S1", "b", "B of S1")  # a reader still at S1 (another thread): kept for S1 only
    assert store.find("S1", "b") == "B of S1" and store.find("S2", "b") is None and store.find("S2", "a") is None
    store.keep("S1", "c", "C")
    store.keep("S1", "d", "D")  # full: emptied, then kept
    assert len(store) == 1 and store.find("S1", "d") == "D" and store.find("S1", "b") is None
