"""Stores accepted points in group commits: a write is answered once its points are stored.

The request thread parses and validates (so a bad body is still refused whole, with its line
numbers), hands the points to a ``PointWriter`` and waits; the writer's thread stores
everything queued so far in one transaction (group commit), so concurrent requests share a
commit and SQLite's work runs beside the next request's parsing. A 200 therefore means the
points are in the database file: a kill -9 of the process right after cannot lose them.

Guarantees:
- nothing accepted is dropped for lack of room: ``submit`` waits while more than
  ``max_pending`` points are queued (back-pressure), and gives up with ``WriterBusy`` only
  after ``wait_seconds``, before anything was accepted;
- ``write`` waits for its own batch: it raises ``WriterBusy`` if the batch could not be
  started within ``wait_seconds`` (then it is taken back, nothing stored) and ``StoreFailing``
  if the store refused it;
- a store that is busy or failing (locked file, full disk) is retried with a growing pause;
  the queued points stay in memory meanwhile;
- ``flush()`` returns once everything submitted before the call is stored;
- ``close()`` (also run at interpreter exit) stores what is queued before the process ends.
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
        # [ticket, category, points] in submission order (a list: a batch given up on is
        # emptied in place).
        self._queue: deque[list[Any]] = deque()
        self._pending_points = 0
        self._submitted = 0  # batches handed in
        self._stored = 0  # batches stored (or given up on)
        self._dropped: set[int] = set()  # tickets of batches the store refused, until asked
        self._storing = False  # a thread is in the store (the writer's, or a write's own)
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

    def write(self, category: str, points: list[dict[str, Any]]) -> None:
        """Store one request's points, returning once they are stored (see the guarantees).

        With nothing queued and nothing being stored, the caller stores them itself: handing
        a lone request to the writer's thread and back costs more than its commit."""
        if points and self._store_inline(category, points):
            return
        ticket = self.submit(category, points)
        if ticket is None:
            return
        deadline = time.monotonic() + self.wait_seconds
        with self._changed:
            while self._stored < ticket:
                left = deadline - time.monotonic()
                if left <= 0 or self.failure is not None:  # a full disk: say so at once
                    self._give_up(ticket)
                self._changed.wait(min(left, 0.5))
            if ticket in self._dropped:
                self._dropped.discard(ticket)
                raise StoreFailing("the point store refused these points (see the log)")

    def _store_inline(self, category: str, points: list[dict[str, Any]]) -> bool:
        """True once stored by the calling thread; False to take the queue instead (others
        are being stored, retention is pruning, or the store is busy: the queue waits and
        retries, within ``wait_seconds``)."""
        with self._changed:
            if self._queue or self._storing or self.failure is not None:
                return False
            self._storing = True
        try:
            return self.store.try_write_many([(category, points)]) is not None
        except sqlite3.OperationalError:
            return False
        except Exception:
            log.exception("storing a batch of %d points failed; dropped", len(points))
            raise StoreFailing("the point store refused these points (see the log)") from None
        finally:
            with self._changed:
                self._storing = False
                self._changed.notify_all()

    def _give_up(self, ticket: int) -> None:
        """Out of time (called holding the lock): take the batch back if the writer has not
        started on it, so a 503 means nothing was stored."""
        for item in self._queue:
            if item[0] == ticket:
                self._pending_points -= len(item[2])
                item[2] = []  # stays in line as an empty batch, so the counts stay in order
                self._changed.notify_all()
                if self.failure is not None:
                    raise StoreFailing(f"the point store cannot write: {self.failure}")
                raise WriterBusy(
                    f"{self._pending_points} points are waiting to be stored; try again"
                )
        if self.failure is not None:
            raise StoreFailing(
                f"the point store cannot write: {self.failure}; these points are kept and "
                "stored once it can"
            )
        raise WriterBusy("the point store is slow to confirm this write; it may still be stored")

    def submit(self, category: str, points: list[dict[str, Any]]) -> int | None:
        """Queue one request's points; waits (back-pressure) while the queue is full. Returns
        the batch's ticket (None for no points): it is stored once ``stored >= ticket``.

        ``StoreFailing`` while the store fails: a client must not get 200 for points that
        cannot be stored (what is queued already is retried until the store recovers).
        """
        if not points:
            return None
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
            self._submitted += 1
            self._queue.append([self._submitted, category, points])
            self._pending_points += len(points)
            self._changed.notify_all()
            return self._submitted

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
                while (not self._queue or self._storing) and not self._closing:
                    self._changed.wait()
                if not self._queue:
                    return
                batches = list(self._queue)
                self._queue.clear()
                self._storing = True
            dropped: list[int] = []
            try:
                dropped = self._store_with_retries(batches)
            finally:
                self._finish(batches, dropped)

    def _finish(self, batches: list[list[Any]], dropped: list[int]) -> None:
        with self._changed:
            self._storing = False
            self._pending_points -= sum(len(item[2]) for item in batches)
            self._stored += len(batches)
            if len(self._dropped) > 10_000:  # tickets nobody waited for (plain submits)
                self._dropped.clear()
            self._dropped.update(dropped)
            self._changed.notify_all()

    def _store_with_retries(self, batches: list[list[Any]]) -> list[int]:
        """Store the batches; returns the tickets of those the store refused (dropped)."""
        attempt = 0
        while True:
            try:
                self.store.write_many([(c, points) for _, c, points in batches if points])
                if self.failure is not None:
                    log.info("the point store writes again")
                self.failure = None
                return []
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
                        "storing a batch of %d points failed; dropped", len(batches[0][2])
                    )
                    return [batches[0][0]]
                return [t for batch in batches for t in self._store_with_retries([batch])]
