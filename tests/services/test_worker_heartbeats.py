"""When a run's process is gone elsewhere: judged by its worker's heartbeat."""

from datetime import timedelta

from webapp.extensions import db
from webapp.models import TaskRecord, WorkerHeartbeat
from webapp.models.types import utcnow
from webapp.scheduler.loop import Scheduler
from webapp.services import runs

ELSEWHERE = "otherhost:4026531836:77:1234"


def never_here(_worker):
    return None  # this process cannot tell (another host)


def test_a_worker_elsewhere_is_judged_by_its_heartbeat():
    now = utcnow()
    started = now - timedelta(minutes=5)
    fresh = {ELSEWHERE: now - timedelta(seconds=3)}
    stale = {ELSEWHERE: now - timedelta(seconds=runs.HEARTBEAT_STALE_SECONDS + 1)}
    assert not runs.worker_gone(ELSEWHERE, started, now, fresh, never_here)
    assert runs.worker_gone(ELSEWHERE, started, now, stale, never_here)
    assert runs.worker_gone(f"{ELSEWHERE}/thread", started, now, stale, never_here)
    # Never beat: only a run older than any run can be is lost.
    assert not runs.worker_gone(ELSEWHERE, started, now, {}, never_here)
    old = now - timedelta(seconds=runs.MAX_RUN_SECONDS + 1)
    assert runs.worker_gone(ELSEWHERE, old, now, {}, never_here)


def test_the_sweep_marks_runs_of_a_silent_worker_and_the_prune_forgets_it(app_ctx):
    now = utcnow()
    for record_id in ("silent", "beating"):
        db.session.add(
            TaskRecord(
                id=record_id, origin="api", func_id="a.b", script_id="a", kwargs={},
                status="running", created_at=now, started_at=now, logs=[],
                worker=f"{record_id}-host:1:2:3",
            )
        )  # fmt: skip
    db.session.add_all(
        [
            WorkerHeartbeat(id="silent-host:1:2:3", hostname="silent-host", queues=[1],
                            started_at=now, seen_at=now - timedelta(days=2)),
            WorkerHeartbeat(id="beating-host:1:2:3", hostname="beating-host", queues=[1],
                            started_at=now, seen_at=now),
        ]
    )  # fmt: skip
    db.session.commit()
    assert runs.sweep_lost_runs(db.session, now, never_here) == 1
    db.session.commit()
    assert db.session.get(TaskRecord, "silent").error["type"] == "WorkerLost"
    assert db.session.get(TaskRecord, "beating").status == "running"
    Scheduler(app_ctx).prune_old_records()
    db.session.expire_all()
    assert db.session.get(WorkerHeartbeat, "silent-host:1:2:3") is None
    assert db.session.get(WorkerHeartbeat, "beating-host:1:2:3") is not None
