"""The production deployment (deploy/) on this machine: Debian's nginx with TLS in front of two
application instances (gunicorn, deploy/gunicorn.conf.py) and a job worker (`flask run-jobs --loop`),
all on one PostgreSQL database, started from here on loopback with temporary directories and free
ports. The nginx site and the systemd units are the files of deploy/, rendered by
`deploy/install.sh --render-only` exactly as the installation renders them.

What it proves, through nginx over TLS:
- plain HTTP is redirected to HTTPS; HSTS on pages and on the static files, which nginx serves itself;
- a sign-in sets a Secure, HttpOnly session cookie that both instances accept (signed cookies);
- the sign-in limit counts the client addresses nginx sees (127.0.0.3 and 127.0.0.4 as source
  addresses) and ignores the X-Forwarded-For a client writes itself (TRUSTED_PROXIES=1);
- a body over the application's limit is refused by nginx with the API's JSON error;
- a document batch started on one instance is run by the worker (not by a web process) and
  downloaded from the other instance, after the first was killed (SIGKILL, all its processes)
  while the job ran and clients were writing: no request lost, every acknowledged change kept,
  and `flask verify-audit` passes; the worker, sent SIGTERM during the job, finishes it and exits 0.

The batch is the indicator forms of six communes (the others deactivated in this throw-away
database) to keep the test short; the 124 forms are the same job, longer (bench/bench_documents.py).
It runs in the PostgreSQL pass of `make test`; without nginx it is skipped, except in CI, where it fails.
"""
from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
COMMUNES = 6
LOCKED = "Đăng nhập sai quá nhiều lần"

pytestmark = pytest.mark.slow


def need_nginx():
    if NGINX is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the deployment test must run in CI: nginx is missing (.ci/install-system installs it)")
        pytest.skip("nginx is not installed (apt-get install nginx, or bash .ci/install-system)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render_deploy(target: Path, env_file: Path, **settings) -> Path:
    """`deploy/install.sh --render-only`: the nginx site and units as the installation writes them."""
    env = {**os.environ, "ENV_FILE": str(env_file), "APP_DIR": str(ROOT), **settings}
    result = subprocess.run(["bash", str(ROOT / "deploy" / "install.sh"), "--render-only", str(target)],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return target


def nginx_main_conf(tmp: Path, site: Path) -> Path:
    """A main nginx.conf of the test's own (pid, logs and temporary files under tmp) around the site."""
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"):
        (tmp / name).mkdir(exist_ok=True)
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the checkout's static files
    conf = tmp / "nginx.conf"
    conf.write_text(f"""{user}daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/logs/error.log;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log {tmp}/logs/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {site};
}}
""")
    return conf


def test_the_rendered_site_and_units_are_valid(tmp_path):
    """nginx -t accepts the site; systemd-analyze verify accepts every unit and timer."""
    need_nginx()
    env_file = tmp_path / "workflow.env"
    env_file.write_text((ROOT / "deploy" / "workflow.env.example").read_text())
    cert, key = make_certificate(tmp_path)
    out = render_deploy(tmp_path / "rendered", env_file, HTTP_LISTEN=f"127.0.0.1:{free_port()}",
                        HTTPS_LISTEN=f"127.0.0.1:{free_port()}", TLS_CERT=str(cert), TLS_KEY=str(key),
                        LOG_DIR=str(tmp_path), SERVER_NAME="congviec.example.vn")
    site = (out / "nginx" / "workflow.conf").read_text()
    assert not re.search(r"@[A-Z][A-Z0-9_]*@", site)  # every placeholder filled in
    assert "client_max_body_size 10485760;" in site and "server 127.0.0.1:8000" in site
    result = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "t.log"),
                             "-c", str(nginx_main_conf(tmp_path, out / "nginx" / "workflow.conf"))],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        return
    units = sorted(str(p) for p in (out / "systemd").iterdir())
    assert len(units) == 8
    result = subprocess.run([analyze, "verify", *units], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


def make_certificate(tmp: Path) -> tuple[Path, Path]:
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


# What a client sees when the instance answering it is killed after the answer's head was sent
# (gunicorn writes the head and the body separately): it cannot know whether the change was committed.
CUT_BY_THE_KILL = (http.client.IncompleteRead, http.client.RemoteDisconnected, ConnectionError)


class Client:
    """HTTPS through nginx from a chosen loopback source address; one connection per request."""

    def __init__(self, port: int, cert: Path, source: str):
        self.port, self.source = port, source
        self.context = ssl.create_default_context(cafile=str(cert))
        self.cookies: dict[str, str] = {}

    def request(self, method, path, body=None, headers=None, timeout=60):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context, timeout=timeout,
                                           source_address=(self.source, 0))
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        return response, data

    def sign_in(self, username, password, spoofed=None):
        extra = {"X-Forwarded-For": spoofed} if spoofed else {}
        response, page = self.request("GET", "/login", headers=extra)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.decode()).group(1)
        return self.request("POST", "/login", body=urlencode({"csrf_token": token, "username": username,
                                                              "password": password}),
                            headers={"Content-Type": "application/x-www-form-urlencoded",
                                     "Referer": f"https://127.0.0.1:{self.port}/login", **extra})

    def api(self, method, path, token, payload=None):
        headers = {"Authorization": f"Bearer {token}"}
        body = None
        if payload is not None:
            body, headers["Content-Type"] = json.dumps(payload), "application/json"
        response, data = self.request(method, path, body=body, headers=headers)
        return response.status, (json.loads(data) if data.startswith(b"{") else data)


