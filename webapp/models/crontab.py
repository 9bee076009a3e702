"""Cron jobs ("crontab configs"): run a published function with kwargs on a schedule."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow

DEFAULT_KEEP_RECORDS = 500


def effective_crontab(config: CrontabConfig, now: datetime) -> str:
    """DataFlux Func's priority: a dynamic schedule (until it expires) over the job's own
    (which is the function's fixed_cron_expr when it has one)."""
    if config.dynamic_crontab and (
        config.dynamic_expires_at is None or config.dynamic_expires_at > now
    ):
        return config.dynamic_crontab
    return config.crontab


class CrontabConfig(db.Model):
    __tablename__ = "crontab_configs"
    __table_args__ = (Index("ix_crontab_configs_due", "enabled", "next_run_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    func_id: Mapped[str] = mapped_column(String(130), index=True)
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    crontab: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    enabled: Mapped[bool] = mapped_column(default=True)
    allow_overlap: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    keep_records: Mapped[int] = mapped_column(default=DEFAULT_KEEP_RECORDS)
    # When it fires next (UTC); NULL when disabled or expired. Indexed: a tick reads only due rows.
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # CRON_JOB.set_cron_expr: a schedule that wins over the job's own until it expires (None:
    # for good), and CRON_JOB.pause: no run fires before paused_until.
    dynamic_crontab: Mapped[str | None] = mapped_column(String(200))
    dynamic_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(64))


class SchedulerLease(db.Model):
    """One row per lease name; the holder whose lease has not expired is the active scheduler."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(128))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SchedulerSetting(db.Model):
    """Global scheduler switches, e.g. "pause all until ..."."""

    __tablename__ = "scheduler_settings"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
