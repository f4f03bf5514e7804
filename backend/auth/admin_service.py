"""Admin accounts: creation, sign-in with lockout and TOTP, logout, password change."""

from __future__ import annotations

import hmac
import logging
import time

import pyotp
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.audit.service import record
from backend.auth import lockout, passwords
from backend.auth.context import Actor, require_admin
from backend.auth.errors import (
    AccountLocked,
    InvalidCredentials,
    InvalidOtp,
    OtpRequired,
    TotpAlreadyEnabled,
    TotpCodeMismatch,
    TotpNotSetUp,
    UsernameTaken,
    WrongCurrentPassword,
)
from backend.auth.models import AdminAccount, AuthSession
from backend.auth.scope import admin_school, require_platform_admin
from backend.auth.sessions import open_session, revoke
from backend.common.clock import now
from backend.common.pagination import paginate
from backend.database import unit_of_work
from backend.districts.models import District
from backend.errors import DomainError, NotFound, ValidationFailed
from backend.extensions import get_redis
from backend.schools.models import School

log = logging.getLogger("kehou.admin_auth")

TOTP_ISSUER = "Kehou 课后服务"


def normalize_username(username: str) -> str:
    return (username or "").strip().lower()


def admin_view(row: AdminAccount) -> dict:
    return {
        "id": row.id,
        "username": row.username,
        "school_id": row.school_id,
        "district_id": row.district_id,
        "totp_enabled": bool(row.totp_enabled),
        "active": bool(row.active),
        "last_login_at": row.last_login_at,
        "created_at": row.created_at,
    }


def _insert_admin(
    session, username: str, password: str, school_id: int | None, district_id: int | None = None
) -> AdminAccount:
    username = normalize_username(username)
    passwords.check_strength(password, username)
    if session.scalar(sa.select(AdminAccount.id).where(AdminAccount.username == username)):
        raise UsernameTaken()
    row = AdminAccount(
        username=username,
        password_hash=passwords.hash_password(password),
        school_id=school_id,
        district_id=district_id,
        totp_enabled=False,
        active=True,
    )
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # a concurrent create took the name first
        raise UsernameTaken() from exc
    record(
        session,
        action="admin.create",
        object_type="admin_account",
        object_id=row.id,
        school_id=school_id,
        after={"username": username, "school_id": school_id, "district_id": district_id},
    )
    return row


def create_admin(
    username: str, password: str, school_id: int | None = None, district_id: int | None = None
) -> dict:
    """Create an admin account (CLI): school, district, or platform admin when neither."""
    if school_id is not None and district_id is not None:
        raise ValidationFailed("学校管理员和区县管理员只能二选一")
    with unit_of_work() as session:
        if school_id is not None and session.get(School, school_id) is None:
            raise NotFound("学校不存在")
        if district_id is not None and session.get(District, district_id) is None:
            raise NotFound("区县不存在")
        row = _insert_admin(session, username, password, school_id, district_id)
        return admin_view(row)


def create_school_admin(school_id: int, username: str, password: str) -> dict:
    """A platform admin creates an office account for one school."""
    actor = require_platform_admin(require_admin())
    with unit_of_work() as session:
        admin_school(session, actor, school_id)
        return admin_view(_insert_admin(session, username, password, school_id))


def list_school_admins(school_id: int, page: int, page_size: int) -> tuple[list[dict], int]:
    actor = require_admin()
    with unit_of_work() as session:
        admin_school(session, actor, school_id)
        stmt = (
            sa.select(AdminAccount)
            .where(AdminAccount.school_id == school_id)
            .order_by(AdminAccount.id)
        )
        rows, total = paginate(session, stmt, page, page_size)
        return [admin_view(r) for r in rows], total


def _locked_error(until) -> DomainError:
    remaining = max(1, int((until - now()).total_seconds()))
    minutes = (remaining + 59) // 60
    return AccountLocked(minutes=minutes, headers={"Retry-After": str(remaining)})


def _register_failure(session, username: str, client_ip, admin, reason: str) -> DomainError:
    """Count a failure of (username, address), whoever the username names; the fifth in
    the window locks the pair (audited, for a known account and an unknown name alike)."""
    until = lockout.register_failure(session, username, client_ip)
    log.warning("admin sign-in failed: %r from %s (%s)", username[:64], client_ip, reason)
    if until is None:
        return InvalidOtp() if reason == "otp" else InvalidCredentials()
    known = admin is not None and admin.active
    record(
        session,
        action="admin.locked",
        object_type="admin_login",
        object_id=username[:64],
        school_id=admin.school_id if known else None,
        after={"locked_until": until, "reason": reason, "client_ip": client_ip},
        actor=Actor("admin", admin.id, 0, school_id=admin.school_id) if known else None,
    )
    return _locked_error(until)


def _matching_step(secret: str, otp: str) -> int | None:
    """The TOTP time step the code belongs to (now, or one step either side), else None."""
    otp = "".join((otp or "").split())
    if not (otp.isdigit() and len(otp) == 6):
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(time.time())
    for offset in (0, -1, 1):
        if hmac.compare_digest(totp.generate_otp(step + offset), otp):
            return step + offset
    return None


def _first_use(admin_id: int, step: int) -> bool:
    """A code may be used once: a replayed code inside its window is refused."""
    try:
        return bool(get_redis().set(f"kehou:totp-used:{admin_id}:{step}", 1, nx=True, ex=180))
    except Exception:  # Redis down: sign-in must still work (the database is the truth)
        log.warning("redis unavailable: TOTP replay check skipped")
        return True


