"""DataKit's ``/v1/ping`` and ``/v1/write/<category>`` as plain functions (no Flask, no server).

Both servers of the receiver answer through these: the app's blueprint (``views.py``, for the
app's own port and the development server) and the ingest server (``server.py``, the receiver's
own port under gunicorn). A request is a ``WriteRequest``; the answer is an ``Answer`` that
each server sends in its own way.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from webapp.receiver.ingest import IngestError, Params, ingest, too_large
from webapp.receiver.writer import StoreFailing, WriterBusy
from webapp.sdk import lineprotocol

VERSION = "1.0.0-funcpad"
HOSTNAME = socket.gethostname()  # the global host tag, as an agent adds its host's name


@dataclass
class WriteRequest:
    category: str
    query: Mapping[str, str]  # the first value of each parameter
    body: bytes
    remote_addr: str
    content_type: str | None = None
    content_encoding: str | None = None
    authorization: str = ""


@dataclass
class Answer:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    code: str | None = None  # DataKit's error_code of a refusal


@dataclass
class WriteSettings:
    hostname: str
    max_body: int
    ingest_token: str | None = None


def error(code: str, message: str, status: int = 400) -> Answer:
    """DataKit's error body; ``datakit.emptyBody`` and ``datakit.noPoints`` carry no message."""
    payload = {"error_code": code, "message": message} if message else {"error_code": code}
    return Answer(status, json.dumps(payload).encode(), "application/json", code=code)


def ping(started_monotonic: float, hostname: str) -> Answer:
    uptime = int(time.monotonic() - started_monotonic)
    content = {
        "version": VERSION,
        "uptime": f"{uptime // 3600}h{uptime % 3600 // 60}m{uptime % 60}s",
        "host": hostname,
        "commit": "embedded",
    }
    return Answer(200, json.dumps({"content": content}).encode(), "application/json")


def _flag(query: Mapping[str, str], name: str) -> bool:
    """DataKit's boolean parameters are on whenever present and non-empty (dry=0 is dry)."""
    return bool(query.get(name))


def _from_loopback(remote_addr: str) -> bool:
    try:
        return ipaddress.ip_address(remote_addr or "").is_loopback
    except ValueError:
        return False


def authorized(request: WriteRequest, ingest_token: str | None) -> bool:
    """Loopback writes need nothing (as an agent's); others the ingest token."""
    if _from_loopback(request.remote_addr):
        return True
    if not ingest_token:
        return False
    given = request.query.get("token") or request.authorization.removeprefix("Bearer ").strip()
    return bool(given) and given == ingest_token


def write(
    request: WriteRequest,
    settings: WriteSettings,
    store_points: Callable[[str, list[dict[str, Any]]], None],
    now_ns: int | None = None,
    on_refused: Callable[[str], None] | None = None,
) -> Answer:
    """Parse, check and (unless ``dry``) store one write; ``store_points`` returns once the
    points are stored (or raises ``WriterBusy``/``StoreFailing``), so a 200 means stored.
    ``on_refused`` hears the error code of a write that was refused."""
    answer = _write(request, settings, store_points, now_ns)
    if answer.code is not None and on_refused is not None:
        on_refused(answer.code)
    return answer


def _write(
    request: WriteRequest,
    settings: WriteSettings,
    store_points: Callable[[str, list[dict[str, Any]]], None],
    now_ns: int | None,
) -> Answer:
    if not authorized(request, settings.ingest_token):
        return error(
            "datakit.tokenNotFound",
            "writes from outside this host need the ingest token (FUNCPAD_INGEST_TOKEN) as ?token=",
            401,
        )
    query = request.query
    params = Params(
        precision=query.get("precision") or None,
        input=query.get("input") or None,
        echo=query.get("echo") or None,
        dry=_flag(query, "dry"),
        strict=_flag(query, "strict"),
        ignore_global_host_tags=_flag(query, "ignore_global_host_tags"),
    )
    if params.echo == "pbjson":
        return error(
            "datakit.echoNotSupported",
            "echo=pbjson (protobuf JSON) is not supported by the embedded receiver; use "
            "echo=json or echo=lp",
        )
    try:
        result = ingest(
            request.category,
            request.body,
            request.content_type,
            request.content_encoding,
            params,
            time.time_ns() if now_ns is None else now_ns,
            settings.hostname,
            settings.max_body,
        )
    except IngestError as exc:
        return error(exc.code, exc.message, exc.status)
    if not params.dry:
        try:
            store_points(request.category, result.points)
        except (WriterBusy, StoreFailing) as exc:
            return error("datakit.busy", str(exc), 503)
    echoed = result.echoed if result.echoed is not None else result.points
    if params.echo == "json":
        return Answer(200, json.dumps(echoed, ensure_ascii=False).encode(), "application/json")
    if params.echo == "lp":
        lines = [
            lineprotocol.encode_point(
                p["measurement"], p["tags"], p["fields"], p["time"], shortest_floats=True
            )
            for p in echoed
        ]
        return Answer(200, "\n".join(lines).encode(), "text/plain; charset=utf-8")
    return Answer(200)


def body_too_large(limit: int) -> Answer:
    """A body over the cap, refused before it is read whole."""
    exc = too_large(limit)
    return error(exc.code, exc.message, exc.status)


def query_raw() -> Answer:
    """The real agent forwards DQL to the cloud; the embedded receiver has no query engine."""
    return error(
        "datakit.queryNotSupported",
        "the embedded receiver stores points for the Metrics and Logs views but cannot run DQL "
        "queries; point the connector at a DataKit agent connected to Guance to use query()",
    )


def unknown(method: str, path: str) -> Answer:
    if path.startswith("/v1/write/"):
        if method != "POST":
            return error("datakit.methodNotAllowed", "writes are POST requests", 405)
        return error("datakit.invalidCategory", "invalid category")
    return error("datakit.notFound", f"no such API: {path}", 404)
