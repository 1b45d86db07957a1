"""A form kept across a redirect: after a refused action (Post/Redirect/Get) and across a sign-in
when the session ended while the form was open.

The form's fields (never the CSRF token or a password) are kept in the session with the address
the form was posted to (``action``) and the page it was on (``page``, a GET address). The page,
when it is shown next, takes them back (``take``) and fills its form in, so the typed text is not
lost and the address bar never holds a POST address (which would answer 405 when reopened).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import request, session, url_for
from werkzeug.datastructures import MultiDict

from workflow.web.helpers import clean_text, safe_next

KEY = "pending_form"
SKIPPED = {"csrf_token", "password", "old_password", "new_password", "confirm"}
MAX_FIELD = 3000   # characters kept per field
MAX_TOTAL = 3200   # characters kept in all (the session is a signed cookie of at most 4 KB)


def stash(action: str, page: str, form=None) -> None:
    """Keep the fields of ``form`` (default: the request's) for ``page``."""
    data = form if form is not None else request.form
    fields: list[list[str]] = []
    total = 0
    for name, values in data.lists():
        if name in SKIPPED or "password" in name:
            continue
        for value in values:
            value = (clean_text(value) or "")[:MAX_FIELD]
            if total + len(value) > MAX_TOTAL:
                value = value[:max(0, MAX_TOTAL - total)]
            total += len(value)
            fields.append([name[:100], value])
    session[KEY] = {"action": action, "page": page, "fields": fields}


def take(page: str, action_prefix: str = "") -> tuple[str, MultiDict] | None:
    """The kept form of ``page`` (its action and fields), removed from the session; None if none."""
    kept = session.get(KEY)
    if not isinstance(kept, dict) or urlsplit(str(kept.get("page", ""))).path != page:
        return None
    action = str(kept.get("action", ""))
    if not action.startswith(action_prefix):
        return None
    session.pop(KEY, None)
    return action, MultiDict([(str(n), str(v)) for n, v in kept.get("fields", []) if isinstance(n, str)])


def kept_for_this_page() -> dict | None:
    """The kept form of the page being shown, for any form the view did not fill in itself: the
    base template hands it to app.js, which fills the form posting to ``action`` (then it is gone)."""
    kept = session.get(KEY)
    if not isinstance(kept, dict) or request.method != "GET" \
            or urlsplit(str(kept.get("page", ""))).path != request.path:
        return None
    session.pop(KEY, None)
    return {"action": str(kept.get("action", "")), "fields": kept.get("fields", [])}


def page_of_form() -> str:
    """The GET page a posted form came from: the same-site Referer, else the dashboard."""
    referrer = request.referrer
    if referrer:
        parts = urlsplit(referrer)
        if parts.netloc == request.host:
            target = safe_next(parts.path + ("?" + parts.query if parts.query else ""))
            if target and not target.startswith("/login"):
                return target
    return url_for("web.dashboard")


def keep_for_sign_in() -> str:
    """The session ended while a form was open: keep what was typed, return the page to come back to."""
    page = page_of_form()
    stash(request.path, page)
    return page
