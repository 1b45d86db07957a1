"""Sign-in rate limiting, security headers, revocable tokens."""
from __future__ import annotations

from tests.conftest import PASSWORD
from tests.web_fixtures import csrf_token_from, web_client


def text(response) -> str:
    return response.get_data(as_text=True)


def attempt(client, username, password, address="10.0.0.1"):
    token = csrf_token_from(text(client.get("/login", environ_base={"REMOTE_ADDR": address})))
    return client.post("/login", data={"csrf_token": token, "username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_ten_failures_for_a_user_then_429_even_with_the_right_password(app, db):
    client = web_client(app)
    for i in range(10):  # from different addresses: the per-user count trips
        assert attempt(client, "office", "sai-mat-khau", f"10.0.1.{i}").status_code == 401
    response = attempt(client, "office", PASSWORD, "10.0.1.99")
    assert response.status_code == 429
    assert "Đăng nhập sai quá nhiều lần" in text(response)
    # another user from a fresh address is not affected
    assert attempt(web_client(app), "leader", PASSWORD, "10.0.2.1").status_code == 302


def test_ten_failures_from_an_address_then_429(app, db):
    client = web_client(app)
    for i in range(10):
        assert attempt(client, f"khong-co-{i}", "x", "10.0.3.1").status_code == 401
    assert attempt(client, "leader", PASSWORD, "10.0.3.1").status_code == 429
    assert attempt(web_client(app), "leader", PASSWORD, "10.0.3.2").status_code == 302


def test_successful_sign_ins_are_not_counted(app, db):
    for _ in range(12):
        assert attempt(web_client(app), "leader", PASSWORD, "10.0.4.1").status_code == 302


def test_security_headers_on_pages_and_api(app, db, client):
    for path in ["/login", "/api/v1/tasks"]:
        headers = client.get(path).headers
        assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY" and headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_a_revoked_token_no_longer_works(api, db, tokens):
    from workflow.services.users import revoke_tokens

    assert api.get("/api/v1/tasks", "leader").status_code == 200
    assert revoke_tokens("leader") == 1
    assert api.get("/api/v1/tasks", "leader").status_code == 401


def test_passwords_are_hashed_with_scrypt(users):
    assert users["office"].password_hash.startswith("scrypt:")


def test_the_database_storage_counts_fixed_windows(app, fresh_db, monkeypatch):
    """workflow-db://: a counter per key, a new window once the old one has ended."""
    import time as time_module

    from workflow.ratelimit import DatabaseStorage

    storage = DatabaseStorage("workflow-db://")
    storage.reset()
    now = [1_800_000_000.0]
    monkeypatch.setattr(time_module, "time", lambda: now[0])
    assert storage.check()
    assert [storage.incr("login-user:office", 900) for _ in range(3)] == [1, 2, 3]
    assert storage.get("login-user:office") == 3 and storage.get("login-user:leader") == 0
    assert storage.get_expiry("login-user:office") == now[0] + 900
    now[0] += 899
    assert storage.incr("login-user:office", 900) == 4
    now[0] += 2  # the window ended: the count starts again
    assert storage.get("login-user:office") == 0
    assert storage.incr("login-user:office", 900) == 1
    assert storage.get_expiry("login-user:office") == now[0] + 900
    storage.clear("login-user:office")
    assert storage.get("login-user:office") == 0
    storage.incr("a", 10)
    now[0] += 11
    assert storage.purge() == 1  # "a", whose window ended
    storage.incr("b", 10)
    now[0] += 11
    storage.incr("c", 10)  # a failure clears the counters whose window has ended
    assert storage.get_expiry("b") == now[0] and storage.purge() == 0


def test_gunicorn_workers_share_the_failed_sign_in_count(tmp_path):
    """Four gunicorn workers, the counters in the database (the default workflow-db://): a
    sign-in still succeeds after a failure; ten failures, most sent at once, whichever workers
    answer them, lock the account on the eleventh attempt."""
    import http.client
    import os
    import re
    import secrets
    import socket
    import subprocess
    import sys
    import threading
    import time
    from pathlib import Path
    from urllib.parse import urlencode

    root = Path(__file__).resolve().parents[1]
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        url = f"sqlite:///{tmp_path / 'limits.db'}"
    else:  # a database of its own on the test server
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        name = f"workflow_limits_{os.getpid()}"
        admin = create_engine(make_url(url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        url = make_url(url).set(database=name).render_as_string(hide_password=False)
    env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
           "SESSION_COOKIE_SECURE": "0"}
    env.pop("RATELIMIT_STORAGE_URI", None)
    env.pop("TEST_DATABASE_URL", None)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for command in ("init-db", "seed"):
        assert subprocess.run([*flask, command], cwd=root, env=env, capture_output=True).returncode == 0
    assert subprocess.run([*flask, "create-user", "vanphong", "--role", "office", "--unit", "van-phong-tinh-uy"],
                          cwd=root, env=env, input=f"{PASSWORD}\n", capture_output=True, text=True).returncode == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "4", "-b", f"127.0.0.1:{port}", "wsgi:app"],
                              cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def sign_in(password: str) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/login")
        response = conn.getresponse()
        page = response.read().decode()
        cookie = response.getheader("Set-Cookie", "").split(";", 1)[0]
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", "/login", body=urlencode({"csrf_token": token, "username": "vanphong",
                                                       "password": password}),
                     headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        response = conn.getresponse()
        body = response.read().decode()
        conn.close()
        return response.status, body

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=5).request("GET", "/login")
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        # A failure, then the right password: signed in (the limit's headers read the counters
        # while the request's own transaction is open).
        assert sign_in("sai-mat-khau")[0] == 401
        assert sign_in(PASSWORD)[0] == 302
        statuses: list[int] = []
        threads = [threading.Thread(target=lambda: statuses.extend(sign_in("sai-mat-khau")[0] for _ in range(3)))
                   for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert statuses == [401] * 9
        status, body = sign_in(PASSWORD)
        assert status == 429 and "Đăng nhập sai quá nhiều lần" in body
    finally:
        server.terminate()
        server.wait(15)


def test_control_characters_do_not_escape_the_per_user_limit(app, db):
    """Finding 5: "office\x01" was another key for the limit but the same account for the lookup."""
    client = web_client(app)
    variants = ["office\x01", "office\x02", " OFFICE\t", "off\u200bice", "Office\x7f", "office\x1b",
                "office\x03", "ofFice\x04", "office\x05", "office\x06"]
    for i, name in enumerate(variants):  # from ten addresses: only the per-user count can trip
        assert attempt(client, name, "sai-mat-khau", f"10.0.9.{i}").status_code == 401
    response = attempt(client, "office", PASSWORD, "10.0.9.99")
    assert response.status_code == 429 and "Đăng nhập sai quá nhiều lần" in text(response)


def test_one_normalisation_for_accounts_lookup_and_limit():
    from workflow.text import normalise_username

    assert normalise_username(" Ratelim\x01\u200b ") == normalise_username("ratelim") == "ratelim"
    assert normalise_username("Nguyễn".encode().decode()) == normalise_username("Nguye\u0302\u0303n") == "nguyễn"


def test_gunicorn_without_app_env_does_not_accept_cookies_signed_with_the_public_key(tmp_path):
    """Finding 6: ``gunicorn wsgi:app`` without APP_ENV ran with "dev-only-insecure-key", so a
    session cookie forged with it reached /admin/users. Now the installation's random key signs
    sessions and CSRF tokens: the forged admin session and a forged CSRF token are refused."""
    import http.client
    import os
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path
    from urllib.parse import urlencode

    from flask import Flask
    from itsdangerous import URLSafeTimedSerializer

    from config import INSECURE_DEV_KEY

    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items()
           if k not in ("APP_ENV", "SECRET_KEY", "TEST_DATABASE_URL", "RATELIMIT_STORAGE_URI", "FLASK_ENV")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'forged.db'}"
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    assert subprocess.run([*flask, "init-db"], cwd=root, env=env, capture_output=True).returncode == 0
    made = subprocess.run([*flask, "create-user", "quantri", "--role", "admin"], cwd=root, env=env,
                          input=f"{PASSWORD}\n", capture_output=True, text=True)
    assert made.returncode == 0, made.stderr

    forger = Flask("forger")
    forger.secret_key = INSECURE_DEV_KEY
    serializer = forger.session_interface.get_signing_serializer(forger)
    admin_cookie = "session=" + serializer.dumps({"_user_id": "1", "_fresh": True, "_id": "x"})
    raw_csrf = "f" * 40
    csrf_cookie = "session=" + serializer.dumps({"csrf_token": raw_csrf})
    csrf_field = URLSafeTimedSerializer(INSECURE_DEV_KEY, salt="wtf-csrf-token").dumps(raw_csrf)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"],
                              cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def request(method, path, cookie, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Cookie": cookie}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        page = response.read().decode()
        conn.close()
        return response.status, response.getheader("Location") or "", page

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=5).request("GET", "/login")
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        status, location, _ = request("GET", "/admin/users", admin_cookie)
        assert status == 302 and "/login" in location, (status, location)
        status, _, page = request("POST", "/login", csrf_cookie,
                                  urlencode({"csrf_token": csrf_field, "username": "quantri", "password": "sai"}))
        assert status == 400 and "thiếu mã bảo mật" in page  # with the public key this was a 401 (token accepted)
    finally:
        server.terminate()
        server.wait(15)
