"""The dashboards' and /overdue's counts read as one text (workflow/web/reads.py: ``summary``,
``overdue_inputs``; issue 16, third round): on PostgreSQL the database folds the task counts, the late
tasks and the units' names into one text per page, and what the pages derive from it is kept per
distinct text (``reads.derived``). These tests check that the text's numbers are the ones counting the
tasks gives (and the rows folded in Python give), and that a change of any input shows on the next page:
a kept piece is never served for other inputs."""
from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import func, select

from models import Task, Unit
from tests.conftest import local
from tests.factories import issued_dispatch_with_task, user
from tests.web_fixtures import sign_in, web  # noqa: F401
from workflow.services.dispatches import create_dispatch
from workflow.services.tasks import create_task, fire_event, sweep

POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
NOW = local(2026, 11, 22, 8, 0)


def _varied_state(db):
    """Tasks in every state the counts tell apart, in several units: late but not swept (assigned and in
    progress), swept overdue, completed on time and late, not yet due, and a draft's task (not live)."""
    office = user("office")
    _, late = issued_dispatch_with_task(lead="so-y-te", coordinating=(), tasks=3, deadline=local(2026, 11, 1, 17, 0))
    sweep(NOW)  # the three are overdue now
    _, unswept = issued_dispatch_with_task(lead="so-y-te", coordinating=(), tasks=2, deadline=local(2026, 11, 20, 17, 0))
    _, mine = issued_dispatch_with_task(lead="so-tai-chinh", coordinating=(), tasks=3,
                                        deadline=local(2026, 11, 21, 17, 0))
    lead = user("taichinh")
    fire_event(lead, mine[0].id, "start", version=mine[0].version, now=local(2026, 11, 10, 8, 0))  # late, in progress
    fire_event(lead, mine[1].id, "start", version=mine[1].version, now=local(2026, 11, 10, 8, 0))
    fire_event(lead, mine[1].id, "complete", version=mine[1].version, now=local(2026, 11, 12, 8, 0),
               evidence_number="1-BC/STC", evidence_date=local(2026, 11, 12, 8, 0).date())  # on time
    fire_event(lead, mine[2].id, "start", version=mine[2].version, now=local(2026, 11, 10, 8, 0))
    fire_event(lead, mine[2].id, "complete", version=mine[2].version, now=NOW,
               evidence_number="2-BC/STC", evidence_date=NOW.date())  # late
    issued_dispatch_with_task(lead="so-xay-dung", coordinating=(), tasks=2, deadline=local(2026, 12, 20, 17, 0))
    draft = create_dispatch(office, issuer="tinh-uy", subject="V/v dự thảo", now=NOW)
    create_task(office, dispatch_ref=str(draft.id), title="Dự thảo quá hạn", lead_unit="so-y-te",
                deadline=local(2026, 10, 1, 17, 0), now=NOW)
    db.session.commit()
    return late, unswept


def _counted(db, at):
    """Per unit code: (open, late, completed, completed on time) by counting the live tasks."""
    from workflow import queries

    live, late = queries.live_condition(), queries.late_condition(at)
    rows = db.session.execute(
        select(Unit.code, func.sum(func.cast(Task.status.in_(("assigned", "in_progress", "overdue")), db.Integer)),
               func.sum(func.cast(late, db.Integer)), func.sum(func.cast(Task.status == "completed", db.Integer)),
               func.sum(func.cast((Task.status == "completed") & Task.on_time.is_(True), db.Integer)))
        .join(Task, Task.lead_unit_id == Unit.id).where(live).group_by(Unit.code)).all()
    return {code: tuple(int(v or 0) for v in values) for code, *values in rows}


def _table(rows):
    return {r.unit.code: (r.open, r.late, r.completed, r.completed_on_time) for r in rows}


