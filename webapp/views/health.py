"""``GET /healthz``: liveness for load balancers and humans; no login needed."""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from webapp.auth import public
from webapp.extensions import db
from webapp.runner.service import get_runner

bp = Blueprint("health", __name__)


def _scheduler_state() -> str:
    scheduler = current_app.extensions.get("funcpad.scheduler")
    return "off" if scheduler is None else scheduler.state


@bp.get("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # the point of a health check is to report, not to raise
        db.session.rollback()
        database = f"error: {exc.__class__.__name__}"
    failure = current_app.extensions["funcpad.point_writer"].failure
    points = "ok" if failure is None else f"error: {failure}"
    healthy = database == "ok" and failure is None
    body = {
        "status": "ok" if healthy else "degraded",
        "database": database,
        "points": points,
        "scheduler": _scheduler_state(),
        "sandbox": {**get_runner().layers.to_dict(), "pool": get_runner().stats()},
    }
    return jsonify(body), 200 if healthy else 503
