"""One queued run, executed: claimed once, its job built (or given), run, its outcome stored.

This is what an executor does with a ``queued`` task record, wherever it runs: a thread of the
app's process (``inprocess``) or a ``funcpad worker`` on any host (``celery``). The claim is one
UPDATE from ``queued`` to ``running``, so a record runs once however many times it was handed
over (a message delivered twice, two schedulers, a replay): exactly once, whatever the queue
does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import delete, select, update

from webapp import host, logs, metrics
from webapp.extensions import db
from webapp.models import CrontabConfig, TaskRecord
from webapp.models.types import utcnow
from webapp.runner.service import get_runner
from webapp.services import funcs as funcs_service
from webapp.services import runs as runs_service
from webapp.services import scripts as scripts_service

log = logging.getLogger(__name__)

ASYNC_TIMEOUT = 3600  # an Async API's run without DFF.API(timeout=...), as in DataFlux Func
EXPIRED = "the run waited in the queue longer than its expires and was not run"
LogCallback = Callable[[dict[str, Any]], None]


def claim(task_id: str, worker: str, now: datetime) -> TaskRecord | None:
    """The queued record, now ``running`` on ``worker`` (one UPDATE, so no two threads or
    processes run it); None when it is not queued any more or has expired (then marked so)."""
    expired = db.session.execute(
        update(TaskRecord)
        .where(
            TaskRecord.id == task_id,
            TaskRecord.status == "queued",
            TaskRecord.expires_at.is_not(None),
            TaskRecord.expires_at < now,
        )
        .values(
            status="expired",
            ended_at=now,
            error={"type": "Expired", "message": EXPIRED, "traceback": "", "line": None},
        )
    ).rowcount
    claimed = 0
    if not expired:
        claimed = db.session.execute(
            update(TaskRecord)
            .where(TaskRecord.id == task_id, TaskRecord.status == "queued")
            .values(status="running", started_at=now, worker=worker)
        ).rowcount
    db.session.commit()
    return db.session.get(TaskRecord, task_id) if claimed == 1 else None


def job_for(record: TaskRecord) -> tuple[dict[str, Any], CrontabConfig | None]:
    """The job of a queued call of a published function (cron, DFF.FUNC, async, ...)."""
    from webapp.host import load_for_job

    func = funcs_service.get_func(db.session, record.func_id)
    code = scripts_service.revision_code(db.session, func.script_id, func.version)
    config = (
        db.session.get(CrontabConfig, record.crontab_config_id)
        if record.crontab_config_id
        else None
    )
    record.script_version = func.version
    timeout = func.timeout or (
        ASYNC_TIMEOUT if record.origin == "async" else runs_service.DEFAULT_TIMEOUT
    )
    job = runs_service.build_job(
        db.session,
        record,
        code,
        func.name,
        timeout,
        load_for_job,
        cron_expr=config.crontab if config else None,
    )
    return job, config


def run_queued(
    app: Flask,
    task_id: str,
    worker: str,
    job: dict[str, Any] | None = None,
    on_log: LogCallback | None = None,
) -> TaskRecord | None:
    """Claim ``task_id`` for ``worker`` and run it in this process's runner; the finished
    record, or None when it was not this caller's to run. ``job`` is the job the caller built
    (an editor run, a sync call: its draft code, request and uploads); without one it is built
    from the record. Call inside an app context; a failure of the platform is recorded on the
    task, never lost."""
    with logs.run_context(task_id):
        return _run_queued(app, task_id, worker, job, on_log)


def _run_queued(app, task_id, worker, job, on_log) -> TaskRecord | None:
    try:
        record = claim(task_id, worker, utcnow())
        if record is None:
            return None
        if record.origin == "crontab" and record.scheduled_for and record.started_at:
            lag = max((record.started_at - record.scheduled_for).total_seconds(), 0.0)
            metrics.counters_of(app).add("funcpad_scheduler_lag_seconds_sum", lag)
            metrics.counters_of(app).add("funcpad_scheduler_lag_seconds_count")
        config = None
        if job is None:
            job, config = job_for(record)
        db.session.commit()
        on_call = host.calls_for(job, app)
        runs_service.execute(db.session, get_runner(app), record, job, on_log, on_call)
        db.session.commit()
        metrics.count_run(app, record)
        if config is not None:
            prune_job_records(config)
        return record
    except Exception as exc:
        log.exception("task %s failed to run", task_id)
        db.session.rollback()
        record = db.session.get(TaskRecord, task_id)
        if record is not None and record.status in ("queued", "running"):
            record.status = "failure"
            record.ended_at = utcnow()
            record.error = {
                "type": type(exc).__name__,
                "message": str(exc),
                "traceback": "",
                "line": None,
            }
            db.session.commit()
        return record


def prune_job_records(config: CrontabConfig) -> None:
    """Keep the newest ``keep_records`` records of a cron job (one indexed delete)."""
    cutoff = db.session.scalar(
        select(TaskRecord.created_at)
        .where(TaskRecord.crontab_config_id == config.id)
        .order_by(TaskRecord.created_at.desc())
        .offset(config.keep_records)
        .limit(1)
    )
    if cutoff is not None:
        db.session.execute(
            delete(TaskRecord).where(
                TaskRecord.crontab_config_id == config.id,
                TaskRecord.created_at <= cutoff,
                TaskRecord.status.not_in(("queued", "running")),
            )
        )
        db.session.commit()


def hand_over(record: TaskRecord, waiter: str, queue: int, wait_seconds: float) -> None:
    """A run the caller prepared as running, put back in the queue for a worker: ``queued``,
    held by ``waiter`` (so the scheduler leaves it to the caller's message), not run at all
    once ``wait_seconds`` have passed without a worker taking it."""
    now = utcnow()
    values = {
        "status": "queued",
        "started_at": None,
        "worker": waiter,
        "queue": queue,
        "expires_at": now + timedelta(seconds=wait_seconds),
    }
    db.session.execute(update(TaskRecord).where(TaskRecord.id == record.id).values(**values))
    db.session.commit()
