"""Task records: every run in one place (debug, api, crontab, manual), and one run in detail."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, render_template, request
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import TaskRecord
from webapp.models.task_records import ORIGINS, STATUSES

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
PAGE = 50
FILTERS = ("origin", "status", "func_id", "crontab_config_id", "origin_id")


@bp.get("")
def index():
    filters = {name: request.args.get(name, "") for name in FILTERS}
    query = select(TaskRecord).order_by(TaskRecord.created_at.desc(), TaskRecord.id)
    for name, value in filters.items():
        if value:
            query = query.where(getattr(TaskRecord, name) == value)
    for name, op in (("from", "ge"), ("to", "le")):
        moment = _moment(request.args.get(name))
        if moment is not None:
            column = TaskRecord.created_at
            query = query.where(column >= moment if op == "ge" else column <= moment)
    before = request.args.get("before")
    if before:
        anchor = db.session.get(TaskRecord, before)
        if anchor is not None:
            query = query.where(TaskRecord.created_at < anchor.created_at)
    records = db.session.scalars(query.limit(PAGE + 1)).all()
    more = len(records) > PAGE
    return render_template(
        "tasks.html",
        records=records[:PAGE],
        filters=filters,
        origins=ORIGINS,
        statuses=STATUSES,
        next_before=records[PAGE - 1].id if more else None,
        active_nav="tasks",
    )


def _moment(raw: str | None) -> datetime | None:
    """A ``datetime-local`` value (taken as UTC, like every time on this page) or None."""
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@bp.get("/<task_id>")
def detail(task_id: str):
    record = db.session.get(TaskRecord, task_id)
    if record is None:
        abort(404)
    return render_template("task_detail.html", record=record, active_nav="tasks")
