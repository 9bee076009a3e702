"""The receiver's own server (webapp/receiver/server.py) under the real gunicorn: a 200 means
stored even across a kill -9, a dead server process is replaced, nothing outlives the app, and
HTTP/1.1 as clients send it (keep-alive, chunked bodies, 100-continue) is understood."""

import contextlib
import os
import signal
import socket
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import free_port, running_server
from tests.receiver.test_limits import children_of, is_receiver


def receiver_processes(master_pid: int, expected: int = 2) -> tuple[int, list[int]]:
    """The supervisor and its servers, once all ``expected`` are forked (healthz can answer
    before the supervisor has made the last)."""
    found = {}

    def ready() -> bool:
        supervisors = [pid for pid in children_of(master_pid) if is_receiver(pid)]
        found["supervisors"] = supervisors
        found["servers"] = children_of(supervisors[0]) if len(supervisors) == 1 else []
        return len(found["servers"]) == expected

    assert wait_until(ready), found
    return found["supervisors"][0], found["servers"]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat").read_text().split(") ")[1].split()[0]
    return status != "Z"


def wait_until(predicate, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.fixture
def app_with_receiver(tmp_path):
    processes, port = [], free_port()
    with running_server(tmp_path, processes, FUNCPAD_RECEIVER_BIND=f"127.0.0.1:{port}"):
        yield tmp_path, f"http://127.0.0.1:{port}", processes[0]


def test_every_acknowledged_point_survives_a_kill_9(app_with_receiver):
    data_dir, receiver, gunicorn = app_with_receiver
    supervisor, servers = receiver_processes(gunicorn.pid)
    assert len(servers) == 2  # FUNCPAD_RECEIVER_PROCESSES' default
    acknowledged = []
    with requests.Session() as session:
        for n in range(300):
            body = f"survivor,n={n % 7} v={n} {1_700_000_000 + n}"
            if session.post(f"{receiver}/v1/write/metric?precision=s", data=body).ok:
                acknowledged.append(n)
    os.killpg(gunicorn.pid, signal.SIGKILL)  # the whole app at once: no exit hook runs
    gunicorn.wait(10)
    assert wait_until(lambda: not any(alive(pid) for pid in [supervisor, *servers]))
    assert len(acknowledged) == 300
    with sqlite3.connect(data_dir / "points.db") as conn:
        stored = conn.execute(
            "SELECT count(*) FROM metric_points p JOIN series s ON s.id = p.series_id "
            "WHERE s.measurement = 'survivor'"
        ).fetchone()[0]
    assert stored == 300


def test_a_server_process_that_dies_is_replaced_and_the_port_keeps_answering(app_with_receiver):
    _, receiver, gunicorn = app_with_receiver
    supervisor, servers = receiver_processes(gunicorn.pid)
    os.kill(servers[0], signal.SIGKILL)
    assert wait_until(lambda: len(children_of(supervisor)) == 2 and servers[0] not in
                      children_of(supervisor))  # fmt: skip
    for n in range(20):  # new connections, whichever process takes them
        answer = requests.post(f"{receiver}/v1/write/metric", data=f"after v={n}", timeout=5)
        assert answer.status_code == 200


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_nothing_outlives_the_app_when_gunicorn_master_ends(tmp_path, how):
    processes, port = [], free_port()
    with running_server(tmp_path, processes, FUNCPAD_RECEIVER_BIND=f"127.0.0.1:{port}"):
        master = processes[0]
        supervisor, servers = receiver_processes(master.pid)
        # A stop, or a kill of the master alone (its children are orphaned, no hook runs).
        os.kill(master.pid, how)
        master.wait(20)
        assert wait_until(lambda: not any(alive(pid) for pid in [supervisor, *servers]), 5)
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/v1/ping", timeout=2)


def raw_exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, rest = data.partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        while len(rest) < length:
            rest += sock.recv(65536)
        return head + b"\r\n\r\n" + rest


def test_http_as_clients_send_it(app_with_receiver):
    _, receiver, _ = app_with_receiver
    port = int(receiver.rpartition(":")[2])
    chunked = raw_exchange(
        port,
        b"POST /v1/write/metric?echo=lp HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"6\r\nchunk \r\n7\r\nv=1 170\r\n7\r\n0000000\r\n0\r\n\r\n",
    )
    assert chunked.startswith(b"HTTP/1.1 200") and chunked.endswith(
        b"chunk v=1 1700000000000000000"
    )
    # A client that waits for "100 Continue" before sending the body (curl does for large ones).
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        body = b"expecting v=2 1700000000"
        sock.sendall(
            b"POST /v1/write/metric HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        assert sock.recv(1024).startswith(b"HTTP/1.1 100")
        sock.sendall(body)
        assert sock.recv(1024).startswith(b"HTTP/1.1 200")
    # Keep-alive: many requests on one connection, each answered in one segment.
    with requests.Session() as session:
        for n in range(50):
            assert session.post(f"{receiver}/v1/write/metric", data=f"ka v={n}").ok
        assert session.get(f"{receiver}/v1/ping").json()["content"]["commit"] == "embedded"
    broken = raw_exchange(
        port,
        b"POST /v1/write/metric HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    )
    assert broken.startswith(b"HTTP/1.1 400") and b"unreadable body" in broken


def test_a_flood_of_idle_connections_costs_bounded_threads_and_the_port_recovers(tmp_path):
    """Scripts can reach this port: one that opens many idle connections gets the ones over
    the cap closed, the process keeps a bounded number of threads, and writes go through again
    once the flood ends."""
    processes, port = [], free_port()
    with running_server(
        tmp_path,
        processes,
        FUNCPAD_RECEIVER_BIND=f"127.0.0.1:{port}",
        FUNCPAD_RECEIVER_PROCESSES="1",
        FUNCPAD_RECEIVER_MAX_CONNECTIONS="20",
    ):
        _, (server,) = receiver_processes(processes[0].pid, expected=1)
        flood = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(60)]
        time.sleep(1)
        threads = len(os.listdir(f"/proc/{server}/task"))
        assert threads <= 20 + 4, threads  # the cap, the main thread, the writer
        closed = 0
        for sock in flood:
            sock.settimeout(0.05)
            with contextlib.suppress(TimeoutError):  # a timeout: held open, one of the 20
                closed += sock.recv(1) == b""
        assert closed >= 40
        for sock in flood:
            sock.close()
        assert wait_until(
            lambda: requests.post(f"http://127.0.0.1:{port}/v1/write/metric", data="back v=1").ok
        )


def test_a_failure_inside_a_write_is_a_500_and_the_server_keeps_serving(tmp_path):
    """In-process (the same server class): a bug below the handler must not cost the client
    its answer or the process its next request."""
    from webapp.receiver.server import IngestServer, settings_from
    from webapp.receiver.store import PointStore
    from webapp.receiver.writer import PointWriter

    class BrokenOnce(PointWriter):
        broken = True

        def write(self, category, points):
            if self.broken:
                type(self).broken = False
                raise RuntimeError("a bug")
            super().write(category, points)

    sock = socket.create_server(("127.0.0.1", 0))
    sock.setblocking(False)
    config = {"FUNCPAD_RECEIVER_MAX_BODY_MB": 1, "FUNCPAD_INGEST_TOKEN": None}
    server = IngestServer(sock, settings_from(config), BrokenOnce(PointStore(tmp_path / "p.db")))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1/write/metric"
        with requests.Session() as session:
            failed = session.post(url, data="m v=1", timeout=5)
            assert failed.status_code == 500
            assert failed.json()["error_code"] == "datakit.internalError"
            assert session.post(url, data="m v=2", timeout=5).status_code == 200
    finally:
        server.shutdown()
        sock.close()


def server_holding(servers: list[int], receiver_port: int, client_port: int) -> int | None:
    """The server process whose socket is the far end of the client's connection."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == receiver_port and int(remote.split(":")[1], 16) == (
            client_port
        ):
            inode = fields[9]
    for pid in servers:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
    return None


def test_two_busy_clients_are_served_by_two_processes(app_with_receiver):
    """A process already serving a connection lets an idle sibling take the next one, so two
    clients use both cores (it was a coin toss: a quarter of the bench's runs ran at half
    speed)."""
    _, receiver, gunicorn = app_with_receiver
    port = int(receiver.rpartition(":")[2])
    _, servers = receiver_processes(gunicorn.pid)
    for _ in range(5):
        clients = []
        for _ in range(2):
            client = socket.create_connection(("127.0.0.1", port), timeout=5)
            client.sendall(b"GET /v1/ping HTTP/1.1\r\nHost: x\r\n\r\n")
            assert client.recv(4096).startswith(b"HTTP/1.1 200")
            clients.append(client)
        holders = {server_holding(servers, port, c.getsockname()[1]) for c in clients}
        for client in clients:
            client.close()
        assert holders == set(servers), holders
        time.sleep(0.2)  # both connections are gone before the next pair
