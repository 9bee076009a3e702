"""Shared fixtures: a fresh data directory and database per test, clients and factories.

Every test that takes ``data_dir`` (and so ``app``, ``client``, ``app_ctx``...) runs twice: on
SQLite and on PostgreSQL (the ``backend`` parameter; the PostgreSQL run carries the ``postgres``
marker, so ``-m "not postgres"`` runs SQLite only). Migrations run once per session into a
template database of each kind; each test gets a copy (a file copy, ``CREATE DATABASE ...
TEMPLATE``), so every test starts from a real migrated schema without paying for the migration.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from webapp import create_app
from webapp.extensions import db
from webapp.models import Script, User
from webapp.models.types import utcnow
from webapp.services import result_cache
from webapp.services import scripts as script_service
from webapp.services import users as user_service

ADMIN_USERNAME = "admin"
LIVE_ADMIN = ("admin", "browser-admin-pw")
ROOT = Path(__file__).resolve().parents[1]
ADMIN_PASSWORD = "admin-password"
# One Packages folder for every in-process app: the runner's pool is per sandbox settings, and
# a folder per test (inside its data directory) would start a pool per test. Outside pytest's
# own tmp, which other uids cannot pass through, so the jobs' uids can read it.
SHARED_PACKAGES = Path(tempfile.mkdtemp(prefix="funcpad-test-packages-"))
SHARED_PACKAGES.chmod(0o755)
atexit.register(shutil.rmtree, SHARED_PACKAGES, True)


def app_config(data_dir: Path, **extra) -> dict:
    return {
        "FUNCPAD_DATA_DIR": str(data_dir),
        "FUNCPAD_USER_PACKAGES": str(SHARED_PACKAGES / "packages"),
        "FUNCPAD_SCHEDULER": "off",
        "FUNCPAD_ADMIN_USERNAME": ADMIN_USERNAME,
        "FUNCPAD_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "FUNCPAD_RUNNER_WARMUP": "off",
        "FUNCPAD_RETENTION_THREAD": "off",
        "FUNCPAD_API_CHECK_RESPONSES": "on",
        "FUNCPAD_SELF_METRICS_SECONDS": "0",  # no agent to send to: tests that want it say so
        "TESTING": True,
        **extra,
    }


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("template")
    app = create_app(app_config(data_dir))
    with app.app_context():
        db.engine.dispose()  # closes the last connection, which checkpoints the WAL into the file
    return data_dir / "funcpad.db"


PG_TEMPLATE = "funcpad_template"


@pytest.fixture(scope="session")
def pg_template(request, tmp_path_factory) -> str:
    """A migrated PostgreSQL database that each test's database is copied from."""
    import psycopg

    server = request.getfixturevalue("postgres_server")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{PG_TEMPLATE}"')
    url = f"{server}/{PG_TEMPLATE}"
    app = create_app(app_config(tmp_path_factory.mktemp("pg-template"), FUNCPAD_DATABASE_URL=url))
    with app.app_context():
        db.engine.dispose()  # a template must have no connections when it is copied
    return PG_TEMPLATE


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(request, backend) -> Iterator[str | None]:
    """None for SQLite (the data directory's file); a fresh PostgreSQL database otherwise."""
    if backend == "sqlite":
        yield None
        return
    from tests.pg_server import fresh_database

    server = request.getfixturevalue("postgres_server")
    with fresh_database(server, request.getfixturevalue("pg_template")) as url:
        yield url


@pytest.fixture
def data_dir(tmp_path, template_db, database_url, monkeypatch) -> Path:
    """A fresh data directory; on PostgreSQL, ``FUNCPAD_DATABASE_URL`` names this test's own
    database, so every app and server the test starts uses it."""
    path = tmp_path / "data"
    path.mkdir()
    shutil.copy(template_db, path / "funcpad.db")
    if database_url:
        monkeypatch.setenv("FUNCPAD_DATABASE_URL", database_url)
    return path


@pytest.fixture
def app(data_dir) -> Iterator[Flask]:
    """The app, with no context pushed: requests get their own context (and their own ``g``)."""
    result_cache.results.clear()  # per process, like DataFlux Func's: not per test's database
    app = create_app(app_config(data_dir))
    yield app
    with app.app_context():
        db.engine.dispose()
    # Every /api/v1 answer a test got must match the OpenAPI document (see views/api/openapi).
    assert app.extensions.get("funcpad.api_mismatches", []) == []


@pytest.fixture
def app_ctx(app) -> Iterator[Flask]:
    """An app context for tests that use models and services directly."""
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "page has no CSRF token"
    return match.group(1)


def log_in(client: FlaskClient, username: str = ADMIN_USERNAME, password: str = ADMIN_PASSWORD):
    """Log in through the real form; returns the response of the POST."""
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


