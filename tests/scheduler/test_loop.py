"""The scheduler's tick with explicit times: firing, exactly once, takeover, missed runs, pause."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from webapp.extensions import db
from webapp.models import CrontabConfig, SchedulerSetting, TaskRecord
from webapp.models.types import utcnow
from webapp.scheduler.loop import LEASE_SECONDS, Scheduler
from webapp.services import crontab as crontab_service
from webapp.services import scripts as scripts_service

CODE = "@DFF.API('Tick')\ndef tick(n=1):\n    print('tick', n)\n    return n\n"


@pytest.fixture
def job(app_ctx):
    script = scripts_service.create_script(
        db.session, "sched", "Sched", code=CODE, username="admin", now=utcnow()
    )
    scripts_service.publish(db.session, script, "", username="admin", now=utcnow())
    config = crontab_service.create_config(
        db.session,
        {"id": "every-minute", "func_id": "sched.tick", "crontab": "* * * * *"},
        username="admin",
        now=utcnow(),
        default_timezone="UTC",
    )
    db.session.commit()
    return config


def records(status=None):
    query = db.select(TaskRecord).where(TaskRecord.crontab_config_id == "every-minute")
    if status:
        query = query.where(TaskRecord.status == status)
    return db.session.scalars(query.order_by(TaskRecord.scheduled_for)).all()


def wait_for(predicate, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.expire_all()
        if predicate():
            return True
        time.sleep(0.05)
    return False


def due_now(config):
    now = datetime.now(UTC).replace(second=0, microsecond=0)  # a real "* * * * *" time
    config.next_run_at = now
    db.session.commit()
    return now


def test_a_due_job_fires_once_and_runs(app_ctx, job):
    scheduler = Scheduler(app_ctx)
    now = due_now(job)
    scheduler.tick(now)
    assert wait_for(lambda: [r.status for r in records()] == ["success"])
    (record,) = records()
    assert record.scheduled_for == now and record.origin == "crontab"
    assert record.logs[0]["message"] == "tick 1" and record.worker == scheduler.executor.worker_id
    assert db.session.get(CrontabConfig, "every-minute").next_run_at == now + timedelta(minutes=1)
    scheduler.tick(now)  # the same moment again: nothing new
    assert len(records()) == 1


def test_only_the_lease_holder_fires_and_a_stale_row_cannot_fire_twice(app_ctx, job):
    first, second = Scheduler(app_ctx), Scheduler(app_ctx)
    now = due_now(job)
    stale = db.session.get(CrontabConfig, "every-minute")
    stale_next = stale.next_run_at
    first.tick(now)
    second.tick(now)
    assert first.active and not second.active
    assert wait_for(lambda: len(records("success")) == 1)
    # A scheduler holding an old copy of the row loses the compare-and-set on next_run_at.
    db.session.expire_all()
    copy = db.session.get(CrontabConfig, "every-minute")
    copy.next_run_at = stale_next
    second.active = True
    second._lease_renewed = time.monotonic()
    second._fire(copy, now)
    db.session.rollback()
    assert len(records()) == 1


def test_takeover_marks_lost_runs_and_runs_queued_ones(app_ctx, job):
    dead = Scheduler(app_ctx)
    now = due_now(job)
    dead._hold_lease(now)
    lost = TaskRecord(
        id="lost",
        origin="crontab",
        func_id="sched.tick",
        script_id="sched",
        crontab_config_id="every-minute",
        kwargs={},
        status="running",
        created_at=now,
        scheduled_for=now - timedelta(minutes=2),
        worker=dead.holder,
        logs=[],
    )
    queued = TaskRecord(
        id="queued",
        origin="crontab",
        func_id="sched.tick",
        script_id="sched",
        crontab_config_id="every-minute",
        kwargs={"n": 7},
        status="queued",
        created_at=now,
        scheduled_for=now - timedelta(minutes=1),
        logs=[],
    )
    db.session.add_all([lost, queued])
    job.next_run_at = now + timedelta(hours=1)
    db.session.commit()
    heir = Scheduler(app_ctx)
    heir.tick(now)
    assert not heir.active  # the dead holder's lease has not expired yet
    heir.tick(now + timedelta(seconds=LEASE_SECONDS + 1))
    assert heir.active
    assert wait_for(lambda: db.session.get(TaskRecord, "queued").status == "success")
    assert db.session.get(TaskRecord, "queued").return_value == 7
    lost = db.session.get(TaskRecord, "lost")
    assert lost.status == "failure" and lost.error["type"] == "WorkerLost"


def test_missed_runs_are_recorded_as_skipped(app_ctx, job):
    scheduler = Scheduler(app_ctx)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    job.next_run_at = now - timedelta(minutes=3)
    db.session.commit()
    scheduler.tick(now + timedelta(seconds=5))
    assert wait_for(lambda: len(records("success")) == 1)
    skipped = records("skipped")
    assert [r.scheduled_for for r in skipped] == [now - timedelta(minutes=m) for m in (3, 2, 1)]
    assert "not running" in skipped[0].error["message"]
    assert records("success")[0].scheduled_for == now


def test_pause_holds_every_job(app_ctx, job):
    scheduler = Scheduler(app_ctx)
    now = due_now(job)
    db.session.add(SchedulerSetting(name="pause", paused_until=now + timedelta(minutes=5)))
    db.session.commit()
    scheduler.tick(now)
    assert records() == []


def test_old_finished_records_are_pruned_by_age(app_ctx, job):
    now = utcnow()
    old = dict(
        origin="debug",
        func_id="sched.tick",
        script_id="sched",
        kwargs={},
        logs=[],
        created_at=now - timedelta(days=40),
    )
    db.session.add_all(
        [
            TaskRecord(id="old-done", status="success", **old),
            TaskRecord(id="old-running", status="running", **old),
            TaskRecord(id="recent", status="success", **{**old, "created_at": now}),
        ]
    )
    db.session.commit()
    assert Scheduler(app_ctx).prune_old_records() == 1
    db.session.expire_all()
    assert db.session.get(TaskRecord, "old-done") is None
    assert db.session.get(TaskRecord, "old-running") is not None
    assert db.session.get(TaskRecord, "recent") is not None


def test_expired_store_and_cache_keys_are_purged(app_ctx):
    from webapp.models import FuncCacheEntry, FuncStoreEntry

    now = utcnow()
    past_ms = int((now - timedelta(seconds=5)).timestamp() * 1000)
    common = {"value_json": "1", "size": 1}
    db.session.add_all(
        [
            FuncStoreEntry(
                id="fnst-old", scope="s", key="old", expire_at=now - timedelta(1), **common
            ),
            FuncStoreEntry(id="fnst-keep", scope="s", key="keep", expire_at=None, **common),
            FuncCacheEntry(scope="s", key="old", kind="string", expire_at_ms=past_ms, **common),
            FuncCacheEntry(scope="s", key="keep", kind="string", expire_at_ms=None, **common),
        ]
    )
    db.session.commit()
    assert Scheduler(app_ctx).purge_expired_values() == 2
    db.session.expire_all()
    assert db.session.get(FuncStoreEntry, "fnst-old") is None
    assert db.session.get(FuncStoreEntry, "fnst-keep") is not None
    assert db.session.get(FuncCacheEntry, ("s", "old")) is None
    assert db.session.get(FuncCacheEntry, ("s", "keep")) is not None
