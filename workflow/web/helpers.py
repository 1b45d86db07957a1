"""Small helpers shared by the views: the clock, permission checks, choices, parsing."""
from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache
from urllib.parse import urlsplit

from flask import abort, current_app, flash
from flask_login import current_user
from sqlalchemy import select

from models import Unit
from models.unit import UNIT_KIND_LABELS, UNIT_KINDS
from workflow import clock
from workflow.deadlines import warning_level
from workflow.extensions import db
from workflow.kept import Kept
from workflow.text import vi_sort_key


_CONTROL = {c: None for c in range(32) if chr(c) not in "\t\n\r"} | {127: None}


def clean_text(value):
    """Text from a form or the query string without control characters (PostgreSQL refuses NUL)."""
    return value.translate(_CONTROL) if isinstance(value, str) else value


def param(args, name: str, limit: int = 200) -> str:
    """A query-string parameter as clean, trimmed, bounded text ("" when absent)."""
    return (clean_text(args.get(name)) or "").strip()[:limit]


def now() -> datetime:
    """The current instant (through ``workflow.clock`` so tests can freeze it)."""
    return clock.utcnow()


MAX_DB_INT = 2**63 - 1


def fits_db(number: int) -> bool:
    """Whether an id from a URL fits a database integer (larger ones would overflow the driver)."""
    return 0 <= number <= MAX_DB_INT


def ref_fits_db(ref: str) -> bool:
    """A dispatch reference that is an id must fit a database integer too."""
    ref = (ref or "").strip()
    return not ref.isdecimal() or fits_db(int(ref))


def require(allowed: bool) -> None:
    """403 unless ``allowed`` (the answer of a ``workflow.permissions`` check)."""
    if not allowed:
        abort(403)


def user():
    return current_user._get_current_object()


def safe_next(target: str | None) -> str | None:
    """A local path to go back to, or None (never another site: no open redirect)."""
    if not target or not isinstance(target, str):
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    return target


def task_warning(task, at: datetime) -> str:
    if task.status == "completed" and task.on_time is False:
        return "red"  # completed late: never the green "Trong hạn"
    return warning_level(task.deadline, at, completed=task.status == "completed",
                         overdue=task.status == "overdue",
                         yellow_days=current_app.config.get("WARNING_YELLOW_DAYS", 3))


def units_sorted(active_only: bool = True) -> list[Unit]:
    query = select(Unit)
    if active_only:
        query = query.where(Unit.active.is_(True))
    return sorted(db.session.scalars(query), key=lambda u: vi_sort_key(u.name))


def unit_choices(blank: str | None = None, grouped: bool = True):
    """Choices for a unit select, in Vietnamese order, grouped by kind (organs first).

    Read as columns (code, name, kind), not whole units: the select is on many pages (issue 16)."""
    global _ACTIVE_UNITS
    if _ACTIVE_UNITS is None:  # built once (issue 16)
        _ACTIVE_UNITS = select(Unit.code, Unit.name, Unit.kind).where(Unit.active.is_(True))
    rows = tuple(db.session.execute(_ACTIVE_UNITS).tuples())
    built = _choices_of(rows, blank, grouped)  # kept per distinct set of units (a pure function of the rows)
    return list(built) if not grouped else {group: list(members) for group, members in built.items()}


_ACTIVE_UNITS = None


@lru_cache(maxsize=64)
def _choices_of(rows: tuple, blank: str | None, grouped: bool):
    """``unit_choices`` of these (code, name, kind) rows; the caller copies the answer."""
    units = sorted(rows, key=lambda u: vi_sort_key(u[1]))
    if not grouped:
        choices = [(code, name) for code, name, _ in units]
        return ([("", blank)] if blank is not None else []) + choices
    groups: dict = {}
    if blank is not None:
        groups[""] = [("", blank)]
    by_kind: dict = {}
    for code, name, kind in units:
        by_kind.setdefault(kind, []).append((code, name))
    for kind in UNIT_KINDS:
        if by_kind.get(kind):
            groups[UNIT_KIND_LABELS[kind]] = by_kind[kind]
    return groups


def flash_form_errors(form) -> None:
    """One flash message per field error, with the field's label."""
    for name, errors in form.errors.items():
        field = getattr(form, name, None)
        label = field.label.text if field is not None and name != "csrf_token" else ""
        for error in errors:
            flash(f"{label}: {error}" if label else str(error), "danger")


