"""``/v1/ping`` and ``/v1/write/<category>`` on the app's own port (and the development
server): DataKit's HTTP API, answered by ``write_api`` like the receiver's own port."""

from __future__ import annotations

import time

from flask import Blueprint, Response, current_app, request

from webapp.auth import public
from webapp.receiver import write_api

bp = Blueprint("receiver", __name__, url_prefix="/v1")
STARTED = time.monotonic()
HOSTNAME = write_api.HOSTNAME


def _response(answer: write_api.Answer) -> Response:
    response = Response(answer.body, status=answer.status, content_type=answer.content_type)
    response.headers.update(answer.headers)
    return response


def settings() -> write_api.WriteSettings:
    config = current_app.config
    return write_api.WriteSettings(
        hostname=HOSTNAME,
        max_body=config["FUNCPAD_RECEIVER_MAX_BODY_MB"] * 1024 * 1024,
        ingest_token=config.get("FUNCPAD_INGEST_TOKEN"),
    )


@bp.get("/ping")
@public
def ping():
    return _response(write_api.ping(STARTED, HOSTNAME))


@bp.post("/write/<category>")
@public
def write(category: str):
    incoming = write_api.WriteRequest(
        category=category,
        query=request.args.to_dict(),  # the first value of each, as the agent reads them
        body=request.get_data(cache=False),
        remote_addr=request.remote_addr or "",
        content_type=request.content_type,
        content_encoding=request.headers.get("Content-Encoding"),
        authorization=request.headers.get("Authorization", ""),
    )
    writer = current_app.extensions["funcpad.point_writer"]
    answer = write_api.write(
        incoming, settings(), writer.write, on_refused=writer.store.count_refused
    )
    return _response(answer)


@bp.post("/query/raw")
@public
def query_raw():
    return _response(write_api.query_raw())


@bp.route("/<path:_rest>", methods=["GET", "POST"])
@public
def unknown(_rest: str):
    return _response(write_api.unknown(request.method, request.path))