@pytest.mark.parametrize("at", [NOW, local(2026, 11, 20, 8, 0), local(2027, 1, 1, 0, 0)])
def test_the_one_text_gives_the_counts_and_units_that_counting_the_tasks_gives(app, db, monkeypatch, at):
    from workflow.web import reads

    _varied_state(db)
    office, leader = user("office"), user("leader")
    assert reads.one_text_reads(office) is POSTGRES and reads.one_text_reads(leader) is POSTGRES
    assert reads.one_text_reads(user("taichinh")) is False  # a department's rows are folded in Python
    with app.test_request_context("/"):
        counts, key, table = reads.summary(office, at)
        rows = table()
        assert _table(rows) == _counted(db, at)
        assert {r.unit.code: r.unit.name for r in rows} == dict(db.session.execute(
            select(Unit.code, Unit.name).where(Unit.code.in_([r.unit.code for r in rows]))).all())
        assert [r.unit.id for r in rows] == sorted(r.unit.id for r in rows)  # the order ties keep
        # The same numbers as the rows read and folded in Python (the path of SQLite and departments).
        monkeypatch.setattr(reads, "one_text_reads", lambda _user: False)
        counts_folded, key_folded, table_folded = reads.summary(office, at)
        assert counts == counts_folded
        assert [(r.unit.id, r.unit.code, r.unit.name, r.open, r.late, r.completed, r.completed_on_time)
                for r in rows] == [(r.unit.id, r.unit.code, r.unit.name, r.open, r.late, r.completed,
                                    r.completed_on_time) for r in table_folded()]
        assert (key[0] == "units") is POSTGRES and key_folded[0] == "rows"
    assert counts["total"] == sum(v[0] + v[2] for v in _counted(db, at).values())
    assert counts["late"] == sum(v[1] for v in _counted(db, at).values()) > 0


@pytest.mark.parametrize("as_of", [NOW, local(2026, 6, 30, 23, 59), local(2027, 3, 1, 0, 0)])
def test_the_overdue_lists_one_text_gives_the_units_total_and_picker_of_the_rows(app, db, monkeypatch, as_of):
    from workflow import queries
    from workflow.web import reads
    from workflow.web.helpers import unit_choices

    _varied_state(db)
    db.session.get(Unit, db.session.scalar(select(Unit.id).where(Unit.code == "so-xay-dung"))).active = False
    db.session.commit()
    office = user("office")
    with app.test_request_context("/overdue"):
        key, parts, choices_key = reads.overdue_inputs(office, as_of)
        units, total = parts()
        choices = reads.unit_choices_of(choices_key, "Tất cả đơn vị")
        query, _ = queries.overdue_query(office, as_of)
        assert total == db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
        assert choices == unit_choices(blank="Tất cả đơn vị")
        assert "so-xay-dung" not in {code for options in choices.values() for code, _ in options}
        monkeypatch.setattr(reads, "one_text_reads", lambda _user: False)
        key_folded, parts_folded, no_key = reads.overdue_inputs(office, as_of)
        units_folded, total_folded = parts_folded()
    assert no_key is None and (choices_key is not None) is POSTGRES
    assert [(r.unit.id, r.unit.code, r.unit.name, r.late) for r in units] == \
        [(r.unit.id, r.unit.code, r.unit.name, r.late) for r in units_folded]
    assert total == total_folded


def _late_units_box(html: str) -> str:
    return html[html.index("Trễ hạn theo đơn vị"):]


