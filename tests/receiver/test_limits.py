"""No request makes unbounded work: compressed bombs stop at the cap, over-long bodies get a 413,
and a body a view did not read never costs the client its keep-alive connection."""

import gzip
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest
import requests

from tests.conftest import free_port, running_server
from tests.receiver.test_listener import logged_in
from webapp.receiver.ingest import IngestError, decode_body

BOMB_BYTES = 64 * 1024 * 1024  # twice the default cap, never more


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    return gzip.compress(b"\0" * BOMB_BYTES, 9)


def test_a_gzip_bomb_stops_at_the_cap_in_bounded_memory(gzip_bomb):
    assert len(gzip_bomb) < 100 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(IngestError) as refused:
            decode_body(gzip_bomb, "gzip")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.value.status == 413 and refused.value.code == "datakit.bodyTooLarge"
    assert peak < 40 * 1024 * 1024  # the 32 MiB cap and one step, not the 64 MiB inside


def test_deflate_raw_deflate_and_several_gzip_members_decode():
    assert decode_body(gzip.compress(b"a v=1") + gzip.compress(b"\nb v=2"), "gzip") == (
        b"a v=1\nb v=2"
    )
    assert decode_body(zlib.compress(b"c v=3"), "deflate") == b"c v=3"
    assert decode_body(zlib.compress(b"c v=3")[2:-4], "deflate") == b"c v=3"  # raw deflate
    with pytest.raises(IngestError) as truncated:
        decode_body(gzip.compress(b"d v=4")[:-3], "gzip")
    assert truncated.value.status == 400 and "truncated" in truncated.value.message
    exact = b"e v=5\n" * 1000
    assert decode_body(zlib.compress(exact), "deflate", limit=len(exact)) == exact
    with pytest.raises(IngestError):
        decode_body(zlib.compress(exact), "deflate", limit=len(exact) - 1)


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_the_write_api_answers_a_bomb_with_413_in_datakit_format(client, encoding):
    inflated = b"\0" * BOMB_BYTES
    body = gzip.compress(inflated, 9) if encoding == "gzip" else zlib.compress(inflated, 9)
    response = client.post("/v1/write/metric", data=body, headers={"Content-Encoding": encoding})
    assert response.status_code == 413
    assert response.json["error_code"] == "datakit.bodyTooLarge"


def children_of(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def is_receiver(pid: int) -> bool:
    return b"webapp.receiver.server" in Path(f"/proc/{pid}/cmdline").read_bytes()


def worker_of(master_pid: int) -> int:
    """The gunicorn worker (the master's other child is the receiver's supervisor)."""
    workers = [pid for pid in children_of(master_pid) if not is_receiver(pid)]
    assert len(workers) == 1, workers
    return workers[0]


def receiver_process_of(master_pid: int) -> int:
    """One of the receiver's server processes (children of its supervisor)."""
    (supervisor,) = [pid for pid in children_of(master_pid) if is_receiver(pid)]
    deadline = time.monotonic() + 10
    while not children_of(supervisor) and time.monotonic() < deadline:
        time.sleep(0.05)  # healthz can answer before the supervisor has forked
    servers = children_of(supervisor)
    assert servers, "the receiver's supervisor has no server processes"
    return servers[0]


def peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    processes = []
    with running_server(tmp_path_factory.mktemp("limits"), processes) as base:
        yield base, worker_of(processes[0].pid)


@pytest.fixture(scope="module")
def receiver(tmp_path_factory):
    """The receiver's own port, served by one process so its memory can be watched."""
    processes, port = [], free_port()
    with running_server(
        tmp_path_factory.mktemp("limits-receiver"),
        processes,
        FUNCPAD_RECEIVER_BIND=f"127.0.0.1:{port}",
        FUNCPAD_RECEIVER_PROCESSES="1",
    ):
        yield f"http://127.0.0.1:{port}", receiver_process_of(processes[0].pid)


def test_a_body_over_the_cap_on_the_receiver_port_is_refused_without_holding_it(receiver):
    base, process = receiver
    before = peak_rss_kb(process)
    with requests.Session() as session:
        response = session.post(
            f"{base}/v1/write/metric",
            data=b"x" * (33 * 1024 * 1024),  # over FUNCPAD_RECEIVER_MAX_BODY_MB (32)
            headers={"Content-Type": "text/plain"},
            timeout=60,
        )
        assert response.status_code == 413
        assert response.json()["error_code"] == "datakit.bodyTooLarge"
        assert (peak_rss_kb(process) - before) / 1024 < 16  # skipped in steps, never held
        # The body was read through, so the same keep-alive connection carries on.
        assert session.post(f"{base}/v1/write/metric", data="after v=1", timeout=10).ok


@pytest.mark.parametrize("where", ["server", "receiver"])  # the app's port, the receiver's
def test_a_bomb_over_http_costs_the_process_at_most_the_cap(request, where, gzip_bomb):
    base, process = request.getfixturevalue(where)
    assert requests.post(f"{base}/v1/write/metric", data="warm v=1", timeout=10).ok
    before = peak_rss_kb(process)
    response = requests.post(
        f"{base}/v1/write/metric", data=gzip_bomb, headers={"Content-Encoding": "gzip"}, timeout=60
    )
    assert response.status_code == 413
    assert response.json()["error_code"] == "datakit.bodyTooLarge"
    grown_mib = (peak_rss_kb(process) - before) / 1024
    assert grown_mib < 48, f"{where}: the peak memory grew by {grown_mib:.0f} MiB"


def test_an_unread_body_does_not_cost_the_keep_alive_connection(server):
    base, _ = server
    session = logged_in(base)
    for _ in range(3):  # the same connection, each time with a body the view never reads
        response = session.post(
            f"{base}/api/v1/task-records/nothing/stop", data=b"x" * 300_000, timeout=10
        )
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"


@pytest.mark.parametrize(
    ("path", "key", "code"),
    [
        ("/v1/write/metric", "error_code", "datakit.requestTooLarge"),
        ("/v1/write/nothing", "error_code", "datakit.requestTooLarge"),
        ("/api/v1/task-records/nothing/stop", "error", "payload_too_large"),
    ],
)
def test_a_body_over_the_limit_is_a_clear_413(server, path, key, code):
    base, _ = server
    session = logged_in(base)
    response = session.post(f"{base}{path}", data=b"x" * (9 * 1024 * 1024), timeout=30)
    assert response.status_code == 413
    assert response.json()[key] == code
