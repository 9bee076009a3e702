"""The platform's figures sent to the ``datakit`` connector as metrics (the platform observed
with its users' own tool), every ``FUNCPAD_SELF_METRICS_SECONDS`` by the scheduler's holder.

Each family becomes one measurement named like the Prometheus family; its labels are tags and
its value the field ``value`` (a histogram sends ``sum`` and ``count``, not its buckets).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from webapp import host
from webapp.extensions import db
from webapp.metrics.collect import collect
from webapp.metrics.exposition import Family
from webapp.sdk.datakit import DataKit

log = logging.getLogger(__name__)

CONNECTOR_ID = "datakit"


def points_of(families: list[Family], extra_tags: dict[str, str]) -> list[dict[str, Any]]:
    """Line-protocol points (``DataKit.write_metrics`` dicts) of ``families``."""
    points = []
    for family in families:
        grouped: dict[tuple, dict[str, float]] = {}
        for suffix, labels, value in family.samples:
            if suffix == "_bucket":
                continue
            field = suffix.removeprefix("_") or "value"
            key = tuple(sorted(labels.items()))
            grouped.setdefault(key, {})[field] = value
        for key, fields in grouped.items():
            points.append(
                {"measurement": family.name, "tags": {**extra_tags, **dict(key)}, "fields": fields}
            )
    return points


def send(app: Flask) -> int:
    """Write the figures to the ``datakit`` connector now; how many points were sent (0 when
    the connector is not there or not a DataKit one)."""
    with app.app_context():
        try:
            connectors = host.load_for_job(db.session, {CONNECTOR_ID})
            connector = connectors.get(CONNECTOR_ID)
            if connector is None or connector["type"] != "datakit":
                return 0
            families = collect(app)
        finally:
            db.session.remove()
    datakit = DataKit(**connector["config"])
    points = points_of(families, {"service": "funcpad"})
    if points:
        datakit.write_metrics(points)
    return len(points)
