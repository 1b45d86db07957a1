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
    """The user of a live token (not revoked, its user active), read afresh on every request: with
    several server processes, nothing short of the database says a token was revoked or a user locked,
    changed role or unit a moment ago, so no process keeps a verified token. The query runs in Core
    and its row becomes the session's ``User`` as a query would load it (the one already in the session
    if there is one), without the ORM query machinery, which cost several times the query itself on
    every API request (issue 16)."""
    from sqlalchemy.orm import make_transient_to_detached
    from sqlalchemy.orm.attributes import instance_dict

    session = db.session()
    if session.autoflush:  # as the ORM's query would: pending changes first
        session.flush()
    statement, attributes = _token_user_row_query()
    from workflow import direct

    found = direct.rows(session.connection(), statement, {"token_hash": token_hash})
    if not found:
        return None
    row = found[0]
    user = session.identity_map.get(User.__mapper__.identity_key_from_primary_key((row[0],)))
    if user is not None:
        return user
    user = User.__mapper__.class_manager.new_instance()
    instance_dict(user).update(zip(attributes, row))  # loaded values, as the ORM's loading sets them
    make_transient_to_detached(user)  # its identity, no pending change
    session.add(user)  # persistent in this session: no statement
    return user


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
