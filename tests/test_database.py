"""The schema comes from Alembic migrations, SQLite is tuned, and start-up is race-free."""

import multiprocessing
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from webapp import create_app
from webapp.database import MIGRATIONS_DIR
from webapp.extensions import db

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_TABLES = {
    "alembic_version",
    "users",
    "api_tokens",
    "login_attempts",
    "user_sessions",
    "script_sets",
    "package_jobs",
    "func_store",
    "func_cache",
    "func_apis",
    "scripts",
    "script_revisions",
    "funcs",
    "env_vars",
    "task_records",
    "connectors",
    "crontab_configs",
    "scheduler_leases",
    "scheduler_settings",
    "worker_heartbeats",
    "platform_counters",
}


def test_fresh_start_migrates_to_head(tmp_path):
    app = create_app({"FUNCPAD_DATA_DIR": str(tmp_path), "FUNCPAD_SCHEDULER": "off"})
    with app.app_context():
        assert set(inspect(db.engine).get_table_names()) == EXPECTED_TABLES
        version = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert version == "0015_platform_counters"


@pytest.mark.parametrize("backend", ["sqlite"])  # SQLite's own settings
def test_sqlite_pragmas(app_ctx):
    connection = db.session.connection()
    assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000


def test_migrations_downgrade_and_upgrade_again(app_ctx):
    downgrade(directory=str(MIGRATIONS_DIR), revision="base")
    assert set(inspect(db.engine).get_table_names()) == {"alembic_version"}
    upgrade(directory=str(MIGRATIONS_DIR))
    assert set(inspect(db.engine).get_table_names()) == EXPECTED_TABLES


def test_models_match_the_migrations(app_ctx):
    """Autogenerate against the migrated database must find nothing to add."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        assert compare_metadata(context, db.metadata) == []


def test_app_code_never_calls_create_all():
    offenders = [
        path for path in (ROOT / "webapp").rglob("*.py") if "create_all(" in path.read_text()
    ]
    assert offenders == []


def _start(data_dir: str) -> None:
    create_app({"FUNCPAD_DATA_DIR": data_dir, "FUNCPAD_SCHEDULER": "off"})


def test_workers_starting_together_migrate_once(tmp_path):
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_start, args=(str(tmp_path),)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    with sqlite3.connect(tmp_path / "funcpad.db") as connection:
        assert connection.execute("SELECT count(*) FROM users").fetchone() == (1,)


def test_flask_db_upgrade_cli(tmp_path):
    env = {"FUNCPAD_DATA_DIR": str(tmp_path), "FUNCPAD_AUTO_MIGRATE": "off", "PATH": "/usr/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "webapp", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "funcpad.db") as connection:
        tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
    assert tables >= EXPECTED_TABLES


def test_database_files_are_private(tmp_path):
    import stat

    from tests.conftest import app_config
    from webapp import create_app

    data = tmp_path / "fresh"
    data.mkdir()
    app = create_app(app_config(data))
    app.extensions["funcpad.points"].connection().execute("SELECT 1")
    with app.app_context():
        db.session.execute(db.text("SELECT 1"))
    names = [p.name for p in data.iterdir() if p.name.startswith(("funcpad.db", "points.db"))]
    assert {"funcpad.db", "points.db"} <= set(names)
    for name in names:
        mode = stat.S_IMODE((data / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))
    with app.app_context():
        db.engine.dispose()


def test_existing_database_files_are_made_private(tmp_path):
    import stat

    from webapp.files import private_sqlite_file

    for suffix in ("", "-wal"):
        (tmp_path / f"old.db{suffix}").write_text("x")
        (tmp_path / f"old.db{suffix}").chmod(0o644)
    private_sqlite_file(tmp_path / "old.db")
    for suffix in ("", "-wal"):
        assert stat.S_IMODE((tmp_path / f"old.db{suffix}").stat().st_mode) == 0o600


def test_script_sets_migration_keeps_everything_pointing_at_the_scripts(app_ctx):
    """A database made by the revision before script sets, with scripts, revisions, functions,
    task records and a cron job: after the upgrade every row still points at its script, and
    each script is in the set its id names (``default`` for ids without ``__``)."""
    downgrade(directory=str(MIGRATIONS_DIR), revision="0006_user_sessions")
    assert "script_sets" not in inspect(db.engine).get_table_names()
    now = "2026-12-01 00:00:00+00:00"
    statements = [
        "INSERT INTO scripts (id, title, description, draft_code, draft_md5, draft_updated_at,"
        " created_at, updated_at) VALUES ('demo', 'Demo', '', 'x = 1', 'md5a', :now, :now, :now),"
        " ('ops__disk', 'Disk', '', 'y = 2', 'md5b', :now, :now, :now)",
        "INSERT INTO script_revisions (script_id, version, code, md5, note, published_at)"
        " VALUES ('demo', 1, 'x = 1', 'md5a', 'first', :now), ('ops__disk', 1, 'y = 2', 'md5b', '', :now)",
        "INSERT INTO funcs (id, script_id, name, title, category, tags, args, accepts_var_kwargs,"
        " doc, timeout, options, version, updated_at) VALUES ('demo.f', 'demo', 'f', 'F', 'general', '[]',"
        " '[]', false, NULL, NULL, '{}', 1, :now)",
    ]
    for statement in statements:
        db.session.execute(text(statement), {"now": now})
    db.session.commit()
    upgrade(directory=str(MIGRATIONS_DIR))
    rows = dict(db.session.execute(text("SELECT id, set_id FROM scripts")).all())
    assert rows == {"demo": "default", "ops__disk": "ops"}
    sets = {r[0] for r in db.session.execute(text("SELECT id FROM script_sets"))}
    assert sets == {"default", "ops"}
    assert db.session.execute(text("SELECT count(*) FROM script_revisions")).scalar() == 2
    assert (
        db.session.execute(text("SELECT script_id FROM funcs WHERE id = 'demo.f'")).scalar()
        == "demo"
    )


def test_connector_secrets_migration_encrypts_a_stored_token(app_ctx, app):
    """A DataKit token kept in the config before secrets were kept apart: after the upgrade it
    is out of the config, encrypted in ``secrets``, and the connector still has it."""
    from webapp.models import Connector
    from webapp.services import connectors as connectors_service

    downgrade(directory=str(MIGRATIONS_DIR), revision="0011_cron_overrides")
    db.session.execute(
        text(
            "INSERT INTO connectors (id, type, title, config, created_at, updated_at) VALUES"
            " ('agent', 'datakit', 'A', :config, :now, :now)"
        ),
        {"config": '{"url": "http://127.0.0.1:9529", "token": "tkn_old_1"}', "now": "2026-12-01"},
    )
    db.session.commit()
    upgrade(directory=str(MIGRATIONS_DIR))
    config, secrets = db.session.execute(
        text("SELECT config, secrets FROM connectors WHERE id = 'agent'")
    ).one()
    assert "tkn_old_1" not in config and "tkn_old_1" not in secrets
    db.session.expire_all()
    connector = db.session.get(Connector, "agent")
    assert connectors_service.secrets_of(connector) == {"token": "tkn_old_1"}
    assert connectors_service.public_view(connector, "http://x")["config"]["token"] == "*****"
