"""Request bodies: refused early when too large, always read to the end.

- A body whose declared length is over ``MAX_CONTENT_LENGTH`` gets a 413 before any view runs
  (in DataKit's error format on ``/v1/``, JSON under ``/api/``, a page elsewhere).
- A body a view did not read (a 401, a 404, a stop request with a payload) is read and dropped
  after the view: left in the connection, it would be parsed as the next keep-alive request and
  the server would drop the connection instead of answering it.
"""

from __future__ import annotations

from flask import Flask, abort, current_app, request

DRAIN_CHUNK = 64 * 1024


def refuse_oversized_bodies() -> None:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and request.content_length is not None and request.content_length > limit:
        abort(413)


def drain_unread_body(response):
    """Read what is left of a body within the limit; over it, the connection is closed."""
    length = request.content_length
    if not length:
        return response
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and length > limit:
        response.headers["Connection"] = "close"
        return response
    stream = request.stream
    try:
        while stream.read(DRAIN_CHUNK):
            pass
    except Exception:  # a client that went away or sent less than it said
        response.headers["Connection"] = "close"
    return response


def init_app(app: Flask) -> None:
    app.before_request(refuse_oversized_bodies)
    app.after_request(drain_unread_body)
