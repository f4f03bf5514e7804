"""Users (WeChat), admin accounts and sign-in sessions with rotating refresh tokens."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import Base, TimestampMixin, TZDateTime


class User(TimestampMixin, Base):
    """A WeChat user of the mini-program (guardian, teacher, committee member, gate staff)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(sa.String(64))
    # The phone WeChat verified (getPhoneNumber); the only way a roster match is trusted.
    phone: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    phone_verified_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(TZDateTime)


class AdminAccount(TimestampMixin, Base):
    """An office account: school admin (school_id), district admin (district_id), else platform."""

    __tablename__ = "admin_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    school_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("schools.id", ondelete="RESTRICT"), index=True
    )
    district_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("districts.id", ondelete="RESTRICT"), index=True
    )
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enabled: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    last_login_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)

    @property
    def is_platform(self) -> bool:
        return self.school_id is None and self.district_id is None


class AuthSession(TimestampMixin, Base):
    """One signed-in device: access tokens name it, refresh tokens rotate within it.

    Revoking the session (logout, or reuse of a rotated refresh token) ends every token
    of its family at once.
    """

    __tablename__ = "auth_sessions"
    __table_args__ = (
        sa.CheckConstraint("(user_id IS NULL) <> (admin_id IS NULL)", name="one_principal"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    admin_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("admin_accounts.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column(TZDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(40))
    client_ip: Mapped[str | None] = mapped_column(sa.String(64))
    # Admin sessions: when the second factor (TOTP) was proven. Without it the session
    # may only enrol TOTP (an account without TOTP signs in with its password alone).
    second_factor_at: Mapped[datetime | None] = mapped_column(TZDateTime)


class LoginThrottle(Base):
    """Failed admin sign-ins of one username from one client address, and their lock.

    Per username AND address: a stranger's wrong guesses lock only the stranger, never the
    real admin elsewhere. Unknown usernames get rows too, so they answer exactly like
    known ones (no 423 would otherwise tell which usernames exist).
    """

    __tablename__ = "login_throttles"
    __table_args__ = (sa.UniqueConstraint("username", "client_ip"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64))
    client_ip: Mapped[str] = mapped_column(sa.String(64))
    failures: Mapped[int] = mapped_column(sa.Integer, default=0)
    # Start of the current counting window; failures older than the window start anew.
    window_started_at: Mapped[datetime] = mapped_column(TZDateTime, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(TZDateTime)


class RefreshToken(TimestampMixin, Base):
    """A refresh token, stored as its SHA-256 only; used once, then rotated."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(TZDateTime)
    used_at: Mapped[datetime | None] = mapped_column(TZDateTime)
