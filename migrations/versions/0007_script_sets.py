"""script sets: every script belongs to one (<set>__<name>; older ids to the set default)

Revision ID: 0007_script_sets
Revises: 0006_user_sessions

Script ids do not change, so every revision, function, task record and cron job keeps pointing
at its script; each script gets the set its id names, or ``default`` when it names none.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007_script_sets"
down_revision = "0006_user_sessions"
branch_labels = None
depends_on = None

DEFAULT_SET = "default"


def set_of(script_id: str) -> str:
    head, sep, _name = script_id.partition("__")
    return head if sep and head else DEFAULT_SET


def upgrade():
    op.create_table(
        "script_sets",
        sa.Column("id", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    bind = op.get_bind()
    script_ids = [row[0] for row in bind.execute(sa.text("SELECT id FROM scripts"))]
    now = datetime.now(UTC)
    sets = sorted({set_of(i) for i in script_ids})
    table = sa.table(
        "script_sets",
        sa.column("id"),
        sa.column("title"),
        sa.column("description"),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    if sets:
        op.bulk_insert(
            table,
            [
                {"id": s, "title": s, "description": "", "created_at": now, "updated_at": now}
                for s in sets
            ],
        )
    # ADD COLUMN only: rebuilding the scripts table (SQLite's way to add a constraint) would
    # drop it, and the drop would cascade into every revision.
    op.add_column("scripts", sa.Column("set_id", sa.String(length=60), nullable=True))
    for script_id in script_ids:
        bind.execute(
            sa.text("UPDATE scripts SET set_id = :set WHERE id = :id"),
            {"set": set_of(script_id), "id": script_id},
        )
    op.create_index("ix_scripts_set_id", "scripts", ["set_id"], unique=False)


def downgrade():
    op.drop_index("ix_scripts_set_id", table_name="scripts")
    op.execute("ALTER TABLE scripts DROP COLUMN set_id")  # SQLite 3.35+ and PostgreSQL
    op.drop_table("script_sets")
