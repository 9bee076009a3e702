"""The scheduling rules as pure functions of an explicit now."""

from datetime import UTC, datetime, timedelta

from webapp.schedule.cronexpr import parse
from webapp.schedule.decide import MAX_SKIPPED_RECORDS, decide, first_run

EVERY_MINUTE = parse("* * * * *")


def at(h, m, s=0):
    return datetime(2026, 1, 1, h, m, s, tzinfo=UTC)


def test_on_time_fires_and_moves_on():
    decision = decide(EVERY_MINUTE, "UTC", at(10, 0), at(10, 0, 0))
    assert decision.fire == at(10, 0) and decision.skipped == []
    assert decision.next_run_at == at(10, 1)


def test_missed_runs_fire_the_latest_within_grace_and_skip_the_rest():
    decision = decide(EVERY_MINUTE, "UTC", at(10, 0), at(10, 3, 30))
    assert decision.fire == at(10, 3)
    assert [t for t, _ in decision.skipped] == [at(10, 0), at(10, 1), at(10, 2)]
    assert all("not running" in reason for _, reason in decision.skipped)
    assert decision.next_run_at == at(10, 4)


def test_beyond_the_grace_window_nothing_fires():
    decision = decide(EVERY_MINUTE, "UTC", at(10, 0), at(10, 2, 45), grace=timedelta(seconds=30))
    assert decision.fire is None
    assert [t for t, _ in decision.skipped] == [at(10, 0), at(10, 1), at(10, 2)]
    assert "grace window (30 s)" in decision.skipped[-1][1]
    assert decision.next_run_at == at(10, 3)


def test_a_long_outage_is_never_a_burst():
    decision = decide(parse("* * * * * *"), "UTC", at(0, 0), at(6, 0, 0))
    assert decision.fire == at(6, 0, 0)
    assert len(decision.skipped) == MAX_SKIPPED_RECORDS
    assert decision.more_skipped == 6 * 3600 - MAX_SKIPPED_RECORDS


def test_overlap_is_skipped_unless_allowed():
    skipped = decide(EVERY_MINUTE, "UTC", at(10, 0), at(10, 0), previous_running=True)
    assert skipped.fire is None and "still running" in skipped.skipped[0][1]
    assert skipped.next_run_at == at(10, 1)
    allowed = decide(
        EVERY_MINUTE, "UTC", at(10, 0), at(10, 0), previous_running=True, allow_overlap=True
    )
    assert allowed.fire == at(10, 0)


def test_expiry_stops_the_job():
    last = decide(EVERY_MINUTE, "UTC", at(10, 0), at(10, 0), expires_at=at(10, 1))
    assert last.fire == at(10, 0) and last.next_run_at is None
    expired = decide(EVERY_MINUTE, "UTC", at(10, 1), at(10, 1), expires_at=at(10, 1))
    assert expired.fire is None and expired.next_run_at is None
    assert first_run(EVERY_MINUTE, "UTC", at(10, 0, 30), at(10, 1)) is None
    assert first_run(EVERY_MINUTE, "UTC", at(10, 0, 30), None) == at(10, 1)
