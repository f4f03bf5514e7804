"""Cross-domain tables: idempotency keys of creating requests."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import Base, TimestampMixin


class IdempotencyKey(TimestampMixin, Base):
    """The first response to a creating POST sent with an Idempotency-Key."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("principal", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    principal: Mapped[str] = mapped_column(sa.String(40))  # "user:12" / "admin:3"
    key: Mapped[str] = mapped_column(sa.String(100))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int | None] = mapped_column(sa.Integer)  # NULL while in flight
    response_body: Mapped[str | None] = mapped_column(sa.Text)
    content_type: Mapped[str | None] = mapped_column(sa.String(100))
