"""``/v1/ping`` and ``/v1/write/<category>``: DataKit's HTTP API, served by the app itself."""

from __future__ import annotations

import ipaddress
import socket
import time

from flask import Blueprint, Response, current_app, jsonify, request

from webapp.auth import public
from webapp.receiver.ingest import IngestError, Params, ingest
from webapp.receiver.writer import StoreFailing, WriterBusy
from webapp.sdk import lineprotocol

bp = Blueprint("receiver", __name__, url_prefix="/v1")
VERSION = "1.0.0-funcpad"
STARTED = time.monotonic()
HOSTNAME = socket.gethostname()


def _flag(name: str) -> bool:
    """DataKit's boolean parameters are on whenever present and non-empty (dry=0 is dry)."""
    return bool(request.args.get(name))


def _error(code: str, message: str, status: int = 400):
    if not message:  # datakit.emptyBody, datakit.noPoints: the agent sends the code alone
        return jsonify(error_code=code), status
    return jsonify(error_code=code, message=message), status


def _from_loopback() -> bool:
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _authorized() -> bool:
    if _from_loopback():
        return True
    expected = current_app.config.get("FUNCPAD_INGEST_TOKEN")
    if not expected:
        return False
    header = request.headers.get("Authorization", "")
    given = request.args.get("token") or header.removeprefix("Bearer ").strip()
    return bool(given) and given == expected


@bp.get("/ping")
@public
def ping():
    uptime = int(time.monotonic() - STARTED)
    return jsonify(
        content={
            "version": VERSION,
            "uptime": f"{uptime // 3600}h{uptime % 3600 // 60}m{uptime % 60}s",
            "host": HOSTNAME,
            "commit": "embedded",
        }
    )


@bp.post("/write/<category>")
@public
def write(category: str):
    if not _authorized():
        return _error(
            "datakit.tokenNotFound",
            "writes from outside this host need the ingest token (FUNCPAD_INGEST_TOKEN) as ?token=",
            401,
        )
    params = Params(
        precision=request.args.get("precision") or None,
        input=request.args.get("input") or None,
        echo=request.args.get("echo") or None,
        dry=_flag("dry"),
        strict=_flag("strict"),
        ignore_global_host_tags=_flag("ignore_global_host_tags"),
    )
    if params.echo == "pbjson":
        return _error(
            "datakit.echoNotSupported",
            "echo=pbjson (protobuf JSON) is not supported by the embedded receiver; use "
            "echo=json or echo=lp",
        )
    try:
        result = ingest(
            category,
            request.get_data(cache=False),
            request.content_type,
            request.headers.get("Content-Encoding"),
            params,
            time.time_ns(),
            HOSTNAME,
            current_app.config["FUNCPAD_RECEIVER_MAX_BODY_MB"] * 1024 * 1024,
        )
    except IngestError as exc:
        return _error(exc.code, exc.message, exc.status)
    if not params.dry:
        # Stored right after the answer, as DataKit forwards points after it (writer.py).
        try:
            current_app.extensions["funcpad.point_writer"].submit(category, result.points)
        except (WriterBusy, StoreFailing) as exc:
            return _error("datakit.busy", str(exc), 503)
    echoed = result.echoed if result.echoed is not None else result.points
    if params.echo == "json":
        return jsonify(echoed)
    if params.echo == "lp":
        lines = [
            lineprotocol.encode_point(
                p["measurement"], p["tags"], p["fields"], p["time"], shortest_floats=True
            )
            for p in echoed
        ]
        return Response("\n".join(lines), mimetype="text/plain")
    return Response(status=200)


@bp.post("/query/raw")
@public
def query_raw():
    """The real agent forwards DQL to the cloud; the embedded receiver has no query engine."""
    return _error(
        "datakit.queryNotSupported",
        "the embedded receiver stores points for the Metrics and Logs views but cannot run DQL "
        "queries; point the connector at a DataKit agent connected to Guance to use query()",
    )


@bp.route("/<path:_rest>", methods=["GET", "POST"])
@public
def unknown(_rest: str):
    if request.path.startswith("/v1/write/"):
        if request.method != "POST":
            return _error("datakit.methodNotAllowed", "writes are POST requests", 405)
        return _error("datakit.invalidCategory", "invalid category")
    return _error("datakit.notFound", f"no such API: {request.path}", 404)