SETUP = """
import json, sys
from sqlalchemy import select, update
from models import Task, Unit
from workflow import create_app
from workflow.extensions import db
from workflow.services.users import create_token, create_user
app = create_app()
with app.app_context():
    create_user("vanphong", sys.argv[1], role="office", unit_code="van-phong-tinh-uy", full_name="Văn phòng")
    create_user("sotaichinh", sys.argv[1], role="department", unit_code="so-tai-chinh", full_name="Sở Tài chính")
    keep = db.session.scalars(select(Unit.code).where(Unit.kind == "commune").order_by(Unit.code)
                              .limit(int(sys.argv[2]))).all()
    db.session.execute(update(Unit).where(Unit.kind == "commune", Unit.code.not_in(keep)).values(active=False))
    unit = db.session.scalar(select(Unit).where(Unit.code == "so-tai-chinh"))
    task = db.session.scalar(select(Task.id).where(Task.lead_unit_id == unit.id,
                             Task.status.in_(["assigned", "in_progress"])).order_by(Task.id).limit(1))
    db.session.commit()
    print(json.dumps({"office": create_token("vanphong"), "department": create_token("sotaichinh"),
                      "task": task}))
"""


def wait_for_port(port: int, process: subprocess.Popen, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            return
        except OSError:
            assert process.poll() is None, f"{what} exited with {process.returncode}"
            assert time.monotonic() < deadline, f"{what} did not listen on {port}"
            time.sleep(0.1)


def served_by(log: Path, needle: str) -> int:
    return sum(1 for line in log.read_text(errors="replace").splitlines() if needle in line)


def eventually(check, seconds: float = 10):
    """gunicorn writes its access line just after the answer: wait for it a little."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not seen in the access logs"
        time.sleep(0.05)


@pytest.fixture()
def database_url():
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("the deployment test runs in the PostgreSQL pass (TEST_DATABASE_URL=postgresql://…)")
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"workflow_deploy_{os.getpid()}"
    admin = create_engine(make_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_two_instances_and_a_worker_behind_nginx_over_tls(tmp_path, database_url):
    need_nginx()
    started = time.monotonic()
    env = {key: value for key, value in os.environ.items()
           if key not in ("TEST_DATABASE_URL", "RATELIMIT_STORAGE_URI", "FLASK_APP")}
    env.update({"APP_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": database_url,
                "TRUSTED_PROXIES": "1", "DOCUMENT_JOBS": "queue", "STORAGE_BACKEND": "database",
                "LOGIN_FAILURE_LIMIT": "10 per 15 minutes", "WEB_WORKERS": "2", "PYTHONUNBUFFERED": "1"})
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for command in ("init-db", "seed"):  # what deploy/install.sh runs
        result = subprocess.run([*flask, command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
    result = subprocess.run([sys.executable, "-c", SETUP, PASSWORD, str(COMMUNES)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    setup = json.loads(result.stdout.strip().splitlines()[-1])

    cert, key = make_certificate(tmp_path)
    http_port, https_port, port_a, port_b = free_port(), free_port(), free_port(), free_port()
    env_file = tmp_path / "workflow.env"
    env_file.write_text("".join(f"{k}={env[k]}\n" for k in ("APP_ENV", "TRUSTED_PROXIES", "DOCUMENT_JOBS"))
                        + f"MAX_CONTENT_LENGTH={10 * 1024 * 1024}\nWEB_BIND=127.0.0.1:{port_a}\n")
    rendered = render_deploy(tmp_path / "rendered", env_file, HTTP_LISTEN=f"127.0.0.1:{http_port}",
                             HTTPS_LISTEN=f"127.0.0.1:{https_port}", TLS_CERT=str(cert), TLS_KEY=str(key),
                             LOG_DIR=str(tmp_path / "logs"), SERVER_NAME="localhost 127.0.0.1",
                             UPSTREAMS=f"127.0.0.1:{port_a} 127.0.0.1:{port_b}")
    conf = nginx_main_conf(tmp_path, rendered / "nginx" / "workflow.conf")

    processes: dict[str, subprocess.Popen] = {}
    logs = {name: tmp_path / f"{name}.log" for name in ("a", "b", "worker")}
    try:
        for name, port in (("a", port_a), ("b", port_b)):
            processes[name] = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "deploy" / "gunicorn.conf.py"), "wsgi:app"],
                cwd=ROOT, env={**env, "WEB_BIND": f"127.0.0.1:{port}", "WEB_ACCESS_LOG": str(logs[name]),
                               "WEB_ERROR_LOG": str(tmp_path / f"{name}.err")},
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        with open(logs["worker"], "w") as worker_out:
            processes["worker"] = subprocess.Popen([*flask, "run-jobs", "--loop", "--interval", "0.3"], cwd=ROOT,
                                                   env=env, stdout=worker_out, stderr=subprocess.STDOUT)
        processes["nginx"] = subprocess.Popen([NGINX, "-p", str(tmp_path), "-e", str(tmp_path / "logs" / "start.log"),
                                               "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for_port(https_port, processes["nginx"], "nginx")
        wait_for_port(port_a, processes["a"], "gunicorn a")
        wait_for_port(port_b, processes["b"], "gunicorn b")

        # --- TLS only: HTTP is redirected; HSTS everywhere; nginx serves the static files ---
        plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
        plain.request("GET", "/login?next=%2Ftasks")
        redirect = plain.getresponse()
        assert redirect.status == 301
        assert redirect.getheader("Location") == f"https://127.0.0.1:{https_port}/login?next=%2Ftasks"
        office = Client(https_port, cert, "127.0.0.2")
        response, page = office.request("GET", "/login")
        assert response.status == 200 and "Đăng nhập" in page.decode()
        assert response.getheader("Strict-Transport-Security") == "max-age=63072000"
        response, css = office.request("GET", "/static/css/app.css")
        assert response.status == 200 and css == (ROOT / "static" / "css" / "app.css").read_bytes()
        assert response.getheader("Strict-Transport-Security") == "max-age=63072000"
        assert "max-age=604800" in response.getheader("Cache-Control")
        assert served_by(logs["a"], "/static/") + served_by(logs["b"], "/static/") == 0

        # --- sign in: a Secure, HttpOnly session cookie that both instances accept ---
        office.cookies.clear()
        response, _ = office.sign_in("vanphong", PASSWORD)
        assert response.status == 302, response.status
        session_cookie = next(c for c in response.headers.get_all("Set-Cookie") if c.startswith("session="))
        flags = {part.strip().lower() for part in session_cookie.split(";")[1:]}
        assert {"secure", "httponly", "samesite=lax"} <= flags, session_cookie
        for _ in range(6):
            response, page = office.request("GET", "/")
            assert response.status == 200 and "Văn phòng" in page.decode()
        eventually(lambda: served_by(logs["a"], '"GET / HTTP') + served_by(logs["b"], '"GET / HTTP') == 6)
        assert served_by(logs["a"], '"GET / HTTP') >= 1 and served_by(logs["b"], '"GET / HTTP') >= 1

        # --- the sign-in limit counts the addresses nginx sees, not what clients write ---
        attacker = Client(https_port, cert, "127.0.0.3")
        for i in range(10):
            response, _ = attacker.sign_in(f"khong-co-{i}", "sai", spoofed=f"198.51.100.{i}")
            assert response.status == 401
        response, page = attacker.sign_in("vanphong", PASSWORD, spoofed="198.51.100.200")
        assert response.status == 429 and LOCKED in page.decode()
        response, _ = Client(https_port, cert, "127.0.0.4").sign_in("vanphong", PASSWORD)
        assert response.status == 302  # another address is not locked out by the first
        eventually(lambda: served_by(logs["a"], '"198.51.100.3, 127.0.0.3"')
                   + served_by(logs["b"], '"198.51.100.3, 127.0.0.3"') == 2)  # its GET and POST, as nginx sent them

        # --- a body over the limit stops at nginx, answered as the API answers ---
        status, body = office.api("POST", "/api/v1/dispatches/import", setup["office"],
                                  {"text": "x" * (10 * 1024 * 1024)})
        assert status == 413 and body == {"error": "Nội dung gửi lên quá lớn."}

        # --- a document batch started on one instance, an instance killed while it runs ---
        writer_errors: list[str] = []
        acknowledged: list[int] = []
        ambiguous: list[int] = []
        stop_writing = threading.Event()

        def write_events():
            """The department reports progress on its task, through nginx, until told to stop."""
            client = Client(https_port, cert, "127.0.0.5")

            def current_version():
                for _ in range(5):  # a read cut by the kill is read again (nginx moves on to the survivor)
                    try:
                        status, task = client.api("GET", f"/api/v1/tasks/{setup['task']}", setup["department"])
                    except CUT_BY_THE_KILL:
                        continue
                    if status == 200:
                        return task["version"]
                raise AssertionError("the task could not be read after the kill")

            try:
                version = current_version()
                while not stop_writing.is_set():
                    try:
                        status, body = client.api("POST", f"/api/v1/tasks/{setup['task']}/events",
                                                  setup["department"],
                                                  {"event": "report", "version": version, "note": f"Tiến độ v{version}"})
                    except CUT_BY_THE_KILL:  # the answer's head came, its body died with the server
                        status, body = None, None
                    if status == 200:
                        acknowledged.append(body["version"])
                        version = body["version"]
                    elif status in (None, 502, 504):  # the request died with its server: did it commit?
                        ambiguous.append(version)
                        version = current_version()
                    else:
                        writer_errors.append(f"{status} {body}")
                        return
                    time.sleep(0.05)
            except Exception as error:  # noqa: BLE001 - reported by the test, not lost with the thread
                writer_errors.append(repr(error))

        writer = threading.Thread(target=write_events)
        writer.start()
        status, job = office.api("POST", "/api/v1/documents/indicator-forms", setup["office"], {"period": "2026-05"})
        assert status == 202 and job["status"] in ("queued", "running"), job  # the worker may already have it
        job_id = job["id"]
        needle = '"POST /api/v1/documents/indicator-forms'
        eventually(lambda: served_by(logs["a"], needle) + served_by(logs["b"], needle) == 1)
        starter = "a" if served_by(logs["a"], needle) else "b"
        other = "b" if starter == "a" else "a"
        assert served_by(logs[starter], needle) == 1 and served_by(logs[other], needle) == 0
        deadline = time.monotonic() + 60
        while job["status"] == "queued":
            assert time.monotonic() < deadline, "the worker did not take the job"
            time.sleep(0.1)
            status, job = office.api("GET", f"/api/v1/jobs/{job_id}", setup["office"])
        assert job["status"] == "running", job
        os.killpg(processes[starter].pid, signal.SIGKILL)  # the instance and all its workers, at once
        processes[starter].wait(10)
        processes["worker"].send_signal(signal.SIGTERM)  # systemctl stop: finish the job, then exit
        status, job = office.api("GET", f"/api/v1/jobs/{job_id}", setup["office"])
        signalled_mid_job = status == 200 and job["status"] == "running"
        answered_after_kill = served_by(logs[other], "GET /api/v1/jobs/")
        deadline = time.monotonic() + 120
        while job["status"] in ("queued", "running"):
            assert status == 200, (status, job)
            assert time.monotonic() < deadline, f"the job did not finish: {job}"
            time.sleep(0.3)
            status, job = office.api("GET", f"/api/v1/jobs/{job_id}", setup["office"])
        assert job["status"] == "done", job
        eventually(lambda: served_by(logs[other], "GET /api/v1/jobs/") > answered_after_kill)  # the survivor answered
        assert processes["worker"].wait(30) == 0, logs["worker"].read_text()[-2000:]
        worker_log = logs["worker"].read_text()
        if signalled_mid_job:  # the signal came while the job ran: the job was still finished
            assert worker_log.index("SIGTERM") < worker_log.index(f"Tác vụ #{job_id}: Hoàn thành")
        stop_writing.set()
        writer.join(60)
        assert writer_errors == []

        # --- downloaded from the other instance, as the office would: the page's link, its session ---
        response, content = office.request("GET", f"/documents/indicator-forms/{job_id}.zip")
        assert response.status == 200, response.status
        eventually(lambda: served_by(logs[other], f"GET /documents/indicator-forms/{job_id}.zip") == 1)
        assert hashlib.sha256(content).hexdigest() == job["result"]["sha256"]
        names = zipfile.ZipFile(io.BytesIO(content)).namelist()
        assert len([n for n in names if n.endswith(".pdf")]) == COMMUNES
        assert len([n for n in names if n.endswith(".docx")]) == COMMUNES and "danh-sach.txt" in names

        # --- nothing lost: the worker did the job; every acknowledged change is in the history ---
        from sqlalchemy import create_engine, text

        engine = create_engine(database_url)
        with engine.connect() as conn:
            job_worker = conn.execute(text("SELECT worker FROM jobs WHERE id = :id"), {"id": job_id}).scalar()
            versions = set(conn.execute(text("SELECT version FROM task_events WHERE task_id = :id"),
                                        {"id": setup["task"]}).scalars())
            final = conn.execute(text("SELECT version FROM tasks WHERE id = :id"), {"id": setup["task"]}).scalar()
        engine.dispose()
        assert f":{processes['worker'].pid}:" in job_worker
        assert acknowledged and set(acknowledged) <= versions
        assert final == max(versions) and final - max(acknowledged) <= len(ambiguous)
        result = subprocess.run([*flask, "verify-audit"], cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    finally:
        stop = locals().get("stop_writing")
        if stop is not None:
            stop.set()
        for name, process in processes.items():
            if process.poll() is None:
                if name in ("a", "b"):
                    os.killpg(process.pid, signal.SIGTERM)
                else:
                    process.terminate()
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)
    print(f"deployment test: {time.monotonic() - started:.0f} s; {len(acknowledged)} changes acknowledged, "
          f"{len(ambiguous)} cut by the kill; worker signalled mid-job: {signalled_mid_job}")
