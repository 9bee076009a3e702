"""``DFF.FUNC``: a run starts another published function, fire and forget (DataFlux Func's
rules, §3 of the facts).

The new run is a ``queued`` task record (origin ``func``) that the scheduler's queue runs like
a cron run; it carries the call chain from the first run to it and the id of the run that
started it. Checked in DataFlux Func's order: a chain of five already → FuncCallChainTooLong;
a function already in the chain → FuncCircularCall (``a`` -> ``b`` -> [c]); not published →
EntityNotFound; then its kwargs, as for any call. A queued run not started within its
``expires`` (the function's, else 900 s) is not run at all: status ``expired``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from webapp.models import Func, TaskRecord
from webapp.services import runs as runs_service
from webapp.services.errors import ServiceError

MAX_CALL_CHAIN = 5
DEFAULT_EXPIRES = 900


class CallRefused(Exception):
    """The call cannot be made: ``kind`` is DataFlux Func's error name the script sees."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def expires_seconds(func: Func, default: int = DEFAULT_EXPIRES) -> int:
    value = (func.options or {}).get("expires")
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def enqueue(
    session: Session,
    *,
    parent: dict[str, Any],
    func_id: Any,
    kwargs: Any,
    now: datetime,
    queue: int | None = None,
) -> TaskRecord:
    """Queue ``func_id(**kwargs)`` started by the run ``parent`` (its job as the host built it:
    ``id``, ``context.call_chain``, ``context.triggered_by``)."""
    context = parent.get("context") or {}
    chain = [str(f) for f in context.get("call_chain") or []]
    if not isinstance(func_id, str) or not func_id:
        raise CallRefused("TypeError", "DFF.FUNC needs a function id, <script_id>.<name>")
    if len(chain) >= MAX_CALL_CHAIN:
        raise CallRefused(
            "FuncCallChainTooLong",
            f"Func call chain too long (at most {MAX_CALL_CHAIN}): {' -> '.join(chain)}",
        )
    if func_id in chain:
        shown = " -> ".join(f"`{f}`" for f in chain) + f" -> [{func_id}]"
        raise CallRefused("FuncCircularCall", shown)
    func = session.get(Func, func_id) if len(func_id) < 130 else None
    if func is None:
        raise CallRefused("EntityNotFound", f"Func not found: `{func_id}`")
    try:
        checked = runs_service.validate_kwargs(kwargs)
        runs_service.check_kwargs_against(func, checked)
    except ServiceError as exc:
        raise CallRefused("TypeError", exc.message) from None
    record = runs_service.new_queued_record(
        session,
        origin="func",
        func=func,
        kwargs=checked,
        username=context.get("triggered_by"),
        now=now,
        expires_at=now + timedelta(seconds=expires_seconds(func)),
        origin_id=context.get("origin_id"),
        root_task_id=parent.get("id"),
        call_chain=[*chain, func.id],
        # DataFlux Func: the call's queue, else the function's, else the calling run's.
        queue=queue or (func.options or {}).get("queue") or context.get("queue"),
    )
    return record
