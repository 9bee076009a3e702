"""DataKit path figures: encoding, ingest into the embedded receiver, view queries over 1M
stored points, and the walk-through script's run time.

    .venv/bin/python bench/datakit.py [--points 1000000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server import gunicorn, make_token  # noqa: E402
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


def measure_ingest(base: str, api: requests.Session, points: list[dict], runs: int) -> None:
    """Bodies posted over one keep-alive connection, timed until every point is stored."""
    bodies = [
        lineprotocol.encode(points[start : start + 1000]).encode()
        for start in range(0, len(points), 1000)
    ]
    session = requests.Session()
    stored = []
    for _ in range(runs):
        started = time.perf_counter()
        for body in bodies:
            session.post(f"{base}/v1/write/metric", data=body).raise_for_status()
        # A read waits for the writer: the clock stops when the last point is queryable.
        api.get(f"{base}/api/v1/metrics/measurements").raise_for_status()
        stored.append(time.perf_counter() - started)
    print(
        f"ingest into the embedded receiver: {rate(len(points), stored)} "
        "(1000-point line-protocol bodies, one keep-alive connection, parsed and stored)"
    )
    helper = DataKit(url=base, source="bench", batch_size=1000)
    stored = []
    for _ in range(runs):
        started = time.perf_counter()
        for start in range(0, len(points), 1000):
            helper.write_metrics(points[start : start + 1000])
        api.get(f"{base}/api/v1/metrics/measurements").raise_for_status()
        stored.append(time.perf_counter() - started)
    print(
        f"the same through the DataKit helper: {rate(len(points), stored)} "
        "(encoding each batch in this process, on the same cores)"
    )


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
    with gunicorn(data_dir) as (base, _pid):
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        # The server closes keep-alive connections idle for 2 s; a read after a long write
        # loop may meet one just closed, which a retry on a new connection answers.
        api.mount("http://", requests.adapters.HTTPAdapter(max_retries=3))
        DataKit(url=base, source="bench").write_metrics(points[:1000])  # warm-up
        measure_ingest(base, api, points, args.runs)

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

        api.post(f"{base}/api/v1/scripts", json={"id": "walk", "title": "W", "code": WALK_THROUGH})
        durations, totals = [], []
        for _ in range(10):
            started = time.perf_counter()
            result = api.post(
                f"{base}/api/v1/scripts/walk/run", json={"func": "datakit_demo"}
            ).json()
            totals.append((time.perf_counter() - started) * 1000)
            assert result["status"] == "success", result["error"]
            durations.append(result["duration_ms"])
        print(
            f"walk-through script (60 writes): {statistics.median(durations):.0f} ms inside the "
            f"sandbox, {statistics.median(totals):.0f} ms for the whole editor run (median of 10)"
        )


if __name__ == "__main__":
    main()
