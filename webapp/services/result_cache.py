"""``DFF.API(cache_result=N)``: identical calls within N seconds get the earlier result.

Kept in the process's memory (like the platform users come from keeps it in Redis): a cache
miss only costs a run, so losing it on restart is harmless. Pure logic with an explicit ``now``.
"""

from __future__ import annotations

import json
import threading
from typing import Any

MAX_ENTRIES = 1000


class ResultCache:
    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(func_id: str, version: int, kwargs: dict[str, Any]) -> str:
        return f"{func_id}@{version}:{json.dumps(kwargs, sort_keys=True, default=str)}"

    def get(self, key: str, now: float) -> dict[str, Any] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= now:
                del self._entries[key]
                return None
            return entry[1]

    def clear(self) -> None:
        """Forget every result (a process serving another database: the tests)."""
        with self._lock:
            self._entries.clear()

    def put(self, key: str, body: dict[str, Any], seconds: float, now: float) -> None:
        """Cache only successes: a failure should be retried, not repeated."""
        if seconds <= 0 or body.get("status") != "success":
            return
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                for stale in [k for k, (expires, _) in self._entries.items() if expires <= now]:
                    del self._entries[stale]
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (now + seconds, body)


def cache_seconds(options: dict[str, Any]) -> float:
    value = options.get("cache_result")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return max(float(value), 0)


results = ResultCache()
