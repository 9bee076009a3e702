"""Mixed load on the whole platform, in each way it can be deployed on this machine.

N concurrent clients (20 by default) for S seconds each loop over a mix of page loads, draft
saves, editor runs and published calls (trivial functions), on 127.0.0.1 only, against:

    sqlite-inprocess   the embedded default: SQLite, runs in the gunicorn process
    pg-inprocess       PostgreSQL, runs in the gunicorn process
    pg-celery          PostgreSQL, FUNCPAD_EXECUTOR=celery, Redis, two `funcpad worker`s

It starts what each mode needs (a PostgreSQL cluster and a Redis of its own, in a temporary
directory) and prints, per mode and per action, requests/s, p50/p95/p99 and errors; at the end
the cost of the queue hop (a published call's p50 through Celery against in-process).

    .venv/bin/python bench/load.py [--clients 20] [--seconds 60] [--modes pg-celery,...]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server import free_port, gunicorn, make_token  # noqa: E402

MODES = ("sqlite-inprocess", "pg-inprocess", "pg-celery")
# What a person at the editor does most: open pages, save, run; plus API callers.
MIX = (("page", 2), ("save", 2), ("editor_run", 3), ("published_call", 3))
CODE = "@DFF.API('Trivial')\ndef trivial(n=0):\n    return n\n"
MAX_CLIENTS, MAX_SECONDS = 64, 600


@contextlib.contextmanager
def postgres(work: Path) -> Iterator[str]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 (Debian's binaries); yields a database URL."""
    import tests.conftest  # noqa: F401 (first: it and pg_server import each other)
    from tests.pg_server import _as_server_user, _pg_bin

    data, sockets = work / "pg", work / "pgsock"
    data.mkdir()
    sockets.mkdir()
    if os.geteuid() == 0:
        os.chmod(work, 0o755)
        shutil.chown(data, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_port()
    bin_dir = _pg_bin()
    initdb = [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "funcpad"]
    subprocess.run(_as_server_user([*initdb, "--no-sync", "-E", "UTF8"]), check=True,
                   capture_output=True)  # fmt: skip
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c max_connections=200"
    ctl = [str(bin_dir / "pg_ctl"), "-D", str(data)]
    subprocess.run(
        _as_server_user([*ctl, "-o", options, "-w", "-l", str(sockets / "log"), "start"]),
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "funcpad", "-d", "postgres",
             "-c", "CREATE DATABASE bench"],
            check=True, capture_output=True,
        )  # fmt: skip
        yield f"postgresql://funcpad@127.0.0.1:{port}/bench"
    finally:
        subprocess.run(_as_server_user([*ctl, "-m", "immediate", "stop"]), capture_output=True)


@contextlib.contextmanager
def redis_server(work: Path) -> Iterator[str]:
    port = free_port()
    password = "bench-redis-password"
    process = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--requirepass", password,
         "--save", "", "--appendonly", "no", "--dir", str(work)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://:{password}@127.0.0.1:{port}/0"
    import redis

    for _ in range(200):
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.RedisError:
            time.sleep(0.05)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(10)


@contextlib.contextmanager
def workers(env: dict[str, str], count: int, work: Path) -> Iterator[None]:
    processes = []
    for n in range(count):
        log = work / f"worker-{n}.log"
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "webapp.main", "worker"],
                cwd=ROOT,
                env=env,
                stdout=log.open("w"),
                stderr=subprocess.STDOUT,
            )
        )
        deadline = time.monotonic() + 60
        while " ready." not in log.read_text():
            if processes[-1].poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"worker {n} did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.1)
    try:
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)


@contextlib.contextmanager
def deployment(mode: str, work: Path) -> Iterator[tuple[str, str]]:
    """(base URL, API token) of the platform deployed as ``mode``."""
    data_dir = work / "data"
    data_dir.mkdir()
    env = {
        **os.environ,
        "FUNCPAD_DATA_DIR": str(data_dir),
        "FUNCPAD_SELF_METRICS_SECONDS": "0",
        "FUNCPAD_RUNNER_WARMUP": "on",
    }
    with contextlib.ExitStack() as stack:
        if mode.startswith("pg-"):
            env["FUNCPAD_DATABASE_URL"] = stack.enter_context(postgres(work))
        if mode == "pg-celery":
            env["FUNCPAD_EXECUTOR"] = "celery"
            env["FUNCPAD_REDIS_URL"] = stack.enter_context(redis_server(work))
        saved = dict(os.environ)
        os.environ.update(env)
        try:
            token = make_token(data_dir)
            base, _pid = stack.enter_context(gunicorn(data_dir))
        finally:
            os.environ.clear()
            os.environ.update(saved)
        if mode == "pg-celery":
            stack.enter_context(workers(env, 2, work))
        yield base, token


