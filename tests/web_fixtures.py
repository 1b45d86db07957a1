"""Helpers and fixtures of the web tests (imported by tests/test_web_*.py).

- ``csrf_token_from(html)``: the token of the first form on a page, as a browser would send it.
- ``sign_in(client, user)``: a signed-in session without the cost of a password check.
- ``login(client, username)``: a real sign-in through the ``/login`` form.
- ``live_server``: the application on a real HTTP port (for the browser tests), on its own
  temporary SQLite database, with its clock frozen and movable.
"""
from __future__ import annotations

import os
import re
import tempfile
import threading
from datetime import datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, local

OUTPUT_DIR = Path(__file__).resolve().parent / "output"
STRICT_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
              "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
VALUE = re.compile(r'value="([^"]*)"')


class WebClient(FlaskClient):
    """A test client whose every request starts with a clean ``g``.

    The ``db`` fixture keeps one application context open for the whole test, and Flask
    reuses it for each request, so ``g`` would carry the signed-in user (Flask-Login) and
    the CSRF token (Flask-WTF) from one request, or one client, to the next.
    """

    def open(self, *args, **kwargs):
        from flask import g, has_app_context

        if has_app_context():
            for name in ("_login_user", "csrf_token"):
                g.pop(name, None)
        return super().open(*args, **kwargs)


def web_client(app) -> WebClient:
    return WebClient(app, app.response_class, use_cookies=True)


@pytest.fixture()
def web(app, db):
    """A fresh browser-like client on the rolled-back test database."""
    return web_client(app)


def csrf_token_from(html: str) -> str:
    """The CSRF token rendered in a page's form."""
    match = CSRF_INPUT.search(html)
    assert match, "the page has no form with a csrf_token field"
    value = VALUE.search(match.group(0))
    assert value, "the csrf_token field has no value"
    return value.group(1)


def sign_in(client, user) -> None:
    """Put ``user`` in the client's session the way Flask-Login does after a sign-in."""
    app = client.application
    with app.test_request_context(environ_base=client.environ_base):
        identifier = app.login_manager._session_identifier_generator()  # what "strong" protection checks
    from datetime import timedelta

    from workflow import clock
    from workflow.services.users import start_session

    from contextlib import nullcontext

    from flask import has_app_context

    # A live sign-in on the server, as /login makes (issue 14); inside the test's own application
    # context when there is one (a new one would close the test's database session on leaving).
    with nullcontext() if has_app_context() else app.app_context():
        identity = start_session(user, remember=False, now=clock.utcnow(), lifetime=timedelta(hours=12))
    with client.session_transaction() as session:
        session["_user_id"] = identity
        session["_fresh"] = True
        session["_id"] = identifier


def login(client, username: str, password: str = PASSWORD):
    page = client.get("/login")
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def output_dir() -> Path:
    """tests/output/ (kept out of git by its own .gitignore)."""
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    ignore = OUTPUT_DIR / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")
    return OUTPUT_DIR


class LiveServer:
    """The application served by werkzeug in a thread, with a clock the test moves."""

    def __init__(self, app, url: str, clock_state: dict):
        self.app, self.url, self._clock = app, url, clock_state

    def set_now(self, value: datetime) -> None:
        self._clock["now"] = value

    @property
    def now(self) -> datetime:
        return self._clock["now"]


@pytest.fixture(scope="module")
def live_server():
    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):  # keep the test output readable
            pass

    from tests.conftest import build_database
    from workflow import clock, create_app

    handle, path = tempfile.mkstemp(prefix="workflow-live-", suffix=".db")
    os.close(handle)
    state = {"now": local(2026, 11, 22, 8, 0)}
    with pytest.MonkeyPatch.context() as patch:
        # The testing configuration, on a database of its own (whatever the other tests use).
        patch.setenv("TEST_DATABASE_URL", "sqlite:///" + path)
        app = create_app("testing")
        patch.undo()
        build_database(app)

        @app.after_request
        def strict_csp(response):
            """The policy production will send: the pages must work without inline code."""
            response.headers["Content-Security-Policy"] = STRICT_CSP
            return response

        patch.setattr(clock, "utcnow", lambda: state["now"])
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        try:
            yield LiveServer(app, f"http://127.0.0.1:{server.server_port}", state)
        finally:
            server.shutdown()
            thread.join(timeout=5)
            with app.app_context():
                from workflow.extensions import db

                db.session.remove()
                db.engine.dispose()
            for suffix in ("", "-wal", "-shm"):
                try:
                    os.remove(path + suffix)
                except FileNotFoundError:
                    pass
