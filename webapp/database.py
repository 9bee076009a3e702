"""Database wiring: SQLite pragmas, and applying migrations on start.

SQLite gets WAL (readers never block the writer), foreign keys (off by default in SQLite) and a
busy timeout (writers wait instead of failing with "database is locked"). Start-up migrations run
under a file lock in the data directory so several gunicorn workers starting together apply them
once; on PostgreSQL ``migrations/env.py`` also takes an advisory lock for hosts sharing a database.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from webapp.extensions import db, migrate
from webapp.files import private_sqlite_file

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, _record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@contextmanager
def startup_lock(data_dir: str):
    """Serialise start-up work (migrations, bootstrap admin) between processes on this host."""
    path = Path(data_dir) / "startup.lock"
    with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def init_app(app: Flask) -> None:
    """Bind SQLAlchemy and Flask-Migrate; apply pending migrations unless disabled."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database:
        private_sqlite_file(url.database)  # 0600 before SQLite creates it
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    if app.config["FUNCPAD_AUTO_MIGRATE"]:
        with startup_lock(app.config["FUNCPAD_DATA_DIR"]), app.app_context():
            upgrade(directory=str(MIGRATIONS_DIR))
