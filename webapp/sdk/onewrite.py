"""HTTP requests sent in one write: the headers and a body together (TCP_NODELAY on).

urllib3 (under requests) writes a request's headers, then its body, as two segments. Through
the sandbox's user-mode network (pasta) and on to a server that does not set TCP_NODELAY, the
second segment can wait for a delayed ACK (tens of milliseconds) on a reused connection: a
collector making 60 small writes paid that on every one. Sent as one write, it cannot.
Standard library and the sandbox's requests/urllib3 only.
"""

from __future__ import annotations

from typing import Any

ONE_WRITE_MAX = 64 * 1024  # bodies up to this go out in the headers' write
_classes: dict[str, Any] = {}


def classes() -> dict[str, Any]:
    """The connection, pool and adapter classes, made once (requests is imported lazily)."""
    if not _classes:
        _classes.update(_make_classes())
    return _classes


def _make_classes() -> dict[str, Any]:
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection
    from urllib3.connectionpool import HTTPConnectionPool

    class OneWriteHTTPConnection(HTTPConnection):
        """Holds the headers until the body's first write (or the end of the request)."""

        writes = 0  # socket writes made by all of them (tests read it)
        requests = 0  # requests sent
        # TCP_NODELAY comes with urllib3's default socket options (the test checks it).

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._held: bytearray | None = None
            self._headers_done = False

        def send(self, data: Any) -> None:
            if self._held is not None and isinstance(data, bytes | bytearray):
                self._held += data
                if self._headers_done:
                    self._flush()
                else:
                    self._headers_done = True  # what came first was the headers
                return
            self._count(1)
            super().send(data)

        @classmethod
        def _count(cls, n: int) -> None:
            cls.writes += n

        def _flush(self) -> None:
            held, self._held = bytes(self._held or b""), None
            if held:
                self._count(1)
                super().send(held)

        def request(self, method: str, url: str, body: Any = None, headers: Any = None,
                    **kwargs: Any) -> None:  # fmt: skip
            type(self).requests += 1
            # A large body is many segments anyway: copying it after the headers buys nothing.
            small = body is None or (
                isinstance(body, bytes | bytearray | str) and len(body) <= ONE_WRITE_MAX
            )
            if small:
                self._held, self._headers_done = bytearray(), False
            try:
                super().request(method, url, body=body, headers=headers, **kwargs)
            finally:
                self._flush()  # a request without a body: the headers alone

    class OneWritePool(HTTPConnectionPool):
        ConnectionCls = OneWriteHTTPConnection

    class OneWriteAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {
                **self.poolmanager.pool_classes_by_scheme,
                "http": OneWritePool,
            }
            self.poolmanager.key_fn_by_scheme = dict(self.poolmanager.key_fn_by_scheme)

    return {"connection": OneWriteHTTPConnection, "pool": OneWritePool, "adapter": OneWriteAdapter}


def session():
    """A requests Session whose plain-HTTP requests go out in one write each."""
    import requests

    s = requests.Session()
    s.mount("http://", classes()["adapter"]())
    return s
