"""The embedded executor: runs execute in the app's own processes.

An editor run or a sync call runs in the request's thread (no hop at all); a queued run (cron,
DFF.FUNC, async calls) runs in a thread pool of the process whose scheduler handed it over.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask

from webapp import host, logs, metrics
from webapp.executor import work
from webapp.extensions import db
from webapp.models import TaskRecord
from webapp.runner.service import get_runner
from webapp.services import process_identity
from webapp.services import runs as runs_service


class InProcessExecutor:
    name = "inprocess"
    runs_here = True  # queued runs execute in the process of the scheduler that hands them over

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._suffix = uuid.uuid4().hex[:8]  # several apps in one process (tests) stay apart
        self._threads: ThreadPoolExecutor | None = None
        self._submitted: set[str] = set()  # handed over and not finished yet
        self._lock = threading.Lock()

    @property
    def worker_id(self) -> str:
        """What this process's runs carry as their ``worker`` (recomputed after a fork)."""
        return f"{process_identity.process_id()}/{self._suffix}"

    def execute(
        self, record: TaskRecord, job: dict[str, Any], on_log: work.LogCallback | None = None
    ) -> TaskRecord:
        """Run ``record`` (prepared as running by this process) now, in this thread; the record
        carries the outcome (stored and committed)."""
        on_call = host.calls_for(job, self.app)
        db.session.commit()  # the record is visible as "running" before the code starts
        with logs.run_context(record.id):
            runs_service.execute(db.session, get_runner(self.app), record, job, on_log, on_call)
        db.session.commit()  # before counting: SQLite lets one writer in at a time
        metrics.count_run(self.app, record)
        return record

    def submit(self, task_id: str, queue: int | None = None) -> None:
        """Run the queued record ``task_id`` in a thread of this process (once, however often
        it is handed over)."""
        with self._lock:
            if task_id in self._submitted:
                return
            self._submitted.add(task_id)
            if self._threads is None:
                self._threads = ThreadPoolExecutor(
                    max_workers=self.app.config["FUNCPAD_RUNNER_CONCURRENCY"],
                    thread_name_prefix="queued-run",
                )
        self._threads.submit(self._run, task_id)

    def _run(self, task_id: str) -> None:
        try:
            with self.app.app_context():
                try:
                    work.run_queued(self.app, task_id, self.worker_id)
                finally:
                    db.session.remove()
        finally:
            with self._lock:
                self._submitted.discard(task_id)

    def cancel(self, task_id: str) -> bool:
        return get_runner(self.app).cancel(task_id)

    def close(self) -> None:
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
