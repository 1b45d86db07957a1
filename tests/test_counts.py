"""The dashboards' task counts (workflow.counts) stay equal to a recount of the tasks after every
kind of change: creation, issue, each event, the sweep, a lead unit moved, a refused change."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Task, Unit
from tests.conftest import local
from tests.factories import NOW, issued_dispatch_with_task, task_in_state, user
from workflow import counts
from workflow.errors import StaleVersion
from workflow.extensions import db
from workflow.services.dispatches import create_dispatch, issue_dispatch
from workflow.services.tasks import create_task, fire_event, sweep


def unit_id(code: str) -> int:
    return db.session.scalar(select(Unit.id).where(Unit.code == code))


def stored(code: str) -> dict[str, tuple[int, int]]:
    """The stored counts of one unit: status -> (tasks, completed on time)."""
    return {status: value for (_, status), value in counts.stored(db.session, lead_unit_id=unit_id(code)).items()}


def assert_exact():
    assert counts.discrepancies(db.session) == []


def test_the_seed_and_the_migration_agree_with_a_recount(db):
    assert_exact()
    total = sum(n for n, _ in counts.stored(db.session).values())
    assert total == db.session.scalar(select(db.func.count()).select_from(Task).where(counts.live_tasks()))
    assert total > 0


def test_draft_tasks_count_only_once_the_dispatch_is_issued(db):
    before = stored("so-y-te")
    office = user("office")
    dispatch = create_dispatch(office, issuer="tinh-uy", subject="V/v đếm nhiệm vụ", now=NOW)
    for i in range(3):
        create_task(office, dispatch_ref=str(dispatch.id), title=f"Việc {i}", lead_unit="so-y-te",
                    deadline=local(2026, 12, 1, 17, 0), now=NOW)
    assert stored("so-y-te") == before
    issue_dispatch(office, str(dispatch.id), now=NOW)
    after = stored("so-y-te")
    assert after["assigned"][0] == before.get("assigned", (0, 0))[0] + 3
    # A task added to the issued dispatch counts at once.
    create_task(office, dispatch_ref=str(dispatch.id), title="Việc thêm", lead_unit="so-y-te",
                deadline=local(2026, 12, 1, 17, 0), now=NOW)
    assert stored("so-y-te")["assigned"][0] == after["assigned"][0] + 1
    assert_exact()


def test_each_event_moves_one_task_between_statuses(db):
    _, task = issued_dispatch_with_task(lead="so-tai-chinh", coordinating=())
    lead, office = user("taichinh"), user("office")
    base = stored("so-tai-chinh")

    def count(status, source=None):
        return (source or stored("so-tai-chinh")).get(status, (0, 0))

    fire_event(lead, task.id, "start", version=task.version, now=NOW)
    assert count("in_progress")[0] == count("in_progress", base)[0] + 1
    assert count("assigned")[0] == count("assigned", base)[0] - 1
    fire_event(lead, task.id, "report", version=task.version, now=NOW, note="Đạt 50%")
    assert count("in_progress")[0] == count("in_progress", base)[0] + 1
    fire_event(lead, task.id, "complete", version=task.version, now=NOW, evidence_note="Báo cáo số 1")
    completed = count("completed", base)
    assert count("completed") == (completed[0] + 1, completed[1] + 1)
    fire_event(office, task.id, "reopen", version=task.version, now=NOW, note="Chưa đạt")
    assert count("completed") == completed
    expected = {**base, "assigned": (count("assigned", base)[0] - 1, 0),
                "in_progress": (count("in_progress", base)[0] + 1, 0)}
    assert stored("so-tai-chinh") == {status: value for status, value in expected.items() if value != (0, 0)}
    assert_exact()


def test_the_events_of_the_matrix_leave_the_counts_exact(db):
    for state in ("assigned", "in_progress", "overdue", "completed"):
        task, now = task_in_state(state, pending_extension=state in ("assigned", "overdue"))
        assert_exact()
    lead, office = user("taichinh"), user("office")
    # overdue -> in_progress by an approved extension; completed late; reopened.
    task, now = task_in_state("overdue", pending_extension=True)
    before = stored("so-tai-chinh")
    fire_event(office, task.id, "approve_extension", version=task.version, now=now)
    assert stored("so-tai-chinh")["overdue"][0] == before["overdue"][0] - 1
    fire_event(lead, task.id, "complete", version=task.version, now=local(2027, 2, 1, 8, 0),
               evidence_note="Xong muộn")
    after = stored("so-tai-chinh")
    assert after["completed"][0] == before.get("completed", (0, 0))[0] + 1
    assert after["completed"][1] == before.get("completed", (0, 0))[1]  # late: not on time
    assert_exact()


def test_a_refused_or_stale_change_leaves_the_counts_as_they_were(db):
    task, now = task_in_state("assigned")
    lead = user("taichinh")
    fire_event(lead, task.id, "start", version=task.version, now=now)
    before = counts.stored(db.session)
    with pytest.raises(StaleVersion):
        fire_event(lead, task.id, "complete", version=1, now=now, evidence_note="x")
    assert counts.stored(db.session) == before
    assert_exact()


def test_the_sweep_moves_its_tasks_to_overdue_in_the_counts(db):
    _, tasks = issued_dispatch_with_task(lead="so-y-te", coordinating=(), tasks=4,
                                         deadline=local(2026, 11, 30, 17, 0))
    before = stored("so-y-te")
    moved = sweep(local(2026, 12, 2, 8, 0), batch_size=3)
    assert moved >= 4
    after = stored("so-y-te")
    assert after["overdue"][0] >= before.get("overdue", (0, 0))[0] + 4
    assert_exact()


def test_moving_a_task_to_another_lead_unit_moves_its_count(db):
    _, task = issued_dispatch_with_task(lead="so-y-te", coordinating=())
    before_yte, before_nv = stored("so-y-te"), stored("so-noi-vu")
    task.lead_unit = db.session.get(Unit, unit_id("so-noi-vu"))
    db.session.commit()
    assert stored("so-y-te").get("assigned", (0, 0))[0] == before_yte["assigned"][0] - 1
    assert stored("so-noi-vu")["assigned"][0] == before_nv.get("assigned", (0, 0))[0] + 1
    assert_exact()


def test_a_tampered_count_is_reported_and_rebuilt(db):
    from models import TaskCount

    row = db.session.scalars(select(TaskCount).where(TaskCount.n > 0)).first()
    row.n += 5
    db.session.flush()
    problems = counts.discrepancies(db.session)
    assert len(problems) == 1 and "bảng đếm" in problems[0]
    counts.rebuild(db.session)
    assert_exact()


@pytest.mark.parametrize("as_of", [local(2026, 11, 22, 8, 0), local(2026, 6, 30, 23, 59), local(2027, 3, 1, 0, 0)])
def test_the_counts_give_the_same_totals_as_counting_the_tasks(db, as_of):
    """The dashboards and the overdue list read totals from the counts; they must equal what
    counting the tasks gives, before and after the sweep, at any as_of."""
    from workflow import queries
    from workflow.web import reads

    office = user("office")
    issued_dispatch_with_task(lead="so-y-te", coordinating=(), tasks=3, deadline=local(2026, 11, 1, 17, 0))

    def department_user():
        return user("taichinh")

    def counted(query):
        return db.session.scalar(select(db.func.count()).select_from(query.order_by(None).subquery()))

    for _ in range(2):  # before and after the sweep
        query, _ = queries.overdue_query(office, as_of)
        units = reads.late_units(office, as_of)
        assert queries.overdue_total(office, as_of) == counted(query)
        assert queries.overdue_total(office, as_of, {row.unit.id: row.late for row in units}) == counted(query)
        assert queries.overdue_total(department_user(), as_of) is None  # counted by the query instead
        by_unit = {row.unit.code: row.late for row in units}
        late = select(Unit.code, db.func.count()).join(Task, Task.lead_unit_id == Unit.id).where(
            queries.late_condition(as_of), queries.live_condition()).group_by(Unit.code)
        assert by_unit == dict(db.session.execute(late).all())
        summary = reads.status_counts(office, as_of)
        assert summary["late"] == counted(queries.task_query(office).where(queries.late_condition(as_of)))
        assert summary["total"] == counted(queries.task_query(office))
        sweep(NOW)
    department = user("taichinh")
    mine = reads.status_counts(department, as_of, lead_unit_id=department.unit_id)
    assert mine["total"] == counted(queries.task_query(department).where(Task.lead_unit_id == department.unit_id))
    assert mine["late"] == counted(queries.task_query(department).where(
        Task.lead_unit_id == department.unit_id, queries.late_condition(as_of)))


@pytest.mark.parametrize("as_of", [local(2026, 11, 22, 8, 0), local(2026, 12, 3, 8, 0)])
def test_list_totals_read_from_the_counts_equal_counting_the_list(db, as_of):
    """Issue 16: the task lists' totals come from the task counts for a user who sees every task
    (by status, unit, warning red or green); each must equal counting the list's rows."""
    from workflow import queries

    office = user("office")
    issued_dispatch_with_task(lead="so-y-te", coordinating=(), tasks=3, deadline=local(2026, 11, 24, 17, 0))
    unit = db.session.get(Unit, unit_id("so-y-te"))
    checked = 0
    for status in (None, "assigned", "in_progress", "overdue", "completed"):
        for warning in (None, "red", "green", "yellow"):
            for lead in (None, unit):
                filters = dict(status=status, unit=lead, warning=warning, now=as_of)
                query = queries.task_query(office, **filters)
                counted = db.session.scalar(select(db.func.count()).select_from(query.order_by(None).subquery()))
                assert queries.task_total(office, query, **filters) == counted, filters
                checked += counted
    assert checked > 0
    department = user("taichinh")
    query = queries.task_query(department, warning="red", now=as_of)
    assert queries.counts_total(department, warning="red", now=as_of) is None  # counted instead
    assert queries.task_total(department, query, warning="red", now=as_of) == db.session.scalar(
        select(db.func.count()).select_from(query.order_by(None).subquery()))
