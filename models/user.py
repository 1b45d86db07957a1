"""Users and their API tokens (tokens are stored only as hashes)."""
from __future__ import annotations

import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from models.types import UTCDateTime, utc_now
from workflow.extensions import db

ROLES = ("office", "department", "leader", "admin")
ROLE_LABELS = {
    "office": "Văn phòng (giao việc)",
    "department": "Đơn vị chủ trì",
    "leader": "Lãnh đạo",
    "admin": "Quản trị hệ thống",
}


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True, index=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    title: Mapped[str | None] = mapped_column(String(200), nullable=True)  # position, e.g. "Phó Bí thư Thường trực"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    # Bumped by sign-out everywhere, a password change or reset and a lock: every session and
    # remember cookie carries the generation it was made in and is refused once it is stale.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)

    unit = relationship("Unit")
    tokens = relationship("ApiToken", back_populates="user", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive users cannot sign in
        return bool(self.active)

    # The identity of the sign-in being served ("<id>.<generation>.<token>"), set by the service
    # that starts or checks it; Flask-Login stores it in the session and the remember cookie.
    session_identity = None  # not a column: the sign-in being served (a str)

    def get_id(self) -> str:
        return self.session_identity or f"{self.id}.{self.session_generation}.-"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


def hash_token(token: str) -> str:
    """Tokens are random and long, so a fast hash is enough (no salt needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user = relationship("User", back_populates="tokens")


class UserSession(db.Model):
    """One sign-in (a browser): the hash of the random token its session and remember cookies
    carry, the generation it belongs to, and when it ends on the server. Signing out deletes it;
    signing out everywhere, changing or resetting the password and locking delete them all."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    generation: Mapped[int] = mapped_column(Integer, nullable=False)
    remember: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
