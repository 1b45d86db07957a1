"""Reads answered again without reading (issue 16): a piece of an answer (a dashboard's content, the
overdue list's content, the JSON of an API task list) kept per process and served again while the
database cannot have changed, keyed by PostgreSQL's MVCC snapshot.

Why an equal key means an equal answer
--------------------------------------
``SELECT pg_current_snapshot()`` (PostgreSQL 13 and later) gives the snapshot a statement would use as
text, ``xmin:xmax:xip,…``. Whether a snapshot sees the work of a transaction is decided by that text
and the transaction's fate: a transaction id at or above ``xmax`` or listed in ``xip`` is in progress
for it; any other top-level transaction id below ``xmax`` had finished when the snapshot was taken,
and whether it committed is fixed forever (a subtransaction is seen exactly when its top-level
transaction is, so it follows the same rule). So two snapshots with the same text see exactly the
same committed data. Ids are 64-bit (``xid8``, with the epoch): a text never comes back after a
wraparound. Every write anywhere in the cluster takes a new transaction id; once it finishes, every
new snapshot differs from the ones taken before (its id leaves ``xip``, or ``xmax`` moves past it).

Under READ COMMITTED each statement of a request takes a new snapshot. The key is therefore taken
FIRST, before any statement that feeds the piece: for ``ENDPOINTS`` when the request starts, before
the sign-in check (``take_first``), elsewhere when ``kept`` is called (``build`` runs after it):
the piece then reflects the key's state or a newer one, never an older one. Let request A take key
``S``, build the piece from statements that see ``T`` (``T`` sees everything ``S`` sees, perhaps
more) and keep it; request B later takes a key with the same text ``S`` and is served A's piece.
- If B's key was taken after A's statements ran, ``T`` sees nothing more than ``S``: a transaction
  that ``T`` sees and ``S`` does not had committed before ``T`` was taken, so it would have finished
  for B's snapshot too (out of its ``xip``, below its ``xmax``), and B's text would differ. The piece
  is exactly B's state (each of A's statements, with its own snapshot, included).
- If B's key was taken while A was still reading (B finds the piece only after A kept it), the piece
  may be newer than B's key, never older: as if B's own statements had run a moment later, which
  READ COMMITTED allows anyway (every statement of a request sees its own, newer snapshot).
So a piece is never served older than the state of the reader's own key.

Two more conditions make it exact:
- The request itself has written nothing before the key (``pg_current_xact_id_if_assigned()`` is
  NULL): a snapshot leaves out its own transaction's id, so the text of a request that wrote and
  later rolls back can equal the text of a later snapshot that never sees those writes. Such a
  request gets no key. And a piece is kept only if nothing but plain ``SELECT`` statements ran in the
  transaction (``workflow.dbtuning``'s mark; without it nothing is kept).
- Everything else the piece depends on is in the key (``kept``'s ``parts``, chosen by each caller):
  the endpoint and the whole query string; the user (id, role, unit: two users in one state see
  different pieces; the signed-in user and their unit are read after the key, like the rest, so the
  objects SQLAlchemy's identity map hands to the view, never refreshed, are not older than the key);
  the clock at the resolution the piece uses (the callers compute with ``minute(now)``, the instant
  the page shows, so the piece is a function of that minute); the URL root; and the settings the
  pieces read (``CONFIG_KEYS``).
Nothing is ever invalidated: a change makes new keys. What is outside the piece stays per request:
the layout (``base.html``: sign-in, the bell, the menus, CSRF tokens, flash messages).
The argument holds for one server's history of transaction ids: after a failover to an asynchronous
standby that lost commits (ids may then be given out again), restart the application's workers, or
run with ``SNAPSHOT_PIECES=0``.

SQLite (the embedded default) has no such key (``PRAGMA data_version`` ignores the connection's own
writes): no piece is kept there, every request computes as before, with the same answers.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any

# The settings read by the pieces kept here (time zone, warning threshold, names, API page sizes).
CONFIG_KEYS = ("TIMEZONE", "WARNING_YELLOW_DAYS", "ORGANISATION_NAME", "API_PER_PAGE_DEFAULT", "API_PER_PAGE_MAX")
DEFAULT_LIMIT = 128  # pieces per process (``SNAPSHOT_PIECES``; 0 keeps none)
# Run as plain driver SQL (no compilation: the cheapest way through SQLAlchemy, still seen by its events).
_STATEMENT = "SELECT pg_current_snapshot()::text, pg_current_xact_id_if_assigned() IS NULL"


def minute(at: datetime) -> datetime:
    """``at`` at the start of its minute: the instant a kept piece is computed for (pages show minutes)."""
    return at.replace(second=0, microsecond=0)


class Pieces:
    """At most ``limit`` pieces, each stored with its database state and served only for that state. A
    piece of another state empties the store first (states move forward, so older pieces would hardly
    be asked for again). Safe with threads: an entry is read as one (state, value) pair, and the store
    is replaced, not emptied in place."""

    def __init__(self, limit: int):
        self.limit = limit
        self.state: Hashable = None
        self._values: dict = {}

    def find(self, state: Hashable, key: Hashable) -> Any:
        entry = self._values.get(key)
        return entry[1] if entry is not None and entry[0] == state else None

    def keep(self, state: Hashable, key: Hashable, value: Any) -> None:
        if state != self.state or len(self._values) >= self.limit:
            self._values, self.state = {}, state
        self._values[key] = (state, value)

    def __len__(self) -> int:
        return len(self._values)


def state() -> tuple | None:
    """The database state the next statements of this request will see at least: (the server's
    address, the snapshot's text); None on SQLite, before PostgreSQL 13, or after this transaction
    wrote."""
    from workflow.extensions import db

    session = db.session
    bind = session.get_bind()
    dialect = bind.dialect
    if dialect.name != "postgresql" or (dialect.server_version_info or (0,)) < (13,):
        return None
    snapshot, clean = session.connection().exec_driver_sql(_STATEMENT).one()
    if not clean:
        return None
    return bind.engine.url, snapshot  # (a Connection when the session is bound to one)


def _only_read() -> bool:
    """Whether this transaction ran only plain SELECT statements so far (``workflow.dbtuning``)."""
    from workflow.extensions import db

    raw = db.session.connection().connection.dbapi_connection
    return getattr(raw, "_workflow_wrote", True) is False


# The endpoints whose answers call ``kept``: their key is read when the request starts (``take_first``).
ENDPOINTS = frozenset({"web.dashboard", "web.overdue_list", "api.list_tasks"})
_UNREAD = object()


def take_first(app) -> None:
    """Read the key of the requests to ``ENDPOINTS`` before anything else they do, the sign-in check
    included: the signed-in user and their unit are then read after the key too, so ORM objects the
    view finds already loaded (SQLAlchemy's identity map does not refresh them) are never older than
    the key. ``kept`` uses this key; a call elsewhere reads its own."""
    from flask import g, request

    @app.before_request
    def _snapshot_key_first():
        if request.endpoint in ENDPOINTS and app.config.get("SNAPSHOT_PIECES", DEFAULT_LIMIT):
            g.snapshot_state = state()


def kept(parts: tuple, build: Callable[[], Any]) -> Any:
    """``build()``, or the value built for equal ``parts`` in the same database state (see the
    module's text). The state is read first, then ``build`` runs (its statements after the key).
    ``parts`` must hold everything the value depends on besides the database: the caller's endpoint,
    query string, user and minute; the URL root and ``CONFIG_KEYS`` are added here. ``build`` must not
    write; its value must not be None and is shared (callers only read it)."""
    from flask import current_app, g, request

    config = current_app.config
    limit = config.get("SNAPSHOT_PIECES", DEFAULT_LIMIT)
    at = g.pop("snapshot_state", _UNREAD) if limit else None
    if at is _UNREAD:
        at = state()
    if at is None:
        return build()
    store = current_app.extensions.get("snapshot_pieces")
    if store is None or store.limit != limit:
        store = current_app.extensions["snapshot_pieces"] = Pieces(limit)
    key = (parts, request.script_root, tuple(config.get(name) for name in CONFIG_KEYS))
    value = store.find(at, key)
    if value is None:
        value = build()
        if _only_read():
            store.keep(at, key, value)
    return value
