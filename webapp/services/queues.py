"""DataFlux Func's worker queues: which queue a run waits in (and so which workers run it).

Priority, as in DataFlux Func: the caller's explicit queue, then the function's
``DFF.API(queue=...)``, then the origin's default (1 direct and sync calls, 2 cron, 3 Async
APIs, 5 the editor). ``funcpad worker -Q 1,2`` serves some queues only.
"""

from __future__ import annotations

from typing import Any

DEFAULT_QUEUES = {"debug": 5, "crontab": 2, "manual": 2, "async": 3}
QUEUES = range(1, 16)


def queue_for(origin: str, options: dict[str, Any] | None = None, explicit: Any = None) -> int:
    """The queue of a run of ``origin``; ``options`` are its function's DFF.API options."""
    for value in (explicit, (options or {}).get("queue")):
        if isinstance(value, int) and not isinstance(value, bool) and value in QUEUES:
            return value
    return DEFAULT_QUEUES.get(origin, 1)
