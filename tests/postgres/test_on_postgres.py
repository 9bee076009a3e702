"""The same app on PostgreSQL: migrations, the scripts API, auth and timestamps."""

import multiprocessing
from datetime import UTC, datetime, timedelta, timezone

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from tests.conftest import ADMIN_PASSWORD, app_config, csrf_token_from, log_in
from webapp import create_app
from webapp.database import MIGRATIONS_DIR
from webapp.extensions import db
from webapp.models import User
from webapp.services.scripts import code_md5

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_app(tmp_path, postgres_url):
    app = create_app(app_config(tmp_path, FUNCPAD_DATABASE_URL=postgres_url))
    yield app
    with app.app_context():
        db.engine.dispose()


def test_migrations_run_on_postgres(pg_app):
    with pg_app.app_context():
        assert db.engine.dialect.name == "postgresql"
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "scripts", "script_revisions", "api_tokens"} <= tables
        downgrade(directory=str(MIGRATIONS_DIR), revision="base")
        assert set(inspect(db.engine).get_table_names()) == {"alembic_version"}
        upgrade(directory=str(MIGRATIONS_DIR))
        assert "scripts" in inspect(db.engine).get_table_names()


def test_script_lifecycle_over_the_api(pg_app):
    client = pg_app.test_client()
    assert log_in(client).status_code == 302
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token_from(
        client.get("/scripts").get_data(as_text=True)
    )
    assert (
        client.post("/api/v1/scripts", json={"id": "pg", "title": "PG", "code": "a\n"}).status_code
        == 201
    )
    assert client.post("/api/v1/scripts", json={"id": "pg", "title": "again"}).status_code == 409
    saved = client.put(
        "/api/v1/scripts/pg/draft", json={"code": "a = 1\n", "base_md5": code_md5("a\n")}
    )
    assert saved.status_code == 200
    stale = client.put(
        "/api/v1/scripts/pg/draft", json={"code": "b\n", "base_md5": code_md5("a\n")}
    )
    assert stale.status_code == 409 and stale.json["current_code"] == "a = 1\n"
    assert client.post("/api/v1/scripts/pg/publish", json={"note": "one"}).json["version"] == 1
    client.put(
        "/api/v1/scripts/pg/draft", json={"code": "a = 2\n", "base_md5": code_md5("a = 1\n")}
    )
    assert client.post("/api/v1/scripts/pg/publish", json={}).json["version"] == 2
    listed = client.get("/api/v1/scripts").json
    assert listed[0]["published_version"] == 2 and listed[0]["has_unpublished_changes"] is False
    assert "-a = 1\n+a = 2" in client.get("/api/v1/scripts/pg/diff?from=1&to=2").json["diff"]
    restored = client.post("/api/v1/scripts/pg/revisions/1/restore", json={})
    assert restored.json["draft_code"] == "a = 1\n"
    assert client.delete("/api/v1/scripts/pg").status_code == 204
    assert client.get("/api/v1/scripts/pg/revisions").status_code == 404


def test_throttling_and_timestamps_on_postgres(pg_app):
    client = pg_app.test_client()
    for _ in range(5):
        assert log_in(client, password="bad-password").status_code == 401
    assert log_in(client, password=ADMIN_PASSWORD).status_code == 429
    with pg_app.app_context():
        user = db.session.scalar(db.select(User))
        user.last_login_at = datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=8)))
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(User, user.id).last_login_at == datetime(2026, 3, 1, 4, 0, tzinfo=UTC)


def _start(data_dir: str, url: str) -> None:
    create_app(
        {"FUNCPAD_DATA_DIR": data_dir, "FUNCPAD_DATABASE_URL": url, "FUNCPAD_SCHEDULER": "off"}
    )


def test_hosts_starting_together_migrate_once(tmp_path, postgres_url):
    """Separate data dirs (no shared file lock): only the advisory lock serialises them."""
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_start, args=(str(tmp_path / f"host{n}"), postgres_url))
        for n in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    app = create_app(app_config(tmp_path / "check", FUNCPAD_DATABASE_URL=postgres_url))
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == 1
