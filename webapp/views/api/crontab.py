"""Cron jobs, their schedule preview, Run now, bulk enable/disable and the global pause."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, jsonify, request
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import CrontabConfig, SchedulerSetting
from webapp.models.types import utcnow
from webapp.services import crontab as service
from webapp.services import funcs as funcs_service
from webapp.services import runs as runs_service
from webapp.services import scripts as scripts_service
from webapp.services.errors import N_, ServiceError
from webapp.views.api import api
from webapp.views.api.connectors import load_for_job
from webapp.views.api.payload import json_object
from webapp.views.api.runs import _respond

MAX_PAUSE_MINUTES = 7 * 24 * 60  # longer pauses are cut to a week


def _locale() -> str:
    return str(get_locale() or "en")


def _wake_scheduler() -> None:
    scheduler = current_app.extensions.get("funcpad.scheduler")
    if scheduler is not None:
        scheduler.wake.set()


@api.post("/crontab/preview")
def preview_crontab():
    data = json_object()
    return jsonify(
        service.preview(
            data.get("crontab"),
            data.get("timezone") or current_app.config["FUNCPAD_TIMEZONE"],
            utcnow(),
            _locale(),
        )
    )


@api.get("/crontab-configs")
def list_crontab_configs():
    query = select(CrontabConfig).order_by(CrontabConfig.created_at.desc())
    if request.args.get("func_id"):
        query = query.where(CrontabConfig.func_id == request.args["func_id"])
    if request.args.get("enabled") in ("true", "false"):
        query = query.where(CrontabConfig.enabled.is_(request.args["enabled"] == "true"))
    configs = db.session.scalars(query).all()
    text = (request.args.get("q") or "").lower()
    tag = request.args.get("tag")
    if text:
        configs = [
            c for c in configs if text in f"{c.id} {c.func_id} {c.note} {' '.join(c.tags)}".lower()
        ]
    if tag:
        configs = [c for c in configs if tag in c.tags]
    last = service.last_runs(db.session, [c.id for c in configs])
    return jsonify([service.to_json(c, last.get(c.id), _locale()) for c in configs])


@api.post("/crontab-configs")
def create_crontab_config():
    config = service.create_config(
        db.session,
        json_object(),
        username=current_user.username,
        now=utcnow(),
        default_timezone=current_app.config["FUNCPAD_TIMEZONE"],
    )
    db.session.commit()
    _wake_scheduler()
    return jsonify(service.to_json(config, None, _locale())), 201


@api.get("/crontab-configs/<config_id>")
def get_crontab_config(config_id: str):
    config = service.get_config(db.session, config_id)
    last = service.last_runs(db.session, [config.id]).get(config.id)
    return jsonify(service.to_json(config, last, _locale()))


@api.patch("/crontab-configs/<config_id>")
def update_crontab_config(config_id: str):
    config = service.get_config(db.session, config_id)
    service.update_config(
        db.session,
        config,
        json_object(),
        username=current_user.username,
        now=utcnow(),
        default_timezone=current_app.config["FUNCPAD_TIMEZONE"],
    )
    db.session.commit()
    _wake_scheduler()
    last = service.last_runs(db.session, [config.id]).get(config.id)
    return jsonify(service.to_json(config, last, _locale()))


@api.delete("/crontab-configs/<config_id>")
def delete_crontab_config(config_id: str):
    db.session.delete(service.get_config(db.session, config_id))
    db.session.commit()
    return "", 204


@api.post("/crontab-configs/bulk")
def bulk_crontab_configs():
    data = json_object()
    ids, enabled = data.get("ids"), data.get("enabled")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ServiceError(
            "invalid_type",
            N_("%(field)s must be of type %(expected)s."),
            field="ids",
            params={"field": "ids", "expected": "array"},
        )
    if not isinstance(enabled, bool):
        raise ServiceError(
            "invalid_type",
            N_("%(field)s must be true or false."),
            field="enabled",
            params={"field": "enabled"},
        )
    now = utcnow()
    changed = []
    for config_id in ids:
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
def get_pause():
    setting = db.session.get(SchedulerSetting, "pause")
    until = setting.paused_until if setting else None
    active = until is not None and until > utcnow()
    return jsonify(paused=active, until=until.isoformat() if active else None)


@api.put("/crontab/pause")
def set_pause():
    """``{"minutes": N}`` pauses every job for N minutes (at most a week); 0 resumes."""
    minutes = json_object().get("minutes")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
        raise ServiceError(
            "invalid_number",
            N_("%(field)s must be %(low)s-%(high)s."),
            field="minutes",
            params={"field": "minutes", "low": 0, "high": 10080},
        )
    until = utcnow() + timedelta(minutes=min(minutes, MAX_PAUSE_MINUTES)) if minutes else None
    setting = db.session.get(SchedulerSetting, "pause") or SchedulerSetting(name="pause")
    setting.paused_until = until
    db.session.add(setting)
    db.session.commit()
    _wake_scheduler()
    return jsonify(paused=until is not None, until=until.isoformat() if until else None)
