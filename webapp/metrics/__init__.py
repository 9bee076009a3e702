"""The platform observes itself: counters every process adds to, ``/metrics`` for Prometheus,
the System page, and (optionally) the same figures sent to the ``datakit`` connector."""

from __future__ import annotations

from flask import Flask

from webapp.extensions import db
from webapp.metrics.counters import Counters


def counters_of(app: Flask) -> Counters:
    return app.extensions["funcpad.counters"]


def count_run(app: Flask, record) -> None:
    """A run ended (its record says how): count it, and write the counts now and then."""
    error = record.error if isinstance(record.error, dict) else {}
    counter = counters_of(app)
    counter.run_finished(record.origin, record.status, record.duration_ms, error.get("type"))
    try:
        counter.maybe_flush()
    except Exception:  # counting must never fail a run; the counts wait for the next flush
        app.logger.warning("writing the platform counters failed", exc_info=True)


def init_app(app: Flask) -> None:
    from webapp.metrics import views

    with app.app_context():
        app.extensions["funcpad.counters"] = Counters(db.engine)
    views.init_app(app)
