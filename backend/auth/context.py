"""Who is calling: authenticates every API request, deny by default."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, g, request

from backend.auth.errors import SessionExpired, TotpEnrollmentRequired
from backend.auth.grants_cache import cached_grants
from backend.auth.models import AuthSession
from backend.auth.tokens import read_access_token
from backend.common.clock import now
from backend.database import execute_core, get_session
from backend.errors import Forbidden, Unauthorized

APP_PREFIX = "/api/v1"
ADMIN_PREFIX = "/admin/api/v1"
# What an admin session without a proven second factor may reach: enrol TOTP, or leave.
ENROLMENT_ENDPOINTS = frozenset(
    {"admin_auth.totp_setup", "admin_auth.totp_confirm", "admin_auth.logout"}
)
# Idle admin sessions are touched at most this often, to keep reads cheap.
_TOUCH_EVERY = timedelta(seconds=60)


@dataclass
class Grant:
    role: str
    school_id: int
    class_id: int | None = None
    grade_id: int | None = None
    level: str | None = None
    staff_id: int | None = None  # course_teacher: whose courses

    def as_dict(self) -> dict:
        out = {"role": self.role, "school_id": self.school_id}
        for key in ("class_id", "grade_id", "level", "staff_id"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@dataclass
class Actor:
    kind: str  # "user" (mini-program) or "admin" (office)
    id: int
    session_id: int
    school_id: int | None = None  # admin only; None = platform or district admin
    grants: list[Grant] = field(default_factory=list)
    district_id: int | None = None  # district admin (education bureau) only
    # Admin only: TOTP proven in this session (else it may only enrol TOTP).
    second_factor: bool = True

    def grants_of(self, role: str) -> list[Grant]:
        return [gr for gr in self.grants if gr.role == role]

    def has_role(self, role: str) -> bool:
        return any(gr.role == role for gr in self.grants)

    @property
    def is_platform_admin(self) -> bool:
        return self.kind == "admin" and self.school_id is None and self.district_id is None

    @property
    def is_district_admin(self) -> bool:
        return self.kind == "admin" and self.district_id is not None


def public(func):
    """Mark a view (or MethodView method) as reachable without a token."""
    func._kehou_public = True
    apidoc = getattr(func, "_apidoc", {})
    apidoc.setdefault("manual_doc", {})["security"] = []
    func._apidoc = apidoc
    return func


def _view_is_public() -> bool:
    endpoint = request.endpoint or ""
    if "api-docs." in endpoint:  # both APIs' openapi.json and Swagger UI
        return True
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return True  # 404/405 come from routing; nothing to protect
    if getattr(view, "_kehou_public", False):
        return True
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        method = getattr(view_class, request.method.lower(), None)
        return bool(getattr(method, "_kehou_public", False))
    return False


def _audience() -> str | None:
    path = request.path
    if path.startswith(ADMIN_PREFIX):
        return "admin"
    if path.startswith(APP_PREFIX):
        return "user"
    return None


def authenticate() -> None:
    """before_request: set g.actor, or refuse with 401 unless the view is public."""
    g.actor = None
    audience = _audience()
    if audience is None or request.method == "OPTIONS":
        return
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if token:
        g.actor = _actor_from_token(token, audience)
        _require_second_factor(g.actor)
    elif not _view_is_public():
        raise Unauthorized()


def _require_second_factor(actor: Actor | None) -> None:
    """DESIGN: password + TOTP. An admin session without TOTP may only enrol it."""
    if actor is None or actor.kind != "admin" or actor.second_factor:
        return
    if request.endpoint in ENROLMENT_ENDPOINTS or _view_is_public():
        return
    raise TotpEnrollmentRequired()


def _actor_from_token(token: str, audience: str) -> Actor | None:
    settings = current_app.extensions["kehou"]["settings"]
    max_age = settings.admin_token_ttl if audience == "admin" else settings.access_token_ttl
    data = read_access_token(token, max_age)
    if data is None or data.get("k") != audience:
        if _view_is_public():
            return None
        raise Unauthorized()
    session = get_session()
    if audience == "user":
        return _user_actor(session, data["s"])
    return _admin_actor(session, data["s"], settings)


def _admin_actor(session, session_id: int, settings) -> Actor:
    """The admin behind a live, not idle session (touched at most once a minute), or 401."""
    from backend.auth.models import AdminAccount

    row = session.get(AuthSession, session_id)
    moment = now()
    if row is None or row.revoked_at is not None or row.expires_at <= moment:
        raise SessionExpired()
    idle = timedelta(seconds=settings.admin_idle_seconds)
    if row.last_seen_at and moment - row.last_seen_at > idle:
        raise SessionExpired()
    admin = session.get(AdminAccount, row.admin_id)
    if admin is None or not admin.active:
        raise SessionExpired()
    if row.last_seen_at is None or moment - row.last_seen_at > _TOUCH_EVERY:
        row.last_seen_at = moment
        session.commit()
    return Actor(
        "admin",
        admin.id,
        row.id,
        school_id=admin.school_id,
        second_factor=row.second_factor_at is not None,
        district_id=admin.district_id,
    )


# A mini-program session as plain values: every user request reads it (no ORM object).
_USER_SESSION = sa.select(AuthSession.user_id, AuthSession.expires_at).where(
    AuthSession.id == sa.bindparam("session_id"),
    AuthSession.user_id.is_not(None),
    AuthSession.revoked_at.is_(None),
)


def _user_actor(session, session_id: int) -> Actor:
    """The user behind a live session, with their grants (cached), or 401."""
    row = execute_core(session, _USER_SESSION, {"session_id": session_id}).first()
    if row is None or row.expires_at <= now():
        raise SessionExpired()
    grants = cached_grants(session, row.user_id, load_grants, Grant)
    # The read's transaction goes on into the view's unit of work (no commit or rollback
    # of its own: on PostgreSQL each ends a transaction, the costliest part of a request).
    # Nothing in a request opens a second connection, so SQLite's write lock is no matter.
    return Actor("user", row.user_id, session_id, grants=grants)


def actor_from_admin_token(token: str) -> Actor | None:
    """The admin behind an access token (the console's cookie), with the API's checks."""
    return _actor_from_token(token, "admin")


def load_grants(session, user_id: int) -> list[Grant]:
    """Staff and committee grants bound to the user, plus guardian of each child's school
    (guardian ones first, by school; then the others in the order they were granted)."""
    rows = execute_core(session, _grants_statement(), {"user_id": user_id})
    return [Grant(r.role, r.school_id, r.class_id, r.grade_id, r.level, r.staff_id) for r in rows]


@functools.cache
def _grants_statement():
    """Both kinds of grant in one statement (a cache miss costs one round trip, not two)."""
    from backend.schools.models import GuardianLink, RoleGrant, Student

    none = sa.cast(sa.null(), sa.Integer)
    guardian = (
        sa.select(
            sa.literal(0).label("part"),
            Student.school_id.label("position"),
            sa.literal("guardian").label("role"),
            Student.school_id,
            none.label("class_id"),
            none.label("grade_id"),
            sa.cast(sa.null(), RoleGrant.level.type).label("level"),
            none.label("staff_id"),
        )
        .join(GuardianLink, GuardianLink.student_id == Student.id)
        .where(GuardianLink.user_id == sa.bindparam("user_id"))
        .distinct()
    )
    staff = sa.select(
        sa.literal(1),
        RoleGrant.id,
        RoleGrant.role,
        RoleGrant.school_id,
        RoleGrant.class_id,
        RoleGrant.grade_id,
        RoleGrant.level,
        RoleGrant.staff_id,
    ).where(RoleGrant.user_id == sa.bindparam("user_id"), RoleGrant.revoked_at.is_(None))
    both = sa.union_all(guardian, staff).subquery()
    return sa.select(both).order_by(both.c.part, both.c.position)


def current_actor() -> Actor:
    actor = g.get("actor")
    if actor is None:
        raise Unauthorized()
    return actor


def require_admin() -> Actor:
    actor = current_actor()
    if actor.kind != "admin":
        raise Forbidden()
    return actor


def require_user() -> Actor:
    actor = current_actor()
    if actor.kind != "user":
        raise Forbidden()
    return actor
