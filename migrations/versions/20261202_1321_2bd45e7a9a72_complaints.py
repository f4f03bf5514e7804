"""complaints (R16): complaints, their events and the tracking-number counter

Revision ID: 2bd45e7a9a72
Revises: 1e70c97ed016
Create Date: 2026-12-02 13:21:59.895905

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "2bd45e7a9a72"
down_revision: str | Sequence[str] | None = "1e70c97ed016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "complaint_counters",
        sa.Column("school_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_complaint_counters_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("school_id", "day", name=op.f("pk_complaint_counters")),
    )
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("tracking_no", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("filer_user_id", sa.Integer(), nullable=False),
        sa.Column("filer_role", sa.String(length=20), nullable=True),
        sa.Column("filer_name", sa.String(length=50), nullable=True),
        sa.Column("student_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("overdue_flagged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replied_by", sa.String(length=10), nullable=True),
        sa.Column("reply_text", sa.Text(), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("feedback_satisfied", sa.Boolean(), nullable=True),
        sa.Column("feedback_comment", sa.Text(), nullable=True),
        sa.Column("feedback_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "category IN ('fees', 'safety', 'teaching', 'provider', 'staff', 'other')",
            name=op.f("ck_complaints_category"),
        ),
        sa.CheckConstraint(
            "status IN ('submitted', 'accepted', 'resolved', 'rejected', 'escalated')",
            name=op.f("ck_complaints_status"),
        ),
        sa.CheckConstraint(
            "NOT anonymous OR student_id IS NULL", name=op.f("ck_complaints_anonymous_no_pupil")
        ),
        sa.ForeignKeyConstraint(
            ["filer_user_id"], ["users.id"], name=op.f("fk_complaints_filer_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_complaints_school_id_schools")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["students.id"], name=op.f("fk_complaints_student_id_students")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint(
            "school_id", "tracking_no", name=op.f("uq_complaints_school_id_tracking_no")
        ),
    )
    op.create_index(
        op.f("ix_complaints_filer_user_id"), "complaints", ["filer_user_id"], unique=False
    )
    op.create_index(
        "ix_complaints_school_status", "complaints", ["school_id", "status"], unique=False
    )
    op.create_table(
        "complaint_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("by", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_events_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_events")),
    )
    op.create_index(
        op.f("ix_complaint_events_complaint_id"), "complaint_events", ["complaint_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_complaint_events_complaint_id"), table_name="complaint_events")
    op.drop_table("complaint_events")
    op.drop_index("ix_complaints_school_status", table_name="complaints")
    op.drop_index(op.f("ix_complaints_filer_user_id"), table_name="complaints")
    op.drop_table("complaints")
    op.drop_table("complaint_counters")
