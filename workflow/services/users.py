"""Users and API tokens."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from models import ROLES, ApiToken, User, UserSession, hash_token
from workflow.errors import Conflict, NotFound, ValidationError
from workflow.extensions import db
from workflow.services import unit_of_work
from workflow.text import nfc, normalise_username
from workflow.queries import unit_by_code

MIN_PASSWORD_LENGTH = 8


def check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.")
    if password.isdigit() or password.isalpha():
        raise ValidationError("Mật khẩu phải có cả chữ và số (hoặc ký tự đặc biệt).")


def _unit_for_role(role: str, unit_code: str | None):
    """The account's unit from its code (None without one); a department account must have one."""
    unit = None
    if unit_code:
        unit = unit_by_code(unit_code)
        if unit is None:
            raise ValidationError(f"Không tìm thấy đơn vị có mã \"{unit_code}\".")
    if role == "department" and unit is None:
        raise ValidationError("Tài khoản đơn vị phải thuộc một đơn vị: hãy chọn đơn vị.")
    return unit


def create_user(username: str, password: str, *, role: str, unit_code: str | None = None,
                full_name: str = "") -> User:
    username = normalise_username(username)
    if not username or len(username) > 80 or any(ch.isspace() for ch in username):
        raise ValidationError("Tên đăng nhập không hợp lệ (không để trống, không có dấu cách).")
    if role not in ROLES:
        raise ValidationError(f"Vai trò không hợp lệ: \"{role}\". Chọn một trong: {', '.join(ROLES)}.")
    unit = _unit_for_role(role, unit_code)
    check_password_strength(password)
    if db.session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"Tên đăng nhập \"{username}\" đã tồn tại.")
    with unit_of_work():
        user = User(username=username, role=role, unit=unit, full_name=nfc(full_name) or "", active=True)
        user.set_password(password)
        db.session.add(user)
    return user


def get_user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == normalise_username(username)))
    if user is None:
        raise NotFound(f"Không tìm thấy người dùng \"{username}\".")
    return user


def create_token(username: str, name: str = "") -> str:
    """Create an API token; return it in clear once (only its hash is stored)."""
    user = get_user(username)
    token = secrets.token_urlsafe(32)
    with unit_of_work():
        db.session.add(ApiToken(user=user, token_hash=hash_token(token), name=name))
    return token


# --- Sign-ins (sessions and remember cookies) --------------------------------------------------
#
# A sign-in is a row of ``user_sessions`` holding the hash of a random token; the browser's
# session cookie and remember cookie carry "<user id>.<generation>.<token>" (Flask-Login's user
# id). A request is signed in only while that row exists, has not expired on the server, and its
# generation is the user's current one: signing out deletes the row, and signing out everywhere,
# a password change or reset and a lock bump the generation and delete every row.


def _open_session(user: User, *, remember: bool, now: datetime, lifetime: timedelta) -> str:
    """Stage a new sign-in (no commit); returns its identity and sets it on ``user``."""
    token = secrets.token_urlsafe(32)
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at <= now))
    db.session.add(UserSession(user_id=user.id, token_hash=hash_token(token), generation=user.session_generation,
                               remember=remember, created_at=now, expires_at=now + lifetime))
    user.session_identity = f"{user.id}.{user.session_generation}.{token}"
    return user.session_identity


def _end_all_sessions(user: User) -> None:
    """Stage the end of every sign-in of ``user`` (no commit)."""
    user.session_generation = (user.session_generation or 0) + 1
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    user.session_identity = None


def start_session(user: User, *, remember: bool, now: datetime, lifetime: timedelta) -> str:
    """A successful sign-in: a new token every time (so a remember cookie is never reused),
    ending on the server after ``lifetime``."""
    with unit_of_work():
        return _open_session(user, remember=remember, now=now, lifetime=lifetime)


def _parse_identity(identity) -> tuple[int, int, str] | None:
    parts = str(identity or "").split(".")
    if len(parts) != 3 or not parts[0].isdecimal() or not parts[1].isdecimal() or len(parts[2]) < 20:
        return None
    if len(parts[0]) > 10 or len(parts[1]) > 10:
        return None
    return int(parts[0]), int(parts[1]), parts[2]


def user_for_session(identity, now: datetime) -> User | None:
    """The active user of a live sign-in, or None (unknown, ended, expired, stale generation)."""
    parsed = _parse_identity(identity)
    if parsed is None:
        return None
    user_id, generation, token = parsed
    row = db.session.execute(_session_user_statement(), {"token_hash": hash_token(token), "user_id": user_id,
                                                         "generation": generation}).first()
    if row is None or row[1] <= now:
        return None
    user = row[0]
    user.session_identity = str(identity)
    return user


_SESSION_USER_STATEMENT = None


