"""compose.yaml's topology without Docker: two gunicorn web servers, a scheduler, two
``funcpad worker``s, PostgreSQL and Redis, each a process this test starts on 127.0.0.1.

1,000 runs of every origin (editor runs, published calls, Sync and Async APIs, DFF.FUNC chains)
from 20 concurrent clients across both web servers; one worker is killed while it runs a slow
job. Every run is executed exactly once (each writes one log line with its own token to the
embedded receiver: no token twice, none missing), every caller gets its result, the killed
worker's job is recorded as worker lost and never runs again.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
import redis
import requests

from tests.conftest import LIVE_ADMIN, ROOT, free_port, running_server

pytestmark = pytest.mark.postgres

CODE = """
import time

@DFF.API('Mark')
def mark(token):
    DFF.SRC('datakit').write_logging('topology', fields={'message': token})
    return token

@DFF.API('Spawn')
def spawn(token):
    DFF.FUNC('topo.mark', kwargs={'token': token + '-child'})
    return token

@DFF.API('Slow', queue=10, timeout=120)
def slow():
    DFF.STORE.set('slow-starts', (DFF.STORE.get('slow-starts') or 0) + 1)
    time.sleep(90)
"""
CLIENTS = 20
MIX = {"debug": 300, "api": 300, "sync": 150, "async": 150, "spawn": 100}  # 1,000 calls


class Topology:
    def __init__(self, base: Path, env: dict[str, str]) -> None:
        self.base = base
        self.env = env
        self.stack = contextlib.ExitStack()
        self.processes: dict[str, subprocess.Popen] = {}
        self.webs: list[str] = []

    def start(self, name: str, argv: list[str], ready: str, **extra: str) -> subprocess.Popen:
        log = self.base / f"{name}.log"
        process = subprocess.Popen(
            argv, cwd=ROOT, env={**self.env, **extra}, stdout=log.open("w"),
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.processes[name] = process
        deadline = time.monotonic() + 90
        while ready not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        return process

    def worker(self, name: str, queues: str, concurrency: int) -> subprocess.Popen:
        argv = [sys.executable, "-m", "webapp.main", "worker", "-Q", queues, "-c", str(concurrency)]
        return self.start(name, argv, " ready.")

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def close(self) -> None:
        for name in list(self.processes):
            process = self.processes.pop(name)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.stack.close()


@pytest.fixture(scope="module")
def topology(tmp_path_factory, postgres_server, redis_url):
    base = tmp_path_factory.mktemp("topology")
    data_dir = base / "data"
    data_dir.mkdir()
    name = f"topo_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    broker = redis_url.rsplit("/", 1)[0] + "/6"
    redis.Redis.from_url(broker).flushdb()
    receiver_port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("FUNCPAD_")},
        "FUNCPAD_DATA_DIR": str(data_dir),
        "FUNCPAD_DATABASE_URL": f"{postgres_server}/{name}",
        "FUNCPAD_EXECUTOR": "celery",
        "FUNCPAD_REDIS_URL": broker,
        "FUNCPAD_BROKER_VISIBILITY_SECONDS": "3",
        "FUNCPAD_RECEIVER_URL": f"http://127.0.0.1:{receiver_port}",
        "FUNCPAD_ADMIN_USERNAME": LIVE_ADMIN[0],
        "FUNCPAD_ADMIN_PASSWORD": LIVE_ADMIN[1],
        "FUNCPAD_SCHEDULER": "off",
        "FUNCPAD_SELF_METRICS_SECONDS": "0",
        "FUNCPAD_LOG_FORMAT": "json",
    }
    topology = Topology(base, env)
    old_environ = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)  # running_server starts gunicorn with this process's environment
        topology.webs.append(
            topology.stack.enter_context(
                running_server(data_dir, FUNCPAD_RECEIVER_BIND=f"127.0.0.1:{receiver_port}")
            )
        )
        topology.webs.append(
            topology.stack.enter_context(running_server(data_dir, FUNCPAD_RECEIVER_BIND="off"))
        )
    finally:
        os.environ.clear()
        os.environ.update(old_environ)
    try:
        topology.start(
            "scheduler", [sys.executable, "-m", "webapp.main", "scheduler"], "took the lease"
        )
        topology.worker("w1", "1-9", 3)
        topology.worker("w2", "1-10", 1)  # one slot: when it runs the slow job, nothing else
        made = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "webapp", "create-token", "topo"],
            env={**env, "FUNCPAD_RUNNER_WARMUP": "off"}, cwd=ROOT, capture_output=True,
            text=True, check=True,
        )  # fmt: skip
        topology.token = made.stdout.strip().splitlines()[-1]
        topology.database = f"{postgres_server}/{name}"
        yield topology
    finally:
        topology.close()


def test_a_thousand_runs_run_exactly_once_across_the_topology(topology):
    headers = {"Authorization": f"Bearer {topology.token}"}
    session = requests.Session()
    web_a, web_b = topology.webs

    def post(base, path, **kw):
        return session.post(f"{base}{path}", headers=headers, timeout=120, **kw)

    assert post(web_a, "/api/v1/scripts", json={"id": "topo", "title": "T", "code": CODE}).ok
    assert post(web_a, "/api/v1/scripts/topo/publish", json={}).status_code == 201
    for kind, api_id in (("sync", "mark-sync"), ("async", "mark-async")):
        made = post(web_b, f"/api/v1/{kind}-apis", json={"id": api_id, "func_id": "topo.mark"})
        assert made.status_code == 201, made.text

    calls = [(kind, f"{kind}-{n}") for kind, count in MIX.items() for n in range(count)]
    calls = [calls[i] for i in sorted(range(len(calls)), key=lambda i: (i * 7919) % len(calls))]
    answers: dict[str, dict] = {}

    def call(index_and_call):
        index, (kind, token) = index_and_call
        base = (web_a, web_b)[index % 2]
        if kind == "debug":
            body = {"func": "mark", "kwargs": {"token": token}}
            answer = post(base, "/api/v1/scripts/topo/run", json=body).json()
        elif kind == "api":
            answer = post(base, "/api/v1/funcs/topo.mark/call", json={"kwargs": {"token": token}})
            answer = answer.json()
        elif kind == "spawn":
            answer = post(base, "/api/v1/funcs/topo.spawn/call", json={"kwargs": {"token": token}})
            answer = answer.json()
        elif kind == "sync":
            got = post(base, "/api/v1/sync/mark-sync", json={"kwargs": {"token": token}})
            # DataFlux Func's Sync API answers a returned string as text
            answer = {"status": "success" if got.ok else got.text, "return_value": got.text}
        else:
            got = post(base, "/api/v1/async/mark-async", json={"kwargs": {"token": token}})
            answer = {"status": "queued" if got.ok else got.text, "task": got.json()}
        answers[token] = answer

    slow_answer: dict = {}

    def slow_call():
        slow_answer.update(post(web_b, "/api/v1/funcs/topo.slow/call", json={}).json())

    slow = threading.Thread(target=slow_call)
    with ThreadPoolExecutor(CLIENTS) as clients:
        futures = [clients.submit(call, item) for item in enumerate(calls)]
        while len(answers) < 250:
            time.sleep(0.05)
        slow.start()  # mid-load: the slow job goes to w2 (the only worker on queue 10)
        with psycopg.connect(topology.database, autocommit=True) as db:
            deadline = time.monotonic() + 60
            while True:
                row = db.execute(
                    "SELECT worker FROM task_records WHERE func_id = 'topo.slow' "
                    "AND status = 'running'"
                ).fetchone()
                started = db.execute(
                    "SELECT 1 FROM func_store WHERE key = 'slow-starts'"
                ).fetchone()  # its code has begun: it counted its start
                if (row and started) or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
        assert row and started and int(row[0].split(":")[2]) == topology.processes["w2"].pid
        topology.kill("w2")  # mid-run
        for future in futures:
            future.result()
    slow.join(60)

    # Every caller got its own result.
    for kind, token in calls:
        answer = answers[token]
        if kind in ("debug", "api", "sync"):
            assert answer.get("status") == "success", (token, answer.get("error") or answer)
            assert answer["return_value"] == token, (token, answer)
        elif kind == "spawn":
            assert answer.get("status") == "success", (token, answer)
            assert answer["return_value"] == token
        else:
            assert answer.get("status") == "queued", (token, answer)
    assert slow_answer.get("status") == "failure", slow_answer
    assert slow_answer["error"]["type"] == "WorkerLost"

    # The queued runs (Async API calls, DFF.FUNC children) finish on w1.
    with psycopg.connect(topology.database, autocommit=True) as db:
        deadline = time.monotonic() + 120
        while True:
            waiting = db.execute(
                "SELECT count(*) FROM task_records WHERE status IN ('queued', 'running')"
            ).fetchone()[0]
            if waiting == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert waiting == 0
        statuses = Counter(
            (origin, status)
            for origin, status in db.execute(
                "SELECT origin, status FROM task_records WHERE func_id != 'topo.slow'"
            ).fetchall()
        )
        workers = {
            int(w.split(":")[2])
            for (w,) in db.execute("SELECT DISTINCT worker FROM task_records").fetchall()
            if w
        }
    assert statuses == {
        ("debug", "success"): 300,
        ("api", "success"): 400,  # the direct calls and the spawns
        ("sync", "success"): 150,
        ("async", "success"): 150,
        ("func", "success"): 100,
    }, statuses
    assert len(workers) == 2  # both workers ran some, and no web or scheduler process ran any

    # Exactly once: each run's token is in the receiver's logs once (1,000 marks).
    marks = sqlite3.connect(topology.base / "data" / "points.db").execute(
        "SELECT message, count(*) FROM logs WHERE source = 'topology' GROUP BY message"
    )
    counted = dict(marks.fetchall())
    expected = {t for k, t in calls if k != "spawn"} | {
        f"{t}-child" for k, t in calls if k == "spawn"
    }
    assert set(counted) == expected and set(counted.values()) == {1}

    # The killed worker's job never runs again, even once a worker serves its queue again and
    # Redis has given its unacknowledged message back.
    topology.worker("w3", "10", 1)
    time.sleep(8)
    starts = post(web_a, "/api/v1/funcs/topo.mark/call", json={"kwargs": {"token": "after"}})
    assert starts.json()["return_value"] == "after"
    with psycopg.connect(topology.database, autocommit=True) as db:
        value = db.execute(
            "SELECT value_json FROM func_store WHERE key = 'slow-starts'"
        ).fetchone()[0]
        slow_status = db.execute(
            "SELECT status, error FROM task_records WHERE func_id = 'topo.slow'"
        ).fetchall()
    assert value == "1"
    assert [(s, e["type"]) for s, e in slow_status] == [("failure", "WorkerLost")]

    # Structured logs: one JSON object a line, with the role and the run a line is about.
    def json_lines(path: Path) -> list[dict]:
        return [json.loads(x) for x in path.read_text().splitlines() if x.startswith("{")]

    worker_lines = json_lines(topology.base / "w1.log")
    ended = [x for x in worker_lines if x["message"].startswith("run ") and "ended" in x["message"]]
    assert ended and all(x["role"] == "worker" and x["run_id"] in x["message"] for x in ended)
    assert {x["role"] for x in json_lines(topology.base / "scheduler.log")} == {"scheduler"}
    web_log = next((topology.base / "data").glob("gunicorn-*.log"))
    assert any(x["logger"] == "gunicorn.access" for x in json_lines(web_log))
