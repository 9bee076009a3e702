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
from webapp.services import connectors as connector_service
from webapp.services import func_cache
from webapp.services.host_calls import HostCalls, HostServices


def calls_for(job: dict[str, Any], app: Flask | None = None) -> HostCalls:
    """The ``on_call`` of one run (``job`` as the host built it)."""
    app = app or current_app._get_current_object()
    return HostCalls(app.extensions["funcpad.host"], job)


def embedded_url(app: Flask | None = None) -> str:
    """Where runs reach the embedded receiver: ``FUNCPAD_RECEIVER_URL`` when set (a worker on
    another host), else its own DataKit-only listener on this host (the app's port only when
    that listener is off; scripts cannot reach the app's port)."""
    config = (app or current_app).config
    if config.get("FUNCPAD_RECEIVER_URL"):
        return config["FUNCPAD_RECEIVER_URL"]
    bind = config["FUNCPAD_RECEIVER_BIND"] or config["FUNCPAD_BIND"]
    host, _, port = bind.rpartition(":")
    if host in ("0.0.0.0", "::", "[::]", ""):
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def load_for_job(session: Session, ids) -> dict[str, dict[str, Any]]:
    """The connectors a job names (all of them for ``None``), as the sandbox gets them."""
    return connector_service.for_sandbox(session, ids, embedded_url())


def sandbox_endpoints() -> list[tuple[str, int]]:
    """Every (host, port) a connector points at: what the sandbox's network lets runs reach."""
    return connector_service.endpoints(db.session, embedded_url())


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
