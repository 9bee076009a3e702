"""Exactly once across processes, and after a crash: real gunicorn servers sharing one database."""

import os
import signal
import time
from datetime import datetime, timedelta
from itertools import pairwise

import requests

from tests.conftest import running_server
from tests.test_walkthrough import logged_in

FAST = "@DFF.API('Fast')\ndef fast():\n    return 1\n\n@DFF.API('Slow')\ndef slow():\n    import time\n    time.sleep(4)\n    return 2\n"


def setup_job(base: str, crontab: str, func: str, **extra) -> requests.Session:
    session = logged_in(base)
    api = f"{base}/api/v1"
    assert (
        session.post(f"{api}/scripts", json={"id": "mp", "title": "MP", "code": FAST}).status_code
        == 201
    )
    assert session.post(f"{api}/scripts/mp/publish", json={}).status_code == 201
    created = session.post(
        f"{api}/crontab-configs",
        json={"id": "mp-job", "func_id": f"mp.{func}", "crontab": crontab, **extra},
    )
    assert created.status_code == 201, created.text
    return session


def records(session: requests.Session, base: str) -> list[dict]:
    return session.get(
        f"{base}/api/v1/task-records", params={"crontab_config_id": "mp-job", "limit": 1000}
    ).json()


def test_every_second_fires_exactly_once_across_four_worker_processes(tmp_path):
    with (
        running_server(tmp_path, FUNCPAD_SCHEDULER="on", FUNCPAD_WORKERS="3") as first,
        running_server(tmp_path, FUNCPAD_SCHEDULER="on") as second,
    ):
        session = setup_job(first, "* * * * * *", "fast")
        time.sleep(7)
        session.patch(f"{first}/api/v1/crontab-configs/mp-job", json={"enabled": False})
        time.sleep(1.5)
        rows = records(session, second)
        health = [requests.get(f"{base}/healthz").json()["scheduler"] for base in (first, second)]
    fired = sorted(
        datetime.fromisoformat(r["scheduled_for"]) for r in rows if r["status"] != "skipped"
    )
    assert len(fired) >= 5
    assert len(fired) == len(set(fired)), "a scheduled second fired twice"
    gaps = [b - a for a, b in pairwise(fired)]
    assert all(gap == timedelta(seconds=1) for gap in gaps), f"a second was skipped: {gaps}"
    assert all(r["status"] == "success" for r in rows if r["status"] != "skipped")
    assert set(health) <= {"active", "standby"}


def test_after_kill_9_nothing_stays_running_and_nothing_fires_twice(tmp_path):
    processes = []
    with running_server(tmp_path, processes, FUNCPAD_SCHEDULER="on") as base:
        session = setup_job(base, "* * * * * *", "slow")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if any(r["status"] == "running" for r in records(session, base)):
                break
            time.sleep(0.1)
        else:
            raise AssertionError("no run started")
        os.killpg(processes[0].pid, signal.SIGKILL)  # gunicorn, its worker and the sandboxes
        processes[0].wait(10)
    with running_server(tmp_path, FUNCPAD_SCHEDULER="on") as base:
        session = logged_in(base)
        deadline = time.monotonic() + 20
        rows = []
        while time.monotonic() < deadline:
            rows = records(session, base)
            lost = [r for r in rows if r["error"] and r["error"]["type"] == "WorkerLost"]
            if lost:
                break
            time.sleep(0.2)
        assert lost, rows
        session.patch(f"{base}/api/v1/crontab-configs/mp-job", json={"enabled": False})
        time.sleep(5)
        rows = records(session, base)
    assert not [r for r in rows if r["status"] in ("running", "queued")]
    fired = [r["scheduled_for"] for r in rows if r["status"] != "skipped"]
    assert len(fired) == len(set(fired))
