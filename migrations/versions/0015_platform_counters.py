"""platform counters: the whole platform's monotonic counts that /metrics reads

Revision ID: 0015_platform_counters
Revises: 0014_workers
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_platform_counters"
down_revision = "0014_workers"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "platform_counters",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("labels", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", "labels"),
    )


def downgrade():
    op.drop_table("platform_counters")
