"""Read side of the embedded receiver, for the Metrics and Logs views."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from flask import current_app, jsonify, request

from webapp.services.errors import N_, ServiceError
from webapp.views.api import api

DEFAULT_RANGE_NS = 3600 * 10**9


def _store():
    """The point store, once the points accepted so far by this process are in it."""
    current_app.extensions["funcpad.point_writer"].flush()
    return current_app.extensions["funcpad.points"]


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat()


def _time_arg(name: str, default: int) -> int:
    """ISO 8601, epoch seconds/ms, or a relative ``-15m``/``-6h``/``-7d`` (from now)."""
    raw = request.args.get(name)
    if not raw:
        return default
    now = time.time_ns()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        if raw.startswith("-") and raw[-1] in units:
            return now - int(float(raw[1:-1]) * units[raw[-1]] * 10**9)
        if raw.replace(".", "", 1).isdigit():
            value = float(raw)
            return int(value * (10**9 if value < 1e11 else 10**6))
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp() * 10**9)
    except ValueError:
        raise ServiceError(
            "invalid_time",
            N_("%(field)s must be ISO 8601, epoch seconds or like -15m."),
            field=name,
            params={"field": name},
        ) from None


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ServiceError(
            "invalid_number",
            N_("%(field)s must be %(low)s-%(high)s."),
            field=name,
            params={"field": name, "low": low, "high": high},
        )
    return int(raw)


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
    max_points = _int_arg("max_points", 1000, 10, 10_000)
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
    before = request.args.get("before_id")
    if before is not None and not before.isdigit():
        raise ServiceError(
            "invalid_number",
            N_("%(field)s must be %(low)s-%(high)s."),
            field="before_id",
            params={"field": "before_id", "low": 1, "high": "∞"},
        )
    rows = _store().query_logs(
        source=request.args.get("source") or None,
        status=request.args.get("status") or None,
        text=request.args.get("q") or None,
        start_ns=_time_arg("from", 0) if request.args.get("from") else None,
        end_ns=_time_arg("to", now) if request.args.get("to") else None,
        before_id=int(before) if before else None,
        limit=_int_arg("limit", 100, 1, 1000),
    )
    for row in rows:
        row["time"] = _iso(row["time"])
    return jsonify(logs=rows, next_before_id=rows[-1]["id"] if rows else None)


@api.get("/logs/sources")
def log_sources():
    return jsonify(sorted(_store().log_sources()))
