"""school stage (primary or middle) for R5's latest service end

Revision ID: 5c1e2a7d9b31
Revises: 1196df0a1971
Create Date: 2026-12-02 13:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1e2a7d9b31"
down_revision: str | Sequence[str] | None = "1196df0a1971"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("schools") as batch:
        batch.add_column(
            sa.Column("stage", sa.String(length=10), server_default="primary", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("schools") as batch:
        batch.drop_column("stage")
