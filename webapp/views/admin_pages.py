"""Admin pages: what the sandbox can and cannot do on this machine."""

from flask import Blueprint, abort, render_template
from flask_login import current_user

from webapp.runner import packages
from webapp.runner.service import get_runner

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _admins_only():
    if not current_user.is_authenticated or not current_user.is_admin:
        abort(403)


@bp.get("/sandbox")
def sandbox():
    pool = get_runner()
    return render_template(
        "sandbox.html",
        layers=pool.layers,
        stats=pool.stats(),
        limits=pool.sandbox.limits(35),
        endpoints=pool.network_plan().endpoints,
        result_kb=pool.sandbox.config.result_bytes // 1024,
        packages_dir=pool.sandbox.config.packages_dir,
        packages=packages.installed(pool.sandbox.config.packages_dir),
        active_nav="sandbox",
    )
