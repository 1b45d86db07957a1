"""What every request pays before and after its view (issue 16), kept to what the request needs.

Flask-Limiter checks every request against the limits that could apply to it, although the only
limits of this application are the sign-in form's (``workflow/web/views/auth.py``): resolving
"none" cost an API request about as much as one of its database round trips. Its check now runs
only for the endpoints that have a limit; the others (every API route, every page but /login) are
found once per endpoint to have none — no default or application limit, no limit on their
blueprint, none on their view — and skipped from then on. A limit added later to any view or
blueprint, or a default limit in the configuration, makes that endpoint checked again.
"""
from __future__ import annotations

from flask import Flask, request


def check_limits_only_where_set(app: Flask, limiter) -> None:
    """Replace the limiter's before-request check with one that skips endpoints without limits."""
    check = limiter._check_request_limit
    hooks = app.before_request_funcs.setdefault(None, [])
    position = next((i for i, hook in enumerate(hooks) if hook == check), None)
    if position is None:  # not registered as expected (another Flask-Limiter): leave it as it is
        return
    unlimited: dict[str | None, bool] = {}

    def check_request_limit():
        endpoint = request.endpoint
        skip = unlimited.get(endpoint)
        if skip is None:
            skip = unlimited[endpoint] = has_no_limits(app, limiter, endpoint)
        if not skip:
            return check()
        return None

    hooks[position] = check_request_limit


def limiter_hooks_after_only_when_used(app: Flask, limiter) -> None:
    """Flask-Limiter's after-request hook (conditional deductions, ``X-RateLimit-*`` headers) and its
    teardown (clearing its state) act on the state its check keeps for the request; a request that
    never touched the limiter (an endpoint without limits: no check ran) has none, so both have
    nothing to do and are skipped. Any request whose limits were checked runs them as before."""
    from flask.globals import request_ctx

    inject = next((hook for hook in app.after_request_funcs.get(None, [])
                   if getattr(getattr(hook, "func", None), "__name__", "") == "__inject_headers"
                   and getattr(hook, "args", ()) == (limiter,)), None)
    release = limiter._Limiter__release_context
    teardowns = app.teardown_request_funcs.get(None, [])
    if inject is None or release not in teardowns:  # not registered as expected: leave them as they are
        return

    def used() -> bool:
        return hasattr(request_ctx._get_current_object(), "_limiter_request_context")  # flask_limiter's own

    def inject_headers(response):
        return inject(response) if used() else response

    def release_context(error=None):
        if used():
            release(error)

    hooks = app.after_request_funcs[None]
    hooks[hooks.index(inject)] = inject_headers
    teardowns[teardowns.index(release)] = release_context


def has_no_limits(app: Flask, limiter, endpoint: str | None) -> bool:
    """True when no limit of ``limiter`` can apply to ``endpoint`` (unknown endpoints: False)."""
    from flask_limiter.util import get_qualified_name

    manager = limiter.limit_manager
    view = app.view_functions.get(endpoint or "")
    if view is None or not limiter.enabled or manager.application_limits or manager.default_limits:
        return False
    name = get_qualified_name(view)
    if manager._decorated_limits.get(name) or name in limiter._marked_for_limiting or manager.has_hints(endpoint):
        return False
    parts = endpoint.split(".")[:-1]  # the blueprints the endpoint is nested in ("api", "web", …)
    blueprints = {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return not any(manager._blueprint_limits.get(blueprint) for blueprint in blueprints)


# --- the cookie session of a request that carries a bearer token ---------------------------------

def bearer_requests_skip_the_cookie_session(app: Flask) -> None:
    """An API request that sends an ``Authorization`` header is authenticated by it alone
    (``workflow.api.api_user``: a bearer token if one is sent, never the session): its session cookie,
    if the client sends one, is neither verified and decoded nor written back (issue 16: signing
    checks on every event of a signed-in browser or script). The request gets an empty session;
    reading it still marks the answer ``Vary: Cookie``, as before. Every other request: the installed
    interface's (Flask's, or ``workflow.page_overhead.VerifiedCookieSessions``)."""
    from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

    base = type(app.session_interface)
    if not issubclass(base, SecureCookieSessionInterface):  # not a signed-cookie session: leave it
        return

    class TokenRequestSession(SecureCookieSession):
        """The session of a request authenticated by its token: empty, never saved."""

    class Sessions(base):  # Flask's, or workflow.page_overhead's verified-once cookies
        def open_session(self, app, request):
            if request.path.startswith("/api/") and request.headers.get("Authorization"):
                return TokenRequestSession()
            return super().open_session(app, request)

        def save_session(self, app, session, response):
            if isinstance(session, TokenRequestSession):
                if session.accessed:
                    response.vary.add("Cookie")
                return
            return super().save_session(app, session, response)

    app.session_interface = Sessions()
