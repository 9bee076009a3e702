"""The receiver's own listener: on its port only the DataKit paths answer.

A real DataKit agent has a port of its own (9529); so does the embedded receiver
(``FUNCPAD_RECEIVER_BIND``, default ``127.0.0.1:9529``). Scripts may reach that port — the
sandbox's network opens the connectors' endpoints — so it must not be a way into the app's API:
a request that arrived on it (told by the socket it came in on, never by a header) gets the app
only for ``/v1/ping`` and ``/v1/write/...``, and a DataKit-style 404 for anything else.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

RECEIVER_PATHS = ("/v1/write/",)
RECEIVER_EXACT = ("/v1/ping",)


def allowed_on_receiver(path: str) -> bool:
    return path in RECEIVER_EXACT or any(path.startswith(prefix) for prefix in RECEIVER_PATHS)


class ReceiverListenerFilter:
    """WSGI middleware: requests on the receiver's port reach only the DataKit paths."""

    def __init__(self, app: Callable, port: int) -> None:
        self.app = app
        self.port = port

    def arrived_on_receiver(self, environ: dict) -> bool:
        sock = environ.get("gunicorn.socket")  # the accepted connection; gunicorn sets it
        if sock is None:
            return False  # werkzeug (flask run, tests): one listener, the app's
        try:
            return sock.getsockname()[1] == self.port
        except (OSError, IndexError, TypeError):
            return True  # unknown: the narrower answer

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if self.arrived_on_receiver(environ) and not allowed_on_receiver(
            environ.get("PATH_INFO", "")
        ):
            body = json.dumps(
                {
                    "error_code": "datakit.notFound",
                    "message": "this port serves only /v1/ping and /v1/write/<category>",
                }
            ).encode()
            start_response(
                "404 NOT FOUND",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return self.app(environ, start_response)
