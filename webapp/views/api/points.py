"""Read side of the embedded receiver, for the Metrics and Logs views."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

from flask import current_app, jsonify, request
from pydantic import Field

from webapp.services.errors import N_, ServiceError
from webapp.views.api import api, fields, shapes
from webapp.views.api.operation import Query, operation

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


TAG = "metrics and logs"
STORE_RESPONSES = {503: shapes.Error}


class TagsQuery(Query):
    measurement: fields.NameArg


class MetricQuery(Query):
    measurement: fields.NameArg
    field: Annotated[list[fields.NameArg], Field(min_length=1, max_length=50)] = Field(
        description=N_("A field to chart; repeat for several.")
    )
    from_: fields.TimeArg | None = Field(
        None, alias="from", description=N_("Default: an hour before to.")
    )
    to: fields.TimeArg | None = Field(None, description=N_("Default: now."))
    max_points: fields.integer(10, 10_000, N_("Time buckets per series.")) = 1000


class LogsQuery(Query):
    source: fields.NameArg | None = None
    status: fields.QueryText | None = None
    q: fields.QueryText | None = Field(None, description=N_("Text in the message."))
    from_: fields.TimeArg | None = Field(None, alias="from")
    to: fields.TimeArg | None = None
    before_id: fields.Int64Id | None = Field(None, description=N_("Page backwards from this id."))
    limit: fields.integer(1, 1000, N_("How many lines, newest first.")) = 100


def _time_arg(name: str, raw: str | None, default: int) -> int:
    """ISO 8601, epoch seconds/ms, or a relative ``-15m``/``-6h``/``-7d`` (from now)."""
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
@operation(
    N_("Measurements with their fields and tag keys"),
    tag=TAG,
    responses={200: list[shapes.Measurement], **STORE_RESPONSES},
)
def measurements():
    out = []
    for entry in _store().measurements():
        out.append({**entry, "last_time": _iso(entry["last_time"])})
    return jsonify(out)


@api.get("/metrics/tags")
@operation(
    N_("The tag values of a measurement"),
    tag=TAG,
    query=TagsQuery,
    responses={200: dict[str, list[str]], **STORE_RESPONSES},
)
def metric_tags(query: TagsQuery):
    return jsonify(_store().tag_values(query.measurement))


@api.get("/metrics/query")
@operation(
    N_("Series of metric fields over time"),
    tag=TAG,
    query=MetricQuery,
    responses={200: shapes.MetricQuery, **STORE_RESPONSES},
    description=N_("Filter by tag with `tag.<key>=<value>` (repeat for several values)."),
)
def metric_query(query: MetricQuery):
    now = time.time_ns()
    end = _time_arg("to", query.to, now)
    start = _time_arg("from", query.from_, end - DEFAULT_RANGE_NS)
    if start >= end:
        raise ServiceError("invalid_time", N_("from must be before to."), field="from")
    filters: dict[str, list[str]] = {}
    for key, value in request.args.items(multi=True):
        if key.startswith("tag."):
            filters.setdefault(key[4:], []).append(value)
    series = []
    for field in query.field:
        for item in _store().query_metric(
            query.measurement, field, start, end, filters, query.max_points
        ):
            series.append(
                {
                    "field": field,
                    "tags": item["tags"],
                    "points": [[_iso(t), v] for t, v in item["points"]],
                }
            )
    return jsonify(series=series, **{"from": _iso(start), "to": _iso(end)})


@api.get("/logs")
@operation(
    N_("Log lines, newest first"),
    tag=TAG,
    query=LogsQuery,
    responses={200: shapes.LogPage, **STORE_RESPONSES},
)
def logs(query: LogsQuery):
    now = time.time_ns()
    rows = _store().query_logs(
        source=query.source,
        status=query.status,
        text=query.q,
        start_ns=_time_arg("from", query.from_, 0) if query.from_ else None,
        end_ns=_time_arg("to", query.to, now) if query.to else None,
        before_id=query.before_id,
        limit=query.limit,
    )
    for row in rows:
        row["time"] = _iso(row["time"])
    return jsonify(logs=rows, next_before_id=rows[-1]["id"] if rows else None)


@api.get("/logs/sources")
@operation(
    N_("The sources that wrote logs"),
    tag=TAG,
    responses={200: list[str], **STORE_RESPONSES},
)
def log_sources():
    return jsonify(sorted(_store().log_sources()))
