"""Sync and Async APIs; on task records, the HTTP request of a run called over HTTP and the
answer it chose (DFF.RESP)

Revision ID: 0010_func_apis
Revises: 0009_task_record_chains
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_func_apis"
down_revision = "0009_task_record_chains"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "func_apis",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("func_id", sa.String(length=130), nullable=False),
        sa.Column("kwargs", sa.JSON(), nullable=False),
        sa.Column("auth", sa.JSON(), nullable=False),
        sa.Column("throttling", sa.JSON(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("show_in_docs", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("func_apis", schema=None) as batch_op:
        batch_op.create_index("ix_func_apis_func_id", ["func_id"], unique=False)
        batch_op.create_index("ix_func_apis_kind", ["kind"], unique=False)
    op.add_column("task_records", sa.Column("response_control", sa.JSON(), nullable=True))
    op.add_column("task_records", sa.Column("http_request", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("task_records", schema=None) as batch_op:
        batch_op.drop_column("http_request")
        batch_op.drop_column("response_control")
    with op.batch_alter_table("func_apis", schema=None) as batch_op:
        batch_op.drop_index("ix_func_apis_kind")
        batch_op.drop_index("ix_func_apis_func_id")
    op.drop_table("func_apis")
