"""A guardian's request to delete the family's data, processed by the school office."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import Base, TimestampMixin, TZDateTime


class DeletionRequest(TimestampMixin, Base):
    __tablename__ = "deletion_requests"
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'completed', 'declined')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"), index=True)
    requested_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    decided_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    response: Mapped[str | None] = mapped_column(sa.String(500))