def _otp_ok(admin: AdminAccount, otp: str) -> bool:
    step = _matching_step(admin.totp_secret or "", otp)
    return step is not None and _first_use(admin.id, step)


def _check(session, admin, username, password, otp, client_ip) -> DomainError | None:
    """Why this sign-in fails, or None. Every path verifies one argon2 hash: an unknown
    or locked name takes as long as a wrong password."""
    until = lockout.locked_until(session, username, client_ip)
    if until is not None:
        passwords.burn(password)
        return _locked_error(until)
    if admin is None or not admin.active:
        passwords.burn(password)
        return _register_failure(session, username, client_ip, admin, "password")
    if not passwords.verify_password(admin.password_hash, password):
        return _register_failure(session, username, client_ip, admin, "password")
    if admin.totp_enabled and not otp:
        return OtpRequired()
    if admin.totp_enabled and not _otp_ok(admin, otp):
        return _register_failure(session, username, client_ip, admin, "otp")
    return None


def login(username: str, password: str, otp: str | None, client_ip: str | None) -> dict:
    """Sign an admin in. Failures are committed (they count) before the error is raised.

    An account with TOTP gets a full session; one without gets a session that may only
    enrol TOTP (context.authenticate refuses it everything else)."""
    username = normalize_username(username)
    with unit_of_work() as session:
        admin = session.scalar(sa.select(AdminAccount).where(AdminAccount.username == username))
        outcome: dict | DomainError | None = _check(
            session, admin, username, password, otp, client_ip
        )
        if outcome is None:
            if passwords.needs_rehash(admin.password_hash):
                admin.password_hash = passwords.hash_password(password)
            lockout.clear(session, username, client_ip)
            admin.last_login_at = now()
            outcome = open_session(
                session,
                admin_id=admin.id,
                client_ip=client_ip,
                second_factor=bool(admin.totp_enabled),
            )
            record(
                session,
                action="admin.login",
                object_type="admin_account",
                object_id=admin.id,
                school_id=admin.school_id,
                after={"totp": bool(admin.totp_enabled)},
                actor=Actor("admin", admin.id, 0, school_id=admin.school_id),
            )
            totp_enabled = bool(admin.totp_enabled)
    if isinstance(outcome, DomainError):
        raise outcome
    return {
        "access_token": outcome["access_token"],
        "expires_in": outcome["expires_in"],
        "token_type": outcome["token_type"],
        "totp_enabled": totp_enabled,
    }


def logout() -> None:
    actor = require_admin()
    with unit_of_work() as session:
        row = session.get(AuthSession, actor.session_id)
        if row is not None:
            revoke(session, row, reason="logout")
            record(
                session,
                action="admin.logout",
                object_type="admin_account",
                object_id=actor.id,
                school_id=actor.school_id,
            )


def me() -> dict:
    actor = require_admin()
    with unit_of_work() as session:
        return admin_view(session.get(AdminAccount, actor.id))


def totp_setup() -> dict:
    """Generate a new secret (not active until confirmed with a code from the app)."""
    actor = require_admin()
    with unit_of_work() as session:
        admin = session.get(AdminAccount, actor.id)
        if admin.totp_enabled:
            raise TotpAlreadyEnabled()
        admin.totp_secret = pyotp.random_base32()
        record(
            session,
            action="admin.totp_setup",
            object_type="admin_account",
            object_id=admin.id,
            school_id=admin.school_id,
        )
        uri = pyotp.TOTP(admin.totp_secret).provisioning_uri(
            name=admin.username, issuer_name=TOTP_ISSUER
        )
        return {"secret": admin.totp_secret, "otpauth_uri": uri}


def totp_confirm(otp: str) -> dict:
    """Turn TOTP on with a code from the app; this session becomes a full one."""
    actor = require_admin()
    with unit_of_work() as session:
        admin = session.get(AdminAccount, actor.id)
        if admin.totp_enabled:
            raise TotpAlreadyEnabled()
        if not admin.totp_secret:
            raise TotpNotSetUp()
        if not _otp_ok(admin, otp):
            raise TotpCodeMismatch()
        admin.totp_enabled = True
        # The enrolment proved the second factor: this session becomes a full one.
        current = session.get(AuthSession, actor.session_id)
        if current is not None:
            current.second_factor_at = now()
        record(
            session,
            action="admin.totp_enable",
            object_type="admin_account",
            object_id=admin.id,
            school_id=admin.school_id,
            before={"totp_enabled": False},
            after={"totp_enabled": True},
        )
        return {"totp_enabled": True}


def change_password(current_password: str, new_password: str) -> None:
    """Change one's own password; every other session of the account is signed out."""
    actor = require_admin()
    with unit_of_work() as session:
        admin = session.get(AdminAccount, actor.id)
        if not passwords.verify_password(admin.password_hash, current_password):
            raise WrongCurrentPassword()
        passwords.check_strength(new_password, admin.username)
        admin.password_hash = passwords.hash_password(new_password)
        others = session.scalars(
            sa.select(AuthSession).where(
                AuthSession.admin_id == admin.id,
                AuthSession.id != actor.session_id,
                AuthSession.revoked_at.is_(None),
            )
        )
        for row in others:
            revoke(session, row, reason="password_changed")
        record(
            session,
            action="admin.password_change",
            object_type="admin_account",
            object_id=admin.id,
            school_id=admin.school_id,
        )
