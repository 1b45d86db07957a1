"""The query plans of every list, at 100,000 tasks on PostgreSQL: no sequential scan of tasks.

Run:   bash .ci/with-postgres .venv/bin/python bench/explain_lists.py          (100,000 tasks, swept)
       .venv/bin/python bench/explain_lists.py --tasks 20000 --database-url postgresql+psycopg://…
Without TEST_DATABASE_URL (or --database-url) it re-runs itself under .ci/with-postgres.

It builds the database as bench/load.py does (migrations, seed, generated tasks, the sweep, an office
user, a leader, department users), then requests every page and API route that lists tasks through
the application (Flask's test client, signed in as each role) and records every SQL statement they
send. Each SELECT that reads ``tasks`` is run again under ``EXPLAIN (ANALYZE)`` with the same
parameters; the plans are printed with their times, and any ``Seq Scan on tasks`` is flagged.
Exit code 1 when a plan scans tasks sequentially (or a request does not answer 200).
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import PASSWORD, create_database, drop_database, prepare  # noqa: E402

SEQ_SCAN = re.compile(r"Seq Scan on tasks\b")


def requests(clients: list[dict]) -> list[tuple[str, str, str]]:
    """(who, how, path): who signs in (office, leader, dept) and how (token or page session)."""
    unit = clients[0]["unit"]
    other = clients[1]["unit"]
    api = "/api/v1/tasks?"
    return [
        ("dept", "token", api + f"unit={unit}&per_page=50"),
        ("dept", "token", api + "warning=red&per_page=50"),
        ("dept", "token", api + "status=in_progress&per_page=20"),
        ("dept", "token", api + "q=thu+nghiem+12&per_page=20"),
        ("dept", "token", api + "per_page=50&page=3"),
        ("office", "token", api + "status=overdue&per_page=50"),
        ("office", "token", api + "warning=yellow&per_page=50"),
        ("office", "token", api + "warning=red&per_page=50"),
        ("office", "token", api + "warning=green&per_page=50"),
        ("office", "token", api + "q=thu+nghiem+12&per_page=20"),
        ("office", "token", api + "per_page=50"),
        ("office", "token", api + f"unit={other}&status=assigned&per_page=50"),
        ("office", "token", api + "dispatch=2001-CV/TU&per_page=50"),
        ("office", "token", api + "deadline_from=2026-12-01&deadline_to=2026-12-31&per_page=50"),
        ("office", "token", "/api/v1/overdue?per_page=50"),
        ("dept", "token", "/api/v1/overdue?per_page=50"),
        ("office", "token", "/api/v1/dispatches?per_page=50"),
        ("dept", "token", "/api/v1/dispatches?per_page=50"),
        ("office", "token", "/api/v1/dispatches/2001-CV/TU"),
        ("office", "page", "/"),
        ("leader", "page", "/"),
        ("dept", "page", "/"),
        ("office", "page", "/overdue"),
        ("office", "page", "/tasks"),
        ("office", "page", "/tasks?status=overdue&sort=status"),
        ("office", "page", "/tasks?q=thu+nghiem+12"),
        ("dept", "page", "/tasks"),
        ("dept", "page", "/tasks?warning=red"),
        ("office", "page", "/dispatches"),
        ("dept", "page", "/dispatches"),
    ]


def reuse(database_url: str) -> dict:
    """The users and tokens of a database prepared by an earlier run."""
    os.environ["DATABASE_URL"] = database_url
    from sqlalchemy import func, select

    from models import Task
    from workflow import create_app
    from workflow.extensions import db
    from workflow.services.users import create_token

    app = create_app("development")
    with app.app_context():
        tokens = {"office": create_token("load-office"), "leader": create_token("load-leader")}
        clients = [{"unit": f"so-{c:02d}", "username": f"load-dept-{c:02d}", "token": create_token(f"load-dept-{c:02d}")}
                   for c in range(2)]
        swept = db.session.scalar(select(func.count()).select_from(Task).where(Task.status == "overdue"))
    return {"app": app, "tokens": tokens, "clients": clients, "info": {"swept": swept}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--plans", choices=("all", "flagged", "none"), default="all",
                        help="which plans to print (default all)")
    parser.add_argument("--reuse", metavar="NAME", help="a database kept by an earlier --keep-database run")
    parser.add_argument("--only", metavar="REGEX", help="only the requests whose path matches")
    args = parser.parse_args(argv)
    if not args.database_url or not args.database_url.startswith("postgres"):
        if os.environ.get("WORKFLOW_LOAD_WRAPPED"):
            raise SystemExit("bench/explain_lists.py needs PostgreSQL (TEST_DATABASE_URL or --database-url)")
        os.environ["WORKFLOW_LOAD_WRAPPED"] = "1"
        os.execvp("bash", ["bash", str(ROOT / ".ci" / "with-postgres"), sys.executable, __file__,
                           *(sys.argv[1:] if argv is None else argv)])

    if args.reuse:
        from sqlalchemy.engine import make_url

        return run(make_url(args.database_url).set(database=args.reuse).render_as_string(hide_password=False), args)
    name = f"workflow_explain_{os.getpid()}"
    database_url = create_database(args.database_url, name)
    try:
        return run(database_url, args)
    finally:
        if not args.keep_database:
            drop_database(args.database_url, name)


def run(database_url: str, args) -> int:
    from sqlalchemy import event

    started = time.perf_counter()
    setup = prepare(database_url, args.tasks, 2) if not args.reuse else reuse(database_url)
    app = setup["app"]
    print(f"{args.tasks:,} tasks, swept ({setup['info']['swept']:,} marked overdue); "
          f"ready in {time.perf_counter() - started:.1f} s", flush=True)
    app.config["WTF_CSRF_ENABLED"] = False
    tokens = {"office": setup["tokens"]["office"], "dept": setup["clients"][0]["token"]}
    usernames = {"office": "load-office", "leader": "load-leader", "dept": setup["clients"][0]["username"]}

    from workflow.extensions import db

    captured: list[tuple[str, object]] = []
    with app.app_context():
        engine = db.engine

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    sessions = {}
    for who, username in usernames.items():
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": PASSWORD, "next": ""})
        if response.status_code != 302:
            raise SystemExit(f"sign-in of {username} answered {response.status_code}")
        sessions[who] = client

    failures, flagged, total_plans = 0, 0, 0
    raw = engine.raw_connection()
    try:
        for who, how, path in requests(setup["clients"]):
            if args.only and not re.search(args.only, f"{who} {how} {path}"):
                continue
            captured.clear()
            event.listen(engine, "before_cursor_execute", capture)
            try:
                if how == "token":
                    response = app.test_client().get(path, headers={"Authorization": f"Bearer {tokens[who]}"})
                else:
                    response = sessions[who].get(path)
            finally:
                event.remove(engine, "before_cursor_execute", capture)
            reads = [(s, p) for s, p in captured if s.lstrip().upper().startswith("SELECT")
                     and re.search(r"\btasks\b", s)]
            print(f"\n=== {who} {how} GET {path} -> {response.status_code}; {len(captured)} statements, "
                  f"{len(reads)} reading tasks")
            if response.status_code != 200:
                failures += 1
            for statement, parameters in reads:
                cursor = raw.cursor()
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                cursor.close()
                raw.rollback()
                total_plans += 1
                seq = bool(SEQ_SCAN.search(plan))
                flagged += seq
                took = re.search(r"Execution Time: ([\d.]+) ms", plan)
                head = " ".join(statement.split())[:160]
                print(f"--- {'SEQ SCAN OF TASKS ' if seq else ''}{took.group(1) if took else '?'} ms: {head}…")
                if args.plans == "all" or (args.plans == "flagged" and seq):
                    print("\n".join("    " + line for line in plan.splitlines()))
    finally:
        raw.close()
    print(f"\n{total_plans} plans of statements reading tasks; {flagged} with a sequential scan of tasks; "
          f"{failures} requests not 200")
    return 1 if flagged or failures else 0


if __name__ == "__main__":
    sys.exit(main())
