"""Authentication: Flask-Login sessions and bearer API tokens."""
from __future__ import annotations

from flask import Flask, request
from sqlalchemy import select

from models import ApiToken, User, hash_token
from workflow.extensions import db, login_manager


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "web.login"
    login_manager.login_message = "Vui lòng đăng nhập để tiếp tục."
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str):
    """The session's (or remember cookie's) "<id>.<generation>.<token>": signed in only while that
    sign-in is live on the server (workflow/services/users.py)."""
    from workflow import clock
    from workflow.services.users import user_for_session

    return user_for_session(user_id, clock.utcnow())


def user_from_bearer() -> tuple[User | None, bool]:
    """(user, header_present). The header names a token; revoked or unknown tokens give no user."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None, False
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None, True
    # One query: the user of a live token (a revoked one is refused on its next request).
    return _token_user(hash_token(token.strip())), True


def _token_user(token_hash: str) -> User | None:
    """The user of a live token (not revoked, its user active), read afresh: with several server
    processes, nothing short of the database says a token was revoked or a user locked, changed role
    or unit a moment ago. The query runs in Core and its row becomes the session's ``User`` as a query
    would load it (the one already in the session if there is one), without the ORM query machinery,
    which cost several times the query itself on every API request (issue 16). The row is kept for
    ``kept_caller`` (a hint, never trusted without the database's word)."""
    session = db.session()
    if session.autoflush:  # as the ORM's query would: pending changes first
        session.flush()
    statement, _attributes = _token_user_row_query()
    row = session.connection().execute(statement, {"token_hash": token_hash}).first()
    if row is None:
        _KEPT_ROWS.pop(token_hash, None)
        return None
    if len(_KEPT_ROWS) >= 10_000:
        _KEPT_ROWS.clear()
    _KEPT_ROWS[token_hash] = tuple(row)
    return _session_user(session, row)


def _session_user(session, row) -> User:
    """The session's ``User`` of ``row`` (the token query's columns): the one already in the session, or
    one made persistent in it from the row's values without a statement."""
    from sqlalchemy.orm import make_transient_to_detached
    from sqlalchemy.orm.attributes import instance_dict

    user = session.identity_map.get(session.identity_key(User, row[0]))
    if user is not None:
        return user
    user = User.__mapper__.class_manager.new_instance()
    instance_dict(user).update(zip(_token_user_row_query()[1], row))  # loaded values, as the ORM sets them
    make_transient_to_detached(user)  # its identity, no pending change
    session.add(user)  # persistent in this session: no statement
    return user


# token hash -> the columns of its user as this process last read them (``_token_user``)
_KEPT_ROWS: dict[str, tuple] = {}


class KeptCaller:
    """A bearer token's caller as this process last read it, not yet verified: the ``user`` a view acts
    as, and ``condition``/``params``, a SQL condition true only while that token is live (not revoked,
    its user active) and its user's row holds exactly the values ``user`` has. A service that puts the
    condition in the ``WHERE`` of its first statement (the event path's ``UPDATE``) and gets a row sets
    ``verified``: the database said, in the statement that wrote, that the caller is who the request acted
    as. Anything else (no row, an error before that statement) and the request is run again from the
    start with the token read afresh (``workflow.api.api_auth_in_statement``)."""

    __slots__ = ("user", "token_hash", "verified")

    def __init__(self, user: User, token_hash: str):
        self.user, self.token_hash, self.verified = user, token_hash, False

    @staticmethod
    def condition_of_statement():
        """The SQL condition (its parameters: ``params``), the same object for every caller."""
        return _caller_condition()[0]

    @property
    def params(self) -> dict:
        params = {"kept_token_hash": self.token_hash}
        for key in _caller_condition()[1]:
            params["kept_" + key] = getattr(self.user, key)
        return params


def kept_caller() -> KeptCaller | None:
    """The request's bearer token's caller as last read by this process, or None (no bearer token, one
    this process has not read, or not a well-formed header): then authenticate as ``user_from_bearer``."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    token_hash = hash_token(token.strip())
    row = _KEPT_ROWS.get(token_hash)
    if row is None:
        return None
    return KeptCaller(_session_user(db.session(), row), token_hash)


_CALLER_CONDITION: tuple = ()


def _caller_condition() -> tuple:
    """(``EXISTS`` the live token ``kept_token_hash`` of an active user whose every column equals its
    ``kept_<attribute>`` parameter, the attributes), built once."""
    global _CALLER_CONDITION
    if not _CALLER_CONDITION:
        from sqlalchemy import bindparam, exists

        mapper = User.__mapper__
        users, tokens = User.__table__, ApiToken.__table__
        properties = list(mapper.column_attrs)
        condition = exists().where(
            tokens.c.user_id == users.c.id, tokens.c.token_hash == bindparam("kept_token_hash"),
            tokens.c.revoked_at.is_(None), users.c.active.is_(True),
            *[p.columns[0].is_not_distinct_from(bindparam("kept_" + p.key, type_=p.columns[0].type))
              for p in properties])
        _CALLER_CONDITION = (condition, [p.key for p in properties])
    return _CALLER_CONDITION


_TOKEN_USER_ROW_QUERY: tuple = ()


def _token_user_row_query() -> tuple:
    """(the token's user row query, the ``User`` attribute of each of its columns), built once; the
    primary key first."""
    global _TOKEN_USER_ROW_QUERY
    if not _TOKEN_USER_ROW_QUERY:
        from sqlalchemy import bindparam

        mapper = User.__mapper__
        properties = sorted(mapper.column_attrs, key=lambda p: p.columns[0] is not mapper.primary_key[0])
        tokens = ApiToken.__table__
        statement = (select(*[p.columns[0] for p in properties])
                     .join(tokens, tokens.c.user_id == User.__table__.c.id)
                     .where(tokens.c.token_hash == bindparam("token_hash"), tokens.c.revoked_at.is_(None),
                            User.__table__.c.active.is_(True)))
        _TOKEN_USER_ROW_QUERY = (statement, [p.key for p in properties])
    return _TOKEN_USER_ROW_QUERY
