"""Pickup tables: persons, notices, codes, handoffs, gate attempts, releases, alerts, leave."""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import Base, TimestampMixin, TZDateTime, utcnow
from backend.pickup.states import NOTICE_STATES

NOTICE_KINDS = ("early", "regular", "self", "absent")
_OPEN_NOTICE = sa.text("status IN ('submitted', 'acknowledged')")
_ACTIVE_CODE = sa.text("status = 'active'")
_RELEASED = sa.text("outcome = 'released'")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class PickupPerson(TimestampMixin, Base):
    """Someone a pupil's guardians authorise to collect the pupil (one day only if valid_on)."""

    __tablename__ = "pickup_persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(
        sa.ForeignKey("students.id", ondelete="CASCADE"), index=True
    )
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    relation: Mapped[str] = mapped_column(sa.String(20))
    phone: Mapped[str] = mapped_column(sa.String(20))
    # A photo link given at creation; an uploaded photo (PickupPersonPhoto) wins over it.
    external_photo_url: Mapped[str | None] = mapped_column(sa.String(500))
    valid_on: Mapped[date | None] = mapped_column(sa.Date)
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    # Removal is soft: handoffs keep naming who collected the pupil.
    removed_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    removed_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class PickupPersonPhoto(TimestampMixin, Base):
    """An uploaded photo, kept in the database so every app process can serve it."""

    __tablename__ = "pickup_person_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("pickup_persons.id", ondelete="CASCADE"), unique=True
    )
    content_type: Mapped[str] = mapped_column(sa.String(20))
    size: Mapped[int] = mapped_column(sa.Integer)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    uploaded_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))


class SelfLeavePermission(Base):
    """A guardian's standing permission that the pupil may leave school alone."""

    __tablename__ = "self_leave_permissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(
        sa.ForeignKey("students.id", ondelete="CASCADE"), unique=True
    )
    allowed: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    set_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)


class PickupNotice(TimestampMixin, Base):
    """What a guardian tells the school about one pupil's one day; one open at a time."""

    __tablename__ = "pickup_notices"
    __table_args__ = (
        sa.Index(
            "uq_pickup_notices_open",
            "student_id",
            "day",
            unique=True,
            postgresql_where=_OPEN_NOTICE,
            sqlite_where=_OPEN_NOTICE,
        ),
        sa.CheckConstraint(_in("kind", NOTICE_KINDS), name="kind"),
        sa.CheckConstraint(
            _in("status", NOTICE_STATES),
            name="status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    class_id: Mapped[int] = mapped_column(sa.ForeignKey("classes.id"), index=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"))
    day: Mapped[date] = mapped_column(sa.Date, index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    pickup_time: Mapped[time | None] = mapped_column(sa.Time)
    pickup_person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pickup_persons.id"))
    note: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(15), default="submitted")
    # Sent after the term's same-day cutoff: accepted, but the head teacher must confirm.
    late: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    acknowledged_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    acknowledged_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    replaced_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pickup_notices.id"))
    closed_at: Mapped[datetime | None] = mapped_column(TZDateTime)


