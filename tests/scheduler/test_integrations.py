"""@DFF.API(integration='autoRun') and delayed_cron_job, published through the API and run by
the scheduler: a cron job kept by the script, a run on publish, a run on launch, and one
cron firing fanned out into a run per delay (each with its _DFF_CRON_JOB_DELAY)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from webapp.extensions import db
from webapp.models import CrontabConfig, TaskRecord
from webapp.models.types import utcnow
from webapp.scheduler.loop import Scheduler

AUTO = """
@DFF.API('Every hour', integration='autoRun', integration_config={'cronExpr': '0 * * * *'})
def hourly():
    return 'hourly'

@DFF.API('On publish', integration='autorun', integration_config={'onPublish': True, 'onLaunch': True})
def hello():
    return [_DFF_ORIGIN, _DFF_ORIGIN_ID]

@DFF.API('Fan out', delayed_cron_job=[0, 2])
def fan():
    return [_DFF_CRON_JOB_DELAY, _DFF_TRIGGER_TIME]

@DFF.API('Login', integration='signIn')
def login(username, password):
    return True
"""


def publish(client, api_token, code):
    headers = {"Authorization": f"Bearer {api_token}"}
    client.post(
        "/api/v1/scripts", json={"id": "auto__jobs", "title": "Auto", "code": code}, headers=headers
    )
    response = client.post("/api/v1/scripts/auto__jobs/publish", json={}, headers=headers)
    assert response.status_code == 201, response.get_json()


def wait_for(predicate, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.expire_all()
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    return None


def integration_runs():
    return db.session.scalars(
        db.select(TaskRecord)
        .where(TaskRecord.origin == "integration")
        .order_by(TaskRecord.created_at)
    ).all()


def test_auto_run_and_delayed_cron_jobs(app, app_ctx, client, api_token):
    publish(client, api_token, AUTO)
    job = db.session.get(CrontabConfig, "autorun-auto__jobs.hourly")
    assert job is not None and job.crontab == "0 * * * *" and job.tags == ["autoRun"]
    (on_publish,) = integration_runs()
    assert on_publish.origin_id == "autoRun.onScriptPublish-auto__jobs.hello"
    scheduler = Scheduler(app)
    scheduler.tick(utcnow())  # takes the lease: onSystemLaunch queues another run
    done = wait_for(
        lambda: (
            len(integration_runs()) == 2 and all(r.status == "success" for r in integration_runs())
        )
    )
    assert done, [(r.status, r.error) for r in integration_runs()]
    values = sorted(r.return_value[1] for r in integration_runs())
    assert values == [
        "autoRun.onScriptPublish-auto__jobs.hello",
        "autoRun.onSystemLaunch-auto__jobs.hello",
    ]
    assert {r.return_value[0] for r in integration_runs()} == {"integration"}

    # delayed_cron_job=[0, 2]: one firing, two runs, the second two seconds after the tick.
    headers = {"Authorization": f"Bearer {api_token}"}
    created = client.post(
        "/api/v1/crontab-configs",
        json={"id": "fan", "func_id": "auto__jobs.fan", "crontab": "* * * * *"},
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    tick = datetime.now(UTC).replace(second=0, microsecond=0)
    config = db.session.get(CrontabConfig, "fan")
    config.next_run_at = tick
    db.session.commit()
    scheduler.tick(tick + timedelta(seconds=0.5))
    runs = db.session.scalars(
        db.select(TaskRecord)
        .where(TaskRecord.crontab_config_id == "fan")
        .order_by(TaskRecord.scheduled_for)
    ).all()
    assert [r.cron_delay for r in runs] == [0, 2]
    assert runs[1].scheduled_for == tick + timedelta(seconds=2)
    for _ in range(60):  # the scheduler's loop would tick twice a second
        scheduler.tick(utcnow())
        if all(r.status == "success" for r in runs):
            break
        time.sleep(0.1)
        db.session.expire_all()
    assert [r.status for r in runs] == ["success", "success"]
    assert [r.return_value for r in runs] == [
        [0, int(tick.timestamp())],
        [2, int(tick.timestamp())],
    ]

    # Publishing without autoRun removes the cron job it kept.
    from webapp.models import Script
    from webapp.services import scripts as scripts_service

    script = db.session.get(Script, "auto__jobs")
    script.draft_code = "@DFF.API('Plain')\ndef hourly():\n    return 1\n"
    script.draft_md5 = scripts_service.code_md5(script.draft_code)
    db.session.commit()
    publish(client, api_token, script.draft_code)
    assert db.session.get(CrontabConfig, "autorun-auto__jobs.hourly") is None


def test_sign_in_says_it_is_an_ordinary_function_here(app_ctx, client, api_token):
    publish(client, api_token, AUTO)
    record = client.post(
        "/api/v1/funcs/auto__jobs.login/call",
        json={"kwargs": {"username": "a", "password": "b"}},
        headers={"Authorization": f"Bearer {api_token}"},
    ).get_json()
    assert record["return_value"] is True
    assert any("integration='signIn'" in line["message"] for line in record["logs"])
