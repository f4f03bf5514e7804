"""security: gate failures, login throttles, second factor

Issue 12: wrong gate codes as rows counted in a sliding window (gate_failures; the
per-guard counter goes), admin sign-in failures per username and address
(login_throttles; the per-account counter and lock go), and the admin session's proven
second factor (auth_sessions.second_factor_at: sessions open before this revision count
as without TOTP and may only enrol, so admins sign in again).

Revision ID: b9ee85049a4d
Revises: 1ab5dd91a6ca
Create Date: 2026-12-02 13:27:12.923646

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "b9ee85049a4d"
down_revision: str | Sequence[str] | None = "1ab5dd91a6ca"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_throttles")),
        sa.UniqueConstraint(
            "username", "client_ip", name=op.f("uq_login_throttles_username_client_ip")
        ),
    )
    op.create_index(
        op.f("ix_login_throttles_window_started_at"),
        "login_throttles",
        ["window_started_at"],
        unique=False,
    )
    op.create_table(
        "gate_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gate_user_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["gate_user_id"],
            ["users.id"],
            name=op.f("fk_gate_failures_gate_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.id"],
            name=op.f("fk_gate_failures_school_id_schools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_failures")),
    )
    op.create_index(
        "ix_gate_failures_school_at", "gate_failures", ["school_id", "at"], unique=False
    )
    op.create_index(
        "ix_gate_failures_user_school_at",
        "gate_failures",
        ["gate_user_id", "school_id", "at"],
        unique=False,
    )
    with op.batch_alter_table("admin_accounts") as batch:
        batch.drop_column("failed_logins")
        batch.drop_column("locked_until")
    op.add_column(
        "auth_sessions", sa.Column("second_factor_at", sa.DateTime(timezone=True), nullable=True)
    )
    with op.batch_alter_table("gate_guards") as batch:
        batch.drop_column("last_failure_at")
        batch.drop_column("failures")


def downgrade() -> None:
    with op.batch_alter_table("gate_guards") as batch:
        batch.add_column(sa.Column("failures", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_column("auth_sessions", "second_factor_at")
    with op.batch_alter_table("admin_accounts") as batch:
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
    op.drop_index("ix_gate_failures_user_school_at", table_name="gate_failures")
    op.drop_index("ix_gate_failures_school_at", table_name="gate_failures")
    op.drop_table("gate_failures")
    op.drop_index(op.f("ix_login_throttles_window_started_at"), table_name="login_throttles")
    op.drop_table("login_throttles")
