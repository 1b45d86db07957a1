"""Bounded load test: gunicorn (4 sync workers) + PostgreSQL on loopback, 16 clients mixing
reads and state changes.

Run:   bash .ci/with-postgres .venv/bin/python bench/load.py            (the full form: 60 s, 100,000 tasks)
       bash .ci/with-postgres .venv/bin/python bench/load.py --seconds 5 --tasks 5000 --no-check   (CI)
       .venv/bin/python bench/load.py --baseline --alone --seconds 15      (issue 16: the bare Flask baseline,
           each kind alone, then the mix; every figure also as a ratio to the baseline, with gunicorn's and
           PostgreSQL's CPU per request read from /proc)
       … --before-root /tmp/before   (first the same rounds with another tree's code on the same database,
           e.g. ``git archive d3f6b43 | tar -x -C /tmp/before`` with its .venv linked)
       … --before-root /tmp/before --repeat 2   (before, after, before2, after2 on the same database: the
           code measured first also pays the fresh database's warming up)
       PG_SERVER_OPTIONS='-c shared_preload_libraries=pg_stat_statements' bash .ci/with-postgres \
           .venv/bin/python bench/load.py … --statements 8   (after each round, the 8 statements that cost
           PostgreSQL most, per request of the round)
Without TEST_DATABASE_URL (or --database-url) it re-runs itself under .ci/with-postgres.

What it does:
1. creates a fresh database ``workflow_load_<pid>`` on that server (dropped at the end unless
   ``--keep-database``), builds the schema with the Alembic migrations, loads the seed and
   ``--tasks`` generated tasks (bench/data.py: each with version 1 and its "create" history row),
   runs the sweep as cron does in production (``--no-sweep`` leaves the tasks past their deadline
   late but unmarked), and creates an office user, a leader and one department user per client,
   with API tokens;
2. starts ``gunicorn -w 4 wsgi:app`` (APP_ENV=production) on a free loopback port, waits until it answers;
3. runs ``--clients`` threads for ``--seconds``, each with its own http.client connection (kept alive
   when the server allows it; gunicorn's sync workers close after each response, so the client
   reconnects), signed in once through /login with the CSRF token for the pages (even clients as the
   office, odd ones as the leader) and using bearer tokens for the API. Each picks a request by weight
   (``--mix``): ``event`` POST /api/v1/tasks/<id>/events {"event": "report", "version": n} on a task
   its unit leads (the clients' tasks are disjoint, so a 409 is an error), ``api`` GET /api/v1/tasks?…,
   ``dashboard`` GET /, ``overdue`` GET /overdue, ``static`` GET /api/v1/openapi.json (no database:
   the ceiling of the machine and the server, with ``--mix static=100``);
4. checks: no status other than the expected one, no transport error, no lost update (for every
   task a client changed, the stored version is its version before the run + its successful
   changes and it has that many history rows), and the dashboards' task counts equal a recount;
   prints requests/s, state changes/s and p50/p95/p99 per kind.

Targets (issues 8 and 16): zero errors, zero lost updates, counts exact; the mix >= 300 state changes/s
with p95 < 100 ms for every kind; alone, events >= 400/s and >= 0.2x the bare baseline, the task list,
the dashboard and /overdue each >= 0.1x the baseline with PostgreSQL CPU <= 5 ms per request. Exit
code 1 when one is missed (unless ``--no-check``; errors and lost updates still fail then).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "Tai-tai-2026"
KINDS = ("event", "api", "dashboard", "overdue", "static", "bare")  # static: openapi.json; bare: bench/bare_app.py
TARGET_CHANGES_PER_S = 300
TARGET_P95_MS = {"dashboard": 100.0, "overdue": 100.0}
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# --- database -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_database(server_url: str, name: str):
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    if not url.drivername.startswith("postgresql"):
        raise SystemExit(f"bench/load.py needs PostgreSQL, got {url.drivername}")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def vacuum(database_url: str) -> float:
    """``VACUUM ANALYZE`` the database just built: generating 100,000 tasks and sweeping a fifth of them
    late leaves as many dead row versions and stale statistics, which autovacuum clears within minutes in
    production but not before the first rounds here (measured: the late-task statements took 4-7 ms instead
    of 0.4 until then). ``--no-vacuum`` measures that first state."""
    from sqlalchemy import create_engine

    started = time.perf_counter()
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    return time.perf_counter() - started


def drop_database(server_url: str, name: str) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    admin = create_engine(make_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def prepare(database_url: str, n_tasks: int, n_clients: int, *, run_sweep: bool = True) -> dict:
    """Schema (migrations), seed, generated tasks, the sweep (as cron runs it in production),
    users and tokens; returns what the clients need."""
    os.environ["DATABASE_URL"] = database_url
    from flask_migrate import upgrade
    from sqlalchemy import select

    from bench.data import generate
    from models import Task, Unit
    from workflow import create_app
    from workflow.extensions import db
    from workflow.seeding import seed_all
    from workflow.services.users import create_token, create_user

    app = create_app("development")
    timings = {}
    with app.app_context():
        started = time.perf_counter()
        upgrade()
        seed_all()
        timings["schema_and_seed_s"] = time.perf_counter() - started
        started = time.perf_counter()
        info = generate(n_tasks, create_schema=False)
        timings["generate_s"] = time.perf_counter() - started
        info["swept"] = 0
        if run_sweep:  # the steady state: the sweep runs every few minutes (README, cron)
            from bench.data import NOW
            from workflow.services.tasks import sweep

            started = time.perf_counter()
            info["swept"] = sweep(NOW)
            timings["sweep_s"] = time.perf_counter() - started
        create_user("load-office", PASSWORD, role="office", unit_code="van-phong-tinh-uy", full_name="Văn phòng (tải)")
        create_user("load-leader", PASSWORD, role="leader", unit_code="thuong-truc-tinh-uy", full_name="Lãnh đạo (tải)")
        tokens = {"office": create_token("load-office"), "leader": create_token("load-leader")}
        clients = []
        for c in range(n_clients):
            code = f"so-{c % 40:02d}" if c < 40 else f"xa-{(c - 40) % 124:03d}"
            unit = db.session.scalar(select(Unit).where(Unit.code == code))
            username = f"load-dept-{c:02d}"
            create_user(username, PASSWORD, role="department", unit_code=code, full_name=f"Đơn vị {code}")
            owned = dict(db.session.execute(
                select(Task.id, Task.version).where(Task.lead_unit_id == unit.id, Task.id >= info["first_task_id"],
                                                    Task.status != "completed").order_by(Task.id)).all())
            clients.append({"index": c, "unit": code, "username": username, "token": create_token(username),
                            "page_user": "load-office" if c % 2 == 0 else "load-leader", "tasks": owned})
    return {"app": app, "tokens": tokens, "clients": clients, "timings": timings, "info": info}


def check_lost_updates(app, changed: dict[int, int], versions: dict[int, int], base: dict[int, int]) -> dict:
    """For every changed task: version == its version before the run + successful changes == the
    client's last known version, and that many history rows; and the dashboards' task counts
    still equal a recount."""
    from sqlalchemy import func, select

    from models import Task, TaskEvent
    from workflow.extensions import db

    lost, samples = 0, []
    ids = sorted(changed)
    with app.app_context():
        stored, history = {}, {}
        for start in range(0, len(ids), 5000):
            chunk = ids[start:start + 5000]
            stored.update(db.session.execute(select(Task.id, Task.version).where(Task.id.in_(chunk))).all())
            history.update(db.session.execute(
                select(TaskEvent.task_id, func.count()).where(TaskEvent.task_id.in_(chunk))
                .group_by(TaskEvent.task_id)).all())
        from workflow import counts

        count_problems = counts.discrepancies(db.session)
        db.session.remove()
    for task_id in ids:
        expected = base[task_id] + changed[task_id]
        if stored.get(task_id) != expected or history.get(task_id) != expected or versions[task_id] != expected:
            lost += 1
            if len(samples) < 5:
                samples.append({"task": task_id, "expected": expected, "version": stored.get(task_id),
                                "history_rows": history.get(task_id), "client_version": versions[task_id]})
    return {"tasks_changed": len(ids), "lost_updates": lost, "samples": samples,
            "count_discrepancies": len(count_problems), "count_samples": count_problems[:5]}


# --- server ---------------------------------------------------------------------------------

def start_gunicorn(database_url: str, port: int, workers: int, log_path: Path, *, root: Path = ROOT,
                   app: str = "wsgi:app") -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY=secrets.token_hex(32), APP_ENV="production",
               SESSION_COOKIE_SECURE="0")
    env.pop("FLASK_APP", None)
    log = open(log_path, "wb")
    # The gunicorn of the interpreter running this script (its virtual environment).
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers),
               "-b", f"127.0.0.1:{port}", "--error-logfile", "-", app]
    return subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_until_up(port: int, server: subprocess.Popen, timeout: float = 60.0, path: str = "/login") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- clients --------------------------------------------------------------------------------

class Client:
    """One simulated user: its own connection, cookies, tokens and tasks."""

    def __init__(self, port: int, spec: dict, tokens: dict, mix: dict[str, int], seed: int):
        self.port, self.spec, self.tokens = port, spec, tokens
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.rng = random.Random(seed)
        self.task_ids = sorted(spec["tasks"])
        self.kinds = [k for k in KINDS if mix.get(k)]
        self.weights = [mix[k] for k in self.kinds]
        if not spec["tasks"]:
            i = self.kinds.index("event") if "event" in self.kinds else None
            if i is not None:
                del self.kinds[i], self.weights[i]
        self.versions = dict(spec["tasks"])  # task id -> version before the run
        self.base = dict(spec["tasks"])
        self.changed: dict[int, int] = defaultdict(int)
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: list[dict] = []
        self.api_queries = [
            ("dept", {"unit": spec["unit"], "per_page": 50}),
            ("dept", {"warning": "red", "per_page": 50}),
            ("dept", {"status": "in_progress", "per_page": 20}),
            ("page", {"status": "overdue", "per_page": 50}),
            ("page", {"warning": "yellow", "per_page": 50}),
            ("page", {"q": "thu nghiem 12", "per_page": 20}),
        ]

    # HTTP
    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.will_close:
            self.conn.close()
        return response.status, data

    def login(self) -> None:
        status, page = self.request("GET", "/login")
        match = CSRF_RE.search(page.decode("utf-8", "replace"))
        if status != 200 or not match:
            raise RuntimeError(f"GET /login answered {status} without a CSRF token")
        form = urlencode({"csrf_token": match.group(1), "username": self.spec["page_user"],
                          "password": PASSWORD, "next": ""}).encode()
        status, body = self.request("POST", "/login", body=form,
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302:
            raise RuntimeError(f"POST /login answered {status}: {body[:200]!r}")

    # requests by kind: (method, path, body, headers, expected status)
    def do(self, kind: str, record: bool = True) -> None:
        expected, headers, body = 200, {}, None
        task_id = None
        if kind == "event":
            task_id = self.rng.choice(self.task_ids)
            method, path = "POST", f"/api/v1/tasks/{task_id}/events"
            body = json.dumps({"event": "report", "note": f"Báo cáo tiến độ lần {self.changed[task_id] + 1}",
                               "version": self.versions[task_id]}).encode()
            headers = {"Authorization": f"Bearer {self.spec['token']}", "Content-Type": "application/json"}
        elif kind == "api":
            who, params = self.rng.choice(self.api_queries)
            token = self.spec["token"] if who == "dept" else self.tokens[
                "office" if self.spec["page_user"] == "load-office" else "leader"]
            method, path = "GET", "/api/v1/tasks?" + urlencode(params)
            headers = {"Authorization": f"Bearer {token}"}
        elif kind == "dashboard":
            method, path = "GET", "/"
        elif kind == "static":
            method, path = "GET", "/api/v1/openapi.json"
        elif kind == "bare":
            method, path = "GET", "/"
        else:
            method, path = "GET", "/overdue"
        started = time.perf_counter()
        try:
            status, data = self.request(method, path, body=body, headers=headers)
        except (OSError, http.client.HTTPException) as exc:
            self.errors.append({"kind": kind, "path": path, "error": repr(exc)})
            return
        elapsed = time.perf_counter() - started
        if status != expected:
            self.errors.append({"kind": kind, "path": path, "status": status,
                                "body": data[:300].decode("utf-8", "replace")})
            return
        if kind == "event":
            sent = self.versions[task_id]
            answered = json.loads(data).get("version")
            if answered != sent + 1:
                self.errors.append({"kind": kind, "path": path, "status": status,
                                    "body": f"version {answered} after sending {sent}"})
                return
            self.versions[task_id] = answered
            self.changed[task_id] += 1
        if record:
            self.latencies[kind].append(elapsed)

    def run(self, start: threading.Barrier, stop_at: list[float]) -> None:
        try:
            if any(k in self.kinds for k in ("dashboard", "overdue")):
                self.login()
            for kind in self.kinds:  # warm-up, not measured (state changes still counted)
                self.do(kind, record=False)
        except Exception as exc:  # noqa: BLE001 - reported as an error of this client
            self.errors.append({"kind": "setup", "error": repr(exc)})
        start.wait()
        while time.perf_counter() < stop_at[0]:
            self.do(self.rng.choices(self.kinds, self.weights)[0])
        self.conn.close()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index] * 1000


# --- main -----------------------------------------------------------------------------------

def parse_mix(text: str) -> dict[str, int]:
    mix = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        if name.strip() not in KINDS:
            raise argparse.ArgumentTypeError(f"unknown kind {name!r} (one of {', '.join(KINDS)})")
        mix[name.strip()] = int(weight)
    return mix


# --- CPU per request, from /proc ------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # fields from the state (3rd) on


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields:
                tree[int(fields[1])].append(int(entry))
    return tree


def tree_cpu_seconds(root: int | None) -> float:
    """CPU (user + system) of a process, its live descendants and the children they reaped."""
    if root is None:
        return 0.0
    tree, total, stack = _children(), 0, [root]
    while stack:
        pid = stack.pop()
        fields = _stat(pid)
        if fields:  # utime, stime, cutime, cstime are fields 14-17 (indexes 11-14 here)
            total += sum(int(v) for v in fields[11:15])
        stack.extend(tree.get(pid, ()))
    return total / CLOCK_TICKS


def postmaster_pid(database_url: str) -> int | None:
    """The PostgreSQL server's main process (the parent of this connection's backend), when local."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            backend = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        fields = _stat(backend)
        return int(fields[1]) if fields else None
    except Exception:  # noqa: BLE001 - a remote server: no PostgreSQL CPU figure
        return None
    finally:
        engine.dispose()


