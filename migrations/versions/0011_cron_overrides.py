"""cron jobs: a schedule a script set with CRON_JOB.set_cron_expr (until it expires), and a
pause a script asked for with CRON_JOB.pause; on task records, the delay of a run of a
delayed_cron_job fan-out

Revision ID: 0011_cron_overrides
Revises: 0010_func_apis
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_cron_overrides"
down_revision = "0010_func_apis"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "crontab_configs", sa.Column("dynamic_crontab", sa.String(length=200), nullable=True)
    )
    op.add_column(
        "crontab_configs",
        sa.Column("dynamic_expires_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "crontab_configs", sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True)
    )
    # DFF.API(delayed_cron_job=...): each run of a firing, its delay after the tick.
    op.add_column("task_records", sa.Column("cron_delay", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("task_records", schema=None) as batch_op:
        batch_op.drop_column("cron_delay")
    with op.batch_alter_table("crontab_configs", schema=None) as batch_op:
        batch_op.drop_column("paused_until")
        batch_op.drop_column("dynamic_expires_at")
        batch_op.drop_column("dynamic_crontab")
