"""Trusted reverse proxies (``TRUSTED_PROXIES``): who the client really is.

Behind nginx every request comes from nginx's address; the client's own is in the
``X-Forwarded-For`` header nginx appends to. That header is only believed for as many
proxies as the configuration says stand in front of the application
(``TRUSTED_PROXIES``, default 0): with 0 the header is ignored (a client could write
anything in it), with 1 the last address nginx appended is the client's, and the
``X-Forwarded-Proto``/``-Host``/``-Port`` headers of that proxy are used too. The sign-in
limits (``workflow/web/views/auth.py``) then count real client addresses.

Werkzeug's ``ProxyFix`` does the work; the count is read from the application's
configuration on each request, so the configuration is the one source of truth.
"""
from __future__ import annotations

from werkzeug.middleware.proxy_fix import ProxyFix

MAX_TRUSTED_PROXIES = 5


class TrustedProxies:
    """WSGI middleware: ``ProxyFix`` with ``x_for = x_proto = x_host = x_port = TRUSTED_PROXIES``."""

    def __init__(self, app):
        self.app = app
        self.wsgi_app = app.wsgi_app
        self._fixes: dict[int, ProxyFix] = {}

    def __call__(self, environ, start_response):
        count = int(self.app.config.get("TRUSTED_PROXIES") or 0)
        if count <= 0:
            return self.wsgi_app(environ, start_response)
        fix = self._fixes.get(count)
        if fix is None:
            fix = self._fixes[count] = ProxyFix(self.wsgi_app, x_for=count, x_proto=count, x_host=count,
                                                x_port=count)
        return fix(environ, start_response)


def init_proxies(app) -> None:
    app.wsgi_app = TrustedProxies(app)
