"""CRON_JOB, SYNC_API and ASYNC_API from scripts in the real sandbox: save, get, query, call
(queued, run by the scheduler), a schedule set for a while, a pause, and the checks."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from tests.runner.conftest import job
from webapp import host
from webapp.extensions import db
from webapp.models import CrontabConfig, TaskRecord
from webapp.models.types import utcnow
from webapp.scheduler.loop import Scheduler

CODE = "@DFF.API('Tick')\ndef tick(n=1):\n    return n\n"


def run(pool, app, code, **context):
    spec = job(code, script_id="ent__main", id="task-ent", context=context)
    with app.app_context():
        return pool.run(spec, None, host.calls_for(spec, app))


def test_save_get_query_and_call(pool, app, app_ctx, make_script):
    make_script("ent__jobs", CODE, publish=1)
    code = (
        "def main():\n"
        "    DFF.CRON_JOB.save('ent-cron', {'funcId': 'ent__jobs.tick', 'cronExpr': '0 3 * * *',\n"
        "                                   'funcCallKwargsJSON': {'n': 2}, 'tagsJSON': ['a']})\n"
        "    DFF.SYNC_API.save('ent-sync', {'funcId': 'ent__jobs.tick', 'note': 'from a script'})\n"
        "    got = DFF.CRON_JOB.get('ent-cron')\n"
        "    listed = DFF.CRONTAB_CONFIG.query(fields=['id', 'crontab'],\n"
        "                                      filters={'isDisabled': {'eq': False}})\n"
        "    DFF.SYNC_API.call('ent-sync', kwargs={'n': 5})\n"
        "    errors = []\n"
        "    for attempt in (lambda: DFF.SYNC_API.call('ent-sync', queue=10),\n"
        "                    lambda: DFF.SYNC_API.call('nope'),\n"
        "                    lambda: DFF.CRON_JOB.save('bad', {'funcId': 'ent__jobs.tick', 'cronExpr': 'x'})):\n"
        "        try:\n"
        "            attempt()\n"
        "        except Exception as exc:\n"
        "            errors.append(type(exc).__name__)\n"
        "    return [got['funcCallKwargsJSON'], got['cronExpr'], got['funcTitle'], listed,\n"
        "            DFF.AUTH_LINK.get('ent-sync')['note'], DFF.CRON_JOB.get(), errors]\n"
    )
    result = run(pool, app, code, origin="api")
    assert result["status"] == "success", result["error"]
    kwargs, expr, title, listed, note, current, errors = result["return_value"]
    assert (kwargs, expr, title, note) == ({"n": 2}, "0 3 * * *", "Tick", "from a script")
    assert listed == [{"id": "ent-cron", "cronExpr": "0 3 * * *"}]
    assert current is None  # this run was not started by a cron job
    assert errors == ["BadEntityCall", "EntityNotFound", "ValueError"]
    saved = db.session.get(CrontabConfig, "ent-cron")
    assert saved.updated_by == "script:ent__main"
    queued = db.session.scalars(db.select(TaskRecord).where(TaskRecord.origin == "sync")).one()
    assert (
        queued.status == "queued" and queued.origin_id == "ent-sync" and queued.kwargs == {"n": 5}
    )
    Scheduler(app).tick(utcnow())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        db.session.expire_all()
        if db.session.get(TaskRecord, queued.id).status == "success":
            break
        time.sleep(0.05)
    assert db.session.get(TaskRecord, queued.id).return_value == 5


def test_a_schedule_for_a_while_and_a_pause_steer_the_scheduler(pool, app, app_ctx, make_script):
    make_script("ent__jobs", CODE, publish=1)
    run(
        pool,
        app,
        "def main():\n    DFF.CRON_JOB.save('c2', {'funcId': 'ent__jobs.tick', 'cronExpr': '0 3 * * *'})\n",
    )
    code = (
        "def main():\n"
        "    me = DFF.CRON_JOB.get()\n"
        "    DFF.CRON_JOB.set_cron_expr('*/5 * * * *', expires=3600)\n"
        "    return [me['id'], DFF.CRON_JOB.get_cron_expr(), DFF.CRON_JOB.get_all_crontab()]\n"
    )
    result = run(pool, app, code, origin="crontab", origin_id="c2")
    assert result["status"] == "success", result["error"]
    assert result["return_value"] == ["c2", "*/5 * * * *", {"c2": "*/5 * * * *"}]
    db.session.expire_all()
    config = db.session.get(CrontabConfig, "c2")
    assert config.next_run_at.minute % 5 == 0  # moved to the dynamic schedule
    due = datetime.now(UTC).replace(second=0, microsecond=0)
    config.next_run_at = due
    db.session.commit()
    scheduler = Scheduler(app)
    scheduler.tick(due + timedelta(seconds=1))
    fired = db.session.scalars(
        db.select(TaskRecord).where(
            TaskRecord.crontab_config_id == "c2", TaskRecord.origin == "crontab"
        )
    ).all()
    assert len(fired) == 1
    assert (
        run(pool, app, "def main():\n    DFF.CRON_JOB.pause(3600, 'c2')\n")["status"] == "success"
    )
    db.session.expire_all()
    config = db.session.get(CrontabConfig, "c2")
    later = config.next_run_at
    scheduler.tick(later + timedelta(seconds=1))
    db.session.expire_all()
    fired = db.session.scalars(
        db.select(TaskRecord).where(
            TaskRecord.crontab_config_id == "c2", TaskRecord.origin == "crontab"
        )
    ).all()
    assert len(fired) == 1  # paused: the time passed without a run
    assert db.session.get(CrontabConfig, "c2").next_run_at > later
    cleared = run(
        pool,
        app,
        "def main():\n    DFF.CRON_JOB.clear_cron_expr('c2')\n    return DFF.CRON_JOB.get_cron_expr('c2')\n",
    )
    assert cleared["return_value"] is None
