"""Funcpad: write Python functions in the browser, run them sandboxed, publish and schedule them."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` entries override what ``FUNCPAD_*`` variables say.

    ``config`` may also carry ``FUNCPAD_*`` keys, which are read exactly as the environment
    variables of the same name (tests use this to point at a temporary data directory).
    """
    from webapp import auth, cli, database, executor, host, i18n, metrics, receiver, views
    from webapp.config import load_config
    from webapp.runner import service as runner
    from webapp.scheduler import loop as scheduler

    overrides = dict(config or {})
    environ = {
        **os.environ,
        **{k: str(v) for k, v in overrides.items() if k.startswith("FUNCPAD_")},
    }

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(load_config(environ))
    app.config.update({k: v for k, v in overrides.items() if not k.startswith("FUNCPAD_")})
    _configure_logging(app)

    database.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    runner.init_app(app)
    host.init_app(app)
    executor.init_app(app)
    metrics.init_app(app)
    receiver.init_app(app)
    views.init_app(app)
    cli.init_app(app)
    scheduler.init_app(app)
    return app


def _configure_logging(app: Flask) -> None:
    from webapp import logs

    logs.configure(app.config["FUNCPAD_LOG_FORMAT"], logs.role_from_environment())
    app.logger.setLevel(logging.INFO)