def prepare(base: str, token: str, clients: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for n in range(clients):  # one script each: concurrent saves of one draft would conflict
        answer = requests.post(
            f"{base}/api/v1/scripts", headers=headers, timeout=30,
            json={"id": f"load_{n}", "title": f"Load {n}", "code": CODE},
        )  # fmt: skip
        answer.raise_for_status()
    requests.post(
        f"{base}/api/v1/scripts/load_0/publish", headers=headers, json={}, timeout=60
    ).raise_for_status()
    for _ in range(5):  # warm: every slot started, every connection pool filled
        requests.post(
            f"{base}/api/v1/funcs/load_0.trivial/call", headers=headers, json={}, timeout=60
        ).raise_for_status()


class Client:
    """One keep-alive connection, as a browser or an API caller holds one.

    http.client rather than requests: the load generator shares the machine's two cores with
    what it measures, and requests' per-call CPU both takes the server's and adds the clients'
    own GIL queueing to every figure (measured, SQLite in-process, 20 clients back to back:
    197 req/s and an editor run's p95 421 ms with requests, 214 req/s and 350 ms with this).
    """

    def __init__(self, base: str, token: str):
        host, port = base.removeprefix("http://").split(":")
        self.address = (host, int(port))
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(*self.address, timeout=60)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            self.connection.request(method, path, body=payload, headers=self.headers)
            answer = self.connection.getresponse()
            return answer.status, answer.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = None
            raise


def client_loop(
    base: str, token: str, index: int, until: float, results: dict, seed: int, think: float
):
    client = Client(base, token)
    rng = random.Random(seed)
    actions = [name for name, weight in MIX for _ in range(weight)]
    script = f"/api/v1/scripts/load_{index}"
    md5 = None
    while time.monotonic() < until:
        action = rng.choice(actions)
        started = time.perf_counter()
        ok = False
        try:
            if action == "page":
                ok = client.request("GET", "/scripts")[0] == 200
            elif action == "save":
                if md5 is None:
                    md5 = json.loads(client.request("GET", script)[1])["draft_md5"]
                code = CODE + f"# {rng.random()}\n"
                status, body = client.request(
                    "PUT", f"{script}/draft", {"code": code, "base_md5": md5}
                )
                ok = status == 200
                md5 = json.loads(body).get("draft_md5") if ok else None
            elif action == "editor_run":
                status, body = client.request(
                    "POST", f"{script}/run", {"func": "trivial", "kwargs": {"n": 1}}
                )
                ok = status == 200 and json.loads(body)["status"] == "success"
            else:
                status, body = client.request(
                    "POST", "/api/v1/funcs/load_0.trivial/call", {"kwargs": {"n": index}}
                )
                ok = status == 200 and json.loads(body)["return_value"] == index
        except (OSError, http.client.HTTPException, ValueError, KeyError):
            ok = False
        elapsed = (time.perf_counter() - started) * 1000
        results[action].append((elapsed, ok))
        if think:
            time.sleep(rng.uniform(0.5, 1.5) * think)  # a person reads; an API caller waits


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)] if ordered else float("nan")


def run_mode(mode: str, clients: int, seconds: float, think: float) -> dict[str, dict]:
    work = Path(tempfile.mkdtemp(prefix=f"funcpad-load-{mode}-"))
    try:
        with deployment(mode, work) as (base, token):
            prepare(base, token, clients)
            results: dict[str, list] = defaultdict(list)
            until = time.monotonic() + seconds
            threads = [
                threading.Thread(
                    target=client_loop, args=(base, token, n, until, results, n, think)
                )
                for n in range(clients)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = {}
    for action in [name for name, _ in MIX] + ["all"]:
        rows = (
            [r for rows in results.values() for r in rows] if action == "all" else results[action]
        )
        times = [t for t, _ok in rows]
        summary[action] = {
            "count": len(rows),
            "per_s": len(rows) / seconds,
            "p50": statistics.median(times) if times else float("nan"),
            "p95": percentile(times, 0.95),
            "p99": percentile(times, 0.99),
            "errors": sum(1 for _t, ok in rows if not ok),
        }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0,
        help="pause after each request, ±50%% (0: every client sends back to back)",
    )
    args = parser.parse_args()
    clients = max(1, min(args.clients, MAX_CLIENTS))
    seconds = max(1.0, min(args.seconds, MAX_SECONDS))
    modes = [m for m in args.modes.split(",") if m]
    unknown = set(modes) - set(MODES)
    if unknown:
        raise SystemExit(f"unknown modes: {', '.join(sorted(unknown))} (know {', '.join(MODES)})")
    think = max(0.0, min(args.think_ms, 10_000)) / 1000
    print(
        f"{clients} clients, {seconds:.0f} s per mode, think {think * 1000:.0f} ms, "
        f"{os.cpu_count()} cores (the clients run on the same machine)"
    )
    summaries = {}
    for mode in modes:
        summaries[mode] = summary = run_mode(mode, clients, seconds, think)
        print(f"\n{mode}")
        print(f"  {'action':<15}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
        for action, row in summary.items():
            print(
                f"  {action:<15}{row['per_s']:>8.1f}{row['p50']:>9.1f}{row['p95']:>9.1f}"
                f"{row['p99']:>9.1f}{row['errors']:>8}"
            )
    if "pg-inprocess" in summaries and "pg-celery" in summaries:
        local = summaries["pg-inprocess"]["published_call"]["p50"]
        queued = summaries["pg-celery"]["published_call"]["p50"]
        print(
            f"\nqueue hop: published call p50 {local:.1f} ms in-process, {queued:.1f} ms through "
            f"Celery (+{queued - local:.1f} ms, {queued / local:.2f}x)"
        )


if __name__ == "__main__":
    main()
