"""Scheduler figures: start delay of one job, tick cost with 10,000 idle jobs, and the start
delay when 1,000 jobs are due at the same second (default concurrency).

    .venv/bin/python bench/scheduler.py [--seconds 20] [--jobs 1000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server import gunicorn, make_token  # noqa: E402

CODE = "@DFF.API('Noop')\ndef noop():\n    return 1\n"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def tick_cost(idle_jobs: int) -> float:
    """Median ms of one tick with ``idle_jobs`` enabled jobs, none of them due."""
    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import CrontabConfig
    from webapp.scheduler.loop import Scheduler
    from webapp.services import scripts

    data_dir = Path(tempfile.mkdtemp(prefix="funcpad-bench-tick-"))
    app = create_app(
        {
            "FUNCPAD_DATA_DIR": str(data_dir),
            "FUNCPAD_SCHEDULER": "off",
            "FUNCPAD_RUNNER_WARMUP": "off",
            "FUNCPAD_ADMIN_USERNAME": "b",
            "FUNCPAD_ADMIN_PASSWORD": "bench-password",
        }
    )
    with app.app_context():
        now = datetime.now(UTC)
        script = scripts.create_script(db.session, "bench", "B", code=CODE, username="b", now=now)
        scripts.publish(db.session, script, "", username="b", now=now)
        db.session.execute(
            CrontabConfig.__table__.insert(),
            [
                {
                    "id": f"idle-{i}",
                    "func_id": "bench.noop",
                    "kwargs": {},
                    "crontab": "0 0 1 1 *",
                    "timezone": "UTC",
                    "enabled": True,
                    "allow_overlap": False,
                    "note": "",
                    "tags": [],
                    "keep_records": 500,
                    "next_run_at": now + timedelta(days=30),
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(idle_jobs)
            ],
        )
        db.session.commit()
        scheduler = Scheduler(app)
        scheduler.tick(datetime.now(UTC))  # takes the lease
        times = []
        for _ in range(200):
            started = time.perf_counter()
            scheduler.tick(datetime.now(UTC))
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)


def delays(api: requests.Session, base: str, config_id: str | None = None) -> list[float]:
    params = {"limit": 1000, "origin": "crontab"}
    if config_id:
        params["crontab_config_id"] = config_id
    rows = api.get(f"{base}/api/v1/task-records", params=params).json()
    return [
        (
            datetime.fromisoformat(r["started_at"]) - datetime.fromisoformat(r["scheduled_for"])
        ).total_seconds()
        * 1000
        for r in rows
        if r["started_at"] and r["status"] == "success"
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=1000)
    args = parser.parse_args()

    print(f"tick with 10,000 enabled jobs, none due: {tick_cost(10_000):.2f} ms (median of 200)")

    data_dir = Path(tempfile.mkdtemp(prefix="funcpad-bench-sched-"))
    token = make_token(data_dir)
    with gunicorn(data_dir, scheduler=True) as (base, _pid):
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        api.post(f"{base}/api/v1/scripts", json={"id": "bench", "title": "B", "code": CODE})
        api.post(f"{base}/api/v1/scripts/bench/publish", json={}).raise_for_status()

        api.post(
            f"{base}/api/v1/crontab-configs",
            json={"id": "single", "func_id": "bench.noop", "crontab": "* * * * * *"},
        ).raise_for_status()
        time.sleep(args.seconds)
        api.patch(f"{base}/api/v1/crontab-configs/single", json={"enabled": False})
        time.sleep(1)
        single = delays(api, base, "single")
        print(
            f"single job, every second for {args.seconds} s: start delay p50 "
            f"{statistics.median(single):.1f} ms, p95 {pct(single, 0.95):.1f} ms "
            f"({len(single)} firings)"
        )

        target = (datetime.now(UTC) + timedelta(seconds=40)).replace(microsecond=0)
        crontab = f"{target.second} {target.minute} {target.hour} * * *"
        for i in range(args.jobs):
            api.post(
                f"{base}/api/v1/crontab-configs",
                json={
                    "id": f"burst-{i}",
                    "func_id": "bench.noop",
                    "crontab": crontab,
                    "keep_records": 5,
                },
            ).raise_for_status()
        wait = (target - datetime.now(UTC)).total_seconds()
        if wait < 0:
            raise SystemExit("creating the jobs took longer than 40 s; use fewer --jobs")
        time.sleep(wait + 2)
        deadline = time.monotonic() + 120
        burst: list[float] = []
        while time.monotonic() < deadline:
            burst = [d for d in delays(api, base) if d >= 0]
            burst = [d for d in burst if d < 600_000]
            rows = api.get(
                f"{base}/api/v1/task-records",
                params={"limit": 1000, "origin": "crontab", "status": "success"},
            ).json()
            done = [r for r in rows if (r["crontab_config_id"] or "").startswith("burst-")]
            if len(done) >= args.jobs:
                burst = [
                    (
                        datetime.fromisoformat(r["started_at"])
                        - datetime.fromisoformat(r["scheduled_for"])
                    ).total_seconds()
                    * 1000
                    for r in done
                ]
                break
            time.sleep(1)
        print(
            f"{args.jobs} jobs due at the same second: {len(burst)} started; start delay p50 "
            f"{statistics.median(burst) / 1000:.2f} s, p95 {pct(burst, 0.95) / 1000:.2f} s, "
            f"last {max(burst) / 1000:.2f} s"
        )


if __name__ == "__main__":
    main()
