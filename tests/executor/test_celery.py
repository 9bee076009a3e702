"""FUNCPAD_EXECUTOR=celery: runs of every origin execute on real ``funcpad worker`` processes.

Worker "a" serves queues 1-8, worker "b" 1-9 (so a function on queue 9 runs on "b" only); a
test that kills a worker starts one of its own.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from celery import Celery
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import app_config, csrf_token_from, free_port, log_in
from tests.executor.conftest import worker_pid
from webapp import create_app
from webapp.executor import broker
from webapp.executor.sealing import Sealer
from webapp.extensions import db
from webapp.models import CrontabConfig, FuncStoreEntry, TaskRecord, User, WorkerHeartbeat
from webapp.models.types import utcnow
from webapp.scheduler.loop import Scheduler
from webapp.services import crontab as crontab_service
from webapp.services import users as user_service


def new_script(client, script_id: str, code: str, publish: bool = True) -> None:
    answer = client.post(
        "/api/v1/scripts", json={"id": script_id, "title": script_id, "code": code}
    )
    assert answer.status_code == 201, answer.get_json()
    if publish:
        answer = client.post(f"/api/v1/scripts/{script_id}/publish", json={})
        assert answer.status_code == 201, answer.get_json()


def record(cluster, task_id: str) -> TaskRecord | None:
    with cluster.app.app_context():
        found = db.session.get(TaskRecord, task_id)
        db.session.expunge_all()
        db.session.remove()
        return found


def wait_for_record(cluster, task_id, predicate, seconds=30) -> TaskRecord:
    deadline = time.monotonic() + seconds
    while True:
        found = record(cluster, task_id)
        if found is not None and predicate(found):
            return found
        assert time.monotonic() < deadline, found and (found.status, found.error)
        time.sleep(0.1)


def due_cron_job(cluster, config_id: str, func_id: str) -> datetime:
    """A "* * * * *" cron job of ``func_id``, due at the current minute (returned)."""
    with cluster.app.app_context():
        config = crontab_service.create_config(
            db.session,
            {"id": config_id, "func_id": func_id, "crontab": "* * * * *"},
            username="admin",
            now=utcnow(),
            default_timezone="UTC",
        )
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        config.next_run_at = now
        db.session.commit()
        db.session.remove()
    return now


def drop_cron_job(cluster, config_id: str) -> None:
    with cluster.app.app_context():
        db.session.delete(db.session.get(CrontabConfig, config_id))
        db.session.commit()
        db.session.remove()


def events_of(body: str) -> list[tuple[str, dict]]:
    out = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines:
            out.append((lines["event"], json.loads(lines["data"])))
    return out


def test_an_editor_run_executes_on_a_worker_and_streams_its_lines(cluster):
    client = cluster.client()
    code = "import os\nprint('one')\nprint('two')\ndef f(n=1):\n    print('pid', os.getpid())\n"
    code += "    return n * 2\n"
    new_script(client, "celery_draft", code, publish=False)
    answer = client.post(
        "/api/v1/scripts/celery_draft/run",
        json={"func": "f", "kwargs": {"n": 21}},
        headers={"Accept": "text/event-stream"},
    )
    events = events_of(answer.get_data(as_text=True))
    assert [e for e, _ in events][:1] == ["start"] and events[-1][0] == "result"
    lines = [data["message"] for name, data in events if name == "log"]
    assert lines[:2] == ["one", "two"] and lines[2].startswith("pid")
    result = events[-1][1]
    assert result["status"] == "success" and result["return_value"] == 42
    stored = record(cluster, result["id"])
    assert worker_pid(stored.worker) in cluster.worker_pids()  # not this process
    assert worker_pid(stored.worker) != os.getpid()
    assert stored.queue == 5 and stored.logs[0]["message"] == "one"

    # The JSON answer waits for the same outcome.
    answer = client.post("/api/v1/scripts/celery_draft/run", json={"func": "f"})
    assert answer.get_json()["return_value"] == 2


def test_calls_cron_firings_and_dff_func_chains_run_on_workers(cluster):
    client = cluster.client()
    code = (
        "@DFF.API('Start')\ndef start(n=1):\n    DFF.FUNC('celery_chain.child', kwargs={'n': n})\n"
        "    return 'started'\n\n"
        "@DFF.API('Child')\ndef child(n=1):\n    return n + 100\n"
    )
    new_script(client, "celery_chain", code)
    called = client.post("/api/v1/funcs/celery_chain.start/call", json={"kwargs": {"n": 5}})
    assert called.get_json()["return_value"] == "started"
    now = due_cron_job(cluster, "celery-cron", "celery_chain.child")
    with cluster.app.app_context():
        scheduler = Scheduler(cluster.app)
        scheduler.tick(now)  # fires the cron job and hands the DFF.FUNC run over
        cron_id = db.session.scalar(
            db.select(TaskRecord.id).where(TaskRecord.crontab_config_id == "celery-cron")
        )
        child_id = db.session.scalar(
            db.select(TaskRecord.id).where(
                TaskRecord.origin == "func", TaskRecord.func_id == "celery_chain.child"
            )
        )
        db.session.remove()
    cron = wait_for_record(cluster, cron_id, lambda r: r.status == "success")
    child = wait_for_record(cluster, child_id, lambda r: r.status == "success")
    assert cron.return_value == 101 and cron.queue == 2
    assert child.return_value == 105 and child.queue == 1
    assert {worker_pid(cron.worker), worker_pid(child.worker)} <= cluster.worker_pids()
    drop_cron_job(cluster, "celery-cron")


def test_a_functions_queue_decides_which_workers_run_it(cluster):
    client = cluster.client()
    code = (
        "@DFF.API('Nine', queue=9)\ndef nine():\n    return _DFF_QUEUE\n\n"
        "@DFF.API('Twelve', queue=12, timeout=1)\ndef twelve():\n    return 'ran'\n"
    )
    new_script(client, "celery_queues", code)
    pids = set()
    for _ in range(4):
        answer = client.post("/api/v1/funcs/celery_queues.nine/call", json={})
        assert answer.get_json()["return_value"] == 9
        pids.add(worker_pid(record(cluster, answer.get_json()["id"]).worker))
    assert pids == {cluster.workers["b"].pid}  # "a" does not serve queue 9
    # No worker serves queue 12: the call is not run, and says so once its wait is over.
    answer = client.post("/api/v1/funcs/celery_queues.twelve/call", json={}).get_json()
    assert answer["status"] == "expired" and answer["started_at"] is None


def test_the_stop_button_reaches_the_worker_running_the_run(cluster):
    client = cluster.client()
    new_script(client, "celery_stop", "import time\ndef f():\n    time.sleep(30)\n", False)
    outcome = {}

    def run():
        outcome["answer"] = cluster.client().post(
            "/api/v1/scripts/celery_stop/run", json={"func": "f"}
        )

    thread = threading.Thread(target=run)
    thread.start()
    with cluster.app.app_context():
        deadline = time.monotonic() + 20
        while True:
            db.session.commit()
            task_id = db.session.scalar(
                db.select(TaskRecord.id).where(
                    TaskRecord.func_id == "celery_stop.f", TaskRecord.status == "running"
                )
            )
            if task_id or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        db.session.remove()
    assert task_id
    stop = client.post(f"/api/v1/task-records/{task_id}/stop")
    assert stop.get_json() == {"stopped": True}
    thread.join(20)  # (the run would sleep 30 s)
    assert outcome["answer"].get_json()["error"]["type"] == "Stopped"


def test_a_killed_worker_leaves_its_run_lost_and_it_never_runs_again(cluster):
    """A non-idempotent job (it counts its starts in DFF.STORE) on a worker killed mid-run:
    the caller gets "worker lost"; the message comes back to the next worker (the broker's
    visibility timeout is 3 s here), which does not run it a second time."""
    client = cluster.client()
    code = (
        "import time\n@DFF.API('Slow', queue=10, timeout=60)\ndef slow():\n"
        "    DFF.STORE.set('starts', (DFF.STORE.get('starts') or 0) + 1)\n"
        "    print('started')\n    time.sleep(40)\n\n"
        "@DFF.API('Starts', queue=10)\ndef starts():\n    return DFF.STORE.get('starts')\n"
    )
    new_script(client, "celery_kill", code)
    doomed = cluster.start_worker("doomed", "10")
    outcome = {}

    def call():
        answer = cluster.client().post("/api/v1/funcs/celery_kill.slow/call", json={})
        outcome["answer"] = answer.get_json()

    thread = threading.Thread(target=call)
    thread.start()
    with cluster.app.app_context():
        deadline = time.monotonic() + 30
        while True:
            db.session.commit()
            running = db.session.scalar(
                db.select(TaskRecord).where(
                    TaskRecord.func_id == "celery_kill.slow", TaskRecord.status == "running"
                )
            )
            if running is not None or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        db.session.remove()
    assert running is not None and worker_pid(running.worker) == doomed.pid
    with cluster.app.app_context():  # the job has counted its start
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            db.session.commit()
            if db.session.scalar(db.select(FuncStoreEntry).where(FuncStoreEntry.key == "starts")):
                break
            time.sleep(0.05)
        db.session.remove()
    cluster.stop_worker("doomed", signal.SIGKILL)
    thread.join(30)
    answer = outcome["answer"]
    assert answer["status"] == "failure" and answer["error"]["type"] == "WorkerLost"
    cluster.start_worker("heir", "10")
    time.sleep(8)  # past the visibility timeout: the unacknowledged message is delivered again
    starts = client.post("/api/v1/funcs/celery_kill.starts/call", json={}).get_json()
    assert starts["status"] == "success" and starts["return_value"] == 1
    assert worker_pid(record(cluster, starts["id"]).worker) == cluster.workers["heir"].pid
    lost = record(cluster, answer["id"])
    assert lost.status == "failure" and lost.error["type"] == "WorkerLost"
    heir_log = (cluster.logs / "heir.log").read_text()
    assert f"run {answer['id']} was claimed before or expired: not run again" in heir_log
    cluster.stop_worker("heir")


def test_workers_beat_and_a_stopped_worker_leaves(cluster):
    def beats():
        with cluster.app.app_context():
            rows = {r.id: r for r in db.session.scalars(db.select(WorkerHeartbeat)).all()}
            db.session.remove()
            return rows

    rows = beats()
    pids = {worker_pid(worker_id) for worker_id in rows}
    assert {cluster.workers["a"].pid, cluster.workers["b"].pid} <= pids
    a = next(r for r in rows.values() if worker_pid(r.id) == cluster.workers["a"].pid)
    assert a.queues == list(range(1, 9)) and a.slots == 2
    assert a.seen_at > utcnow() - timedelta(seconds=15)
    extra = cluster.start_worker("brief", "3")
    assert extra.pid in {worker_pid(w) for w in beats()}
    cluster.stop_worker("brief")  # a warm shutdown removes its row
    assert extra.pid not in {worker_pid(w) for w in beats()}


# --- attacks: a process that reaches Redis -------------------------------------------------


def queued_record(cluster, task_id: str, queue: int = 1) -> None:
    with cluster.app.app_context():
        db.session.add(
            TaskRecord(
                id=task_id,
                origin="api",
                func_id="celery_attack.pwn",
                script_id="celery_attack",
                kwargs={},
                status="queued",
                created_at=utcnow(),
                logs=[],
                queue=queue,
            )
        )
        db.session.commit()
        db.session.remove()


def refused_count(cluster) -> int:
    with cluster.app.app_context():
        rows = db.session.scalars(db.select(WorkerHeartbeat)).all()
        total = sum((r.stats or {}).get("refused", 0) for r in rows)
        db.session.remove()
        return total


def test_a_message_not_sealed_with_the_platforms_key_runs_nothing(cluster, tmp_path):
    """Whoever reaches Redis speaks Celery's protocol to the workers: an unsealed job, a job
    sealed with another key and a pickled payload that would run a command as it is read."""
    client = cluster.client()
    marker = tmp_path / "pwned"
    code = "@DFF.API('Pwn')\ndef pwn():\n    return 'ran'\n"
    new_script(client, "celery_attack", code)
    queued_record(cluster, "forged-plain")
    queued_record(cluster, "forged-key")
    queued_record(cluster, "forged-pickle")
    attacker = Celery("attacker", broker=cluster.redis_url)
    queue = broker.queue_name(1)
    job = {"id": "forged-plain", "mode": "run", "code": code, "func": "pwn"}
    before = refused_count(cluster)
    attacker.send_task(
        broker.TASK_NAME, args=[{"task_id": "forged-plain", "job": job}], queue=queue
    )
    other = Sealer("not-this-platforms-secret-key-" + "z" * 20)
    attacker.send_task(
        broker.TASK_NAME, args=[other.seal({"task_id": "forged-key", "job": None})], queue=queue
    )

    class Boom:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    attacker.send_task(broker.TASK_NAME, args=[Boom()], queue=queue, serializer="pickle")
    deadline = time.monotonic() + 20
    while refused_count(cluster) < before + 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)
    assert refused_count(cluster) >= before + 2
    assert not marker.exists()
    for task_id in ("forged-plain", "forged-key", "forged-pickle"):
        assert record(cluster, task_id).status == "queued"  # never claimed, never run
    # The same record, handed over by the platform itself, runs: the refusals were the seal's.
    cluster.app.extensions["funcpad.executor"].submit("forged-key", 1)
    done = wait_for_record(cluster, "forged-key", lambda r: r.status not in ("queued", "running"))
    assert done.status == "success" and done.return_value == "ran"


def test_a_run_on_a_worker_cannot_reach_the_broker(cluster):
    client = cluster.client()
    parts = urlsplit(cluster.redis_url)
    code = (
        "import socket\ndef f():\n    try:\n"
        f"        socket.create_connection(({parts.hostname!r}, {parts.port}), timeout=2)\n"
        "        return 'connected'\n    except OSError as exc:\n        return type(exc).__name__\n"
    )
    new_script(client, "celery_reach", code, publish=False)
    answer = client.post("/api/v1/scripts/celery_reach/run", json={"func": "f"}).get_json()
    assert answer["status"] == "success" and answer["return_value"] != "connected"
    assert worker_pid(record(cluster, answer["id"]).worker) in cluster.worker_pids()
    # (and the broker is there: this process reaches it)
    socket.create_connection((parts.hostname, parts.port), timeout=2).close()


def test_a_cron_firing_runs_once_whatever_number_of_schedulers_tick_it(cluster):
    """Three schedulers (as in three processes) tick the same due job at once, and the message
    for its run is handed over twice more: one record, one execution, on a worker."""
    client = cluster.client()
    code = "@DFF.API('Once')\ndef once():\n    print('ran')\n    return 1\n"
    new_script(client, "celery_once", code)
    now = due_cron_job(cluster, "celery-once", "celery_once.once")
    schedulers = [Scheduler(cluster.app) for _ in range(3)]

    def tick(scheduler):
        with cluster.app.app_context():
            scheduler.active, scheduler._lease_renewed = True, time.monotonic()  # all "holders"
            scheduler.tick(now)
            db.session.remove()

    threads = [threading.Thread(target=tick, args=(s,)) for s in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with cluster.app.app_context():
        ids = db.session.scalars(
            db.select(TaskRecord.id).where(TaskRecord.crontab_config_id == "celery-once")
        ).all()
        db.session.remove()
    assert len(ids) == 1
    executor = cluster.app.extensions["funcpad.executor"]
    executor.submit(ids[0], 2)  # delivered again, twice
    executor.submit(ids[0], 2)
    done = wait_for_record(cluster, ids[0], lambda r: r.status == "success")
    time.sleep(1.5)  # the extra deliveries have been taken and refused
    assert done.logs == [done.logs[0]] and done.logs[0]["message"] == "ran"
    assert record(cluster, ids[0]).ended_at == done.ended_at  # not run (nor ended) again
    drop_cron_job(cluster, "celery-once")


def test_a_package_installed_once_is_importable_on_every_worker(cluster):
    """The Packages folder is one shared folder (a shared volume in compose): what an install
    puts there, every worker's sandbox imports, without a restart."""
    folder = Path(cluster.app.config["FUNCPAD_USER_PACKAGES"])
    module = folder / "funcpad_shared_package_probe.py"
    module.write_text("VERSION = 'installed once'\n")
    module.chmod(0o644)
    try:
        client = cluster.client()
        code = (
            "import os\n\n"
            "def probe():\n    import funcpad_shared_package_probe as p\n"
            "    return p.VERSION\n\n"
            "@DFF.API('On b', queue=9)\ndef on_b():\n    return probe()\n\n"
            "@DFF.API('On c', queue=11)\ndef on_c():\n    return probe()\n"
        )
        new_script(client, "celery_packages", code)
        cluster.start_worker("c", "11")
        answers = {
            name: client.post(f"/api/v1/funcs/celery_packages.on_{name}/call", json={}).get_json()
            for name in ("b", "c")
        }
        for name, answer in answers.items():
            assert answer["return_value"] == "installed once", answer
            assert worker_pid(record(cluster, answer["id"]).worker) == cluster.workers[name].pid
    finally:
        module.unlink()
        if "c" in cluster.workers:
            cluster.stop_worker("c")


