"""The scheduler thread: holds the lease, fires due jobs exactly once, hands runs to the executor.

Every app process runs this thread (``FUNCPAD_SCHEDULER=on``); a lease row in the database makes
one of them active, the others stand by and take over within ``LEASE_SECONDS`` if it dies.
Each firing inserts a task record keyed uniquely by (job, scheduled time), so even two active
schedulers could not fire the same time twice. Queued records are the persisted queue: a new
lease holder picks up what the previous one left queued, and marks what it left running as lost.
The scheduler only decides *when*: the executor (``webapp.executor``) runs what it hands over,
in this process or on ``funcpad worker``s, and each record is claimed once wherever it runs.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from webapp import metrics
from webapp.executor import get_executor
from webapp.extensions import db
from webapp.models import (
    CrontabConfig,
    Func,
    SchedulerLease,
    SchedulerSetting,
    TaskRecord,
    WorkerHeartbeat,
)
from webapp.models.crontab import effective_crontab
from webapp.models.types import utcnow
from webapp.schedule import cronexpr
from webapp.schedule.decide import decide
from webapp.services import func_store, integrations, process_identity, queues
from webapp.services import runs as runs_service
from webapp.services.func_cache import sql as func_cache_sql

log = logging.getLogger(__name__)

LEASE_NAME = "main"
LEASE_SECONDS = 5.0
RENEW_EVERY = 1.0
MAX_SLEEP = 0.5  # also how soon a new or edited job is noticed
DUE_BATCH = 500
PRUNE_EVERY_SECONDS = 3600
SWEEP_EVERY_SECONDS = 30  # how soon a run of a process that died is marked worker lost
PRUNE_BATCH = 1000
# Queued runs handed to the executor by _dispatch_queued, each once its time has come: cron
# runs (a delayed_cron_job run after its delay), DFF.FUNC calls (func), Async API calls
# (async), asynchronous function calls (api, maybe with an eta), CRON_JOB.call (manual) and
# SYNC_API.call (sync), autoRun functions (integration).
DISPATCHED_ORIGINS = ("crontab", "func", "async", "api", "manual", "sync", "integration")
CRON_EXPIRES = 900  # a cron run waiting longer than this (all slots busy) is not run
# A queued run handed over this long ago and still queued is handed over again (a message lost
# with a broker restart); the claim makes a second delivery harmless.
RESEND_SECONDS = 120


class Scheduler:
    def __init__(self, app: Flask) -> None:
        self.app = app
        # The process's own id: the runs it executes carry it, so a later holder can tell
        # whether the process that ran them is still alive.
        # (one process may hold several schedulers in tests: each gets a suffix of its own).
        self.holder = f"{process_identity.process_id()}/{uuid.uuid4().hex[:8]}"
        self.active = False
        self.wake = threading.Event()
        self.stop_event = threading.Event()
        self._lease_renewed = 0.0
        self._last_prune = 0.0
        self._last_sweep = 0.0
        self._last_push = 0.0
        self.executor = get_executor(app)
        self._upkeep = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scheduler-upkeep")
        self._sent: dict[str, float] = {}  # queued runs handed over, and when
        self.thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)

    @property
    def state(self) -> str:
        return "active" if self.active else "standby"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.wake.set()

    # --- lease ----------------------------------------------------------------------------

    def _hold_lease(self, now: datetime) -> bool:
        if self.active and time.monotonic() - self._lease_renewed < RENEW_EVERY:
            return True
        expires = now + timedelta(seconds=LEASE_SECONDS)
        if db.session.get(SchedulerLease, LEASE_NAME) is None:
            try:
                db.session.add(SchedulerLease(name=LEASE_NAME, holder=None, expires_at=None))
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
        got = (
            db.session.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == LEASE_NAME)
                .where(
                    or_(
                        SchedulerLease.holder == self.holder,
                        SchedulerLease.holder.is_(None),
                        SchedulerLease.expires_at < now,
                    )
                )
                .values(holder=self.holder, expires_at=expires)
            ).rowcount
            == 1
        )
        db.session.commit()
        if got and not self.active:
            log.info("scheduler %s took the lease", self.holder)
            self._take_over(now)
        elif not got and self.active:
            log.warning("scheduler %s lost the lease", self.holder)
        self.active = got
        self._lease_renewed = time.monotonic()
        return got

    def _take_over(self, now: datetime) -> None:
        """Runs left running by a dead holder are lost; runs left queued are run now."""
        lost = 0
        if self.executor.runs_here:
            # Queued runs execute in the lease holder's process: the previous holder's are lost.
            # (On workers, a run is lost when its worker is: the sweep below.)
            lost = db.session.execute(
                update(TaskRecord)
                .where(
                    TaskRecord.status == "running",
                    TaskRecord.origin.in_(("crontab", "manual", "func", "async")),
                    or_(
                        TaskRecord.worker.is_(None),
                        TaskRecord.worker != self.executor.worker_id,
                    ),
                )
                .values(status="failure", ended_at=now, error=runs_service.WORKER_LOST)
            ).rowcount
        lost += runs_service.sweep_lost_runs(db.session, now)  # editor and API runs too
        # autoRun functions with onSystemLaunch: the platform (or a standby) has just started
        # scheduling; they run once now.
        integrations.queue_on_launch(db.session, now)
        db.session.commit()
        if lost:
            log.warning("marked %d task records as worker lost", lost)
            metrics.counters_of(self.app).add("funcpad_runs_lost_total", lost)
        # What the previous holder left queued is handed over by _dispatch_queued, each at
        # its time (a delayed cron run, an eta).

    def _submit(self, task_id: str, queue: int | None) -> None:
        self._sent[task_id] = time.monotonic()
        self.executor.submit(task_id, queue)

    def _dispatch_queued(self) -> None:
        """Hand queued runs to the executor, oldest first, each once its time has come: cron
        runs (a delayed_cron_job run waits for its delay; an undelayed one is handed over as
        it fires), DFF.FUNC calls, Async API and asynchronous calls (their eta). A record a
        waiting caller holds (``worker`` set while queued) is the caller's to hand over."""
        queued = db.session.execute(
            select(TaskRecord.id, TaskRecord.queue)
            .where(
                TaskRecord.status == "queued",
                TaskRecord.origin.in_(DISPATCHED_ORIGINS),
                TaskRecord.worker.is_(None),
                TaskRecord.scheduled_for.is_(None) | (TaskRecord.scheduled_for <= utcnow()),
            )
            .order_by(TaskRecord.created_at)
            .limit(DUE_BATCH)
        ).all()
        ids = {task_id for task_id, _queue in queued}
        self._sent = {k: at for k, at in self._sent.items() if k in ids}  # the rest have run
        now = time.monotonic()
        for task_id, queue in queued:
            if now - self._sent.get(task_id, -RESEND_SECONDS) >= RESEND_SECONDS:
                self._submit(task_id, queue)

    # --- ticks ----------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self.stop_event.is_set():
            sleep = MAX_SLEEP
            try:
                with self.app.app_context():
                    sleep = self.tick(utcnow())
                    db.session.remove()
            except Exception:  # the scheduler must survive a bad row or a busy database
                log.exception("scheduler tick failed")
            self.wake.wait(max(0.0, min(sleep, MAX_SLEEP)))
            self.wake.clear()

    def tick(self, now: datetime) -> float:
        """Fire what is due at ``now`` and hand over queued runs; returns seconds until the
        next job is due."""
        if not self._hold_lease(now):
            return MAX_SLEEP
        setting = db.session.get(SchedulerSetting, "pause")
        paused = setting is not None and setting.paused_until and setting.paused_until > now
        if not paused:
            due = db.session.scalars(
                select(CrontabConfig)
                .where(CrontabConfig.enabled.is_(True), CrontabConfig.next_run_at <= now)
                .order_by(CrontabConfig.next_run_at)
                .limit(DUE_BATCH)
            ).all()
            for config in due:
                self._fire(config, now)
        self._dispatch_queued()
        if time.monotonic() - self._last_sweep > SWEEP_EVERY_SECONDS:
            self._last_sweep = time.monotonic()
            swept = runs_service.sweep_lost_runs(db.session, now)
            db.session.commit()
            if swept:
                log.warning("marked %d task records as worker lost", swept)
                metrics.counters_of(self.app).add("funcpad_runs_lost_total", swept)
        every = self.app.config["FUNCPAD_SELF_METRICS_SECONDS"]
        if every and time.monotonic() - self._last_push >= every:
            self._last_push = time.monotonic()
            self._upkeep.submit(self.push_metrics)
        if time.monotonic() - self._last_prune > PRUNE_EVERY_SECONDS:
            self._last_prune = time.monotonic()
            self._upkeep.submit(self.prune_old_records)  # never blocks scheduling
            self._upkeep.submit(self.purge_expired_values)
        upcoming = db.session.scalar(
            select(CrontabConfig.next_run_at)
            .where(CrontabConfig.enabled.is_(True), CrontabConfig.next_run_at.is_not(None))
            .order_by(CrontabConfig.next_run_at)
            .limit(1)
        )
        if upcoming is None:
            return MAX_SLEEP
        return (upcoming - utcnow()).total_seconds()

    def _fire(self, config: CrontabConfig, now: datetime) -> None:
        try:
            expr = cronexpr.parse(effective_crontab(config, now))
        except cronexpr.CronError:
            config.next_run_at = None
            db.session.commit()
            return
        previous_running = (
            db.session.scalar(
                select(TaskRecord.id)
                .where(
                    TaskRecord.crontab_config_id == config.id,
                    TaskRecord.status.in_(("queued", "running")),
                )
                .limit(1)
            )
            is not None
        )
        decision = decide(
            expr,
            config.timezone,
            config.next_run_at,
            now,
            expires_at=config.expires_at,
            previous_running=previous_running,
            allow_overlap=config.allow_overlap,
        )
        if config.paused_until is not None and config.paused_until > now:
            # CRON_JOB.pause: the time passes without a run (and without a skipped record).
            decision = replace(decision, fire=None, skipped=[], more_skipped=0)
        old_next = config.next_run_at
        records = [
            self._record(config, at, "skipped", reason, now) for at, reason in decision.skipped
        ]
        if decision.more_skipped:
            records[0].error = {
                **records[0].error,
                "message": records[0].error["message"]
                + f" (and {decision.more_skipped} earlier times)",
            }
        fired = None
        if decision.fire is not None:
            # DFF.API(delayed_cron_job=[...]): one run per delay after the tick; each waits in
            # the queue for its time (and expires like any queued run).
            func = db.session.get(Func, config.func_id)
            options = (func.options or {}) if func is not None else {}
            expires = timedelta(seconds=options.get("expires") or CRON_EXPIRES)
            for delay in options.get("delayed_cron_job") or [0]:
                at = decision.fire + timedelta(seconds=delay)
                record = self._record(config, at, "queued", None, now)
                record.cron_delay, record.expires_at = delay, max(at, now) + expires
                record.queue = queues.queue_for("crontab", options)
                records.append(record)
                fired = fired or record
        # Compare-and-set on next_run_at: a second scheduler that read the same row loses here.
        moved = db.session.execute(
            update(CrontabConfig)
            .where(CrontabConfig.id == config.id, CrontabConfig.next_run_at == old_next)
            .values(next_run_at=decision.next_run_at)
        ).rowcount
        if moved != 1:
            db.session.rollback()
            return
        try:
            db.session.add_all(records)
            db.session.commit()
        except IntegrityError:  # the unique (job, time) key: fired by someone else already
            db.session.rollback()
            return
        if fired is not None and fired.scheduled_for <= now:
            self._submit(fired.id, fired.queue)  # a delayed run: by _dispatch_queued

    def _record(
        self, config: CrontabConfig, at: datetime, status: str, reason: str | None, now: datetime
    ) -> TaskRecord:
        record = TaskRecord(
            id=uuid.uuid4().hex,
            origin="crontab",
            func_id=config.func_id,
            script_id=config.func_id.split(".", 1)[0],
            crontab_config_id=config.id,
            kwargs=config.kwargs,
            status=status,
            created_at=now,
            scheduled_for=at,
            logs=[],
        )
        if reason:
            record.ended_at = now
            record.error = {"type": "Skipped", "message": reason, "traceback": "", "line": None}
        return record

    # --- upkeep ---------------------------------------------------------------------------

    def push_metrics(self) -> int:
        """The platform's figures to the datakit connector (one writer: the lease holder)."""
        from webapp.metrics import push

        try:
            return push.send(self.app)
        except Exception:  # an agent that is away must not stop the scheduler's upkeep
            log.warning("sending the platform's figures to DataKit failed", exc_info=True)
            return 0

    def prune_old_records(self) -> int:
        """Delete finished task records older than ``FUNCPAD_TASK_RECORD_MAX_DAYS``, in batches."""
        days = self.app.config["FUNCPAD_TASK_RECORD_MAX_DAYS"]
        if not days:
            return 0
        removed = 0
        with self.app.app_context():
            cutoff = utcnow() - timedelta(days=days)
            while True:
                ids = db.session.scalars(
                    select(TaskRecord.id)
                    .where(
                        TaskRecord.created_at < cutoff,
                        TaskRecord.status.not_in(("queued", "running")),
                    )
                    .limit(PRUNE_BATCH)
                ).all()
                if not ids:
                    break
                db.session.execute(delete(TaskRecord).where(TaskRecord.id.in_(ids)))
                db.session.commit()
                removed += len(ids)
            # Workers that stopped beating a day ago (killed, never back) are forgotten.
            db.session.execute(
                delete(WorkerHeartbeat).where(
                    WorkerHeartbeat.seen_at < utcnow() - timedelta(days=1)
                )
            )
            db.session.commit()
            db.session.remove()
        return removed

    def purge_expired_values(self) -> int:
        """Drop expired DFF.STORE keys and embedded DFF.CACHE keys (reads already skip them)."""
        with self.app.app_context():
            try:
                removed = func_store.purge_expired(db.session, utcnow())
                removed += func_cache_sql.purge_expired(db.session)
                db.session.commit()
                return removed
            finally:
                db.session.remove()


def sweep_at_start(app: Flask) -> None:
    """A restart: the runs the previous processes on this host left running are lost."""
    with app.app_context():
        try:
            lost = runs_service.sweep_lost_runs(db.session, utcnow())
            db.session.commit()
        except Exception:  # a database that is not there yet must not stop the start
            db.session.rollback()
            log.exception("sweeping runs left running failed")
            return
        finally:
            db.session.remove()
    if lost:
        log.warning("marked %d task records as worker lost", lost)


def init_app(app: Flask) -> None:
    sweep_at_start(app)
    if not app.config["FUNCPAD_SCHEDULER"]:
        app.extensions["funcpad.scheduler"] = None
        return
    scheduler = Scheduler(app)
    app.extensions["funcpad.scheduler"] = scheduler
    scheduler.start()
