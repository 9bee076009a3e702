"""Cron jobs, their schedule preview, Run now, bulk enable/disable and the global pause."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from flask import current_app, jsonify
from flask_babel import get_locale
from flask_login import current_user
from pydantic import Field
from sqlalchemy import select

from webapp.extensions import db
from webapp.host import load_for_job
from webapp.models import CrontabConfig, SchedulerSetting
from webapp.models.types import utcnow
from webapp.services import crontab as service
from webapp.services import funcs as funcs_service
from webapp.services import runs as runs_service
from webapp.services import scripts as scripts_service
from webapp.services.errors import N_
from webapp.views.api import api, fields, shapes
from webapp.views.api.operation import Body, Query, operation
from webapp.views.api.runs import RUN_RESPONSES, STREAM_NOTE, _respond

MAX_PAUSE_MINUTES = 7 * 24 * 60  # longer pauses are cut to a week
TAG = "cron jobs"
JOB = {"config_id": fields.CronJobId}


class PreviewRequest(Body):
    crontab: fields.CronText
    timezone: fields.Timezone | None = Field(None, description=N_("Default: FUNCPAD_TIMEZONE."))


class CronJobChange(Body):
    """The fields of a cron job; on PATCH only those given change."""

    func_id: fields.FuncId | None = None
    kwargs: fields.Kwargs | None = None
    crontab: fields.CronText | None = None
    timezone: fields.Timezone | None = None
    enabled: fields.Flag | None = None
    allow_overlap: fields.Flag | None = None
    expires_at: fields.Moment | None = None
    note: fields.CronNote | None = None
    tags: fields.Tags | None = None
    keep_records: fields.KeepRecords | None = None


class NewCronJob(CronJobChange):
    id: fields.CronJobId | None = Field(None, description=N_("Default: cron-<random>."))
    func_id: fields.FuncId
    crontab: fields.CronText | None = Field(
        None, description=N_("Required unless the function has a fixed_crontab.")
    )


class CronJobsQuery(Query):
    func_id: fields.QueryText | None = None
    enabled: bool | None = None
    q: fields.QueryText | None = Field(
        None, description=N_("Text in the id, function, note or tags.")
    )
    tag: fields.QueryText | None = None


class BulkChange(Body):
    ids: Annotated[list[fields.CronJobId], Field(max_length=1000)]
    enabled: fields.Flag


class PauseRequest(Body):
    minutes: fields.PauseMinutes


def _given(body: Body) -> dict:
    """What the client sent (PATCH semantics): unset fields stay as they are."""
    return {name: getattr(body, name) for name in body.model_fields_set}


def _locale() -> str:
    return str(get_locale() or "en")


def _wake_scheduler() -> None:
    scheduler = current_app.extensions.get("funcpad.scheduler")
    if scheduler is not None:
        scheduler.wake.set()


@api.post("/crontab/preview")
@operation(
    N_("Describe a cron expression and its next five runs"),
    tag=TAG,
    body=PreviewRequest,
    responses={200: shapes.CronPreview},
)
def preview_crontab(body: PreviewRequest):
    return jsonify(
        service.preview(
            body.crontab,
            body.timezone or current_app.config["FUNCPAD_TIMEZONE"],
            utcnow(),
            _locale(),
        )
    )


@api.get("/crontab-configs")
@operation(
    N_("Cron jobs, newest first"),
    tag=TAG,
    query=CronJobsQuery,
    responses={200: list[shapes.CronJob]},
)
def list_crontab_configs(query: CronJobsQuery):
    select_jobs = select(CrontabConfig).order_by(CrontabConfig.created_at.desc())
    if query.func_id:
        select_jobs = select_jobs.where(CrontabConfig.func_id == query.func_id)
    if query.enabled is not None:
        select_jobs = select_jobs.where(CrontabConfig.enabled.is_(query.enabled))
    configs = db.session.scalars(select_jobs).all()
    text = (query.q or "").lower()
    tag = query.tag
    if text:
        configs = [
            c for c in configs if text in f"{c.id} {c.func_id} {c.note} {' '.join(c.tags)}".lower()
        ]
    if tag:
        configs = [c for c in configs if tag in c.tags]
    last = service.last_runs(db.session, [c.id for c in configs])
    return jsonify([service.to_json(c, last.get(c.id), _locale()) for c in configs])


@api.post("/crontab-configs")
@operation(
    N_("Create a cron job for a published function"),
    tag=TAG,
    body=NewCronJob,
    responses={201: shapes.CronJob, 404: shapes.Error, 409: shapes.Error},
)
def create_crontab_config(body: NewCronJob):
    config = service.create_config(
        db.session,
        _given(body),
        username=current_user.username,
        now=utcnow(),
        default_timezone=current_app.config["FUNCPAD_TIMEZONE"],
    )
    db.session.commit()
    _wake_scheduler()
    return jsonify(service.to_json(config, None, _locale())), 201


@api.get("/crontab-configs/<config_id>")
@operation(
    N_("One cron job with its next and last run"),
    tag=TAG,
    path=JOB,
    responses={200: shapes.CronJob, 404: shapes.Error},
)
def get_crontab_config(config_id: str):
    config = service.get_config(db.session, config_id)
    last = service.last_runs(db.session, [config.id]).get(config.id)
    return jsonify(service.to_json(config, last, _locale()))


@api.patch("/crontab-configs/<config_id>")
@operation(
    N_("Change a cron job (only the fields given)"),
    tag=TAG,
    path=JOB,
    body=CronJobChange,
    responses={200: shapes.CronJob, 404: shapes.Error},
)
def update_crontab_config(config_id: str, body: CronJobChange):
    config = service.get_config(db.session, config_id)
    service.update_config(
        db.session,
        config,
        _given(body),
        username=current_user.username,
        now=utcnow(),
        default_timezone=current_app.config["FUNCPAD_TIMEZONE"],
    )
    db.session.commit()
    _wake_scheduler()
    last = service.last_runs(db.session, [config.id]).get(config.id)
    return jsonify(service.to_json(config, last, _locale()))


@api.delete("/crontab-configs/<config_id>")
@operation(
    N_("Delete a cron job (its task records stay)"),
    tag=TAG,
    path=JOB,
    responses={204: None, 404: shapes.Error},
)
def delete_crontab_config(config_id: str):
    db.session.delete(service.get_config(db.session, config_id))
    db.session.commit()
    return "", 204


@api.post("/crontab-configs/bulk")
@operation(
    N_("Enable or disable several cron jobs"),
    tag=TAG,
    body=BulkChange,
    responses={200: shapes.BulkChanged, 404: shapes.Error},
)
def bulk_crontab_configs(body: BulkChange):
    enabled = body.enabled
    now = utcnow()
    changed = []
    for config_id in body.ids:
        config = service.get_config(db.session, config_id)
        service.update_config(
            db.session,
            config,
            {"enabled": enabled},
            username=current_user.username,
            now=now,
            default_timezone=current_app.config["FUNCPAD_TIMEZONE"],
        )
        changed.append(config.id)
    db.session.commit()
    _wake_scheduler()
    return jsonify(changed=changed)


@api.post("/crontab-configs/<config_id>/run")
@operation(
    N_("Run a cron job now"),
    tag=TAG,
    path=JOB,
    responses=RUN_RESPONSES,
    streams=True,
    description=STREAM_NOTE,
)
def run_crontab_config(config_id: str):
    """Run now: a task record with origin ``manual``, whatever the schedule says."""
    config = service.get_config(db.session, config_id)
    func = funcs_service.get_func(db.session, config.func_id)
    code = scripts_service.revision_code(db.session, func.script_id, func.version)
    record, job = runs_service.prepare_call(
        db.session,
        func,
        code,
        config.kwargs,
        origin="manual",
        username=current_user.username,
        now=utcnow(),
        load_connectors=load_for_job,
        crontab_config_id=config.id,
        cron_expr=config.crontab,
    )
    return _respond(record, job)


@api.get("/crontab/pause")
@operation(N_("Whether every cron job is paused"), tag=TAG, responses={200: shapes.Pause})
def get_pause():
    setting = db.session.get(SchedulerSetting, "pause")
    until = setting.paused_until if setting else None
    active = until is not None and until > utcnow()
    return jsonify(paused=active, until=until.isoformat() if active else None)


@api.put("/crontab/pause")
@operation(
    N_("Pause every cron job for some minutes, or resume"),
    tag=TAG,
    body=PauseRequest,
    responses={200: shapes.Pause},
)
def set_pause(body: PauseRequest):
    """``{"minutes": N}`` pauses every job for N minutes (at most a week); 0 resumes."""
    minutes = body.minutes
    until = utcnow() + timedelta(minutes=min(minutes, MAX_PAUSE_MINUTES)) if minutes else None
    setting = db.session.get(SchedulerSetting, "pause") or SchedulerSetting(name="pause")
    setting.paused_until = until
    db.session.add(setting)
    db.session.commit()
    _wake_scheduler()
    return jsonify(paused=until is not None, until=until.isoformat() if until else None)
