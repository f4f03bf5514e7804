"""Fee records: exemptions, statements and their lines, payments, refunds, expenses,
term settlements and published disclosures."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import Base, TimestampMixin, TZDateTime, utcnow

EXEMPTION_CATEGORIES = ("jiandang_lika", "dibao", "tekun", "martyr_child", "orphan", "disabled")
EXEMPTION_CATEGORY_ZH = {
    "jiandang_lika": "建档立卡",
    "dibao": "低保",
    "tekun": "特困",
    "martyr_child": "烈士子女",
    "orphan": "孤儿",
    "disabled": "残疾学生",
}
LINE_KINDS = (
    "base_fee",
    "course_fee",
    "exemption",
    "proration",
    "leave_refund",
    "surplus_refund",
    "credit",
    "adjustment",
)
EXPENSE_CATEGORIES = ("staff", "materials", "provider", "utilities", "other", "staff_pay")
EXPENSE_CATEGORY_ZH = {
    "staff": "人员劳务",
    "staff_pay": "劳务报酬（核定发放表）",
    "materials": "耗材",
    "provider": "第三方服务",
    "utilities": "水电",
    "other": "其他",
}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class FeeExemption(TimestampMixin, Base):
    """A family's request to be exempted (R9) and the office's decision on it."""

    __tablename__ = "fee_exemptions"
    __table_args__ = (
        # One live (pending or approved) exemption per pupil per term.
        sa.Index(
            "uq_fee_exemptions_live",
            "term_id",
            "student_id",
            unique=True,
            postgresql_where=sa.text("status <> 'rejected'"),
            sqlite_where=sa.text("status <> 'rejected'"),
        ),
        sa.CheckConstraint(_in("status", ("pending", "approved", "rejected")), name="status"),
        sa.CheckConstraint(_in("category", EXEMPTION_CATEGORIES), name="category"),
        sa.CheckConstraint("percent IS NULL OR (percent BETWEEN 1 AND 100)", name="percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"), index=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"), index=True)
    category: Mapped[str] = mapped_column(sa.String(20))
    evidence_note: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    percent: Mapped[int | None] = mapped_column(sa.Integer)
    comment: Mapped[str | None] = mapped_column(sa.String(500))
    # "guardian" (asked in the app) or "application" (carried on the sign-up).
    source: Mapped[str] = mapped_column(sa.String(12), default="guardian")
    requested_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("applications.id"), unique=True
    )
    decided_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    decided_by: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_accounts.id"))


class Statement(TimestampMixin, Base):
    """What one pupil owes for one period of a term; the total is the sum of its lines."""

    __tablename__ = "fee_statements"
    __table_args__ = (
        # Generating again never duplicates: one live statement per pupil, term, period.
        sa.Index(
            "uq_fee_statements_live",
            "student_id",
            "term_id",
            "period",
            unique=True,
            postgresql_where=sa.text("status <> 'void'"),
            sqlite_where=sa.text("status <> 'void'"),
        ),
        sa.Index("ix_fee_statements_term_period", "term_id", "period", "status"),
        sa.CheckConstraint(
            _in("status", ("draft", "issued", "partially_paid", "paid", "settled", "void")),
            name="status",
        ),
        sa.CheckConstraint("paid_fen >= 0 AND refunded_fen >= 0", name="money_not_negative"),
        sa.CheckConstraint("refunded_fen <= paid_fen", name="refund_within_paid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"))
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"), index=True)
    class_id: Mapped[int] = mapped_column(sa.ForeignKey("classes.id"), index=True)
    period: Mapped[str] = mapped_column(sa.String(7))  # "YYYY-MM" or "term"
    status: Mapped[str] = mapped_column(sa.String(15), default="draft")
    # Kept equal to the sum of the lines by every writer (checked by the tests).
    total_fen: Mapped[int] = mapped_column(sa.Integer, default=0)
    paid_fen: Mapped[int] = mapped_column(sa.Integer, default=0)
    # Refunds requested or succeeded (a failed refund gives the money back to the balance).
    refunded_fen: Mapped[int] = mapped_column(sa.Integer, default=0)
    # Over-payment moved to a later statement as a credit line.
    carried_out_fen: Mapped[int] = mapped_column(sa.Integer, default=0)
    service_days: Mapped[int] = mapped_column(sa.Integer, default=0)
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fee_statements.id"))
    issued_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    void_reason: Mapped[str | None] = mapped_column(sa.String(200))
    settled_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow, onupdate=utcnow)


class StatementLine(TimestampMixin, Base):
    """One line of a statement; amounts are signed (a waiver or refund is negative)."""

    __tablename__ = "fee_statement_lines"
    __table_args__ = (sa.CheckConstraint(_in("kind", LINE_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("fee_statements.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(20))
    description: Mapped[str] = mapped_column(sa.String(300))
    amount_fen: Mapped[int] = mapped_column(sa.Integer)
    # For adjustment lines the kind they correct; "manual" for an office adjustment.
    basis: Mapped[str | None] = mapped_column(sa.String(20))
    # A credit line names the statement whose over-payment it carries.
    source_statement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fee_statements.id"))
    added_after_issue: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class Payment(TimestampMixin, Base):
    """Money received for a statement: recorded offline now, a WeChat Pay order later."""

    __tablename__ = "fee_payments"
    __table_args__ = (
        sa.UniqueConstraint("statement_id", "reference"),
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
        sa.CheckConstraint(_in("method", ("offline", "wechat")), name="method"),
        sa.CheckConstraint(_in("status", ("created", "paid", "closed")), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"), index=True)
    statement_id: Mapped[int] = mapped_column(sa.ForeignKey("fee_statements.id"), index=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"))
    method: Mapped[str] = mapped_column(sa.String(10))  # offline | wechat
    channel: Mapped[str] = mapped_column(sa.String(20))  # cash | bank_transfer | other | jsapi
    status: Mapped[str] = mapped_column(sa.String(10), default="created")
    amount_fen: Mapped[int] = mapped_column(sa.Integer)
    paid_on: Mapped[date | None] = mapped_column(sa.Date)
    # Receipt number / bank reference (offline) or our out_trade_no (WeChat Pay).
    reference: Mapped[str] = mapped_column(sa.String(64))
    transaction_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    paid_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    recorded_by: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_accounts.id"))
    payer_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class Refund(TimestampMixin, Base):
    """Money given back on a statement, with its reason (manual, credit or surplus)."""

    __tablename__ = "fee_refunds"
    __table_args__ = (
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
        sa.CheckConstraint(_in("status", ("requested", "succeeded", "failed")), name="status"),
        sa.CheckConstraint(_in("kind", ("manual", "credit", "surplus")), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"), index=True)
    statement_id: Mapped[int] = mapped_column(sa.ForeignKey("fee_statements.id"), index=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"))
    payment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fee_payments.id"))
    settlement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fee_settlements.id"))
    kind: Mapped[str] = mapped_column(sa.String(10), default="manual")
    method: Mapped[str] = mapped_column(sa.String(10), default="offline")
    status: Mapped[str] = mapped_column(sa.String(10), default="requested")
    amount_fen: Mapped[int] = mapped_column(sa.Integer)
    reason: Mapped[str] = mapped_column(sa.String(300))
    refunded_on: Mapped[date | None] = mapped_column(sa.Date)
    out_refund_no: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    completed_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    recorded_by: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_accounts.id"))


class Expense(TimestampMixin, Base):
    """A cost of the service during the term (for settlement and the 收支公示)."""

    __tablename__ = "fee_expenses"
    __table_args__ = (
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
        sa.CheckConstraint(_in("category", EXPENSE_CATEGORIES), name="category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"), index=True)
    category: Mapped[str] = mapped_column(sa.String(12))
    amount_fen: Mapped[int] = mapped_column(sa.Integer)
    spent_on: Mapped[date] = mapped_column(sa.Date)
    note: Mapped[str | None] = mapped_column(sa.String(300))
    recorded_by: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_accounts.id"))


class Settlement(TimestampMixin, Base):
    """The one term-end settlement of a term: income, expenses, surplus or deficit."""

    __tablename__ = "fee_settlements"
    __table_args__ = (
        sa.CheckConstraint(_in("status", ("surplus", "balanced", "deficit")), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"), unique=True)
    status: Mapped[str] = mapped_column(sa.String(10))
    income_fen: Mapped[int] = mapped_column(sa.Integer)
    expenses_fen: Mapped[int] = mapped_column(sa.Integer)
    surplus_fen: Mapped[int] = mapped_column(sa.Integer)  # negative = deficit
    refunded_fen: Mapped[int] = mapped_column(sa.Integer, default=0)
    credit_refunded_fen: Mapped[int] = mapped_column(sa.Integer, default=0)
    payers: Mapped[int] = mapped_column(sa.Integer, default=0)
    settled_by: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_accounts.id"))


class Disclosure(TimestampMixin, Base):
    """A published income/expense report (R11); figures only, no personal data."""

    __tablename__ = "fee_disclosures"
    __table_args__ = (sa.UniqueConstraint("term_id", "period", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"), index=True)
    period: Mapped[str] = mapped_column(sa.String(7))
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    report: Mapped[dict] = mapped_column(sa.JSON)
    published_by: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_accounts.id"))
