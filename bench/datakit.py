"""DataKit path figures: encoding, ingest into the embedded receiver, view queries over 1M
stored points, and the walk-through script's run time.

    .venv/bin/python bench/datakit.py [--points 1000000]
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server import free_port, gunicorn, make_token  # noqa: E402
from tests.test_walkthrough import WALK_THROUGH  # noqa: E402
from webapp.receiver.store import PointStore  # noqa: E402
from webapp.sdk import lineprotocol  # noqa: E402
from webapp.sdk.datakit import DataKit  # noqa: E402


def sample_points(n: int, start: float) -> list[dict]:
    return [
        {
            "measurement": "bench_cpu",
            "tags": {"host": f"h{i % 20}", "region": "cn-east-1"},
            "fields": {"usage": random.random() * 100, "load": i % 7, "ok": True},
            "timestamp": start + i * 0.001,
        }
        for i in range(n)
    ]


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def fill_store(path: Path, total: int) -> None:
    """1M metric points (10 series over the last 24 h) and 1M log lines, written directly."""
    store = PointStore(path)
    now = time.time_ns()
    span = 86_400 * 10**9
    batch = 50_000
    for offset in range(0, total, batch):
        points = [
            {
                "measurement": "bench_view",
                "tags": {"host": f"h{j % 10}"},
                "fields": {"value": float(j % 100)},
                "time": now - span + (offset + j) * (span // total),
            }
            for j in range(batch)
        ]
        store.write("metric", points)
        logs = [
            {
                "measurement": f"app{j % 5}",
                "tags": {"status": ("error" if j % 10 == 0 else "info")},
                "fields": {"message": f"request {offset + j} handled"},
                "time": now - span + (offset + j) * (span // total),
            }
            for j in range(batch)
        ]
        store.write("logging", logs)


def rate(count: int, seconds: list[float]) -> str:
    """Median rate over repeated runs, with the range."""
    rates = sorted(count / s for s in seconds)
    return f"{statistics.median(rates):,.0f} points/s (runs: {rates[0]:,.0f} to {rates[-1]:,.0f})"


# The real DataKit agent (1.84.1, built from source) on this machine: 1,000-line bodies over two
# keep-alive clients with dry=1 (parse only). Measured once with the agent (issue 14); the
# agent is not installable here, so the figure is a constant to compare with.
AGENT_PARSE_RATE = 227_000


def post_all(url: str, bodies: list[bytes], clients: int) -> float:
    """Seconds to post every body over ``clients`` keep-alive connections (each a thread)."""
    sessions = [requests.Session() for _ in range(clients)]
    shares = [bodies[i::clients] for i in range(clients)]

    def send(session: requests.Session, share: list[bytes]) -> None:
        for body in share:
            session.post(url, data=body).raise_for_status()

    threads = [
        threading.Thread(target=send, args=(session, share))
        for session, share in zip(sessions, shares, strict=True)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    for session in sessions:
        session.close()
    return elapsed


def measure_ingest(receiver: str, points: list[dict], runs: int) -> None:
    """The agent's measurement, on the receiver's own port: 1,000-point bodies over two
    keep-alive clients, parse only (dry=1) and then parsed and stored (a 200 means stored)."""
    bodies = [
        lineprotocol.encode(points[start : start + 1000]).encode()
        for start in range(0, len(points), 1000)
    ]
    rates = {}
    for label, query in (("parse only (dry=1)", "?dry=1"), ("parsed and stored", "")):
        seconds = [post_all(f"{receiver}/v1/write/metric{query}", bodies, 2) for _ in range(runs)]
        rates[label] = statistics.median(len(points) / s for s in seconds)
        print(f"receiver port, 2 keep-alive clients, {label}: {rate(len(points), seconds)}")
    stored, parsed = rates["parsed and stored"], rates["parse only (dry=1)"]
    print(
        f"  ratios: stored/parse-only {stored / parsed:.2f}; against the agent's parse rate "
        f"({AGENT_PARSE_RATE:,}/s): parse only {parsed / AGENT_PARSE_RATE:.2f}x "
        f"(target 1x), stored {stored / AGENT_PARSE_RATE:.2f}x (target 0.8x)"
    )
    seconds = [post_all(f"{receiver}/v1/write/metric", bodies, 1) for _ in range(runs)]
    print(f"receiver port, 1 keep-alive client, parsed and stored: {rate(len(points), seconds)}")
    helper = DataKit(url=receiver, source="bench", batch_size=1000)
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        for start in range(0, len(points), 1000):
            helper.write_metrics(points[start : start + 1000])
        seconds.append(time.perf_counter() - started)
    print(
        f"the same through the DataKit helper: {rate(len(points), seconds)} "
        "(encoding each batch in this process, on the same cores)"
    )


class BareSink:
    """An HTTP server that answers 200 to everything at once: what a write costs without any
    receiver behind it (the walk-through's reference)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            conn, _ = self.sock.accept()
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    @staticmethod
    def _serve(conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                buffer = buffer[length:]
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")


def walk_through(base: str, api: requests.Session, connector: str) -> tuple[float, float]:
    """Median (inside the sandbox, whole editor run) in ms of the seed script, 15 runs."""
    script_id = f"walk_{connector}"
    code = WALK_THROUGH.replace("DFF.SRC('datakit')", f"DFF.SRC({connector!r})")
    api.post(f"{base}/api/v1/scripts", json={"id": script_id, "title": "W", "code": code})
    durations, totals = [], []
    for _ in range(15):
        started = time.perf_counter()
        result = api.post(
            f"{base}/api/v1/scripts/{script_id}/run", json={"func": "datakit_demo"}
        ).json()
        totals.append((time.perf_counter() - started) * 1000)
        assert result["status"] == "success", result["error"]
        durations.append(result["duration_ms"])
    return statistics.median(durations), statistics.median(totals)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    points = sample_points(100_000, time.time() - 3600)
    encodes, parses = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        body = lineprotocol.encode(points)
        encodes.append(time.perf_counter() - started)
        started = time.perf_counter()
        parsed, errors = lineprotocol.parse(body)
        parses.append(time.perf_counter() - started)
        assert not errors and len(parsed) == len(points)
    print(f"helper encoding: {rate(len(points), encodes)}")
    print(f"receiver parsing: {rate(len(points), parses)}")

    data_dir = Path(tempfile.mkdtemp(prefix="funcpad-bench-dk-"))
    token = make_token(data_dir)
    print(f"filling the point store with {args.points:,} metric points and {args.points:,} logs…")
    fill_store(data_dir / "points.db", args.points)
    receiver_port = free_port()
    receiver = f"http://127.0.0.1:{receiver_port}"
    with gunicorn(data_dir, receiver_port=receiver_port) as (base, _pid):
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        # The server closes keep-alive connections idle for 2 s; a read after a long write
        # loop may meet one just closed, which a retry on a new connection answers.
        api.mount("http://", requests.adapters.HTTPAdapter(max_retries=3))
        DataKit(url=receiver, source="bench").write_metrics(points[:1000])  # warm-up
        measure_ingest(receiver, points, args.runs)

        chart = median_ms(
            lambda: api.get(
                f"{base}/api/v1/metrics/query",
                params={"measurement": "bench_view", "field": "value", "from": "-24h"},
            ).raise_for_status(),
            10,
        )
        one = median_ms(
            lambda: api.get(
                f"{base}/api/v1/metrics/query",
                params={
                    "measurement": "bench_view",
                    "field": "value",
                    "from": "-24h",
                    "tag.host": "h3",
                },
            ).raise_for_status(),
            10,
        )
        raw_hour = median_ms(
            lambda: api.get(
                f"{base}/api/v1/metrics/query",
                params={"measurement": "bench_view", "field": "value", "from": "-1h"},
            ).raise_for_status(),
            10,
        )
        newest = median_ms(
            lambda: api.get(f"{base}/api/v1/logs", params={"limit": 100}).raise_for_status(), 10
        )
        page = api.get(f"{base}/api/v1/logs", params={"limit": 100}).json()
        deep = median_ms(
            lambda: api.get(
                f"{base}/api/v1/logs",
                params={"limit": 100, "before_id": page["logs"][-1]["id"] // 2},
            ).raise_for_status(),
            10,
        )
        errors_only = median_ms(
            lambda: api.get(
                f"{base}/api/v1/logs", params={"limit": 100, "status": "error", "source": "app3"}
            ).raise_for_status(),
            10,
        )
        text = median_ms(
            lambda: api.get(
                f"{base}/api/v1/logs", params={"limit": 100, "q": "request 99"}
            ).raise_for_status(),
            5,
        )
        print(
            f"metrics chart, 24 h over {args.points:,} points (10 series): {chart:.0f} ms; "
            f"one series: {one:.0f} ms; last hour from raw points "
            f"({args.points // 24:,} points): {raw_hour:.0f} ms"
        )
        print(
            f"logs over {args.points:,} rows: newest page {newest:.0f} ms, a page half-way "
            f"back {deep:.0f} ms, status+source filter {errors_only:.0f} ms, "
            f"text search {text:.0f} ms"
        )

        sink = BareSink()
        api.post(
            f"{base}/api/v1/connectors",
            json={
                "id": "sink",
                "type": "datakit",
                "config": {"url": f"http://127.0.0.1:{sink.port}"},
            },
        ).raise_for_status()
        inside, whole = walk_through(base, api, "datakit")
        sink_inside, sink_whole = walk_through(base, api, "sink")
        print(
            f"walk-through script (60 writes, median of 15): to the embedded receiver {inside:.0f} "
            f"ms inside the sandbox, {whole:.0f} ms for the whole editor run (target 60); to a "
            f"bare HTTP sink {sink_inside:.0f} ms / {sink_whole:.0f} ms"
        )


if __name__ == "__main__":
    main()
