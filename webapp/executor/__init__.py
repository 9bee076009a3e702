"""Where runs execute: ``FUNCPAD_EXECUTOR=inprocess`` (the embedded default: the app's own
processes) or ``celery`` (``funcpad worker`` processes on any host, through Redis).

Both give the same two verbs to views and the scheduler: ``execute(record, job, on_log)`` runs
a prepared run and waits for its outcome (editor runs, sync calls), ``submit(task_id, queue)``
hands over a queued record and returns at once (cron, DFF.FUNC, async calls). Either way the
run goes through the same sandboxed runner and writes the same task record.
"""

from __future__ import annotations

from typing import Any, Protocol

from flask import Flask, current_app

from webapp.models import TaskRecord


class Executor(Protocol):
    name: str
    runs_here: bool

    def execute(self, record: TaskRecord, job: dict[str, Any], on_log=None) -> TaskRecord: ...

    def submit(self, task_id: str, queue: int | None = None) -> None: ...

    def cancel(self, task_id: str) -> bool: ...

    def close(self) -> None: ...


def get_executor(app: Flask | None = None) -> Executor:
    return (app or current_app).extensions["funcpad.executor"]


def init_app(app: Flask) -> None:
    if app.config["FUNCPAD_EXECUTOR"] == "celery":
        from webapp.executor.remote import CeleryExecutor

        app.extensions["funcpad.executor"] = CeleryExecutor(app)
    else:
        from webapp.executor.inprocess import InProcessExecutor

        app.extensions["funcpad.executor"] = InProcessExecutor(app)
