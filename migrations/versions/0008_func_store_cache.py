"""DFF.STORE and the embedded DFF.CACHE: what scripts keep between runs

Revision ID: 0008_func_store_cache
Revises: 0007_script_sets
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_func_store_cache"
down_revision = "0007_script_sets"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "func_store",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("scope", sa.String(length=256), nullable=False),
        sa.Column("key", sa.String(length=256), nullable=False),
        sa.Column("value_json", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("expire_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("func_store", schema=None) as batch_op:
        batch_op.create_index("ix_func_store_expire_at", ["expire_at"], unique=False)
        batch_op.create_index("ix_func_store_scope_key", ["scope", "key"], unique=True)
    op.create_table(
        "func_cache",
        sa.Column("scope", sa.String(length=256), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value_json", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("expire_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key"),
    )
    with op.batch_alter_table("func_cache", schema=None) as batch_op:
        batch_op.create_index("ix_func_cache_expire_at_ms", ["expire_at_ms"], unique=False)


def downgrade():
    with op.batch_alter_table("func_cache", schema=None) as batch_op:
        batch_op.drop_index("ix_func_cache_expire_at_ms")
    op.drop_table("func_cache")
    with op.batch_alter_table("func_store", schema=None) as batch_op:
        batch_op.drop_index("ix_func_store_scope_key")
        batch_op.drop_index("ix_func_store_expire_at")
    op.drop_table("func_store")
