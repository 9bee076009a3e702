"""workers: heartbeats of the processes that execute runs, and each run's worker queue

Revision ID: 0014_workers
Revises: 0013_packages
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_workers"
down_revision = "0013_packages"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "worker_heartbeats",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("queues", sa.JSON(), nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.Column("busy", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_worker_heartbeats_seen_at", "worker_heartbeats", ["seen_at"])
    op.add_column("task_records", sa.Column("queue", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("task_records", schema=None) as batch_op:
        batch_op.drop_column("queue")
    op.drop_index("ix_worker_heartbeats_seen_at", table_name="worker_heartbeats")
    op.drop_table("worker_heartbeats")
