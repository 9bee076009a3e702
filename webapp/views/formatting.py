"""One way to show times, durations, values and log lines on every page.

The same rules are in ``static/js/chrome.js`` (``Funcpad.format``) for what pages draw
themselves; ``tests/browser/test_formats.py`` holds the two to the same output.

- a time: ``2026-12-02 05:11:03`` (UTC, 24 hours; pages say that times are UTC);
- a duration: ``114 ms`` under a second, ``1.25 s`` under a minute, ``2 min 05 s`` after;
- a value: JSON (``null``, ``true``, ``{"a": 1}``), as the API returns it;
- a log line: ``[MM-DD HH:MM:SS] [+Δms] [total ms]`` from the run's start, as in DataFlux Func.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask_babel import gettext, lazy_gettext

from webapp.services import print_logs
from webapp.views.errors import translated

# Machine values shown to people: the API keeps the codes, pages show these.
STATUS_LABELS = {
    "queued": lazy_gettext("queued"),
    "running": lazy_gettext("running"),
    "success": lazy_gettext("success"),
    "failure": lazy_gettext("failure"),
    "timeout": lazy_gettext("timeout"),
    "skipped": lazy_gettext("skipped"),
    "expired": lazy_gettext("expired"),
}
ORIGIN_LABELS = {
    "debug": lazy_gettext("editor run"),
    "api": lazy_gettext("API call"),
    "crontab": lazy_gettext("cron job"),
    "manual": lazy_gettext("run now"),
    "func": lazy_gettext("DFF.FUNC"),
    "sync": lazy_gettext("Sync API"),
    "async": lazy_gettext("Async API"),
    "integration": lazy_gettext("autoRun"),
}


ENV_TYPE_LABELS = {
    "string": lazy_gettext("text"),
    "password": lazy_gettext("password"),
    "integer": lazy_gettext("integer"),
    "float": lazy_gettext("number"),
    "boolean": lazy_gettext("true/false"),
    "json": lazy_gettext("JSON"),
    "commaArray": lazy_gettext("comma-separated list"),
}
WHERE_LABELS = {
    "path": lazy_gettext("path"),
    "query": lazy_gettext("query"),
    "body": lazy_gettext("body"),
}


def env_type_text(type_: str | None) -> str:
    return str(ENV_TYPE_LABELS.get(type_ or "", type_ or "—"))


def where_text(where: str | None) -> str:
    return str(WHERE_LABELS.get(where or "", where or ""))


def status_text(status: str | None) -> str:
    return str(STATUS_LABELS.get(status or "", status or "—"))


def status_level(status: str | None) -> str:
    """The colour class of a status: info (success), error (failure, timeout), debug (other)."""
    if status == "success":
        return "info"
    return "error" if status in ("failure", "timeout") else "debug"


def origin_text(origin: str | None) -> str:
    return str(ORIGIN_LABELS.get(origin or "", origin or "—"))


def chrome_messages() -> dict[str, Any]:
    """What ``static/js/chrome.js`` shows on every page, in the page's language."""
    return {
        "ok": gettext("OK"),
        "cancel": gettext("Cancel"),
        "dismiss": gettext("Dismiss"),
        "jsonInvalid": gettext("Not valid JSON: line %(line)s, column %(column)s."),
        "jsonNotObject": gettext('Must be a JSON object, like {"name": "value"}.'),
        "status": {k: str(v) for k, v in STATUS_LABELS.items()},
        "origin": {k: str(v) for k, v in ORIGIN_LABELS.items()},
    }


def _moment(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def time_text(value: datetime | str | None, *, seconds: bool = True) -> str:
    moment = _moment(value)
    if moment is None:
        return "—"
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def duration_text(ms: float | None) -> str:
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{round(ms)} ms"
    if ms < 60_000:
        return f"{ms / 1000:.2f} s"
    minutes, rest = divmod(round(ms / 1000), 60)
    return f"{minutes} min {rest:02d} s"


def value_text(value: Any) -> str:
    return json.dumps(
        value, ensure_ascii=False, indent=2 if isinstance(value, dict | list) else None
    )


def log_prefixes(logs: list[dict[str, Any]], started_at: datetime | str | None) -> list[str]:
    """The ``[MM-DD HH:MM:SS] [+Δms] [total ms]`` prefix of each line of a run's log."""
    return print_logs.prefixes(logs, started_at)


def init_app(app: Flask) -> None:
    app.add_template_filter(time_text, "time_text")
    app.add_template_filter(duration_text, "duration_text")
    app.add_template_filter(value_text, "value_text")
    app.add_template_filter(translated, "translated")
    app.add_template_filter(status_text, "status_text")
    app.add_template_filter(env_type_text, "env_type_text")
    app.add_template_filter(where_text, "where_text")
    app.add_template_filter(status_level, "status_level")
    app.add_template_filter(origin_text, "origin_text")
    app.add_template_global(log_prefixes, "log_prefixes")
    app.add_template_global(chrome_messages, "chrome_messages")
