"""packages: the Packages page's pip jobs (output, outcome), and a script set's requirements

Revision ID: 0013_packages
Revises: 0012_connector_secrets
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_packages"
down_revision = "0012_connector_secrets"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "package_jobs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("requested", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("output", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("started_by", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_package_jobs_started_at", "package_jobs", ["started_at"])
    op.add_column(
        "script_sets",
        sa.Column("requirements", sa.Text(), nullable=False, server_default=""),
    )


def downgrade():
    with op.batch_alter_table("script_sets", schema=None) as batch_op:
        batch_op.drop_column("requirements")
    op.drop_index("ix_package_jobs_started_at", table_name="package_jobs")
    op.drop_table("package_jobs")
