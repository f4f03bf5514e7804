"""WeChat Pay records beside the fee package's Payment/Refund: orders, refunds, bills."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import Base, TimestampMixin, TZDateTime


class WeChatPayOrder(TimestampMixin, Base):
    """One JSAPI order at WeChat Pay for one fee Payment (method "wechat")."""

    __tablename__ = "wechat_pay_orders"
    __table_args__ = (
        # One open (payable) order per statement: asking again returns it.
        sa.Index(
            "uq_wechat_pay_orders_open",
            "statement_id",
            unique=True,
            postgresql_where=sa.text("status = 'created'"),
            sqlite_where=sa.text("status = 'created'"),
        ),
        sa.Index("ix_wechat_pay_orders_status_created", "status", "created_at"),
        sa.CheckConstraint("status IN ('created', 'paid', 'closed')", name="status"),
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("fee_payments.id"), unique=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    statement_id: Mapped[int] = mapped_column(sa.ForeignKey("fee_statements.id"), index=True)
    out_trade_no: Mapped[str] = mapped_column(sa.String(32), unique=True)
    amount_fen: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(10), default="created")
    payer_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    payer_openid: Mapped[str] = mapped_column(sa.String(128))
    prepay_id: Mapped[str] = mapped_column(sa.String(64))
    expires_at: Mapped[datetime] = mapped_column(TZDateTime)
    transaction_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    paid_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    # How we learnt it was paid: "notify" or "query" (the sweep).
    paid_via: Mapped[str | None] = mapped_column(sa.String(10))
    closed_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    close_reason: Mapped[str | None] = mapped_column(sa.String(20))
    last_queried_at: Mapped[datetime | None] = mapped_column(TZDateTime)


class WeChatRefund(TimestampMixin, Base):
    """A fee Refund sent back through WeChat Pay; out_refund_no is derived from its id."""

    __tablename__ = "wechat_refunds"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('pending', 'processing', 'succeeded', 'failed')", name="status"
        ),
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(sa.ForeignKey("fee_refunds.id"), unique=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("wechat_pay_orders.id"), index=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    statement_id: Mapped[int] = mapped_column(sa.ForeignKey("fee_statements.id"), index=True)
    out_refund_no: Mapped[str] = mapped_column(sa.String(64), unique=True)
    amount_fen: Mapped[int] = mapped_column(sa.Integer)
    # pending: recorded, not yet accepted by WeChat; processing: accepted, not final.
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    wechat_refund_id: Mapped[str | None] = mapped_column(sa.String(64))
    wechat_status: Mapped[str | None] = mapped_column(sa.String(12))
    sent_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.String(200))
    requested_by: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_accounts.id"))


class Reconciliation(TimestampMixin, Base):
    """The last comparison of one day's WeChat Pay trade bill with our records."""

    __tablename__ = "payment_reconciliations"

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_date: Mapped[date] = mapped_column(sa.Date, unique=True)
    run_at: Mapped[datetime] = mapped_column(TZDateTime)
    bill_rows: Mapped[int] = mapped_column(sa.Integer, default=0)
    our_rows: Mapped[int] = mapped_column(sa.Integer, default=0)
    differences: Mapped[int] = mapped_column(sa.Integer, default=0)


class ReconciliationDiff(TimestampMixin, Base):
    """One difference: missing_ours, missing_theirs or amount_mismatch (payment or refund)."""

    __tablename__ = "payment_reconciliation_diffs"
    __table_args__ = (sa.Index("ix_payment_reconciliation_diffs_day", "bill_date", "school_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reconciliation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("payment_reconciliations.id", ondelete="CASCADE"), index=True
    )
    bill_date: Mapped[date] = mapped_column(sa.Date)
    # Null when the bill names an order we cannot place in any school.
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schools.id"))
    record_type: Mapped[str] = mapped_column(sa.String(10))  # payment | refund
    kind: Mapped[str] = mapped_column(sa.String(20))
    out_trade_no: Mapped[str | None] = mapped_column(sa.String(32))
    out_refund_no: Mapped[str | None] = mapped_column(sa.String(64))
    transaction_id: Mapped[str | None] = mapped_column(sa.String(64))
    our_amount_fen: Mapped[int | None] = mapped_column(sa.Integer)
    their_amount_fen: Mapped[int | None] = mapped_column(sa.Integer)
    statement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fee_statements.id"))