def test_metrics_count_the_workers_runs_and_the_brokers_queues(cluster):
    with cluster.app.app_context():
        admin = db.session.scalar(db.select(User).where(User.username == "admin"))
        _token, token = user_service.create_token(db.session, admin, "scraper")
        db.session.commit()
        db.session.remove()
    client = cluster.client()
    new_script(client, "celery_counted", "def f():\n    return 1\n", publish=False)
    for _ in range(3):
        assert client.post("/api/v1/scripts/celery_counted/run", json={"func": "f"}).status_code
    time.sleep(6)  # a heartbeat: each worker writes its counts
    text = client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).get_data(
        as_text=True
    )
    found = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert found[("funcpad_runs_total", (("origin", "debug"), ("status", "success")))] >= 3
    assert found[("funcpad_workers", (("kind", "celery"),))] >= 2
    assert found[("funcpad_broker_messages", (("queue", "5"),))] == 0  # all taken
    assert ("funcpad_broker_messages", (("queue", "15"),)) in found


def test_a_broker_that_is_down_fails_the_run_with_a_clear_error(data_dir):
    """Redis unreachable: an editor run answers at once with a failure that says so, and the
    record is not left queued."""
    closed = f"redis://:pw@127.0.0.1:{free_port()}/0"  # nothing listens there
    app = create_app(app_config(data_dir, FUNCPAD_EXECUTOR="celery", FUNCPAD_REDIS_URL=closed))
    client = app.test_client()
    assert log_in(client).status_code == 302
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token_from(
        client.get("/scripts").get_data(as_text=True)
    )
    new_script(client, "celery_down", "def f():\n    return 1\n", publish=False)
    answer = client.post("/api/v1/scripts/celery_down/run", json={"func": "f"})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["status"] == "failure" and body["error"]["type"] == "BrokerUnavailable"
    assert "FUNCPAD_REDIS_URL" in body["error"]["message"]
    with app.app_context():
        assert db.session.get(TaskRecord, body["id"]).status == "failure"
        db.engine.dispose()
