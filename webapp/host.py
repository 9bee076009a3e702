"""The app's side of the scripts' host calls (``services.host_calls``): built once per app,
handed to every run as its ``on_call``."""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any

from flask import Flask, current_app
from sqlalchemy.orm import Session

from webapp.extensions import db
from webapp.services import func_cache
from webapp.services.host_calls import HostCalls, HostServices


def calls_for(job: dict[str, Any], app: Flask | None = None) -> HostCalls:
    """The ``on_call`` of one run (``job`` as the host built it)."""
    app = app or current_app._get_current_object()
    return HostCalls(app.extensions["funcpad.host"], job)


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine

    def sessions() -> Session:
        return Session(engine, expire_on_commit=False)

    def wake_queue() -> None:
        scheduler = app.extensions.get("funcpad.scheduler")
        if scheduler is not None:  # in this process; another process's notices within 0.5 s
            scheduler.wake.set()

    app.extensions["funcpad.host"] = HostServices(
        sessions=sessions,
        cache=func_cache.backend_for(
            app.config["FUNCPAD_REDIS_URL"],
            sessions,
            app.config["FUNCPAD_CACHE_MAX_MB"] * 1024 * 1024,
            app.config["FUNCPAD_CACHE_KEY_PREFIX"],
        ),
        store_quota_bytes=app.config["FUNCPAD_STORE_MAX_MB"] * 1024 * 1024,
        wake_queue=wake_queue,
        script_config=script_config(app),
        default_timezone=app.config["FUNCPAD_TIMEZONE"],
        sign_secret=hmac.new(
            app.config["SECRET_KEY"].encode(), b"DFF.SIGN", hashlib.sha256
        ).hexdigest(),
    )


def script_config(app: Flask) -> dict[str, Any]:
    """What DFF.CONFIG shows: DataFlux Func's TIMEZONE and APP_NAME, and CUSTOM_<NAME> from
    FUNCPAD_CUSTOM_<NAME> or DFF_CUSTOM_<NAME> environment variables."""
    config: dict[str, Any] = {"TIMEZONE": app.config["FUNCPAD_TIMEZONE"], "APP_NAME": "Funcpad"}
    for name, value in sorted(os.environ.items()):
        for prefix in ("DFF_CUSTOM_", "FUNCPAD_CUSTOM_"):
            if name.startswith(prefix) and len(name) > len(prefix):
                config["CUSTOM_" + name[len(prefix) :]] = value
    return config
