"""What every request pays in Flask's plumbing, kept to what it needs (issue 16). ``install(app)``.

**The signed session cookie, verified once per distinct cookie.** Every request of a signed-in user carries the same session cookie until the session changes (a
sign-in, a flashed message, a kept form): Flask checked its HMAC signature, decoded its base64,
JSON and tags again on every request (~0.15 ms of CPU, a tenth of what a page cost beside its
content). ``VerifiedCookieSessions`` keeps, per process, what an exact cookie string was verified
to hold, and answers the same string without verifying it again:

- the key is the whole cookie string with the secret key, the fallback keys and the salt: a cookie
  differing in a single character (another signature, another payload) is verified from scratch,
  and a new secret key verifies every cookie again;
- the signature's age is checked on every request exactly as itsdangerous checks it (older than
  ``PERMANENT_SESSION_LIFETIME``, or signed in the future: refused, an empty session);
- only sessions whose values are all plain immutable values (text, numbers, booleans, None) are
  kept, and every request gets its own session object: a request changing its session changes
  nothing kept (flashed messages and kept forms, the mutable ones, are verified every time);
- at most ``LIMIT`` cookies are kept; the store is emptied when full.

What a request is allowed to do is still decided on the server on every request (the sign-in's row
in ``user_sessions``, workflow/services/users.py); a cookie only names the sign-in.

**Hooks are looked at once.** Flask asks, for every hook it runs (8 context processors on every
page, the before/after-request and teardown functions, the view), whether it is a coroutine
function (``ensure_sync``: ~10 Python calls each, ~20 hooks a page). The answer cannot change for a
function: it is kept per function.
"""
from __future__ import annotations

import time

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

_PLAIN = (str, int, float, bool, type(None))
SYNC_LIMIT = 1024  # hooks and views whose answer is kept (there are a few hundred); emptied when full


def install(app) -> None:
    app.session_interface = VerifiedCookieSessions()
    keep_sync_checks(app)


def keep_sync_checks(app) -> None:
    """``app.ensure_sync(func)`` answered once per function (Flask's own answer, kept)."""
    ensure = app.ensure_sync
    known: dict = {}

    def ensure_sync(func):
        try:
            return known[func]
        except (KeyError, TypeError):  # (TypeError: an unhashable callable, answered as before)
            answer = ensure(func)
            try:
                if len(known) >= SYNC_LIMIT:
                    known.clear()
                known[func] = answer
            except TypeError:
                pass
            return answer

    app.ensure_sync = ensure_sync


class VerifiedCookieSessions(SecureCookieSessionInterface):
    LIMIT = 4096

    def __init__(self) -> None:
        self._verified: dict = {}

    def open_session(self, app, request):
        value = request.cookies.get(self.get_cookie_name(app))
        if not value or not app.secret_key:
            return super().open_session(app, request)
        key = (value, app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()), self.salt)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        kept = self._verified.get(key)
        if kept is not None:
            data, signed_at = kept
            age = int(time.time()) - signed_at  # itsdangerous' own check (TimestampSigner.unsign)
            if 0 <= age <= max_age:
                return self.session_class(data)
            return self.session_class()  # expired (or signed in the future): what loads() answers
        serializer = self.get_signing_serializer(app)
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if isinstance(data, dict) and all(type(item) in _PLAIN for item in data.values()):
            if len(self._verified) >= self.LIMIT:
                self._verified.clear()
            self._verified[key] = (dict(data), int(signed_at.timestamp()))
        return self.session_class(data)
