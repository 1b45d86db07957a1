"""The command line of DESIGN section 7, through Flask's CLI runner."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import ApiToken, Task, User, hash_token


@pytest.fixture()
def runner(app, db):
    return app.test_cli_runner()


def test_create_user_reads_the_password_from_stdin(runner, db):
    result = runner.invoke(args=["create-user", "nguyenvana", "--role", "department", "--unit", "so-y-te"],
                           input="Bi-mat-2026\nBi-mat-2026\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "nguyenvana"))
    assert user.unit.code == "so-y-te" and user.check_password("Bi-mat-2026")
    assert "Bi-mat-2026" not in user.password_hash


@pytest.mark.parametrize("args,stdin,message", [
    (["create-user", "a1", "--role", "department", "--unit", "so-y-te"], "Bi-mat-2026\nkhac-2026\n", "không khớp"),
    (["create-user", "a2", "--role", "king"], "Bi-mat-2026\n", "Vai trò"),
    (["create-user", "a3", "--role", "department", "--unit", "khong-co"], "Bi-mat-2026\n", "đơn vị"),
    (["create-user", "a4", "--role", "office"], "ngan\n", "ít nhất"),
    (["create-user", "office", "--role", "office"], "Bi-mat-2026\n", "đã tồn tại"),
    (["create-user", "a5", "--role", "office"], "", "mật khẩu"),
])
def test_create_user_refusals(runner, db, args, stdin, message):
    before = db.session.scalar(select(func.count()).select_from(User))
    result = runner.invoke(args=args, input=stdin)
    assert result.exit_code != 0 and message in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == before


def test_create_token_prints_only_the_token_and_stores_its_hash(runner, db):
    result = runner.invoke(args=["create-token", "leader"])
    assert result.exit_code == 0
    token = result.output.strip()
    assert "\n" not in token and len(token) >= 40
    assert db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token))) is not None
    assert runner.invoke(args=["create-token", "khong-ai"]).exit_code != 0


def test_sweep_with_a_fixed_now_then_nothing_left(runner, db):
    result = runner.invoke(args=["sweep", "--now", "2026-11-22T08:00:00+07:00"])
    # 26 seeded tasks past their deadline, plus the recurring instances the sweep creates first:
    # 1534 item 2.c for June to November (6) and 1775 items 3.2 and 4 for 2026-Q3 (2).
    assert result.exit_code == 0 and result.stdout.strip() == "34"
    assert db.session.scalar(select(func.count()).select_from(Task).where(Task.status == "overdue")) == 34
    assert runner.invoke(args=["sweep", "--now", "2026-11-22T08:00:00+07:00"]).stdout.strip() == "0"
    result = runner.invoke(args=["sweep", "--now", "hôm nay"])
    assert result.exit_code == 2 and "--now" in result.output


def test_sweep_only_marks_what_is_past(runner, db):
    # On 1 July 2026: 1534 item 2.a (9 May), 2.c for May and June (17th) and 1640 (30 June) are late.
    assert runner.invoke(args=["sweep", "--now", "2026-07-01T08:00:00+07:00"]).stdout.strip() == "4"


def test_sweep_writes_one_history_row_each_and_verify_audit_passes(runner, db):
    runner.invoke(args=["sweep", "--now", "2026-11-22T08:00:00+07:00"])
    for task in db.session.scalars(select(Task).where(Task.status == "overdue")):
        assert [e.event for e in task.events].count("mark_overdue") >= 1
        assert task.events[-1].event == "mark_overdue" and task.events[-1].actor_id is None
        assert task.version == len(task.events)
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 0 and "0 sai lệch" in result.output


def test_verify_audit_detects_a_tampered_status(runner, db):
    from sqlalchemy import update

    task_id = db.session.scalar(select(Task.id).where(Task.status == "assigned").limit(1))
    db.session.execute(update(Task).where(Task.id == task_id).values(status="completed"))
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 1 and f"nhiệm vụ {task_id}" in result.output