def _session_user_statement():
    """``user_for_session``'s one statement, built once with bound parameters (issue 16: it runs on
    every request): the sign-in's row, its user (active, same generation) and the user's unit, which
    the layout shows on every page (it was a second, lazy statement)."""
    global _SESSION_USER_STATEMENT
    if _SESSION_USER_STATEMENT is None:
        from sqlalchemy import bindparam
        from sqlalchemy.orm import joinedload

        generation = bindparam("generation")
        _SESSION_USER_STATEMENT = (
            select(User, UserSession.expires_at).join(UserSession, UserSession.user_id == User.id)
            .options(joinedload(User.unit))
            .where(UserSession.token_hash == bindparam("token_hash"), User.id == bindparam("user_id"),
                   UserSession.generation == generation, User.session_generation == generation,
                   User.active.is_(True)))
    return _SESSION_USER_STATEMENT


def session_remembered(identity) -> bool:
    parsed = _parse_identity(identity)
    if parsed is None:
        return False
    return bool(db.session.scalar(select(UserSession.remember).where(UserSession.token_hash == hash_token(parsed[2]))))


def end_session(identity) -> None:
    """Sign out of this browser: its sign-in ends on the server (a copy of its cookies is refused)."""
    parsed = _parse_identity(identity)
    if parsed is None:
        return
    with unit_of_work():
        db.session.execute(delete(UserSession).where(UserSession.token_hash == hash_token(parsed[2])))


def sign_out_everywhere(user: User) -> None:
    """"Đăng xuất khỏi mọi thiết bị": every session and remember cookie of ``user`` stops working."""
    with unit_of_work():
        _end_all_sessions(user)


def change_password(user: User, old_password: str, new_password: str, *, now: datetime | None = None,
                    remember: bool = False, lifetime: timedelta | None = None) -> str | None:
    """Change one's own password: every sign-in ends (other browsers, stolen cookies); with
    ``lifetime`` this browser gets a new sign-in in the same commit, whose identity is returned."""
    if not user.check_password(old_password):
        raise ValidationError("Mật khẩu hiện tại không đúng.")
    check_password_strength(new_password)
    with unit_of_work():
        user.set_password(new_password)
        _end_all_sessions(user)
        if lifetime is not None and now is not None:
            return _open_session(user, remember=remember, now=now, lifetime=lifetime)
    return None


# --- Administration (the admin's pages call these) -----------------------------------------

def admin_create_user(actor, username: str, password: str, *, role: str, unit_code: str | None = None,
                      full_name: str = "") -> User:
    """An administrator opens an account."""
    from workflow import permissions

    permissions.require_admin(actor)
    return create_user(username, password, role=role, unit_code=unit_code, full_name=full_name)


def deactivate_user(actor, username: str) -> User:
    """An administrator closes an account: it can no longer sign in, and its API tokens stop working."""
    from workflow import permissions

    permissions.require_admin(actor)
    user = get_user(username)
    if user.id == actor.id:
        raise Conflict("Không thể tự khóa tài khoản đang đăng nhập.")
    if not user.active:
        raise Conflict(f"Tài khoản \"{user.username}\" đã bị khóa.")
    with unit_of_work():
        user.active = False
        _end_all_sessions(user)
    return user


def activate_user(actor, username: str) -> User:
    """An administrator opens a closed account again."""
    from workflow import permissions

    permissions.require_admin(actor)
    user = get_user(username)
    if user.active:
        raise Conflict(f"Tài khoản \"{user.username}\" đang hoạt động.")
    with unit_of_work():
        user.active = True
    return user


def reset_password(actor, username: str, new_password: str) -> User:
    """An administrator sets a new password for someone who forgot theirs."""
    from workflow import permissions

    permissions.require_admin(actor)
    user = get_user(username)
    check_password_strength(new_password)
    with unit_of_work():
        user.set_password(new_password)
        _end_all_sessions(user)
    return user


def revoke_tokens(username: str) -> int:
    """Revoke every active API token of a user; return how many."""
    from workflow.clock import utcnow

    user = get_user(username)
    now = utcnow()
    with unit_of_work():
        active = [t for t in user.tokens if t.revoked_at is None]
        for token in active:
            token.revoked_at = now
    return len(active)


def update_user(actor, user_id: int, *, full_name: str, role: str, unit_code: str | None) -> User:
    """An administrator changes an account's name, role and unit (issue 15). A department account
    needs a unit; the administrator cannot take away their own administration role."""
    from workflow import permissions

    permissions.require_admin(actor)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("Không tìm thấy tài khoản.")
    full_name = nfc(full_name) or ""
    if not full_name.strip():
        raise ValidationError("Cần nhập họ và tên.")
    if role not in ROLES:
        raise ValidationError("Vai trò không hợp lệ.")
    unit = _unit_for_role(role, unit_code)
    if user.id == actor.id and role != "admin":
        raise Conflict("Không thể tự bỏ vai trò quản trị của tài khoản đang đăng nhập.")
    with unit_of_work():
        user.full_name, user.role, user.unit = full_name.strip(), role, unit
    return user
