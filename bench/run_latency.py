"""Run latency over HTTP, with the sandbox on: editor runs, published calls, throughput, memory.

Starts gunicorn (the README's configuration) on 127.0.0.1 with a fresh data directory and
measures with one keep-alive client (p50/p95), then parallel clients (runs/s), and the RSS of
every process of the platform (gunicorn, fork servers, bubblewrap) idle and under load.

    .venv/bin/python bench/run_latency.py [--n 200] [--seconds 5] [--clients 8]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server import gunicorn, make_token  # noqa: E402

CODE = """
@DFF.API('Trivial')
def trivial():
    return 1


def print60():
    for i in range(60):
        print('line', i)
    return 60


def use_requests():
    import requests
    return requests.__version__


def use_arrow():
    import arrow  # DataFlux Func's package set: not pre-imported, so this is its import cost
    return arrow.__version__
"""


def tree_rss_kb(root_pid: int, field: str = "VmRSS:") -> tuple[int, int]:
    """(total RSS in KiB, process count) of root_pid and all its descendants.

    ``field="Pss:"`` reads /proc/<pid>/smaps_rollup instead: shared pages (the fork servers'
    children share most of their memory) are divided among the processes sharing them.
    """
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    total, count, stack = 0, 0, [root_pid]
    while stack:
        pid = stack.pop()
        source = "status" if field == "VmRSS:" else "smaps_rollup"
        try:
            for line in Path(f"/proc/{pid}/{source}").read_text().splitlines():
                if line.startswith(field):
                    total += int(line.split()[1])
                    count += 1
        except OSError:
            pass
        stack.extend(children.get(pid, []))
    return total, count


def measure(
    conn: http.client.HTTPConnection, headers: dict, path: str, body: dict, n: int
) -> list[float]:
    """Latencies (ms) of n POSTs on one keep-alive connection (http.client: a thin client,
    so the figures are the server's, not the client library's)."""
    payload = json.dumps(body)
    times = []
    for _ in range(n):
        started = time.perf_counter()
        conn.request("POST", path, body=payload, headers=headers)
        response = conn.getresponse()
        data = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status == 200, data
        assert json.loads(data)["status"] == "success", data
        times.append(elapsed)
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="funcpad-bench-"))
    token = make_token(data_dir)
    with gunicorn(data_dir) as (base, server_pid):
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        api = f"{base}/api/v1"
        session.post(
            f"{api}/scripts", json={"id": "bench", "title": "Bench", "code": CODE}
        ).raise_for_status()
        session.post(f"{api}/scripts/bench/publish", json={}).raise_for_status()
        layers = requests.get(f"{base}/healthz").json()["sandbox"]
        print(
            f"sandbox: bubblewrap={layers['bubblewrap']} uid_switch={layers['uid_switch']} "
            f"seccomp={layers['seccomp']} interpreter={layers['interpreter']} "
            f"slots={layers['pool']['slots']}"
        )
        time.sleep(1)
        idle_rss, idle_procs = tree_rss_kb(server_pid)
        idle_pss, _ = tree_rss_kb(server_pid, "Pss:")

        cases = [
            ("editor run, trivial function", "/api/v1/scripts/bench/run", {"func": "trivial"}),
            ("editor run, 60 print lines", "/api/v1/scripts/bench/run", {"func": "print60"}),
            ("editor run, import requests", "/api/v1/scripts/bench/run", {"func": "use_requests"}),
            ("editor run, import arrow", "/api/v1/scripts/bench/run", {"func": "use_arrow"}),
            ("published call (API)", "/api/v1/funcs/bench.trivial/call", {"kwargs": {}}),
        ]
        port = int(base.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        for label, path, body in cases:
            measure(conn, headers, path, body, 10)  # warm-up
            times = measure(conn, headers, path, body, args.n)
            print(
                f"{label:32s} p50 {statistics.median(times):6.2f} ms   "
                f"p95 {pct(times, 0.95):6.2f} ms   (n={args.n}, one keep-alive client)"
            )

        done = [0]
        peak = [0]
        stop = time.monotonic() + args.seconds

        def client() -> None:
            # http.client, as above: the clients share these two cores with the server.
            own = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            payload = json.dumps({"func": "trivial"})
            while time.monotonic() < stop:
                own.request("POST", "/api/v1/scripts/bench/run", body=payload, headers=headers)
                response = own.getresponse()
                data = response.read()
                if response.status == 200 and json.loads(data)["status"] == "success":
                    done[0] += 1

        def sample() -> None:
            while time.monotonic() < stop:
                peak[0] = max(peak[0], tree_rss_kb(server_pid)[0])
                time.sleep(0.25)

        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        threads.append(threading.Thread(target=sample))
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        print(
            f"sustained: {done[0] / elapsed:.0f} trivial editor runs/s with {args.clients} "
            f"parallel clients over {elapsed:.1f} s"
        )
        print(
            f"memory: {idle_rss / 1024:.0f} MB RSS idle ({idle_procs} processes; "
            f"{idle_pss / 1024:.0f} MB PSS), {peak[0] / 1024:.0f} MB RSS peak under load "
            "(gunicorn + fork servers + bwrap)"
        )


if __name__ == "__main__":
    main()
