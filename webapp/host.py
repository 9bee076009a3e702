"""The app's side of the scripts' host calls (``services.host_calls``): built once per app,
handed to every run as its ``on_call``."""

from __future__ import annotations

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

    app.extensions["funcpad.host"] = HostServices(
        sessions=sessions,
        cache=func_cache.backend_for(
            app.config["FUNCPAD_REDIS_URL"],
            sessions,
            app.config["FUNCPAD_CACHE_MAX_MB"] * 1024 * 1024,
            app.config["FUNCPAD_CACHE_KEY_PREFIX"],
        ),
        store_quota_bytes=app.config["FUNCPAD_STORE_MAX_MB"] * 1024 * 1024,
    )
