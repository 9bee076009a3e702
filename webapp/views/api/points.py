"""Read side of the embedded receiver, for the Metrics and Logs views."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from flask import current_app, jsonify, request

from webapp.services.errors import N_, ServiceError
from webapp.views.api import api
from webapp.views.api.payload import int_arg

DEFAULT_RANGE_NS = 3600 * 10**9


READ_WAIT_SECONDS = 3.0  # a read waits this long for accepted points to be stored


def _store():
    """The point store, once the points accepted so far by this process are in it; a clear
    503 within seconds (not a hang) while the store cannot write."""
    writer = current_app.extensions["funcpad.point_writer"]
    stored = writer.flush(READ_WAIT_SECONDS)
    if not stored and writer.failure is None:
        writer.flush(30.0 - READ_WAIT_SECONDS)  # only slow, not failing: wait as before
    elif not stored:
        raise ServiceError(
            "storage_failure",
            N_("The point store cannot write (%(cause)s); points are kept and retried."),
            status=503,
            params={"cause": writer.failure},
        )
    return current_app.extensions["funcpad.points"]


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat()


MAX_TIME_NS = 2**63 - 1  # what the point store's INTEGER column holds (year 2262)


def _time_arg(name: str, default: int) -> int:
    """ISO 8601, epoch seconds/ms, or a relative ``-15m``/``-6h``/``-7d`` (from now)."""
    raw = request.args.get(name)
    if not raw:
        return default
    now = time.time_ns()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        if raw.startswith("-") and raw[-1] in units:
            value = now - int(float(raw[1:-1]) * units[raw[-1]] * 10**9)
        elif raw.replace(".", "", 1).isdigit():
            number = float(raw)
            value = int(number * (10**9 if number < 1e11 else 10**6))
        else:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            value = int(moment.timestamp() * 10**9)
    except (ValueError, OverflowError):
        value = None
    if value is None or not 0 <= value <= MAX_TIME_NS:
        raise ServiceError(
            "invalid_time",
            N_("%(field)s must be ISO 8601, epoch seconds or like -15m."),
            field=name,
            params={"field": name},
        )
    return value


@api.get("/metrics/measurements")
def measurements():
    out = []
    for entry in _store().measurements():
        out.append({**entry, "last_time": _iso(entry["last_time"])})
    return jsonify(out)


@api.get("/metrics/tags")
def metric_tags():
    measurement = request.args.get("measurement", "")
    if not measurement:
        raise ServiceError(
            "missing_field",
            N_("%(field)s is required."),
            field="measurement",
            params={"field": "measurement"},
        )
    return jsonify(_store().tag_values(measurement))


@api.get("/metrics/query")
def metric_query():
    measurement = request.args.get("measurement", "")
    fields = request.args.getlist("field")
    if not measurement:
        raise ServiceError(
            "missing_field",
            N_("%(field)s is required."),
            field="measurement",
            params={"field": "measurement"},
        )
    if not fields:
        raise ServiceError(
            "missing_field", N_("%(field)s is required."), field="field", params={"field": "field"}
        )
    now = time.time_ns()
    end = _time_arg("to", now)
    start = _time_arg("from", end - DEFAULT_RANGE_NS)
    if start >= end:
        raise ServiceError("invalid_time", N_("from must be before to."), field="from")
    filters: dict[str, list[str]] = {}
    for key, value in request.args.items(multi=True):
        if key.startswith("tag."):
            filters.setdefault(key[4:], []).append(value)
    max_points = int_arg("max_points", 1000, 10, 10_000)
    series = []
    for field in fields:
        for item in _store().query_metric(measurement, field, start, end, filters, max_points):
            series.append(
                {
                    "field": field,
                    "tags": item["tags"],
                    "points": [[_iso(t), v] for t, v in item["points"]],
                }
            )
    return jsonify(series=series, **{"from": _iso(start), "to": _iso(end)})


@api.get("/logs")
def logs():
    now = time.time_ns()
    before = int_arg("before_id", None, minimum=1)
    rows = _store().query_logs(
        source=request.args.get("source") or None,
        status=request.args.get("status") or None,
        text=request.args.get("q") or None,
        start_ns=_time_arg("from", 0) if request.args.get("from") else None,
        end_ns=_time_arg("to", now) if request.args.get("to") else None,
        before_id=before,
        limit=int_arg("limit", 100, 1, 1000),
    )
    for row in rows:
        row["time"] = _iso(row["time"])
    return jsonify(logs=rows, next_before_id=rows[-1]["id"] if rows else None)


@api.get("/logs/sources")
def log_sources():
    return jsonify(sorted(_store().log_sources()))
