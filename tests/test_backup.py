"""Backup and restore: a round trip gives back every row of every table."""
from __future__ import annotations

from sqlalchemy import select

from tests.conftest import local


def snapshot(db) -> dict:
    rows = {}
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        rows[table.name] = [tuple(r) for r in db.session.execute(select(table).order_by(*order))]
    db.session.rollback()
    return rows


def test_backup_then_restore_round_trip(app, fresh_db, tmp_path):
    from workflow.services.tasks import sweep

    db = fresh_db
    before = snapshot(db)
    assert sum(len(v) for v in before.values()) > 300
    runner = app.test_cli_runner()
    result = runner.invoke(args=["backup", str(tmp_path / "sao-luu.bak")])
    assert result.exit_code == 0, result.output
    assert sweep(local(2026, 11, 22, 8)) == 26  # change the data after the backup
    db.session.remove()
    assert snapshot(db) != before
    result = runner.invoke(args=["restore", str(tmp_path / "sao-luu.bak")])
    assert result.exit_code == 0, result.output
    assert snapshot(db) == before
    assert runner.invoke(args=["verify-audit"]).exit_code == 0


def test_restore_refuses_a_missing_or_foreign_file(app, db, tmp_path):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["restore", str(tmp_path / "khong-co.bak")]).exit_code == 1
    bogus = tmp_path / "rac.bak"
    bogus.write_bytes(b"not a backup")
    result = runner.invoke(args=["restore", str(bogus)])
    assert result.exit_code == 1


def test_backup_reaches_postgresql_over_tcp_or_its_unix_socket():
    """pg_dump/pg_restore get the host of the URL, or the socket directory libpq reads from ?host=."""
    from sqlalchemy.engine import make_url

    from workflow.backup import _pg_args

    args, env = _pg_args(make_url("postgresql+psycopg://workflow:bi%20mat@10.0.0.5:6432/workflow"))
    assert args == ["-h", "10.0.0.5", "-p", "6432", "-d", "workflow", "-U", "workflow"]
    assert env["PGPASSWORD"] == "bi mat"
    args, env = _pg_args(make_url("postgresql+psycopg://workflow@/workflow?host=/run/postgresql"))
    assert args[:2] == ["-h", "/run/postgresql"] and args[-2:] == ["-U", "workflow"]
    args, _ = _pg_args(make_url("postgresql:///workflow"))
    assert args[:4] == ["-h", "127.0.0.1", "-p", "5432"]
