"""What a due job should do at ``now``: pure, so every rule is testable with an explicit time.

- Missed runs (the app was down): fire once for the most recent missed time if it is within the
  grace window, record the others as skipped with the reason; never a burst.
- Overlap: if the previous run is still going and the job does not allow overlap, the run is
  recorded as skipped.
- Expiry: a job whose next time is at or after ``expires_at`` stops (``next_run_at`` None).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from webapp.schedule.cronexpr import CronExpr

DEFAULT_GRACE = timedelta(minutes=5)
MAX_SKIPPED_RECORDS = 100  # beyond this a single summary record says how many more were missed
MAX_DUE_SCAN = 100_000


@dataclass
class Decision:
    fire: datetime | None = None
    skipped: list[tuple[datetime, str]] = field(default_factory=list)
    more_skipped: int = 0  # missed times not recorded one by one
    next_run_at: datetime | None = None


def first_run(
    expr: CronExpr, timezone: str, now: datetime, expires_at: datetime | None
) -> datetime | None:
    """``next_run_at`` for a job enabled or saved at ``now``."""
    upcoming = expr.next_after(now, timezone)
    return None if expires_at is not None and upcoming >= expires_at else upcoming


def decide(
    expr: CronExpr,
    timezone: str,
    next_run_at: datetime,
    now: datetime,
    *,
    expires_at: datetime | None = None,
    previous_running: bool = False,
    allow_overlap: bool = False,
    grace: timedelta = DEFAULT_GRACE,
) -> Decision:
    decision = Decision()
    if expires_at is not None and next_run_at >= expires_at:
        return decision  # expired: nothing fires, nothing comes next
    due = [next_run_at]
    missed_total = 0
    runs = expr.iter_after(next_run_at, timezone)
    upcoming = next(runs)
    while upcoming <= now and missed_total < MAX_DUE_SCAN:
        if expires_at is not None and upcoming >= expires_at:
            break
        due.append(upcoming)
        missed_total += 1
        if len(due) > MAX_SKIPPED_RECORDS + 1:
            due.pop(0)  # keep only what is recorded one by one, and count the rest
        upcoming = next(runs)
    latest, missed = due[-1], due[:-1]
    dropped = missed_total + 1 - len(due)
    reason_missed = "missed: the scheduler was not running at that time"
    decision.skipped = [(t, reason_missed) for t in missed]
    decision.more_skipped = dropped
    if now - latest > grace:
        decision.skipped.append(
            (latest, f"missed by more than the grace window ({int(grace.total_seconds())} s)")
        )
    elif previous_running and not allow_overlap:
        decision.skipped.append((latest, "skipped: the previous run was still running"))
    else:
        decision.fire = latest
    if expires_at is not None and upcoming >= expires_at:
        decision.next_run_at = None
    else:
        decision.next_run_at = upcoming
    return decision
