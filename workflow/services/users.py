"""Users and API tokens."""
from __future__ import annotations

import secrets

from sqlalchemy import select

from models import ROLES, ApiToken, User, hash_token
from workflow.errors import Conflict, NotFound, ValidationError
from workflow.extensions import db
from workflow.services import unit_of_work
from workflow.text import nfc
from workflow.queries import unit_by_code

MIN_PASSWORD_LENGTH = 8


def check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.")
    if password.isdigit() or password.isalpha():
        raise ValidationError("Mật khẩu phải có cả chữ và số (hoặc ký tự đặc biệt).")


def create_user(username: str, password: str, *, role: str, unit_code: str | None = None,
                full_name: str = "") -> User:
    username = (nfc(username) or "").lower()
    if not username or len(username) > 80 or any(ch.isspace() for ch in username):
        raise ValidationError("Tên đăng nhập không hợp lệ (không để trống, không có dấu cách).")
    if role not in ROLES:
        raise ValidationError(f"Vai trò không hợp lệ: \"{role}\". Chọn một trong: {', '.join(ROLES)}.")
    unit = None
    if unit_code:
        unit = unit_by_code(unit_code)
        if unit is None:
            raise ValidationError(f"Không tìm thấy đơn vị có mã \"{unit_code}\".")
    if role == "department" and unit is None:
        raise ValidationError("Tài khoản đơn vị phải thuộc một đơn vị: hãy chọn đơn vị.")
    check_password_strength(password)
    if db.session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"Tên đăng nhập \"{username}\" đã tồn tại.")
    with unit_of_work():
        user = User(username=username, role=role, unit=unit, full_name=nfc(full_name) or "", active=True)
        user.set_password(password)
        db.session.add(user)
    return user


def get_user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == (nfc(username) or "").lower()))
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


def change_password(user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise ValidationError("Mật khẩu hiện tại không đúng.")
    check_password_strength(new_password)
    with unit_of_work():
        user.set_password(new_password)


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
    unit = None
    if unit_code:
        unit = unit_by_code(unit_code)
        if unit is None:
            raise ValidationError(f"Không tìm thấy đơn vị có mã \"{unit_code}\".")
    if role == "department" and unit is None:
        raise ValidationError("Tài khoản đơn vị phải thuộc một đơn vị: hãy chọn đơn vị.")
    if user.id == actor.id and role != "admin":
        raise Conflict("Không thể tự bỏ vai trò quản trị của tài khoản đang đăng nhập.")
    with unit_of_work():
        user.full_name, user.role, user.unit = full_name.strip(), role, unit
    return user
