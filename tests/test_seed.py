"""The seed reproduces the four seed documents."""
from datetime import timedelta

from sqlalchemy import func, select

from models import Dispatch, Indicator, Task, Unit
from tests.conftest import local
from workflow.seeding import seed_all


def dispatch(db, ref):
    from workflow.services.dispatches import find_dispatch

    return find_dispatch(ref)


def test_units_include_the_organs_departments_and_124_communes(db):
    codes = set(db.session.scalars(select(Unit.code)))
    for code in ["tinh-uy", "ban-thuong-vu-tinh-uy", "thuong-truc-tinh-uy", "van-phong-tinh-uy",
                 "ban-to-chuc-tinh-uy", "uy-ban-kiem-tra-tinh-uy", "dang-uy-ubnd-tinh", "ubnd-tinh",
                 "van-phong-ubnd-tinh", "so-khoa-hoc-va-cong-nghe", "so-xay-dung", "so-tai-chinh",
                 "phuong-lam-vien-da-lat", "dac-khu-phu-quy"]:
        assert code in codes
    kinds = dict(db.session.execute(select(Unit.kind, func.count()).group_by(Unit.kind)).all())
    assert kinds["commune"] == 124
    names = list(db.session.scalars(select(Unit.name).where(Unit.kind == "commune")))
    assert sum(n.startswith("Xã ") for n in names) == 103
    assert sum(n.startswith("Phường ") for n in names) == 20
    assert sum(n.startswith("Đặc khu ") for n in names) == 1


def test_1534_header_and_tasks(db):
    d = dispatch(db, "1534-CV/TU")
    assert d.issuer.code == "tinh-uy" and d.issued_on.isoformat() == "2026-05-08"
    assert d.signing_authority == "T/M BAN THƯỜNG VỤ" and d.signer_title == "PHÓ BÍ THƯ THƯỜNG TRỰC"
    assert d.signer_name == "Đặng Hồng Sỹ"
    assert d.recipients == ["Đảng ủy UBND tỉnh", "Văn phòng Tỉnh ủy", "Văn phòng UBND tỉnh",
                            "Sở Khoa học và Công nghệ"]
    assert len(d.distribution) == 5 and d.distribution[0] == "Như kính gửi"
    assert any("2085-CV/VPTW" in r for r in d.references) and any("2203-CV/VPTW" in r for r in d.references)
    tasks = {t.item: t for t in d.tasks}
    assert sorted(tasks) == ["2.a", "2.b", "2.c", "3"]
    assert tasks["2.a"].lead_unit.code == "dang-uy-ubnd-tinh"
    assert tasks["2.a"].deadline == local(2026, 5, 9, 9, 0)
    assert tasks["2.a"].deadline_text == "trước 09 giờ 00 phút ngày 09/5/2026"
    assert tasks["2.c"].recurrence == "FREQ=MONTHLY;BYMONTHDAY=17"
    assert tasks["2.c"].deadline == local(2026, 5, 17) and tasks["2.c"].period == "2026-05"
    assert tasks["3"].lead_unit.code == "van-phong-tinh-uy"
    assert [u.code for u in tasks["3"].coordinating_units] == ["so-khoa-hoc-va-cong-nghe"]
    assert [x["item"] for x in d.directives] == ["1"]


def test_1640_is_one_task_for_dang_uy_ubnd_due_30_june(db):
    d = dispatch(db, "1640-CV/BTCTU")
    assert d.issuer.code == "ban-to-chuc-tinh-uy" and d.issued_on.isoformat() == "2026-06-26"
    assert d.signing_authority == "K/T TRƯỞNG BAN" and d.signer_name == "Nguyễn Văn Dũng"
    (task,) = d.tasks
    assert task.lead_unit.code == "dang-uy-ubnd-tinh"
    assert task.deadline == local(2026, 6, 30)  # "trước ngày 30/6/2026": before the day starts


def test_1775_tasks_for_btc_vp_and_ubkt(db):
    d = dispatch(db, "1775-CV/TU")
    assert d.issued_on.isoformat() == "2026-06-03" and len(d.recipients) == 6
    leads = {t.item: t.lead_unit.code for t in d.tasks}
    assert leads == {"3.1": "ban-to-chuc-tinh-uy", "3.2": "ban-to-chuc-tinh-uy", "3.3": "ban-to-chuc-tinh-uy",
                     "4": "van-phong-tinh-uy", "5.1": "uy-ban-kiem-tra-tinh-uy",
                     "5.2": "uy-ban-kiem-tra-tinh-uy"}
    quarterly = [t for t in d.tasks if t.item in ("3.2", "4")]
    for t in quarterly:
        assert t.recurrence == "FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=5"
        assert t.deadline == local(2026, 7, 5) and t.period == "2026-Q2"


def key_tasks(db):
    program = db.session.scalar(select(Dispatch).where(Dispatch.kind == "CTr"))
    return program, {t.item: t for t in program.tasks}