class HandoffCode(TimestampMixin, Base):
    """A single-use code for one pupil, one person and one service day.

    Only digests are stored: an HMAC of the 6-digit code (keyed with SECRET_KEY, since six
    digits are too few for a plain hash) and a SHA-256 of the QR token's nonce.
    """

    __tablename__ = "handoff_codes"
    __table_args__ = (
        sa.Index(
            "uq_handoff_codes_active",
            "school_id",
            "service_date",
            "code_hash",
            unique=True,
            postgresql_where=_ACTIVE_CODE,
            sqlite_where=_ACTIVE_CODE,
        ),
        sa.Index("ix_handoff_codes_lookup", "school_id", "service_date", "code_hash"),
        sa.CheckConstraint(_in("status", ("active", "used", "void", "expired")), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"))
    student_id: Mapped[int] = mapped_column(
        sa.ForeignKey("students.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("pickup_persons.id"))
    service_date: Mapped[date] = mapped_column(sa.Date)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    token_hash: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(10), default="active")
    expires_at: Mapped[datetime] = mapped_column(TZDateTime)
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(TZDateTime)


class Handoff(Base):
    """Who at the gate released (or refused) which pupil to whom, and when."""

    __tablename__ = "handoffs"
    __table_args__ = (
        # A pupil leaves once a day, however many codes and devices race for it.
        sa.Index(
            "uq_handoffs_released",
            "student_id",
            "service_date",
            unique=True,
            postgresql_where=_RELEASED,
            sqlite_where=_RELEASED,
        ),
        sa.CheckConstraint(_in("outcome", ("released", "refused")), name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code_id: Mapped[int] = mapped_column(sa.ForeignKey("handoff_codes.id"), unique=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    class_id: Mapped[int] = mapped_column(sa.ForeignKey("classes.id"))
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("pickup_persons.id"))
    notice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pickup_notices.id"))
    service_date: Mapped[date] = mapped_column(sa.Date, index=True)
    outcome: Mapped[str] = mapped_column(sa.String(10))
    reason: Mapped[str | None] = mapped_column(sa.String(200))
    gate_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)


class GateAttempt(Base):
    """Every verification or confirmation attempt at a gate, whatever its result."""

    __tablename__ = "gate_attempts"
    __table_args__ = (sa.Index("ix_gate_attempts_user_at", "gate_user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    gate_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    # The school the code belongs to; None when nothing was recognised.
    school_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    action: Mapped[str] = mapped_column(sa.String(10))  # verify | handoff
    method: Mapped[str] = mapped_column(sa.String(5))  # code | qr
    result: Mapped[str] = mapped_column(sa.String(20))  # ok | not_found | used | locked ...
    code_id: Mapped[int | None] = mapped_column(sa.Integer)
    client_ip: Mapped[str | None] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)


class GateGuard(Base):
    """The code-entry lock of one gate account at one school.

    Kept in the database (row-locked per account, so one account's tries take turns) so
    the lock holds with Redis down; the wrong tries themselves are GateFailure rows.
    """

    __tablename__ = "gate_guards"
    __table_args__ = (sa.UniqueConstraint("gate_user_id", "school_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    gate_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id", ondelete="CASCADE"))
    locked_until: Mapped[datetime | None] = mapped_column(TZDateTime)


class GateFailure(Base):
    """One wrong 6-digit code typed by a gate account, counted at each of its schools.

    Counted in a sliding window per account and per school; a right code clears nothing
    (else one known code, typed between guesses, would let an account guess forever).
    """

    __tablename__ = "gate_failures"
    __table_args__ = (
        sa.Index("ix_gate_failures_school_at", "school_id", "at"),
        sa.Index("ix_gate_failures_user_school_at", "gate_user_id", "school_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    gate_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)


class DismissalRelease(Base):
    """The head teacher sent the pupil to the gate, or let a `self` pupil leave alone."""

    __tablename__ = "dismissal_releases"
    __table_args__ = (
        sa.UniqueConstraint("student_id", "day"),
        sa.CheckConstraint(_in("mode", ("gate", "left")), name="mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"))
    class_id: Mapped[int] = mapped_column(sa.ForeignKey("classes.id"), index=True)
    day: Mapped[date] = mapped_column(sa.Date)
    mode: Mapped[str] = mapped_column(sa.String(5))
    notice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pickup_notices.id"))
    by_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)


class PickupAlert(TimestampMixin, Base):
    """An alert already raised (a pupil still in school after service end + grace): once."""

    __tablename__ = "pickup_alerts"
    __table_args__ = (sa.UniqueConstraint("student_id", "day", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    class_id: Mapped[int] = mapped_column(sa.ForeignKey("classes.id"))
    day: Mapped[date] = mapped_column(sa.Date)
    kind: Mapped[str] = mapped_column(sa.String(20), default="overdue")


class AttendanceRecord(Base):
    """The head teacher's attendance mark for one pupil on one service day."""

    __tablename__ = "attendance_records"
    __table_args__ = (
        sa.UniqueConstraint("student_id", "day"),
        sa.CheckConstraint(_in("status", ("present", "absent", "leave")), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"))
    class_id: Mapped[int] = mapped_column(sa.ForeignKey("classes.id"), index=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"), index=True)
    day: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(10))
    recorded_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)


class LeaveRequest(TimestampMixin, Base):
    """A guardian's request that the pupil miss service on some dates, decided by the teacher.

    The fees work reads approved requests' LeaveDay rows and refunds the refundable ones.
    """

    __tablename__ = "leave_requests"
    __table_args__ = (
        sa.CheckConstraint(
            _in("status", ("pending", "approved", "rejected", "cancelled")), name="status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(
        sa.ForeignKey("students.id", ondelete="CASCADE"), index=True
    )
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"))
    class_id: Mapped[int] = mapped_column(sa.ForeignKey("classes.id"), index=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    requested_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    decided_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    comment: Mapped[str | None] = mapped_column(sa.String(500))


class LeaveDay(Base):
    """One service day of a leave request; `refundable` when asked for at least a day ahead."""

    __tablename__ = "leave_days"
    __table_args__ = (
        sa.UniqueConstraint("leave_request_id", "day"),
        sa.Index("ix_leave_days_student_day", "student_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    leave_request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("leave_requests.id", ondelete="CASCADE")
    )
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id", ondelete="CASCADE"))
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"), index=True)
    day: Mapped[date] = mapped_column(sa.Date)
    refundable: Mapped[bool] = mapped_column(sa.Boolean)
