"""The Packages page: DataFlux Func's PIP tool. The page reads and acts through /api/v1/packages
(static/js/packages.js); this view renders the first state."""

from __future__ import annotations

import os

from flask import Blueprint, current_app, render_template
from flask_login import current_user
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import ScriptSet
from webapp.runner.sandbox import reachable_by
from webapp.services import packages as service

bp = Blueprint("package_pages", __name__, url_prefix="/packages")


def _job_uid() -> int:
    """The uid a slot's jobs run as (the first slot's when the app is root)."""
    return current_app.config["FUNCPAD_SANDBOX_UID_BASE"] if os.geteuid() == 0 else os.getuid()


@bp.get("")
def index():
    folder = current_app.config.get("FUNCPAD_USER_PACKAGES")
    shown = service.overview(db.session, folder, current_app.config["FUNCPAD_SANDBOX_PACKAGES"])
    db.session.commit()  # a job found dead is recorded as such
    sets = db.session.scalars(
        select(ScriptSet).where(ScriptSet.requirements != "").order_by(ScriptSet.id)
    ).all()
    return render_template(
        "packages.html",
        folder=folder,
        installed=shown["installed"],
        runtime=shown["runtime"],
        running=shown["running"],
        recent=shown["recent_jobs"],
        sets=[s for s in sets if (s.requirements or "").strip()],
        can_change=bool(getattr(current_user, "is_admin", False)) and bool(folder),
        unreachable=bool(folder) and not reachable_by(folder, _job_uid()),
        active_nav="packages",
    )
