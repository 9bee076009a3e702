"""The platform's own log lines: plain text or one JSON object a line (``FUNCPAD_LOG_FORMAT``),
each with the process's role (web, worker, scheduler) and, while a run executes, its task id.

A run's id is held in a context variable for as long as the run executes in a thread
(``run_context``), so any line logged then, by any module, says which run it was about.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime

RUN_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("funcpad_run_id", default=None)
FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(role)s%(run_part)s]: %(message)s"


@contextlib.contextmanager
def run_context(task_id: str) -> Iterator[None]:
    """Lines logged inside carry ``run_id=task_id``."""
    token = RUN_ID.set(task_id)
    try:
        yield
    finally:
        RUN_ID.reset(token)


class ContextFilter(logging.Filter):
    """Adds ``role``, ``run_id`` (and ``run_part`` for the text format) to every record."""

    def __init__(self, role: str) -> None:
        super().__init__()
        self.role = role

    def filter(self, record: logging.LogRecord) -> bool:
        run_id = getattr(record, "run_id", None) or RUN_ID.get()
        record.role = getattr(record, "role", None) or self.role
        record.run_id = run_id
        record.run_part = f" run={run_id}" if run_id else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, role, pid, and
    run_id / exception when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        body = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "role": getattr(record, "role", None),
            "pid": record.process,
        }
        if getattr(record, "run_id", None):
            body["run_id"] = record.run_id
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False)


def formatter_for(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure(log_format: str, role: str, level: int = logging.INFO) -> None:
    """Set up the root logger once per process (the first caller's role stays). A root logger
    someone else set up (pytest's capture) keeps its handlers and gets the fields only."""
    root = logging.getLogger()
    if getattr(root, "funcpad_configured", False):
        return
    root.funcpad_configured = True  # type: ignore[attr-defined]
    if root.handlers:
        for existing in root.handlers:
            existing.addFilter(ContextFilter(role))
        return
    handler = logging.StreamHandler()
    handler.setFormatter(formatter_for(log_format))
    handler.addFilter(ContextFilter(role))
    root.handlers = [handler]
    root.setLevel(level)


def role_from_environment(default: str = "web") -> str:
    return os.environ.get("FUNCPAD_ROLE") or default