def test_a_change_of_any_input_shows_on_the_next_page_never_a_kept_piece(app, db, web, frozen_now):
    """The pieces kept per text (the late units of the office, the leader's table and chart, /overdue's units
    and picker) follow every change: a unit renamed or made inactive, a late task completed, a task moved."""
    late, _ = _varied_state(db)
    frozen_now(NOW)
    sign_in(web, user("office"))
    page, overdue = _html(web.get("/")), _html(web.get("/overdue"))
    assert "Sở Y tế" in _late_units_box(page) and "Sở Y tế" in overdue
    assert _html(web.get("/")) == page  # (same inputs, same page: kept pieces served)
    yte = db.session.scalar(select(Unit).where(Unit.code == "so-y-te"))
    yte.name = "Sở Y tế (đổi tên)"
    db.session.commit()
    page2, overdue2 = _html(web.get("/")), _html(web.get("/overdue"))
    assert "Sở Y tế (đổi tên)" in _late_units_box(page2) and "Sở Y tế (đổi tên)</a>" in overdue2
    assert "Sở Y tế (đổi tên)</option>" in overdue2
    badge = re.compile(r'Sở Y tế \(đổi tên\)</a>\s*<span class="badge[^>]*>(\d+)</span>')
    before = int(badge.search(page2).group(1))
    late[0].lead_unit = db.session.scalar(select(Unit).where(Unit.code == "so-noi-vu"))
    db.session.commit()
    page3, overdue3 = _html(web.get("/")), _html(web.get("/overdue"))
    assert int(badge.search(page3).group(1)) == before - 1
    assert "Sở Nội vụ" in _late_units_box(page3) and "Sở Nội vụ" in overdue3
    yte.active = False
    db.session.commit()
    assert "Sở Y tế (đổi tên)</option>" not in _html(web.get("/overdue"))
    sign_in(web, user("leader"))
    leader = _html(web.get("/"))
    assert "Sở Y tế (đổi tên)" in leader and "Sở Nội vụ" in leader
    yte.name = "Sở Y tế"
    db.session.commit()
    assert "Sở Y tế (đổi tên)" not in _html(web.get("/"))


OVERDUE_PATHS = ["/overdue", "/overdue?page=2", "/overdue?page=99", "/overdue?unit=so-y-te", "/overdue?unit=so-y-te&page=2",
                 "/overdue?unit=so-y-te&page=50", "/overdue?as_of=2026-11-20", "/overdue?as_of=2027-01-31&page=3",
                 "/overdue?as_of=2020-01-01", "/overdue?unit=nope", "/overdue?page=x", "/overdue?as_of=bad"]


_CSRF = re.compile(r'(name="csrf_token" value=")[^"]+|(<meta name="csrf-token" content=")[^"]+')


def _html(response) -> str:
    """The page's HTML with its CSRF tokens masked: they are signed with the real clock's second, so two
    requests a second apart differ there whatever the page shows."""
    return _CSRF.sub("…", response.get_data(as_text=True))


def _dashboard_both_ways(web, monkeypatch) -> str:
    """The dashboard read as one statement of texts, checked equal to the one read as rows (as before)."""
    from workflow.web import reads

    page = _html(web.get("/"))
    with monkeypatch.context() as m:
        m.setattr(reads, "one_text_reads", lambda _user: False)
        assert _html(web.get("/")) == page
    return page


def _pages(web, paths):
    return [(web.get(path).status_code, _html(web.get(path))) for path in paths]


def test_the_overdue_pages_read_as_one_text_are_the_pages_read_as_rows(app, db, web, frozen_now, monkeypatch):
    """/overdue's content from the two texts (rows, units, total, picker; kept per distinct input) is the page
    the rows read and folded in Python give, for dates, units, pages (past the last one too) and bad input;
    a pending extension shows; and a change of a row (title, deadline, unit, extension) shows at once."""
    from workflow.web import reads
    from workflow.web.views import overdue

    late, unswept = _varied_state(db)
    monkeypatch.setattr(overdue, "PER_PAGE", 2)  # pages of two rows: the clamping and offsets are exercised
    frozen_now(NOW)
    sign_in(web, user("office"))
    one_text = _pages(web, OVERDUE_PATHS)
    with monkeypatch.context() as m:
        m.setattr(reads, "one_text_reads", lambda _user: False)
        assert _pages(web, OVERDUE_PATHS) == one_text
    assert [status for status, _ in one_text] == [200] * 9 + [400] * 3
    yte = "".join(page for _, page in one_text[3:6])  # so-y-te's pages: the tasks made above
    assert yte.count("Xây dựng Đề án đô thị thông minh") == 5 and "đang xin gia hạn" not in yte
    late[0].title = "Tên mới của nhiệm vụ trễ"
    late[1].deadline = local(2026, 10, 2, 17, 0)
    late[2].extension_deadline = local(2027, 1, 15, 17, 0)
    db.session.commit()
    changed = _pages(web, OVERDUE_PATHS)
    yte = "".join(page for _, page in changed[3:6])
    assert "Tên mới của nhiệm vụ trễ" in yte and "đang xin gia hạn đến 15/01/2027" in yte
    assert "02/10/2026" in changed[3][1]  # now the first of so-y-te's late tasks
    with monkeypatch.context() as m:
        m.setattr(reads, "one_text_reads", lambda _user: False)
        assert _pages(web, OVERDUE_PATHS) == changed