@pytest.fixture
def auth_client(client) -> FlaskClient:
    """A logged-in browser-like client that sends the CSRF header on every request."""
    response = log_in(client)
    assert response.status_code == 302, response.get_data(as_text=True)
    token = csrf_token_from(client.get("/scripts").get_data(as_text=True))
    client.environ_base["HTTP_X_CSRFTOKEN"] = token
    return client


@pytest.fixture
def admin(app_ctx) -> User:
    return db.session.scalar(db.select(User).where(User.username == ADMIN_USERNAME))


@pytest.fixture
def make_user(app_ctx):
    def factory(username: str = "alice", password: str = "alice-password", **kw) -> User:
        user = user_service.create_user(db.session, username, password, **kw)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def make_script(app_ctx):
    def factory(
        script_id: str = "demo", code: str = "x = 1\n", title: str | None = None, publish: int = 0
    ) -> Script:
        script = script_service.create_script(
            db.session,
            script_id,
            title or script_id.title(),
            code=code,
            username="admin",
            now=utcnow(),
        )
        for n in range(publish):
            script_service.publish(
                db.session, script, f"release {n + 1}", username="admin", now=utcnow()
            )
        db.session.commit()
        return script

    return factory


@pytest.fixture
def api_token(app) -> str:
    with app.app_context():
        admin = db.session.scalar(db.select(User).where(User.username == ADMIN_USERNAME))
        _token, plaintext = user_service.create_token(db.session, admin, "tests")
        db.session.commit()
    return plaintext


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(
    data_dir: Path, processes: list | None = None, **extra_env: str
) -> Iterator[str]:
    """gunicorn serving the app from ``data_dir`` on a free 127.0.0.1 port; yields the URL.

    ``extra_env`` overrides variables (e.g. ``FUNCPAD_SCHEDULER="on"``); the Popen is appended
    to ``processes`` for tests that need to kill it.
    """
    port = free_port()
    env = {
        **os.environ,
        "FUNCPAD_DATA_DIR": str(data_dir),
        "FUNCPAD_BIND": f"127.0.0.1:{port}",
        "FUNCPAD_RECEIVER_BIND": f"127.0.0.1:{free_port()}",
        "FUNCPAD_SCHEDULER": "off",
        "FUNCPAD_ADMIN_USERNAME": LIVE_ADMIN[0],
        "FUNCPAD_ADMIN_PASSWORD": LIVE_ADMIN[1],
        "FUNCPAD_WORKERS": "1",
        **extra_env,
    }
    with open(data_dir / f"gunicorn-{port}.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a test can kill all of it
        )
        if processes is not None:
            processes.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or still starting
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError((data_dir / f"gunicorn-{port}.log").read_text())
            time.sleep(0.1)
        try:
            yield base
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(20)


def make_api_token(data_dir: Path, name: str = "tests", user: str = LIVE_ADMIN[0]) -> str:
    """An API token for ``user`` of the app in ``data_dir``, made by the real CLI."""
    made = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "webapp", "create-token", name, "--user", user],
        env={**os.environ, "FUNCPAD_DATA_DIR": str(data_dir), "FUNCPAD_SCHEDULER": "off",
             "FUNCPAD_RUNNER_WARMUP": "off"},
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("fp_"), made.stdout + made.stderr
    return token


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[str]:
    """One gunicorn for the whole session (tests that do not mind each other's data), on SQLite
    whichever test starts it (a PostgreSQL test's database goes with the test)."""
    saved = os.environ.pop("FUNCPAD_DATABASE_URL", None)
    try:
        with running_server(tmp_path_factory.mktemp("live")) as base:
            if saved is not None:
                os.environ["FUNCPAD_DATABASE_URL"] = saved
                saved = None
            yield base
    finally:
        if saved is not None:
            os.environ["FUNCPAD_DATABASE_URL"] = saved


@pytest.fixture
def fresh_live_server(tmp_path) -> Iterator[str]:
    """A gunicorn with an empty data directory, for tests that count what they wrote."""
    data_dir = tmp_path / "live"
    data_dir.mkdir()
    with running_server(data_dir) as base:
        yield base


REDIS_PASSWORD = "test-redis-password"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """Debian's redis-server on a free 127.0.0.1 port with a password, once per session."""
    port = free_port()
    work = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [
            "redis-server",
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--requirepass", REDIS_PASSWORD,
            "--save", "",
            "--appendonly", "no",
            "--dir", str(work),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"redis://:{REDIS_PASSWORD}@127.0.0.1:{port}/0"
    import redis

    deadline = time.monotonic() + 20
    while True:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.RedisError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.05)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(10)


# Real servers the connector and PostgreSQL tests share, each started once per session.
from tests.db_servers import (  # noqa: E402, F401
    clickhouse_server,
    influxdb_server,
    memcached_server,
    mqtt_server,
    mysql_server,
    prometheus_server,
)
from tests.pg_server import postgres_server, postgres_url  # noqa: E402, F401
