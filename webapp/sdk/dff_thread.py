"""``DFF.THREAD``: DataFlux Func's thread pool for a run (5 threads unless set otherwise).

Results are kept under keys ``thread-result-<12 chars>``; an exception inside a thread is kept
in the result's ``error``, never raised. The pool belongs to the run: the harness waits for
its threads when the function returns (as DataFlux Func's clean-up does), and nothing of it
outlives the run's process.
"""

from __future__ import annotations

import random
import string
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

DEFAULT_POOL_SIZE = 5
MAX_POOL_SIZE = 64  # the sandbox bounds processes and memory; threads are bounded here


@dataclass
class FuncThreadResult:
    key: str
    value: Any = None
    error: BaseException | None = None


class ThreadPool:
    """DFF.THREAD of one run."""

    def __init__(self) -> None:
        self._size = DEFAULT_POOL_SIZE
        self._pool: ThreadPoolExecutor | None = None
        self._futures: dict[str, Future] = {}
        self._lock = threading.Lock()

    @property
    def pool_size(self) -> int:
        """How many threads the pool runs at once."""
        return self._size

    @property
    def is_all_finished(self) -> bool:
        """Whether every submitted function has finished."""
        return all(f.done() for f in list(self._futures.values()))

    def set_pool_size(self, size: int) -> None:
        """Set how many threads run at once (1-64), before the first submit.

        Example:
            DFF.THREAD.set_pool_size(10)
        """
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError("the pool size must be an integer above 0")
        if self._pool is not None:
            print("[THREAD] the pool exists already; its size stays", self._size)
            return
        self._size = min(size, MAX_POOL_SIZE)

    def create_pool(self) -> None:
        """Create the pool now (submit does it when needed).

        Example:
            DFF.THREAD.create_pool()
        """
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._size, thread_name_prefix="dff-thread")

    def submit(self, fn, *args: Any, **kwargs: Any) -> str:
        """Run fn(*args, **kwargs) in the pool; the key of its result.

        Example:
            key = DFF.THREAD.submit(fetch, "web1")
        """
        self.create_pool()
        key = "thread-result-" + "".join(random.choices(string.ascii_letters + string.digits, k=12))
        self._futures[key] = self._pool.submit(fn, *args, **kwargs)
        return key

    @staticmethod
    def _result(key: str, future: Future) -> FuncThreadResult:
        error = future.exception()
        return FuncThreadResult(key, None if error else future.result(), error)

    def get_result(self, key: str, wait: bool = True) -> FuncThreadResult | None:
        """The result of one submitted function (waiting for it unless wait=False).

        Example:
            result = DFF.THREAD.get_result(key)
            print(result.value, result.error)
        """
        future = self._futures.get(key)
        if future is None or (not wait and not future.done()):
            return None
        return self._result(key, future)

    def get_all_results(self, wait: bool = True) -> list[FuncThreadResult]:
        """The results of every submitted function, in the order they were submitted.

        Example:
            for result in DFF.THREAD.get_all_results():
                print(result.key, result.value)
        """
        items = list(self._futures.items())
        return [self._result(k, f) for k, f in items if wait or f.done()]

    def pop_result(self, wait: bool = True) -> FuncThreadResult | None:
        """The first finished result, taken out of the pool's results; None when none is left.

        Example:
            while (result := DFF.THREAD.pop_result()) is not None:
                print(result.value)
        """
        pending = {f: k for k, f in self._futures.items()}
        if not pending:
            return None
        done = [f for f in pending if f.done()]
        if not done and wait:
            done, _ = wait_first(pending)
        if not done:
            return None
        future = next(iter(done))
        key = pending[future]
        self._futures.pop(key, None)
        return self._result(key, future)

    def wait_all_finished(self) -> None:
        """Wait until every submitted function has finished.

        Example:
            DFF.THREAD.wait_all_finished()
        """
        wait(list(self._futures.values()))

    def clean_up(self) -> None:
        """What the run does at its end: wait for the threads, then close the pool."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def wait_first(futures) -> tuple[set, set]:
    return wait(list(futures), return_when=FIRST_COMPLETED)
