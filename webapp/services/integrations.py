"""``DFF.API(integration='autoRun', integration_config=...)``: functions that run without a
cron job someone made (§2 of the facts).

- ``cronExpr``: publishing keeps a cron job for the function, id ``autorun-<func id>``, tagged
  ``autoRun`` (changed or removed with the next publish); it is a cron job like the others.
- ``onScriptPublish``: each publish queues one run (origin ``integration``, origin id
  ``autoRun.onScriptPublish-<func id>``).
- ``onSystemLaunch``: each time a scheduler takes the lease (the platform starting, or a
  standby taking over) it queues one run (``autoRun.onSystemLaunch-<func id>``).

``integration='signIn'`` (a login function) has no counterpart here: the function is published
as an ordinary one and its run log says so.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import CrontabConfig, Func
from webapp.services import crontab as crontab_service
from webapp.services import runs as runs_service

AUTO_PREFIX = "autorun-"
AUTO_TAG = "autoRun"
EXPIRES = timedelta(seconds=900)


def auto_job_id(func_id: str) -> str:
    job_id = AUTO_PREFIX + func_id
    if len(job_id) <= 64:
        return job_id
    return AUTO_PREFIX + func_id[:40] + "-" + hashlib.md5(func_id.encode()).hexdigest()[:12]


def _config(func: Func) -> dict:
    options = func.options or {}
    if options.get("integration") != "autoRun":
        return {}
    return options.get("integration_config") or {}


def sync_after_publish(
    session: Session, script_id: str, *, username: str | None, now: datetime, default_timezone: str
) -> list[str]:
    """Keep the autoRun cron jobs of the script's functions and queue the onScriptPublish
    runs; the ids of the runs queued."""
    funcs = session.scalars(select(Func).where(Func.script_id == script_id)).all()
    wanted = {auto_job_id(f.id): f for f in funcs if _config(f).get("cronExpr")}
    for config in session.scalars(
        select(CrontabConfig).where(CrontabConfig.id.like(AUTO_PREFIX + "%"))
    ).all():
        if config.func_id.split(".", 1)[0] == script_id and config.id not in wanted:
            session.delete(config)
    for job_id, func in wanted.items():
        data = {
            "func_id": func.id,
            "crontab": str(_config(func)["cronExpr"]),
            "timezone": default_timezone,
            "note": "autoRun: kept by the script's @DFF.API(integration='autoRun')",
            "tags": [AUTO_TAG],
        }
        existing = session.get(CrontabConfig, job_id)
        if existing is None:
            crontab_service.create_config(
                session, {**data, "id": job_id}, username=username, now=now,
                default_timezone=default_timezone,
            )  # fmt: skip
        else:
            crontab_service.update_config(
                session, existing, data, username=username, now=now,
                default_timezone=default_timezone,
            )  # fmt: skip
    return [
        _queue(session, func, "onScriptPublish", now).id
        for func in funcs
        if _config(func).get("onScriptPublish")
    ]


def queue_on_launch(session: Session, now: datetime) -> list[str]:
    """Queue one run of every autoRun function with onSystemLaunch; their task ids."""
    return [
        _queue(session, func, "onSystemLaunch", now).id
        for func in session.scalars(select(Func)).all()
        if _config(func).get("onSystemLaunch")
    ]


def _queue(session: Session, func: Func, event: str, now: datetime):
    return runs_service.new_queued_record(
        session,
        origin="integration",
        func=func,
        kwargs={},
        username=None,
        now=now,
        expires_at=now + EXPIRES,
        origin_id=f"autoRun.{event}-{func.id}"[:64],
    )
