"""A generator of realistic data at scale for the benchmarks: 124 communes, 40 departments,
N tasks (default 100,000) spread over dispatches, a fifth of them past their deadline."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert

from models import Dispatch, Task, TaskEvent, Unit
from workflow.extensions import db

NOW = datetime(2026, 11, 22, 1, 0, tzinfo=timezone.utc)  # 08:00 in Asia/Ho_Chi_Minh


def generate(n_tasks: int = 100_000, *, past_fraction: float = 0.2, seed: int = 2026) -> dict:
    rng = random.Random(seed)
    db.create_all()
    units = [{"code": f"xa-{i:03d}", "name": f"Xã Thử nghiệm {i}", "kind": "commune", "aliases": [],
              "active": True} for i in range(124)]
    units += [{"code": f"so-{i:02d}", "name": f"Sở Thử nghiệm {i}", "kind": "department", "aliases": [],
               "active": True} for i in range(40)]
    units.append({"code": "tinh-uy", "name": "Tỉnh ủy Lâm Đồng", "kind": "party", "aliases": [], "active": True})
    db.session.execute(insert(Unit), units)
    unit_ids = list(range(1, 165))
    dispatches = [{"number": 2000 + i, "symbol": "CV/TU", "year": 2026, "kind": "CV", "issuer_id": 165,
                   "subject": f"Công văn thử nghiệm {i}", "search_folded": "", "recipients": [],
                   "recipient_codes": [], "distribution": [], "signing_authority": "", "signer_title": "",
                   "signer_name": "", "references": [], "directives": [], "preamble": "", "status": "issued",
                   "created_at": NOW} for i in range(500)]
    db.session.execute(insert(Dispatch), dispatches)
    n_past = int(n_tasks * past_fraction)
    rows, events = [], []
    for i in range(n_tasks):
        past = i % round(1 / past_fraction) == 0 and i // round(1 / past_fraction) < n_past
        if past:
            deadline, status = NOW - timedelta(days=rng.randint(1, 200)), rng.choice(["assigned", "in_progress"])
        else:
            completed = rng.random() < 0.3
            deadline = NOW + timedelta(days=rng.randint(1, 300)) if not completed else NOW - timedelta(days=rng.randint(1, 200))
            status = "completed" if completed else rng.choice(["assigned", "in_progress"])
        rows.append({"dispatch_id": 1 + i % 500, "item": str(i % 20), "title": f"Nhiệm vụ thử nghiệm số {i}",
                     "title_folded": f" nhiem vu thu nghiem so {i} ", "lead_unit_id": rng.choice(unit_ids),
                     "deadline": deadline, "status": status, "version": 1, "extended": False,
                     "created_at": NOW - timedelta(days=250), "updated_at": NOW - timedelta(days=250)})
    for start in range(0, n_tasks, 20_000):
        db.session.execute(insert(Task), rows[start:start + 20_000])
    db.session.execute(insert(TaskEvent).from_select(
        ["task_id", "event", "to_status", "data", "version", "at"],
        db.select(Task.id, db.literal("create"), Task.status, db.literal("{}"), db.literal(1), Task.created_at)))
    db.session.commit()
    return {"tasks": n_tasks, "past_open": sum(1 for r in rows if r["deadline"] < NOW and r["status"] != "completed")}