def test_the_office_dashboard_read_as_one_text_is_the_dashboard_read_as_rows(app, db, web, frozen_now, monkeypatch):
    """The office's dashboard from one statement of texts (counts, units, tasks due soon, extension requests, latest
    changes; pieces kept per distinct text) is the page the rows read as before give; each piece follows a change of
    what it shows (a new change, an extension requested, a task due soon renamed), and the minute."""
    _varied_state(db)
    _, soon = issued_dispatch_with_task(lead="so-xay-dung", coordinating=(), tasks=2, deadline=local(2026, 11, 23, 17, 0))
    lead = user("xaydung")
    fire_event(lead, soon[0].id, "start", version=soon[0].version, now=NOW)
    fire_event(lead, soon[1].id, "request_extension", version=soon[1].version, now=NOW,
               deadline=local(2027, 1, 15, 17, 0), note="Chờ ý kiến các sở")
    db.session.commit()
    frozen_now(NOW)
    sign_in(web, user("office"))

    page = _dashboard_both_ways(web, monkeypatch)
    assert page.count('class="row-warn-') == 2 and "đề nghị đến 15/01/2027" in page and "Dự thảo chưa ban hành" in page
    assert page.count('class="timeline-item') == 8 and "Còn 1 ngày" in page
    soon[0].title = "Nhiệm vụ sắp đến hạn, tên mới"
    db.session.commit()
    fire_event(lead, soon[0].id, "report", version=soon[0].version, now=NOW, note="Đã làm một nửa")
    db.session.commit()
    page2 = _dashboard_both_ways(web, monkeypatch)
    assert "Nhiệm vụ sắp đến hạn, tên mới" in page2 and page2 != page
    assert page2.count("Báo cáo tiến độ") == page.count("Báo cáo tiến độ") + 1
    frozen_now(local(2026, 11, 22, 20, 0))  # another minute: the deadlines' words move
    sign_in(web, user("office"))
    page3 = _dashboard_both_ways(web, monkeypatch)
    assert "Còn 21 giờ" in page3 and "Còn 1 ngày" not in page3


def test_the_leaders_dashboard_read_as_one_text_is_the_dashboard_read_as_rows(app, db, web, frozen_now, monkeypatch):
    """The leader's dashboard from one statement of texts (counts, units, the longest-late tasks; pieces kept per
    text) is the page the rows read as before give, and follows a change of a late task and of the minute."""
    late, _ = _varied_state(db)
    late[0].deadline = local(2025, 1, 1, 17, 0)  # the longest late: first in the table
    db.session.commit()
    frozen_now(NOW)
    sign_in(web, user("leader"))

    page = _dashboard_both_ways(web, monkeypatch)
    days = re.compile(r'<span class="days-late">(\d+)</span>')
    assert "Xây dựng Đề án đô thị thông minh 1" in page and int(days.search(page).group(1)) == 690
    late[0].title = "Nhiệm vụ trễ, tên mới"
    db.session.commit()
    page2 = _dashboard_both_ways(web, monkeypatch)
    assert "Nhiệm vụ trễ, tên mới" in page2
    frozen_now(local(2026, 11, 23, 8, 0))  # a day later: one more day late
    sign_in(web, user("leader"))
    page3 = _dashboard_both_ways(web, monkeypatch)
    assert int(days.search(page3).group(1)) == 691
