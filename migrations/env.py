"""Alembic environment for Flask-Migrate.

Differences from the stock template: no ``fileConfig`` (it would reset the app's logging when
migrations run at start-up), and on PostgreSQL a transaction-scoped advisory lock so several
hosts starting against one database apply each migration once.
"""

from alembic import context
from flask import current_app
from sqlalchemy import text

from webapp.models.types import UTCDateTime

# An arbitrary constant that identifies "Funcpad schema migration" among advisory locks.
MIGRATION_LOCK_ID = 7_140_553_001

config = context.config
target_db = current_app.extensions["migrate"].db


def render_item(type_, obj, autogen_context):
    """Render our UTCDateTime as a plain timezone-aware DateTime in migration files."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline():
    context.configure(
        url=str(target_db.engine.url).replace("%", "%%"),
        target_metadata=target_db.metadata,
        literal_binds=True,
        render_as_batch=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    connectable = target_db.engine
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_db.metadata,
            render_as_batch=True,
            render_item=render_item,
            compare_type=True,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})"))
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