def local_datetime(value: datetime | None) -> datetime | None:
    """A naive datetime from a form (typed in local time) made aware."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=clock.local_tz())
    return value


def day_start(value: date) -> datetime:
    return datetime.combine(value, time.min, tzinfo=clock.local_tz())


def day_end(value: date) -> datetime:
    return datetime.combine(value, time(23, 59, 59), tzinfo=clock.local_tz())


def parse_int(value, default: int, *, minimum: int = 1, maximum: int | None = None) -> int | None:
    """An integer query parameter; None when it is not one (the caller reports it)."""
    if value is None or value == "":
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    if number < minimum or (maximum is not None and number > maximum):
        return None
    return number


def parse_date(value) -> date | None | bool:
    """A ``YYYY-MM-DD`` (or ``dd/mm/YYYY``) query parameter; None when empty, False when unreadable."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()[:40]
    parsed = None
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.strptime(text, "%d/%m/%Y").date()
        except ValueError:
            return False
    return parsed if 1900 <= parsed.year <= 2200 else False


_URL_SLOT = "\x00"  # never in a value the pages link with (NUL is refused at the door)
_QUERY_SAFE = "!$'()*,/:;?@"  # what werkzeug leaves unquoted in a query string (werkzeug.urls._urlencode)


def url_maker(endpoint: str, name: str, **values):
    """``url_for(endpoint, **{name: v}, **values)`` as a function of ``v``, for links built once per row of
    a long list: the address is built once and ``v`` put in its place (issue 16: ``url_for`` costs ~30 µs,
    and a page of 170 units or 50 tasks built it that many times). Same address as ``url_for``; an
    integer path argument (``task_id``) or a query argument; anything else falls back to ``url_for``."""
    from urllib.parse import quote_plus

    from flask import url_for

    from models.types import MAX_ID

    probe = url_for(endpoint, **{name: _URL_SLOT}, **values) if name not in _int_args(endpoint) else None
    if probe is not None and probe.count("%00") == 1 and "?" in probe and probe.index("%00") > probe.index("?"):
        head, tail = probe.split("%00")
        return lambda value: f"{head}{quote_plus(str(value), safe=_QUERY_SAFE)}{tail}"
    if probe is None:
        probe = url_for(endpoint, **{name: MAX_ID}, **values)
        if probe.count(str(MAX_ID)) == 1:
            head, tail = probe.split(str(MAX_ID))
            return lambda value: f"{head}{int(value)}{tail}"
    return lambda value: url_for(endpoint, **{name: value}, **values)


def _int_args(endpoint: str) -> set:
    from flask import current_app
    from werkzeug.routing import IntegerConverter

    return {arg for rule in current_app.url_map.iter_rules(endpoint)
            for arg, converter in rule._converters.items() if isinstance(converter, IntegerConverter)}


FRAGMENT_LIMIT = 256  # pieces kept per process; the store is emptied when full
_FRAGMENTS = Kept(FRAGMENT_LIMIT)


def fragment(template_name: str, key, **context):
    """``template_name`` rendered with ``context``, kept for the next page whose ``key`` is equal (issue 16).

    For a long piece of a page (a table of 100 tasks, the ~170 units with their counts, a select of the
    units) that is a pure function of its inputs: ``key`` must hold every value the piece shows or
    depends on (the caller builds it from the same rows it passes in ``context``); the template, the
    application's URL root and its time zone are added here. So an equal key means the same HTML, and any
    change of what the piece shows (a name, a count, a deadline, the selected unit) is a new key: nothing
    to invalidate. Rendering 170 units in Jinja costs milliseconds; the key, microseconds."""
    from flask import request
    from markupsafe import Markup

    template = current_app.jinja_env.get_template(template_name)
    full_key = (template, request.script_root, current_app.config.get("TIMEZONE"), key)
    return _FRAGMENTS.get(full_key, lambda: Markup(template.render(**context)))


def fragment_of(template_name: str, key, render):
    """``fragment`` whose context is built only when the piece is rendered: ``render()`` renders it (the rows it
    shows read then, from what ``key`` holds). Kept with ``fragment``'s pieces, under the same kind of key."""
    from flask import request
    from markupsafe import Markup

    template = current_app.jinja_env.get_template(template_name)
    full_key = (template, request.script_root, current_app.config.get("TIMEZONE"), key)
    return _FRAGMENTS.get(full_key, lambda: Markup(render()))
