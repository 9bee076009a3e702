"""``funcpad``: the platform's processes besides the web app (which gunicorn serves).

funcpad worker [-Q 1,2,5] [-c 4]   execute runs from Redis (FUNCPAD_EXECUTOR=celery)
funcpad scheduler                  fire cron jobs and hand queued runs to the executor
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from webapp.config import ConfigError


def _app(overrides: dict[str, str], role: str):
    from webapp import create_app

    os.environ.setdefault("FUNCPAD_ROLE", role)  # in every log line (webapp.logs)
    try:
        return create_app(overrides)
    except ConfigError as exc:
        sys.exit(f"funcpad: {exc}")


def run_worker(queues: str | None, concurrency: int | None) -> None:
    from webapp.executor.worker import Worker

    overrides = {"FUNCPAD_SCHEDULER": "off", "FUNCPAD_RETENTION_THREAD": "off"}
    if queues:
        overrides["FUNCPAD_WORKER_QUEUES"] = queues
    if concurrency:
        overrides["FUNCPAD_RUNNER_CONCURRENCY"] = str(concurrency)
    app = _app(overrides, "worker")
    if not app.config["FUNCPAD_REDIS_URL"]:
        sys.exit("funcpad worker: set FUNCPAD_REDIS_URL to the broker's Redis")
    worker = Worker(
        app, app.config["FUNCPAD_WORKER_QUEUES"], app.config["FUNCPAD_RUNNER_CONCURRENCY"]
    )
    worker.beat()
    worker.start_threads()
    try:
        worker.celery.worker_main(worker.argv())
    finally:
        worker.leave()


def run_scheduler() -> None:
    app = _app({"FUNCPAD_SCHEDULER": "on", "FUNCPAD_RETENTION_THREAD": "off"}, "scheduler")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    scheduler = app.extensions.get("funcpad.scheduler")
    if scheduler is not None:
        scheduler.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="funcpad", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    worker = commands.add_parser("worker", help="execute runs handed over through Redis")
    worker.add_argument(
        "-Q", "--queues", help="the DataFlux Func queues to serve: 1,2,5 or 1-9 (default: all)"
    )
    worker.add_argument(
        "-c", "--concurrency", type=int, help="runs at a time (default FUNCPAD_RUNNER_CONCURRENCY)"
    )
    commands.add_parser("scheduler", help="fire cron jobs and dispatch queued runs")
    args = parser.parse_args(argv)
    if args.command == "worker":
        run_worker(args.queues, args.concurrency)
    else:
        run_scheduler()


if __name__ == "__main__":
    main()
