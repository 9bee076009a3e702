"""``funcpad worker``: a Celery worker that executes runs through this host's sandboxed runner.

One process holds one runner pool (its warm sandbox slots) and serves it with Celery's thread
pool, one thread per slot. Besides Celery's own threads it keeps two: a heartbeat that writes
this worker's row every few seconds (a run whose worker stopped beating is recorded as worker
lost, whatever host it was on) and a listener for stop requests of the editor's Stop button.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

import redis
from celery import Celery
from flask import Flask

from webapp import metrics
from webapp.executor import broker, work
from webapp.executor.sealing import Sealer, Unsealed
from webapp.extensions import db
from webapp.models import WorkerHeartbeat
from webapp.models.types import utcnow
from webapp.runner.service import get_runner
from webapp.services import process_identity

log = logging.getLogger(__name__)

HEARTBEAT_EVERY_SECONDS = 5.0


class Worker:
    """What a worker process adds to Celery: the sealed task, its heartbeat and stop listener."""

    def __init__(self, app: Flask, queues: tuple[int, ...], concurrency: int) -> None:
        self.app = app
        self.queues = queues
        self.concurrency = concurrency
        url = app.config["FUNCPAD_REDIS_URL"]
        self.celery: Celery = broker.make_celery(
            url, app.config["FUNCPAD_BROKER_VISIBILITY_SECONDS"]
        )
        self.redis = redis.Redis.from_url(url, health_check_interval=30)
        self.sealer = Sealer(app.config["SECRET_KEY"])
        self.busy = 0
        self.done = 0
        self.refused = 0
        self._lock = threading.Lock()
        self.stop_event = threading.Event()
        self._register_task()

    @property
    def worker_id(self) -> str:
        return process_identity.process_id()

    def _register_task(self) -> None:
        worker = self

        @self.celery.task(name=broker.TASK_NAME, bind=True, ignore_result=True)
        def run(task, sealed: Any) -> None:
            worker.run_message(sealed, getattr(task.request, "id", None))

    def run_message(self, sealed: Any, message_id: str | None = None) -> str | None:
        """Open a sealed run message and run it; the run's final status, or None when the
        message was refused or the run was not this worker's (claimed before, expired)."""
        try:
            message = self.sealer.open(sealed)
            task_id = message["task_id"]
            job = message.get("job")
            if not isinstance(task_id, str) or (job is not None and job.get("id") != task_id):
                raise Unsealed("a run message names no task")
        except (Unsealed, KeyError, TypeError, AttributeError):
            with self._lock:
                self.refused += 1
            log.warning("refused message %s: not sealed with this platform's key", message_id)
            return None
        channel = broker.run_channel(task_id)

        def on_log(entry: dict[str, Any]) -> None:
            self._publish(channel, {"log": entry})

        with self._lock:
            self.busy += 1
        try:
            with self.app.app_context():
                try:
                    record = work.run_queued(self.app, task_id, self.worker_id, job, on_log)
                    status = record.status if record is not None else None
                    if record is None:  # delivered again, or handed over twice
                        log.info("run %s was claimed before or expired: not run again", task_id)
                    else:
                        log.info(
                            "run %s ended: %s in %s ms",
                            task_id,
                            record.status,
                            record.duration_ms,
                            extra={"run_id": task_id},
                        )
                finally:
                    db.session.remove()
        finally:
            with self._lock:
                self.busy -= 1
                self.done += 1
        self._publish(channel, {"done": True})
        return status

    def _publish(self, channel: str, body: dict[str, Any]) -> None:
        try:
            self.redis.publish(channel, self.sealer.seal(body))
        except redis.RedisError:  # the caller reads the record every second anyway
            log.warning("publishing on %s failed", channel, exc_info=True)

    # --- heartbeat and stop requests ------------------------------------------------------

    def beat(self) -> None:
        """Write this worker's heartbeat row (insert or update)."""
        with self.app.app_context():
            try:
                now = utcnow()
                row = db.session.get(WorkerHeartbeat, self.worker_id)
                if row is None:
                    row = WorkerHeartbeat(
                        id=self.worker_id,
                        hostname=socket.gethostname(),
                        queues=list(self.queues),
                        started_at=now,
                    )
                    db.session.add(row)
                row.seen_at = now
                row.slots = self.concurrency
                row.busy = self.busy
                row.stats = {"done": self.done, "refused": self.refused}
                db.session.commit()
            finally:
                db.session.remove()
            metrics.counters_of(self.app).flush()  # its last runs' counts, even when idle

    def _beat_loop(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.beat()
            except Exception:  # a database hiccup must not stop the heartbeat for good
                log.exception("worker heartbeat failed")
            self.stop_event.wait(HEARTBEAT_EVERY_SECONDS)

    def _listen(self) -> None:
        while not self.stop_event.is_set():
            try:
                pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(broker.CONTROL_CHANNEL)
                while not self.stop_event.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    try:
                        body = self.sealer.open(message["data"])
                    except Unsealed:
                        continue
                    if isinstance(body, dict) and isinstance(body.get("cancel"), str):
                        get_runner(self.app).cancel(body["cancel"])
            except redis.RedisError:
                log.warning("the stop listener lost Redis; reconnecting", exc_info=True)
                time.sleep(1)

    def start_threads(self) -> None:
        threading.Thread(target=self._beat_loop, name="worker-heartbeat", daemon=True).start()
        threading.Thread(target=self._listen, name="worker-control", daemon=True).start()

    def leave(self) -> None:
        """A clean stop: no more beats, and the row goes (its runs have all ended)."""
        self.stop_event.set()
        with self.app.app_context():
            try:
                row = db.session.get(WorkerHeartbeat, self.worker_id)
                if row is not None:
                    db.session.delete(row)
                    db.session.commit()
            finally:
                db.session.remove()

    def argv(self, loglevel: str = "INFO") -> list[str]:
        return [
            "worker",
            "--pool=threads",
            f"--concurrency={self.concurrency}",
            "--queues=" + ",".join(broker.queue_name(q) for q in self.queues),
            f"--hostname=funcpad-{process_identity.process_id().split(':')[2]}@%h",
            "--without-gossip",
            "--without-mingle",
            f"--loglevel={loglevel}",
        ]
