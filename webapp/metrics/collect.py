"""The platform's own figures, gathered when they are asked for (a scrape, the System page, the
push to DataKit): counters from the database, queue depths, scheduler lag, workers, receiver."""

from __future__ import annotations

import logging
import math
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.metrics import counters as counters_module
from webapp.metrics.exposition import Family
from webapp.models import PlatformCounter, SchedulerLease, TaskRecord, WorkerHeartbeat
from webapp.models.types import utcnow
from webapp.services import runs as runs_service

log = logging.getLogger(__name__)

LAG_WINDOW = timedelta(minutes=15)
ALWAYS_SHOWN_QUEUES = (1, 2, 3, 5)  # DataFlux Func's defaults: calls, cron, async, editor


def collect(app: Flask) -> list[Family]:
    """Every family, read now (inside an app context)."""
    counters: counters_module.Counters = app.extensions["funcpad.counters"]
    try:
        counters.flush()  # this process's latest counts are in what it answers
    except Exception:
        log.warning("writing this process's counters failed", exc_info=True)
    families = _counter_families()
    families += _queue_families(app)
    families += _scheduler_families()
    families += _worker_families(app)
    families += _receiver_families(app)
    return families


def _counter_families() -> list[Family]:
    rows = db.session.execute(
        select(PlatformCounter.name, PlatformCounter.labels, PlatformCounter.value)
    ).all()
    runs = Family("funcpad_runs_total", "counter", "Runs that ended, by origin and status.")
    duration = Family("funcpad_run_duration_seconds", "histogram", "How long runs took.")
    sandbox = Family(
        "funcpad_sandbox_failures_total", "counter", "Runs the sandbox failed (not the script)."
    )
    lost = Family(
        "funcpad_runs_lost_total", "counter", "Runs marked worker lost (their process stopped)."
    )
    lag = Family(
        "funcpad_scheduler_lag_seconds",
        "summary",
        "Cron runs: start minus scheduled time (queue wait included).",
    )
    buckets: dict[str, float] = {}
    for name, labels, value in rows:
        parsed = counters_module.parse_labels(labels)
        if name == "funcpad_runs_total":
            runs.add(value, **parsed)
        elif name == "funcpad_run_duration_seconds_bucket":
            buckets[parsed.get("le", "+Inf")] = value
        elif name in ("funcpad_run_duration_seconds_sum", "funcpad_run_duration_seconds_count"):
            duration.add(value, name.removeprefix("funcpad_run_duration_seconds"))
        elif name == "funcpad_sandbox_failures_total":
            sandbox.add(value, **parsed)
        elif name == "funcpad_runs_lost_total":
            lost.add(value)
        elif name in ("funcpad_scheduler_lag_seconds_sum", "funcpad_scheduler_lag_seconds_count"):
            lag.add(value, name.removeprefix("funcpad_scheduler_lag_seconds"))
    if buckets:
        # Every bucket, in order, even one no run fell into (Prometheus wants them all).
        bounds = [*counters_module.DURATION_BUCKETS, math.inf]
        for bound in bounds:
            key = counters_module._bound(bound)
            duration.samples.append(("_bucket", {"le": key}, buckets.get(key, 0.0)))
        duration.samples.sort(key=lambda s: s[0] != "_bucket")
    return [runs, duration, sandbox, lost, lag]


def _queue_families(app: Flask) -> list[Family]:
    depth = Family("funcpad_queue_depth", "gauge", "Runs waiting to start, by DataFlux Func queue.")
    rows = db.session.execute(
        select(TaskRecord.queue, func.count())
        .where(TaskRecord.status == "queued")
        .group_by(TaskRecord.queue)
    ).all()
    waiting = {queue: 0 for queue in ALWAYS_SHOWN_QUEUES}  # a chart has a line at 0 too
    for queue, count in rows:
        waiting[queue or 1] = waiting.get(queue or 1, 0) + count
    for queue in sorted(waiting):
        depth.add(waiting[queue], queue=queue)
    families = [depth]
    executor = app.extensions.get("funcpad.executor")
    depths = getattr(executor, "broker_depths", None)  # only a broker has messages waiting
    if depths is not None:
        broker_depth = Family(
            "funcpad_broker_messages", "gauge", "Messages waiting in Redis, by queue."
        )
        try:
            for queue, length in depths().items():
                broker_depth.add(length, queue=queue)
        except Exception:
            log.warning("reading the broker's queues failed", exc_info=True)
        families.append(broker_depth)
    return families


def _scheduler_families() -> list[Family]:
    now = utcnow()
    lease = db.session.get(SchedulerLease, "main")
    active = Family("funcpad_scheduler_active", "gauge", "1 while a scheduler holds the lease.")
    active.add(1 if lease and lease.expires_at and lease.expires_at > now else 0)
    recent = db.session.execute(
        select(TaskRecord.started_at, TaskRecord.scheduled_for)
        .where(
            TaskRecord.origin == "crontab",
            TaskRecord.started_at.is_not(None),
            TaskRecord.scheduled_for.is_not(None),
            TaskRecord.started_at > now - LAG_WINDOW,
        )
        .order_by(TaskRecord.started_at.desc())
        .limit(500)
    ).all()
    lags = [max((s - f).total_seconds(), 0.0) for s, f in recent]
    latest = Family(
        "funcpad_scheduler_lag_latest_seconds",
        "gauge",
        "Start minus scheduled time of the latest cron run (of the last 15 minutes).",
    )
    worst = Family(
        "funcpad_scheduler_lag_max_seconds",
        "gauge",
        "The largest start minus scheduled time of the last 15 minutes' cron runs.",
    )
    latest.add(lags[0] if lags else 0)
    worst.add(max(lags) if lags else 0)
    return [active, latest, worst]


