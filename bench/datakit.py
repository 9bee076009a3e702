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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    args = parser.parse_args()

    points = sample_points(100_000, time.time() - 3600)
    started = time.perf_counter()
    body = lineprotocol.encode(points)
    encode_rate = len(points) / (time.perf_counter() - started)
    started = time.perf_counter()
    parsed, errors = lineprotocol.parse(body)
    parse_rate = len(parsed) / (time.perf_counter() - started)
    assert not errors
    print(
        f"helper encoding: {encode_rate:,.0f} points/s; "
        f"receiver parsing: {parse_rate:,.0f} points/s"
    )

    data_dir = Path(tempfile.mkdtemp(prefix="funcpad-bench-dk-"))
    token = make_token(data_dir)
    print(f"filling the point store with {args.points:,} metric points and {args.points:,} logs…")
    fill_store(data_dir / "points.db", args.points)
    with gunicorn(data_dir) as (base, _pid):
        dk = DataKit(url=base, source="bench", batch_size=1000)
        dk.write_metrics(points[:1000])  # warm-up
        started = time.perf_counter()
        for start in range(0, len(points), 1000):
            dk.write_metrics(points[start : start + 1000])
        ingest_rate = len(points) / (time.perf_counter() - started)
        print(
            f"ingest into the embedded receiver: {ingest_rate:,.0f} points/s "
            "(1000-point batches, one keep-alive connection, parsed and stored)"
        )

        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
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
            f"one series: {one:.0f} ms"
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
