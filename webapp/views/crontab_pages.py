"""Cron job pages: the list (enable, Run now, bulk, pause) and the create/edit form."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import get_locale

from webapp.extensions import db
from webapp.models import CrontabConfig
from webapp.services import crontab as service
from webapp.services import funcs as funcs_service

bp = Blueprint("crontab_pages", __name__, url_prefix="/crontab")


@bp.get("")
def index():
    configs = db.session.scalars(
        db.select(CrontabConfig).order_by(CrontabConfig.created_at.desc())
    ).all()
    last = service.last_runs(db.session, [c.id for c in configs])
    titles = {f.id: f.title for f in funcs_service.list_funcs(db.session, include_hidden=True)}
    jobs = [service.to_json(c, last.get(c.id), str(get_locale())) for c in configs]
    return render_template("crontab.html", jobs=jobs, titles=titles, active_nav="crontab")


def _form(job: dict | None):
    funcs = [funcs_service.to_json(f) for f in funcs_service.list_funcs(db.session)]
    return render_template(
        "crontab_form.html",
        job=job,
        funcs=funcs,
        timezones=service.canonical_timezones(),
        default_timezone=current_app.config["FUNCPAD_TIMEZONE"],
        active_nav="crontab",
    )


@bp.get("/new")
def new():
    return _form(None)


@bp.get("/<config_id>/edit")
def edit(config_id: str):
    config = service.get_config(db.session, config_id)
    return _form(service.to_json(config, None, str(get_locale())))