def _worker_families(app: Flask) -> list[Family]:
    now = utcnow()
    fresh = now - timedelta(seconds=runs_service.HEARTBEAT_STALE_SECONDS)
    rows = db.session.scalars(select(WorkerHeartbeat).where(WorkerHeartbeat.seen_at > fresh)).all()
    workers = Family("funcpad_workers", "gauge", "Processes executing runs, by kind.")
    slots = Family("funcpad_runner_slots", "gauge", "Sandbox slots, and how many are busy.")
    executor = app.extensions.get("funcpad.executor")
    total = sum(r.slots for r in rows)
    busy = sum(r.busy for r in rows)
    workers.add(len(rows), kind="celery")
    if executor is not None and executor.runs_here:
        from webapp.runner.service import get_runner

        stats = get_runner(app).stats()
        workers.add(1, kind="inprocess")
        total += stats["slots"]
        busy += stats["busy"]
    slots.add(total, state="total").add(busy, state="busy")
    return [workers, slots]


def _receiver_families(app: Flask) -> list[Family]:
    store = app.extensions.get("funcpad.points")
    points = Family(
        "funcpad_receiver_points_total",
        "counter",
        "Points the embedded receiver stored, by category (this node's point store).",
    )
    refused = Family(
        "funcpad_receiver_refused_writes_total",
        "counter",
        "Writes the embedded receiver refused, by DataKit error code (this node).",
    )
    if store is not None:
        for name, label, value in store.counts():
            if name == "points":
                points.add(value, category=label)
            elif name == "refused":
                refused.add(value, code=label)
    return [points, refused]


def quantile(buckets: list[tuple[float, float]], q: float) -> float | None:
    """The ``q`` quantile from cumulative histogram buckets [(upper bound, count)], linear
    inside a bucket (as Prometheus' histogram_quantile); None without observations."""
    if not buckets or buckets[-1][1] <= 0:
        return None
    rank = q * buckets[-1][1]
    lower, below = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return lower
            share = (rank - below) / (count - below) if count > below else 1.0
            return lower + (bound - lower) * share
        lower, below = bound, count
    return lower


def overview(families: list[Family]) -> dict[str, Any]:
    """What the System page shows, from the same families /metrics answers."""
    by_name = {f.name: f for f in families}

    def samples(name: str, suffix: str = "") -> list[tuple[dict[str, str], float]]:
        family = by_name.get(name)
        return [(labels, v) for s, labels, v in family.samples if s == suffix] if family else []

    def one(name: str, suffix: str = "", default: float = 0.0) -> float:
        found = samples(name, suffix)
        return found[0][1] if found else default

    runs = sorted(
        (
            (labels.get("origin", ""), labels.get("status", ""), v)
            for labels, v in samples("funcpad_runs_total")
        ),
    )
    by_status: dict[str, float] = {}
    for _origin, status, value in runs:
        by_status[status] = by_status.get(status, 0) + value
    buckets = [
        (math.inf if labels["le"] == "+Inf" else float(labels["le"]), v)
        for labels, v in samples("funcpad_run_duration_seconds", "_bucket")
    ]
    lag_count = one("funcpad_scheduler_lag_seconds", "_count")
    queue = {labels["queue"]: v for labels, v in samples("funcpad_queue_depth")}
    slots = {labels["state"]: v for labels, v in samples("funcpad_runner_slots")}
    return {
        "runs": runs,
        "runs_by_status": dict(sorted(by_status.items())),
        "runs_total": sum(by_status.values()),
        "p50": quantile(buckets, 0.5),
        "p95": quantile(buckets, 0.95),
        "queue": queue,
        "queued": sum(queue.values()),
        "broker": {labels["queue"]: v for labels, v in samples("funcpad_broker_messages") if v},
        "workers": {labels["kind"]: v for labels, v in samples("funcpad_workers")},
        "slots_busy": slots.get("busy", 0),
        "slots_total": slots.get("total", 0),
        "scheduler_active": bool(one("funcpad_scheduler_active")),
        "lag_latest": one("funcpad_scheduler_lag_latest_seconds"),
        "lag_max": one("funcpad_scheduler_lag_max_seconds"),
        "lag_mean": one("funcpad_scheduler_lag_seconds", "_sum") / lag_count if lag_count else None,
        "points": {labels["category"]: v for labels, v in samples("funcpad_receiver_points_total")},
        "refused": {
            labels["code"]: v for labels, v in samples("funcpad_receiver_refused_writes_total")
        },
        "sandbox_failures": {
            labels["type"]: v for labels, v in samples("funcpad_sandbox_failures_total")
        },
        "lost": one("funcpad_runs_lost_total"),
    }
