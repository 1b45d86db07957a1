"""The dispatch workflow application: ``create_app`` builds it."""
from __future__ import annotations

from pathlib import Path

import math

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from models.types import MAX_ID
from werkzeug.routing import IntegerConverter

from config import BASE_DIR, Config, get_config, instance_secret_key


def create_app(config: Config | str | None = None) -> Flask:
    """Application factory. ``config`` is a Config instance or a name (development, testing, production)."""
    if not isinstance(config, Config):
        config = get_config(config)
    app = Flask(
        __name__,
        instance_path=str(BASE_DIR / "instance"),
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
    )
    app.config.from_object(config)
    app.json = StrictJSONProvider(app)  # JSON bodies that would crash a parser or a database are 400s
    app.url_map.converters["int"] = DatabaseIdConverter  # before any route is added
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    from workflow.proxy import init_proxies

    init_proxies(app)  # TRUSTED_PROXIES: believe X-Forwarded-* from that many proxies only
    if not app.config.get("SECRET_KEY"):  # never a public key: one of this installation (finding 6)
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
    from workflow import page_overhead

    # the session cookie verified once, hooks looked at once (issue 16); before the extensions, which
    # wrap its session interface (a token's request: no cookie session)
    page_overhead.install(app)
    from workflow import snapshots

    snapshots.take_first(app)  # the key of a kept read before anything else of its request (issue 16)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    app.json.ensure_ascii = False  # Vietnamese stays readable in JSON
    return app


_FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Set on every response unless the view set its own (in this order).
SECURITY_HEADERS = (("Content-Security-Policy", CONTENT_SECURITY_POLICY), ("X-Frame-Options", "DENY"),
                    ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"))


def register_errorhandlers(app: Flask) -> None:
    """JSON errors under /api/; plain Vietnamese pages elsewhere (never a stack trace)."""
    from flask import abort, jsonify, request
    from werkzeug.exceptions import HTTPException

    from workflow.api import HTTP_MESSAGES

    @app.before_request
    def _refuse_nul_bytes():
        """A NUL character can be stored by no database we use: refuse it at the door (400)."""
        req = request._get_current_object()  # (one proxy lookup, not six: issue 16)
        values = [req.path, *req.args.values()] if req.query_string else [req.path]  # (no query: no args)
        if req.mimetype in _FORM_TYPES:  # (other bodies have no form: not parsed for nothing)
            values.extend(req.form.values())
        if any("\x00" in v for v in values):
            abort(400)
        if req.is_json:
            body = req.get_data()  # bytes: an escaped or raw NUL is found without decoding the body
            if b"\\u0000" in body or b"\x00" in body:
                abort(400)

    def wants_json() -> bool:
        return request.path.startswith("/api/")

    @app.after_request
    def _security_headers(response):
        """No inline scripts or styles, no framing, no referrer leaks to other sites."""
        headers = response.headers
        present = {name.lower() for name, _ in headers.items()}  # one pass, not four (issue 16)
        headers.extend([(name, value) for name, value in SECURITY_HEADERS if name.lower() not in present])
        return response

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        message = HTTP_MESSAGES.get(exc.code, "Lỗi.")
        if exc.code == 429 and "Đăng nhập" in str(exc.description or ""):
            message = str(exc.description)
        if wants_json():
            response = jsonify({"error": message})
            response.status_code = exc.code or 500
            return response
        return _page(message, exc.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        from workflow.extensions import db

        app.logger.exception("Unexpected error")
        db.session.rollback()
        message = "Lỗi hệ thống ngoài dự kiến; thao tác chưa được thực hiện."
        if wants_json():
            response = jsonify({"error": message})
            response.status_code = 500
            return response
        return _page(message, 500)

    def _page(message: str, status: int):
        from flask import render_template
        from jinja2 import TemplateNotFound

        try:
            return render_template("error.html", message=message, status=status), status
        except TemplateNotFound:
            from markupsafe import escape

            return f"<!doctype html><html lang=vi><meta charset=utf-8><title>{status}</title>" \
                   f"<h1>{status}</h1><p>{escape(message)}</p></html>", status


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing (ValueError, so a request's JSON is a 400) what no client of this API
    sends and what used to answer 500: nesting deep enough to exhaust the recursion limit,
    ``NaN``/``Infinity`` and numbers that overflow a float, integers of more than 20 digits
    (``10**400``), and lone surrogates (``"\\ud800"``, which no database can store)."""

    MAX_INT_DIGITS = 20

    @staticmethod
    def _int(text: str) -> int:
        if len(text.lstrip("-")) > StrictJSONProvider.MAX_INT_DIGITS:
            raise ValueError("integer too large")
        return int(text)

    @staticmethod
    def _float(text: str) -> float:
        value = float(text)
        if math.isinf(value) or math.isnan(value):
            raise ValueError("number out of range")
        return value

    @staticmethod
    def _constant(text: str):
        raise ValueError(f"{text} is not JSON")

    def loads(self, s, **kwargs):
        kwargs.setdefault("parse_int", self._int)
        kwargs.setdefault("parse_float", self._float)
        kwargs.setdefault("parse_constant", self._constant)
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        text = s.decode("utf-8", "replace") if isinstance(s, (bytes, bytearray)) else s
        if "\\ud" in text.lower():  # an escaped surrogate: check that every one is paired
            _check_surrogates(value)
        return value


def _check_surrogates(value) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("lone surrogate in a JSON string") from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


class DatabaseIdConverter(IntegerConverter):
    """``<int:…>`` in every route stops at the largest 32-bit id: a bigger number is a 404,
    not a database error."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def register_extensions(app: Flask) -> None:
    import models  # noqa: F401  (register the mappers)
    import workflow.counts  # noqa: F401  (keeps the task counts exact on every flush)
    import workflow.ratelimit  # noqa: F401  (registers the workflow-db:// storage of the sign-in limits)
    from workflow.auth import init_login
    from workflow.extensions import csrf, db, limiter, migrate

    db.init_app(app)
    limiter.init_app(app)
    from workflow.request_overhead import check_limits_only_where_set

    check_limits_only_where_set(app, limiter)  # the sign-in form's limits only where they are (issue 16)
    from workflow.request_overhead import limiter_hooks_after_only_when_used

    limiter_hooks_after_only_when_used(app, limiter)  # and its after-request work only where it checked
    from workflow.request_overhead import bearer_requests_skip_the_cookie_session

    bearer_requests_skip_the_cookie_session(app)  # a token's request: no cookie session (issue 16)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    init_login(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _tune_sqlite(app)
    from workflow import dbtuning

    with app.app_context():  # ping after idle only; prepared statements kept (issue 16)
        dbtuning.install(db.engine, app.config)


def _tune_sqlite(app: Flask) -> None:
    """WAL, immediate transactions and a busy timeout, so concurrent writers wait their turn
    and the version check decides who wins; foreign keys on."""
    from sqlalchemy import event

    from workflow.extensions import db

    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            # Let SQLAlchemy, not pysqlite, decide when transactions begin (needed for SAVEPOINT).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            if engine.url.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection):
            # IMMEDIATE: take the write lock up front, so two writers queue (busy_timeout)
            # instead of failing with "database is locked" when a read snapshot turns stale.
            # A connection that only reads says so (execution option ``read_only``): in WAL mode
            # it reads beside the writer instead of waiting for it.
            read_only = connection.get_execution_options().get("read_only")
            connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def register_blueprints(app: Flask) -> None:
    from workflow.api import bp as api_bp
    from workflow.extensions import csrf

    csrf.exempt(api_bp)  # the API authenticates with bearer tokens; session writes are checked in the API
    app.register_blueprint(api_bp)
    from workflow.api.reminders import feed

    app.add_url_rule("/feeds/<code>/<secret>.ics", "unit_feed", feed)
    from workflow.web import bp as web_bp  # the web pages (sign-in, dashboards, lists, forms)
    app.register_blueprint(web_bp)


def register_commands(app: Flask) -> None:
    from workflow.cli import register

    register(app)
