"""``FUNCPAD_EXECUTOR=celery``: runs execute on ``funcpad worker`` processes, through Redis.

A caller that needs the outcome (an editor run, a sync call) hands its prepared record back to
the queue, subscribes to the run's channel, sends the sealed job and waits: printed lines come
over Redis pub/sub as they happen (a line must reach the editor within milliseconds, and
writing each one to the database only to poll for it would cost a write per line); the end
comes the same way, and the task record in the database, which the worker wrote, is the
answer. The caller also looks at the record every second, so a lost message, a worker that
died (``runs.worker_gone``) or a run no worker took within its wait still ends the wait.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
from kombu.exceptions import OperationalError
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from webapp.executor import broker, work
from webapp.executor.sealing import Sealer, Unsealed
from webapp.extensions import db
from webapp.models import Func, TaskRecord
from webapp.models.types import utcnow
from webapp.services import process_identity, queues
from webapp.services import runs as runs_service

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
GRACE_SECONDS = 10  # past its timeout, a run's worker has this long to report the end
FINISHED = ("success", "failure", "timeout", "skipped", "expired")
BROKER_UNAVAILABLE = {
    "type": "BrokerUnavailable",
    "message": "the run was not started: the broker (FUNCPAD_REDIS_URL) is unreachable",
    "traceback": "",
    "line": None,
}
NO_ANSWER = {
    "type": "WorkerLost",
    "message": "worker lost: no worker reported the end of this run in time",
    "traceback": "",
    "line": None,
}


class CeleryExecutor:
    name = "celery"
    runs_here = False

    def __init__(self, app) -> None:
        self.app = app
        url = app.config["FUNCPAD_REDIS_URL"]
        self.celery = broker.make_celery(url, app.config["FUNCPAD_BROKER_VISIBILITY_SECONDS"])
        self.redis = redis.Redis.from_url(url, health_check_interval=30)
        self.sealer = Sealer(app.config["SECRET_KEY"])

    def send(self, task_id: str, queue: int, job: dict[str, Any] | None = None) -> None:
        sealed = self.sealer.seal({"task_id": task_id, "job": job})
        self.celery.send_task(broker.TASK_NAME, args=[sealed], queue=broker.queue_name(queue))

    def submit(self, task_id: str, queue: int | None = None) -> None:
        """Send the queued record to the workers of its queue; any number of sends run it once
        (the worker's claim)."""
        self.send(task_id, queue or 1)

    def execute(
        self, record: TaskRecord, job: dict[str, Any], on_log: work.LogCallback | None = None
    ) -> TaskRecord:
        """Have a worker run ``record`` (prepared as running here) and wait for its outcome,
        at most its wait in the queue (its timeout, as DataFlux Func's expires for sync calls)
        plus its timeout plus a grace; ``record`` then mirrors what the worker stored."""
        func = db.session.get(Func, record.func_id) if record.script_version is not None else None
        queue = queues.queue_for(record.origin, func.options if func else None)
        timeout = float(job["timeout"])
        job["context"]["queue"] = queue
        work.hand_over(record, process_identity.process_id(), queue, wait_seconds=timeout)
        deadline = time.monotonic() + 2 * timeout + GRACE_SECONDS
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(broker.run_channel(record.id))  # before the send: no line missed
            self.send(record.id, queue, job)
        except (redis.RedisError, OperationalError) as exc:
            pubsub.close()
            log.error("run %s: the broker is unreachable: %s", record.id, exc)
            self._refuse(record.id, exc)
            return self._reload(record)
        try:
            next_look = time.monotonic() + POLL_SECONDS
            while True:
                try:
                    body = self._open(pubsub.get_message(timeout=0.25))
                except redis.RedisError:  # the lines are lost; the record still tells the end
                    body = {}
                    time.sleep(0.25)
                if body.get("log") is not None and on_log is not None:
                    on_log(body["log"])
                if body.get("done") or time.monotonic() >= next_look:
                    next_look = time.monotonic() + POLL_SECONDS
                    if self._ended(record.id, time.monotonic() > deadline):
                        break
        finally:
            pubsub.close()
        return self._reload(record)

    def _refuse(self, task_id: str, exc: Exception) -> None:
        """The run could not be handed to any worker: ``failure``, saying why (a worker that
        got the message after all finds the record no longer queued and leaves it)."""
        error = {**BROKER_UNAVAILABLE, "message": f"{BROKER_UNAVAILABLE['message']}: {exc}"}
        db.session.execute(
            update(TaskRecord)
            .where(TaskRecord.id == task_id, TaskRecord.status == "queued")
            .values(status="failure", ended_at=utcnow(), error=error)
        )
        db.session.commit()

    def _open(self, message: dict[str, Any] | None) -> dict[str, Any]:
        if message is None or message.get("type") != "message":
            return {}
        try:
            body = self.sealer.open(message["data"])
        except Unsealed:
            log.warning("ignored a message on a run's channel not sealed with our key")
            return {}
        return body if isinstance(body, dict) else {}

    def _ended(self, task_id: str, past_deadline: bool) -> bool:
        """Whether the run has ended, deciding it when its worker is gone or no worker took it
        in time (every decision is one guarded UPDATE: a worker's own outcome wins a race)."""
        db.session.commit()  # a fresh read (SQLite reads in a snapshot until the next commit)
        row = db.session.execute(
            select(
                TaskRecord.status,
                TaskRecord.worker,
                TaskRecord.started_at,
                TaskRecord.expires_at,
            ).where(TaskRecord.id == task_id)
        ).one_or_none()
        if row is None or row.status in FINISHED:
            return True
        now = utcnow()
        if row.status == "queued":
            if row.expires_at is not None and row.expires_at < now:
                work.claim(task_id, "-", now)  # marks it expired
                return True
            return False
        beats = runs_service.heartbeats(db.session)
        if runs_service.worker_gone(row.worker, row.started_at, now, beats):
            runs_service.mark_lost(db.session, [task_id], now)
            log.warning(
                "run %s: its worker %s is gone", task_id, row.worker, extra={"run_id": task_id}
            )
        elif past_deadline:
            db.session.execute(
                update(TaskRecord)
                .where(TaskRecord.id == task_id, TaskRecord.status == "running")
                .values(status="failure", ended_at=now, error=NO_ANSWER)
            )
        else:
            return False
        db.session.commit()
        return True

    def _reload(self, record: TaskRecord) -> TaskRecord:
        db.session.commit()
        row = db.session.execute(
            select(TaskRecord.__table__).where(TaskRecord.id == record.id)
        ).one_or_none()
        if row is not None:
            for name, value in row._mapping.items():
                set_committed_value(record, name, value)
        return record

    def broker_depths(self) -> dict[int, int]:
        """Messages waiting in Redis, by DataFlux Func queue (for /metrics)."""
        pipe = self.redis.pipeline()
        for queue in queues.QUEUES:
            pipe.llen(broker.queue_name(queue))
        return dict(zip(queues.QUEUES, pipe.execute(), strict=True))

    def cancel(self, task_id: str) -> bool:
        """Ask every worker to stop ``task_id``; whether any worker heard it."""
        sealed = self.sealer.seal({"cancel": task_id})
        return self.redis.publish(broker.CONTROL_CHANNEL, sealed) > 0

    def close(self) -> None:
        self.redis.close()
