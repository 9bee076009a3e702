"""Task records: one row per run (editor debug runs, API calls, cron firings, manual runs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow

# func: started by DFF.FUNC from another run; sync/async: a Sync/Async API call over HTTP.
# integration: an autoRun function (on publish, on launch).
ORIGINS = ("debug", "api", "crontab", "manual", "func", "sync", "async", "integration")
# skipped: the script raised a Warning (DataFlux Func's skip); expired: it waited in the queue
# longer than its expires (DataFlux Func's expire) and was not run.
STATUSES = ("queued", "running", "success", "failure", "timeout", "skipped", "expired")


class TaskRecord(db.Model):
    __tablename__ = "task_records"
    __table_args__ = (
        Index("ix_task_records_created_at", "created_at"),
        Index("ix_task_records_func_created", "func_id", "created_at"),
        Index("ix_task_records_status", "status"),
        # Exactly once: one record per (job, scheduled time), whoever tries to fire it.
        UniqueConstraint("crontab_config_id", "scheduled_for", name="uq_task_records_firing"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    origin: Mapped[str] = mapped_column(String(16))
    func_id: Mapped[str] = mapped_column(String(130))
    script_id: Mapped[str] = mapped_column(String(64))
    script_version: Mapped[int | None]  # None: the draft
    crontab_config_id: Mapped[str | None] = mapped_column(String(64))
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_ms: Mapped[float | None]
    peak_memory_kb: Mapped[int | None]
    logs: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    log_truncated: Mapped[bool] = mapped_column(default=False)
    return_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    triggered_by: Mapped[str | None] = mapped_column(String(64))
    # The scheduler process executing it (to tell "still running" from "its process died").
    worker: Mapped[str | None] = mapped_column(String(128))
    # DFF.FUNC: the run that started this one, and the functions from the first run to this.
    root_task_id: Mapped[str | None] = mapped_column(String(32))
    call_chain: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    # The Sync/Async API that started it (cron runs use crontab_config_id).
    origin_id: Mapped[str | None] = mapped_column(String(64))
    # A queued run not started by then is not run at all (status expired).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The HTTP answer the function chose with DFF.RESP... (checked before it is applied).
    response_control: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # A run called over HTTP: the request as _DFF_HTTP_REQUEST shows it (no Cookie header).
    http_request: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # DFF.API(delayed_cron_job=...): this run's delay after the cron tick (scheduled_for is
    # the tick plus the delay, so that each run of one firing has its own unique key).
    cron_delay: Mapped[int | None]
    # DataFlux Func's worker queue (1-15): which workers may run it (``funcpad worker -Q``).
    queue: Mapped[int | None]
