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
    user = db.session.scalar(_token_user_query(), {"token_hash": hash_token(token.strip())})
    return user, True


_TOKEN_USER_QUERY = None


def _token_user_query():
    """The token's user query, built once (its construction cost more than running it: issue 16)."""
    global _TOKEN_USER_QUERY
    if _TOKEN_USER_QUERY is None:
        from sqlalchemy import bindparam

        _TOKEN_USER_QUERY = select(User).join(ApiToken, ApiToken.user_id == User.id).where(
            ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None), User.active.is_(True))
    return _TOKEN_USER_QUERY
