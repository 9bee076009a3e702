"""Stores accepted points after the write request has been answered, as DataKit does.

DataKit answers ``/v1/write`` once the body is parsed and forwards the points afterwards. The
receiver does the same: the request thread parses and validates (so a bad body is still
refused whole, with its line numbers), hands the points to a ``PointWriter`` and answers; the
writer's thread stores everything queued so far in one transaction (group commit), which
costs the request nothing and lets SQLite's work run beside the next request's parsing.

Guarantees:
- nothing accepted is dropped for lack of room: ``submit`` waits while more than
  ``max_pending`` points are queued (back-pressure), and gives up with ``WriterBusy`` only
  after ``wait_seconds``, before anything was accepted;
- a store that is busy or failing (locked file, full disk) is retried with a growing pause;
  the queued points stay in memory meanwhile;
- ``flush()`` returns once everything submitted before the call is stored: reads call it, so a
  page opened after a write shows that write;
- ``close()`` (also run at interpreter exit) stores what is queued before the process ends.
  Only a hard kill (SIGKILL, power loss) can lose the points of the last few milliseconds.
"""

from __future__ import annotations

import atexit
import logging
import os
import sqlite3
import threading
import time
from collections import deque
from typing import Any

from webapp.receiver.store import PointStore

log = logging.getLogger(__name__)
RETRY_PAUSES = (0.05, 0.2, 1.0, 5.0)


class WriterBusy(Exception):
    """The queue stayed full for ``wait_seconds``: the store cannot keep up."""


class StoreFailing(Exception):
    """The store has been failing (a full disk, say): refuse new points until it recovers."""


class PointWriter:
    def __init__(
        self, store: PointStore, *, max_pending: int = 200_000, wait_seconds: float = 30.0
    ) -> None:
        self.store = store
        self.max_pending = max_pending
        self.wait_seconds = wait_seconds
        self._queue: deque[tuple[str, list[dict[str, Any]]]] = deque()
        self._pending_points = 0
        self._submitted = 0  # batches handed in
        self._stored = 0  # batches stored (or given up on)
        self._changed = threading.Condition()
        self._closing = False
        self._thread: threading.Thread | None = None
        self._owner_pid = 0
        # The last storing error while the store keeps failing; None once a write succeeds.
        self.failure: str | None = None

    def _ensure_thread(self) -> None:
        # Started on first use in each process: a thread made before gunicorn forks its
        # workers would not exist in them.
        if self._thread is not None and self._owner_pid == os.getpid():
            return
        self._owner_pid = os.getpid()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="points-writer", daemon=True)
        self._thread.start()
        # Registered only once there is something to drain, so an app that never received a
        # write is not kept alive by the interpreter's exit hooks.
        atexit.register(self.close)

    def submit(self, category: str, points: list[dict[str, Any]]) -> None:
        """Queue one request's points; waits (back-pressure) while the queue is full.

        ``StoreFailing`` while the store fails: a client must not get 200 for points that
        cannot be stored (what is queued already is retried until the store recovers).
        """
        if not points:
            return
        if self.failure is not None:
            raise StoreFailing(f"the point store cannot write: {self.failure}")
        deadline = time.monotonic() + self.wait_seconds
        with self._changed:
            self._ensure_thread()
            while self._pending_points and self._pending_points + len(points) > self.max_pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WriterBusy(
                        f"{self._pending_points} points are waiting to be stored; try again"
                    )
                self._changed.wait(left)
            self._queue.append((category, points))
            self._pending_points += len(points)
            self._submitted += 1
            self._changed.notify_all()

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything submitted so far is stored; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            target = self._submitted
            while self._stored < target:
                if self._thread is None or not self._thread.is_alive():
                    return False
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    @property
    def pending_points(self) -> int:
        return self._pending_points

    def close(self, timeout: float = 30.0) -> None:
        """Store what is queued, then stop the thread (a later ``submit`` starts a new one)."""
        self.flush(timeout)
        atexit.unregister(self.close)
        with self._changed:
            self._closing = True
            thread, self._thread = self._thread, None
            self._changed.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._queue and not self._closing:
                    self._changed.wait()
                if not self._queue:
                    return
                batches = list(self._queue)
                self._queue.clear()
            self._store_with_retries(batches)
            with self._changed:
                self._pending_points -= sum(len(points) for _category, points in batches)
                self._stored += len(batches)
                self._changed.notify_all()

    def _store_with_retries(self, batches: list[tuple[str, list[dict[str, Any]]]]) -> None:
        attempt = 0
        while True:
            try:
                self.store.write_many(batches)
                if self.failure is not None:
                    log.info("the point store writes again")
                self.failure = None
                return
            except sqlite3.OperationalError as exc:  # locked, busy, disk full or I/O: retry
                if "locked" not in str(exc) and "busy" not in str(exc):
                    self.failure = str(exc)  # not just a moment's contention
                pause = RETRY_PAUSES[min(attempt, len(RETRY_PAUSES) - 1)]
                log.warning(
                    "storing %d batches failed (%s); retrying in %ss", len(batches), exc, pause
                )
                attempt += 1
                time.sleep(pause)
            except Exception:
                # Not something waiting fixes: the points themselves. Store the requests one by
                # one, so only the one at fault is dropped, and keep the process serving.
                if len(batches) == 1:
                    log.exception(
                        "storing a batch of %d points failed; dropped", len(batches[0][1])
                    )
                    return
                for batch in batches:
                    self._store_with_retries([batch])
                return
