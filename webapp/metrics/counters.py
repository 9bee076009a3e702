"""Counts of the whole platform, kept in the database so that every process on every host adds
to the same numbers (Prometheus counters must never go back, whichever process is scraped).

Each process adds up its increments in memory and writes them at most every ``FLUSH_SECONDS``
(one UPDATE per counter that moved: ``value = value + n``, atomic on SQLite and PostgreSQL),
so a run pays nothing for being counted.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from webapp.models.counters import PlatformCounter

FLUSH_SECONDS = 2.0
# Run durations, in seconds: from a trivial run (a few ms) to DataFlux Func's longest (1 h).
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600)
# Error types that say the sandbox (not the script) failed.
SANDBOX_FAILURES = frozenset({"SandboxUnavailable", "ProcessDied", "WorkerLost"})


def label_text(labels: dict[str, object]) -> str:
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def parse_labels(text: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in text.split(",") if part)


class Counters:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._pending: dict[tuple[str, str], float] = defaultdict(float)
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._flushed_at = time.monotonic()

    def add(self, name: str, amount: float = 1.0, **labels: object) -> None:
        with self._lock:
            self._pending[(name, label_text(labels))] += amount

    def run_finished(
        self, origin: str, status: str, duration_ms: float | None, error_type: str | None
    ) -> None:
        """Count one run's end (and its duration in the histogram's buckets)."""
        self.add("funcpad_runs_total", origin=origin, status=status)
        if duration_ms is not None:
            seconds = max(duration_ms, 0.0) / 1000
            for bound in (*DURATION_BUCKETS, math.inf):
                if seconds <= bound:
                    self.add("funcpad_run_duration_seconds_bucket", le=_bound(bound))
            self.add("funcpad_run_duration_seconds_sum", seconds)
            self.add("funcpad_run_duration_seconds_count")
        if error_type in SANDBOX_FAILURES:
            self.add("funcpad_sandbox_failures_total", type=error_type)

    def maybe_flush(self) -> None:
        if time.monotonic() - self._flushed_at >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Add what this process counted to the database's counters."""
        if not self._flushing.acquire(blocking=False):
            return  # another thread is writing them right now
        try:
            with self._lock:
                pending, self._pending = self._pending, defaultdict(float)
                self._flushed_at = time.monotonic()
            if not pending:
                return
            try:
                self._write(pending)
            except Exception:  # the database is away: keep the counts for the next try
                with self._lock:
                    for key, amount in pending.items():
                        self._pending[key] += amount
                raise
        finally:
            self._flushing.release()

    def _write(self, pending: dict[tuple[str, str], float]) -> None:
        """One upsert per counter: SQLite and PostgreSQL both say INSERT ... ON CONFLICT."""
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        table = PlatformCounter.__table__
        with Session(self.engine) as session:
            for (name, labels), amount in sorted(pending.items()):
                statement = insert(table).values(name=name, labels=labels, value=amount)
                session.execute(
                    statement.on_conflict_do_update(
                        index_elements=["name", "labels"],
                        set_={"value": table.c.value + statement.excluded.value},
                    )
                )
            session.commit()


def _bound(bound: float) -> str:
    if math.isinf(bound):
        return "+Inf"
    return repr(int(bound)) if float(bound).is_integer() else repr(bound)
