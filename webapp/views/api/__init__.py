"""The JSON interface under /api/v1 (see shared/reference/api-v1.md)."""

from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api/v1")

from webapp.views.api import (  # noqa: E402,F401  (routes register on import)
    connectors,
    crontab,
    env_vars,
    examples,
    func_apis,
    openapi,
    packages,
    points,
    runs,
    script_sets,
    scripts,
)