def refresh_versions(app, specs: list[dict]) -> None:
    """Each client's tasks with their versions now (rounds follow each other on one database)."""
    from sqlalchemy import select

    from models import Task
    from workflow.extensions import db

    with app.app_context():
        for spec in specs:
            ids = sorted(spec["tasks"])
            if ids:
                spec["tasks"] = dict(db.session.execute(select(Task.id, Task.version).where(Task.id.in_(ids))).all())
        db.session.remove()


def statement_costs(database_url: str, *, reset: bool = False, limit: int = 10, requests: int = 0) -> list[dict]:
    """pg_stat_statements: reset it, or the ``limit`` statements with the most execution time since
    the reset (per request of the round, each call's mean, rows); [] when the server lacks the module."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
            if reset:
                connection.execute(text("SELECT pg_stat_statements_reset()"))
                return []
            rows = connection.execute(text(
                "SELECT query, calls, total_exec_time, rows FROM pg_stat_statements "
                "WHERE query NOT LIKE '%pg_stat_statements%' ORDER BY total_exec_time DESC LIMIT :n"),
                {"n": limit}).all()
    except Exception as exc:  # noqa: BLE001 - the module is optional
        print(f"  (pg_stat_statements unavailable: {str(exc).splitlines()[0][:120]})", flush=True)
        return []
    finally:
        engine.dispose()
    return [{"query": " ".join(q.split()), "calls": calls, "rows": n, "mean_ms": round(total / calls, 3) if calls else 0,
             "ms_per_request": round(total / requests, 3) if requests else 0}
            for q, calls, total, n in rows]


def run_round(port: int, setup: dict, mix: dict[str, int], seconds: float, *, server_pid: int,
              pg_pid: int | None) -> dict:
    """``len(clients)`` clients for ``seconds`` against the server on ``port``: latencies, errors,
    changes (for the lost-update check) and the CPU the server and PostgreSQL spent."""
    refresh_versions(setup["app"], setup["clients"])
    clients = [Client(port, spec, setup["tokens"], mix, seed=1000 + spec["index"]) for spec in setup["clients"]]
    barrier = threading.Barrier(len(clients) + 1)
    stop_at = [float("inf")]
    threads = [threading.Thread(target=c.run, args=(barrier, stop_at), daemon=True) for c in clients]
    for t in threads:
        t.start()
    barrier.wait()
    cpu_server, cpu_pg = tree_cpu_seconds(server_pid), tree_cpu_seconds(pg_pid)
    cpu_clients = time.process_time()  # this process: the 16 clients' threads (they share the machine)
    began = time.perf_counter()
    stop_at[0] = began + seconds
    for t in threads:
        t.join(seconds + 120)
    elapsed = time.perf_counter() - began
    cpu_server, cpu_pg = tree_cpu_seconds(server_pid) - cpu_server, tree_cpu_seconds(pg_pid) - cpu_pg
    cpu_clients = time.process_time() - cpu_clients
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: list[dict] = []
    changed: dict[int, int] = {}
    versions: dict[int, int] = {}
    base: dict[int, int] = {}
    for c in clients:
        base.update(c.base)
        for kind, values in c.latencies.items():
            latencies[kind].extend(values)
        errors.extend(c.errors)
        changed.update(c.changed)
        versions.update(c.versions)
    total = sum(len(v) for v in latencies.values())
    return {"elapsed": elapsed, "latencies": latencies, "errors": errors, "changed": changed, "versions": versions,
            "base": base, "requests": total, "cpu_server_s": cpu_server, "cpu_pg_s": cpu_pg,
            "cpu_clients_s": cpu_clients}


def round_figures(result: dict, mix: dict[str, int]) -> dict:
    elapsed, latencies, errors = result["elapsed"], result["latencies"], result["errors"]
    total = result["requests"]
    return {
        "seconds": round(elapsed, 2), "mix": mix, "requests": total, "requests_per_s": round(total / elapsed, 1),
        "state_changes": len(latencies.get("event", [])),
        "state_changes_per_s": round(len(latencies.get("event", [])) / elapsed, 1),
        "server_cpu_ms_per_request": round(result["cpu_server_s"] * 1000 / total, 2) if total else None,
        "postgres_cpu_ms_per_request": round(result["cpu_pg_s"] * 1000 / total, 2) if total else None,
        "clients_cpu_ms_per_request": round(result["cpu_clients_s"] * 1000 / total, 2) if total else None,
        "kinds": {kind: {"count": len(latencies.get(kind, [])),
                         "per_s": round(len(latencies.get(kind, [])) / elapsed, 1),
                         "p50_ms": round(percentile(latencies.get(kind, []), 50), 1),
                         "p95_ms": round(percentile(latencies.get(kind, []), 95), 1),
                         "p99_ms": round(percentile(latencies.get(kind, []), 99), 1),
                         "errors": sum(1 for e in errors if e["kind"] == kind)}
                  for kind in KINDS if mix.get(kind)},
        "errors": len(errors), "error_samples": errors[:10],
    }


def print_round(label: str, figures: dict, bare: float | None) -> None:
    ratio = f" ({figures['requests_per_s'] / bare:.3f}x bare)" if bare else ""
    cpu = (f"; CPU ms/request: gunicorn {figures['server_cpu_ms_per_request']}, "
           f"PostgreSQL {figures['postgres_cpu_ms_per_request']}, clients {figures['clients_cpu_ms_per_request']}")
    print(f"\n[{label}] mix {','.join(f'{k}={v}' for k, v in figures['mix'].items())}: "
          f"{figures['requests_per_s']:.1f} req/s{ratio}{cpu}; errors {figures['errors']}", flush=True)
    print(f"  {'kind':<10} {'count':>7} {'per s':>8} {'x bare':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for kind, row in figures["kinds"].items():
        times = f"{row['per_s'] / bare:7.3f}" if bare else f"{'':>7}"
        print(f"  {kind:<10} {row['count']:>7} {row['per_s']:>8.1f} {times} {row['p50_ms']:>8.1f} "
              f"{row['p95_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['errors']:>6}")
    for sample in figures["error_samples"][:3]:
        print("    error:", sample)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--mix", type=parse_mix, default=parse_mix("event=70,api=14,dashboard=8,overdue=8"),
                        help="weights of the kinds of request (default event=70,api=14,dashboard=8,overdue=8)")
    parser.add_argument("--alone", action="store_true",
                        help="before the mix, run each of its kinds alone for --seconds")
    parser.add_argument("--baseline", action="store_true",
                        help="first measure the bare Flask baseline (bench/bare_app.py) and print ratios to it")
    parser.add_argument("--before-root", type=Path,
                        help="also run the same rounds with the code of this directory (e.g. main's tree "
                             "exported with git archive) on the same database, first")
    parser.add_argument("--sql-before", action="append", default=[],
                        help="SQL run on the database before the --before-root rounds (e.g. drop an index the "
                             "other code does not have); repeatable")
    parser.add_argument("--sql-after", action="append", default=[],
                        help="SQL run on the database before this code's rounds (e.g. create it again); repeatable")
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"),
                        help="a PostgreSQL server (default TEST_DATABASE_URL); a fresh database is created on it")
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--no-sweep", action="store_true",
                        help="leave the tasks past their deadline unswept (late, but not yet marked overdue)")
    parser.add_argument("--no-vacuum", action="store_true",
                        help="do not VACUUM ANALYZE the database after building it (measure the bulk load's dead rows)")
    parser.add_argument("--sweep-now", action="store_true",
                        help="sweep again at the machine's clock before the rounds (as cron would have: the tasks "
                             "are generated and swept around bench.data.NOW, which may be days behind it)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the before/after rounds this many times, alternating (the first pays the warm-up)")
    parser.add_argument("--statements", type=int, default=0, metavar="N",
                        help="after each round, the N statements that cost PostgreSQL most (pg_stat_statements: "
                             "run under PG_SERVER_OPTIONS='-c shared_preload_libraries=pg_stat_statements')")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--no-check", action="store_true",
                        help="do not fail on speed targets (errors and lost updates still fail)")
    args = parser.parse_args(argv)

    if not args.database_url or not args.database_url.startswith("postgres"):
        if os.environ.get("WORKFLOW_LOAD_WRAPPED"):
            raise SystemExit("bench/load.py needs a PostgreSQL server (TEST_DATABASE_URL or --database-url)")
        os.environ["WORKFLOW_LOAD_WRAPPED"] = "1"
        os.execvp("bash", ["bash", str(ROOT / ".ci" / "with-postgres"), sys.executable, __file__,
                           *(sys.argv[1:] if argv is None else argv)])

    name = f"workflow_load_{os.getpid()}"
    database_url = create_database(args.database_url, name)
    server = None
    log_path = Path(tempfile.mkstemp(prefix="workflow-load-gunicorn-", suffix=".log")[1])
    rounds: dict[str, dict] = {}
    audits: dict[str, dict] = {}
    bare = None
    try:
        started = time.perf_counter()
        setup = prepare(database_url, args.tasks, args.clients, run_sweep=not args.no_sweep)
        swept = (f", sweep {setup['info']['swept']:,} marked overdue in {setup['timings']['sweep_s']:.1f} s"
                 if not args.no_sweep else ", not swept")
        print(f"database: migrations + seed {setup['timings']['schema_and_seed_s']:.1f} s, "
              f"{args.tasks:,} tasks {setup['timings']['generate_s']:.1f} s "
              f"({setup['info']['past_open']:,} open past deadline){swept}", flush=True)
        if args.sweep_now:
            from workflow.clock import utcnow
            from workflow.services.tasks import sweep

            with setup["app"].app_context():
                print(f"sweep at the machine's clock: {sweep(utcnow()):,} more marked overdue", flush=True)
        if not args.no_vacuum:
            print(f"VACUUM ANALYZE in {vacuum(database_url):.1f} s (the steady state autovacuum keeps)", flush=True)
        pg_pid = postmaster_pid(database_url)
        if args.baseline:
            port = free_port()
            server = start_gunicorn(database_url, port, args.workers, log_path, app="bench.bare_app:app")
            wait_until_up(port, server, path="/")
            figures = round_figures(run_round(port, setup, {"bare": 1}, args.seconds, server_pid=server.pid,
                                              pg_pid=pg_pid), {"bare": 1})
            stop(server)
            bare = figures["requests_per_s"]
            rounds["bare"] = figures
            print_round("bare Flask JSON route", figures, bare)
        codes = ([("before", args.before_root)] if args.before_root else []) + [("after" if args.before_root
                                                                                 else "this code", ROOT)]
        # --repeat N: the same pair N times, alternating (before, after, before2, after2 …): the code measured
        # first on the fresh database also pays its warming up (hint bits, caches), which favours the second.
        codes = [(label if i == 0 else f"{label}{i + 1}", root) for i in range(max(1, args.repeat))
                 for label, root in codes]
        for code, root in codes:
            statements = args.sql_before if code.startswith("before") else args.sql_after
            if statements:
                from sqlalchemy import create_engine, text

                engine = create_engine(database_url)
                with engine.begin() as connection:
                    for statement in statements:
                        connection.execute(text(statement))
                    connection.execute(text("ANALYZE"))
                engine.dispose()
                print(f"{code}: ran {'; '.join(statements)}", flush=True)
            port = free_port()
            server = start_gunicorn(database_url, port, args.workers, log_path, root=root)
            wait_until_up(port, server)
            print(f"\ngunicorn -w {args.workers} on 127.0.0.1:{port} up, code: {root} "
                  f"({time.perf_counter() - started:.1f} s after start)", flush=True)
            plan = ([({kind: 1}, kind) for kind in args.mix] if args.alone else []) + [(args.mix, "mix")]
            for mix, label in plan:
                if args.statements:
                    statement_costs(database_url, reset=True)
                result = run_round(port, setup, mix, args.seconds, server_pid=server.pid, pg_pid=pg_pid)
                figures = round_figures(result, mix)
                if args.statements:
                    figures["statements"] = statement_costs(database_url, limit=args.statements,
                                                            requests=result["requests"])
                if result["changed"]:
                    audit = check_lost_updates(setup["app"], result["changed"], result["versions"], result["base"])
                    figures.update(audit)
                    audits[f"{code} {label}"] = audit
                rounds[f"{code} {label}"] = figures
                print_round(f"{code}: {label}", figures, bare)
                for row in figures.get("statements", []):
                    print(f"    PG {row['ms_per_request']:6.3f} ms/request  {row['calls']:>7} calls  "
                          f"{row['mean_ms']:7.3f} ms each  {row['rows']:>8} rows  {row['query'][:150]}")
                if result["changed"]:
                    print(f"  lost updates: {figures['lost_updates']} over {figures['tasks_changed']:,} tasks "
                          f"changed; task count discrepancies: {figures['count_discrepancies']}")
            stop(server)
            server = None
    finally:
        if server is not None:
            stop(server)
        if not args.keep_database:
            try:
                drop_database(args.database_url, name)
            except Exception as exc:  # noqa: BLE001
                print(f"could not drop {name}: {exc!r}", file=sys.stderr)

    final = rounds[f"{codes[-1][0]} mix"]
    errors = sum(r["errors"] for r in rounds.values())
    lost = sum(a["lost_updates"] for a in audits.values())
    discrepancies = sum(a["count_discrepancies"] for a in audits.values())
    targets = {
        "zero errors": errors == 0,
        "zero lost updates": lost == 0,
        "task counts exact": discrepancies == 0,
        f">= {TARGET_CHANGES_PER_S} state changes/s (mix)": final["state_changes_per_s"] >= TARGET_CHANGES_PER_S,
    }
    for kind in ("event", "api", "dashboard", "overdue"):
        if kind in final["kinds"]:
            targets[f"p95 {kind} < 100 ms (mix)"] = final["kinds"][kind]["p95_ms"] < 100
    after = codes[-1][0]
    if f"{after} event" in rounds:
        targets[">= 400 events/s alone"] = rounds[f"{after} event"]["state_changes_per_s"] >= 400
        if bare:
            targets[">= 0.2x bare events/s alone"] = rounds[f"{after} event"]["state_changes_per_s"] >= 0.2 * bare
    for kind in ("api", "dashboard", "overdue"):
        figures = rounds.get(f"{after} {kind}")
        if figures:
            if bare:
                targets[f"{kind} alone >= 0.1x bare"] = figures["requests_per_s"] >= 0.1 * bare
            if figures["postgres_cpu_ms_per_request"] is not None:
                targets[f"{kind} alone PostgreSQL CPU <= 5 ms/request"] = figures["postgres_cpu_ms_per_request"] <= 5
    print(f"\nsummary ({args.clients} clients, gunicorn -w {args.workers}, {args.tasks:,} tasks, "
          f"{args.seconds:.0f} s rounds{f', bare {bare:.0f} req/s' if bare else ''}):")
    print(f"  {'round':<22} {'req/s':>8} {'x bare':>7} {'changes/s':>9} {'p95 ms (by kind)':<44} "
          f"{'gunicorn ms':>11} {'PG ms':>6} {'errors':>6}")
    for label, figures in rounds.items():
        times = f"{figures['requests_per_s'] / bare:7.3f}" if bare else f"{'':>7}"
        p95 = ", ".join(f"{k} {v['p95_ms']:.0f}" for k, v in figures["kinds"].items())
        print(f"  {label:<22} {figures['requests_per_s']:>8.1f} {times} {figures['state_changes_per_s']:>9.1f} "
              f"{p95:<44} {figures['server_cpu_ms_per_request'] or 0:>11.2f} "
              f"{figures['postgres_cpu_ms_per_request'] or 0:>6.2f} {figures['errors']:>6}")
    for label, met in targets.items():
        print(f"  {'met    ' if met else 'MISSED '} {label}")
    if errors:
        print(f"(gunicorn log: {log_path})")
    else:
        log_path.unlink(missing_ok=True)
    result = {**final, "clients": args.clients, "workers": args.workers, "tasks": args.tasks,
              "swept": setup["info"]["swept"], "errors": errors, "lost_updates": lost,
              "count_discrepancies": discrepancies,
              "tasks_changed": final.get("tasks_changed", 0), "samples": final.get("samples", []),
              "count_samples": final.get("count_samples", []), "bare_requests_per_s": bare,
              "rounds": rounds, "targets": targets}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    hard = targets["zero errors"] and targets["zero lost updates"] and targets["task counts exact"]
    return 0 if (hard and (args.no_check or all(targets.values()))) else 1


if __name__ == "__main__":
    sys.exit(main())
