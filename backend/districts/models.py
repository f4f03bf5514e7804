"""Districts, the schools' filings (备案) with their history, and the district blacklist."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import Base, TimestampMixin, TZDateTime

FILING_KINDS = ("service_plan", "emergency_plan", "fee_standard", "annual_report")
FILING_STATES = ("submitted", "approved", "returned")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class District(TimestampMixin, Base):
    """An education bureau and the schools it oversees."""

    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    # When set, a term's sign-up stays shut until its service plan is approved (R18).
    requires_plan_approval: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, server_default=sa.false()
    )


class Filing(TimestampMixin, Base):
    """A document a school files with its district; decided by the district."""

    __tablename__ = "filings"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", FILING_KINDS), name="kind"),
        sa.CheckConstraint(_in("status", FILING_STATES), name="status"),
        sa.Index("ix_filings_district_status", "district_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"))
    term_id: Mapped[int | None] = mapped_column(sa.ForeignKey("terms.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(10), default="submitted")
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    attachment_name: Mapped[str | None] = mapped_column(sa.String(200))
    attachment_type: Mapped[str | None] = mapped_column(sa.String(100))
    attachment: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    submitted_at: Mapped[datetime] = mapped_column(TZDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    comment: Mapped[str | None] = mapped_column(sa.String(1000))


class FilingEvent(Base):
    """One step of a filing's history: submitted, resubmitted, approved, returned."""

    __tablename__ = "filing_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    filing_id: Mapped[int] = mapped_column(
        sa.ForeignKey("filings.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(TZDateTime)
    action: Mapped[str] = mapped_column(sa.String(12))
    status: Mapped[str] = mapped_column(sa.String(10))
    version: Mapped[int] = mapped_column(sa.Integer)
    comment: Mapped[str | None] = mapped_column(sa.String(1000))
    by: Mapped[str] = mapped_column(sa.String(10))  # school | district


class BlacklistEntry(TimestampMixin, Base):
    """A provider licence barred from every school of the district until `until` (R12)."""

    __tablename__ = "district_blacklist"
    __table_args__ = (sa.Index("ix_district_blacklist_licence", "district_id", "licence_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"))
    licence_no: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(100))
    reason: Mapped[str] = mapped_column(sa.String(500))
    until: Mapped[date] = mapped_column(sa.Date)
    lifted_at: Mapped[datetime | None] = mapped_column(TZDateTime)
