"""A small Celery deployment on 127.0.0.1: the session's Redis, one data directory, and real
``funcpad worker`` processes started once per module (each test uses script ids of its own)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import ROOT, app_config, csrf_token_from, log_in
from webapp import create_app
from webapp.extensions import db

REDIS_DB = 5  # apart from DFF.CACHE's tests


class Cluster:
    def __init__(self, data_dir: Path, redis_url: str, logs: Path) -> None:
        self.data_dir = data_dir
        self.redis_url = redis_url
        self.logs = logs
        self.workers: dict[str, subprocess.Popen] = {}
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("FUNCPAD_")},
            **{k: str(v) for k, v in self.config().items() if k.startswith("FUNCPAD_")},
        }
        self.app = create_app(self.config())

    def config(self, **extra) -> dict:
        return app_config(
            self.data_dir,
            FUNCPAD_EXECUTOR="celery",
            FUNCPAD_REDIS_URL=self.redis_url,
            FUNCPAD_BROKER_VISIBILITY_SECONDS="3",
            FUNCPAD_RUNNER_CONCURRENCY="2",
            **extra,
        )

    def start_worker(self, name: str, queues: str | None = None) -> subprocess.Popen:
        """``funcpad worker`` (serving ``queues``), returned once Celery says it is ready."""
        log = self.logs / f"{name}.log"
        argv = [sys.executable, "-m", "webapp.main", "worker", "-c", "2"]
        if queues:
            argv += ["-Q", queues]
        process = subprocess.Popen(
            argv, cwd=ROOT, env=self.env, stdout=log.open("w"), stderr=subprocess.STDOUT
        )
        self.workers[name] = process
        deadline = time.monotonic() + 60
        while " ready." not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {name} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        return process

    def stop_worker(self, name: str, how: int = signal.SIGTERM) -> None:
        process = self.workers.pop(name)
        process.send_signal(how)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)

    def worker_pids(self) -> set[int]:
        return {p.pid for p in self.workers.values() if p.poll() is None}

    def client(self):
        client = self.app.test_client()
        assert log_in(client).status_code == 302
        token = csrf_token_from(client.get("/scripts").get_data(as_text=True))
        client.environ_base["HTTP_X_CSRFTOKEN"] = token
        return client

    def close(self) -> None:
        for name in list(self.workers):
            self.stop_worker(name, signal.SIGKILL)
        with self.app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, template_db, redis_url) -> Iterator[Cluster]:
    base = tmp_path_factory.mktemp("celery")
    data_dir = base / "data"
    data_dir.mkdir()
    shutil.copy(template_db, data_dir / "funcpad.db")
    url = redis_url.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    redis.Redis.from_url(url).flushdb()
    cluster = Cluster(data_dir, url, base)
    cluster.start_worker("a", "1-8")
    cluster.start_worker("b", "1-9")
    try:
        yield cluster
    finally:
        cluster.close()


def worker_pid(record_worker: str | None) -> int:
    """The pid inside a task record's ``worker`` (``host:ns:pid:ticks``)."""
    return int((record_worker or "::0:").split(":")[2])
