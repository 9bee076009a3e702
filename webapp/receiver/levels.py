"""Log levels as the Logs view shows and filters them: DataKit keeps a point's status as sent;
these map the short and odd forms (``warn``, ``E``, ``ok``) for display only."""

from __future__ import annotations

from typing import Any

LOG_STATUSES = ("emerg", "alert", "critical", "error", "warning", "notice", "info", "debug", "OK")
STATUS_ALIASES = {
    "e": "error",
    "err": "error",
    "w": "warning",
    "warn": "warning",
    "i": "info",
    "d": "debug",
    "n": "notice",
    "c": "critical",
    "a": "alert",
    "ok": "OK",
    "fatal": "emerg",
}


def normalize_status(raw: Any) -> str:
    text = str(raw).strip()
    if text in LOG_STATUSES:
        return text
    lowered = text.lower()
    if lowered in LOG_STATUSES:
        return lowered
    return STATUS_ALIASES.get(lowered, lowered or "info")
