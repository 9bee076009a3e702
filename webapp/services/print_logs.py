"""A run's printed lines as DataFlux Func keeps them (§8 of the facts): each line cut to
3,000 characters (with a note of its length), and a log over 50,000 characters kept as its
first 20,000 and last 30,000 with a ``!!! Content too long`` line between; and the
``[MM-DD HH:MM:SS] [+Δms] [total ms] message`` form of each line."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

MAX_LINE_CHARS = 3000
MAX_TOTAL_CHARS = 50000
KEEP_HEAD_CHARS = 20000
KEEP_TAIL_CHARS = 30000


def cut_line(message: str) -> str:
    if len(message) <= MAX_LINE_CHARS:
        return message
    return (
        f"{message[:MAX_LINE_CHARS]} !!! Line too long: {len(message)} characters, "
        f"the first {MAX_LINE_CHARS} are kept"
    )


def kept(entries: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
    """The entries to store: all of them, or the head and tail around a marker entry when the
    text is over 50,000 characters; and whether anything was left out."""
    total = sum(len(e.get("message", "")) for e in entries)
    if total <= MAX_TOTAL_CHARS:
        return entries, False
    head, used = [], 0
    for entry in entries:
        size = len(entry.get("message", ""))
        if used + size > KEEP_HEAD_CHARS:
            break
        head.append(entry)
        used += size
    tail, used = [], 0
    for entry in reversed(entries[len(head) :]):
        size = len(entry.get("message", ""))
        if used + size > KEEP_TAIL_CHARS:
            break
        tail.append(entry)
        used += size
    tail.reverse()
    left_out = len(entries) - len(head) - len(tail)
    marker = {
        "time": tail[0]["time"] if tail else entries[-1]["time"],
        "message": f"!!! Content too long: {total} characters in {len(entries)} lines; "
        f"{left_out} lines in the middle are not kept",
    }
    return [*head, marker, *tail], True


def _moment(value: Any) -> datetime | None:
    """UTC, in whole milliseconds (as a browser's Date keeps them, so both count the same Δms)."""
    if isinstance(value, str) and value:
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def prefixes(entries: list[dict[str, Any]], started_at: Any) -> list[str]:
    """``[MM-DD HH:MM:SS] [+Δms] [total ms]`` for each entry, counted from ``started_at``."""
    start = _moment(started_at)
    out, previous = [], start
    for entry in entries:
        at = _moment(entry.get("time")) or start
        if at is None:
            out.append("")
            continue
        if start is None:
            start = previous = at
        step = max(0, round((at - previous).total_seconds() * 1000))
        total = max(0, round((at - start).total_seconds() * 1000))
        # (f-string fields, not strftime: this runs for every line of every answer)
        stamp = f"{at.month:02d}-{at.day:02d} {at.hour:02d}:{at.minute:02d}:{at.second:02d}"
        out.append(f"[{stamp}] [+{step}ms] [{total}ms]")
        previous = at
    return out


def formatted(entries: list[dict[str, Any]], started_at: Any) -> list[str]:
    """Each line as DataFlux Func stores it: its prefix, a space, the message."""
    return [
        f"{prefix} {entry.get('message', '')}"
        for prefix, entry in zip(prefixes(entries, started_at), entries, strict=True)
    ]
