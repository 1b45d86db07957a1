"""``GET /api/v1/tasks`` computed lean (``workflow/api/task_list.py``, issue 16) answers byte for byte what
the general path (``task_query`` + ``paginate`` + ``task_json`` + ``jsonify``, ``views.task_list_reference``)
answers: every role, filter, page and search, on SQLite and PostgreSQL, with tasks that exercise its
shortcuts (a department's total from the task counts plus the tasks it only coordinates, statements built
once and run with other values, datetimes read without conversion, the coordinating units read with the
page, the orjson encoding)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from tests.conftest import local
from tests.factories import NOW, user
from workflow.api import task_list
from workflow.extensions import db
from workflow.services.dispatches import create_dispatch, issue_dispatch
from workflow.services.tasks import create_task, fire_event

TRICKY = 'Báo cáo "quý" \\ tab\tdòng\nmới \x01 😀 \u2028 </script> Đồng'


@pytest.fixture()
def tasks(api, db, monkeypatch, app):
    """Tasks around the seed's: coordinated by so-tai-chinh and led by others (some of a draft), late
    without the sweep, on the yellow boundary, completed with evidence, with an extension asked, with a
    title the JSON must escape; the clock frozen at ``NOW``."""
    monkeypatch.setitem(app.config, "SNAPSHOT_PIECES", 0)  # every answer computed
    office = user("office")
    issued = create_dispatch(office, issuer="tinh-uy", subject="V/v danh sách nhiệm vụ", now=NOW)
    draft = create_dispatch(office, issuer="tinh-uy", subject="V/v dự thảo", now=NOW)
    made = []

    def task(title, lead, deadline, *, coordinating=(), dispatch=issued, **kw):
        made.append(create_task(office, dispatch_ref=str(dispatch.id), title=title, lead_unit=lead,
                                coordinating=list(coordinating), deadline=deadline, now=NOW, **kw))
        return made[-1]

    task("Thử nghiệm danh sách phối hợp", "so-xay-dung", NOW + timedelta(days=10),
         coordinating=("so-tai-chinh", "dang-uy-ubnd-tinh"))
    task("Thử nghiệm danh sách trễ hạn", "so-xay-dung", NOW - timedelta(hours=5), coordinating=("so-tai-chinh",))
    task("Thử nghiệm danh sách sắp đến hạn", "so-tai-chinh", NOW + timedelta(days=3), coordinating=("so-xay-dung",))
    task("Thử nghiệm danh sách vừa quá", "so-tai-chinh", NOW - timedelta(microseconds=1))
    task("Thử nghiệm danh sách đúng lúc", "ban-to-chuc-tinh-uy", NOW, coordinating=("so-tai-chinh",))
    task("Thử nghiệm danh sách ba ngày", "so-xay-dung", NOW + timedelta(days=3, microseconds=1),
         coordinating=("so-tai-chinh",))
    task(TRICKY, "so-tai-chinh", NOW + timedelta(days=1, seconds=7, microseconds=123456), product="Báo cáo",
         person_in_charge="Giám đốc", authority="UBND tỉnh")
    undated = task("Thử nghiệm danh sách không hạn", "so-xay-dung", NOW + timedelta(days=30),
                   coordinating=("so-tai-chinh",))
    done = task("Thử nghiệm danh sách hoàn thành", "so-xay-dung", NOW + timedelta(days=2), coordinating=("so-tai-chinh",))
    asked = task("Thử nghiệm danh sách gia hạn", "so-tai-chinh", NOW + timedelta(days=1))
    task("Thử nghiệm danh sách dự thảo", "so-xay-dung", NOW - timedelta(days=1), coordinating=("so-tai-chinh",),
         dispatch=draft)
    issue_dispatch(office, str(issued.id), now=NOW)
    from sqlalchemy import update

    from models import Task

    db.session.execute(update(Task).where(Task.id == undated.id).values(deadline=None, deadline_text="Thường xuyên"))
    xaydung = user("xaydung")
    fire_event(xaydung, done.id, "start", version=done.version, now=NOW)
    fire_event(xaydung, done.id, "complete", version=done.version, now=NOW, evidence_number="7-BC/SXD",
               evidence_note=TRICKY)
    fire_event(user("taichinh"), asked.id, "request_extension", version=asked.version, now=NOW,
               deadline=local(2027, 1, 15, 17, 0), note="Chờ ý kiến các sở")
    return {"issued": issued, "draft": draft, "made": made}


def _reference(api, monkeypatch, path, who):
    """The general path's answer to the same request."""
    with monkeypatch.context() as m:
        m.setattr(task_list, "body", lambda *a, **k: None)
        return api.get(path, who)


QUERIES = ["", "per_page=500", "status=assigned", "status=in_progress", "status=overdue", "status=completed",
           "warning=red", "warning=yellow", "warning=green", "status=assigned&warning=red",
           "status=in_progress&warning=green", "status=completed&warning=red", "status=overdue&warning=green",
           "unit=so-tai-chinh", "unit=so-xay-dung", "unit=so-xay-dung&warning=red", "unit=so-tai-chinh&status=assigned",
           "unit=ban-to-chuc-tinh-uy&warning=green", "q=thu nghiem danh sach", "q=thu nghiem danh sach&page=2&per_page=3",
           "q=bao cao quy", "q=danh sach&unit=so-xay-dung", "page=2&per_page=3", "page=3&per_page=7&warning=red",
           "per_page=1", "page=999", "deadline_from=2026-11-22", "deadline_to=2026-11-25T08:00:00+07:00",
           "deadline_from=2026-11-01&deadline_to=2026-12-31&status=assigned", "dispatch=1534-CV/TU",
           "dispatch=1534-CV/TU&status=overdue&per_page=2", "status=bad", "warning=blue", "unit=khong-co", "page=0"]
