"""The embedded DataKit-compatible receiver: write API, point store, retention."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from flask import Flask

from webapp.auth import csrf_exempt_prefix
from webapp.receiver.store import PointStore
from webapp.receiver.writer import PointWriter

log = logging.getLogger(__name__)
PRUNE_EVERY_SECONDS = 3600


def _retention_loop(store: PointStore, days: int, stop: threading.Event) -> None:
    """First pass a minute after start, then hourly; each pass deletes in small batches."""
    delay = 60
    while not stop.wait(delay):
        delay = PRUNE_EVERY_SECONDS
        cutoff = time.time_ns() - days * 86_400 * 10**9
        try:
            removed = store.prune(cutoff)
            if removed:
                log.info("retention: removed %d points older than %d days", removed, days)
        except Exception:  # a busy database must not kill the thread
            log.exception("retention pass failed")


def init_app(app: Flask) -> None:
    from webapp.receiver.views import bp

    store = PointStore(Path(app.config["FUNCPAD_DATA_DIR"]) / "points.db")
    app.extensions["funcpad.points"] = store
    app.extensions["funcpad.point_writer"] = PointWriter(store)
    app.register_blueprint(bp)
    csrf_exempt_prefix(app, "/v1/")
    # The receiver's own port is not the app's: webapp/receiver/server.py answers it (started
    # by gunicorn.conf.py), with the DataKit paths only.
    days = app.config["FUNCPAD_POINTS_RETENTION_DAYS"]
    if days and app.config["FUNCPAD_RETENTION_THREAD"]:
        stop = threading.Event()
        app.extensions["funcpad.retention_stop"] = stop
        threading.Thread(
            target=_retention_loop, args=(store, days, stop), name="points-retention", daemon=True
        ).start()
