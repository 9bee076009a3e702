"""The DataKit helper sends each request in one write, with TCP_NODELAY, so that a server which
answers in separate packets (or a user-mode network between them) cannot make it wait for a
delayed ACK. Against a real socket server on 127.0.0.1 that reads what arrives."""

from __future__ import annotations

import socket
import threading

import pytest

from webapp.sdk import onewrite
from webapp.sdk.datakit import DataKit


@pytest.fixture
def split_answer_server():
    """Answers every request in two writes (headers, then body), without TCP_NODELAY, and
    records each request's bytes and the client socket's options as seen from here."""
    listener = socket.create_server(("127.0.0.1", 0))
    seen: list[bytes] = []

    def serve():
        conn, _ = listener.accept()
        with conn:
            buffer = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buffer += chunk
                while b"\r\n\r\n" in buffer:
                    head, _, rest = buffer.partition(b"\r\n\r\n")
                    length = next(
                        (int(line.split(b":")[1]) for line in head.split(b"\r\n")
                         if line.lower().startswith(b"content-length:")),
                        0,
                    )  # fmt: skip
                    if len(rest) < length:
                        break
                    seen.append(head + b"\r\n\r\n" + rest[:length])
                    buffer = rest[length:]
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
                    conn.sendall(b"{}")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", seen
    listener.close()


def test_each_write_is_one_socket_write_with_nodelay(split_answer_server):
    url, seen = split_answer_server
    connection = onewrite.classes()["connection"]
    helper = DataKit(url=url)
    before_requests, before_writes = connection.requests, connection.writes
    for i in range(5):
        status, _ = helper.write_metric("m", tags={"a": "b"}, fields={"v": i})
        assert status == 200
    status, data = helper.get("/v1/ping")  # no body: the headers alone, still one write
    assert status == 200 and data == {}
    assert connection.requests - before_requests == 6
    assert connection.writes - before_writes == 6  # not 11: headers and body go together
    assert len(seen) == 6 and seen[0].startswith(b"POST /v1/write/metric")
    assert b"m,a=b v=0i" in seen[0]
    pool_socket = next(
        c.sock for c in _idle_connections(helper) if c is not None and c.sock is not None
    )
    assert pool_socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1


def _idle_connections(helper):
    for pool in helper.pool.pools._container.values():
        yield from pool.pool.queue


def test_the_helper_uses_the_one_write_pool_for_http_only():
    helper = DataKit(url="http://127.0.0.1:9")
    assert type(helper.pool.connection_from_url("http://x/")) is onewrite.classes()["pool"]
    assert type(helper.pool.connection_from_url("https://x/")) is not onewrite.classes()["pool"]