USERS = ["office", "leader", "taichinh", "xaydung", "btc"]


def test_every_answer_equals_the_general_paths(api, tasks, monkeypatch, frozen_now):
    queries = QUERIES + [f"dispatch={tasks['issued'].reference}", f"dispatch={tasks['issued'].reference}&warning=red",
                         f"dispatch={tasks['draft'].id}"]
    checked = 0
    for now in (NOW, NOW + timedelta(hours=3, minutes=17)):  # the same statements with other values
        frozen_now(now)
        for who in USERS:
            for query in queries:
                path = f"/api/v1/tasks?{query}"
                fast, general = api.get(path, who), _reference(api, monkeypatch, path, who)
                assert (fast.status_code, fast.data) == (general.status_code, general.data), (who, query)
                assert sorted(fast.headers.items()) == sorted(general.headers.items()), (who, query)
                checked += fast.status_code == 200 and fast.get_json()["total"] > 0
    assert checked > 200  # answers with tasks in them


def test_a_departments_total_counts_led_and_coordinated_tasks_once(api, tasks):
    """The total from the task counts (led) plus the coordinated-only tasks: a task both led and
    coordinated counted once, a draft's tasks not at all, and the pages hold exactly that many."""
    from models import Unit, task_coordinating_units
    from sqlalchemy import select

    finance = db.session.scalar(select(Unit.id).where(Unit.code == "so-tai-chinh"))
    own = tasks["made"][2]  # led by so-tai-chinh: it also coordinates it (counted once)
    db.session.execute(task_coordinating_units.insert().values(task_id=own.id, unit_id=finance))
    for query in ["", "warning=red", "status=assigned", "warning=green"]:
        body = api.get(f"/api/v1/tasks?per_page=500&{query}", "taichinh").get_json()
        ids = [t["id"] for t in body["items"]]
        assert body["total"] == len(ids) == len(set(ids)), query
        assert own.id in ids or query in ("warning=red", "warning=green")
        assert tasks["made"][-1].id not in ids  # the draft's
    body = api.get("/api/v1/tasks?per_page=500", "taichinh").get_json()
    coordinated_only = [t for t in body["items"] if t["lead_unit"]["code"] != "so-tai-chinh"]
    assert {t["title"] for t in coordinated_only} >= {"Thử nghiệm danh sách phối hợp", "Thử nghiệm danh sách trễ hạn"}
    red = api.get("/api/v1/tasks?warning=red&per_page=500", "taichinh").get_json()
    # late without the sweep: one led (a microsecond past), two coordinated (five hours, and exactly now is not late)
    assert {"Thử nghiệm danh sách vừa quá", "Thử nghiệm danh sách trễ hạn"} <= {t["title"] for t in red["items"]}
    assert "Thử nghiệm danh sách đúng lúc" not in {t["title"] for t in red["items"]}


def test_the_list_reads_in_few_statements(api, tasks, app):
    """Office: the total (task counts) and the page with its units; a department: the same two; every
    statement a plain ``SELECT``."""
    from workflow.dbtuning import reads_only

    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for who, query, most in [("office", "status=overdue&per_page=50", 3), ("taichinh", "warning=red", 3),
                                 ("leader", "warning=yellow", 3), ("taichinh", "unit=so-tai-chinh", 4)]:
            seen.clear()
            assert api.get(f"/api/v1/tasks?{query}", who).status_code == 200
            ours = [s for s in seen if "tasks" in s or "task_counts" in s or "units" in s or s.startswith("WITH")]
            # (the token's look-up besides; elsewhere than PostgreSQL, the coordinating units apart)
            assert len(ours) <= most - (db.engine.dialect.name == "postgresql"), (who, query, ours)
            # each a plain read for workflow.dbtuning (a top-level WITH is not: the request would end with a
            # ROLLBACK that drops the worker's prepared statements, and its answer would not be kept)
            assert all(reads_only(s) for s in ours), (who, query, [s[:40] for s in ours])
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_the_encoding_equals_jsonify_for_any_text_and_setting(api, tasks, app, monkeypatch):
    path = "/api/v1/tasks?q=bao cao quy tab dong moi"
    fast = api.get(path, "office")
    assert [t["title"] for t in fast.get_json()["items"]] == [TRICKY]
    assert fast.data == _reference(api, monkeypatch, path, "office").data
    assert task_list.encode({"items": [{"title": TRICKY}]}) is not None  # orjson is installed and used
    for name, value in [("ensure_ascii", True), ("compact", False), ("sort_keys", False)]:
        with monkeypatch.context() as m:
            m.setattr(app.json, name, value)
            assert task_list.encode({"a": 1}) is None, name  # settings orjson cannot reproduce: jsonify
            assert api.get(path, "office").data == _reference(api, monkeypatch, path, "office").data, name
    monkeypatch.setattr(task_list, "orjson", None)
    assert api.get(path, "office").data == fast.data
