"""The limiter's check runs only where a limit is set (workflow/request_overhead.py, issue 16): the
sign-in form's limits still apply, a limit added later to a view, a blueprint or as a default applies
too, and endpoints without one skip the check."""
from __future__ import annotations

from flask import Blueprint, Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from workflow.request_overhead import check_limits_only_where_set, has_no_limits, limiter_hooks_after_only_when_used


def test_the_application_checks_limits_on_the_sign_in_form_only(app):
    from workflow.extensions import limiter

    assert not has_no_limits(app, limiter, "web.login")
    assert has_no_limits(app, limiter, "api.fire_event")
    assert has_no_limits(app, limiter, "api.list_tasks")
    assert has_no_limits(app, limiter, "web.dashboard")
    assert not has_no_limits(app, limiter, None)  # no endpoint (a 404): the limiter decides


def _small_app(**limiter_options):
    app = Flask(__name__)
    limiter = Limiter(key_func=get_remote_address, storage_uri="memory://", **limiter_options)
    limited = Blueprint("limited", __name__, url_prefix="/b")

    @app.get("/free")
    def free():
        return "ok"

    @app.get("/once")
    @limiter.limit("1 per minute")
    def once():
        return "ok"

    @limited.get("/x")
    def in_limited_blueprint():
        return "ok"

    limiter.limit("1 per minute")(limited)
    app.register_blueprint(limited)
    limiter.init_app(app)
    calls = []
    check = limiter._check_request_limit

    def counting_check(*args, **kwargs):
        calls.append(1)
        return check(*args, **kwargs)

    hooks = app.before_request_funcs[None]
    hooks[hooks.index(check)] = counting_check  # what check_limits_only_where_set wraps
    limiter._check_request_limit = counting_check
    check_limits_only_where_set(app, limiter)
    limiter_hooks_after_only_when_used(app, limiter)
    return app, calls


def test_limits_on_a_view_or_a_blueprint_still_apply_and_free_endpoints_skip_the_check():
    app, calls = _small_app()
    client = app.test_client()
    assert [client.get("/once").status_code for _ in range(2)] == [200, 429]
    assert [client.get("/b/x").status_code for _ in range(2)] == [200, 429]
    checked = len(calls)
    assert checked >= 4
    assert all(client.get("/free").status_code == 200 for _ in range(5))
    assert len(calls) == checked  # no check for an endpoint without limits


def test_a_default_limit_applies_to_every_endpoint():
    app, calls = _small_app(default_limits=["2 per minute"])
    client = app.test_client()
    assert [client.get("/free").status_code for _ in range(3)] == [200, 200, 429]


def test_a_nul_character_is_refused_at_the_door_in_a_query_or_a_json_body(client, tokens):
    """The NUL check reads the JSON body as bytes and parses a form only for form bodies."""
    headers = {"Authorization": f"Bearer {tokens['taichinh']}"}
    assert client.get("/api/v1/tasks?q=a%00b", headers=headers).status_code == 400
    for body in (b'{"event": "report", "note": "a\\u0000b", "version": 1}',
                 b'{"event": "report", "note": "a\x00b", "version": 1}'):
        response = client.post("/api/v1/tasks/1/events", data=body, headers=headers,
                               content_type="application/json")
        assert response.status_code == 400 and "error" in response.get_json()
    response = client.post("/api/v1/tasks/1/events", data=b'{"event": "report", "note": "Nam\xc4\x83m", "version": 1}',
                           headers=headers, content_type="application/json")
    assert response.status_code != 400, response.get_json()  # Vietnamese text passes the door


def test_the_limit_headers_and_the_limiters_state_where_a_limit_was_checked():
    """The limiter's after-request hook and teardown are skipped only for requests it never checked:
    a limited endpoint still answers with its X-RateLimit headers (and Retry-After on a 429), a
    conditional deduction still counts, a free endpoint carries none."""
    app, _ = _small_app(headers_enabled=True)
    limiter = next(iter(app.extensions["limiter"]))

    @app.get("/costly")
    @limiter.limit("2 per minute", deduct_when=lambda response: response.status_code == 201)
    def costly():
        return "made", 201

    client = app.test_client()
    first = client.get("/once")
    assert first.status_code == 200 and first.headers["X-RateLimit-Limit"] == "1"
    assert first.headers["X-RateLimit-Remaining"] == "0"
    refused = client.get("/once")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    free = client.get("/free")
    assert free.status_code == 200 and not any(h.startswith("X-RateLimit") for h in free.headers.keys())
    assert [client.get("/costly").status_code for _ in range(3)] == [201, 201, 429]  # deducted after each answer


def test_the_application_installs_the_limiters_after_hooks_wrapped(app):
    from workflow.extensions import limiter

    names = [getattr(hook, "__name__", "") for hook in app.after_request_funcs[None]]
    assert "inject_headers" in names and not any(getattr(getattr(h, "func", None), "__name__", "") ==
                                                 "__inject_headers" for h in app.after_request_funcs[None])
    assert limiter._Limiter__release_context not in app.teardown_request_funcs[None]
