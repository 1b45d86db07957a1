"""A generator of realistic data at scale for the benchmarks: 124 communes, 40 departments,
N tasks (default 100,000) spread over 500 dispatches, a fifth of them past their deadline.

Works on SQLite and PostgreSQL, on an empty database (``create_schema=True`` builds the tables
with ``db.create_all``) or on top of the seed in a migrated schema (``create_schema=False``):
unit and dispatch ids are read back, never assumed. Every generated task has version 1 and
exactly one history row, its "create" event.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from sqlalchemy import JSON, cast, func, insert, literal, select

from models import Dispatch, Task, TaskEvent, Unit
from workflow import counts
from workflow.extensions import db

NOW = datetime(2026, 11, 22, 1, 0, tzinfo=timezone.utc)  # 08:00 in Asia/Ho_Chi_Minh
BATCH = 20_000


def _ensure_units() -> tuple[list[int], int]:
    """The generated units' ids (created when missing) and the issuer's (Tỉnh ủy)."""
    units = [{"code": f"xa-{i:03d}", "name": f"Xã Thử nghiệm {i}", "kind": "commune", "aliases": [],
              "active": True} for i in range(124)]
    units += [{"code": f"so-{i:02d}", "name": f"Sở Thử nghiệm {i}", "kind": "department", "aliases": [],
               "active": True} for i in range(40)]
    units.append({"code": "tinh-uy", "name": "Tỉnh ủy Lâm Đồng", "kind": "party", "aliases": [], "active": True})
    existing = set(db.session.scalars(select(Unit.code).where(Unit.code.in_([u["code"] for u in units]))))
    missing = [u for u in units if u["code"] not in existing]
    if missing:
        db.session.execute(insert(Unit), missing)
    ids = dict(db.session.execute(select(Unit.code, Unit.id).where(Unit.code.in_([u["code"] for u in units]))).all())
    return [ids[u["code"]] for u in units[:-1]], ids["tinh-uy"]


def generate(n_tasks: int = 100_000, *, past_fraction: float = 0.2, seed: int = 2026,
             create_schema: bool = True, n_dispatches: int = 500) -> dict:
    """Insert the units, dispatches and tasks (with their "create" history rows); commit once."""
    rng = random.Random(seed)
    if create_schema:
        db.create_all()
    unit_ids, issuer_id = _ensure_units()
    unit_ids.append(issuer_id)
    first_dispatch = (db.session.scalar(select(func.max(Dispatch.id))) or 0) + 1
    dispatches = [{"number": 2000 + i, "symbol": "CV/TU", "year": 2026, "kind": "CV", "issuer_id": issuer_id,
                   "subject": f"Công văn thử nghiệm {i}", "search_folded": "", "recipients": [],
                   "recipient_codes": [], "distribution": [], "signing_authority": "", "signer_title": "",
                   "signer_name": "", "references": [], "directives": [], "preamble": "", "status": "issued",
                   "created_at": NOW} for i in range(n_dispatches)]
    db.session.execute(insert(Dispatch), dispatches)
    dispatch_ids = list(db.session.scalars(
        select(Dispatch.id).where(Dispatch.id >= first_dispatch, Dispatch.symbol == "CV/TU",
                                  Dispatch.number >= 2000).order_by(Dispatch.id)))
    first_task = (db.session.scalar(select(func.max(Task.id))) or 0) + 1
    n_past = int(n_tasks * past_fraction)
    rows = []
    for i in range(n_tasks):
        past = i % round(1 / past_fraction) == 0 and i // round(1 / past_fraction) < n_past
        completed_at = on_time = None
        if past:
            deadline, status = NOW - timedelta(days=rng.randint(1, 200)), rng.choice(["assigned", "in_progress"])
        else:
            completed = rng.random() < 0.3
            deadline = NOW + timedelta(days=rng.randint(1, 300)) if not completed else NOW - timedelta(days=rng.randint(1, 200))
            status = "completed" if completed else rng.choice(["assigned", "in_progress"])
            if completed:
                completed_at = deadline + timedelta(days=rng.randint(-20, 5))
                on_time = completed_at <= deadline
        rows.append({"dispatch_id": dispatch_ids[i % len(dispatch_ids)], "item": str(i % 20),
                     "title": f"Nhiệm vụ thử nghiệm số {i}",
                     "title_folded": f" nhiem vu thu nghiem so {i} ", "lead_unit_id": rng.choice(unit_ids),
                     "deadline": deadline, "status": status, "version": 1, "extended": False,
                     "completed_at": completed_at, "on_time": on_time,
                     "created_at": NOW - timedelta(days=250), "updated_at": NOW - timedelta(days=250)})
    for start in range(0, n_tasks, BATCH):
        db.session.execute(insert(Task), rows[start:start + BATCH])
    # One "create" history row per generated task (version 1), set-based.
    db.session.execute(insert(TaskEvent).from_select(
        ["task_id", "event", "to_status", "deadline_after", "data", "version", "at"],
        select(Task.id, literal("create"), Task.status, Task.deadline, cast(literal("{}"), JSON), literal(1),
               Task.created_at).where(Task.id >= first_task)))
    counts.rebuild(db.session)  # bulk Core inserts bypass the ORM's count keeping
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:  # fresh statistics for the planner
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    return {"tasks": n_tasks, "first_task_id": first_task, "dispatch_ids": dispatch_ids,
            "past_open": sum(1 for r in rows if r["deadline"] < NOW and r["status"] != "completed")}
