"""task records of runs started by other runs and by HTTP APIs: the call chain, the root task,
the entity that started it (a Sync/Async API), and the time a queued run expires

Revision ID: 0009_task_record_chains
Revises: 0008_func_store_cache
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_task_record_chains"
down_revision = "0008_func_store_cache"
branch_labels = None
depends_on = None


def upgrade():
    # ADD COLUMN only (SQLite rebuilds a table for anything more).
    op.add_column("task_records", sa.Column("root_task_id", sa.String(length=32), nullable=True))
    op.add_column("task_records", sa.Column("call_chain", sa.JSON(), nullable=True))
    op.add_column("task_records", sa.Column("origin_id", sa.String(length=64), nullable=True))
    op.add_column(
        "task_records", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade():
    with op.batch_alter_table("task_records", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
        batch_op.drop_column("origin_id")
        batch_op.drop_column("call_chain")
        batch_op.drop_column("root_task_id")
