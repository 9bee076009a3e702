"""Runs left ``running`` by a process that died become ``failure`` "worker lost", whatever
their origin; runs of live processes are left alone."""

import contextlib
import os
import signal
import time
from datetime import timedelta

import requests

from tests.conftest import running_server
from tests.receiver.test_listener import logged_in
from webapp.extensions import db
from webapp.models import TaskRecord
from webapp.models.types import utcnow
from webapp.services import process_identity
from webapp.services.runs import MAX_RUN_SECONDS, sweep_lost_runs


def running(record_id: str, worker: str | None, started_ago: float, origin: str = "debug"):
    now = utcnow()
    return TaskRecord(
        id=record_id,
        origin=origin,
        func_id="s.f",
        script_id="s",
        kwargs={},
        status="running",
        created_at=now,
        started_at=now - timedelta(seconds=started_ago),
        worker=worker,
        logs=[],
    )


def test_the_sweep_marks_runs_of_dead_processes_only(app_ctx):
    me = process_identity.process_id()
    host, namespace, pid, _ticks = me.split(":")
    dead = f"{host}:{namespace}:{pid}:1"  # this pid, but another process's start time
    elsewhere = "another-host:4026531836:42:1000"
    db.session.add_all(
        [
            running("mine", me, 5),
            running("mine-cron", f"{me}/a1b2c3d4", 5, origin="crontab"),
            running("dead-debug", dead, 5),
            running("dead-api", dead, 5, origin="api"),
            running("elsewhere-recent", elsewhere, 60),
            running("elsewhere-old", elsewhere, MAX_RUN_SECONDS + 60),
            running("no-worker-old", None, MAX_RUN_SECONDS + 60),
        ]
    )
    db.session.commit()
    assert sweep_lost_runs(db.session, utcnow()) == 4
    db.session.commit()
    status = {r.id: r.status for r in db.session.scalars(db.select(TaskRecord))}
    assert status == {
        "mine": "running",
        "mine-cron": "running",
        "dead-debug": "failure",
        "dead-api": "failure",
        "elsewhere-recent": "running",
        "elsewhere-old": "failure",
        "no-worker-old": "failure",
    }
    lost = db.session.get(TaskRecord, "dead-debug")
    assert lost.error["type"] == "WorkerLost" and lost.ended_at is not None


def test_a_debug_run_cut_by_kill_9_is_worker_lost_after_the_restart(tmp_path):
    processes: list = []
    with running_server(tmp_path, processes) as base:
        session = logged_in(base)
        code = "import time\ndef main():\n    time.sleep(60)\n"
        created = session.post(
            f"{base}/api/v1/scripts", json={"id": "slow", "title": "Slow", "code": code}
        )
        assert created.status_code == 201
        with contextlib.suppress(requests.Timeout):  # the run goes on; we kill it mid-run
            session.post(f"{base}/api/v1/scripts/slow/run", json={"func": "main"}, timeout=1.5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            records = session.get(f"{base}/api/v1/task-records?origin=debug").json()
            if records and records[0]["status"] == "running":
                break
            time.sleep(0.1)
        assert records[0]["status"] == "running"
        task_id = records[0]["id"]
        os.killpg(processes[0].pid, signal.SIGKILL)
        processes[0].wait(10)
    with running_server(tmp_path) as base:
        record = logged_in(base).get(f"{base}/api/v1/task-records/{task_id}").json()
    assert record["status"] == "failure"
    assert "worker lost" in record["error"]["message"]