def test_key_tasks_13_completed_11_pending_10_new(db):
    program, tasks = key_tasks(db)
    completed = [t for i, t in tasks.items() if i.startswith("C1.")]
    pending = [t for i, t in tasks.items() if i.startswith("C2.")]
    new = [t for i, t in tasks.items() if i.startswith("III.")]
    assert (len(completed), len(pending), len(new)) == (13, 11, 10)
    assert all(t.status == "completed" and t.evidence_note for t in completed)
    assert tasks["C1.12"].lead_unit.code == "so-khoa-hoc-va-cong-nghe"
    assert "đã trình dự thảo Nghị quyết" in tasks["C1.12"].evidence_note
    # The second-half plan moved every pending task to 7/2026 as an approved extension.
    assert all(t.deadline == local(2026, 7, 31, 23, 59, 59) and t.extended for t in pending)
    assert all(t.status == "in_progress" for t in pending)
    assert tasks["C2.11"].lead_unit.code == "so-dan-toc-va-ton-giao"
    assert [u.code for u in tasks["C2.11"].coordinating_units] == ["so-tai-chinh"]
    assert {t.deadline_text for t in new} == {"7/2026", "8/2026", "9/2026", "10/2026"}
    assert tasks["III.21"].deadline == local(2026, 10, 31, 23, 59, 59)


def test_pending_history_keeps_the_report_states_and_old_deadlines(db):
    _, tasks = key_tasks(db)
    late = tasks["C2.1"]
    events = [(e.event, e.from_status, e.to_status) for e in late.events]
    assert events == [("create", None, "assigned"), ("start", "assigned", "in_progress"),
                      ("mark_overdue", "in_progress", "overdue"),
                      ("approve_extension", "overdue", "in_progress")]
    assert late.events[0].deadline_after == local(2026, 4, 30, 23, 59, 59)
    assert "trễ hạn" in late.events[2].note
    assert late.events[3].deadline_before == local(2026, 4, 30, 23, 59, 59)
    assert late.events[3].deadline_after == local(2026, 7, 31, 23, 59, 59)
    on_time = tasks["C2.9"]
    assert [e.event for e in on_time.events] == ["create", "start", "report", "approve_extension"]
    assert "trong hạn" in on_time.events[2].note
    asked = tasks["C2.8"]
    assert [e.event for e in asked.events] == ["create", "start", "report", "request_extension",
                                               "approve_extension"]
    assert "xin gia hạn" in asked.events[3].note
    # Report states: 7 late, 1 asking for an extension, 3 in time.
    pending = [t for i, t in tasks.items() if i.startswith("C2.")]
    notes = [" ".join(e.note or "" for e in t.events) for t in pending]
    assert sum(any(e.event == "mark_overdue" for e in t.events) for t in pending) == 7
    assert sum("(trễ hạn)" in n for n in notes) == 7
    assert sum("(trong hạn)" in n for n in notes) == 3
    assert sum(any(e.event == "request_extension" for e in t.events) for t in pending) == 1
    assert tasks["C2.5"].events[2].event == "report" and "cho thuê môi trường rừng" in tasks["C2.5"].events[2].note


def test_versions_count_the_history_rows(db):
    for task in db.session.scalars(select(Task)):
        assert task.version == len(task.events) == task.events[-1].version


def test_13_indicators_of_the_1534_appendix(db):
    rows = {i.code: i for i in db.session.scalars(select(Indicator).where(Indicator.catalogue == "1534-CV/TU"))}
    assert sorted(rows, key=lambda c: rows[c].position) == [
        "CT4", "CT5", "CT7", "CT8", "CT9", "CT6.2", "CT6.3", "CT10", "CT11", "CT12", "CT13", "CT14", "CT15"]
    assert rows["CT7"].target_text == "≥80" and rows["CT7"].lead_unit.code == "van-phong-ubnd-tinh"
    assert rows["CT15"].target_text == "05" and rows["CT15"].measure_unit == "Sản phẩm"
    assert rows["CT4"].sub_code == "*" and rows["CT4"].measure_unit == "%"
    assert rows["CT6.2"].source_text is None
    assert rows["CT12"].source_text.startswith("Cụ thể hóa chỉ tiêu “50% cán bộ chuyên trách")


def test_seed_is_idempotent(db):
    before = db.session.scalar(select(func.count()).select_from(Task))
    assert seed_all() == {"units": 0, "holidays": 0, "dispatches": 0, "indicators": 0}
    assert db.session.scalar(select(func.count()).select_from(Task)) == before == 45


def test_seeded_dispatches_keep_their_text_and_an_older_database_gets_it_back(db):
    """The dispatch as written is stored with it (documents keep its own words); a database seeded
    before the text was kept gets it on the next seed run, and nothing else changes."""
    from config import BASE_DIR

    rows = {d.full_number: d for d in db.session.scalars(select(Dispatch).where(Dispatch.number.is_not(None)))}
    for number in ("1534-CV/TU", "1640-CV/BTCTU", "1775-CV/TU"):
        assert rows[number].source_text.startswith("TỈNH ỦY LÂM ĐỒNG"), number
    assert "Do thời gian yêu cầu gấp, Ban Tổ chức Tỉnh ủy đề nghị" in rows["1640-CV/BTCTU"].source_text
    seed = (BASE_DIR / "tests" / "data" / "seeds" / "cv-1775-TU.txt").read_text(encoding="utf-8")
    assert " ".join(rows["1775-CV/TU"].source_text.split()) == " ".join(seed.split())
    rows["1775-CV/TU"].source_text = None
    db.session.flush()
    assert seed_all()["dispatches"] == 0
    assert rows["1775-CV/TU"].source_text.startswith("TỈNH ỦY LÂM ĐỒNG")
